/* data.c — datasets (tensor-backed or made by a function), transforms, and making batches. */
#include <string.h>

#include "ctorch.h"
#include "data_internal.h"

uint64_t data_rng_next(DataRng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int64_t data_rng_below(DataRng *r, int64_t n) { return (int64_t)(data_rng_next(r) % (uint64_t)n); }

Dataset *data_tensor_dataset(Tensor *x, Tensor *y) {
    t_check_alive("data_tensor_dataset", x);
    if (x->ndim == 0) t_raise(T_ERR_SHAPE, "data_tensor_dataset: x needs a dim of items, got a 0-d tensor");
    if (y) {
        t_check_alive("data_tensor_dataset", y);
        if (y->ndim == 0 || y->size[0] != x->size[0])
            t_raise(T_ERR_SHAPE, "data_tensor_dataset: x and y need the same number of items "
                    "(dim 0), got shapes %s and %s", t_shape_str(t_shape(x)), t_shape_str(t_shape(y)));
    }
    Dataset *ds = t_gc_alloc(sizeof *ds);
    ds->n = x->size[0];
    ds->x = x;
    ds->y = y;
    return ds;
}

Dataset *data_dataset(int64_t n, DatasetGet get, void *ctx) {
    if (n < 0) t_raise(T_ERR_VALUE, "data_dataset: length must be non-negative, got %lld", (long long)n);
    if (!get) t_raise(T_ERR_VALUE, "data_dataset: get is NULL");
    Dataset *ds = t_gc_alloc(sizeof *ds);
    ds->n = n;
    ds->get = get;
    ds->ctx = ctx;
    return ds;
}

int64_t data_len(const Dataset *ds) { return ds->n; }

const char *const *data_classes(const Dataset *ds, int *n) {
    if (n) *n = ds->nclasses;
    return ds->classes;
}

/* ---- transforms ---- */

Transform data_normalize(int channels, const double *mean, const double *std) {
    if (channels < 1 || channels > 4)
        t_raise(T_ERR_VALUE, "data_normalize: 1 to 4 channels, got %d", channels);
    Transform t = {.kind = TF_NORMALIZE, .p = {channels}};
    for (int c = 0; c < channels; c++) {
        if (std[c] == 0) t_raise(T_ERR_VALUE, "data_normalize: std of channel %d is 0", c);
        t.mean[c] = mean[c];
        t.std[c] = std[c];
    }
    return t;
}

Transform data_random_crop(int64_t size, int64_t padding) {
    if (size <= 0 || padding < 0)
        t_raise(T_ERR_VALUE, "data_random_crop: size must be positive and padding non-negative, "
                "got %lld and %lld", (long long)size, (long long)padding);
    return (Transform){.kind = TF_RANDOM_CROP, .p = {(double)size, (double)padding}};
}

Transform data_random_hflip(double p) {
    if (p < 0 || p > 1) t_raise(T_ERR_VALUE, "data_random_hflip: p must be in [0, 1], got %g", p);
    return (Transform){.kind = TF_RANDOM_HFLIP, .p = {p}};
}

Dataset *data_add_transform(Dataset *ds, Transform t) {
    if (ds->ntransforms == DATA_MAX_TRANSFORMS)
        t_raise(T_ERR_VALUE, "data_add_transform: a dataset holds at most %d transforms",
                DATA_MAX_TRANSFORMS);
    ds->transforms[ds->ntransforms++] = t;
    return ds;
}

/* (x - mean) / std per channel of a batch [B, C, ...]. */
static Tensor *normalize(Tensor *x, const Transform *t) {
    int channels = (int)t->p[0];
    if (x->ndim < 2 || x->size[1] != channels)
        t_raise(T_ERR_SHAPE, "data_normalize: items of shape %s do not have %d channels in dim 0",
                t_shape_str(t_shape(t_select(x, 0, 0))), channels);
    Shape s = {x->ndim, {0}};
    for (int d = 0; d < x->ndim; d++) s.d[d] = d == 1 ? channels : 1;
    double mean[4], std[4];
    for (int c = 0; c < channels; c++) mean[c] = t->mean[c], std[c] = t->std[c];
    Tensor *m = t_to_dtype(t_reshape_shape(t_tensor_shape(mean, T_F64, T_SHAPE(channels)), s), x->dtype);
    Tensor *sd = t_to_dtype(t_reshape_shape(t_tensor_shape(std, T_F64, T_SHAPE(channels)), s), x->dtype);
    return t_div(t_sub(x, m), sd);
}

/* A random crop of each item of a batch [B, C, H, W], after zero padding. */
static Tensor *random_crop(Tensor *x, const Transform *t, DataRng *rng) {
    int64_t size = (int64_t)t->p[0], pad = (int64_t)t->p[1];
    if (x->ndim != 4) t_raise(T_ERR_SHAPE, "data_random_crop: items must be [C, H, W]");
    int64_t h = x->size[2] + 2 * pad, w = x->size[3] + 2 * pad;
    if (size > h || size > w)
        t_raise(T_ERR_SHAPE, "data_random_crop: crop size %lld is larger than the padded item "
                "(%lld x %lld)", (long long)size, (long long)h, (long long)w);
    Tensor *padded = x;
    if (pad) {
        padded = t_zeros_shape(T_SHAPE(x->size[0], x->size[1], h, w), x->dtype);
        t_copy_(t_narrow(t_narrow(padded, 2, pad, x->size[2]), 3, pad, x->size[3]), x);
    }
    Tensor *out = t_empty_shape(T_SHAPE(x->size[0], x->size[1], size, size), x->dtype);
    for (int64_t i = 0; i < x->size[0]; i++) {
        int64_t top = data_rng_below(rng, h - size + 1), left = data_rng_below(rng, w - size + 1);
        t_copy_(t_select(out, 0, i),
                t_narrow(t_narrow(t_select(padded, 0, i), 1, top, size), 2, left, size));
    }
    return out;
}

/* Each item of a batch mirrored along its last dim with probability p. */
static Tensor *random_hflip(Tensor *x, const Transform *t, DataRng *rng) {
    int64_t w = x->size[x->ndim - 1];
    Tensor *rev = t_arange_dt(T_I64, (double)w - 1, -1, -1);
    Tensor *out = t_clone(x);
    for (int64_t i = 0; i < x->size[0]; i++)
        if ((double)(data_rng_next(rng) >> 11) * 0x1p-53 < t->p[0])
            t_copy_(t_select(out, 0, i), t_index_select(t_select(x, 0, i), -1, rev));
    return out;
}

static Tensor *apply_transforms(Dataset *ds, Tensor *x, DataRng *rng) {
    for (int k = 0; k < ds->ntransforms; k++) {
        const Transform *t = &ds->transforms[k];
        if (t->kind == TF_NORMALIZE) x = normalize(x, t);
        else if (t->kind == TF_RANDOM_CROP) x = random_crop(x, t, rng);
        else x = random_hflip(x, t, rng);
    }
    return x;
}

void data_make_batch(Dataset *ds, const int64_t *idx, int64_t n, DataRng *rng, Tensor **x,
                     Tensor **y) {
    Tensor *bx, *by = NULL;
    if (ds->x) {
        Tensor *index = t_tensor_shape(idx, T_I64, T_SHAPE(n));
        bx = t_index_select(ds->x, 0, index);
        if (ds->x_bytes) bx = t_div_s(t_to_dtype(bx, T_F32), 255);
        if (ds->y) by = t_index_select(ds->y, 0, index);
    } else {
        Tensor **xs = t_gc_alloc(sizeof *xs * (size_t)n), **ys = t_gc_alloc(sizeof *ys * (size_t)n);
        for (int64_t i = 0; i < n; i++) {
            xs[i] = ys[i] = NULL;
            ds->get(ds->ctx, idx[i], &xs[i], &ys[i]);
            if (!xs[i]) t_raise(T_ERR_VALUE, "dataset item %lld has no input", (long long)idx[i]);
        }
        bx = t_stack((TensorList){xs, (int)n}, 0);
        if (n && ys[0]) by = t_stack((TensorList){ys, (int)n}, 0);
    }
    *x = apply_transforms(ds, bx, rng);
    *y = by;
}

void data_get(Dataset *ds, int64_t i, Tensor **x, Tensor **y) {
    if (i < -ds->n || i >= ds->n)
        t_raise(T_ERR_INDEX, "data_get: index %lld is out of range for a dataset of %lld items",
                (long long)i, (long long)ds->n);
    if (i < 0) i += ds->n;
    DataRng rng = {(uint64_t)i};
    Tensor *bx, *by;
    data_make_batch(ds, &i, 1, &rng, &bx, &by);
    *x = t_select(bx, 0, 0);
    if (y) *y = by ? t_select(by, 0, 0) : NULL;
}
