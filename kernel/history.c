/* history.c — the session's cells in memory, and the three ways Jupyter asks for them. */
#include "history.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Entries the history array starts with; it doubles when full. */
enum { HISTORY_INITIAL_CAP = 64 };

void cellhist_add(History *h, int line, const char *input, const char *output) {
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : HISTORY_INITIAL_CAP;
        h->items = realloc(h->items, (size_t)h->cap * sizeof *h->items);
    }
    h->items[h->n++] = (HistoryEntry){line, strdup(input), output ? strdup(output) : NULL};
}

void cellhist_set_output(History *h, int line, const char *output) {
    for (int i = h->n - 1; i >= 0; i--) {
        if (h->items[i].line == line) {
            free(h->items[i].output);
            h->items[i].output = output ? strdup(output) : NULL;
            return;
        }
    }
}

void cellhist_free(History *h) {
    for (int i = 0; i < h->n; i++) {
        free(h->items[i].input);
        free(h->items[i].output);
    }
    free(h->items);
    *h = (History){0};
}

/* One entry as the protocol's [session, line, input] or [session, line, [input, output]]. */
static json_t *entry_json(const HistoryEntry *e, bool output) {
    json_t *in = json_string(e->input);
    if (!in) in = json_string("");
    json_t *third = in;
    if (output) {
        json_t *out = e->output ? json_string(e->output) : NULL;
        third = json_pack("[o, o]", in, out ? out : json_null());
    }
    return json_pack("[i, i, o]", HISTORY_SESSION, e->line, third);
}

json_t *cellhist_tail(const History *h, int n, bool output) {
    json_t *list = json_array();
    int first = (n > 0 && n < h->n) ? h->n - n : 0;
    for (int i = first; i < h->n; i++) json_array_append_new(list, entry_json(&h->items[i], output));
    return list;
}

json_t *cellhist_range(const History *h, int session, int start, int stop, bool output) {
    json_t *list = json_array();
    /* Session 0 (or a negative one, relative to the current) means this session in IPython. */
    if (session > 0 && session != HISTORY_SESSION) return list;
    int last = h->n ? h->items[h->n - 1].line : 0;
    if (start < 0) start += last + 1;
    if (stop <= 0) stop = last + 1;
    for (int i = 0; i < h->n; i++) {
        const HistoryEntry *e = &h->items[i];
        if (e->line >= start && e->line < stop) json_array_append_new(list, entry_json(e, output));
    }
    return list;
}

/* True if an earlier-kept entry (index > i, since search walks newest first) has this input. */
static bool seen_later(const History *h, int i, const char *input) {
    for (int j = i + 1; j < h->n; j++)
        if (strcmp(h->items[j].input, input) == 0) return true;
    return false;
}

json_t *cellhist_search(const History *h, const char *pattern, int n, bool unique, bool output) {
    size_t plen = strlen(pattern);
    char *glob = malloc(plen + 3);
    glob[0] = '*';
    memcpy(glob + 1, pattern, plen);
    strcpy(glob + 1 + plen, "*");
    /* Walk newest first so that n and unique keep the most recent matches. */
    int *hits = malloc(((size_t)h->n + 1) * sizeof *hits);
    int nhits = 0;
    for (int i = h->n - 1; i >= 0 && (n <= 0 || nhits < n); i--) {
        const char *in = h->items[i].input;
        if (fnmatch(glob, in, 0) != 0) continue;
        if (unique && seen_later(h, i, in)) continue;
        hits[nhits++] = i;
    }
    json_t *list = json_array();
    for (int j = nhits - 1; j >= 0; j--)
        json_array_append_new(list, entry_json(&h->items[hits[j]], output));
    free(hits);
    free(glob);
    return list;
}
