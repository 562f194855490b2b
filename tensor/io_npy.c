/* io_npy.c — NumPy's .npy format (versions 1 and 2): a magic string, a header dict with
   descr, fortran_order and shape, then the elements in C order. */
#include <stdlib.h>
#include <string.h>

#include "ctorch.h"
#include "data_internal.h"
#include "io_file.h"

/* The .npy header is padded so that the data starts at a multiple of this. */
enum { NPY_ALIGN = 64, NPY_MAGIC_LEN = 6 };
static const char npy_magic[NPY_MAGIC_LEN] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static const char *const npy_descr[T_NDTYPES] = {
    [T_F32] = "<f4", [T_F64] = "<f8", [T_I64] = "<i8", [T_I32] = "<i4", [T_U8] = "|u1", [T_BOOL] = "|b1",
};

void t_save_npy(const char *path, Tensor *x) {
    t_check_alive("t_save_npy", x);
    Tensor *c = t_contiguous(t_to(t_detach(x), T_CPU));
    char shape[T_MAX_DIMS * 24 + 8];
    size_t n = 0;
    n += (size_t)snprintf(shape + n, sizeof shape - n, "(");
    for (int d = 0; d < c->ndim; d++)
        n += (size_t)snprintf(shape + n, sizeof shape - n, "%lld,%s", (long long)c->size[d],
                              d + 1 < c->ndim ? " " : "");
    snprintf(shape + n, sizeof shape - n, ")");
    char *dict = t_gc_sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                              npy_descr[c->dtype], shape);
    size_t dlen = strlen(dict), total = NPY_MAGIC_LEN + 2 + 2 + dlen + 1;
    size_t pad = (NPY_ALIGN - total % NPY_ALIGN) % NPY_ALIGN;
    size_t hlen = dlen + pad + 1;
    char *hdr = t_gc_alloc_atomic(NPY_MAGIC_LEN + 4 + hlen);
    memcpy(hdr, npy_magic, NPY_MAGIC_LEN);
    hdr[6] = 1, hdr[7] = 0; /* version 1.0 */
    hdr[8] = (char)(hlen & 0xff), hdr[9] = (char)(hlen >> 8);
    memcpy(hdr + 10, dict, dlen);
    memset(hdr + 10 + dlen, ' ', pad);
    hdr[10 + dlen + pad] = '\n';
    const void *parts[2] = {hdr, t_ptr(c)};
    size_t lens[2] = {NPY_MAGIC_LEN + 4 + hlen, (size_t)t_numel(c) * t_dtype_size(c->dtype)};
    io_write_atomic("t_save_npy", path, 2, parts, lens);
}

/* The value text after 'key': in a header dict, or NULL. */
static const char *dict_value(const char *dict, const char *key) {
    const char *k = strstr(dict, t_gc_sprintf("'%s':", key));
    if (!k) return NULL;
    k += strlen(key) + 3;
    while (*k == ' ') k++;
    return k;
}

Tensor *t_load_npy(const char *path) {
    size_t len;
    unsigned char *b = data_read_file("t_load_npy", path, &len);
    if (len < NPY_MAGIC_LEN + 4 || memcmp(b, npy_magic, NPY_MAGIC_LEN))
        t_raise(T_ERR_IO, "t_load_npy: %s is not a .npy file", path);
    int major = b[6];
    size_t hlen = 0, start = 0;
    if (major == 1) hlen = b[8] | (size_t)b[9] << 8, start = 10;
    else if (major == 2 || major == 3)
        hlen = b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24, start = 12;
    else t_raise(T_ERR_IO, "t_load_npy: %s has format version %d, which ctorch does not read", path, major);
    if (start + hlen > len) t_raise(T_ERR_IO, "t_load_npy: %s is truncated in its header", path);
    char *dict = t_gc_alloc_atomic(hlen + 1);
    memcpy(dict, b + start, hlen);
    dict[hlen] = '\0';
    const char *descr = dict_value(dict, "descr"), *order = dict_value(dict, "fortran_order"),
               *shape = dict_value(dict, "shape");
    if (!descr || !order || !shape) t_raise(T_ERR_IO, "t_load_npy: %s has a malformed header", path);
    DType dt = T_NDTYPES;
    for (int k = 0; k < T_NDTYPES; k++)
        if (!strncmp(descr + 1, npy_descr[k], 3)) dt = (DType)k;
    if (dt == T_NDTYPES)
        t_raise(T_ERR_IO, "t_load_npy: %s holds dtype %.6s, which ctorch does not have", path, descr);
    if (!strncmp(order, "True", 4))
        t_raise(T_ERR_IO, "t_load_npy: %s is in Fortran order; save it in C order", path);
    Shape s = {0, {0}};
    const char *p = shape + 1;
    while (*p && *p != ')') {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        if (s.ndim == T_MAX_DIMS) t_raise(T_ERR_IO, "t_load_npy: %s has more than %d dims", path, T_MAX_DIMS);
        char *e;
        long long v = strtoll(p, &e, 10);
        if (e == p || v < 0) t_raise(T_ERR_IO, "t_load_npy: %s has a malformed shape", path);
        s.d[s.ndim++] = v;
        p = e;
    }
    size_t bytes = (size_t)t_shape_numel("t_load_npy", s) * t_dtype_size(dt);
    if (start + hlen + bytes > len)
        t_raise(T_ERR_IO, "t_load_npy: %s is truncated: shape %s needs %zu bytes of data, the file "
                "has %zu", path, t_shape_str(s), bytes, len - start - hlen);
    return t_tensor_shape(b + start + hlen, dt, s);
}
