/* strbuf.c — the growing strings and checked allocations the cell compiler builds code with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

/* First capacity of a string buffer; it doubles from there. */
enum { SB_MIN_CAP = 256 };

/* malloc that raises OutOfMemory. */
void *jit_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) t_raise(T_ERR_OOM, "cell compiler: out of memory allocating %zu bytes", n);
    return p;
}

/* realloc that raises OutOfMemory. */
void *jit_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) t_raise(T_ERR_OOM, "cell compiler: out of memory allocating %zu bytes", n);
    return q;
}

/* A NUL-terminated copy of len bytes. */
char *jit_strndup(const char *s, size_t len) {
    char *d = jit_xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *jit_strdup(const char *s) { return s ? jit_strndup(s, strlen(s)) : NULL; }

/* Makes room for len more bytes and the NUL. */
static void sb_reserve(StrBuf *b, size_t len) {
    if (b->len + len + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : SB_MIN_CAP;
    while (cap < b->len + len + 1) cap *= 2;
    b->s = jit_xrealloc(b->s, cap);
    b->cap = cap;
}

/* Appends len bytes. */
void sb_add(StrBuf *b, const char *data, size_t len) {
    sb_reserve(b, len);
    memcpy(b->s + b->len, data, len);
    b->len += len;
    b->s[b->len] = '\0';
}

void sb_puts(StrBuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* Appends formatted text: into the room there is, formatted again only when it did not fit
   (cells' sources are built from thousands of these). */
void sb_printf(StrBuf *b, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    sb_reserve(b, 0);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->s + b->len, room, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n >= room) {
        sb_reserve(b, (size_t)n);
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
    }
    if (n > 0) b->len += (size_t)n;
    b->s[b->len] = '\0';
    va_end(ap2);
}

/* Hands the string over and empties the buffer. */
char *sb_take(StrBuf *b) {
    char *s = b->s ? b->s : jit_strdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

/* Frees the buffer. */
void sb_free(StrBuf *b) {
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}
