/* magic_cuda.c — the %%cuda cell magic: the cell is CUDA C, compiled to PTX by NVRTC (through
   the CUDA backend, which needs no GPU for this); its kernels stay loaded for cuda_launch in
   later cells. Compile errors name the cell's lines. */
#include <string.h>

#include "jit.h"

/* Tells the front end which kernels the cell made launchable. */
static void report_kernels(const JitIO *io, const CudaModule *m) {
    if (!io || !io->stream) return;
    char line[512];
    size_t n = (size_t)snprintf(line, sizeof line, "compiled:");
    for (int i = 0; cuda_module_kernel(m, i) && n < sizeof line; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, " %s", cuda_module_kernel(m, i));
    if (n >= sizeof line - 1) n = sizeof line - 2;
    line[n++] = '\n';
    io->stream(io->ctx, 1, line, n);
}

static void magic_cuda(Jit *jit, const char *args, const char *body, int cell_no, const JitIO *io,
                       JitResult *res) {
    (void)jit;
    (void)args;
    char name[32];
    snprintf(name, sizeof name, "In[%d]", cell_no);
    const char *log = NULL;
    CudaModule *m = NULL;
    TError failure;
    volatile bool failed = false;
    T_TRY { m = cuda_compile(body, name, &log); }
    T_CATCH(err) {
        failure = *err;
        failed = true;
    }
    if (failed) {
        jit_result_error(res, failure.kind, "%s", failure.message);
    } else if (!m) {
        jit_result_error(res, T_ERR_COMPILE, "%s", log ? log : "the CUDA source did not compile");
    } else {
        report_kernels(io, m);
        res->ok = true;
    }
}

__attribute__((constructor)) static void register_cuda_magic(void) {
    jit_register_magic("cuda", JIT_CELL_MAGIC, magic_cuda,
                       "compile the cell as CUDA C (NVRTC); launch its kernels with cuda_launch");
}
