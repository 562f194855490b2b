/* data_internal.h — what the dataset, loader and file readers share (internal). */
#ifndef CTORCH_DATA_INTERNAL_H
#define CTORCH_DATA_INTERNAL_H

#include "internal.h"

/* Most transforms one dataset holds. */
#define DATA_MAX_TRANSFORMS 8

enum TransformKind { TF_NORMALIZE = 1, TF_RANDOM_CROP, TF_RANDOM_HFLIP };

struct Dataset {
    int64_t n;
    Tensor *x, *y;        /* tensor-backed: items are rows (dim 0); NULL for get-backed */
    bool x_bytes;         /* x holds uint8 pixels, given out as float32 / 255 */
    DatasetGet get;       /* get-backed datasets */
    void *ctx;
    Transform transforms[DATA_MAX_TRANSFORMS];
    int ntransforms;
    const char *const *classes;
    int nclasses;
};

/* A splitmix64 stream: the seeded randomness of shuffles and random transforms, private to
   one loader so that a background thread never touches the global generator. */
typedef struct DataRng {
    uint64_t state;
} DataRng;
uint64_t data_rng_next(DataRng *r);
/* A uniform integer in [0, n). */
int64_t data_rng_below(DataRng *r, int64_t n);

/* The inputs and targets of the items at idx[0..n), stacked, transforms applied with
   randomness from rng. */
void data_make_batch(Dataset *ds, const int64_t *idx, int64_t n, DataRng *rng, Tensor **x,
                     Tensor **y);

/* The file at path read whole (gunzipped when it is gzip), or IOError naming op and path. */
unsigned char *data_read_file(const char *op, const char *path, size_t *len);

#endif
