/* io_safetensors.c — the safetensors format: an 8-byte little-endian header length, a JSON
   header naming each tensor's dtype, shape and byte range, then the bytes. The header parser
   reads only what the format holds; every count and range is checked against the file. */
#include <stdlib.h>
#include <string.h>

#include "ctorch.h"
#include "data_internal.h"
#include "io_file.h"

/* Headers larger than this are refused as corrupt (the format's own limit is 100 MB). */
#define MAX_HEADER_BYTES ((uint64_t)100 << 20)

static const char *const st_dtype[T_NDTYPES] = {
    [T_F32] = "F32", [T_F64] = "F64", [T_I64] = "I64", [T_I32] = "I32", [T_U8] = "U8", [T_BOOL] = "BOOL",
};

/* ---- writing ---- */

void t_save(const char *path, NamedTensors tensors) {
    size_t cap = 256, n = 0, offset = 0;
    char *json = t_gc_alloc_atomic(cap);
    Tensor **parts = t_gc_alloc(sizeof *parts * (size_t)(tensors.n + 1));
    n += (size_t)snprintf(json, cap, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < tensors.n; i++) {
        Tensor *t = tensors.items[i];
        t_check_alive("t_save", t);
        for (int j = 0; j < i; j++)
            if (!strcmp(tensors.names[i], tensors.names[j]))
                t_raise(T_ERR_VALUE, "t_save: the name \"%s\" appears twice", tensors.names[i]);
        parts[i] = t_contiguous(t_to(t_detach(t), T_CPU));
        size_t bytes = (size_t)t_numel(t) * t_dtype_size(t->dtype);
        const char *shape = t_shape_str(t_shape(t));
        const char *entry = t_gc_sprintf(",\"%s\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":[%zu,%zu]}",
                                         tensors.names[i], st_dtype[t->dtype], shape, offset, offset + bytes);
        offset += bytes;
        size_t len = strlen(entry);
        while (n + len + 2 > cap) {
            char *bigger = t_gc_alloc_atomic(cap * 2);
            memcpy(bigger, json, n);
            json = bigger;
            cap *= 2;
        }
        memcpy(json + n, entry, len);
        n += len;
    }
    json[n++] = '}';
    while (n % 8) json[n++] = ' '; /* pad so the data starts 8-byte aligned */
    uint64_t hlen = n;
    unsigned char hdr[8];
    for (int b = 0; b < 8; b++) hdr[b] = (unsigned char)(hlen >> (8 * b));
    int nparts = tensors.n + 2;
    const void **data = t_gc_alloc(sizeof *data * (size_t)nparts);
    size_t *lens = t_gc_alloc(sizeof *lens * (size_t)nparts);
    data[0] = hdr, lens[0] = 8, data[1] = json, lens[1] = n;
    for (int i = 0; i < tensors.n; i++) {
        data[i + 2] = t_ptr(parts[i]);
        lens[i + 2] = (size_t)t_numel(parts[i]) * t_dtype_size(parts[i]->dtype);
    }
    io_write_atomic("t_save", path, nparts, data, lens);
}

/* ---- reading: a JSON reader for the header ---- */

typedef struct Json {
    const char *p, *end, *path;
} Json;

static void bad(Json *j, const char *what) {
    t_raise(T_ERR_IO, "t_load: %s has a corrupt header: %s (%ld bytes before its end)", j->path,
            what, (long)(j->end - j->p));
}

static void ws(Json *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')) j->p++;
}

static void expect(Json *j, char c) {
    ws(j);
    if (j->p >= j->end || *j->p != c) bad(j, t_gc_sprintf("expected '%c'", c));
    j->p++;
}

static bool peek(Json *j, char c) {
    ws(j);
    return j->p < j->end && *j->p == c;
}

/* A string without escapes other than \" and \\ (tensor names and dtypes). */
static char *string(Json *j) {
    expect(j, '"');
    const char *close = j->p;
    while (close < j->end && *close != '"') close += *close == '\\' ? 2 : 1;
    if (close > j->end) close = j->end;
    char *s = t_gc_alloc_atomic((size_t)(close - j->p) + 1);
    size_t n = 0;
    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\') {
            if (++j->p >= j->end) break;
        }
        s[n++] = *j->p++;
    }
    if (j->p >= j->end) bad(j, "unterminated string");
    j->p++;
    s[n] = '\0';
    return s;
}

static uint64_t integer(Json *j) {
    ws(j);
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') bad(j, "expected a non-negative integer");
    uint64_t v = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        if (v > (UINT64_MAX - 9) / 10) bad(j, "integer too large");
        v = v * 10 + (uint64_t)(*j->p++ - '0');
    }
    return v;
}

/* Skips any JSON value (for __metadata__ and unknown keys). */
static void skip(Json *j) {
    ws(j);
    if (j->p >= j->end) bad(j, "unexpected end");
    if (*j->p == '"') { string(j); return; }
    if (*j->p == '{' || *j->p == '[') {
        char close = *j->p == '{' ? '}' : ']';
        j->p++;
        if (peek(j, close)) { j->p++; return; }
        for (;;) {
            if (close == '}') { string(j); expect(j, ':'); }
            skip(j);
            if (peek(j, ',')) { j->p++; continue; }
            expect(j, close);
            return;
        }
    }
    while (j->p < j->end && !strchr(",}] \n\t\r", *j->p)) j->p++; /* number, true, false, null */
}

/* One tensor's entry: {"dtype": ..., "shape": [...], "data_offsets": [b, e]}. */
static Tensor *entry(Json *j, const char *name, const unsigned char *data, uint64_t data_len) {
    DType dt = T_NDTYPES;
    Shape shape = {-1, {0}};
    uint64_t begin = 0, end = 0;
    bool have_offsets = false;
    expect(j, '{');
    while (!peek(j, '}')) {
        char *key = string(j);
        expect(j, ':');
        if (!strcmp(key, "dtype")) {
            char *d = string(j);
            for (int k = 0; k < T_NDTYPES; k++)
                if (!strcmp(d, st_dtype[k])) dt = (DType)k;
            if (dt == T_NDTYPES)
                t_raise(T_ERR_IO, "t_load: %s: tensor \"%s\" has dtype %s, which ctorch does not have",
                        j->path, name, d);
        } else if (!strcmp(key, "shape")) {
            expect(j, '[');
            shape.ndim = 0;
            while (!peek(j, ']')) {
                if (shape.ndim == T_MAX_DIMS) bad(j, "more than 8 dims");
                shape.d[shape.ndim++] = (int64_t)integer(j);
                if (peek(j, ',')) j->p++;
            }
            j->p++;
        } else if (!strcmp(key, "data_offsets")) {
            expect(j, '[');
            begin = integer(j);
            expect(j, ',');
            end = integer(j);
            expect(j, ']');
            have_offsets = true;
        } else {
            skip(j);
        }
        if (peek(j, ',')) j->p++;
    }
    j->p++;
    if (dt == T_NDTYPES || shape.ndim < 0 || !have_offsets)
        t_raise(T_ERR_IO, "t_load: %s: tensor \"%s\" lacks its dtype, shape or data_offsets", j->path, name);
    uint64_t bytes = (uint64_t)t_shape_numel("t_load", shape) * t_dtype_size(dt);
    if (end < begin || end - begin != bytes || end > data_len)
        t_raise(T_ERR_IO, "t_load: %s is truncated or corrupt: tensor \"%s\" (%s %s) needs bytes "
                "[%llu, %llu) of %llu", j->path, name, t_dtype_name(dt), t_shape_str(shape),
                (unsigned long long)begin, (unsigned long long)end, (unsigned long long)data_len);
    return t_tensor_shape(data + begin, dt, shape);
}

NamedTensors t_load(const char *path) {
    size_t len;
    unsigned char *buf = data_read_file("t_load", path, &len);
    if (len < 8) t_raise(T_ERR_IO, "t_load: %s is truncated: %zu bytes", path, len);
    uint64_t hlen = 0;
    for (int b = 0; b < 8; b++) hlen |= (uint64_t)buf[b] << (8 * b);
    if (hlen > MAX_HEADER_BYTES || hlen > len - 8)
        t_raise(T_ERR_IO, "t_load: %s is not a safetensors file, or is truncated (header of %llu "
                "bytes in a %zu-byte file)", path, (unsigned long long)hlen, len);
    Json j = {(const char *)buf + 8, (const char *)buf + 8 + hlen, path};
    const unsigned char *data = buf + 8 + hlen;
    uint64_t data_len = len - 8 - hlen;
    int cap = 16;
    NamedTensors out = {t_gc_alloc(sizeof(char *) * (size_t)cap), t_gc_alloc(sizeof(Tensor *) * (size_t)cap), 0};
    expect(&j, '{');
    while (!peek(&j, '}')) {
        char *name = string(&j);
        expect(&j, ':');
        if (!strcmp(name, "__metadata__")) {
            skip(&j);
        } else {
            if (out.n == cap) {
                const char **names = t_gc_alloc(sizeof(char *) * (size_t)cap * 2);
                Tensor **items = t_gc_alloc(sizeof(Tensor *) * (size_t)cap * 2);
                memcpy(names, out.names, sizeof(char *) * (size_t)cap);
                memcpy(items, out.items, sizeof(Tensor *) * (size_t)cap);
                out.names = names, out.items = items, cap *= 2;
            }
            out.items[out.n] = entry(&j, name, data, data_len);
            out.names[out.n++] = name;
        }
        if (peek(&j, ',')) j.p++;
    }
    return out;
}

Tensor *t_named_get(NamedTensors tensors, const char *name) {
    for (int i = 0; i < tensors.n; i++)
        if (!strcmp(tensors.names[i], name)) return tensors.items[i];
    return NULL;
}

/* ---- modules ---- */

/* m's parameters followed by its buffers. */
static NamedTensors state_dict(const Module *m) {
    NamedTensors p = nn_named_parameters(m), b = nn_named_buffers(m);
    NamedTensors all = {t_gc_alloc(sizeof(char *) * (size_t)(p.n + b.n + 1)),
                        t_gc_alloc(sizeof(Tensor *) * (size_t)(p.n + b.n + 1)), p.n + b.n};
    for (int i = 0; i < p.n; i++) all.names[i] = p.names[i], all.items[i] = p.items[i];
    for (int i = 0; i < b.n; i++) all.names[p.n + i] = b.names[i], all.items[p.n + i] = b.items[i];
    return all;
}

void nn_save_(const Module *m, const char *path) { t_save(path, state_dict(m)); }

void nn_load_(Module *m, const char *path) {
    NamedTensors want = state_dict(m), have = t_load(path);
    /* every check first, so a bad file changes nothing */
    for (int i = 0; i < want.n; i++) {
        Tensor *src = t_named_get(have, want.names[i]);
        if (!src) t_raise(T_ERR_IO, "nn_load: %s has no tensor \"%s\" (the module's state has %d "
                          "tensors, the file %d)", path, want.names[i], want.n, have.n);
        Shape ws = t_shape(want.items[i]), hs = t_shape(src);
        bool same = ws.ndim == hs.ndim;
        for (int d = 0; same && d < ws.ndim; d++) same = ws.d[d] == hs.d[d];
        if (!same)
            t_raise(T_ERR_SHAPE, "nn_load: size mismatch for %s: the file has shape %s, the module "
                    "%s", want.names[i], t_shape_str(hs), t_shape_str(ws));
    }
    for (int i = 0; i < have.n; i++)
        if (!t_named_get(want, have.names[i]))
            t_raise(T_ERR_IO, "nn_load: %s has a tensor \"%s\" that the module does not have", path,
                    have.names[i]);
    T_NO_GRAD {
        for (int i = 0; i < want.n; i++) {
            Tensor *src = t_named_get(have, want.names[i]);
            if (want.items[i]->device != T_CPU) src = t_to(src, want.items[i]->device);
            t_copy_(want.items[i], src);
        }
    }
}
