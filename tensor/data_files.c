/* data_files.c — reading dataset files: whole files (gunzipped), IDX (the MNIST format) and
   the CIFAR-10 binary batches, with a clear IOError for a missing, truncated or corrupt file. */
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "data_internal.h"

/* Bytes read from a file per gzread call. */
enum { READ_CHUNK = 1 << 20 };

unsigned char *data_read_file(const char *op, const char *path, size_t *len) {
    gzFile f = gzopen(path, "rb"); /* reads plain files as they are */
    if (!f) t_raise(T_ERR_IO, "%s: cannot open %s: %s", op, path, strerror(errno ? errno : ENOENT));
    size_t cap = READ_CHUNK, n = 0;
    unsigned char *buf = t_gc_alloc_atomic(cap);
    for (;;) {
        if (cap - n < READ_CHUNK) {
            unsigned char *bigger = t_gc_alloc_atomic(cap * 2);
            memcpy(bigger, buf, n);
            buf = bigger;
            cap *= 2;
        }
        int got = gzread(f, buf + n, READ_CHUNK);
        if (got < 0) {
            int code;
            const char *msg = gzerror(f, &code);
            gzclose(f);
            t_raise(T_ERR_IO, "%s: %s is corrupt or truncated: %s", op, path, msg);
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    /* a truncated gzip stream ends without error from gzread: gzclose reports it */
    int rc = gzclose(f);
    if (rc != Z_OK && rc != Z_BUF_ERROR)
        t_raise(T_ERR_IO, "%s: %s is corrupt (gzip error %d)", op, path, rc);
    if (rc == Z_BUF_ERROR) t_raise(T_ERR_IO, "%s: %s is truncated (the gzip stream ends early)", op, path);
    *len = n;
    return buf;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

Tensor *data_read_idx(const char *path) {
    size_t len;
    unsigned char *b = data_read_file("data_read_idx", path, &len);
    /* IDX header: two zero bytes, a type code, the number of dims, then each size (big-endian) */
    if (len < 4 || b[0] || b[1])
        t_raise(T_ERR_IO, "data_read_idx: %s is not an IDX file (bad magic number)", path);
    int type = b[2], ndim = b[3];
    DType dt;
    size_t esize;
    switch (type) {
    case 0x08: dt = T_U8, esize = 1; break;
    case 0x0C: dt = T_I32, esize = 4; break;
    case 0x0D: dt = T_F32, esize = 4; break;
    case 0x0E: dt = T_F64, esize = 8; break;
    default: t_raise(T_ERR_IO, "data_read_idx: %s has an unsupported element type 0x%02x", path, type);
             return NULL;
    }
    if (ndim < 1 || ndim > T_MAX_DIMS || len < 4 + 4 * (size_t)ndim)
        t_raise(T_ERR_IO, "data_read_idx: %s has a bad header (%d dims)", path, ndim);
    Shape s = {ndim, {0}};
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        s.d[d] = be32(b + 4 + 4 * d);
        count *= (size_t)s.d[d];
    }
    size_t need = 4 + 4 * (size_t)ndim + count * esize;
    if (len < need)
        t_raise(T_ERR_IO, "data_read_idx: %s is truncated: shape %s needs %zu bytes, the file "
                "has %zu", path, t_shape_str(s), need, len);
    Tensor *t = t_empty_shape(s, dt);
    const unsigned char *src = b + 4 + 4 * ndim;
    unsigned char *dst = t->storage->data;
    if (esize == 1) {
        memcpy(dst, src, count);
    } else { /* big-endian elements */
        for (size_t i = 0; i < count; i++)
            for (size_t k = 0; k < esize; k++) dst[i * esize + k] = src[i * esize + esize - 1 - k];
    }
    return t;
}

static const char *const fashion_classes[] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                              "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                                              "Ankle boot"};
static const char *const cifar_classes[] = {"airplane", "automobile", "bird", "cat", "deer",
                                            "dog", "frog", "horse", "ship", "truck"};
#define NCLASSES 10

Dataset *data_idx(const char *images_path, const char *labels_path) {
    Tensor *images = data_read_idx(images_path), *labels = data_read_idx(labels_path);
    if (images->dtype != T_U8 || images->ndim != 3)
        t_raise(T_ERR_IO, "data_idx: %s should hold uint8 images [N, H, W], got %s %s", images_path,
                t_dtype_name(images->dtype), t_shape_str(t_shape(images)));
    if (labels->ndim != 1 || labels->size[0] != images->size[0])
        t_raise(T_ERR_IO, "data_idx: %s has %lld labels for %lld images", labels_path,
                (long long)t_numel(labels), (long long)images->size[0]);
    Dataset *ds = data_tensor_dataset(t_unsqueeze(images, 1), t_to_dtype(labels, T_I64));
    ds->x_bytes = true;
    return ds;
}

/* The Debian package dataset-fashion-mnist installs the files here. */
#define FASHION_MNIST_DEFAULT_ROOT "/usr/share/datasets/fashion-mnist"

/* root/name, or root/name.gz when only that exists. */
static const char *find_file(const char *root, const char *name) {
    const char *plain = t_gc_sprintf("%s/%s", root, name), *gz = t_gc_sprintf("%s.gz", plain);
    FILE *f = fopen(plain, "rb");
    if (f) {
        fclose(f);
        return plain;
    }
    return gz;
}

Dataset *data_fashion_mnist_args(ImageDatasetArgs args) {
    const char *root = args.root ? args.root : FASHION_MNIST_DEFAULT_ROOT;
    const char *split = args.train ? "train" : "t10k";
    Dataset *ds = data_idx(find_file(root, t_gc_sprintf("%s-images-idx3-ubyte", split)),
                           find_file(root, t_gc_sprintf("%s-labels-idx1-ubyte", split)));
    ds->classes = fashion_classes;
    ds->nclasses = NCLASSES;
    return ds;
}

/* CIFAR-10 binary: each record is a label byte and 3 x 32 x 32 pixel bytes. */
enum { CIFAR_SIDE = 32, CIFAR_CHANNELS = 3, CIFAR_RECORD = 1 + CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE,
       CIFAR_TRAIN_FILES = 5 };

Dataset *data_cifar10_args(ImageDatasetArgs args) {
    if (!args.root) t_raise(T_ERR_VALUE, "data_cifar10: give .root, the folder of the binary batches");
    int nfiles = args.train ? CIFAR_TRAIN_FILES : 1;
    unsigned char *bufs[CIFAR_TRAIN_FILES];
    size_t lens[CIFAR_TRAIN_FILES], total = 0;
    for (int i = 0; i < nfiles; i++) {
        const char *name = args.train ? t_gc_sprintf("data_batch_%d.bin", i + 1) : "test_batch.bin";
        const char *path = find_file(args.root, name);
        bufs[i] = data_read_file("data_cifar10", path, &lens[i]);
        if (lens[i] == 0 || lens[i] % CIFAR_RECORD)
            t_raise(T_ERR_IO, "data_cifar10: %s is truncated or corrupt: %zu bytes is not a whole "
                    "number of %d-byte records", path, lens[i], CIFAR_RECORD);
        total += lens[i] / CIFAR_RECORD;
    }
    Tensor *x = t_empty_shape(T_SHAPE((int64_t)total, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE), T_U8);
    Tensor *y = t_empty_shape(T_SHAPE((int64_t)total), T_I64);
    unsigned char *px = x->storage->data;
    int64_t *py = y->storage->data, k = 0;
    for (int i = 0; i < nfiles; i++)
        for (size_t r = 0; r < lens[i] / CIFAR_RECORD; r++, k++) {
            const unsigned char *rec = bufs[i] + r * CIFAR_RECORD;
            if (rec[0] >= NCLASSES)
                t_raise(T_ERR_IO, "data_cifar10: record %zu of file %d has label %d (expected 0-9)",
                        r, i + 1, rec[0]);
            py[k] = rec[0];
            memcpy(px + (size_t)k * (CIFAR_RECORD - 1), rec + 1, CIFAR_RECORD - 1);
        }
    Dataset *ds = data_tensor_dataset(x, y);
    ds->x_bytes = true;
    ds->classes = cifar_classes;
    ds->nclasses = NCLASSES;
    return ds;
}
