/*
 * autograd.c — the graph and the backward pass. Ops record nodes (autograd.h); t_backward
 * counts how many gradients each reachable node waits for, then runs nodes as their inputs
 * complete, newest first, accumulating into leaves through AccumulateGrad nodes.
 */
#include <string.h>

#include "autograd.h"
#include "backend.h"

static __thread bool grad_disabled; /* stored inverted so that zeroed TLS means "enabled" */
static uint64_t node_seq;

bool t_is_grad_enabled(void) { return !grad_disabled; }
void t_set_grad_enabled(bool enabled) { grad_disabled = !enabled; }
bool t_no_grad_enter_(void) {
    bool prev = !grad_disabled;
    grad_disabled = true;
    return prev;
}
bool t_no_grad_exit_(bool previous) {
    grad_disabled = !previous;
    return false;
}
void t_reset_thread_state(void) {
    grad_disabled = false;
    progress_close_all();
}

/* ---- leaves ---- */

Tensor *t_requires_grad_(Tensor *x, bool requires_grad) {
    t_check_alive("t_requires_grad_", x);
    if (x->grad_fn)
        t_raise(T_ERR_AUTOGRAD, "t_requires_grad_: you can only change requires_grad of leaf "
                "tensors; this one was computed by %s (use t_detach first)", x->grad_fn->name);
    if (requires_grad && !t_dtype_is_floating(x->dtype))
        t_raise(T_ERR_DTYPE, "t_requires_grad_: only tensors of floating point dtype can "
                "require gradients, got %s", t_dtype_name(x->dtype));
    x->requires_grad = requires_grad;
    return x;
}

bool t_requires_grad(const Tensor *x) { return x->requires_grad; }
bool t_is_leaf(const Tensor *x) { return x->grad_fn == NULL; }
Tensor *t_grad(const Tensor *x) { return x->grad; }
void t_zero_grad(Tensor *x) { x->grad = NULL; }

void t_set_grad(Tensor *x, Tensor *g) {
    if (g && (t_numel(g) != t_numel(x) || g->ndim != x->ndim))
        t_raise(T_ERR_SHAPE, "t_set_grad: the gradient's shape %s does not match the tensor's %s",
                t_shape_str(t_shape_of(g)), t_shape_str(t_shape_of(x)));
    x->grad = g;
}

Tensor *t_detach(Tensor *x) {
    t_check_alive("t_detach", x);
    Tensor *d = t_make_view(x, x->ndim, x->size, x->stride, x->offset);
    d->base = NULL;
    return d;
}

/* An AccumulateGrad node's work is done by the backward pass itself (accumulate, below),
   which knows which gradients it may keep without copying; this is its identity. */
static void accumulate_backward(Node *n, Tensor *g, Tensor **grad_in) {
    (void)n, (void)g, (void)grad_in;
}

/* The AccumulateGrad node of leaf x, made once. */
static Node *accumulator(Tensor *x) {
    if (!x->grad_acc) {
        Node *n = t_gc_alloc(sizeof *n);
        n->name = "AccumulateGrad";
        n->backward = accumulate_backward;
        n->variable = x;
        n->seq = 0;
        x->grad_acc = n;
    }
    return x->grad_acc;
}

/* ---- recording ---- */

Node *t_ag_node(const char *name, BackwardFn fn, int n, Tensor *const *inputs) {
    if (n > AG_MAX_INPUTS)
        t_raise(T_ERR_AUTOGRAD, "%s: %d inputs, more than one node takes (%d)", name, n,
                AG_MAX_INPUTS);
    Node *node = t_gc_alloc(sizeof *node);
    node->name = name;
    node->backward = fn;
    node->ninputs = n;
    node->seq = ++node_seq;
    for (int i = 0; i < n; i++) {
        Tensor *x = inputs[i];
        if (!x) continue;
        node->in_shape[i] = t_shape_of(x);
        node->in_dtype[i] = x->dtype;
        if (x->requires_grad) node->next[i] = x->grad_fn ? x->grad_fn : accumulator(x);
    }
    return node;
}

void t_ag_save(Node *n, int slot, Tensor *t) {
    n->saved[slot] = t;
    n->saved_version[slot] = t->storage->version;
}

Tensor *t_ag_saved(Node *n, int slot) {
    if (n->released)
        t_raise(T_ERR_AUTOGRAD, "Trying to backward through the graph a second time (or "
                "directly access saved tensors after they have already been freed). Saved "
                "intermediate values of the graph are freed when you call t_backward. Use "
                "t_backward_ex(y, .retain_graph = true) if you need to backward through the "
                "graph a second time.");
    Tensor *t = n->saved[slot];
    if (t->storage->version != n->saved_version[slot])
        t_raise(T_ERR_AUTOGRAD, "one of the variables needed for gradient computation has been "
                "modified by an inplace operation: [%s %s], which is input to %s, is at version "
                "%llu; expected version %llu instead.", t_dtype_name(t->dtype),
                t_shape_str(t_shape_of(t)), n->name,
                (unsigned long long)t->storage->version,
                (unsigned long long)n->saved_version[slot]);
    return t;
}

void t_ag_set_output(Tensor *out, Node *n) {
    out->requires_grad = true;
    out->grad_fn = n;
}

void t_ag_check_inplace(const char *op, Tensor *x) {
    if (grad_disabled) return;
    if (x->requires_grad && !x->grad_fn)
        t_raise(T_ERR_AUTOGRAD, "%s: a leaf tensor that requires grad is being used in an "
                "in-place operation (wrap the update in T_NO_GRAD, or use an out-of-place op)", op);
    if (x->base && x->base->requires_grad)
        t_raise(T_ERR_AUTOGRAD, "%s: in-place writes into a view of a tensor that requires grad "
                "are not supported; t_clone the view first", op);
}

Tensor *t_sum_to_shape(Tensor *g, Shape shape) {
    int lead = g->ndim - shape.ndim;
    for (int i = 0; i < lead; i++) g = t_sum_dim(g, 0, false);
    for (int i = 0; i < shape.ndim; i++)
        if (shape.d[i] == 1 && g->size[i] != 1) g = t_sum_dim(g, i, true);
    return g;
}

/* ---- graph inspection ---- */

const GradFn *t_grad_fn(const Tensor *y) { return y->grad_fn; }
const char *t_grad_fn_name(const Tensor *y) { return y->grad_fn ? y->grad_fn->name : NULL; }
const char *t_node_name(const GradFn *f) { return f->name; }
int t_node_next_count(const GradFn *f) { return f->ninputs; }
Tensor *t_node_variable(const GradFn *f) { return f->variable; }

const GradFn *t_node_next(const GradFn *f, int i) {
    if (i < 0 || i >= f->ninputs)
        t_raise(T_ERR_INDEX, "t_node_next: %s has %d next functions, index %d is out of range",
                f->name, f->ninputs, i);
    return f->next[i];
}

/* ---- the backward pass ---- */

/* The nodes reachable from the root; node->graph_index locates a node's entry during the
   pass whose id is node->graph_pass. */
/* Most gradients one pass keeps without copying; the rest are copied. */
enum { MAX_KEPT = 64 };

typedef struct Graph {
    Node **nodes;
    int *deps;     /* gradients still to arrive */
    Tensor **grad; /* accumulated gradient of each node's output */
    int *heap;     /* ready nodes, newest (highest seq) on top */
    int n, cap, nheap;
    uint64_t pass;
    const Storage *kept[MAX_KEPT]; /* storages of gradients leaves now hold, and the caller's */
    int nkept;
} Graph;

/* Whether g's memory is already held by a leaf, or is the caller's gradient. */
static bool is_kept(const Graph *graph, const Tensor *g) {
    for (int i = 0; i < graph->nkept; i++)
        if (graph->kept[i] == g->storage) return true;
    return false;
}

/* Adds gradient g to leaf v's. A gradient whose memory nothing else holds is kept as it is
   (PyTorch steals it too); otherwise it is copied, so that two leaves never share a gradient
   and the caller's tensor is never written. Accumulation makes a new tensor: a gradient is never
   written in place, since its memory may be another tensor's. */
static void accumulate(Graph *graph, Tensor *v, Tensor *g) {
    if (g->dtype != v->dtype) g = t_to_dtype(g, v->dtype);
    if (v->grad) {
        v->grad = t_add(v->grad, g);
        return;
    }
    if (!t_is_contiguous(g) || g->ndim != v->ndim || is_kept(graph, g) || graph->nkept == MAX_KEPT) {
        g = t_clone(g);
    }
    v->grad = g;
    if (graph->nkept < MAX_KEPT) graph->kept[graph->nkept++] = g->storage;
}

static void *grow(void *old, size_t elem, int n, int cap) {
    void *p = t_gc_alloc(elem * (size_t)cap);
    if (n) memcpy(p, old, elem * (size_t)n);
    return p;
}

static int graph_index(const Graph *g, const Node *n) {
    return n->graph_pass == g->pass ? n->graph_index : -1;
}

static int graph_add(Graph *g, Node *n) {
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 64;
        g->nodes = grow(g->nodes, sizeof *g->nodes, g->n, cap);
        g->deps = grow(g->deps, sizeof *g->deps, g->n, cap);
        g->grad = grow(g->grad, sizeof *g->grad, g->n, cap);
        g->heap = grow(g->heap, sizeof *g->heap, g->nheap, cap);
        g->cap = cap;
    }
    n->graph_pass = g->pass;
    n->graph_index = g->n;
    g->nodes[g->n] = n;
    g->deps[g->n] = 0;
    g->grad[g->n] = NULL;
    return g->n++;
}

/* Breadth-first walk from root (iterative: deep graphs must not overflow the C stack). */
static void graph_collect(Graph *g, Node *root) {
    graph_add(g, root);
    for (int i = 0; i < g->n; i++) {
        Node *n = g->nodes[i];
        for (int k = 0; k < n->ninputs; k++) {
            Node *next = n->next[k];
            if (!next) continue;
            int j = graph_index(g, next);
            if (j < 0) j = graph_add(g, next);
            g->deps[j]++;
        }
    }
}

static bool heap_before(const Graph *g, int a, int b) {
    return g->nodes[a]->seq > g->nodes[b]->seq;
}

static void heap_push(Graph *g, int idx) {
    int i = g->nheap++;
    g->heap[i] = idx;
    while (i > 0 && heap_before(g, g->heap[i], g->heap[(i - 1) / 2])) {
        int p = (i - 1) / 2, t = g->heap[p];
        g->heap[p] = g->heap[i], g->heap[i] = t, i = p;
    }
}

static int heap_pop(Graph *g) {
    int top = g->heap[0];
    g->heap[0] = g->heap[--g->nheap];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < g->nheap && heap_before(g, g->heap[l], g->heap[m])) m = l;
        if (r < g->nheap && heap_before(g, g->heap[r], g->heap[m])) m = r;
        if (m == i) break;
        int t = g->heap[m];
        g->heap[m] = g->heap[i], g->heap[i] = t, i = m;
    }
    return top;
}

static void release(Node *n) {
    n->released = true;
    for (int i = 0; i < AG_MAX_SAVED; i++) n->saved[i] = NULL;
}

/* The gradient to start from: grad as given, or ones for a one-element y. */
static Tensor *initial_grad(Tensor *y, Tensor *grad) {
    if (!grad) {
        if (t_numel(y) != 1)
            t_raise(T_ERR_AUTOGRAD, "t_backward: grad can be implicitly created only for scalar "
                    "outputs; y has shape %s, so use t_backward_grad(y, grad)",
                    t_shape_str(t_shape_of(y)));
        return t_ones_like(y);
    }
    if (grad->ndim != y->ndim || t_numel(grad) != t_numel(y))
        t_raise(T_ERR_SHAPE, "t_backward_grad: grad has shape %s but the output has shape %s",
                t_shape_str(t_shape_of(grad)), t_shape_str(t_shape_of(y)));
    return grad;
}

/* Runs the ready nodes until none is left; a node whose gradient never arrived (every path
   to it carried none) still releases its inputs' counts. */
static void graph_run(Graph *g, bool retain_graph) {
    while (g->nheap) {
        int i = heap_pop(g);
        Node *n = g->nodes[i];
        Tensor *grad_in[AG_MAX_INPUTS] = {0};
        if (g->grad[i] && n->variable) {
            accumulate(g, n->variable, g->grad[i]);
            g->grad[i] = NULL;
        } else if (g->grad[i]) {
            n->backward(n, g->grad[i], grad_in);
            g->grad[i] = NULL;
            if (!retain_graph) release(n);
        }
        for (int k = 0; k < n->ninputs; k++) {
            if (!n->next[k]) continue;
            int j = graph_index(g, n->next[k]);
            if (grad_in[k]) g->grad[j] = g->grad[j] ? t_add(g->grad[j], grad_in[k]) : grad_in[k];
            if (--g->deps[j] == 0) heap_push(g, j);
        }
    }
}

void t_backward_opts(Tensor *y, BackwardOpts opts) {
    static uint64_t passes;
    t_check_alive("t_backward", y);
    if (!y->requires_grad)
        t_raise(T_ERR_AUTOGRAD, "t_backward: the tensor does not require grad and has no "
                "grad_fn (did you call t_requires_grad_ on the inputs, and compute it outside "
                "T_NO_GRAD?)");
    Tensor *g0 = initial_grad(y, opts.grad);
    Graph graph = {.pass = ++passes};
    graph_collect(&graph, y->grad_fn ? y->grad_fn : accumulator(y));
    graph.grad[0] = g0;
    if (opts.grad) graph.kept[graph.nkept++] = opts.grad->storage; /* the caller's: never kept */
    heap_push(&graph, 0);
    bool prev = t_no_grad_enter_(); /* an error restores it: see t_raise_error */
    graph_run(&graph, opts.retain_graph);
    t_no_grad_exit_(prev);
}

void t_backward(Tensor *y) { t_backward_opts(y, (BackwardOpts){0}); }
void t_backward_grad(Tensor *y, Tensor *grad) {
    t_backward_opts(y, (BackwardOpts){.grad = grad});
}
