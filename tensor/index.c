/*
 * index.c — indexing and joining: index_select, gather, scatter, masked_fill, cat, stack,
 * split and chunk. The ops check shapes, dtypes and every index here (with the op's name in
 * the message), then call the device's primitives, which trust what they are given.
 */
#include "autograd.h"
#include "grad.h"

/* ---- checks ------------------------------------------------------------------------------ */

/* Raises unless index holds int64 positions on x's device. */
static void need_index(const char *op, const Tensor *x, const Tensor *index) {
    t_check_alive(op, x);
    t_check_alive(op, index);
    t_check_same_device(op, x, index);
    if (index->dtype != T_I64)
        t_raise(T_ERR_DTYPE, "%s: expected an int64 index, got %s (convert it with "
                "t_to_dtype(index, T_I64))", op, t_dtype_name(index->dtype));
}

/* Raises IndexError naming the first index outside [0, size) along dim. Reads the indices on
   the CPU (a copy for device tensors), as the error must name the index. */
static void check_range(const char *op, Tensor *index, int dim, int64_t size) {
    Tensor *ic = t_contiguous(t_to(index, T_CPU));
    const int64_t *p = (const int64_t *)t_ptr(ic);
    int64_t n = t_numel(ic);
    for (int64_t i = 0; i < n; i++)
        if (p[i] < 0 || p[i] >= size)
            t_raise(T_ERR_INDEX, "%s: index %lld is out of bounds for dim %d with size %lld", op,
                    (long long)p[i], dim, (long long)size);
}

/* The size of x along dim, counting a 0-d tensor as one element along dim 0. */
static int64_t dim_size(const Tensor *x, int dim) { return x->ndim ? x->size[dim] : 1; }

/* Raises unless a and b have the same number of dims (index against x or src). */
static void need_same_ndim(const char *op, const char *what, const Tensor *index,
                           const Tensor *b) {
    if (index->ndim != b->ndim)
        t_raise(T_ERR_SHAPE, "%s: index must have as many dims as %s: index shape %s, %s "
                "shape %s", op, what, t_shape_str(t_shape_of(index)), what,
                t_shape_str(t_shape_of(b)));
}

/* Raises unless index is no larger than b in every dim but skip (-1: every dim). */
static void need_fits(const char *op, const char *what, const Tensor *index, const Tensor *b,
                      int skip) {
    for (int d = 0; d < index->ndim; d++)
        if (d != skip && index->size[d] > b->size[d])
            t_raise(T_ERR_SHAPE, "%s: index shape %s is larger than %s shape %s at dim %d", op,
                    t_shape_str(t_shape_of(index)), what, t_shape_str(t_shape_of(b)), d);
}

/* ---- selecting --------------------------------------------------------------------------- */

Tensor *t_index_select(Tensor *x, int dim, Tensor *index) {
    const char *op = "t_index_select";
    need_index(op, x, index);
    if (index->ndim > 1)
        t_raise(T_ERR_SHAPE, "%s: index must be 1-D, got shape %s", op,
                t_shape_str(t_shape_of(index)));
    dim = t_check_dim(op, dim, x->ndim);
    check_range(op, index, dim, dim_size(x, dim));
    Shape shape = t_shape_of(x);
    if (x->ndim) shape.d[dim] = t_numel(index);
    else if (t_numel(index) != 1)
        t_raise(T_ERR_SHAPE, "%s: a 0-d tensor takes one index, got shape %s", op,
                t_shape_str(t_shape_of(index)));
    Tensor *out = t_new(shape, x->dtype, x->device);
    t_backend(x->device)->index_select(out, x, dim, index);
    t_grad_record_index_select(out, x, dim, index);
    return out;
}

Tensor *t_gather(Tensor *x, int dim, Tensor *index) {
    const char *op = "t_gather";
    need_index(op, x, index);
    need_same_ndim(op, "x", index, x);
    dim = t_check_dim(op, dim, x->ndim);
    need_fits(op, "x", index, x, dim);
    check_range(op, index, dim, dim_size(x, dim));
    Tensor *out = t_new(t_shape_of(index), x->dtype, x->device);
    t_backend(x->device)->gather(out, x, dim, index);
    t_grad_record_gather(out, x, dim, index);
    return out;
}

/* ---- writing ----------------------------------------------------------------------------- */

/* src written (or added) into x in place at index along dim: the checks of torch.scatter_. */
static Tensor *scatter_into(const char *op, Tensor *x, int dim, Tensor *index, Tensor *src,
                            bool add) {
    need_index(op, x, index);
    t_check_alive(op, src);
    t_check_same_device(op, x, src);
    if (src->dtype != x->dtype)
        t_raise(T_ERR_DTYPE, "%s: src's dtype %s differs from x's dtype %s", op,
                t_dtype_name(src->dtype), t_dtype_name(x->dtype));
    need_same_ndim(op, "x", index, x);
    need_same_ndim(op, "src", index, src);
    dim = t_check_dim(op, dim, x->ndim);
    need_fits(op, "x", index, x, dim);
    need_fits(op, "src", index, src, -1);
    check_range(op, index, dim, dim_size(x, dim));
    t_ag_check_inplace(op, x);
    t_backend(x->device)->scatter(x, dim, index, src, add);
    x->storage->version++;
    t_grad_record_scatter(x, x, dim, index, src, add);
    return x;
}

Tensor *t_scatter_(Tensor *x, int dim, Tensor *index, Tensor *src) {
    return scatter_into("t_scatter_", x, dim, index, src, false);
}

Tensor *t_scatter_add_(Tensor *x, int dim, Tensor *index, Tensor *src) {
    return scatter_into("t_scatter_add_", x, dim, index, src, true);
}

Tensor *t_scatter(Tensor *x, int dim, Tensor *index, Tensor *src) {
    t_check_alive("t_scatter", x);
    return scatter_into("t_scatter", t_clone(x), dim, index, src, false);
}

Tensor *t_scatter_add(Tensor *x, int dim, Tensor *index, Tensor *src) {
    t_check_alive("t_scatter_add", x);
    return scatter_into("t_scatter_add", t_clone(x), dim, index, src, true);
}

/* value written into x wherever mask (bool, broadcast to x's shape) is true, in place. */
static Tensor *masked_fill_into(const char *op, Tensor *x, Tensor *mask, double value) {
    t_check_alive(op, x);
    t_check_alive(op, mask);
    t_check_same_device(op, x, mask);
    if (mask->dtype != T_BOOL)
        t_raise(T_ERR_DTYPE, "%s: expected a bool mask, got %s", op, t_dtype_name(mask->dtype));
    Shape xs = t_shape_of(x), both = t_broadcast_shapes(op, t_shape_of(mask), xs);
    bool same = both.ndim == xs.ndim;
    for (int d = 0; same && d < xs.ndim; d++) same = both.d[d] == xs.d[d];
    if (!same)
        t_raise(T_ERR_SHAPE, "%s: mask of shape %s does not broadcast to x's shape %s", op,
                t_shape_str(t_shape_of(mask)), t_shape_str(xs));
    t_ag_check_inplace(op, x);
    const Backend *be = t_backend(x->device);
    Tensor *v = t_new(T_SHAPE(), x->dtype, x->device);
    be->fill(v, value);
    int64_t zero[T_MAX_DIMS] = {0};
    Tensor *ve = t_make_view(v, x->ndim, x->size, zero, v->offset);
    bool grad_mode = t_no_grad_enter_();
    Tensor *mask_x = t_expand_shape(mask, xs);
    t_no_grad_exit_(grad_mode);
    be->where(x, mask_x, ve, x);
    x->storage->version++;
    t_grad_record_masked_fill(x, x, mask);
    return x;
}

Tensor *t_masked_fill_(Tensor *x, Tensor *mask, double value) {
    return masked_fill_into("t_masked_fill_", x, mask, value);
}

Tensor *t_masked_fill(Tensor *x, Tensor *mask, double value) {
    t_check_alive("t_masked_fill", x);
    return masked_fill_into("t_masked_fill", t_clone(x), mask, value);
}

/* ---- joining ----------------------------------------------------------------------------- */

/* Whether t_cat passes over t: an empty 1-D tensor, which PyTorch still accepts next to
   tensors of any shape (a legacy rule kept for compatibility). */
static bool cat_skips(const Tensor *t) { return t->ndim == 1 && t->size[0] == 0; }

/* Raises unless t fits next to ref in a concatenation along dim (i and j: their positions). */
static void need_cat_fit(const Tensor *ref, int j, const Tensor *t, int i, int dim) {
    if (t->ndim != ref->ndim)
        t_raise(T_ERR_SHAPE, "t_cat: tensors must have the same number of dims, got shapes %s "
                "(position %d) and %s (position %d)", t_shape_str(t_shape_of(ref)), j,
                t_shape_str(t_shape_of(t)), i);
    for (int d = 0; d < t->ndim; d++)
        if (d != dim && t->size[d] != ref->size[d])
            t_raise(T_ERR_SHAPE, "t_cat: sizes must match except in dim %d, got shapes %s "
                    "(position %d) and %s (position %d)", dim, t_shape_str(t_shape_of(ref)), j,
                    t_shape_str(t_shape_of(t)), i);
}

/* t_cat of more tensors than one autograd node takes: joined in groups, then the groups. */
static Tensor *cat_grouped(TensorList tensors, int dim) {
    int ngroups = (tensors.n + AG_MAX_INPUTS - 1) / AG_MAX_INPUTS;
    Tensor **groups = t_gc_alloc(sizeof *groups * (size_t)ngroups);
    for (int g = 0; g < ngroups; g++) {
        int first = g * AG_MAX_INPUTS, n = tensors.n - first;
        groups[g] = t_cat((TensorList){tensors.items + first, n < AG_MAX_INPUTS ? n : AG_MAX_INPUTS},
                          dim);
    }
    return t_cat((TensorList){groups, ngroups}, dim);
}

Tensor *t_cat(TensorList tensors, int dim) {
    if (tensors.n <= 0 || !tensors.items)
        t_raise(T_ERR_VALUE, "t_cat: expected a non-empty list of tensors");
    if (tensors.n > AG_MAX_INPUTS && t_ag_needed(tensors.n, tensors.items))
        return cat_grouped(tensors, dim);
    int first = -1;
    DType dtype = T_BOOL;
    for (int i = 0; i < tensors.n; i++) {
        Tensor *t = tensors.items[i];
        t_check_alive("t_cat", t);
        t_check_same_device("t_cat", tensors.items[0], t);
        if (t->ndim == 0)
            t_raise(T_ERR_SHAPE, "t_cat: a 0-d tensor (position %d) cannot be concatenated; "
                    "use t_stack or t_unsqueeze it first", i);
        dtype = i ? t_promote(dtype, t->dtype) : t->dtype;
        if (first < 0 && !cat_skips(t)) first = i;
    }
    Device device = tensors.items[0]->device;
    if (first < 0) return t_new(T_SHAPE(0), dtype, device); /* all empty: an empty result */
    const Tensor *ref = tensors.items[first];
    dim = t_check_dim("t_cat", dim, ref->ndim);
    Shape shape = t_shape_of(ref);
    shape.d[dim] = 0;
    for (int i = 0; i < tensors.n; i++) {
        if (cat_skips(tensors.items[i])) continue;
        need_cat_fit(ref, first, tensors.items[i], i, dim);
        shape.d[dim] += tensors.items[i]->size[dim];
    }
    Tensor *out = t_new(shape, dtype, device);
    const Backend *be = t_backend(device);
    int64_t at = 0;
    for (int i = 0; i < tensors.n; i++) {
        Tensor *t = tensors.items[i];
        if (cat_skips(t)) continue;
        Tensor *part = t_make_view(out, out->ndim, t->size, out->stride, at * out->stride[dim]);
        be->copy(part, t);
        at += t->size[dim];
    }
    t_grad_record_cat(out, tensors, dim);
    return out;
}

Tensor *t_stack(TensorList tensors, int dim) {
    if (tensors.n <= 0 || !tensors.items)
        t_raise(T_ERR_VALUE, "t_stack: expected a non-empty list of tensors");
    const Tensor *ref = tensors.items[0];
    t_check_alive("t_stack", ref);
    dim = t_check_dim("t_stack", dim, ref->ndim + 1);
    Tensor **parts = t_gc_alloc(sizeof *parts * (size_t)tensors.n);
    for (int i = 0; i < tensors.n; i++) {
        Tensor *t = tensors.items[i];
        t_check_alive("t_stack", t);
        bool same = t->ndim == ref->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->size[d] == ref->size[d];
        if (!same)
            t_raise(T_ERR_SHAPE, "t_stack: expected tensors of equal shape, got %s at position 0 "
                    "and %s at position %d", t_shape_str(t_shape_of(ref)),
                    t_shape_str(t_shape_of(t)), i);
        parts[i] = t_unsqueeze(t, dim);
    }
    return t_cat((TensorList){parts, tensors.n}, dim);
}

/* The pieces of x along dim, split_size long each (the last may be shorter). */
static TensorList split_pieces(Tensor *x, int dim, int64_t split_size, int64_t count) {
    TensorList out = {t_gc_alloc(sizeof(Tensor *) * (size_t)(count ? count : 1)), (int)count};
    int64_t size = x->size[dim];
    for (int64_t i = 0; i < count; i++) {
        int64_t start = i * split_size < size ? i * split_size : size;
        int64_t len = size - start < split_size ? size - start : split_size;
        out.items[i] = t_narrow(x, dim, start, len);
    }
    return out;
}

/* Raises unless x has a dim to split; returns dim normalised. */
static int split_dim(const char *op, const Tensor *x, int dim) {
    t_check_alive(op, x);
    if (x->ndim == 0) t_raise(T_ERR_SHAPE, "%s: a 0-d tensor cannot be split", op);
    return t_check_dim(op, dim, x->ndim);
}

TensorList t_split(Tensor *x, int64_t split_size, int dim) {
    dim = split_dim("t_split", x, dim);
    int64_t size = x->size[dim];
    if (split_size < 0 || (split_size == 0 && size > 0))
        t_raise(T_ERR_VALUE, "t_split: split_size must be positive (0 only for an empty dim), "
                "got %lld for dim %d of size %lld", (long long)split_size, dim, (long long)size);
    int64_t count = size == 0 ? 1 : (size + split_size - 1) / split_size;
    if (count > INT32_MAX)
        t_raise(T_ERR_VALUE, "t_split: %lld pieces are more than a TensorList holds",
                (long long)count);
    return split_pieces(x, dim, split_size, count);
}

TensorList t_chunk(Tensor *x, int chunks, int dim) {
    dim = split_dim("t_chunk", x, dim);
    if (chunks <= 0) t_raise(T_ERR_VALUE, "t_chunk: chunks must be positive, got %d", chunks);
    int64_t size = x->size[dim];
    /* An empty dim gives `chunks` empty pieces, as torch.chunk does. */
    if (size == 0) return split_pieces(x, dim, 0, chunks);
    return t_split(x, (size + chunks - 1) / chunks, dim);
}
