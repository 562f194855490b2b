/* test_cuda.c — the CUDA backend (cuda/, tensor/cuda_loader.c). On a machine with a GPU every
   primitive runs on both devices with the same inputs and the results must agree; without one
   those tests skip, and what must hold everywhere is checked: CUDA ops raise DeviceError, and
   NVRTC compiles %%cuda source (PTX out, errors mapped to the cell's lines). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "backend.h"
#include "helpers.h"

/* Tolerances by dtype: float32 kernels may round differently from the CPU's (fused
   multiply-adds, another summation order, libdevice's exp), float64 barely, integers never. */
#define F32_TOL 1e-5
#define F64_TOL 1e-12

static double tol(DType dt) { return dt == T_F32 ? F32_TOL : dt == T_F64 ? F64_TOL : 0; }

/* Skips the calling test on machines without a GPU. */
static void need_gpu(void) {
    if (!cuda_is_available()) cr_skip_test("no GPU: %s", t_cuda_unavailable_reason());
}

/* Skips the calling test when libctorch-cuda.so was not built (make CUDA=0). */
static void need_library(void) {
    volatile bool missing = false;
    T_TRY { cuda_compile("__global__ void probe_kernel() {}", "probe", NULL); }
    T_CATCH(e) { missing = e->kind == T_ERR_DEVICE && strstr(e->message, "could not be loaded"); }
    if (missing) cr_skip_test("libctorch-cuda.so is not built: %s", t_cuda_unavailable_reason());
}

/* A CPU tensor of dtype dt and the given shape with varied values: floats in [-2, 2),
   integers -4..5 (uint8 0..9), bools about half true. */
static Tensor *sample(DType dt, Shape s) {
    Tensor *u = t_rand_shape(s, T_F64);
    switch (dt) {
    case T_F32:
    case T_F64: return t_to_dtype(t_add_s(t_mul_s(u, 4), -2), dt);
    case T_U8: return t_to_dtype(t_mul_s(u, 10), dt);
    case T_BOOL: return t_gt_s(u, 0.5);
    default: return t_to_dtype(t_add_s(t_mul_s(u, 10), -4), dt);
    }
}

/* Asserts that gpu (a CUDA tensor) holds cpu's values: same dtype and shape, each element
   within atol + rtol * |want|, NaN where cpu has NaN. */
static void expect_same(const Tensor *cpu, Tensor *gpu, double rtol, const char *what) {
    cr_assert(t_device(gpu) != T_CPU, "%s: the result is not on the GPU", what);
    cr_assert_eq(t_dtype(gpu), t_dtype(cpu), "%s: dtype %s; expected %s", what,
                 t_dtype_name(t_dtype(gpu)), t_dtype_name(t_dtype(cpu)));
    cr_assert(t_shape_equal(t_shape(gpu), t_shape(cpu)), "%s: shape %s; expected %s", what,
              t_shape_str(t_shape(gpu)), t_shape_str(t_shape(cpu)));
    Tensor *back = t_to(gpu, T_CPU);
    for (int64_t i = 0; i < t_numel(cpu); i++) {
        double want = t_flat_get(cpu, i), got = t_flat_get(back, i);
        cr_assert(t_close(got, want, rtol, rtol), "%s: element %lld is %.17g on the GPU, %.17g "
                  "on the CPU", what, (long long)i, got, want);
    }
}

/* Whether calling the CPU primitive raised (the GPU must then raise too, with the same kind). */
#define RUNS_ON_CPU(stmt, ok)                                                                   \
    do {                                                                                        \
        ok = true;                                                                              \
        T_TRY { stmt; }                                                                         \
        T_CATCH(e) { ok = false; }                                                              \
    } while (0)

static const Backend *cpu(void) { return t_backend(T_CPU); }
static const Backend *gpu(void) { return t_backend(T_CUDA); }

/* ---- everywhere: availability and errors without a GPU ---- */

Test(cuda, availability_is_consistent) {
    bool available = cuda_is_available();
    cr_assert_eq(available, cuda_device_count() > 0);
    if (!available) cr_assert_neq(t_cuda_unavailable_reason()[0], '\0');
}

Test(cuda, without_a_gpu_ops_raise_device_error) {
    if (cuda_is_available()) cr_skip_test("this machine has a GPU");
    Tensor *x = t_ones(3);
    T_ASSERT_RAISES(T_ERR_DEVICE, t_to(x, T_CUDA), "cuda:0", "not available");
    T_ASSERT_RAISES(T_ERR_DEVICE, cuda_device_name(0), "not available");
    T_ASSERT_RAISES(T_ERR_DEVICE, cuda_synchronize());
    T_ASSERT_RAISES(T_ERR_DEVICE, cuda_memory_stats(0));
    T_ASSERT_RAISES(T_ERR_DEVICE, cuda_launch("saxpy", cuda_dim(1), cuda_dim(1), x));
    cr_assert(strstr(cuda_memory_summary(), "not available"), "summary: %s", cuda_memory_summary());
}

Test(cuda, backend_implements_every_primitive) {
    need_library();
    const char *why = t_cuda_unavailable_reason();
    cr_assert(!strstr(why, "does not implement") && !strstr(why, "rebuild"), "%s", why);
}

/* ---- everywhere: NVRTC ---- */

static const char *SAXPY =
    "__global__ void saxpy(float *y, const float *x, float a, int n) {\n"
    "    int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "    if (i < n) y[i] += a * x[i];\n"
    "}\n";

Test(cuda, nvrtc_compiles_a_kernel_to_ptx) {
    need_library();
    const char *log = NULL;
    CudaModule *m = cuda_compile(SAXPY, "In[3]", &log);
    cr_assert_not_null(m, "compile failed: %s", log);
    const char *ptx = cuda_module_ptx(m);
    cr_assert(strstr(ptx, ".entry"), "no entry in the PTX");
    cr_assert(strstr(ptx, "saxpy"), "the PTX does not name saxpy");
    cr_assert_str_eq(cuda_module_kernel(m, 0), "saxpy");
    cr_assert_null(cuda_module_kernel(m, 1));
}

Test(cuda, nvrtc_names_templates_and_extern_c_kernels) {
    need_library();
    const char *src =
        "template <typename T> __global__ void scale(T *x, T s) { x[threadIdx.x] *= s; }\n"
        "template __global__ void scale<float>(float *, float);\n"
        "extern \"C\" __global__ void plain(int *p) { *p = 1; }\n";
    const char *log = NULL;
    CudaModule *m = cuda_compile(src, "In[5]", &log);
    cr_assert_not_null(m, "compile failed: %s", log);
    bool scale = false, plain = false;
    for (int i = 0; cuda_module_kernel(m, i); i++) {
        scale |= strcmp(cuda_module_kernel(m, i), "scale<float>") == 0;
        plain |= strcmp(cuda_module_kernel(m, i), "plain") == 0;
    }
    cr_assert(scale && plain, "kernels found: %s, %s", cuda_module_kernel(m, 0),
              cuda_module_kernel(m, 1));
}

Test(cuda, nvrtc_errors_name_the_cell_line) {
    need_library();
    const char *log = NULL;
    CudaModule *m = cuda_compile("__global__ void k(float *x) {\n    x[0] = 1;\n    y = 2;\n}\n",
                                 "In[4]", &log);
    cr_assert_null(m);
    cr_assert_not_null(log);
    cr_assert(strstr(log, "In[4] line 3: error"), "log: %s", log);
    cr_assert(strstr(log, "\"y\""), "log does not name the identifier: %s", log);
}

/* ---- on a GPU: memory, transfers, devices ---- */

Test(cuda, to_and_back_keeps_values_for_every_dtype) {
    need_gpu();
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        Tensor *x = t_T(sample(dt, T_SHAPE(4, 6))); /* not contiguous */
        Tensor *g = t_to(x, T_CUDA);
        cr_assert_eq(t_device(g), T_CUDA);
        Tensor *back = t_to(g, T_CPU);
        for (int64_t i = 0; i < t_numel(x); i++)
            cr_assert_eq(t_flat_get(back, i), t_flat_get(x, i), "%s element %lld",
                         t_dtype_name(dt), (long long)i);
    }
    T_ASSERT_SHAPE(t_to(t_to(t_zeros(0, 3), T_CUDA), T_CPU), 0, 3);
    cr_assert_eq(t_item(t_to(t_scalar(2.5), T_CUDA)), 2.5);
}

Test(cuda, mixed_devices_raise) {
    need_gpu();
    Tensor *a = t_ones(3), *b = t_to(t_ones(3), T_CUDA);
    T_ASSERT_RAISES(T_ERR_DEVICE, t_add(a, b), "cpu", "cuda:0");
    T_ASSERT_RAISES(T_ERR_DEVICE, t_to(a, T_CUDA_N(cuda_device_count())), "does not exist");
}

Test(cuda, device_names_and_summary) {
    need_gpu();
    cr_assert_neq(cuda_device_name(0)[0], '\0');
    T_ASSERT_RAISES(T_ERR_INDEX, cuda_device_name(cuda_device_count()));
    const char *s = cuda_memory_summary();
    cr_assert(strstr(s, "cuda:0") && strstr(s, "allocated") && strstr(s, "reserved") &&
              strstr(s, "peak"), "summary: %s", s);
}

Test(cuda, t_free_gives_memory_back_at_once) {
    need_gpu();
    enum { MIB = 1 << 20 };
    CudaMemoryStats before = cuda_memory_stats(0);
    Tensor *x = t_to(t_zeros(MIB / 4), T_CUDA); /* 1 MiB of float32 */
    CudaMemoryStats during = cuda_memory_stats(0);
    cr_assert_geq(during.allocated - before.allocated, MIB);
    cr_assert_geq(during.reserved, during.allocated);
    cr_assert_geq(during.peak, during.allocated);
    t_free(x);
    cr_assert_eq(cuda_memory_stats(0).allocated, before.allocated);
    T_ASSERT_RAISES(T_ERR_RUNTIME, t_to(x, T_CPU), "t_free");
}

Test(cuda, unreachable_tensors_are_collected_under_pressure) {
    need_gpu();
    /* 300 GiB in all, more than any GPU holds: only collection of the dropped tensors (on the
       allocation threshold or on cudaMalloc failing) lets this loop finish. */
    enum { BLOCK_FLOATS = 64 << 20, ROUNDS = 1200 };
    T_ASSERT_NO_RAISE({
        for (int i = 0; i < ROUNDS; i++) t_new(T_SHAPE(BLOCK_FLOATS), T_F32, T_CUDA);
    });
    CudaMemoryStats s = cuda_memory_stats(0);
    cr_assert_geq(s.reserved, s.allocated);
}

/* ---- on a GPU: every primitive against the CPU's ---- */

/* Parameters for each unary op (clamp's bounds; the scalar of the _S ops). */
static const double unary_p0[U_NUNARY] = {[U_CLAMP] = -1, [U_ADD_S] = 3, [U_MUL_S] = 2,
                                          [U_DIV_S] = 4,  [U_RSUB_S] = 5, [U_POW_S] = 2};
static const double unary_p1[U_NUNARY] = {[U_CLAMP] = 1.5};

Test(cuda, unary_matches_cpu) {
    need_gpu();
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        Tensor *x = sample(dt, T_SHAPE(5, 7));
        Tensor *xc = t_T(x), *xg = t_T(t_to(x, T_CUDA)); /* strided operands */
        for (int op = 0; op < U_NUNARY; op++) {
            Tensor *oc = t_new(t_shape(xc), dt, T_CPU), *og = t_new(t_shape(xc), dt, T_CUDA);
            volatile bool ok;
            RUNS_ON_CPU(cpu()->unary(op, oc, xc, unary_p0[op], unary_p1[op]), ok);
            const char *what = t_gc_sprintf("unary op %d on %s", op, t_dtype_name(dt));
            if (!ok) {
                T_ASSERT_RAISES(T_ERR_DTYPE, gpu()->unary(op, og, xg, unary_p0[op], unary_p1[op]));
                continue;
            }
            gpu()->unary(op, og, xg, unary_p0[op], unary_p1[op]);
            expect_same(oc, og, tol(dt), what);
        }
    }
}

Test(cuda, binary_matches_cpu_with_broadcast) {
    need_gpu();
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        Tensor *a = sample(dt, T_SHAPE(4, 5)), *b = sample(dt, T_SHAPE(5));
        Tensor *bc = t_expand(b, 4, 5), *ag = t_to(a, T_CUDA), *bg = t_expand(t_to(b, T_CUDA), 4, 5);
        for (int op = 0; op < B_NBINARY; op++) {
            DType ot = op >= B_EQ ? T_BOOL : dt;
            Tensor *oc = t_new(T_SHAPE(4, 5), ot, T_CPU), *og = t_new(T_SHAPE(4, 5), ot, T_CUDA);
            volatile bool ok;
            RUNS_ON_CPU(cpu()->binary(op, oc, a, bc), ok);
            if (!ok) {
                T_ASSERT_RAISES(T_ERR_DTYPE, gpu()->binary(op, og, ag, bg));
                continue;
            }
            gpu()->binary(op, og, ag, bg);
            expect_same(oc, og, tol(dt), t_gc_sprintf("binary op %d on %s", op, t_dtype_name(dt)));
        }
    }
}

Test(cuda, where_matches_cpu) {
    need_gpu();
    Tensor *cond = sample(T_BOOL, T_SHAPE(3, 4)), *condg = t_to(cond, T_CUDA);
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        Tensor *a = sample(dt, T_SHAPE(3, 4)), *b = sample(dt, T_SHAPE(4));
        Tensor *oc = t_new(T_SHAPE(3, 4), dt, T_CPU), *og = t_new(T_SHAPE(3, 4), dt, T_CUDA);
        cpu()->where(oc, cond, a, t_expand(b, 3, 4));
        gpu()->where(og, condg, t_to(a, T_CUDA), t_expand(t_to(b, T_CUDA), 3, 4));
        expect_same(oc, og, 0, t_gc_sprintf("where on %s", t_dtype_name(dt)));
    }
}

Test(cuda, axpby_matches_cpu_and_refuses_integers) {
    need_gpu();
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        Tensor *x = sample(dt, T_SHAPE(3, 4)), *y = sample(dt, T_SHAPE(4));
        Tensor *oc = t_new(T_SHAPE(3, 4), dt, T_CPU), *og = t_new(T_SHAPE(3, 4), dt, T_CUDA);
        volatile bool ok;
        RUNS_ON_CPU(cpu()->axpby(oc, t_T(t_contiguous(t_T(x))), t_expand(y, 3, 4), 0.5, -2), ok);
        if (!ok) {
            T_ASSERT_RAISES(T_ERR_DTYPE, gpu()->axpby(og, t_to(x, T_CUDA),
                                                      t_expand(t_to(y, T_CUDA), 3, 4), 0.5, -2));
            continue;
        }
        gpu()->axpby(og, t_to(x, T_CUDA), t_expand(t_to(y, T_CUDA), 3, 4), 0.5, -2);
        expect_same(oc, og, tol(dt), t_gc_sprintf("axpby on %s", t_dtype_name(dt)));
    }
}

Test(cuda, copy_converts_every_dtype_pair) {
    need_gpu();
    for (DType from = 0; from < T_NDTYPES; from++) {
        /* floats up to +-300, to check saturation into uint8 and int32 */
        Tensor *x = t_dtype_is_floating(from) ? t_mul_s(sample(from, T_SHAPE(3, 5)), 150)
                                              : sample(from, T_SHAPE(3, 5));
        Tensor *xc = t_T(x), *xg = t_T(t_to(x, T_CUDA));
        for (DType to = 0; to < T_NDTYPES; to++) {
            Tensor *oc = t_new(T_SHAPE(5, 3), to, T_CPU), *og = t_new(T_SHAPE(5, 3), to, T_CUDA);
            cpu()->copy(oc, xc);
            gpu()->copy(og, xg);
            expect_same(oc, og, 0, t_gc_sprintf("copy %s -> %s", t_dtype_name(from),
                                                t_dtype_name(to)));
        }
        /* a broadcast source, and the contiguous same-dtype fast path */
        Tensor *row = sample(from, T_SHAPE(5)), *oc = t_new(T_SHAPE(3, 5), from, T_CPU);
        Tensor *og = t_new(T_SHAPE(3, 5), from, T_CUDA);
        cpu()->copy(oc, t_expand(row, 3, 5));
        gpu()->copy(og, t_expand(t_to(row, T_CUDA), 3, 5));
        expect_same(oc, og, 0, "broadcast copy");
        expect_same(x, t_clone(t_to(x, T_CUDA)), 0, "contiguous copy");
    }
}

Test(cuda, fill_matches_cpu) {
    need_gpu();
    const double values[] = {2.5, 7, 0};
    for (DType dt = 0; dt < T_NDTYPES; dt++)
        for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
            Tensor *oc = t_zeros_dt(dt, 4, 3), *og = t_to(t_zeros_dt(dt, 4, 3), T_CUDA);
            cpu()->fill(t_T(oc), values[v]);
            gpu()->fill(t_T(og), values[v]);
            expect_same(oc, og, 0, t_gc_sprintf("fill %s with %g", t_dtype_name(dt), values[v]));
        }
}

/* Runs one reduction on both devices over x viewed as [outer, n, inner] and compares. */
static void check_reduce(ReduceOp op, DType out_dt, Tensor *x, int64_t outer, int64_t n,
                         int64_t inner) {
    Tensor *xg = t_to(x, T_CUDA);
    Tensor *oc = t_new(T_SHAPE(outer, inner), out_dt, T_CPU);
    Tensor *og = t_new(T_SHAPE(outer, inner), out_dt, T_CUDA);
    bool with_idx = op == R_MAX || op == R_MIN;
    Tensor *ic = with_idx ? t_new(T_SHAPE(outer, inner), T_I64, T_CPU) : NULL;
    Tensor *ig = with_idx ? t_new(T_SHAPE(outer, inner), T_I64, T_CUDA) : NULL;
    volatile bool ok;
    RUNS_ON_CPU(cpu()->reduce(op, oc, ic, x, outer, n, inner), ok);
    const char *what = t_gc_sprintf("reduce %d of %s into %s over [%lld, %lld, %lld]", op,
                                    t_dtype_name(t_dtype(x)), t_dtype_name(out_dt),
                                    (long long)outer, (long long)n, (long long)inner);
    if (!ok) {
        T_ASSERT_RAISES(T_ERR_DTYPE, gpu()->reduce(op, og, ig, xg, outer, n, inner));
        return;
    }
    gpu()->reduce(op, og, ig, xg, outer, n, inner);
    expect_same(oc, og, tol(out_dt) * 10, what);
    if (with_idx) expect_same(ic, ig, 0, t_gc_sprintf("positions of %s", what));
}

Test(cuda, reductions_match_cpu_along_rows_and_columns) {
    need_gpu();
    /* [outer, n, inner]: the last dim (rows), a middle dim (columns), and short rows for PROD */
    const int64_t shapes[][3] = {{3, 300, 1}, {2, 5, 6}, {4, 1, 3}};
    for (DType dt = 0; dt < T_NDTYPES; dt++)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            int64_t outer = shapes[s][0], n = shapes[s][1], inner = shapes[s][2];
            Tensor *x = sample(dt, T_SHAPE(outer, n, inner));
            if (t_dtype_is_floating(dt) && n > 2) { /* NaN wins max and min; a tie too */
                t_set(x, NAN, 0, 1, 0);
                t_set(x, t_get(x, 1, 0, 0), 1, 2, 0);
            }
            for (DType ot = 0; ot < T_NDTYPES; ot++) {
                check_reduce(R_SUM, ot, x, outer, n, inner);
                if (n <= 5) check_reduce(R_PROD, ot, x, outer, n, inner);
            }
            check_reduce(R_MAX, dt, x, outer, n, inner);
            check_reduce(R_MIN, dt, x, outer, n, inner);
            check_reduce(R_ARGMAX, T_I64, x, outer, n, inner);
            check_reduce(R_ARGMIN, T_I64, x, outer, n, inner);
        }
}

Test(cuda, softmax_matches_cpu) {
    need_gpu();
    const int64_t shapes[][3] = {{4, 50, 1}, {2, 7, 3}, {3, 1000, 1}};
    for (DType dt = T_F32; dt <= T_F64; dt++)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            for (int lg = 0; lg < 2; lg++) {
                int64_t outer = shapes[s][0], n = shapes[s][1], inner = shapes[s][2];
                Tensor *x = t_mul_s(sample(dt, T_SHAPE(outer, n, inner)), 10);
                t_set(x, NAN, 0, 0, 0); /* a NaN makes its row NaN on both devices */
                Tensor *oc = t_new(t_shape(x), dt, T_CPU), *og = t_new(t_shape(x), dt, T_CUDA);
                cpu()->softmax(oc, x, outer, n, inner, lg);
                gpu()->softmax(og, t_to(x, T_CUDA), outer, n, inner, lg);
                expect_same(oc, og, tol(dt) * 10, t_gc_sprintf("%ssoftmax of %s", lg ? "log-" : "",
                                                               t_dtype_name(dt)));
            }
}

/* Matrix layouts a matmul operand may have. */
enum { ROW_MAJOR, TRANSPOSED, BATCH_BROADCAST, NLAYOUTS };

/* A [batch, rows, cols] operand of dtype dt in layout, as *c on the CPU and *g on the GPU
   (same values, same strides); returns its batch stride. */
static int64_t operand(DType dt, int64_t batch, int64_t rows, int64_t cols, int layout,
                       Tensor **c, Tensor **g) {
    if (layout == TRANSPOSED) { /* strides [rows * cols, 1, rows] */
        Tensor *t = sample(dt, T_SHAPE(batch, cols, rows));
        *c = t_transpose(t, 1, 2);
        *g = t_transpose(t_to(t, T_CUDA), 1, 2);
        return rows * cols;
    }
    if (layout == BATCH_BROADCAST) { /* one matrix, batch stride 0 */
        Tensor *t = sample(dt, T_SHAPE(1, rows, cols));
        *c = t_expand(t, batch, rows, cols);
        *g = t_expand(t_to(t, T_CUDA), batch, rows, cols);
        return 0;
    }
    *c = sample(dt, T_SHAPE(batch, rows, cols));
    *g = t_to(*c, T_CUDA);
    return rows * cols;
}

Test(cuda, matmul_matches_cpu_for_every_layout) {
    need_gpu();
    enum { BATCH = 2, M = 3, K = 4, N = 5 };
    for (DType dt = 0; dt < T_NDTYPES; dt++)
        for (int la = 0; la < NLAYOUTS; la++)
            for (int lb = 0; lb < NLAYOUTS; lb++) {
                Tensor *ac, *ag, *bc, *bg;
                int64_t abs = operand(dt, BATCH, M, K, la, &ac, &ag);
                int64_t bbs = operand(dt, BATCH, K, N, lb, &bc, &bg);
                Tensor *oc = t_new(T_SHAPE(BATCH, M, N), dt, T_CPU);
                Tensor *og = t_new(T_SHAPE(BATCH, M, N), dt, T_CUDA);
                volatile bool ok;
                RUNS_ON_CPU(cpu()->matmul(oc, ac, bc, BATCH, abs, bbs), ok);
                if (!ok) {
                    T_ASSERT_RAISES(T_ERR_DTYPE, gpu()->matmul(og, ag, bg, BATCH, abs, bbs));
                    continue;
                }
                gpu()->matmul(og, ag, bg, BATCH, abs, bbs);
                expect_same(oc, og, tol(dt) * 10, t_gc_sprintf("matmul of %s, layouts %d and %d",
                                                               t_dtype_name(dt), la, lb));
            }
    /* k == 0: an empty sum is zero */
    Tensor *og = t_new(T_SHAPE(BATCH, M, N), T_F32, T_CUDA);
    gpu()->matmul(og, t_new(T_SHAPE(BATCH, M, 0), T_F32, T_CUDA),
                  t_new(T_SHAPE(BATCH, 0, N), T_F32, T_CUDA), BATCH, 0, 0);
    expect_same(t_zeros(BATCH, M, N), og, 0, "empty matmul");
}

Test(cuda, random_numbers_match_cpu_for_a_seed) {
    need_gpu();
    const struct { RandomKind kind; double p0, p1; } draws[] = {
        {RAND_UNIFORM, -1, 3}, {RAND_NORMAL, 0.5, 2}, {RAND_INT, 0, 200}};
    for (DType dt = 0; dt < T_BOOL; dt++)
        for (size_t d = 0; d < sizeof draws / sizeof *draws; d++) {
            if (draws[d].kind != RAND_INT && !t_dtype_is_floating(dt)) continue;
            Tensor *oc = t_new(T_SHAPE(1000), dt, T_CPU), *og = t_new(T_SHAPE(1000), dt, T_CUDA);
            cpu()->random(oc, draws[d].kind, 1234, 77, draws[d].p0, draws[d].p1);
            gpu()->random(og, draws[d].kind, 1234, 77, draws[d].p0, draws[d].p1);
            double rtol = draws[d].kind == RAND_NORMAL ? tol(dt) : 0;
            expect_same(oc, og, rtol, t_gc_sprintf("random kind %d of %s", draws[d].kind,
                                                   t_dtype_name(dt)));
        }
    /* the public API: the same seed, the same numbers on both devices */
    t_manual_seed(42);
    Tensor *c = t_rand(100);
    t_manual_seed(42);
    Tensor *g = t_rand_like(t_to(t_zeros(100), T_CUDA));
    expect_same(c, g, 0, "t_rand after t_manual_seed");
}

/* An int64 index tensor from values. */
static Tensor *index_of(const int64_t *v, Shape s) { return t_tensor_shape(v, T_I64, s); }

Test(cuda, gather_and_index_select_match_cpu) {
    need_gpu();
    const int64_t g1[] = {0, 4, 4, 1, 2, 2, 3, 0, 1, 4, 3, 3}; /* [4, 3], dim 1 */
    const int64_t g0[] = {3, 0, 1, 2, 0, 1, 1, 3, 2, 0};       /* [2, 5], dim 0 */
    const int64_t sel0[] = {0, 3, 3, 1}, sel1[] = {4, 0, 2};
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        Tensor *x = t_T(sample(dt, T_SHAPE(5, 4))); /* [4, 5], strided */
        Tensor *xg = t_T(t_to(t_T(x), T_CUDA));
        const struct { int dim; const int64_t *v; Shape s; } gathers[] = {
            {1, g1, T_SHAPE(4, 3)}, {0, g0, T_SHAPE(2, 5)}};
        for (int k = 0; k < 2; k++) {
            Tensor *ic = index_of(gathers[k].v, gathers[k].s), *ig = t_to(ic, T_CUDA);
            Tensor *oc = t_new(gathers[k].s, dt, T_CPU), *og = t_new(gathers[k].s, dt, T_CUDA);
            cpu()->gather(oc, x, gathers[k].dim, ic);
            gpu()->gather(og, xg, gathers[k].dim, ig);
            expect_same(oc, og, 0, t_gc_sprintf("gather dim %d of %s", gathers[k].dim,
                                                t_dtype_name(dt)));
        }
        const struct { int dim; const int64_t *v; int64_t n; Shape out; } selects[] = {
            {0, sel0, 4, T_SHAPE(4, 5)}, {1, sel1, 3, T_SHAPE(4, 3)}};
        for (int k = 0; k < 2; k++) {
            Tensor *ic = index_of(selects[k].v, T_SHAPE(selects[k].n)), *ig = t_to(ic, T_CUDA);
            Tensor *oc = t_new(selects[k].out, dt, T_CPU), *og = t_new(selects[k].out, dt, T_CUDA);
            cpu()->index_select(oc, x, selects[k].dim, ic);
            gpu()->index_select(og, xg, selects[k].dim, ig);
            expect_same(oc, og, 0, t_gc_sprintf("index_select dim %d of %s", selects[k].dim,
                                                t_dtype_name(dt)));
        }
    }
}

Test(cuda, scatter_and_scatter_add_match_cpu) {
    need_gpu();
    int64_t perm[4 * 5], dup[4 * 6];
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 5; j++) perm[i * 5 + j] = (j * 2 + i) % 5; /* each row a permutation */
        for (int j = 0; j < 6; j++) dup[i * 6 + j] = j % 3;            /* repeated positions */
    }
    for (DType dt = 0; dt < T_NDTYPES; dt++) {
        Tensor *base = sample(dt, T_SHAPE(4, 5));
        Tensor *ip = index_of(perm, T_SHAPE(4, 5)), *id = index_of(dup, T_SHAPE(4, 6));
        Tensor *src = sample(dt, T_SHAPE(4, 6));
        for (int add = 0; add < 2; add++) {
            Tensor *idx = add ? id : ip, *s = add ? src : t_narrow(src, 1, 0, 5);
            Tensor *oc = t_clone(base), *og = t_to(base, T_CUDA);
            cpu()->scatter(oc, 1, idx, s, add);
            gpu()->scatter(og, 1, t_to(idx, T_CUDA), t_narrow(t_to(src, T_CUDA), 1, 0, add ? 6 : 5), add);
            expect_same(oc, og, tol(dt), t_gc_sprintf("scatter%s of %s", add ? "_add" : "",
                                                      t_dtype_name(dt)));
        }
    }
}

/* A convolution geometry with its output size filled in (PyTorch's formula). */
static ConvGeom geom(int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,
                     int64_t s, int64_t p, int64_t d) {
    ConvGeom g = {n, c, h, w, kh, kw, s, s, p, p, d, d, 0, 0};
    g.oh = (h + 2 * p - d * (kh - 1) - 1) / s + 1;
    g.ow = (w + 2 * p - d * (kw - 1) - 1) / s + 1;
    return g;
}

Test(cuda, convolution_primitives_match_cpu) {
    need_gpu();
    /* strided, padded and dilated windows; and a plain 5x5 one */
    const ConvGeom geoms[] = {geom(2, 3, 7, 6, 3, 2, 2, 1, 2), geom(1, 2, 9, 9, 5, 5, 1, 0, 1)};
    for (DType dt = T_F32; dt <= T_F64; dt++)
        for (size_t k = 0; k < sizeof geoms / sizeof *geoms; k++) {
            const ConvGeom *g = &geoms[k];
            Tensor *x = sample(dt, T_SHAPE(g->n, g->c, g->h, g->w)), *xg = t_to(x, T_CUDA);
            Shape cs = T_SHAPE(g->n, g->c * g->kh * g->kw, g->oh * g->ow);
            Tensor *cc = t_new(cs, dt, T_CPU), *cg = t_new(cs, dt, T_CUDA);
            cpu()->im2col(cc, x, g);
            gpu()->im2col(cg, xg, g);
            expect_same(cc, cg, 0, t_gc_sprintf("im2col %zu of %s", k, t_dtype_name(dt)));
            Tensor *col = sample(dt, cs);
            Tensor *ic = t_new(t_shape(x), dt, T_CPU), *ig = t_new(t_shape(x), dt, T_CUDA);
            cpu()->col2im(ic, col, g);
            gpu()->col2im(ig, t_to(col, T_CUDA), g);
            expect_same(ic, ig, 0, t_gc_sprintf("col2im %zu of %s", k, t_dtype_name(dt)));
            t_set(x, NAN, 0, 0, 1, 1); /* NaN wins its windows */
            Shape ps = T_SHAPE(g->n, g->c, g->oh, g->ow);
            Tensor *pc = t_new(ps, dt, T_CPU), *pg = t_new(ps, dt, T_CUDA);
            Tensor *jc = t_new(ps, T_I64, T_CPU), *jg = t_new(ps, T_I64, T_CUDA);
            cpu()->maxpool2d(pc, jc, x, g);
            gpu()->maxpool2d(pg, jg, t_to(x, T_CUDA), g);
            expect_same(pc, pg, 0, t_gc_sprintf("max_pool2d %zu of %s", k, t_dtype_name(dt)));
            expect_same(jc, jg, 0, t_gc_sprintf("max_pool2d indices %zu of %s", k, t_dtype_name(dt)));
            Tensor *gout = sample(dt, ps);
            Tensor *bc = t_new(t_shape(x), dt, T_CPU), *bg = t_new(t_shape(x), dt, T_CUDA);
            cpu()->maxpool2d_backward(bc, gout, jc, g);
            gpu()->maxpool2d_backward(bg, t_to(gout, T_CUDA), jg, g);
            expect_same(bc, bg, 0, t_gc_sprintf("max_pool2d backward %zu of %s", k, t_dtype_name(dt)));
        }
}

Test(cuda, gelu_and_its_gradient_match_cpu) {
    need_gpu();
    for (DType dt = T_F32; dt <= T_F64; dt++) {
        Tensor *x = t_mul_s(sample(dt, T_SHAPE(4, 33)), 3), *grad = sample(dt, T_SHAPE(4, 33));
        for (int with_grad = 0; with_grad < 2; with_grad++) {
            Tensor *oc = t_new(t_shape(x), dt, T_CPU), *og = t_new(t_shape(x), dt, T_CUDA);
            cpu()->gelu(oc, x, with_grad ? grad : NULL);
            gpu()->gelu(og, t_to(x, T_CUDA), with_grad ? t_to(grad, T_CUDA) : NULL);
            expect_same(oc, og, tol(dt), t_gc_sprintf("gelu%s of %s", with_grad ? " gradient" : "",
                                                      t_dtype_name(dt)));
        }
    }
}

/* ---- on a GPU: kernels from NVRTC ---- */

Test(cuda, launch_runs_a_compiled_kernel_on_tensors) {
    need_gpu();
    const char *log = NULL;
    cr_assert_not_null(cuda_compile(SAXPY, "In[1]", &log), "compile failed: %s", log);
    enum { N = 1000, THREADS = 256 };
    Tensor *x = t_to(t_arange(0, N, 1), T_CUDA), *y = t_to(t_ones(N), T_CUDA);
    int n = N;
    cuda_launch("saxpy", cuda_dim((N + THREADS - 1) / THREADS), cuda_dim(THREADS), y, x, 2.0f, n);
    cuda_synchronize();
    expect_same(t_add_s(t_mul_s(t_arange(0, N, 1), 2), 1), y, 0, "saxpy");
    T_ASSERT_RAISES(T_ERR_VALUE, cuda_launch("saxpy", cuda_dim(1), cuda_dim(1), y, x, 2.0f),
                    "takes 4 arguments");
    T_ASSERT_RAISES(T_ERR_DEVICE, cuda_launch("saxpy", cuda_dim(1), cuda_dim(1), t_ones(N), x,
                                              2.0f, n), "cpu");
    T_ASSERT_RAISES(T_ERR_VALUE, cuda_launch("no_such_kernel", cuda_dim(1), cuda_dim(1), x),
                    "no kernel named");
}
