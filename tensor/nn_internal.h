/*
 * nn_internal.h — what the nn files share (internal): a module's registry of parameters,
 * buffers and children, and the window geometry of convolution and pooling.
 */
#ifndef CTORCH_NN_INTERNAL_H
#define CTORCH_NN_INTERNAL_H

#include "backend.h"

/* One named entry of a module's registry: a tensor or a child module. */
typedef struct NamedEntry {
    const char *name;
    void *value;
} NamedEntry;

/* A growable list of named entries, in registration order. */
typedef struct EntryList {
    NamedEntry *items;
    int n, cap;
} EntryList;

struct ModuleState {
    const Module *owner; /* the module this state belongs to, for nn_is_module */
    bool training;
    EntryList params, buffers, children;
};

/* The output size of one spatial dim of a window op (PyTorch's formula, with ceil_mode's
   rule that the last window must start inside the input or its left padding). */
int64_t t_window_out_size(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                          bool ceil_mode);

/* A double as Python's repr writes it ("1e-05", "0.1", "2.0"), for module trees. */
const char *t_py_float(double v);

/* Raises TypeError unless x is float32 or float64, naming op. */
void t_nn_need_floating(const char *op, const Tensor *x);

#endif /* CTORCH_NN_INTERNAL_H */
