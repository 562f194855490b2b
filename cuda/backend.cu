/*
 * backend.cu — libctorch-cuda.so's entry point and the CUDA primitive table: errors raised
 * through libctorch, the current device, and the device facts (count, names). The library
 * loads without a driver: only calls that touch a GPU fail, so NVRTC works everywhere.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_internal.h"

const CudaHost *cu_host;
bool cu_sync_each_op;

/* Longest message cu_raise formats (libctorch keeps T_ERR_MSG_MAX of it). */
constexpr int MSG_MAX = T_ERR_MSG_MAX;
/* The driver library the CUDA runtime loads. */
#define DRIVER_LIB "libcuda.so.1"
/* Longest device name kept (cudaDeviceProp's own limit). */
constexpr int NAME_MAX_LEN = 256;

[[noreturn]] void cu_raise(TErrorKind kind, const char *fmt, ...) {
    char msg[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cu_host->raise(kind, "%s", msg);
    abort(); /* t_raise never returns */
}

void cu_check(cudaError_t e, const char *op) {
    if (e == cudaSuccess) return;
    cudaGetLastError(); /* clear it, so the next op does not report it again */
    if (e == cudaErrorMemoryAllocation)
        cu_raise(T_ERR_OOM, "%s: out of GPU memory (%s)", op, cudaGetErrorString(e));
    cu_raise(T_ERR_DEVICE, "%s: CUDA error: %s (%s)", op, cudaGetErrorString(e),
             cudaGetErrorName(e));
}

void cu_launched(const char *op) {
    cu_check(cudaGetLastError(), op);
    if (cu_sync_each_op) cu_check(cudaDeviceSynchronize(), op);
}

const char *cu_dtype_name(DType d) {
    static const char *const names[T_NDTYPES] = {"float32", "float64", "int64",
                                                 "int32",   "uint8",   "bool"};
    return (unsigned)d < T_NDTYPES ? names[d] : "unknown";
}

static int ndevices = -1;
static char unavailable[MSG_MAX];

int cu_device_count(void) {
    if (ndevices >= 0) return ndevices;
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        /* the runtime reports a missing driver as an insufficient one: tell them apart */
        void *driver = dlopen(DRIVER_LIB, RTLD_LAZY | RTLD_LOCAL);
        if (!driver)
            snprintf(unavailable, sizeof unavailable, "no CUDA driver is installed (%s not "
                     "found)", DRIVER_LIB);
        else
            snprintf(unavailable, sizeof unavailable, "no usable CUDA driver or GPU (%s)",
                     cudaGetErrorString(e));
        if (driver) dlclose(driver);
        cudaGetLastError();
        n = 0;
    } else if (n == 0) {
        snprintf(unavailable, sizeof unavailable, "the CUDA driver reports no GPU");
    }
    ndevices = n < CU_MAX_DEVICES ? n : CU_MAX_DEVICES;
    return ndevices;
}

static const char *unavailable_reason(void) {
    cu_device_count();
    return unavailable;
}

/* The device the calling thread last made current, to skip redundant cudaSetDevice calls. */
static thread_local int current_device = -1;

void cu_set_device(Device device) {
    int i = device - T_CUDA;
    if (i < 0 || i >= cu_device_count())
        cu_raise(T_ERR_DEVICE, "cuda:%d does not exist; this machine has %d GPU%s", i,
                 cu_device_count(), cu_device_count() == 1 ? "" : "s");
    if (i == current_device) return;
    cu_check(cudaSetDevice(i), "cudaSetDevice");
    current_device = i;
}

static const char *device_name(int index) {
    static char names[CU_MAX_DEVICES][NAME_MAX_LEN];
    if (index < 0 || index >= cu_device_count())
        cu_raise(T_ERR_INDEX, "cuda_device_name: GPU %d does not exist", index);
    if (!names[index][0]) {
        cudaDeviceProp prop;
        cu_check(cudaGetDeviceProperties(&prop, index), "cudaGetDeviceProperties");
        snprintf(names[index], NAME_MAX_LEN, "%s", prop.name);
    }
    return names[index];
}

static const Backend cuda_backend = {
    .name = "cuda",
    .unary = cu_unary,
    .binary = cu_binary,
    .where = cu_where,
    .axpby = cu_axpby,
    .copy = cu_copy,
    .fill = cu_fill,
    .reduce = cu_reduce,
    .softmax = cu_softmax,
    .matmul = cu_matmul,
    .random = cu_random,
    .gather = cu_gather,
    .scatter = cu_scatter,
    .index_select = cu_index_select,
    .im2col = cu_im2col,
    .col2im = cu_col2im,
    .maxpool2d = cu_maxpool2d,
    .maxpool2d_backward = cu_maxpool2d_backward,
    .gelu = cu_gelu,
    .alloc = cu_alloc,
    .free = cu_free,
    .to_device = cu_to_device,
    .to_host = cu_to_host,
    .synchronize = cu_synchronize,
};

static const CudaApi cuda_api = {
    .abi_version = CTORCH_CUDA_ABI,
    .backend_size = sizeof(Backend),
    .backend = &cuda_backend,
    .device_count = cu_device_count,
    .unavailable_reason = unavailable_reason,
    .device_name = device_name,
    .memory_stats = cu_memory_stats,
    .compile = cu_compile,
    .module_ptx = cu_module_ptx,
    .module_kernel = cu_module_kernel,
    .launch = cu_launch,
};

/* The library's one export: libctorch hands over its callbacks and receives the table. */
extern "C" __attribute__((visibility("default"))) const CudaApi *
ctorch_cuda_entry(const CudaHost *host) {
    cu_host = host;
    const char *sync = getenv("CTORCH_CUDA_SYNC");
    cu_sync_each_op = sync && strcmp(sync, "1") == 0;
    return &cuda_api;
}
