/*
 * nvrtc.cu — CUDA C compiled at run time for %%cuda cells: NVRTC turns a cell's source into
 * PTX (no driver or GPU needed, so compile errors show everywhere), diagnostics are rewritten
 * to name the cell and line ("In[3] line 2: error: ..."), and every kernel in the PTX is
 * registered under its plain name for cuda_launch (launch.cu loads it on a GPU when first run).
 */
#include <cxxabi.h>
#include <nvrtc.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_internal.h"

/* The virtual architecture PTX targets without a GPU to ask: Ampere (sm_80), the oldest the
   prebuilt kernels support; newer GPUs JIT it. With a GPU, its own architecture is used. */
constexpr int DEFAULT_ARCH = 80;
/* Longest option string built here. */
constexpr int OPT_MAX = 64;

/* Raises DeviceError naming op unless r is success. */
static void check_nvrtc(nvrtcResult r, const char *op) {
    if (r != NVRTC_SUCCESS) cu_raise(T_ERR_DEVICE, "%s: NVRTC error: %s", op, nvrtcGetErrorString(r));
}

/* The compute capability to compile for: GPU 0's, lowered to the newest NVRTC knows, or
   DEFAULT_ARCH without a GPU. */
static int target_arch(void) {
    int want = DEFAULT_ARCH, major = 0, minor = 0;
    if (cu_device_count() > 0 &&
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0) == cudaSuccess &&
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, 0) == cudaSuccess)
        want = major * 10 + minor;
    cudaGetLastError();
    int n = 0;
    check_nvrtc(nvrtcGetNumSupportedArchs(&n), "cuda_compile");
    int *archs = (int *)malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!archs) cu_raise(T_ERR_OOM, "cuda_compile: out of host memory");
    check_nvrtc(nvrtcGetSupportedArchs(archs), "cuda_compile");
    int best = n > 0 ? archs[0] : want; /* the list is ascending */
    for (int i = 0; i < n; i++)
        if (archs[i] <= want) best = archs[i];
    free(archs);
    return best;
}

/* Collected copy of the first n bytes of s (for strings handed to users). */
static char *gc_strndup(const char *s, size_t n) {
    char *d = (char *)cu_host->gc_alloc_atomic(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* NVRTC's log with each location "name(12): " rewritten as "name line 12: " (collected). */
static const char *map_log(const char *log, const char *name) {
    size_t nlen = strlen(name), len = strlen(log);
    /* each rewrite adds at most strlen(" line ") - strlen("()") bytes */
    size_t cap = len * 2 + 16;
    char *out = (char *)malloc(cap), *o = out;
    if (!out) cu_raise(T_ERR_OOM, "cuda_compile: out of host memory");
    for (const char *p = log; *p;) {
        const char *digits = p + nlen + 1, *q = digits;
        if (strncmp(p, name, nlen) == 0 && p[nlen] == '(') {
            while (*q >= '0' && *q <= '9') q++;
            if (q > digits && q[0] == ')' && q[1] == ':' && (size_t)(o - out) + nlen + (q - digits) + 8 < cap) {
                o += sprintf(o, "%s line %.*s", name, (int)(q - digits), digits);
                p = q + 1;
                continue;
            }
        }
        if ((size_t)(o - out) + 1 < cap) *o++ = *p;
        p++;
    }
    *o = '\0';
    const char *r = gc_strndup(out, (size_t)(o - out));
    free(out);
    return r;
}

/* A malloc'd copy of n bytes of s (module strings live as long as the process). */
static char *strndup_or_raise(const char *s, size_t n) {
    char *d = strndup(s, n);
    if (!d) cu_raise(T_ERR_OOM, "cuda_compile: out of host memory");
    return d;
}

/* The name cuda_launch takes for a PTX entry: the demangled name without its parameters
   ("saxpy" for _Z5saxpyPfS_fi, "scale<float>" for a template), or the entry itself for an
   extern "C" kernel. */
static char *plain_name(const char *mangled) {
    int status = 0;
    char *dem = abi::__cxa_demangle(mangled, NULL, NULL, &status);
    if (status != 0 || !dem) return strndup_or_raise(mangled, strlen(mangled));
    const char *start = dem;
    if (strncmp(start, "void ", 5) == 0) start += 5; /* templates carry their return type */
    const char *paren = strchr(start, '(');
    char *name = strndup_or_raise(start, paren ? (size_t)(paren - start) : strlen(start));
    free(dem);
    return name;
}

/* Finds every ".entry NAME(" in the PTX and records the kernels in m. */
static void find_kernels(CudaModule *m) {
    const char *key = ".entry ";
    int cap = 0;
    for (const char *p = strstr(m->ptx, key); p; p = strstr(p + 1, key)) {
        const char *s = p + strlen(key), *e = s;
        while (*e && *e != '(' && *e != ' ' && *e != '\n' && *e != '\t') e++;
        if (m->nkernels == cap) {
            cap = cap ? cap * 2 : 4;
            m->names = (char **)realloc(m->names, sizeof(char *) * (size_t)cap);
            m->mangled = (char **)realloc(m->mangled, sizeof(char *) * (size_t)cap);
            if (!m->names || !m->mangled) cu_raise(T_ERR_OOM, "cuda_compile: out of host memory");
        }
        m->mangled[m->nkernels] = strndup_or_raise(s, (size_t)(e - s));
        m->names[m->nkernels] = plain_name(m->mangled[m->nkernels]);
        m->nkernels++;
    }
}

/* The PTX of a compiled program, in a new module. */
static CudaModule *module_from(nvrtcProgram prog) {
    size_t size = 0;
    check_nvrtc(nvrtcGetPTXSize(prog, &size), "cuda_compile");
    CudaModule *m = (CudaModule *)calloc(1, sizeof *m);
    char *ptx = (char *)malloc(size + 1);
    if (!m || !ptx) cu_raise(T_ERR_OOM, "cuda_compile: out of host memory");
    check_nvrtc(nvrtcGetPTX(prog, ptx), "cuda_compile");
    ptx[size] = '\0';
    m->ptx = ptx;
    find_kernels(m);
    return m;
}

CudaModule *cu_compile(const char *source, const char *name, const char **log) {
    char arch[OPT_MAX];
    snprintf(arch, sizeof arch, "--gpu-architecture=compute_%d", target_arch());
    const char *opts[] = {arch, "--std=c++17", "--generate-line-info"};
    nvrtcProgram prog;
    check_nvrtc(nvrtcCreateProgram(&prog, source, name, 0, NULL, NULL), "cuda_compile");
    nvrtcResult r = nvrtcCompileProgram(prog, (int)(sizeof opts / sizeof *opts), opts);
    size_t log_size = 0;
    char *raw = NULL;
    if (nvrtcGetProgramLogSize(prog, &log_size) == NVRTC_SUCCESS && log_size > 1 &&
        (raw = (char *)malloc(log_size)) && nvrtcGetProgramLog(prog, raw) != NVRTC_SUCCESS)
        raw[0] = '\0';
    const char *mapped = raw ? map_log(raw, name) : "";
    free(raw);
    if (log) *log = mapped;
    if (r != NVRTC_SUCCESS) {
        nvrtcDestroyProgram(&prog);
        if (r == NVRTC_ERROR_COMPILATION) return NULL;
        check_nvrtc(r, "cuda_compile");
    }
    CudaModule *m = module_from(prog);
    nvrtcDestroyProgram(&prog);
    cu_register_module(m);
    return m;
}

const char *cu_module_ptx(const CudaModule *m) { return m->ptx; }

const char *cu_module_kernel(const CudaModule *m, int i) {
    return i >= 0 && i < m->nkernels ? m->names[i] : NULL;
}
