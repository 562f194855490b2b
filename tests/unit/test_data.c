/* test_data.c — datasets, transforms, loaders and checkpoint files, including every way a
   file can be bad. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

/* A fresh path under /tmp for this test process. */
static const char *tmp_path(const char *name) {
    static char buf[8][256];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 256, "/tmp/ctorch-test-%d-%s", (int)getpid(), name);
    return p;
}

/* Writes bytes to path. */
static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* A tiny IDX image file: 3 images of 2 x 2 (values 0..11), and its 3 labels. */
static void write_idx_pair(const char *images, const char *labels, size_t images_len) {
    unsigned char img[4 + 12 + 12] = {0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
    for (int i = 0; i < 12; i++) img[16 + i] = (unsigned char)(i * 20);
    unsigned char lab[8 + 3] = {0, 0, 0x08, 1, 0, 0, 0, 3, 7, 1, 4};
    write_bytes(images, img, images_len ? images_len : sizeof img);
    write_bytes(labels, lab, sizeof lab);
}

Test(data, idx_files_become_a_dataset_of_scaled_images) {
    const char *im = tmp_path("im.idx"), *lb = tmp_path("lb.idx");
    write_idx_pair(im, lb, 0);
    Dataset *ds = data_idx(im, lb);
    cr_assert_eq(data_len(ds), 3);
    Tensor *x, *y;
    data_get(ds, 1, &x, &y);
    T_ASSERT_SHAPE(x, 1, 2, 2);
    T_ASSERT_VALUES(x, 1e-6, 80 / 255.0, 100 / 255.0, 120 / 255.0, 140 / 255.0);
    cr_assert_eq(t_dtype(y), T_I64);
    cr_assert_eq(t_item(y), 1);
    unlink(im), unlink(lb);
}

Test(data, bad_idx_files_raise_io_errors) {
    const char *im = tmp_path("im.idx"), *lb = tmp_path("lb.idx");
    write_idx_pair(im, lb, 20); /* truncated inside the pixels */
    T_ASSERT_RAISES(T_ERR_IO, data_idx(im, lb), "truncated", im);
    write_bytes(im, "hello world", 11);
    T_ASSERT_RAISES(T_ERR_IO, data_read_idx(im), "not an IDX file");
    T_ASSERT_RAISES(T_ERR_IO, data_read_idx(tmp_path("missing.idx")), "cannot open");
    unlink(im), unlink(lb);
}

Test(data, truncated_gzip_raises) {
    const char *gz = tmp_path("x.gz");
    char cmd[600];
    /* the real Fashion-MNIST labels, cut short */
    snprintf(cmd, sizeof cmd, "head -c 2000 /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz > %s", gz);
    cr_assert_eq(system(cmd), 0);
    T_ASSERT_RAISES(T_ERR_IO, data_read_idx(gz), gz);
    unlink(gz);
}

Test(data, fashion_mnist_from_debian) {
    Dataset *test = data_fashion_mnist(.train = false);
    cr_assert_eq(data_len(test), 10000);
    Tensor *x, *y;
    data_get(test, 0, &x, &y);
    T_ASSERT_SHAPE(x, 1, 28, 28);
    cr_assert_eq(t_item(y), 9); /* the first test image is an ankle boot */
    int n;
    const char *const *classes = data_classes(test, &n);
    cr_assert_eq(n, 10);
    cr_assert_str_eq(classes[9], "Ankle boot");
    T_ASSERT_RAISES(T_ERR_IO, data_fashion_mnist(.root = "/nonexistent"), "/nonexistent");
}

Test(data, tensor_dataset_checks_lengths) {
    T_ASSERT_RAISES(T_ERR_SHAPE, data_tensor_dataset(t_zeros(3, 2), t_zeros(4)), "[3, 2]", "[4]");
    Dataset *ds = data_tensor_dataset(t_arange(0, 10, 1), NULL);
    T_ASSERT_RAISES(T_ERR_INDEX, data_get(ds, 10, &(Tensor *){0}, NULL), "10");
}

/* Sums of the batches' targets and the batch sizes, over one epoch. */
static int64_t epoch_sum(DataLoader *l, int64_t *batches, int64_t *last_size) {
    Batch b;
    int64_t sum = 0;
    *batches = 0;
    while (data_next(l, &b)) {
        sum += (int64_t)t_item(t_sum(b.y));
        *last_size = t_size(b.x, 0);
        (*batches)++;
    }
    return sum;
}

Test(data, loader_covers_every_item_once_per_epoch) {
    Tensor *y = t_arange_dt(T_I64, 0, 103, 1);
    Dataset *ds = data_tensor_dataset(t_unsqueeze(t_to_dtype(y, T_F32), 1), y);
    int64_t batches, last;
    DataLoader *l = data_loader(ds, .batch_size = 10, .shuffle = true, .seed = 3);
    cr_assert_eq(data_loader_len(l), 11);
    cr_assert_eq(epoch_sum(l, &batches, &last), 103 * 102 / 2);
    cr_assert_eq(batches, 11);
    cr_assert_eq(last, 3);
    cr_assert_eq(epoch_sum(l, &batches, &last), 103 * 102 / 2); /* a second epoch */
    DataLoader *d = data_loader(ds, .batch_size = 10, .drop_last = true, .no_prefetch = true);
    cr_assert_eq(data_loader_len(d), 10);
    epoch_sum(d, &batches, &last);
    cr_assert_eq(batches, 10);
    cr_assert_eq(last, 10);
}

/* The first batch's first target of a loader with the given seed. */
static double first_target(Dataset *ds, uint64_t seed, bool prefetch) {
    DataLoader *l = data_loader(ds, .batch_size = 4, .shuffle = true, .seed = seed,
                                .no_prefetch = !prefetch);
    Batch b;
    cr_assert(data_next(l, &b));
    double v = t_get(b.y, 0);
    data_loader_reset(l);
    return v;
}

Test(data, shuffling_is_seeded) {
    Tensor *y = t_arange_dt(T_I64, 0, 1000, 1);
    Dataset *ds = data_tensor_dataset(t_unsqueeze(t_to_dtype(y, T_F32), 1), y);
    cr_assert_eq(first_target(ds, 7, true), first_target(ds, 7, false));
    bool differs = false;
    for (uint64_t s = 8; s < 12; s++) differs |= first_target(ds, s, true) != first_target(ds, 7, true);
    cr_assert(differs);
    DataLoader *plain = data_loader(ds, .batch_size = 4);
    Batch b;
    data_next(plain, &b);
    T_ASSERT_VALUES(b.y, 0, 0, 1, 2, 3);
    data_loader_reset(plain);
}

/* A dataset written in C: item i is [i, i] with target i % 3; item 13 cannot be read. */
static void get_item(void *ctx, int64_t i, Tensor **x, Tensor **y) {
    (void)ctx;
    if (i == 13) t_raise(T_ERR_IO, "item %lld is unreadable", (long long)i);
    *x = t_full((double)i, 2);
    *y = t_scalar_dt(T_I64, (double)(i % 3));
}

Test(data, function_datasets_are_stacked_and_errors_reach_the_caller) {
    Dataset *ds = data_dataset(20, get_item, NULL);
    DataLoader *l = data_loader(ds, .batch_size = 5);
    Batch b;
    cr_assert(data_next(l, &b));
    T_ASSERT_SHAPE(b.x, 5, 2);
    T_ASSERT_VALUES(b.y, 0, 0, 1, 2, 0, 1);
    cr_assert(data_next(l, &b));
    /* the background thread raised while making the third batch (items 10-14) */
    T_ASSERT_RAISES(T_ERR_IO, data_next(l, &b), "item 13");
    data_loader_reset(l);
}

Test(data, transforms_apply_to_batches) {
    Tensor *x = t_reshape(t_arange(0, 2 * 16, 1), 2, 1, 4, 4);
    Dataset *ds = data_tensor_dataset(x, NULL);
    data_add_transform(ds, data_normalize(1, (double[]){1}, (double[]){2}));
    Tensor *item, *none;
    data_get(ds, 0, &item, &none);
    cr_assert_null(none);
    cr_assert_float_eq(t_get(item, 0, 0, 1), (1 - 1) / 2.0, 1e-6);
    cr_assert_float_eq(t_get(item, 0, 3, 3), (15 - 1) / 2.0, 1e-6);
    Dataset *crop = data_add_transform(data_tensor_dataset(x, NULL), data_random_crop(4, 2));
    data_get(crop, 1, &item, &none);
    T_ASSERT_SHAPE(item, 1, 4, 4);
    Dataset *flip = data_add_transform(data_tensor_dataset(x, NULL), data_random_hflip(1));
    data_get(flip, 0, &item, &none);
    T_ASSERT_VALUES(t_select(t_select(item, 0, 0), 0, 0), 0, 3, 2, 1, 0);
    T_ASSERT_RAISES(T_ERR_VALUE, data_random_hflip(2), "[0, 1]");
}

Test(checkpoints, safetensors_round_trip_keeps_names_dtypes_and_values) {
    const char *path = tmp_path("a.safetensors");
    NamedTensors nt = {(const char *[]){"w", "steps", "mask"},
                       (Tensor *[]){t_T(t_reshape(t_arange(0, 6, 1), 2, 3)), t_scalar_dt(T_I64, 42),
                                    t_gt_s(t_arange(0, 4, 1), 1)},
                       3};
    t_save(path, nt);
    NamedTensors back = t_load(path);
    cr_assert_eq(back.n, 3);
    Tensor *w = t_named_get(back, "w");
    T_ASSERT_SHAPE(w, 3, 2);
    T_ASSERT_VALUES(w, 0, 0, 3, 1, 4, 2, 5);
    cr_assert_eq(t_dtype(t_named_get(back, "steps")), T_I64);
    cr_assert_eq(t_item(t_named_get(back, "steps")), 42);
    T_ASSERT_VALUES(t_named_get(back, "mask"), 0, 0, 0, 1, 1);
    unlink(path);
}

Test(checkpoints, bad_safetensors_files_raise_io_errors) {
    const char *path = tmp_path("b.safetensors");
    NamedTensors nt = {(const char *[]){"w"}, (Tensor *[]){t_ones(100)}, 1};
    t_save(path, nt);
    cr_assert_eq(truncate(path, 300), 0);
    T_ASSERT_RAISES(T_ERR_IO, t_load(path), "truncated", "\"w\"");
    write_bytes(path, "\x10\0\0\0\0\0\0\0{\"w\": {\"dtype\"", 22);
    T_ASSERT_RAISES(T_ERR_IO, t_load(path), path);
    write_bytes(path, "\xff\xff\xff\xff\0\0\0\0{}", 10);
    T_ASSERT_RAISES(T_ERR_IO, t_load(path), "header");
    T_ASSERT_RAISES(T_ERR_IO, t_load(tmp_path("none.safetensors")), "cannot open");
    unlink(path);
}

Test(checkpoints, npy_round_trip) {
    const char *path = tmp_path("c.npy");
    t_save_npy(path, t_reshape(t_arange_dt(T_I32, 0, 6, 1), 3, 2));
    Tensor *back = t_load_npy(path);
    cr_assert_eq(t_dtype(back), T_I32);
    T_ASSERT_SHAPE(back, 3, 2);
    T_ASSERT_VALUES(back, 0, 0, 1, 2, 3, 4, 5);
    cr_assert_eq(truncate(path, 100), 0);
    T_ASSERT_RAISES(T_ERR_IO, t_load_npy(path), "truncated");
    unlink(path);
}

Test(data, cifar10_binary_records_and_their_errors) {
    enum { RECORD = 1 + 3 * 32 * 32 };
    char dir[256];
    snprintf(dir, sizeof dir, "/tmp/ctorch-test-%d-cifar", (int)getpid());
    cr_assert_eq(mkdir(dir, 0700), 0);
    static unsigned char recs[2 * RECORD];
    for (int r = 0; r < 2; r++) {
        recs[r * RECORD] = (unsigned char)(3 + r); /* labels 3 and 4 */
        for (int i = 1; i < RECORD; i++) recs[r * RECORD + i] = (unsigned char)(i % 256);
    }
    char path[300];
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    write_bytes(path, recs, sizeof recs);
    Dataset *ds = data_cifar10(.root = dir, .train = false);
    cr_assert_eq(data_len(ds), 2);
    Tensor *x, *y;
    data_get(ds, 1, &x, &y);
    T_ASSERT_SHAPE(x, 3, 32, 32);
    cr_assert_eq(t_item(y), 4);
    cr_assert_float_eq(t_get(x, 0, 0, 1), 2 / 255.0, 1e-6);
    write_bytes(path, recs, sizeof recs - 10);
    T_ASSERT_RAISES(T_ERR_IO, data_cifar10(.root = dir, .train = false), "truncated");
    recs[0] = 12;
    write_bytes(path, recs, sizeof recs);
    T_ASSERT_RAISES(T_ERR_IO, data_cifar10(.root = dir, .train = false), "label 12");
    T_ASSERT_RAISES(T_ERR_IO, data_cifar10(.root = dir), "data_batch_1.bin");
    unlink(path);
    rmdir(dir);
}
