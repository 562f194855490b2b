/* output.c — what a running cell shows: its streams and its rich displays, as iopub
   messages whose parent is the cell's execute_request. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kernel.h"

/* A MIME type that Jupyter expects as base64 text: binary images (SVG is text). */
static bool mime_is_binary(const char *mime) {
    return strncmp(mime, "image/", strlen("image/")) == 0 && strcmp(mime, "image/svg+xml") != 0;
}

/* A MIME type whose data Jupyter expects as a JSON value rather than a string. */
static bool mime_is_json(const char *mime) {
    size_t n = strlen(mime);
    const char suffix[] = "+json";
    return strcmp(mime, "application/json") == 0 ||
           (n > sizeof suffix - 1 && strcmp(mime + n - (sizeof suffix - 1), suffix) == 0);
}

/* bytes as base64 text, without line breaks. */
static json_t *base64_string(const char *data, size_t len) {
    size_t outlen = 4 * ((len + 2) / 3) + 1;
    unsigned char *out = malloc(outlen);
    int n = EVP_EncodeBlock(out, (const unsigned char *)data, (int)len);
    json_t *s = json_stringn((const char *)out, (size_t)n);
    free(out);
    return s;
}

json_t *output_mime_data(const MimeBundle *bundle) {
    json_t *data = json_object();
    for (int i = 0; bundle && i < bundle->n; i++) {
        const char *mime = bundle->mime[i];
        json_t *v = NULL;
        if (mime_is_binary(mime)) v = base64_string(bundle->data[i], bundle->len[i]);
        else if (mime_is_json(mime)) v = json_loadb(bundle->data[i], bundle->len[i], 0, NULL);
        if (!v) v = wire_string(bundle->data[i], bundle->len[i]);
        json_object_set_new(data, mime, v);
    }
    return data;
}

/* The bundle's metadata object: its JSON text parsed, or {} when it has none. A bundle whose
   metadata is not a JSON object is a bug in the code that made it: logged, then shown without. */
static json_t *bundle_metadata(const MimeBundle *bundle) {
    if (!bundle || !bundle->metadata) return json_object();
    json_t *m = json_loads(bundle->metadata, 0, NULL);
    if (json_is_object(m)) return m;
    kernel_log("display: metadata is not a JSON object: %s", bundle->metadata);
    json_decref(m);
    return json_object();
}

void output_stream(void *ctx, int fd, const char *data, size_t len) {
    Kernel *k = ctx;
    const char *name = fd == 2 ? "stderr" : "stdout";
    iopub_send(k, k->cell_request, "stream",
               json_pack("{s:s, s:o}", "name", name, "text", wire_string(data, len)));
}

/* Remembers the text/plain of the cell's result for the history's output column. */
static void keep_result_text(Kernel *k, const MimeBundle *bundle) {
    size_t len = 0;
    const char *text = mime_get(bundle, "text/plain", &len);
    if (!text) return;
    free(k->cell_output);
    k->cell_output = strndup(text, len);
}

void output_display(void *ctx, DisplayKind kind, const MimeBundle *bundle,
                    const char *display_id) {
    Kernel *k = ctx;
    if (kind == DISPLAY_CLEAR) {
        json_t *meta = bundle_metadata(bundle);
        bool wait = json_is_true(json_object_get(meta, "wait"));
        json_decref(meta);
        iopub_send(k, k->cell_request, "clear_output", json_pack("{s:b}", "wait", wait));
        return;
    }
    if (!bundle) {
        kernel_log("display: a %s without a bundle was ignored",
                   kind == DISPLAY_RESULT ? "result" : "display");
        return;
    }
    json_t *content = json_pack("{s:o, s:o}", "data", output_mime_data(bundle), "metadata",
                                bundle_metadata(bundle));
    if (kind == DISPLAY_RESULT) {
        keep_result_text(k, bundle);
        if (k->cell_silent) {
            json_decref(content);
            return;
        }
        json_object_set_new(content, "execution_count", json_integer(k->execution_count));
        iopub_send(k, k->cell_request, "execute_result", content);
        return;
    }
    if (display_id) json_object_set_new(content, "transient", json_pack("{s:s}", "display_id", display_id));
    else if (kind == DISPLAY_UPDATE) {
        kernel_log("display: update_display_data needs a display id; shown as a new output");
        kind = DISPLAY_DATA;
    }
    if (kind == DISPLAY_UPDATE) iopub_send(k, k->cell_request, "update_display_data", content);
    else iopub_send(k, k->cell_request, "display_data", content);
}
