/*
 * nn_module.c — the module base: a registry of named parameters, buffers and children per
 * module, walking the tree (parameters, modes, devices, gradients), and the tree's text as
 * PyTorch prints it.
 */
#include <string.h>

#include "nn_internal.h"

/* Entries a registry list starts with; it doubles when full. */
enum { ENTRY_LIST_START = 4 };

/* The entry called name in list, or -1. */
static int entry_find(const EntryList *l, const char *name) {
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0) return i;
    return -1;
}

/* Adds name -> value to list, replacing an entry of the same name. */
static void entry_put(EntryList *l, const char *name, void *value) {
    int i = entry_find(l, name);
    if (i >= 0) {
        l->items[i].value = value;
        return;
    }
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : ENTRY_LIST_START;
        NamedEntry *items = t_gc_alloc((size_t)cap * sizeof *items);
        if (l->n) memcpy(items, l->items, (size_t)l->n * sizeof *items);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = (NamedEntry){t_gc_sprintf("%s", name), value};
}

/* Raises unless m is a module that NN_NEW (or a layer constructor) made. */
static void check_module(const char *op, const Module *m) {
    if (!m) t_raise(T_ERR_VALUE, "%s: expected a module, got NULL", op);
    if (!m->state)
        t_raise(T_ERR_VALUE, "%s: the module was not made by NN_NEW or a layer constructor "
                "(its first member must be a Module)", op);
}

/* Raises unless name can name an entry: not empty, no '.', not taken by another kind. */
static void check_name(const char *op, const Module *m, const char *name, const EntryList *own) {
    if (!name || !*name) t_raise(T_ERR_VALUE, "%s: a name must not be empty", op);
    if (strchr(name, '.'))
        t_raise(T_ERR_VALUE, "%s: name \"%s\" must not contain \".\"", op, name);
    const EntryList *lists[] = {&m->state->params, &m->state->buffers, &m->state->children};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        if (lists[i] != own && entry_find(lists[i], name) >= 0)
            t_raise(T_ERR_VALUE, "%s: %s already has a member called \"%s\"", op, m->type_name,
                    name);
}

Module *nn_new_(size_t size, const char *type_name, ModuleForward forward) {
    if (size < sizeof(Module))
        t_raise(T_ERR_VALUE, "nn_new: a module struct needs a Module as its first member; "
                "got %zu bytes, less than a Module (%zu)", size, sizeof(Module));
    Module *m = t_gc_alloc(size);
    m->type_name = t_gc_sprintf("%s", type_name ? type_name : "Module");
    m->forward = forward;
    m->state = t_gc_alloc(sizeof *m->state);
    m->state->owner = m;
    m->state->training = true;
    return m;
}

bool nn_is_module(const void *p) {
    if (!p || GC_base((void *)p) != p || GC_size((void *)p) < sizeof(Module)) return false;
    const ModuleState *st = ((const Module *)p)->state;
    return st && GC_base((void *)st) == st && GC_size((void *)st) >= sizeof *st && st->owner == p;
}

Module *nn_add_(Module *parent, const char *name, Module *child) {
    check_module("nn_add", parent);
    check_module("nn_add", child);
    check_name("nn_add", parent, name, &parent->state->children);
    entry_put(&parent->state->children, name, child);
    return child;
}

Tensor *nn_add_param_(Module *m, const char *name, Tensor *t) {
    check_module("nn_add_param", m);
    check_name("nn_add_param", m, name, &m->state->params);
    if (!t) t_raise(T_ERR_VALUE, "nn_add_param: parameter \"%s\" is NULL", name);
    if (!t_dtype_is_floating(t->dtype))
        t_raise(T_ERR_DTYPE, "nn_add_param: parameters must be floating, \"%s\" is %s", name,
                t_dtype_name(t->dtype));
    if (t->grad_fn)
        t_raise(T_ERR_AUTOGRAD, "nn_add_param: \"%s\" must be a leaf (computed by %s; "
                "use t_detach)", name, t_grad_fn_name(t));
    t_requires_grad_(t, true);
    entry_put(&m->state->params, name, t);
    return t;
}

Tensor *nn_add_buffer_(Module *m, const char *name, Tensor *t) {
    check_module("nn_add_buffer", m);
    check_name("nn_add_buffer", m, name, &m->state->buffers);
    entry_put(&m->state->buffers, name, t);
    return t;
}

Tensor *nn_call_(Module *m, Tensor *x) {
    check_module("nn_call", m);
    if (!m->forward)
        t_raise(T_ERR_RUNTIME, "nn_call: %s has no forward function (give one to NN_NEW)",
                m->type_name);
    if (!x) t_raise(T_ERR_VALUE, "nn_call: the input of %s is NULL", m->type_name);
    return m->forward(m, x);
}

/* ---- walking the tree ---- */

/* A growing list of named tensors, for the walks below. */
typedef struct Collect {
    NamedTensors out;
    int cap;
    bool named;
} Collect;

/* Adds t (once: a tensor shared by two modules is listed where it is first met). */
static void collect_add(Collect *c, const char *prefix, const char *name, Tensor *t) {
    if (!t) return;
    for (int i = 0; i < c->out.n; i++)
        if (c->out.items[i] == t) return;
    if (c->out.n == c->cap) {
        int cap = c->cap ? 2 * c->cap : ENTRY_LIST_START;
        Tensor **items = t_gc_alloc((size_t)cap * sizeof *items);
        const char **names = t_gc_alloc((size_t)cap * sizeof *names);
        if (c->out.n) {
            memcpy(items, c->out.items, (size_t)c->out.n * sizeof *items);
            memcpy(names, c->out.names, (size_t)c->out.n * sizeof *names);
        }
        c->out.items = items, c->out.names = names, c->cap = cap;
    }
    c->out.names[c->out.n] = c->named ? t_gc_sprintf("%s%s", prefix, name) : NULL;
    c->out.items[c->out.n++] = t;
}

/* Collects m's own entries of one kind (parameters or buffers), then its children's. */
static void collect_tree(Collect *c, const Module *m, const char *prefix, bool buffers) {
    const EntryList *own = buffers ? &m->state->buffers : &m->state->params;
    for (int i = 0; i < own->n; i++) collect_add(c, prefix, own->items[i].name, own->items[i].value);
    for (int i = 0; i < m->state->children.n; i++) {
        const NamedEntry *e = &m->state->children.items[i];
        const char *sub = c->named ? t_gc_sprintf("%s%s.", prefix, e->name) : prefix;
        collect_tree(c, e->value, sub, buffers);
    }
}

TensorList nn_parameters_(const Module *m) {
    check_module("nn_parameters", m);
    Collect c = {0};
    collect_tree(&c, m, "", false);
    return (TensorList){c.out.items, c.out.n};
}

NamedTensors nn_named_parameters_(const Module *m) {
    check_module("nn_named_parameters", m);
    Collect c = {.named = true};
    collect_tree(&c, m, "", false);
    return c.out;
}

NamedTensors nn_named_buffers_(const Module *m) {
    check_module("nn_named_buffers", m);
    Collect c = {.named = true};
    collect_tree(&c, m, "", true);
    return c.out;
}

int64_t nn_num_parameters_(const Module *m) {
    TensorList ps = nn_parameters_(m);
    int64_t total = 0;
    for (int i = 0; i < ps.n; i++) total += t_numel(ps.items[i]);
    return total;
}

/* The module a dotted path's prefix leads to, and in *last the final component; NULL when a
   component is not a child. */
static const Module *walk_path(const Module *m, const char *path, const char **last) {
    const char *dot;
    while ((dot = strchr(path, '.'))) {
        char *head = t_gc_sprintf("%.*s", (int)(dot - path), path);
        int i = entry_find(&m->state->children, head);
        if (i < 0) return NULL;
        m = m->state->children.items[i].value;
        path = dot + 1;
    }
    *last = path;
    return m;
}

/* The entry at a dotted path in one of m's lists (chosen by which), or NULL. */
static void *lookup(const char *op, const Module *m, const char *path, int which) {
    check_module(op, m);
    if (!path) t_raise(T_ERR_VALUE, "%s: the name is NULL", op);
    const char *last;
    const Module *owner = walk_path(m, path, &last);
    if (!owner) return NULL;
    const EntryList *lists[] = {&owner->state->params, &owner->state->buffers,
                                &owner->state->children};
    int i = entry_find(lists[which], last);
    return i < 0 ? NULL : lists[which]->items[i].value;
}

Tensor *nn_param_(const Module *m, const char *name) { return lookup("nn_param", m, name, 0); }
Tensor *nn_buffer_(const Module *m, const char *name) { return lookup("nn_buffer", m, name, 1); }
Module *nn_child_(const Module *m, const char *name) { return lookup("nn_child", m, name, 2); }

int nn_num_children_(const Module *m) {
    check_module("nn_num_children", m);
    return m->state->children.n;
}

Module *nn_child_at_(const Module *m, int i) {
    check_module("nn_child_at", m);
    if (i < 0 || i >= m->state->children.n)
        t_raise(T_ERR_INDEX, "nn_child_at: index %d is out of range for %s with %d children", i,
                m->type_name, m->state->children.n);
    return m->state->children.items[i].value;
}

Module *nn_train_(Module *m, bool training) {
    check_module("nn_train", m);
    m->state->training = training;
    for (int i = 0; i < m->state->children.n; i++)
        nn_train_(m->state->children.items[i].value, training);
    return m;
}

bool nn_is_training_(const Module *m) {
    check_module("nn_is_training", m);
    return m->state->training;
}

void nn_zero_grad_(Module *m) {
    TensorList ps = nn_parameters_(m);
    for (int i = 0; i < ps.n; i++) t_zero_grad(ps.items[i]);
}

/* Makes t hold src's storage and geometry (the header stays, so pointers to it stay valid). */
static void take_over(Tensor *t, const Tensor *src) {
    t->device = src->device;
    t->storage = src->storage;
    t->offset = src->offset;
    memcpy(t->size, src->size, sizeof t->size);
    memcpy(t->stride, src->stride, sizeof t->stride);
}

/* Moves t (and its gradient) to device in place. */
static void move_in_place(Tensor *t, Device device) {
    if (t->device == device) return;
    T_NO_GRAD {
        take_over(t, t_to(t, device));
        if (t->grad) take_over(t->grad, t_to(t->grad, device));
    }
}

Module *nn_to_(Module *m, Device device) {
    check_module("nn_to", m);
    TensorList ps = nn_parameters_(m);
    for (int i = 0; i < ps.n; i++) move_in_place(ps.items[i], device);
    NamedTensors bs = nn_named_buffers_(m);
    for (int i = 0; i < bs.n; i++) move_in_place(bs.items[i], device);
    return m;
}

/* ---- the tree's text ---- */

/* Adds text to b with every line after the first indented by two spaces (PyTorch's
   _addindent). */
static void add_indented(TBuf *b, const char *text) {
    for (const char *p = text; *p; p++) {
        t_buf_add(b, p, 1);
        if (*p == '\n') t_buf_puts(b, "  ");
    }
}

/* Writes m's tree into b, as PyTorch's Module.__repr__. */
static void module_text(TBuf *b, const Module *m) {
    const char *extra = m->extra_repr ? m->extra_repr(m) : "";
    const EntryList *kids = &m->state->children;
    t_buf_printf(b, "%s(", m->type_name);
    if (kids->n == 0) {
        /* a one-line extra repr stays on the line; a multi-line one is indented */
        if (!strchr(extra, '\n')) t_buf_puts(b, extra);
        else {
            t_buf_puts(b, "\n  ");
            add_indented(b, extra);
            t_buf_puts(b, "\n");
        }
    } else {
        if (*extra) {
            t_buf_puts(b, "\n  ");
            add_indented(b, extra);
        }
        for (int i = 0; i < kids->n; i++) {
            TBuf child = {0};
            module_text(&child, kids->items[i].value);
            t_buf_printf(b, "\n  (%s): ", kids->items[i].name);
            add_indented(b, child.data);
        }
        t_buf_puts(b, "\n");
    }
    t_buf_puts(b, ")");
}

const char *nn_str_(const Module *m) {
    check_module("nn_str", m);
    TBuf b = {0};
    module_text(&b, m);
    return b.data;
}

void nn_print_(const Module *m) { printf("%s\n", nn_str_(m)); }

MimeBundle *t_bundle_module(const Module *m) { return t_bundle_text(nn_str_(m)); }
