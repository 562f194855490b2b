/*
 * ctorch.h — the one header a notebook cell or a C program includes.
 *
 * Tensors are garbage collected: never free them (t_free releases storage early if you want
 * memory back at once). Every misuse raises an error with t_raise, which long-jumps to the
 * innermost T_TRY (in a notebook: the cell). Shapes are given as trailing integer arguments:
 * t_zeros(2, 3). Dims may be negative, counting from the end, as in PyTorch.
 *
 * This header is also compiled by TinyCC for every cell: it uses only C99/C11 that TinyCC
 * accepts, and never relies on __attribute__ for layout.
 */
#ifndef CTORCH_H
#define CTORCH_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Types                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* A tensor: a strided view of a storage. The struct is private; use the accessors. */
typedef struct Tensor Tensor;

/* Element types. T_F32 is the default everywhere a dtype is not given. */
typedef enum DType { T_F32, T_F64, T_I64, T_I32, T_U8, T_BOOL, T_NDTYPES } DType;

/* Devices: T_CPU, or T_CUDA (the first GPU); T_CUDA_N(i) is GPU i. */
typedef int Device;
#define T_CPU 0
#define T_CUDA 1
#define T_CUDA_N(i) (1 + (i))

/* Most dims a tensor may have. */
#define T_MAX_DIMS 8

/* A list of up to T_MAX_DIMS sizes (or dims, or strides), passed by value. */
typedef struct Shape {
    int ndim;
    int64_t d[T_MAX_DIMS];
} Shape;

/* A list of tensors: what t_cat and t_stack take, and t_split and t_chunk return. */
typedef struct TensorList {
    Tensor **items;
    int n;
} TensorList;

/* Counting macro arguments (0 to 8), for shapes given as trailing arguments. */
#define T_NARG_(_0, _1, _2, _3, _4, _5, _6, _7, _8, N, ...) N
#define T_NARG(...) T_NARG_(_, ##__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)

/* T_SHAPE(2, 3) is the Shape {2, 3}; T_SHAPE() is the empty shape of a 0-d tensor. */
#define T_SHAPE(...) ((Shape){T_NARG(__VA_ARGS__), {__VA_ARGS__}})

/* T_LIST(a, b, c) is a TensorList of those tensors. */
#define T_LIST(...)                                                                             \
    ((TensorList){(Tensor *[]){__VA_ARGS__},                                                    \
                  (int)(sizeof((Tensor *[]){__VA_ARGS__}) / sizeof(Tensor *))})

/* "To the end of the dim": the end index t_slice takes for x[a:]. */
#define T_END INT64_MAX

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* What went wrong. Each kind has the name a notebook shows as the error's ename. */
typedef enum TErrorKind {
    T_ERR_RUNTIME,     /* RuntimeError: anything without a kind of its own */
    T_ERR_SHAPE,       /* ShapeError: shapes that do not fit together */
    T_ERR_INDEX,       /* IndexError: an index or dim out of range */
    T_ERR_DTYPE,       /* TypeError: a dtype the op does not take */
    T_ERR_VALUE,       /* ValueError: an argument with a bad value */
    T_ERR_DEVICE,      /* DeviceError: tensors on different devices, no GPU */
    T_ERR_OOM,         /* OutOfMemory */
    T_ERR_IO,          /* IOError: a missing, truncated or corrupt file */
    T_ERR_AUTOGRAD,    /* AutogradError: a graph that cannot be differentiated as asked */
    T_ERR_NOT_IMPLEMENTED, /* NotImplementedError: an op not available for this input */
    T_ERR_SEGFAULT,    /* SegmentationFault: invalid memory access in cell code */
    T_ERR_BUS,         /* BusError */
    T_ERR_FPE,         /* FloatingPointError: e.g. integer division by zero */
    T_ERR_ILL,         /* IllegalInstruction */
    T_ERR_ABORT,       /* Abort: abort() or a failed assert() */
    T_ERR_EXIT,        /* Exit: exit(n) called by cell code */
    T_ERR_STACK,       /* StackOverflow */
    T_ERR_INTERRUPT,   /* KeyboardInterrupt */
    T_ERR_COMPILE,     /* CompileError: a cell that did not compile */
    T_NERR_KINDS
} TErrorKind;

/* Longest error message kept; longer messages are cut. */
#define T_ERR_MSG_MAX 1024

/* A raised error, as a T_CATCH block sees it. */
typedef struct TError {
    TErrorKind kind;
    char message[T_ERR_MSG_MAX];
    int code; /* the status for T_ERR_EXIT, the signal number for signals, else 0 */
} TError;

/* The name of an error kind, e.g. "ShapeError". */
const char *t_error_name(TErrorKind kind);

/* Raises an error: formats the message like printf and long-jumps to the innermost handler
   (T_TRY, or the notebook cell). With no handler, prints the error and exits with status 1. */
void t_raise(TErrorKind kind, const char *fmt, ...);

/* One level of the handler stack; T_TRY declares it, nothing else should. */
typedef struct TTry {
    sigjmp_buf jb;
    struct TTry *prev;
    TError err;
    bool grad_mode; /* restored when an error lands here, so T_NO_GRAD cannot leak out */
} TTry;

TTry *t_try_push_(TTry *h);
TTry *t_try_pop_(TTry *h);
const TError *t_try_caught_(TTry *h);

/* For code that runs cells: raises an already formatted error (async-signal-safe apart from
   the jump), and reads or resets this thread's handler stack. */
void t_raise_error(const TError *err);
TTry *t_try_top_(void);
void t_try_set_top_(TTry *h);

/* T_TRY { ... } T_CATCH(err) { ... uses err->kind, err->message ... }
   Do not return or goto out of a T_TRY block; fall off its end. */
#define T_TRY                                                                                   \
    for (TTry t_try_h_, *t_try_p_ = t_try_push_(&t_try_h_); t_try_p_;                           \
         t_try_p_ = t_try_pop_(&t_try_h_))                                                      \
        if (sigsetjmp(t_try_h_.jb, 1) == 0)
#define T_CATCH(e) else for (const TError *e = t_try_caught_(&t_try_h_); e; e = NULL)

/* ------------------------------------------------------------------------------------------ */
/* Creation                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* A tensor of the given shape and dtype, uninitialised. */
Tensor *t_empty_shape(Shape shape, DType dtype);
/* A tensor filled with zeros. */
Tensor *t_zeros_shape(Shape shape, DType dtype);
/* A tensor filled with ones. */
Tensor *t_ones_shape(Shape shape, DType dtype);
/* A tensor filled with value. */
Tensor *t_full_shape(Shape shape, double value, DType dtype);
/* Uniform random numbers in [0, 1), from the global generator (see t_manual_seed). */
Tensor *t_rand_shape(Shape shape, DType dtype);
/* Standard normal random numbers, from the global generator. */
Tensor *t_randn_shape(Shape shape, DType dtype);
/* Random integers in [low, high), as T_I64 unless dtype says otherwise. */
Tensor *t_randint_shape(int64_t low, int64_t high, Shape shape, DType dtype);
/* A tensor holding a copy of data (numel elements of dtype, row-major) in the given shape. */
Tensor *t_tensor_shape(const void *data, DType dtype, Shape shape);
/* A tensor that shares the memory of a C array: writes through either are seen by both.
   The array must outlive the tensor; ctorch never frees it. */
Tensor *t_from_blob_shape(void *data, DType dtype, Shape shape);

/* t_zeros(2, 3): float32 zeros. The _dt forms take a dtype first: t_zeros_dt(T_I64, 2, 3). */
#define t_empty(...) t_empty_shape(T_SHAPE(__VA_ARGS__), T_F32)
#define t_zeros(...) t_zeros_shape(T_SHAPE(__VA_ARGS__), T_F32)
#define t_ones(...) t_ones_shape(T_SHAPE(__VA_ARGS__), T_F32)
#define t_full(value, ...) t_full_shape(T_SHAPE(__VA_ARGS__), (value), T_F32)
#define t_rand(...) t_rand_shape(T_SHAPE(__VA_ARGS__), T_F32)
#define t_randn(...) t_randn_shape(T_SHAPE(__VA_ARGS__), T_F32)
#define t_randint(low, high, ...) t_randint_shape((low), (high), T_SHAPE(__VA_ARGS__), T_I64)
#define t_empty_dt(dtype, ...) t_empty_shape(T_SHAPE(__VA_ARGS__), (dtype))
#define t_zeros_dt(dtype, ...) t_zeros_shape(T_SHAPE(__VA_ARGS__), (dtype))
#define t_ones_dt(dtype, ...) t_ones_shape(T_SHAPE(__VA_ARGS__), (dtype))
#define t_full_dt(dtype, value, ...) t_full_shape(T_SHAPE(__VA_ARGS__), (value), (dtype))
#define t_rand_dt(dtype, ...) t_rand_shape(T_SHAPE(__VA_ARGS__), (dtype))
#define t_randn_dt(dtype, ...) t_randn_shape(T_SHAPE(__VA_ARGS__), (dtype))

/* t_tensor((float[]){1, 2, 3, 4}, 2, 2): a float32 tensor copied from a C array, with the
   sizes after it (ints; none for a 0-d tensor). t_tensor_dt(T_I64, (int64_t[]){1, 2}, 2) for
   other dtypes; the array's element type must match the dtype. (A function, not a shape macro,
   because the braces of the array literal do not protect its commas from the preprocessor.) */
#define T_DIMS_END_ (-2147483647 - 1)
Tensor *t_tensor_va_(DType dtype, const void *data, ...);
#define t_tensor(...) t_tensor_va_(T_F32, __VA_ARGS__, T_DIMS_END_)
#define t_tensor_dt(dtype, ...) t_tensor_va_((dtype), __VA_ARGS__, T_DIMS_END_)
/* t_from_blob(arr, T_F32, 2, 2): a tensor viewing arr's memory (the NumPy bridge of C). */
#define t_from_blob(data, dtype, ...) t_from_blob_shape((data), (dtype), T_SHAPE(__VA_ARGS__))

/* A 0-d float32 tensor holding value. */
Tensor *t_scalar(double value);
/* A 0-d tensor of the given dtype holding value. */
Tensor *t_scalar_dt(DType dtype, double value);
/* Values start, start + step, ... below end (above it for a negative step), as float32. */
Tensor *t_arange(double start, double end, double step);
/* t_arange with a dtype: t_arange_dt(T_I64, 0, 10, 1) is torch.arange(10). */
Tensor *t_arange_dt(DType dtype, double start, double end, double step);
/* steps values evenly spaced from start to end inclusive, as float32. */
Tensor *t_linspace(double start, double end, int64_t steps);
/* The n×n float32 identity matrix. */
Tensor *t_eye(int64_t n);

/* Tensors shaped like x, with x's dtype and device. */
Tensor *t_empty_like(const Tensor *x);
Tensor *t_zeros_like(const Tensor *x);
Tensor *t_ones_like(const Tensor *x);
Tensor *t_full_like(const Tensor *x, double value);
Tensor *t_rand_like(const Tensor *x);
Tensor *t_randn_like(const Tensor *x);

/* Seeds the global random generator (Philox 4x32-10, counter-based): the same seed gives the
   same numbers on every run. */
void t_manual_seed(uint64_t seed);

/* ------------------------------------------------------------------------------------------ */
/* Accessors                                                                                    */
/* ------------------------------------------------------------------------------------------ */

Shape t_shape(const Tensor *x);          /* the sizes, as torch's x.shape */
Shape t_strides(const Tensor *x);        /* the strides, in elements, as torch's x.stride() */
int t_ndim(const Tensor *x);             /* number of dims */
int64_t t_size(const Tensor *x, int dim); /* the size of one dim (negative counts from the end) */
int64_t t_stride(const Tensor *x, int dim); /* the stride of one dim, in elements */
int64_t t_numel(const Tensor *x);        /* number of elements */
DType t_dtype(const Tensor *x);          /* element type */
Device t_device(const Tensor *x);        /* T_CPU or a CUDA device */
int64_t t_offset(const Tensor *x);       /* storage offset, in elements */
bool t_is_contiguous(const Tensor *x);   /* row-major with no gaps */
/* The value of a one-element tensor, as a double (torch's x.item()). */
double t_item(const Tensor *x);
/* The address of the first element (CPU tensors). Use t_strides to walk a non-contiguous one. */
void *t_data(const Tensor *x);
/* The element at the given indices, as a double: t_get(x, 1, 2) is x[1][2].item(). */
double t_get_at(const Tensor *x, Shape index);
#define t_get(x, ...) t_get_at((x), T_SHAPE(__VA_ARGS__))
/* Writes value at the given indices: t_set(x, 5.0, 1, 2) is x[1][2] = 5. */
void t_set_at(Tensor *x, double value, Shape index);
#define t_set(x, value, ...) t_set_at((x), (value), T_SHAPE(__VA_ARGS__))

/* Name of a device: "cpu", "cuda:0", ... */
const char *t_device_name(Device device);
/* Name of a dtype ("float32", "int64", ...). */
const char *t_dtype_name(DType dtype);
/* Bytes per element of a dtype. */
size_t t_dtype_size(DType dtype);
/* True for T_F32 and T_F64. */
bool t_dtype_is_floating(DType dtype);
/* "[2, 3]": a shape as text (the string is collected memory). */
const char *t_shape_str(Shape shape);

/* Releases x's storage now (for GPU memory wanted back at once). Every tensor that shares the
   storage becomes unusable: using it raises RuntimeError. */
void t_free(Tensor *x);

/* ------------------------------------------------------------------------------------------ */
/* Views: they share storage with their input, so writes go through.                           */
/* ------------------------------------------------------------------------------------------ */

/* x with a new shape, sharing storage; one size may be -1 (inferred). Raises if x's strides
   cannot be viewed that way (use t_reshape). */
Tensor *t_view_shape(Tensor *x, Shape shape);
#define t_view(x, ...) t_view_shape((x), T_SHAPE(__VA_ARGS__))
/* Like t_view, but copies when x's strides do not allow a view. */
Tensor *t_reshape_shape(Tensor *x, Shape shape);
#define t_reshape(x, ...) t_reshape_shape((x), T_SHAPE(__VA_ARGS__))
/* Dims reordered: t_permute(x, 2, 0, 1). */
Tensor *t_permute_shape(Tensor *x, Shape dims);
#define t_permute(x, ...) t_permute_shape((x), T_SHAPE(__VA_ARGS__))
/* Two dims swapped. */
Tensor *t_transpose(Tensor *x, int dim0, int dim1);
/* The transpose of a matrix; for other ndims, all dims reversed (torch's x.T). */
Tensor *t_T(Tensor *x);
/* x[..., index, ...] along dim: one dim fewer. */
Tensor *t_select(Tensor *x, int dim, int64_t index);
/* length elements of dim, from start. */
Tensor *t_narrow(Tensor *x, int dim, int64_t start, int64_t length);
/* x[start:end:step] along dim (step > 0); end may be T_END; negative start/end count from
   the end and out-of-range bounds are clamped, as in Python. */
Tensor *t_slice(Tensor *x, int dim, int64_t start, int64_t end, int64_t step);
/* Size-1 dims broadcast to the given sizes without copying; -1 keeps a size. */
Tensor *t_expand_shape(Tensor *x, Shape shape);
#define t_expand(x, ...) t_expand_shape((x), T_SHAPE(__VA_ARGS__))
/* x expanded to y's shape. */
Tensor *t_expand_as(Tensor *x, const Tensor *y);
/* A size-1 dim inserted at dim. */
Tensor *t_unsqueeze(Tensor *x, int dim);
/* Every size-1 dim removed. */
Tensor *t_squeeze(Tensor *x);
/* dim removed if its size is 1; otherwise a view of x with the same shape. */
Tensor *t_squeeze_dim(Tensor *x, int dim);
/* Dims start_dim..end_dim merged into one (torch.flatten); t_flatten(x, 1) keeps the batch. */
Tensor *t_flatten_range(Tensor *x, int start_dim, int end_dim);
#define t_flatten(x, start_dim) t_flatten_range((x), (start_dim), -1)
/* x itself if contiguous, else a contiguous copy. */
Tensor *t_contiguous(Tensor *x);
/* A contiguous copy of x (with autograd, the copy's gradient flows back to x). */
Tensor *t_clone(Tensor *x);
/* x in another dtype (a copy; x itself if the dtype is the same). */
Tensor *t_to_dtype(Tensor *x, DType dtype);
/* x on another device (a copy; x itself if already there). */
Tensor *t_to(Tensor *x, Device device);

/* ------------------------------------------------------------------------------------------ */
/* Elementwise ops. Operands broadcast as in PyTorch; mixed dtypes promote (bool < u8 < i32 <  */
/* i64 < f32 < f64). A trailing _ means in place: the result is written into the first operand */
/* and that operand is returned.                                                               */
/* ------------------------------------------------------------------------------------------ */

Tensor *t_add(Tensor *a, Tensor *b);
Tensor *t_sub(Tensor *a, Tensor *b);
Tensor *t_mul(Tensor *a, Tensor *b);
/* True division: integer operands give float32, as in PyTorch. */
Tensor *t_div(Tensor *a, Tensor *b);
Tensor *t_pow(Tensor *a, Tensor *b);
Tensor *t_maximum(Tensor *a, Tensor *b);
Tensor *t_minimum(Tensor *a, Tensor *b);
/* Scalar operands. An integer tensor stays integer when the scalar is a whole number, and
   becomes float32 otherwise. */
Tensor *t_add_s(Tensor *a, double s);
Tensor *t_sub_s(Tensor *a, double s);
Tensor *t_rsub_s(Tensor *a, double s); /* s - a */
Tensor *t_mul_s(Tensor *a, double s);
Tensor *t_div_s(Tensor *a, double s);
Tensor *t_pow_s(Tensor *a, double s);

Tensor *t_neg(Tensor *x);
Tensor *t_exp(Tensor *x);
Tensor *t_log(Tensor *x);
Tensor *t_sqrt(Tensor *x);
Tensor *t_abs(Tensor *x);
Tensor *t_sin(Tensor *x);
Tensor *t_cos(Tensor *x);
Tensor *t_tanh(Tensor *x);
Tensor *t_sigmoid(Tensor *x);
Tensor *t_relu(Tensor *x);
/* Values limited to [lo, hi]; pass -INFINITY or INFINITY for no bound. */
Tensor *t_clamp(Tensor *x, double lo, double hi);
/* a where cond is true, else b (cond is T_BOOL); all three broadcast. */
Tensor *t_where(Tensor *cond, Tensor *a, Tensor *b);

/* Comparisons give T_BOOL tensors. */
Tensor *t_eq(Tensor *a, Tensor *b);
Tensor *t_ne(Tensor *a, Tensor *b);
Tensor *t_lt(Tensor *a, Tensor *b);
Tensor *t_le(Tensor *a, Tensor *b);
Tensor *t_gt(Tensor *a, Tensor *b);
Tensor *t_ge(Tensor *a, Tensor *b);
Tensor *t_eq_s(Tensor *a, double s);
Tensor *t_ne_s(Tensor *a, double s);
Tensor *t_lt_s(Tensor *a, double s);
Tensor *t_le_s(Tensor *a, double s);
Tensor *t_gt_s(Tensor *a, double s);
Tensor *t_ge_s(Tensor *a, double s);

/* In place. The result's dtype must be the first operand's (PyTorch's rule): adding a float
   tensor into an integer one raises TypeError. */
Tensor *t_add_(Tensor *a, Tensor *b);
Tensor *t_sub_(Tensor *a, Tensor *b);
Tensor *t_mul_(Tensor *a, Tensor *b);
Tensor *t_div_(Tensor *a, Tensor *b);
Tensor *t_pow_(Tensor *a, Tensor *b);
Tensor *t_add_s_(Tensor *a, double s);
Tensor *t_sub_s_(Tensor *a, double s);
Tensor *t_mul_s_(Tensor *a, double s);
Tensor *t_div_s_(Tensor *a, double s);
Tensor *t_pow_s_(Tensor *a, double s);
Tensor *t_neg_(Tensor *x);
Tensor *t_exp_(Tensor *x);
Tensor *t_log_(Tensor *x);
Tensor *t_sqrt_(Tensor *x);
Tensor *t_abs_(Tensor *x);
Tensor *t_sin_(Tensor *x);
Tensor *t_cos_(Tensor *x);
Tensor *t_tanh_(Tensor *x);
Tensor *t_sigmoid_(Tensor *x);
Tensor *t_relu_(Tensor *x);
Tensor *t_clamp_(Tensor *x, double lo, double hi);
/* Every element set to value. */
Tensor *t_fill_(Tensor *x, double value);
/* Every element set to zero. */
Tensor *t_zero_(Tensor *x);
/* src (broadcast, cast) copied into dst. */
Tensor *t_copy_(Tensor *dst, Tensor *src);

/* ------------------------------------------------------------------------------------------ */
/* Reductions. The plain form reduces everything to a 0-d tensor; the _dim form reduces one    */
/* dim, keeping it as size 1 when keepdim is true.                                             */
/* ------------------------------------------------------------------------------------------ */

/* Sum (integer and bool tensors sum to int64, as in PyTorch). */
Tensor *t_sum(Tensor *x);
Tensor *t_sum_dim(Tensor *x, int dim, bool keepdim);
/* Mean (floating tensors only). */
Tensor *t_mean(Tensor *x);
Tensor *t_mean_dim(Tensor *x, int dim, bool keepdim);
/* Product. */
Tensor *t_prod(Tensor *x);
Tensor *t_prod_dim(Tensor *x, int dim, bool keepdim);
/* Largest / smallest element. NaN wins, as in PyTorch. */
Tensor *t_max(Tensor *x);
Tensor *t_min(Tensor *x);
/* Largest / smallest along dim; if indices is not NULL it receives where they are (int64). */
Tensor *t_max_dim(Tensor *x, int dim, bool keepdim, Tensor **indices);
Tensor *t_min_dim(Tensor *x, int dim, bool keepdim, Tensor **indices);
/* Index of the largest / smallest element (of the flattened tensor, or along dim), int64. */
Tensor *t_argmax(Tensor *x);
Tensor *t_argmin(Tensor *x);
Tensor *t_argmax_dim(Tensor *x, int dim, bool keepdim);
Tensor *t_argmin_dim(Tensor *x, int dim, bool keepdim);
/* Variance and standard deviation, unbiased (divides by N - 1), as PyTorch's default. */
Tensor *t_var(Tensor *x);
Tensor *t_std(Tensor *x);
/* With Bessel's correction given: 1 is unbiased, 0 the population variance. */
Tensor *t_var_dim(Tensor *x, int dim, bool keepdim, int correction);
Tensor *t_std_dim(Tensor *x, int dim, bool keepdim, int correction);
/* softmax along dim, computed stably (max subtracted first). */
Tensor *t_softmax(Tensor *x, int dim);
/* log(softmax(x)) along dim, computed stably. */
Tensor *t_log_softmax(Tensor *x, int dim);

/* ------------------------------------------------------------------------------------------ */
/* Linear algebra                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* Matrix product as torch.matmul: 1-D·1-D is a dot product, 2-D·2-D a matrix product, and
   higher dims are batches that broadcast. float32/float64 go through BLAS. */
Tensor *t_matmul(Tensor *a, Tensor *b);

/* ------------------------------------------------------------------------------------------ */
/* Indexing and joining                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* The entries of x along dim at the positions in index (1-D, int64). */
Tensor *t_index_select(Tensor *x, int dim, Tensor *index);
/* out[i][j] = x[index[i][j]][j] for dim 0 (and so on), as torch.gather. index is int64. */
Tensor *t_gather(Tensor *x, int dim, Tensor *index);
/* A copy of x with src's values written at index along dim (torch.scatter). */
Tensor *t_scatter(Tensor *x, int dim, Tensor *index, Tensor *src);
/* A copy of x with src's values added at index along dim (torch.scatter_add). */
Tensor *t_scatter_add(Tensor *x, int dim, Tensor *index, Tensor *src);
Tensor *t_scatter_(Tensor *x, int dim, Tensor *index, Tensor *src);
Tensor *t_scatter_add_(Tensor *x, int dim, Tensor *index, Tensor *src);
/* A copy of x with value wherever mask (bool, broadcast to x) is true. */
Tensor *t_masked_fill(Tensor *x, Tensor *mask, double value);
Tensor *t_masked_fill_(Tensor *x, Tensor *mask, double value);
/* Tensors joined along an existing dim: t_cat(T_LIST(a, b), 0). */
Tensor *t_cat(TensorList tensors, int dim);
/* Tensors joined along a new dim. */
Tensor *t_stack(TensorList tensors, int dim);
/* Pieces of split_size along dim (the last may be smaller); views of x. */
TensorList t_split(Tensor *x, int64_t split_size, int dim);
/* chunks pieces along dim, as torch.chunk; views of x. */
TensorList t_chunk(Tensor *x, int chunks, int dim);

/* ------------------------------------------------------------------------------------------ */
/* Autograd: define-by-run, reverse mode, as in PyTorch.                                       */
/* ------------------------------------------------------------------------------------------ */

/* Marks x (a floating leaf) as needing gradients, or not; returns x. */
Tensor *t_requires_grad_(Tensor *x, bool requires_grad);
/* Whether x needs gradients (a leaf marked so, or computed from one with grad mode on). */
bool t_requires_grad(const Tensor *x);
/* True for tensors not computed by a recorded op: user-created ones and those computed with
   grad mode off. Only leaves receive .grad. */
bool t_is_leaf(const Tensor *x);
/* The gradient accumulated into leaf x by backward passes, or NULL if none yet. */
Tensor *t_grad(const Tensor *x);
/* Forgets x's gradient (PyTorch's x.grad = None); the next backward starts from zero. */
void t_zero_grad(Tensor *x);
/* Sets x's gradient (a tensor of x's shape), as PyTorch's x.grad = g. */
void t_set_grad(Tensor *x, Tensor *g);

/* Backpropagates from scalar y: gradients accumulate into the leaves y depends on. The graph's
   saved tensors are freed afterwards; a second backward through it raises AutogradError. */
void t_backward(Tensor *y);
/* Backpropagates from y of any shape, with grad (y's shape) as dL/dy: the blitz's
   Q.backward(gradient=...). */
void t_backward_grad(Tensor *y, Tensor *grad);
/* Options of t_backward_opts: grad NULL means ones for a scalar y; retain_graph keeps the saved
   tensors so another backward can follow. */
typedef struct BackwardOpts {
    Tensor *grad;
    bool retain_graph;
} BackwardOpts;
void t_backward_opts(Tensor *y, BackwardOpts opts);
/* t_backward_ex(y, .retain_graph = true), t_backward_ex(y, .grad = g). */
#define t_backward_ex(y, ...) t_backward_opts((y), (BackwardOpts){__VA_ARGS__})

/* A tensor sharing x's storage, cut from the graph: a leaf that does not require grad. */
Tensor *t_detach(Tensor *x);

/* A node of the backward graph (PyTorch's grad_fn), for looking at the graph. */
typedef struct Node GradFn;
/* y's grad_fn, or NULL for a leaf. */
const GradFn *t_grad_fn(const Tensor *y);
/* The name of y's grad_fn ("MulBackward0"), or NULL for a leaf. */
const char *t_grad_fn_name(const Tensor *y);
/* The name of a node ("AccumulateGrad" for a leaf's). */
const char *t_node_name(const GradFn *f);
/* How many next functions f has (its inputs), and the i-th (NULL where an input needs no
   gradient), as PyTorch's grad_fn.next_functions. */
int t_node_next_count(const GradFn *f);
const GradFn *t_node_next(const GradFn *f, int i);
/* For an AccumulateGrad node: the leaf it accumulates into; else NULL. */
Tensor *t_node_variable(const GradFn *f);

/* Grad mode (on by default): with it off, ops record nothing. Per thread. */
bool t_is_grad_enabled(void);
void t_set_grad_enabled(bool enabled);
bool t_no_grad_enter_(void);
bool t_no_grad_exit_(bool previous);
/* T_NO_GRAD { ... }: the block runs with grad mode off (torch.no_grad()). Do not return or
   jump out of the block; an error raised inside is fine (the handler that catches it, a
   T_TRY or the cell, gets back the grad mode it had). */
#define T_NO_GRAD                                                                               \
    for (bool t_ng_prev_ = t_no_grad_enter_(), t_ng_once_ = true; t_ng_once_;                   \
         t_ng_once_ = t_no_grad_exit_(t_ng_prev_))

/* The function t_gradcheck differentiates: outputs one tensor from the inputs. */
typedef Tensor *(*GradcheckFn)(TensorList inputs, void *ctx);
/* Compares f's analytic gradients (by backward) with central finite differences, for every
   input that requires grad (float64 inputs; eps 1e-6, atol 1e-5, rtol 1e-3 as PyTorch).
   Returns true when they match; otherwise raises AutogradError naming the input, the
   element and both values. */
bool t_gradcheck(GradcheckFn f, TensorList inputs, void *ctx);

/* Resets per-thread state a failed cell may leave behind (grad mode on, open progress bars
   closed). Called by the cell runner at every cell boundary. */
void t_reset_thread_state(void);

/* ------------------------------------------------------------------------------------------ */
/* Printing                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* x as PyTorch prints it: "tensor([[1., 2.],\n        [3., 4.]])", summarised when large
   (more than 1000 elements: the first and last 3 of each dim). Collected memory. */
const char *t_str(const Tensor *x);
/* Prints t_str(x) and a newline to stdout. */
void t_print(const Tensor *x);

/* ------------------------------------------------------------------------------------------ */
/* Rich display: values become MIME bundles, which a front end (the notebook kernel, the REPL) */
/* receives through its display hook. With no hook installed, text/plain goes to stdout.       */
/* ------------------------------------------------------------------------------------------ */

/* Most MIME types one bundle holds. */
#define T_MIME_MAX 8

/* One value's representations: type -> bytes (text, or binary such as PNG; the kernel encodes
   binary types in base64). metadata is a JSON object text or NULL. */
typedef struct MimeBundle {
    int n;
    const char *mime[T_MIME_MAX];
    const char *data[T_MIME_MAX];
    size_t len[T_MIME_MAX];
    const char *metadata;
} MimeBundle;

/* How a bundle is shown: a new output, a replacement of the output with the same display id,
   the cell's result (execute_result), or a request to clear the cell's output. */
typedef enum DisplayKind { DISPLAY_DATA, DISPLAY_UPDATE, DISPLAY_RESULT, DISPLAY_CLEAR } DisplayKind;

typedef void (*DisplayHook)(void *ctx, DisplayKind kind, const MimeBundle *bundle,
                            const char *display_id);

/* An empty bundle, and one more representation added to it (data is copied). */
MimeBundle *mime_new(void);
void mime_add(MimeBundle *b, const char *mime, const void *data, size_t len);
/* The data of one MIME type in b, or NULL. */
const char *mime_get(const MimeBundle *b, const char *mime, size_t *len);

/* Installs the front end's display hook (NULL restores printing text/plain to stdout). */
void t_display_set_hook(DisplayHook hook, void *ctx);
/* Hands a bundle to the display hook. display_id may be NULL (DISPLAY_UPDATE needs one). */
void t_display_publish(DisplayKind kind, const MimeBundle *bundle, const char *display_id);
/* Clears the cell's output (wait: when the next output arrives, as Jupyter's clear_output).
   The hook receives DISPLAY_CLEAR with an empty bundle whose metadata is {"wait": true}
   or {"wait": false}. */
void t_clear_output(bool wait);

/* Bundles for values of each C type a cell's last expression may have. */
MimeBundle *t_bundle_tensor(const Tensor *x);
MimeBundle *t_bundle_i64(long long v);
MimeBundle *t_bundle_u64(unsigned long long v);
MimeBundle *t_bundle_f64(double v);
MimeBundle *t_bundle_bool(bool v);
MimeBundle *t_bundle_char(char v);
MimeBundle *t_bundle_str(const char *s);
MimeBundle *t_bundle_ptr(const void *p);
MimeBundle *t_bundle_shape(Shape s);
/* A bundle holding only text/plain. */
MimeBundle *t_bundle_text(const char *text);

/* The bundle for any value, chosen by its C type. */
#define t_bundle(x)                                                                             \
    _Generic((x),                                                                               \
        Tensor *: t_bundle_tensor, const Tensor *: t_bundle_tensor,                             \
        _Bool: t_bundle_bool, char: t_bundle_char,                                              \
        signed char: t_bundle_i64, short: t_bundle_i64, int: t_bundle_i64,                      \
        long: t_bundle_i64, long long: t_bundle_i64,                                            \
        unsigned char: t_bundle_u64, unsigned short: t_bundle_u64, unsigned: t_bundle_u64,      \
        unsigned long: t_bundle_u64, unsigned long long: t_bundle_u64,                          \
        float: t_bundle_f64, double: t_bundle_f64,                                              \
        char *: t_bundle_str, const char *: t_bundle_str,                                       \
        Shape: t_bundle_shape,                                                                  \
        default: t_bundle_ptr)(x)

/* Shows any value as a new output of the cell (IPython's display()). */
#define display(x) t_display_publish(DISPLAY_DATA, t_bundle(x), NULL)

/* ------------------------------------------------------------------------------------------ */
/* CUDA: GPUs, their memory, and kernels compiled from CUDA C in a cell (%%cuda). Tensors move */
/* with t_to(x, T_CUDA) and back with t_to(x, T_CPU); ops run on their operands' device.       */
/* ------------------------------------------------------------------------------------------ */

/* True when the CUDA backend is installed and a driver and at least one GPU are present. The
   first call loads the backend (libctorch-cuda.so, found next to libctorch, in the build
   directory, or at $CTORCH_CUDA_LIB). Without it, ops on CUDA tensors raise DeviceError. */
bool cuda_is_available(void);
/* Number of GPUs ctorch can use (0 when cuda_is_available() is false). */
int cuda_device_count(void);
/* Product name of GPU i ("NVIDIA H100 80GB HBM3"); IndexError for a GPU that is not there. */
const char *cuda_device_name(int i);
/* Waits until every op queued on every GPU has finished; raises the first error a kernel hit.
   Ops are queued, so a failing kernel may be reported by a later op; set CTORCH_CUDA_SYNC=1
   to wait after every op, so the error names the op that failed. */
void cuda_synchronize(void);

/* Bytes of one GPU's memory, as ctorch's caching allocator counts them: allocated (held by
   tensors), reserved (taken from the driver, allocated or cached for reuse), and the peak of
   allocated since the program started. device is the GPU's index (0 for T_CUDA). */
typedef struct CudaMemoryStats {
    int64_t allocated, reserved, peak;
} CudaMemoryStats;
CudaMemoryStats cuda_memory_stats(int device);
/* One line per GPU: "cuda:0 (name): allocated N bytes (x MiB), reserved ..., peak ...".
   Collected memory. Tensors no longer reachable give their memory back when the collector runs;
   t_free(x) gives it back at once. */
const char *cuda_memory_summary(void);

/* A CUDA C translation unit compiled to PTX by NVRTC. Modules live until the program ends. */
typedef struct CudaModule CudaModule;
/* Compiles CUDA C source to PTX; name is the cell's name ("In[3]"), used in diagnostics. Every
   __global__ function becomes launchable by its name with cuda_launch ("scale<float>" for a
   template instance), replacing an earlier kernel of the same name; overloads share a name,
   so launch them by their PTX name (the .entry in cuda_module_ptx). Returns NULL when the source does not compile; *log (when log is
   not NULL) then receives the compiler's messages with locations as "In[3] line 2: error: ...".
   Works without a GPU; raises DeviceError when the CUDA backend is not installed. */
CudaModule *cuda_compile(const char *source, const char *name, const char **log);
/* The PTX text of a module. */
const char *cuda_module_ptx(const CudaModule *m);
/* The name of the module's i-th kernel (as cuda_launch takes it), or NULL past the last. */
const char *cuda_module_kernel(const CudaModule *m, int i);

/* Grid or block dimensions: cuda_dim(128) or cuda_dim(16, 16); missing dims are 1. */
typedef struct CudaDim {
    unsigned x, y, z;
} CudaDim;
#define cuda_dim(...) CUDA_DIM_(__VA_ARGS__, 1, 1, 0)
#define CUDA_DIM_(x, y, z, ...) ((CudaDim){(x), (y), (z)})

/* One kernel argument: a tensor (the kernel receives a pointer to its first element on the
   GPU), a number of a C type, or a raw device pointer. */
typedef enum CudaArgKind {
    CUDA_ARG_TENSOR, CUDA_ARG_I32, CUDA_ARG_I64, CUDA_ARG_F32, CUDA_ARG_F64, CUDA_ARG_BOOL,
    CUDA_ARG_PTR
} CudaArgKind;
typedef struct CudaArg {
    CudaArgKind kind;
    union {
        Tensor *t;
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        bool b;
        void *ptr;
    } v;
} CudaArg;
CudaArg cuda_arg_tensor(Tensor *t);
CudaArg cuda_arg_i32(int32_t v);
CudaArg cuda_arg_i64(int64_t v);
CudaArg cuda_arg_f32(float v);
CudaArg cuda_arg_f64(double v);
CudaArg cuda_arg_bool(bool v);
CudaArg cuda_arg_ptr(const void *p);
/* The argument for a C value, chosen by its type: int -> int, long -> int64_t, float, double,
   Tensor * -> the tensor's device pointer. */
#define cuda_arg(x)                                                                             \
    _Generic((x),                                                                               \
        Tensor *: cuda_arg_tensor, _Bool: cuda_arg_bool,                                        \
        char: cuda_arg_i32, signed char: cuda_arg_i32, short: cuda_arg_i32, int: cuda_arg_i32,  \
        unsigned char: cuda_arg_i32, unsigned short: cuda_arg_i32, unsigned: cuda_arg_i32,      \
        long: cuda_arg_i64, long long: cuda_arg_i64, unsigned long: cuda_arg_i64,               \
        unsigned long long: cuda_arg_i64, float: cuda_arg_f32, double: cuda_arg_f64,            \
        default: cuda_arg_ptr)(x)

/* Runs a kernel compiled by cuda_compile on the GPU of its tensor arguments (which must share
   one; the first GPU when there are none), with shared_bytes of dynamic shared memory. The
   arguments' number and sizes are checked against the kernel's parameters. Kernels run in
   order with ctorch's ops; cuda_synchronize waits for them. A kernel that touches memory out
   of bounds leaves the GPU unusable until the program ends (CUDA's rule): later CUDA ops
   raise DeviceError until the notebook kernel restarts. */
void cuda_launch_args(const char *kernel, CudaDim grid, CudaDim block, size_t shared_bytes,
                      int nargs, const CudaArg *args);
/* cuda_launch("saxpy", cuda_dim(blocks), cuda_dim(256), x, y, 2.0f, n): 1 to 12 arguments,
   each converted by cuda_arg. */
#define cuda_launch(kernel, grid, block, ...)                                                   \
    cuda_launch_args((kernel), (grid), (block), 0, CUDA_NARG_(__VA_ARGS__),                     \
                     (CudaArg[CUDA_NARG_(__VA_ARGS__)]){                                        \
                         CUDA_MAP_(CUDA_NARG_(__VA_ARGS__), __VA_ARGS__)})
#define CUDA_NARG_(...) CUDA_NARG_N_(__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define CUDA_NARG_N_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, N, ...) N
#define CUDA_MAP_(n, ...) CUDA_MAP_CAT_(CUDA_MAP_, n)(__VA_ARGS__)
#define CUDA_MAP_CAT_(a, b) CUDA_MAP_CAT2_(a, b)
#define CUDA_MAP_CAT2_(a, b) a##b
#define CUDA_MAP_1(a) cuda_arg(a)
#define CUDA_MAP_2(a, ...) cuda_arg(a), CUDA_MAP_1(__VA_ARGS__)
#define CUDA_MAP_3(a, ...) cuda_arg(a), CUDA_MAP_2(__VA_ARGS__)
#define CUDA_MAP_4(a, ...) cuda_arg(a), CUDA_MAP_3(__VA_ARGS__)
#define CUDA_MAP_5(a, ...) cuda_arg(a), CUDA_MAP_4(__VA_ARGS__)
#define CUDA_MAP_6(a, ...) cuda_arg(a), CUDA_MAP_5(__VA_ARGS__)
#define CUDA_MAP_7(a, ...) cuda_arg(a), CUDA_MAP_6(__VA_ARGS__)
#define CUDA_MAP_8(a, ...) cuda_arg(a), CUDA_MAP_7(__VA_ARGS__)
#define CUDA_MAP_9(a, ...) cuda_arg(a), CUDA_MAP_8(__VA_ARGS__)
#define CUDA_MAP_10(a, ...) cuda_arg(a), CUDA_MAP_9(__VA_ARGS__)
#define CUDA_MAP_11(a, ...) cuda_arg(a), CUDA_MAP_10(__VA_ARGS__)
#define CUDA_MAP_12(a, ...) cuda_arg(a), CUDA_MAP_11(__VA_ARGS__)

#include "ctorch_nn.h"
#include "ctorch_plot.h"
#include "ctorch_data.h"
#include "ctorch_display.h"

#ifdef __cplusplus
}
#endif
#endif /* CTORCH_H */
