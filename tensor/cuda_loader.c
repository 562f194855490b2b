/* cuda_loader.c — libctorch's side of the CUDA backend: finds libctorch-cuda.so, loads it with
   dlopen on the first CUDA use, registers its Backend when a GPU is present, and implements
   the public cuda_ functions on top of it (DESIGN.md, "CUDA"). One libctorch build runs on
   machines with and without a GPU: without the library or a driver, cuda_is_available() is
   false and CUDA ops raise DeviceError. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* The library's file name, and the environment variable that names another path for it. */
#define CUDA_LIB_NAME "libctorch-cuda.so"
#define CUDA_LIB_ENV "CTORCH_CUDA_LIB"
/* Where `make` puts the library; the Makefile defines it for this file. */
#ifndef CTORCH_CUDA_LIB_DIR
#define CTORCH_CUDA_LIB_DIR ""
#endif
/* Longest path tried for the library. */
enum { PATH_MAX_LEN = 4096 };
/* Longest list of places tried for the library, and longest explanation kept for why CUDA is
   unavailable (which quotes the list). */
enum { TRIED_MAX = 1024, REASON_MAX = 2 * TRIED_MAX };
/* Bytes in a MiB, for cuda_memory_summary. */
#define MIB (1024.0 * 1024.0)

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const CudaApi *api;          /* NULL when the library could not be loaded */
static int ndevices;                /* GPUs the library sees */
static char reason[REASON_MAX];     /* why ndevices is 0, or "" */

/* A full collection, then the finalizers it found: unreachable device storages go back to
   the CUDA cache. */
static void host_collect(void) {
    GC_gcollect();
    GC_invoke_finalizers();
}

static const CudaHost host = {
    .raise = t_raise,
    .gc_alloc_atomic = t_gc_alloc_atomic,
    .collect = host_collect,
};

/* Appends s to the NUL-terminated text in buf (cap bytes), cutting it where buf is full. */
static void append(char *buf, size_t cap, const char *s) {
    size_t len = strlen(buf), n = strlen(s);
    if (len + 1 >= cap) return;
    if (n > cap - len - 1) n = cap - len - 1;
    memcpy(buf + len, s, n);
    buf[len + n] = '\0';
}

/* dlopen's handle for the library at path, or NULL with the loader's message appended to
   tried (the places looked in, for the DeviceError message). */
static void *try_open(const char *path, char *tried, size_t cap) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *err = dlerror();
        if (*tried) append(tried, cap, "; ");
        append(tried, cap, err ? err : path);
    }
    return h;
}

/* Opens the library: $CTORCH_CUDA_LIB, else next to the file libctorch lives in (the .so or
   the program linking it statically) or in ../lib from it, else the build directory. */
static void *open_library(char *tried, size_t cap) {
    const char *env = getenv(CUDA_LIB_ENV);
    if (env && *env) return try_open(env, tried, cap);
    char path[PATH_MAX_LEN];
    Dl_info info;
    if (dladdr((void *)cuda_is_available, &info) && info.dli_fname) {
        const char *slash = strrchr(info.dli_fname, '/');
        int dir = slash ? (int)(slash - info.dli_fname) : 0;
        const char *sub[] = {"", "/../lib"};
        for (size_t i = 0; i < sizeof sub / sizeof *sub; i++) {
            snprintf(path, sizeof path, "%.*s%s/%s", dir, slash ? info.dli_fname : ".", sub[i],
                     CUDA_LIB_NAME);
            void *h = try_open(path, tried, cap);
            if (h) return h;
        }
    }
    if (*CTORCH_CUDA_LIB_DIR) {
        snprintf(path, sizeof path, "%s/%s", CTORCH_CUDA_LIB_DIR, CUDA_LIB_NAME);
        return try_open(path, tried, cap);
    }
    return NULL;
}

/* The index of the first primitive b leaves NULL, or -1 when it fills them all. Every member
   after the name is a function pointer, so a library built before a primitive was added to
   Backend is refused instead of crashing on the first use of that primitive. */
static int missing_primitive(const Backend *b) {
    typedef void (*AnyFn)(void);
    const char *base = (const char *)b;
    size_t first = offsetof(Backend, unary);
    for (size_t off = first; off + sizeof(AnyFn) <= sizeof *b; off += sizeof(AnyFn)) {
        AnyFn fn;
        memcpy(&fn, base + off, sizeof fn);
        if (!fn) return (int)((off - first) / sizeof(AnyFn));
    }
    return -1;
}

/* Loads the library and asks it for devices; runs once per process. */
static void load(void) {
    char tried[TRIED_MAX] = "";
    void *h = open_library(tried, sizeof tried);
    if (!h) {
        snprintf(reason, sizeof reason, "the CUDA backend %s could not be loaded (%s)",
                 CUDA_LIB_NAME, tried);
        return;
    }
    CudaEntry entry = (CudaEntry)dlsym(h, CTORCH_CUDA_ENTRY);
    const CudaApi *a = entry ? entry(&host) : NULL;
    if (!a || a->abi_version != CTORCH_CUDA_ABI) {
        snprintf(reason, sizeof reason, "%s is not a ctorch CUDA backend of this version "
                 "(expected interface %d)", CUDA_LIB_NAME, CTORCH_CUDA_ABI);
        return;
    }
    api = a; /* NVRTC works even when the GPU side cannot */
    if (api->backend_size != sizeof(Backend)) {
        snprintf(reason, sizeof reason, "%s was built for another version of libctorch's "
                 "primitives (Backend of %zu bytes, expected %zu); rebuild it", CUDA_LIB_NAME,
                 api->backend_size, sizeof(Backend));
        return;
    }
    int missing = missing_primitive(api->backend);
    if (missing >= 0) {
        snprintf(reason, sizeof reason, "%s does not implement every primitive (Backend "
                 "function %d is missing); rebuild it", CUDA_LIB_NAME, missing);
        return;
    }
    ndevices = api->device_count();
    if (ndevices > 0) t_register_cuda_backend(api->backend);
    else snprintf(reason, sizeof reason, "%s", api->unavailable_reason());
}

bool t_cuda_try_load(void) {
    pthread_once(&load_once, load);
    return ndevices > 0;
}

const char *t_cuda_unavailable_reason(void) {
    t_cuda_try_load();
    return reason;
}

/* The loaded library, for functions that work without a GPU (NVRTC); DeviceError without it. */
static const CudaApi *need_library(const char *op) {
    t_cuda_try_load();
    if (!api) t_raise(T_ERR_DEVICE, "%s: %s", op, reason);
    return api;
}

/* Raises DeviceError unless a GPU can be used. */
static void need_device(const char *op) {
    if (!t_cuda_try_load())
        t_raise(T_ERR_DEVICE, "%s: CUDA is not available on this machine (%s)", op, reason);
}

bool cuda_is_available(void) { return t_cuda_try_load(); }

int cuda_device_count(void) {
    t_cuda_try_load();
    return ndevices;
}

/* Raises unless i names a GPU. */
static void check_index(const char *op, int i) {
    need_device(op);
    if (i < 0 || i >= ndevices)
        t_raise(T_ERR_INDEX, "%s: GPU %d does not exist; this machine has %d (0 to %d)", op, i,
                ndevices, ndevices - 1);
}

const char *cuda_device_name(int i) {
    check_index("cuda_device_name", i);
    return api->device_name(i);
}

void cuda_synchronize(void) {
    need_device("cuda_synchronize");
    for (int i = 0; i < ndevices; i++) api->backend->synchronize(T_CUDA_N(i));
}

CudaMemoryStats cuda_memory_stats(int device) {
    check_index("cuda_memory_stats", device);
    return api->memory_stats(device);
}

const char *cuda_memory_summary(void) {
    if (!t_cuda_try_load()) return t_gc_sprintf("CUDA is not available: %s", reason);
    TBuf b = {0};
    for (int i = 0; i < ndevices; i++) {
        CudaMemoryStats s = api->memory_stats(i);
        t_buf_printf(&b, "cuda:%d (%s): allocated %lld bytes (%.2f MiB), reserved %lld bytes "
                     "(%.2f MiB), peak %lld bytes (%.2f MiB)\n", i, api->device_name(i),
                     (long long)s.allocated, s.allocated / MIB, (long long)s.reserved,
                     s.reserved / MIB, (long long)s.peak, s.peak / MIB);
    }
    return b.data;
}

CudaModule *cuda_compile(const char *source, const char *name, const char **log) {
    if (!source) t_raise(T_ERR_VALUE, "cuda_compile: source is NULL");
    return need_library("cuda_compile")->compile(source, name ? name : "cuda", log);
}

const char *cuda_module_ptx(const CudaModule *m) {
    if (!m) t_raise(T_ERR_VALUE, "cuda_module_ptx: module is NULL");
    return need_library("cuda_module_ptx")->module_ptx(m);
}

const char *cuda_module_kernel(const CudaModule *m, int i) {
    if (!m) t_raise(T_ERR_VALUE, "cuda_module_kernel: module is NULL");
    return need_library("cuda_module_kernel")->module_kernel(m, i);
}

void cuda_launch_args(const char *kernel, CudaDim grid, CudaDim block, size_t shared_bytes,
                      int nargs, const CudaArg *args) {
    if (!kernel) t_raise(T_ERR_VALUE, "cuda_launch: kernel name is NULL");
    if (nargs < 0 || (nargs > 0 && !args))
        t_raise(T_ERR_VALUE, "cuda_launch: %d arguments given with %s array", nargs,
                args ? "an" : "no");
    need_device("cuda_launch");
    api->launch(kernel, grid, block, shared_bytes, nargs, args);
}

CudaArg cuda_arg_tensor(Tensor *t) { return (CudaArg){CUDA_ARG_TENSOR, {.t = t}}; }
CudaArg cuda_arg_i32(int32_t v) { return (CudaArg){CUDA_ARG_I32, {.i32 = v}}; }
CudaArg cuda_arg_i64(int64_t v) { return (CudaArg){CUDA_ARG_I64, {.i64 = v}}; }
CudaArg cuda_arg_f32(float v) { return (CudaArg){CUDA_ARG_F32, {.f32 = v}}; }
CudaArg cuda_arg_f64(double v) { return (CudaArg){CUDA_ARG_F64, {.f64 = v}}; }
CudaArg cuda_arg_bool(bool v) { return (CudaArg){CUDA_ARG_BOOL, {.b = v}}; }
CudaArg cuda_arg_ptr(const void *p) { return (CudaArg){CUDA_ARG_PTR, {.ptr = (void *)p}}; }
