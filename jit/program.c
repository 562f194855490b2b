/*
 * program.c — the living program: the arena every cell is relocated into, the prelude of
 * items earlier cells declared (a redefinition replaces the earlier item), and the addresses
 * later cells link against.
 */
#define GC_THREADS
#include <gc.h>

#include <libtcc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jit_internal.h"

/* Address space reserved for cells' code and data. Pages cost nothing until a cell uses them;
   a thousand typical cells take a few MiB. Below 2 GiB, so that cells reach each other's
   data with 32-bit PC-relative addresses. */
static const size_t ARENA_RESERVE = (size_t)1 << 30;

/* Reserves the address space cells are relocated into. */
void arena_init(Arena *a) {
    void *p = mmap(NULL, ARENA_RESERVE, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        t_raise(T_ERR_OOM, "cell compiler: cannot reserve %zu bytes for cells' code",
                ARENA_RESERVE);
    a->base = p;
    a->used = 0;
    a->size = ARENA_RESERVE;
}

/* Relocates a compiled cell at the arena's end (page aligned) and roots it for the collector. */
char *arena_place(Arena *a, TCCState *s, size_t *placed, StrBuf *err) {
    int size = tcc_relocate(s, NULL);
    if (size < 0) return NULL;
    *placed = (size_t)size;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t need = ((size_t)size + page - 1) / page * page;
    if (a->used + need > a->size) {
        sb_printf(err, "the cells' code area (%zu bytes) is full: restart the kernel", a->size);
        return NULL;
    }
    char *at = a->base + a->used;
    if (tcc_relocate(s, at) < 0) return NULL;
    /* Globals of cells are roots: a tensor stored in one stays alive. Re-adding the whole used
       range keeps it one root set however many cells there are. */
    if (a->used) GC_remove_roots(a->base, a->base + a->used);
    a->used += need;
    GC_add_roots(a->base, a->base + a->used);
    return at;
}

/* Whether p lies in some cell's code or data. */
bool arena_contains(const Arena *a, const void *p) {
    return (const char *)p >= a->base && (const char *)p < a->base + a->used;
}

/* The cell function containing pc: the nearest one starting at or below it. */
const CodeSym *jit_code_at(const Jit *jit, const void *pc) {
    const CodeSym *best = NULL;
    if (!arena_contains(&jit->arena, pc)) return NULL;
    for (int i = 0; i < jit->ncode; i++) {
        const CodeSym *c = &jit->code[i];
        if (c->addr <= (const char *)pc && (!best || c->addr > best->addr)) best = c;
    }
    return best;
}

/* The line mark at or before pc, inside the function starting at fn_addr (binary search:
   cells are placed at rising addresses and each cell's marks are sorted). */
const LineMark *jit_line_at(const Jit *jit, const void *fn_addr, const void *pc) {
    int lo = 0, hi = jit->nmarks - 1, found = -1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (jit->marks[mid].addr <= (const char *)pc) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (found < 0 || jit->marks[found].addr < (const char *)fn_addr) return NULL;
    return &jit->marks[found];
}

/* What collecting a cell's line marks needs. */
typedef struct MarkScan {
    Jit *jit;
    int cell_no;
    int first; /* the cell's first mark in jit->marks */
} MarkScan;

/* tcc_list_symbols callback: keeps the line markers (JIT_LINE_MARK<line>_<k>). */
static void add_mark(void *ctx, const char *name, const void *val) {
    MarkScan *m = ctx;
    size_t n = strlen(JIT_LINE_MARK);
    if (strncmp(name, JIT_LINE_MARK, n)) return;
    Jit *jit = m->jit;
    jit->marks = jit_xrealloc(jit->marks, sizeof(LineMark) * (size_t)(jit->nmarks + 1));
    jit->marks[jit->nmarks++] = (LineMark){(char *)val, atoi(name + n), m->cell_no};
}

/* Orders marks by address. */
static int by_addr(const void *a, const void *b) {
    const char *x = ((const LineMark *)a)->addr, *y = ((const LineMark *)b)->addr;
    return (x > y) - (x < y);
}

/* Records where the lines of a compiled cell's functions start. */
static void collect_marks(Jit *jit, TCCState *s, int cell_no) {
    MarkScan m = {jit, cell_no, jit->nmarks};
    tcc_list_symbols(s, &m, add_mark);
    qsort(jit->marks + m.first, (size_t)(jit->nmarks - m.first), sizeof(LineMark), by_addr);
}

/* The newest committed source of In[cell_no]. */
const char *jit_cell_source(const Jit *jit, int cell_no) {
    for (int i = jit->nsources; i-- > 0;)
        if (jit->sources[i].cell_no == cell_no) return jit->sources[i].code;
    return NULL;
}

/* Whether an item stays in the program (statements and #if blocks do not). */
static bool is_kept(const Item *it) {
    return it->kind != ITEM_STATEMENT && it->kind != ITEM_RESULT && it->prelude;
}

/* Whether a declaration-only item should leave an existing definition in place (a prototype
   repeated after the function keeps the function). */
static bool keeps_definition(const Item *newer, const Item *older) {
    bool decl = newer->kind == ITEM_PROTOTYPE || newer->kind == ITEM_EXTERN;
    bool def = older->kind == ITEM_FUNCTION || older->kind == ITEM_GLOBAL;
    return decl && def;
}

/* Whether an identical keyless item (the same #include) is already there. */
static bool has_same_text(const Item *items, int n, const Item *it) {
    if (it->nkeys) return false;
    for (int i = 0; i < n; i++)
        if (items[i].prelude && !strcmp(items[i].prelude, it->prelude)) return true;
    return false;
}

/* Slots of the name index used to order items (a power of two, grown as needed). */
enum { NAME_INDEX_MIN = 64 };

/* Which items define each name: an open-addressing table of (name, item) pairs. */
typedef struct NameIndex {
    const char **name;
    int *item;
    size_t cap;
} NameIndex;

/* djb2 hash of a name. */
static size_t hash_name(const char *s) {
    size_t h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h;
}

/* Records that item defines name. */
static void index_add(NameIndex *ix, const char *name, int item) {
    size_t i = hash_name(name) & (ix->cap - 1);
    while (ix->name[i]) i = (i + 1) & (ix->cap - 1);
    ix->name[i] = name;
    ix->item[i] = item;
}

/* Indexes the keys of n items. */
static void index_build(NameIndex *ix, const Item *const *v, int n) {
    size_t keys = 0;
    for (int i = 0; i < n; i++) keys += (size_t)v[i]->nkeys;
    ix->cap = NAME_INDEX_MIN;
    while (ix->cap < 2 * keys + 1) ix->cap *= 2;
    ix->name = calloc(ix->cap, sizeof(char *));
    ix->item = calloc(ix->cap, sizeof(int));
    if (!ix->name || !ix->item) t_raise(T_ERR_OOM, "cell compiler: out of memory");
    for (int i = 0; i < n; i++)
        for (int k = 0; k < v[i]->nkeys; k++) index_add(ix, v[i]->keys[k].name, i);
}

/* Whether item i still waits for an item it mentions that is not placed yet. */
static bool waits(const NameIndex *ix, const Item *const *v, int i, const bool *done) {
    for (int u = 0; u < v[i]->nuses; u++) {
        const char *name = v[i]->uses[u];
        for (size_t s = hash_name(name) & (ix->cap - 1); ix->name[s]; s = (s + 1) & (ix->cap - 1)) {
            int j = ix->item[s];
            if (j != i && !done[j] && !strcmp(ix->name[s], name)) return true;
        }
    }
    return false;
}

/* Orders items so that each comes after the items it mentions, keeping the given order
   otherwise (a redefined type may now use a type defined after the one it replaced). */
static void order_view(const Item **v, int n) {
    if (n < 2) return;
    size_t count = (size_t)n;
    NameIndex ix;
    index_build(&ix, v, n);
    bool *done = calloc(count, sizeof(bool));
    const Item **out = jit_xmalloc(sizeof(Item *) * count);
    int m = 0;
    while (m < n) {
        bool progress = false;
        for (int i = 0; i < n; i++) {
            if (done[i] || waits(&ix, v, i, done)) continue;
            out[m++] = v[i];
            done[i] = true;
            progress = true;
        }
        if (progress) continue;
        /* a cycle (types that mention each other): keep the first one where it was */
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            out[m++] = v[i];
            done[i] = true;
            break;
        }
    }
    memcpy(v, out, sizeof(Item *) * count);
    free(out);
    free(done);
    free(ix.name);
    free(ix.item);
}

/* Orders the program's items (see order_view). */
static void order_items(Item *items, int n) {
    const Item **v = jit_xmalloc(sizeof(Item *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) v[i] = &items[i];
    order_view(v, n);
    Item *sorted = jit_xmalloc(sizeof(Item) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) sorted[i] = *v[i];
    memcpy(items, sorted, sizeof(Item) * (size_t)n);
    free(sorted);
    free(v);
}

/* The items a cell compiles against, with its own in place of those it replaces. */
const Item **program_view(const Jit *jit, const Cell *cell, int *n) {
    const Item **v = jit_xmalloc(sizeof(Item *) * (size_t)(jit->nitems + cell->n + 1));
    int m = 0;
    for (int i = 0; i < jit->nitems; i++) v[m++] = &jit->items[i];
    for (int c = 0; c < cell->n; c++) {
        const Item *it = &cell->items[c];
        if (it->kind == ITEM_STATEMENT || it->kind == ITEM_RESULT) continue;
        int at = -1, w = 0;
        for (int i = 0; i < m; i++) {
            bool replaced = item_keys_overlap(it, v[i]) && !keeps_definition(it, v[i]);
            if (replaced && at < 0) at = w;
            if (!replaced) v[w++] = v[i];
        }
        m = w;
        if (at < 0) at = m;
        memmove(v + at + 1, v + at, sizeof(Item *) * (size_t)(m - at));
        v[at] = it;
        m++;
    }
    order_view(v, m);
    *n = m;
    return v;
}

/* Adds a cell's item to the program: in place of the items it redefines, else at the end. */
static void commit_item(Jit *jit, const Item *it) {
    if (has_same_text(jit->items, jit->nitems, it)) return;
    int at = -1;
    for (int i = 0; i < jit->nitems; i++) {
        if (!item_keys_overlap(it, &jit->items[i])) continue;
        if (keeps_definition(it, &jit->items[i])) return;
        if (at < 0) at = i;
    }
    Item copy = item_copy(it);
    int w = 0;
    for (int i = 0; i < jit->nitems; i++) {
        if (item_keys_overlap(it, &jit->items[i])) {
            item_free(&jit->items[i]);
            if (i == at) jit->items[w++] = copy;
            continue;
        }
        jit->items[w++] = jit->items[i];
    }
    jit->nitems = w;
    if (at < 0) {
        jit->items = jit_xrealloc(jit->items, sizeof(Item) * (size_t)(jit->nitems + 1));
        jit->items[jit->nitems++] = copy;
    }
}

/* Remembers a function of a cell for crash reports. */
static void add_code_sym(Jit *jit, const char *name, void *addr, int cell_no) {
    jit->code = jit_xrealloc(jit->code, sizeof(CodeSym) * (size_t)(jit->ncode + 1));
    jit->code[jit->ncode].name = jit_strdup(name);
    jit->code[jit->ncode].addr = addr;
    jit->code[jit->ncode].cell_no = cell_no;
    jit->ncode++;
}

/* The address of a name the compiled cell defines. */
static void *compiled_symbol(const Compiled *c, const char *name) {
    return c->state ? tcc_get_symbol(c->state, name) : rerun_symbol(c->reused, name);
}

/* Makes a compiled cell part of the program: its items, addresses and source. */
void program_commit(Jit *jit, const Cell *cell, const Compiled *c, const char *code) {
    for (int i = 0; i < cell->n; i++) {
        Item it = cell->items[i];
        if (!is_kept(&it)) continue;
        if (it.kind == ITEM_FUNCTION || it.kind == ITEM_GLOBAL) {
            it.addr = compiled_symbol(c, it.name);
            if (it.kind == ITEM_FUNCTION && it.addr)
                add_code_sym(jit, it.name, it.addr, cell->items[i].cell_no);
        }
        commit_item(jit, &it);
    }
    order_items(jit->items, jit->nitems);
    /* a reused compile's marks and entry are known from its first run */
    if (cell->n && c->state) {
        collect_marks(jit, c->state, cell->items[0].cell_no);
        void *entry = tcc_get_symbol(c->state, "__ct_cell");
        if (entry) add_code_sym(jit, "<cell>", entry, cell->items[0].cell_no);
    }
    jit->sources = jit_xrealloc(jit->sources, sizeof(CellSource) * (size_t)(jit->nsources + 1));
    jit->sources[jit->nsources].cell_no = cell->n ? cell->items[0].cell_no : 0;
    jit->sources[jit->nsources].code = jit_strdup(code);
    jit->nsources++;
}

/* The item that defines name, preferring variables and functions. */
const Item *program_find(const Jit *jit, const char *name) {
    const Item *found = NULL;
    for (int i = 0; i < jit->nitems; i++) {
        const Item *it = &jit->items[i];
        for (int k = 0; k < it->nkeys; k++) {
            if (strcmp(it->keys[k].name, name)) continue;
            /* a function or global wins over a macro or tag of the same name */
            if (!found || it->keys[k].space == KEY_ORDINARY) found = it;
        }
    }
    return found;
}

/* Whether name is a variable or function of the program (the splitter asks). */
bool program_is_value(void *ctx, const char *name) {
    const Jit *jit = ctx;
    for (int i = 0; i < jit->nitems; i++) {
        const Item *it = &jit->items[i];
        bool value = it->kind == ITEM_FUNCTION || it->kind == ITEM_GLOBAL ||
                     it->kind == ITEM_PROTOTYPE || it->kind == ITEM_EXTERN;
        if (!value) continue;
        for (int k = 0; k < it->nkeys; k++)
            if (it->keys[k].space == KEY_ORDINARY && !strcmp(it->keys[k].name, name)) return true;
    }
    return false;
}
