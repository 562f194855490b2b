/*
 * autograd.h — how ops record themselves in the graph (internal). An op that may need a
 * gradient does, after computing its output:
 *
 *     if (t_ag_needed(2, (Tensor *[]){a, b})) {
 *         Node *n = t_ag_node("MulBackward0", mul_backward, 2, (Tensor *[]){a, b});
 *         t_ag_save(n, 0, a);
 *         t_ag_save(n, 1, b);
 *         t_ag_set_output(out, n);
 *     }
 *
 * and its backward function computes the inputs' gradients from the output's, with ops (so it
 * runs on every device). Every node has exactly one output.
 */
#ifndef CTORCH_AUTOGRAD_H
#define CTORCH_AUTOGRAD_H

#include "internal.h"

/* Most inputs one node has (t_cat of many tensors chains nodes beyond this). */
#define AG_MAX_INPUTS 8
/* Most tensors one node saves, and scalar/int parameters it keeps. */
#define AG_MAX_SAVED 4
#define AG_MAX_PARAMS 8

typedef struct Node Node;

/* Computes grad_in[i] for each input i that needs one (t_ag_input_needed), from grad_out.
   Entries left NULL mean "no gradient". */
typedef void (*BackwardFn)(Node *n, Tensor *grad_out, Tensor **grad_in);

struct Node {
    const char *name;
    BackwardFn backward;
    int ninputs;
    Node *next[AG_MAX_INPUTS];            /* the input's grad_fn or accumulator; NULL: none */
    Shape in_shape[AG_MAX_INPUTS];        /* each input's shape, for reducing broadcasts */
    DType in_dtype[AG_MAX_INPUTS];
    Tensor *saved[AG_MAX_SAVED];
    uint64_t saved_version[AG_MAX_SAVED];
    bool saved_is_output[AG_MAX_SAVED];   /* for the error message */
    bool released;                        /* saved tensors freed by a backward pass */
    double p[AG_MAX_PARAMS];              /* op parameters (scalars) */
    int64_t ip[AG_MAX_PARAMS];            /* op parameters (dims, sizes) */
    Shape shape_param;                    /* op parameter (a shape, a permutation) */
    Tensor *variable;                     /* for an accumulator: the leaf it feeds */
    uint64_t seq;                         /* creation order: later nodes run first */
    uint64_t graph_pass;                  /* the backward pass that last indexed this node */
    int graph_index;                      /* its index in that pass */
};

/* True when grad mode is on and any of the n inputs requires grad. Inline: every op asks,
   and most ask about tensors that need no gradient, which the flags answer without a call. */
static inline bool t_ag_needed(int n, Tensor *const *inputs) {
    bool any = false;
    for (int i = 0; i < n; i++) any |= inputs[i] && inputs[i]->requires_grad;
    return any && t_is_grad_enabled();
}
/* A new node for an op over n inputs, with edges to the inputs that require grad. */
Node *t_ag_node(const char *name, BackwardFn fn, int n, Tensor *const *inputs);
/* Saves t for backward, remembering its version so later in-place writes are detected. */
void t_ag_save(Node *n, int slot, Tensor *t);
/* A saved tensor, or AutogradError if the graph was freed or t was modified in place. */
Tensor *t_ag_saved(Node *n, int slot);
/* Makes out the node's output: out requires grad and has n as grad_fn. */
void t_ag_set_output(Tensor *out, Node *n);
/* True when input i of n needs a gradient. */
static inline bool t_ag_input_needed(const Node *n, int i) { return n->next[i] != NULL; }

/* g summed over the dims that broadcasting added or expanded, to come back to shape. */
Tensor *t_sum_to_shape(Tensor *g, Shape shape);

/* Raises unless an in-place write into x is allowed with autograd (x not a leaf that
   requires grad, nor a view of one), when grad mode is on. */
void t_ag_check_inplace(const char *op, Tensor *x);

#endif /* CTORCH_AUTOGRAD_H */
