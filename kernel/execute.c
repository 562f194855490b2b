/* execute.c — execute_request: counting, running the cell through the cell compiler, the
   help pager for "?name", errors, and aborting cells queued behind a failed one. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

/* A request's boolean field, or def when absent. */
static bool bool_field(const json_t *content, const char *name, bool def) {
    json_t *v = json_object_get(content, name);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

/* True for characters that may appear in a C identifier. */
static bool is_ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

char *execute_help_query(Jit *jit, const char *code, bool *is_query) {
    *is_query = false;
    while (isspace((unsigned char)*code)) code++;
    size_t len = strlen(code);
    while (len && isspace((unsigned char)code[len - 1])) len--;
    int marks = 0, detail = 0;
    const char *name = code;
    size_t nlen = len;
    while (nlen && *name == '?') name++, nlen--, marks++;        /* ?name, ??name */
    while (nlen && name[nlen - 1] == '?') nlen--, marks++;       /* name?, name?? */
    if (marks == 0 || nlen == 0) return NULL;
    for (size_t i = 0; i < nlen; i++)
        if (!is_ident_char(name[i])) return NULL;
    *is_query = true;
    detail = marks > 1;
    char *ident = strndup(name, nlen);
    char *doc = jit_inspect(jit, ident, (int)nlen, detail);
    free(ident);
    return doc;
}

/* Answers a "?name" cell: the help goes to the pager payload, as IPython does. */
static json_t *help_payload(Kernel *k, const WireMsg *req, const char *code, char *doc) {
    json_t *payload = json_array();
    if (doc) {
        json_array_append_new(payload, json_pack("{s:s, s:{s:o}, s:i}", "source", "page", "data",
                                                 "text/plain", wire_string(doc, strlen(doc)),
                                                 "start", 0));
    } else {
        size_t skip = strspn(code, "? \t\n");
        int len = (int)strcspn(code + skip, "? \t\n");
        char *msg = NULL;
        if (asprintf(&msg, "Object `%.*s` not found.\n", len, code + skip) >= 0) {
            iopub_send(k, req, "stream",
                       json_pack("{s:s, s:o}", "name", "stdout", "text", wire_string(msg, strlen(msg))));
            free(msg);
        }
    }
    free(doc);
    return payload;
}

/* An error's traceback as JSON strings; "ename: evalue" when the compiler gave none. */
static json_t *traceback_json(const JitResult *res) {
    json_t *tb = json_array();
    for (int i = 0; i < res->ntraceback; i++)
        json_array_append_new(tb, wire_string(res->traceback[i], strlen(res->traceback[i])));
    if (res->ntraceback == 0) {
        char *line = NULL;
        if (asprintf(&line, "%s: %s", res->ename ? res->ename : "Error",
                     res->evalue ? res->evalue : "") >= 0) {
            json_array_append_new(tb, wire_string(line, strlen(line)));
            free(line);
        }
    }
    return tb;
}

/* Runs the cell with the kernel's stream, input and display callbacks in place. */
static void run_cell(Kernel *k, const WireMsg *req, const char *code, int cell_no, bool silent,
                     bool allow_stdin, JitResult *res) {
    JitIO io = {.ctx = k, .stream = output_stream, .input = stdin_input};
    k->cell_request = req;
    k->cell_silent = silent;
    k->allow_stdin = allow_stdin;
    free(k->cell_output);
    k->cell_output = NULL;
    atomic_store(&k->interrupted, false);
    atomic_store(&k->cell_running, true);
    jit_execute(k->jit, code, cell_no, &io, res);
    atomic_store(&k->cell_running, false);
    k->cell_request = NULL;
}

/* The reply to an execute_request that arrived while queued cells are being aborted. */
static void reply_aborted(Kernel *k, const WireMsg *req) {
    kernel_send(k, k->sock[CONN_SHELL], req, "execute_reply",
                json_pack("{s:s, s:i}", "status", "aborted", "execution_count",
                          k->execution_count));
}

void execute_request(Kernel *k, const WireMsg *req) {
    const json_t *c = req->content;
    const char *code = json_string_value(json_object_get(c, "code"));
    if (!code) {
        kernel_send(k, k->sock[CONN_SHELL], req, "execute_reply",
                    json_pack("{s:s, s:s, s:s, s:[s], s:i}", "status", "error", "ename",
                              "ValueError", "evalue", "execute_request: content.code must be a string",
                              "traceback", "ValueError: execute_request: content.code must be a string",
                              "execution_count", k->execution_count));
        return;
    }
    if (k->aborting) {
        reply_aborted(k, req);
        return;
    }
    bool silent = bool_field(c, "silent", false);
    bool store = !silent && bool_field(c, "store_history", true);
    if (store) k->execution_count++;
    int n = k->execution_count;
    if (!silent)
        iopub_send(k, req, "execute_input",
                   json_pack("{s:o, s:i}", "code", wire_string(code, strlen(code)),
                             "execution_count", n));
    if (store) cellhist_add(&k->history, n, code, NULL);

    bool is_query = false;
    char *doc = execute_help_query(k->jit, code, &is_query);
    if (is_query) {
        kernel_send(k, k->sock[CONN_SHELL], req, "execute_reply",
                    json_pack("{s:s, s:i, s:o, s:{}}", "status", "ok", "execution_count", n,
                              "payload", help_payload(k, req, code, doc), "user_expressions"));
        return;
    }
    JitResult res = {0};
    run_cell(k, req, code, n, silent, bool_field(c, "allow_stdin", true), &res);
    if (store && k->cell_output) cellhist_set_output(&k->history, n, k->cell_output);
    if (res.ok) {
        kernel_send(k, k->sock[CONN_SHELL], req, "execute_reply",
                    json_pack("{s:s, s:i, s:[], s:{}}", "status", "ok", "execution_count", n,
                              "payload", "user_expressions"));
    } else {
        const char *ename = res.ename ? res.ename : t_error_name(res.kind);
        const char *evalue = res.evalue ? res.evalue : "";
        json_t *tb = traceback_json(&res);
        if (!silent && bool_field(c, "stop_on_error", true)) kernel_hold_queued(k);
        iopub_send(k, req, "error",
                   json_pack("{s:s, s:o, s:O}", "ename", ename, "evalue",
                             wire_string(evalue, strlen(evalue)), "traceback", tb));
        kernel_send(k, k->sock[CONN_SHELL], req, "execute_reply",
                    json_pack("{s:s, s:s, s:o, s:o, s:i}", "status", "error", "ename", ename,
                              "evalue", wire_string(evalue, strlen(evalue)), "traceback", tb,
                              "execution_count", n));
    }
    jit_result_free(&res);
}
