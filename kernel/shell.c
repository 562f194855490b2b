/* shell.c — the shell channel's requests other than execute: kernel_info, complete, inspect,
   is_complete, history and comm_info, and the dispatch with busy/idle around each. */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

/* The CodeMirror mode JupyterLab highlights C with. */
static const char CODEMIRROR_C_MODE[] = "text/x-csrc";
/* The C standard cells are compiled as, reported as the language version. */
static const char C_VERSION[] = "C11";

json_t *shell_kernel_info(void) {
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:s, s:b, s:[{s:s, s:s}, {s:s, s:s}]}",
        "status", "ok", "protocol_version", WIRE_PROTOCOL_VERSION, "implementation", "ctorch",
        "implementation_version", CTORCH_VERSION, "language_info", "name", "c", "version",
        C_VERSION, "mimetype", "text/x-csrc", "file_extension", ".c", "pygments_lexer", "c",
        "codemirror_mode", CODEMIRROR_C_MODE, "banner",
        "ctorch " CTORCH_VERSION " - C cells compiled with TinyCC, tensors and autograd.\n"
        "?name shows help; Tab completes.",
        "debugger", 0, "help_links", "text", "C reference", "url",
        "https://en.cppreference.com/w/c", "text", "TinyCC", "url", "https://bellard.org/tcc/");
}

/* A request's integer field, or def when absent or not a number. */
static int int_field(const json_t *content, const char *name, int def) {
    json_t *v = json_object_get(content, name);
    return json_is_number(v) ? (int)json_number_value(v) : def;
}

/* A request's string field, or "" when absent. */
static const char *str_field(const json_t *content, const char *name) {
    const char *s = json_string_value(json_object_get(content, name));
    return s ? s : "";
}

/* Jupyter counts cursor_pos in Unicode code points; the cell compiler counts bytes. */
static int cursor_to_byte(const char *code, int cursor) {
    int i = 0, chars = 0;
    while (code[i] && chars < cursor) {
        i++;
        while ((code[i] & 0xC0) == 0x80) i++;
        chars++;
    }
    return i;
}

/* The inverse of cursor_to_byte: code points before a byte offset. */
static int byte_to_cursor(const char *code, int byte) {
    int chars = 0;
    for (int i = 0; i < byte && code[i]; i++)
        if ((code[i] & 0xC0) != 0x80) chars++;
    return chars;
}

static void handle_complete(Kernel *k, const WireMsg *req) {
    const char *code = str_field(req->content, "code");
    int cursor = cursor_to_byte(code, int_field(req->content, "cursor_pos", (int)strlen(code)));
    int n = 0, start = cursor, end = cursor;
    char **matches = jit_complete(k->jit, code, cursor, &n, &start, &end);
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(list, wire_string(matches[i], strlen(matches[i])));
        free(matches[i]);
    }
    free(matches);
    kernel_send(k, k->sock[CONN_SHELL], req, "complete_reply",
                json_pack("{s:s, s:o, s:i, s:i, s:{}}", "status", "ok", "matches", list,
                          "cursor_start", byte_to_cursor(code, start), "cursor_end",
                          byte_to_cursor(code, end), "metadata"));
}

static void handle_inspect(Kernel *k, const WireMsg *req) {
    const char *code = str_field(req->content, "code");
    int cursor = cursor_to_byte(code, int_field(req->content, "cursor_pos", (int)strlen(code)));
    char *doc = jit_inspect(k->jit, code, cursor, int_field(req->content, "detail_level", 0));
    json_t *data = json_object();
    if (doc) json_object_set_new(data, "text/plain", wire_string(doc, strlen(doc)));
    kernel_send(k, k->sock[CONN_SHELL], req, "inspect_reply",
                json_pack("{s:s, s:b, s:o, s:{}}", "status", "ok", "found", doc != NULL, "data",
                          data, "metadata"));
    free(doc);
}

static void handle_is_complete(Kernel *k, const WireMsg *req) {
    const char *indent = "";
    const char *status = jit_is_complete(k->jit, str_field(req->content, "code"), &indent);
    json_t *content = json_pack("{s:s}", "status", status);
    if (strcmp(status, "incomplete") == 0)
        json_object_set_new(content, "indent", json_string(indent ? indent : ""));
    kernel_send(k, k->sock[CONN_SHELL], req, "is_complete_reply", content);
}

static void handle_history(Kernel *k, const WireMsg *req) {
    const json_t *c = req->content;
    const char *type = str_field(c, "hist_access_type");
    bool output = json_is_true(json_object_get(c, "output"));
    json_t *list;
    if (strcmp(type, "tail") == 0) {
        list = cellhist_tail(&k->history, int_field(c, "n", 0), output);
    } else if (strcmp(type, "range") == 0) {
        list = cellhist_range(&k->history, int_field(c, "session", 0), int_field(c, "start", 0),
                             int_field(c, "stop", 0), output);
    } else if (strcmp(type, "search") == 0) {
        list = cellhist_search(&k->history, str_field(c, "pattern"), int_field(c, "n", 0),
                              json_is_true(json_object_get(c, "unique")), output);
    } else {
        kernel_send(k, k->sock[CONN_SHELL], req, "history_reply",
                    json_pack("{s:s, s:s, s:s, s:[]}", "status", "error", "ename", "ValueError",
                              "evalue", "history: hist_access_type must be tail, range or search",
                              "traceback"));
        return;
    }
    kernel_send(k, k->sock[CONN_SHELL], req, "history_reply",
                json_pack("{s:s, s:o}", "status", "ok", "history", list));
}

void shell_dispatch(Kernel *k, const WireMsg *req) {
    const char *type = wire_msg_type(req);
    iopub_status(k, req, "busy");
    if (strcmp(type, "execute_request") == 0) execute_request(k, req);
    else if (strcmp(type, "kernel_info_request") == 0)
        kernel_send(k, k->sock[CONN_SHELL], req, "kernel_info_reply", shell_kernel_info());
    else if (strcmp(type, "complete_request") == 0) handle_complete(k, req);
    else if (strcmp(type, "inspect_request") == 0) handle_inspect(k, req);
    else if (strcmp(type, "is_complete_request") == 0) handle_is_complete(k, req);
    else if (strcmp(type, "history_request") == 0) handle_history(k, req);
    else if (strcmp(type, "comm_info_request") == 0)
        kernel_send(k, k->sock[CONN_SHELL], req, "comm_info_reply",
                    json_pack("{s:s, s:{}}", "status", "ok", "comms"));
    else kernel_log("shell: ignored unsupported request %s", type);
    iopub_status(k, req, "idle");
}
