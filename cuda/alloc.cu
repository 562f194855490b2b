/*
 * alloc.cu — device memory: a caching allocator (DESIGN.md, "Memory"). Freed blocks go to a
 * free list per size class and device and are reused on the same stream, so a training loop
 * stops calling cudaMalloc after its first step. The collector cannot see device memory:
 * when the bytes allocated since the last collection pass a threshold, or cudaMalloc fails,
 * the allocator asks libctorch to collect (unreachable tensors' finalizers give their blocks
 * back here) and retries; then it returns the cache to the driver and retries; then it raises
 * OutOfMemory. Also: copies between host and device, synchronize, and the memory statistics.
 */
#include <pthread.h>
#include <stdlib.h>

#include "cuda_internal.h"

/* Blocks up to SMALL_LIMIT bytes are rounded up to SMALL_ROUND bytes (the alignment cudaMalloc
   gives anyway); larger ones to a quarter of their power of two, wasting at most a fifth. */
constexpr int SMALL_ROUND = 512;
constexpr int SMALL_LIMIT_LOG2 = 20;
#define SMALL_LIMIT ((size_t)1 << SMALL_LIMIT_LOG2)
constexpr int NSMALL = (int)(SMALL_LIMIT / SMALL_ROUND);
/* Steps per power of two for large blocks, and the largest power a size_t block reaches. */
constexpr int LARGE_STEPS = 4;
constexpr int LARGE_STEPS_LOG2 = 2;
constexpr int MAX_LOG2 = 64;
constexpr int NBINS = NSMALL + 1 + (MAX_LOG2 - SMALL_LIMIT_LOG2) * LARGE_STEPS;
/* A collection is due after allocating this fraction of the GPU's memory since the last one:
   often enough that garbage does not fill the GPU, rarely enough to cost little. */
constexpr int COLLECT_FRACTION = 4;

/* One device buffer, cached or handed out (then it is the storage's owner handle). */
typedef struct Block {
    void *ptr;
    size_t size; /* the size class's bytes */
    int device;
    int bin;
    cudaStream_t stream; /* blocks are reused only on the stream they were used on */
    struct Block *next;  /* next cached block of the same bin */
} Block;

/* One GPU's cache and counters. */
typedef struct Pool {
    Block *bins[NBINS];
    int64_t allocated, reserved, peak;
    int64_t since_collect;   /* bytes handed out since the last collection */
    int64_t collect_every;   /* bytes after which a collection is due; 0 until measured */
} Pool;

static Pool pools[CU_MAX_DEVICES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The stream ctorch's ops run on: the legacy default stream, which orders them all. */
static const cudaStream_t OP_STREAM = 0;

/* The size class for nbytes: its bin, with the bytes it holds in *size. */
static int size_class(size_t nbytes, size_t *size) {
    if (nbytes <= SMALL_LIMIT) {
        size_t n = nbytes ? (nbytes + SMALL_ROUND - 1) / SMALL_ROUND : 1;
        *size = n * SMALL_ROUND;
        return (int)n - 1;
    }
    int e = 63 - __builtin_clzll((unsigned long long)(nbytes - 1)); /* 2^e < nbytes <= 2^(e+1) */
    size_t step = (size_t)1 << (e - LARGE_STEPS_LOG2);
    size_t q = (nbytes + step - 1) / step; /* LARGE_STEPS + 1 .. 2 * LARGE_STEPS */
    *size = q * step;
    return NSMALL + (e - SMALL_LIMIT_LOG2) * LARGE_STEPS + (int)(q - LARGE_STEPS - 1);
}

/* A cached block of bin on dev for the op stream, removed from the cache, or NULL. */
static Block *take_cached(int dev, int bin) {
    pthread_mutex_lock(&lock);
    Block **p = &pools[dev].bins[bin];
    while (*p && (*p)->stream != OP_STREAM) p = &(*p)->next;
    Block *b = *p;
    if (b) *p = b->next;
    pthread_mutex_unlock(&lock);
    return b;
}

/* Returns every cached block of dev to the driver (cudaFree waits for the GPU). */
static void release_cached(int dev) {
    pthread_mutex_lock(&lock);
    Pool *pool = &pools[dev];
    for (int i = 0; i < NBINS; i++) {
        while (pool->bins[i]) {
            Block *b = pool->bins[i];
            pool->bins[i] = b->next;
            cudaFree(b->ptr);
            pool->reserved -= (int64_t)b->size;
            free(b);
        }
    }
    pthread_mutex_unlock(&lock);
}

/* True (and the counter reset) when dev has handed out enough bytes that a collection is due. */
static bool collection_due(int dev) {
    Pool *pool = &pools[dev];
    pthread_mutex_lock(&lock);
    if (!pool->collect_every) {
        size_t free_bytes = 0, total = 0;
        if (cudaMemGetInfo(&free_bytes, &total) != cudaSuccess) cudaGetLastError();
        pool->collect_every = total ? (int64_t)(total / COLLECT_FRACTION) : INT64_MAX;
    }
    bool due = pool->since_collect >= pool->collect_every;
    if (due) pool->since_collect = 0;
    pthread_mutex_unlock(&lock);
    return due;
}

/* A new block from cudaMalloc, or NULL when the GPU is out of memory (other errors raise). */
static Block *fresh(int dev, size_t size, int bin) {
    void *ptr = NULL;
    cudaError_t e = cudaMalloc(&ptr, size);
    if (e == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        return NULL;
    }
    cu_check(e, "cudaMalloc");
    Block *b = (Block *)malloc(sizeof *b);
    if (!b) {
        cudaFree(ptr);
        cu_raise(T_ERR_OOM, "cuda allocator: out of host memory for a block record");
    }
    *b = (Block){ptr, size, dev, bin, OP_STREAM, NULL};
    pthread_mutex_lock(&lock);
    pools[dev].reserved += (int64_t)size;
    pthread_mutex_unlock(&lock);
    return b;
}

void *cu_alloc(size_t nbytes, Device device, void **owner) {
    cu_set_device(device);
    int dev = device - T_CUDA;
    size_t size;
    int bin = size_class(nbytes, &size);
    Block *b = take_cached(dev, bin);
    if (!b && collection_due(dev)) {
        cu_host->collect(); /* outside the lock: finalizers call cu_free */
        b = take_cached(dev, bin);
    }
    if (!b) b = fresh(dev, size, bin);
    if (!b) { /* out of memory: collect garbage, then give the cache back, then give up */
        cu_host->collect();
        b = take_cached(dev, bin);
        if (!b) {
            release_cached(dev);
            b = fresh(dev, size, bin);
        }
        if (!b) {
            CudaMemoryStats s = cu_memory_stats(dev);
            cu_raise(T_ERR_OOM, "cuda:%d is out of memory allocating %zu bytes (%lld bytes "
                     "allocated by tensors, %lld reserved); free tensors with t_free or let "
                     "them go out of reach", dev, nbytes, (long long)s.allocated,
                     (long long)s.reserved);
        }
    }
    pthread_mutex_lock(&lock);
    Pool *pool = &pools[dev];
    pool->allocated += (int64_t)b->size;
    pool->since_collect += (int64_t)b->size;
    if (pool->allocated > pool->peak) pool->peak = pool->allocated;
    pthread_mutex_unlock(&lock);
    *owner = b;
    return b->ptr;
}

void cu_free(void *owner) {
    Block *b = (Block *)owner;
    pthread_mutex_lock(&lock);
    Pool *pool = &pools[b->device];
    pool->allocated -= (int64_t)b->size;
    b->next = pool->bins[b->bin];
    pool->bins[b->bin] = b;
    pthread_mutex_unlock(&lock);
}

void cu_to_device(void *dst, const void *src, size_t nbytes, Device device) {
    cu_set_device(device);
    cu_check(cudaMemcpy(dst, src, nbytes, cudaMemcpyHostToDevice), "t_to (host to GPU)");
}

void cu_to_host(void *dst, const void *src, size_t nbytes, Device device) {
    cu_set_device(device);
    cu_check(cudaMemcpy(dst, src, nbytes, cudaMemcpyDeviceToHost), "t_to (GPU to host)");
}

void cu_synchronize(Device device) {
    cu_set_device(device);
    cu_check(cudaDeviceSynchronize(), "cuda_synchronize");
}

CudaMemoryStats cu_memory_stats(int index) {
    pthread_mutex_lock(&lock);
    Pool *pool = &pools[index];
    CudaMemoryStats s = {pool->allocated, pool->reserved, pool->peak};
    pthread_mutex_unlock(&lock);
    return s;
}
