/*
 * launch.cu — cuda_launch: runs kernels that cuda_compile registered, on tensors' device
 * pointers, through the driver API (cuModuleLoadData, cuLaunchKernel). The driver's entry
 * points come from the runtime (cudaGetDriverEntryPointByVersion), so the library never links
 * libcuda and still loads on machines without one. Modules load on a GPU when one of their
 * kernels first runs there, and stay loaded for the life of the process, as kernels stay across cells.
 */
#include <cuda.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_internal.h"

/* The driver API version whose function signatures are used below (CUDA 12.0; the parameter
   query needs 12.4 and is skipped when the driver lacks it). */
constexpr unsigned DRIVER_API_VERSION = 12000;
constexpr unsigned PARAM_INFO_VERSION = 12040;

/* Driver functions, fetched on first launch. */
static struct {
    bool ready;
    decltype(&cuModuleLoadData) module_load;
    decltype(&cuModuleGetFunction) get_function;
    decltype(&cuLaunchKernel) launch;
    decltype(&cuGetErrorString) error_string;
    decltype(&cuFuncGetParamInfo) param_info; /* NULL with a driver older than 12.4 */
} drv;

/* One launchable kernel: the module holding it and its PTX name; its function per device. */
typedef struct Kernel {
    const char *name;
    CudaModule *module;
    const char *mangled;
    CUfunction fn[CU_MAX_DEVICES];
} Kernel;

static Kernel *kernels;
static int nkernels, kernels_cap;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void cu_register_module(CudaModule *m) {
    pthread_mutex_lock(&lock);
    for (int i = 0; i < m->nkernels; i++) {
        int at = 0;
        while (at < nkernels && strcmp(kernels[at].name, m->names[i]) != 0) at++;
        if (at == nkernels) {
            if (nkernels == kernels_cap) {
                int cap = kernels_cap ? kernels_cap * 2 : 16;
                Kernel *k = (Kernel *)realloc(kernels, sizeof *k * (size_t)cap);
                if (!k) {
                    pthread_mutex_unlock(&lock);
                    cu_raise(T_ERR_OOM, "cuda_compile: out of host memory");
                }
                kernels = k;
                kernels_cap = cap;
            }
            nkernels++;
        }
        kernels[at] = (Kernel){m->names[i], m, m->mangled[i], {}};
    }
    pthread_mutex_unlock(&lock);
}

/* One driver entry point by name, or NULL. */
static void *entry_point(const char *symbol, unsigned version) {
    void *fn = NULL;
    cudaDriverEntryPointQueryResult status;
    if (cudaGetDriverEntryPointByVersion(symbol, &fn, version, cudaEnableDefault, &status) !=
            cudaSuccess || status != cudaDriverEntryPointSuccess) {
        cudaGetLastError();
        return NULL;
    }
    return fn;
}

/* Fetches the driver functions once; DeviceError when the driver lacks them. */
static void load_driver(void) {
    if (drv.ready) return;
    drv.module_load = (decltype(drv.module_load))entry_point("cuModuleLoadData", DRIVER_API_VERSION);
    drv.get_function = (decltype(drv.get_function))entry_point("cuModuleGetFunction", DRIVER_API_VERSION);
    drv.launch = (decltype(drv.launch))entry_point("cuLaunchKernel", DRIVER_API_VERSION);
    drv.error_string = (decltype(drv.error_string))entry_point("cuGetErrorString", DRIVER_API_VERSION);
    drv.param_info = (decltype(drv.param_info))entry_point("cuFuncGetParamInfo", PARAM_INFO_VERSION);
    if (!drv.module_load || !drv.get_function || !drv.launch || !drv.error_string)
        cu_raise(T_ERR_DEVICE, "cuda_launch: the CUDA driver does not provide the module API");
    drv.ready = true;
}

/* Raises DeviceError naming what failed unless r is success. */
static void check_driver(CUresult r, const char *what, const char *kernel) {
    if (r == CUDA_SUCCESS) return;
    const char *msg = NULL;
    drv.error_string(r, &msg);
    cu_raise(r == CUDA_ERROR_OUT_OF_MEMORY ? T_ERR_OOM : T_ERR_DEVICE, "cuda_launch(\"%s\"): %s: %s",
             kernel, what, msg ? msg : "unknown CUDA driver error");
}

/* The kernel named name (its plain or PTX name) loaded on device dev. */
static CUfunction find_function(const char *name, int dev) {
    pthread_mutex_lock(&lock);
    int at = nkernels - 1;
    while (at >= 0 && strcmp(kernels[at].name, name) != 0 && strcmp(kernels[at].mangled, name) != 0)
        at--;
    Kernel found = at >= 0 ? kernels[at] : Kernel{};
    pthread_mutex_unlock(&lock);
    if (at < 0)
        cu_raise(T_ERR_VALUE, "cuda_launch: no kernel named \"%s\"; compile it first with "
                 "cuda_compile (a %%%%cuda cell)", name);
    if (found.fn[dev]) return found.fn[dev];
    CudaModule *m = found.module;
    if (!m->loaded[dev]) {
        CUmodule mod;
        check_driver(drv.module_load(&mod, m->ptx), "loading the module", name);
        m->loaded[dev] = mod;
    }
    CUfunction fn;
    check_driver(drv.get_function(&fn, (CUmodule)m->loaded[dev], found.mangled), "finding the kernel", name);
    pthread_mutex_lock(&lock); /* remember it, unless a newer compile replaced the kernel */
    if (at < nkernels && kernels[at].module == m && kernels[at].mangled == found.mangled)
        kernels[at].fn[dev] = fn;
    pthread_mutex_unlock(&lock);
    return fn;
}

/* Bytes an argument occupies in the kernel's parameter list, and what to call it. */
static size_t arg_size(const CudaArg *a, const char **what) {
    static const struct { size_t size; const char *what; } info[] = {
        [CUDA_ARG_TENSOR] = {sizeof(void *), "a tensor (pointer)"},
        [CUDA_ARG_I32] = {sizeof(int32_t), "an int"},
        [CUDA_ARG_I64] = {sizeof(int64_t), "an int64"},
        [CUDA_ARG_F32] = {sizeof(float), "a float"},
        [CUDA_ARG_F64] = {sizeof(double), "a double"},
        [CUDA_ARG_BOOL] = {sizeof(bool), "a bool"},
        [CUDA_ARG_PTR] = {sizeof(void *), "a pointer"},
    };
    if ((unsigned)a->kind > CUDA_ARG_PTR) cu_raise(T_ERR_VALUE, "cuda_launch: unknown argument kind %d", (int)a->kind);
    *what = info[a->kind].what;
    return info[a->kind].size;
}

/* Checks the arguments' number and sizes against the kernel's parameters (when the driver
   can tell them). */
static void check_params(CUfunction fn, const char *name, int nargs, const CudaArg *args) {
    if (!drv.param_info) return;
    int nparams = 0;
    size_t offset, size;
    while (drv.param_info(fn, (size_t)nparams, &offset, &size) == CUDA_SUCCESS) {
        if (nparams < nargs) {
            const char *what;
            size_t given = arg_size(&args[nparams], &what);
            if (given != size)
                cu_raise(T_ERR_VALUE, "cuda_launch(\"%s\"): parameter %d takes %zu bytes, but "
                         "%s (%zu bytes) was given", name, nparams, size, what, given);
        }
        nparams++;
    }
    if (nparams != nargs)
        cu_raise(T_ERR_VALUE, "cuda_launch(\"%s\"): the kernel takes %d argument%s, %d given",
                 name, nparams, nparams == 1 ? "" : "s", nargs);
}

/* The GPU of the tensor arguments (which must share one and be alive), or the first GPU. */
static Device launch_device(const char *name, int nargs, const CudaArg *args) {
    Device dev = -1;
    for (int i = 0; i < nargs; i++) {
        if (args[i].kind != CUDA_ARG_TENSOR) continue;
        const Tensor *t = args[i].v.t;
        if (!t || !t->storage || !t->storage->data)
            cu_raise(T_ERR_VALUE, "cuda_launch(\"%s\"): argument %d is a NULL or freed tensor", name, i);
        if (t->device == T_CPU)
            cu_raise(T_ERR_DEVICE, "cuda_launch(\"%s\"): argument %d is a tensor on the cpu; "
                     "move it with t_to(x, T_CUDA)", name, i);
        if (dev >= 0 && t->device != dev)
            cu_raise(T_ERR_DEVICE, "cuda_launch(\"%s\"): tensors on cuda:%d and cuda:%d", name,
                     dev - T_CUDA, t->device - T_CUDA);
        dev = t->device;
    }
    return dev >= 0 ? dev : T_CUDA;
}

void cu_launch(const char *kernel, CudaDim grid, CudaDim block, size_t shared_bytes, int nargs,
               const CudaArg *args) {
    Device device = launch_device(kernel, nargs, args);
    cu_set_device(device);
    load_driver();
    cu_check(cudaFree(0), "cuda_launch"); /* makes the device's primary context current */
    CUfunction fn = find_function(kernel, device - T_CUDA);
    check_params(fn, kernel, nargs, args);
    /* the values the kernel's parameters are copied from */
    CudaArg vals[nargs > 0 ? nargs : 1];
    void *params[nargs > 0 ? nargs : 1];
    for (int i = 0; i < nargs; i++) {
        vals[i] = args[i];
        if (args[i].kind == CUDA_ARG_TENSOR) vals[i].v.ptr = cu_ptr(args[i].v.t);
        params[i] = &vals[i].v;
    }
    check_driver(drv.launch(fn, grid.x ? grid.x : 1, grid.y ? grid.y : 1, grid.z ? grid.z : 1,
                            block.x ? block.x : 1, block.y ? block.y : 1, block.z ? block.z : 1,
                            (unsigned)shared_bytes, NULL, params, NULL),
                 "launching", kernel);
    cu_launched(kernel);
}
