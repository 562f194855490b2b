/*
 * history.h — the session's input history, kept in memory, answering Jupyter's
 * history_request (tail, range, search) and the REPL's recall.
 */
#ifndef CTORCH_KERNEL_HISTORY_H
#define CTORCH_KERNEL_HISTORY_H

#include <stdbool.h>

#include <jansson.h>

/* The session number history entries carry: one session per kernel process. */
#define HISTORY_SESSION 1

/* One stored cell: its In[n], its code, and the text/plain of its result (or NULL). */
typedef struct HistoryEntry {
    int line;
    char *input;
    char *output;
} HistoryEntry;

typedef struct History {
    HistoryEntry *items;
    int n, cap;
} History;

/* Appends a cell (input and output are copied; output may be NULL). */
void cellhist_add(History *h, int line, const char *input, const char *output);
/* Sets the output of the entry with the given line, if there is one. */
void cellhist_set_output(History *h, int line, const char *output);
void cellhist_free(History *h);

/* The last n entries (all if n <= 0), as [session, line, input] arrays, or
   [session, line, [input, output]] with output. */
json_t *cellhist_tail(const History *h, int n, bool output);
/* Entries with start <= line < stop of a session; stop <= 0 means "to the end", and negative
   start counts from the end as IPython does. */
json_t *cellhist_range(const History *h, int session, int start, int stop, bool output);
/* Entries whose input matches a glob pattern (fnmatch; "*" around it implied as IPython
   does), the last n of them if n > 0, each input once if unique. */
json_t *cellhist_search(const History *h, const char *pattern, int n, bool unique, bool output);

#endif /* CTORCH_KERNEL_HISTORY_H */
