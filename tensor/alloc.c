/* alloc.c — tensors, storages and strings in collected memory (see DESIGN.md, "Memory"). */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

/* Tensors of at most this many bytes keep their elements inside the storage block: the scan
   of a few stray words costs less than a second allocation. Also the room an empty tensor
   gets, so that it still has a distinct, live pointer. */
enum { INLINE_DATA_BYTES = 64 };

/* Blocks this large are allocated "ignore off page": the collector then needs a pointer to
   their first page only, which keeps big tensors from being retained by stray words. */
enum { LARGE_BLOCK_BYTES = 64 * 1024 };

/* The collector's starting heap. Its default (64 KiB) makes a loop of small ops collect every
   few hundred allocations; with this much room it collects a few hundred times less often
   (measured: a 4-element add went from 1.16 to 0.75 us). */
#define INITIAL_HEAP_BYTES ((size_t)32 << 20)

static void prefault_heap(void);
static void cache_init(void);

/* A collection walks every block of the heap, whatever is alive: with a heap grown to 600 MB
   by large tensors it took 1.1-1.9 ms, while the collector, judging by the few megabytes
   alive, started one after every 3 MB allocated; a loop of small ops then spent two thirds
   of its time collecting. So at least this share of the heap is allocated between two
   collections. */
enum { COLLECT_AFTER_HEAP_SHARE = 16 };

/* The collector's call when the heap grows (the lock held: it may call nothing that locks). */
static void GC_CALLBACK heap_resized(GC_word heap_bytes) {
    GC_set_min_bytes_allocd(heap_bytes / COLLECT_AFTER_HEAP_SHARE + 1);
}

__attribute__((constructor)) static void t_gc_init(void) {
    GC_set_all_interior_pointers(1); /* the default; small tensors' storages depend on it */
    /* Never hand free heap blocks back to the system (unless the user asks): the collector
       would unmap the room freed by big tensors and map it again, page by page, for the small
       ones that follow (measured: a 4-element add went from 0.13 to 1 us after a few 16M-element
       ops). Read by the collector when it starts. */
    setenv("GC_UNMAP_THRESHOLD", "0", 0);
    GC_INIT();
    GC_set_on_heap_resize(heap_resized);
    GC_expand_hp(INITIAL_HEAP_BYTES);
    prefault_heap();
    cache_init();
}

/* The collector hands a heap block back to its free store whenever a collection finds it
   empty, and carving a block out again costs a walk over its lists of free runs, one per run
   length: about 2,000 instructions a block. In a loop of small ops every tensor dies young,
   every block empties, and that walk was 150 of the ~940 instructions of a 4-element add.
   So the first object of each block of small objects is pinned here, not handed out:
   the block always holds a live object, and the collector sweeps it in place just before
   its next use instead of handing it back. At most twice the starting heap's worth of blocks
   is held this way (a loop of small ops fills the starting heap, and a little more, between
   its first collections); past that, blocks come and go as before.
   A large block of tensor data (t_gc_alloc_atomic, the only large allocations ops make) lets
   every pin go: pinned blocks lie all over the heap, and held for good they would split the
   free runs that large tensors need (measured: a training step that followed a loop of small
   ops ran 2-3 times slower). */
enum { GC_BLOCK_BYTES = 4096, PIN_MAX_BLOCKS = 2 * INITIAL_HEAP_BYTES / GC_BLOCK_BYTES };
/* Objects this small are many to a block, so that a pin costs a small share of it. */
enum { PIN_MAX_OBJECT_BYTES = 512 };
/* Scanned by the collector, as all static data. Volatile: nothing here reads it back, and the
   compiler would otherwise drop the stores. */
static void *volatile pins[PIN_MAX_BLOCKS];
static size_t npins;

/* Pins p when it is the first object of its block and there is room left; whether it did. */
static bool pin_block(void *p) {
    if (((uintptr_t)p & (GC_BLOCK_BYTES - 1)) != 0 ||
        __atomic_load_n(&npins, __ATOMIC_RELAXED) >= PIN_MAX_BLOCKS)
        return false;
    size_t at = __atomic_fetch_add(&npins, 1, __ATOMIC_RELAXED);
    if (at >= PIN_MAX_BLOCKS) return false;
    pins[at] = p;
    return true;
}

/* Lets every pinned block go: the collector frees those that hold nothing else. */
static void release_pins(void) {
    size_t n = __atomic_exchange_n(&npins, 0, __ATOMIC_RELAXED);
    if (n > PIN_MAX_BLOCKS) n = PIN_MAX_BLOCKS;
    for (size_t i = 0; i < n; i++) pins[i] = NULL;
}

/* Each thread's own lists of free small objects, one per size. Through the collector's
   allocation call, an object cost about 85 instructions (a thread-local lookup through its
   library, then its free lists); taking a block's worth at once (GC_malloc_many) and handing
   the objects out from here, about 50. The lists hang from static data, which the collector
   scans, so the objects waiting on them stay allocated; each holds at most a block's worth.
   A thread takes a row when it first allocates and gives it back when it ends; past
   CACHE_THREADS threads at once, the rest allocate from the collector directly. */
enum { GRANULE_BYTES = 16, CACHE_SIZES = PIN_MAX_OBJECT_BYTES / GRANULE_BYTES + 2 };
enum { CACHE_THREADS = 64 };
static void *volatile cache[CACHE_THREADS][CACHE_SIZES];
static bool cache_row_taken[CACHE_THREADS];
static __thread int cache_row = -1; /* -1: none taken yet; CACHE_THREADS: none left */
static pthread_key_t cache_row_key;  /* its value: the row + 1, for the release at exit */

/* At a thread's end: its waiting objects become garbage, and its row free. */
static void cache_row_release(void *row_plus_1) {
    int row = (int)(intptr_t)row_plus_1 - 1;
    for (int g = 0; g < CACHE_SIZES; g++) cache[row][g] = NULL;
    __atomic_store_n(&cache_row_taken[row], false, __ATOMIC_RELEASE);
}

static void cache_init(void) {
    if (pthread_key_create(&cache_row_key, cache_row_release) != 0) cache_row = CACHE_THREADS;
}

/* The calling thread's row, taken now if it has none. */
static int cache_row_take(void) {
    for (int row = 0; row < CACHE_THREADS; row++)
        if (!__atomic_exchange_n(&cache_row_taken[row], true, __ATOMIC_ACQUIRE)) {
            if (pthread_setspecific(cache_row_key, (void *)(intptr_t)(row + 1)) != 0) {
                __atomic_store_n(&cache_row_taken[row], false, __ATOMIC_RELEASE);
                break;
            }
            return cache_row = row;
        }
    return cache_row = CACHE_THREADS;
}

/* A zeroed, scanned object of at most PIN_MAX_OBJECT_BYTES bytes, or NULL when memory ran out.
   Objects of g granules are asked for as g * GRANULE_BYTES - 1 bytes: the collector adds one
   byte (so that a pointer just past the end still points into the object), and that request
   is then exactly g granules. */
static void *cached_alloc(size_t nbytes) {
    int row = cache_row >= 0 ? cache_row : cache_row_take();
    if (row == CACHE_THREADS) return GC_MALLOC(nbytes);
    size_t g = (nbytes + GRANULE_BYTES) / GRANULE_BYTES;
    void *p = cache[row][g];
    if (!p && !(p = GC_malloc_many(g * GRANULE_BYTES - 1))) return NULL;
    cache[row][g] = GC_NEXT(p);
    GC_NEXT(p) = NULL; /* the list's link: the rest of the object is zeroed already */
    return p;
}

void *t_gc_alloc(size_t nbytes) {
    void *p;
    if (nbytes > PIN_MAX_OBJECT_BYTES) p = GC_MALLOC(nbytes);
    else if ((p = cached_alloc(nbytes)) && pin_block(p)) p = cached_alloc(nbytes);
    if (!p) t_raise(T_ERR_OOM, "out of memory allocating %zu bytes", nbytes);
    return p;
}

/* Tensors this large ask the kernel for huge pages (where it gives them on request, as
   Debian's default "madvise" setting does), so that a pass over them takes fewer TLB misses. */
#define HUGE_PAGE_BYTES ((uintptr_t)2 << 20)
#define HUGE_PAGE_MIN_BYTES ((size_t)8 << 20)
/* The smallest page the kernel maps. */
#define SMALL_PAGE_BYTES ((size_t)4096)

/* Asks for huge pages over the 2 MiB-aligned part of [p, p + nbytes). */
static void advise_huge_pages(void *p, size_t nbytes) {
    uintptr_t begin = ((uintptr_t)p + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
    uintptr_t end = ((uintptr_t)p + nbytes) & ~(HUGE_PAGE_BYTES - 1);
    if (end > begin) madvise((void *)begin, end - begin, MADV_HUGEPAGE); /* a hint: may fail */
}

/* Touches the starting heap once, in huge pages where the kernel gives them: until the
   collector has gone round it, every new page of small tensors would otherwise cost a page
   fault (measured: a 4-element add took 0.35 us, not 0.15, for its first 120,000 calls).
   Done by taking the heap as one block, writing a byte of each page and handing it back. */
static void prefault_heap(void) {
    size_t nbytes = INITIAL_HEAP_BYTES - ((size_t)1 << 20); /* room for the collector's headers */
    volatile char *p = GC_MALLOC_ATOMIC_IGNORE_OFF_PAGE(nbytes);
    if (!p) return;
    advise_huge_pages((void *)p, nbytes);
    for (size_t at = 0; at < nbytes; at += SMALL_PAGE_BYTES) p[at] = 0;
    GC_FREE((void *)p);
}

void *t_gc_alloc_atomic(size_t nbytes) {
    if (nbytes >= LARGE_BLOCK_BYTES && __atomic_load_n(&npins, __ATOMIC_RELAXED)) release_pins();
    void *p = nbytes >= LARGE_BLOCK_BYTES ? GC_MALLOC_ATOMIC_IGNORE_OFF_PAGE(nbytes)
                                          : GC_MALLOC_ATOMIC(nbytes);
    if (!p) t_raise(T_ERR_OOM, "out of memory allocating %zu bytes of tensor data", nbytes);
    if (nbytes >= HUGE_PAGE_MIN_BYTES) advise_huge_pages(p, nbytes);
    return p;
}

char *t_gc_sprintf(const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = t_gc_alloc_atomic((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

/* A small CPU tensor in one block: header, storage and elements (one allocation, not three;
   views keep the block alive through its storage, an interior pointer the collector follows).
   The block is only as long as its elements need: the collector's cost per object (clearing
   it when it dies, the cache lines it takes) grows with its size. */
typedef struct SmallTensor {
    Tensor t;
    Storage s;
    char data[];
} SmallTensor;

/* Bytes every inline element area gets at least, so that an empty tensor's data pointer
   still points into its own block. */
enum { INLINE_MIN_BYTES = 16 };

/* The element bytes an inline storage of nbytes is given. */
static size_t inline_bytes(size_t nbytes) { return nbytes > INLINE_MIN_BYTES ? nbytes : INLINE_MIN_BYTES; }

/* Whether s keeps its elements in its own block. */
static bool inline_data(const Storage *s) { return s->data == (const char *)s + sizeof *s; }

Storage *t_storage_new(size_t nbytes, Device device) {
    if (device != T_CPU) {
        extern Storage *t_device_storage_new(size_t nbytes, Device device);
        return t_device_storage_new(nbytes, device);
    }
    Storage *s;
    if (nbytes <= INLINE_DATA_BYTES) {
        s = t_gc_alloc(sizeof *s + inline_bytes(nbytes));
        s->data = (char *)s + sizeof *s;
    } else {
        s = t_gc_alloc(sizeof *s);
        s->data = t_gc_alloc_atomic(nbytes);
    }
    s->nbytes = nbytes;
    s->device = T_CPU;
    return s;
}

Tensor *t_new(Shape shape, DType dtype, Device device) {
    int64_t numel = t_shape_numel("t_empty", shape);
    if ((unsigned)dtype >= T_NDTYPES) t_raise(T_ERR_DTYPE, "unknown dtype %d", (int)dtype);
    if (numel > (int64_t)(SIZE_MAX / 2 / t_dtype_size(dtype)))
        t_raise(T_ERR_VALUE, "a tensor of shape %s is too large", t_shape_str(shape));
    return t_new_sized(shape.ndim, shape.d, dtype, device);
}

Tensor *t_new_sized(int ndim, const int64_t *size, DType dtype, Device device) {
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++) numel *= size[i];
    /* an expanded view's count, say; the first test folds to a constant and settles most */
    if ((uint64_t)numel > SIZE_MAX / 2 / 8 && (uint64_t)numel > SIZE_MAX / 2 / t_esize(dtype))
        t_raise(T_ERR_VALUE, "a tensor of %lld elements of %s is too large", (long long)numel,
                t_dtype_name(dtype));
    size_t nbytes = (size_t)numel * t_esize(dtype);
    Tensor *t;
    if (device == T_CPU && nbytes <= INLINE_DATA_BYTES) {
        SmallTensor *b = t_gc_alloc(sizeof *b + inline_bytes(nbytes));
        b->s.data = b->data;
        b->s.nbytes = nbytes;
        b->s.device = T_CPU;
        t = &b->t;
        t->storage = &b->s;
    } else {
        t = t_gc_alloc(sizeof *t);
        t->storage = t_storage_new(nbytes, device);
    }
    t_init_contiguous(t, ndim, size, dtype, device);
    return t;
}

void t_init_contiguous(Tensor *t, int ndim, const int64_t *size, DType dtype, Device device) {
    t->dtype = dtype;
    t->device = device;
    t->ndim = ndim;
    int64_t stride = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        t->size[i] = size[i];
        t->stride[i] = stride;
        stride *= size[i] > 1 ? size[i] : 1;
    }
}

Tensor *t_make_view(const Tensor *x, int ndim, const int64_t *size, const int64_t *stride,
                    int64_t offset) {
    Tensor *t = t_gc_alloc(sizeof *t);
    t->dtype = x->dtype;
    t->device = x->device;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        t->size[i] = size[i];
        t->stride[i] = stride[i];
    }
    t->offset = offset;
    t->storage = x->storage;
    t->base = x->base ? x->base : (Tensor *)x;
    return t;
}

void t_free(Tensor *x) {
    if (!x) return; /* like free(NULL) */
    Storage *s = x->storage;
    if (!s || !s->data) return;
    if (s->device != T_CPU) {
        extern void t_device_storage_free(Storage *s);
        t_device_storage_free(s);
    } else if (!s->external && !inline_data(s)) {
        GC_FREE(s->data);
    }
    s->data = NULL;
    s->nbytes = 0;
}
