/*
 * internal.h — what libctorch's own files share: the tensor and storage structs, allocation,
 * argument checking and the backend interface. Never included by cells or user programs.
 */
#ifndef CTORCH_INTERNAL_H
#define CTORCH_INTERNAL_H

#define GC_THREADS
#include <gc.h>

#include "ctorch.h"

/* Memory a tensor's elements live in, shared by every view of it. */
typedef struct Storage {
    void *data;        /* first byte; NULL once t_free released it */
    size_t nbytes;
    Device device;
    bool external;     /* memory the user owns (t_from_blob): never freed by ctorch */
    uint64_t version;  /* bumped by every in-place write, for autograd's saved-tensor checks */
    void *owner;       /* a backend's handle for device memory (see cuda/), else NULL */
} Storage;

struct Node; /* an autograd graph node: see autograd.c */

struct Tensor { /* the small fields first, packed into 16 bytes: every op allocates one */
    DType dtype;
    Device device;
    int output_nr;              /* autograd: which output of grad_fn this tensor is */
    int16_t ndim;               /* at most T_MAX_DIMS; read as an int */
    bool requires_grad;         /* autograd */
    int64_t size[T_MAX_DIMS];
    int64_t stride[T_MAX_DIMS]; /* in elements */
    int64_t offset;             /* in elements, from storage->data */
    Storage *storage;
    /* autograd */
    Tensor *grad;
    struct Node *grad_fn;
    Tensor *base;               /* the tensor this one is a view of, or NULL */
    struct Node *grad_acc;      /* a leaf's AccumulateGrad node, made when first needed */
};

/* ---- allocation (alloc.c) ---- */

/* Collected, scanned memory (for structs holding pointers), zeroed. */
void *t_gc_alloc(size_t nbytes);
/* Collected, unscanned memory (for element data), not zeroed. */
void *t_gc_alloc_atomic(size_t nbytes);
/* A printf-formatted string in collected memory. */
char *t_gc_sprintf(const char *fmt, ...);
/* A new storage of nbytes on device. */
Storage *t_storage_new(size_t nbytes, Device device);
/* A new contiguous tensor header over a fresh storage. */
Tensor *t_new(Shape shape, DType dtype, Device device);
/* t_new for the sizes of an existing tensor, whose element count is known to fit in int64:
   no Shape copied on the way (only the byte count is checked). */
Tensor *t_new_sized(int ndim, const int64_t *size, DType dtype, Device device);
/* Sets t's dtype, device and a row-major contiguous geometry of ndim sizes (storage untouched). */
void t_init_contiguous(Tensor *t, int ndim, const int64_t *size, DType dtype, Device device);
/* A header for a view of x with the given geometry, sharing x's storage. */
Tensor *t_make_view(const Tensor *x, int ndim, const int64_t *size, const int64_t *stride,
                    int64_t offset);

/* ---- checks shared by ops (check.c) ---- */

/* dim normalised to [0, ndim) (negative dims count from the end), or IndexError naming op. */
int t_check_dim(const char *op, int dim, int ndim);
/* Number of elements of a shape, or ValueError for negative sizes or overflow. */
int64_t t_shape_numel(const char *op, Shape shape);
/* Raises the error for a tensor that is NULL or whose storage t_free released. */
void t_check_alive_failed(const char *op, const Tensor *x);
/* Raises unless x's storage is alive (inline: every op checks its operands). */
static inline void t_check_alive(const char *op, const Tensor *x) {
    if (!x || !x->storage || !x->storage->data) t_check_alive_failed(op, x);
}
void t_check_same_device_failed(const char *op, const Tensor *a, const Tensor *b);
/* Raises DeviceError unless a and b are on the same device (inline, as t_check_alive). */
static inline void t_check_same_device(const char *op, const Tensor *a, const Tensor *b) {
    if (a->device != b->device) t_check_same_device_failed(op, a, b);
}
/* The broadcast shape of a and b, or ShapeError naming op and both shapes. */
Shape t_broadcast_shapes(const char *op, Shape a, Shape b);
/* The dtype both operands promote to. */
DType t_promote(DType a, DType b);
/* Pointer to element 0 of x (offset applied). */
/* Bytes per element of a dtype already known to be valid (the hot-path twin of
   t_dtype_size, which checks). */
static inline size_t t_esize(DType d) {
    static const unsigned char bytes[T_NDTYPES] = {4, 8, 8, 4, 1, 1}; /* in DType's order */
    return bytes[d];
}
static inline char *t_ptr(const Tensor *x) {
    return (char *)x->storage->data + x->offset * (int64_t)t_esize(x->dtype);
}
/* Whether x is row-major contiguous (the hot-path twin of t_is_contiguous). */
static inline bool t_contiguous_fast(const Tensor *x) {
    int64_t expected = 1;
    for (int i = x->ndim - 1; i >= 0; i--) {
        int64_t n = x->size[i];
        /* a mismatch may still be contiguous: an empty tensor is, whatever its strides */
        if (x->stride[i] != expected && n != 1) return t_is_contiguous(x);
        expected *= n;
    }
    return true;
}
/* Shape of a tensor (internal inline twin of t_shape). */
static inline Shape t_shape_of(const Tensor *x) {
    Shape s = {x->ndim, {0}};
    for (int i = 0; i < x->ndim; i++) s.d[i] = x->size[i];
    return s;
}

/* ---- in-place updates outside autograd (elementwise.c) ---- */

/* y = beta * y + alpha * x in place, in one pass, for floating tensors of one shape, dtype and
   device; for updates that autograd does not see (an optimizer's step, under T_NO_GRAD), and
   raises AutogradError otherwise. op names the caller in errors. */
void t_axpby_(const char *op, Tensor *y, double beta, Tensor *x, double alpha);

/* ---- random numbers (random.c) ---- */

/* Reserves n counters of the global Philox stream; returns the key and the first counter. */
void t_rng_reserve(uint64_t n, uint64_t *seed, uint64_t *offset);

/* ---- text and printing (print.c) ---- */

/* A growing text buffer in collected memory; start from {0}. data is NUL-terminated. */
typedef struct TBuf {
    char *data;
    size_t len, cap;
} TBuf;
void t_buf_add(TBuf *b, const char *s, size_t n);
void t_buf_puts(TBuf *b, const char *s);
void t_buf_printf(TBuf *b, const char *fmt, ...);
/* n copies of c. */
void t_buf_repeat(TBuf *b, char c, int n);

/* t_str's summarisation (PyTorch's print options): a tensor of more than T_PRINT_THRESHOLD
   elements shows T_PRINT_EDGE_ITEMS entries at each end of every dim longer than twice that. */
enum { T_PRINT_THRESHOLD = 1000, T_PRINT_EDGE_ITEMS = 3 };

/* How t_str writes the elements of one tensor, chosen from all the values it shows. */
typedef struct TElemFormat {
    DType dtype;
    bool int_mode;  /* floating values that are all whole: "1." */
    bool sci_mode;  /* "1.0000e+05" */
    int width;      /* the common column width */
} TElemFormat;
/* The format t_str uses for x (a CPU tensor). */
TElemFormat t_elem_format(const Tensor *x);
/* The text of the element at off elements from t_ptr(x), not padded to f->width
   (collected memory). */
const char *t_elem_text(const TElemFormat *f, const Tensor *x, int64_t off);

/* ---- display (display.c) ---- */

/* Whether a front end's display hook is installed. */
bool t_display_has_hook(void);

#endif /* CTORCH_INTERNAL_H */
