/*
 * rerun.c — cells compiled once and run again: re-running a cell is common in notebooks.
 *
 * A cell's compiled image is reused when the source it would compile now is the same text
 * (its own number aside), against the same preprocessed headers, linked against the same
 * addresses of earlier cells' names, with the same libraries loaded. Its memory (code, the
 * cell's globals, literals and statics) is put back as it was just after it was first
 * relocated, so a reused cell starts exactly as a freshly compiled one would, at the same
 * place. Only cells that define no functions and include no header of the user's are kept:
 * a function's address may be held by running code (a module, a loader's thread), and a
 * user's header can change on disk with the #include line unchanged.
 */
#include <libtcc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

/* Compiled cells kept; the oldest goes first. */
enum { RERUN_CACHE_MAX = 32 };
/* Larger images (big static arrays) are not kept: their copy would cost more than a compile. */
static const size_t RERUN_IMAGE_MAX = (size_t)1 << 20;

/* What makes the cell's source depend on its own number or on something the text does not
   show: __FILE__ (assert uses it), the date and time, a counter, a header read from disk. */
static const char *const UNCACHEABLE[] = {"__FILE__", "assert", "__DATE__", "__TIME__",
                                          "__COUNTER__", "#include"};

/* One kept cell: the key it was compiled under and what compiling it gave. */
struct RerunEntry {
    RerunKey key;       /* key.tail is owned */
    char *image;        /* where it lies in the arena */
    size_t size;
    char *snapshot;     /* its bytes just after relocation */
    void (*entry)(void);
    char **names;       /* the globals it defines, and their addresses */
    void **addrs;
    int n;
};

struct RerunCache {
    RerunEntry *e[RERUN_CACHE_MAX];
    int n;
};

/* FNV-1a over len bytes, continuing from h. */
static uint64_t fnv(uint64_t h, const void *data, size_t len) {
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* FNV-1a's starting value. */
static const uint64_t FNV_BASIS = 0xcbf29ce484222325ULL;

uint64_t rerun_links(const Jit *jit, const Cell *cell) {
    uint64_t h = FNV_BASIS;
    for (int i = 0; i < jit->nitems; i++) {
        const Item *it = &jit->items[i];
        if (!it->addr) continue;
        bool own = false;
        for (int k = 0; k < cell->n && !own; k++)
            own = cell->items[k].name && !strcmp(cell->items[k].name, it->name) &&
                  (cell->items[k].kind == ITEM_FUNCTION || cell->items[k].kind == ITEM_GLOBAL);
        if (own) continue;
        h = fnv(h, it->name, strlen(it->name) + 1);
        h = fnv(h, &it->addr, sizeof it->addr);
    }
    return h;
}

bool rerun_cacheable(const Cell *cell, const char *tail) {
    for (int i = 0; i < cell->n; i++)
        if (cell->items[i].kind == ITEM_FUNCTION) return false;
    for (size_t i = 0; i < sizeof UNCACHEABLE / sizeof UNCACHEABLE[0]; i++)
        if (strstr(tail, UNCACHEABLE[i])) return false;
    return true;
}

/* Whether two keys are the same. */
static bool same_key(const RerunKey *a, const RerunKey *b) {
    return a->headers_id == b->headers_id && a->links == b->links && a->nlibs == b->nlibs &&
           a->mode == b->mode && !strcmp(a->tail, b->tail);
}

const RerunEntry *rerun_find(Jit *jit, const RerunKey *key) {
    RerunCache *c = jit->rerun;
    for (int i = 0; c && i < c->n; i++) {
        RerunEntry *e = c->e[i];
        if (!same_key(&e->key, key)) continue;
        memcpy(e->image, e->snapshot, e->size);
        return e;
    }
    return NULL;
}

/* Frees an entry. */
static void entry_free(RerunEntry *e) {
    free((char *)e->key.tail);
    free(e->snapshot);
    for (int i = 0; i < e->n; i++) free(e->names[i]);
    free(e->names);
    free(e->addrs);
    free(e);
}

void rerun_store(Jit *jit, const RerunKey *key, const Cell *cell, const Compiled *c) {
    if (!c->state || !c->image || c->size > RERUN_IMAGE_MAX) return;
    if (!jit->rerun) {
        jit->rerun = calloc(1, sizeof *jit->rerun);
        if (!jit->rerun) t_raise(T_ERR_OOM, "cell compiler: out of memory");
    }
    RerunEntry *e = calloc(1, sizeof *e);
    if (!e) t_raise(T_ERR_OOM, "cell compiler: out of memory");
    e->key = *key;
    e->key.tail = jit_strdup(key->tail);
    e->image = c->image;
    e->size = c->size;
    e->snapshot = jit_xmalloc(c->size);
    memcpy(e->snapshot, c->image, c->size);
    e->entry = c->entry;
    for (int i = 0; i < cell->n; i++) {
        const Item *it = &cell->items[i];
        if (it->kind != ITEM_GLOBAL || !it->name) continue;
        e->names = jit_xrealloc(e->names, sizeof(char *) * (size_t)(e->n + 1));
        e->addrs = jit_xrealloc(e->addrs, sizeof(void *) * (size_t)(e->n + 1));
        e->names[e->n] = jit_strdup(it->name);
        e->addrs[e->n++] = tcc_get_symbol(c->state, it->name);
    }
    RerunCache *rc = jit->rerun;
    if (rc->n == RERUN_CACHE_MAX) {
        entry_free(rc->e[0]);
        memmove(rc->e, rc->e + 1, sizeof(RerunEntry *) * (RERUN_CACHE_MAX - 1));
        rc->n--;
    }
    rc->e[rc->n++] = e;
}

void (*rerun_entry(const RerunEntry *e))(void) { return e->entry; }

void *rerun_symbol(const RerunEntry *e, const char *name) {
    for (int i = 0; i < e->n; i++)
        if (!strcmp(e->names[i], name)) return e->addrs[i];
    return NULL;
}

void rerun_free(Jit *jit) {
    if (!jit->rerun) return;
    for (int i = 0; i < jit->rerun->n; i++) entry_free(jit->rerun->e[i]);
    free(jit->rerun);
    jit->rerun = NULL;
}
