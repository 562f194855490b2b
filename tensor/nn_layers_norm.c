/*
 * nn_layers_norm.c — the layer modules with state beyond their weights: BatchNorm1d and
 * BatchNorm2d (running statistics as buffers), LayerNorm and Embedding.
 */
#include "nn_internal.h"

/* ---- BatchNorm ---- */

typedef struct BatchNorm {
    Module m;
    int64_t features;
    int min_dims, max_dims; /* the input dims the variant takes (1d: 2 or 3, 2d: 4) */
    BatchNormOpts o;
    Tensor *weight, *bias, *running_mean, *running_var, *num_batches_tracked;
} BatchNorm;

/* PyTorch's BatchNorm text: features, eps, momentum, affine, track_running_stats. */
static const char *batch_norm_repr(const Module *self) {
    const BatchNorm *b = (const BatchNorm *)self;
    return t_gc_sprintf("%lld, eps=%s, momentum=%s, affine=%s, track_running_stats=%s",
                        (long long)b->features, t_py_float(b->o.eps), t_py_float(b->o.momentum),
                        b->o.affine ? "True" : "False",
                        b->o.track_running_stats ? "True" : "False");
}

/* Batch statistics (updating the running ones) in training, running ones in eval. */
static Tensor *batch_norm_forward(Module *self, Tensor *x) {
    BatchNorm *b = (BatchNorm *)self;
    if (x->ndim < b->min_dims || x->ndim > b->max_dims || x->size[1] != b->features)
        t_raise(T_ERR_SHAPE, "%s(%s): expected an input [N, %lld%s] of %d%s dims, got %s",
                self->type_name, batch_norm_repr(self), (long long)b->features,
                b->max_dims == 4 ? ", H, W" : "", b->min_dims,
                b->max_dims > b->min_dims ? " or 3" : "", t_shape_str(t_shape_of(x)));
    bool training = self->state->training;
    if (training && b->num_batches_tracked)
        T_NO_GRAD { t_add_s_(b->num_batches_tracked, 1); }
    return t_batch_norm(x, .running_mean = b->running_mean, .running_var = b->running_var,
                        .weight = b->weight, .bias = b->bias, .training = training,
                        .momentum = b->o.momentum, .eps = b->o.eps);
}

/* A batch norm module taking inputs of min_dims to max_dims dims. */
static Module *batch_norm(const char *name, int64_t n, BatchNormOpts o, int min_dims,
                          int max_dims) {
    if (n < 1) t_raise(T_ERR_VALUE, "nn_%s: num_features must be >= 1, got %lld", name, (long long)n);
    BatchNorm *b = (BatchNorm *)nn_new_(sizeof(BatchNorm), name, batch_norm_forward);
    b->m.extra_repr = batch_norm_repr;
    b->features = n, b->o = o, b->min_dims = min_dims, b->max_dims = max_dims;
    if (o.affine) {
        b->weight = nn_add_param(b, "weight", t_ones(n));
        b->bias = nn_add_param(b, "bias", t_zeros(n));
    }
    if (o.track_running_stats) {
        b->running_mean = nn_add_buffer(b, "running_mean", t_zeros(n));
        b->running_var = nn_add_buffer(b, "running_var", t_ones(n));
        b->num_batches_tracked = nn_add_buffer(b, "num_batches_tracked", t_zeros_dt(T_I64));
    }
    return &b->m;
}

Module *nn_batch_norm1d_opts(int64_t num_features, BatchNormOpts o) {
    return batch_norm("BatchNorm1d", num_features, o, 2, 3);
}

Module *nn_batch_norm2d_opts(int64_t num_features, BatchNormOpts o) {
    return batch_norm("BatchNorm2d", num_features, o, 4, 4);
}

/* ---- LayerNorm ---- */

typedef struct LayerNorm {
    Module m;
    int64_t size;
    LayerNormOpts o;
    Tensor *weight, *bias;
} LayerNorm;

/* "(size,), eps=1e-05, elementwise_affine=True". */
static const char *layer_norm_repr(const Module *self) {
    const LayerNorm *l = (const LayerNorm *)self;
    return t_gc_sprintf("(%lld,), eps=%s, elementwise_affine=%s", (long long)l->size,
                        t_py_float(l->o.eps), l->o.elementwise_affine ? "True" : "False");
}

/* x normalised over its last dim, after checking that dim's size. */
static Tensor *layer_norm_forward(Module *self, Tensor *x) {
    LayerNorm *l = (LayerNorm *)self;
    if (x->ndim < 1 || x->size[x->ndim - 1] != l->size)
        t_raise(T_ERR_SHAPE, "LayerNorm(%s): expected an input [..., %lld], got %s",
                layer_norm_repr(self), (long long)l->size, t_shape_str(t_shape_of(x)));
    return t_layer_norm(x, 1, l->weight, l->bias, l->o.eps);
}

Module *nn_layer_norm_opts(int64_t normalized_size, LayerNormOpts o) {
    if (normalized_size < 1)
        t_raise(T_ERR_VALUE, "nn_layer_norm: normalized_size must be >= 1, got %lld",
                (long long)normalized_size);
    LayerNorm *l = NN_NEW(LayerNorm, layer_norm_forward);
    l->m.extra_repr = layer_norm_repr;
    l->size = normalized_size, l->o = o;
    if (o.elementwise_affine) {
        l->weight = nn_add_param(l, "weight", t_ones(normalized_size));
        l->bias = nn_add_param(l, "bias", t_zeros(normalized_size));
    }
    return &l->m;
}

/* ---- Embedding ---- */

typedef struct Embedding {
    Module m;
    int64_t num, dim;
    Tensor *weight;
} Embedding;

/* "num_embeddings, embedding_dim". */
static const char *embedding_repr(const Module *self) {
    const Embedding *e = (const Embedding *)self;
    return t_gc_sprintf("%lld, %lld", (long long)e->num, (long long)e->dim);
}

/* The rows of the table that x's indices pick. */
static Tensor *embedding_forward(Module *self, Tensor *x) {
    return t_embedding(x, ((Embedding *)self)->weight);
}

Module *nn_embedding(int64_t num_embeddings, int64_t embedding_dim) {
    if (num_embeddings < 1 || embedding_dim < 1)
        t_raise(T_ERR_VALUE, "nn_embedding: sizes must be >= 1, got (%lld, %lld)",
                (long long)num_embeddings, (long long)embedding_dim);
    Embedding *e = NN_NEW(Embedding, embedding_forward);
    e->m.extra_repr = embedding_repr;
    e->num = num_embeddings, e->dim = embedding_dim;
    e->weight = nn_add_param(e, "weight", t_empty(num_embeddings, embedding_dim));
    nn_init_normal_(e->weight, 0, 1);
    return &e->m;
}
