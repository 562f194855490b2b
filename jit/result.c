/* result.c — a cell's outcome as the front end sees it, and the display of struct results. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

/* Fills res with an error; tb (taken over) or a one-line traceback. */
void result_error(JitResult *res, TErrorKind kind, const char *evalue, char **tb, int ntb) {
    jit_result_free(res);
    res->ok = false;
    res->kind = kind;
    res->ename = jit_strdup(t_error_name(kind));
    res->evalue = jit_strdup(evalue);
    res->traceback = tb;
    res->ntraceback = ntb;
    if (!tb) {
        /* at least "Name: message", as Jupyter shows an error without a traceback */
        StrBuf l = {0};
        sb_printf(&l, "\x1b[0;31m%s\x1b[0m: %s", res->ename, evalue);
        res->traceback = jit_xmalloc(sizeof(char *));
        res->traceback[0] = sb_take(&l);
        res->ntraceback = 1;
    }
}

/* Fills res with an error formatted like printf. */
void jit_result_error(JitResult *res, TErrorKind kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char msg[T_ERR_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    result_error(res, kind, msg, NULL, 0);
}

/* Frees what a result holds. */
void jit_result_free(JitResult *res) {
    if (!res) return;
    free(res->ename);
    free(res->evalue);
    for (int i = 0; i < res->ntraceback; i++) free(res->traceback[i]);
    free(res->traceback);
    res->ename = res->evalue = NULL;
    res->traceback = NULL;
    res->ntraceback = 0;
}

MimeBundle *jit_struct_bundle(const char *type, int n, const char *const *names,
                              MimeBundle *const *values) {
    StrBuf b = {0};
    sb_printf(&b, "(%s){", type);
    for (int i = 0; i < n; i++) {
        size_t len = 0;
        const char *text = values[i] ? mime_get(values[i], "text/plain", &len) : NULL;
        sb_printf(&b, "%s.%s = ", i ? ", " : "", names[i]);
        if (text) sb_add(&b, text, len);
        else sb_puts(&b, "?");
    }
    sb_puts(&b, "}");
    MimeBundle *bundle = t_bundle_text(b.s);
    sb_free(&b);
    return bundle;
}
