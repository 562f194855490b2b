/*
 * ctorch_data.h — datasets, transforms, data loaders and checkpoint files. Included by
 * ctorch.h (after ctorch_nn.h); do not include it on its own.
 *
 *   Dataset *train = data_fashion_mnist(.train = true);
 *   DataLoader *loader = data_loader(train, .batch_size = 64, .shuffle = true);
 *   for (Batch b; data_next(loader, &b);) { ... b.x [64, 1, 28, 28] float32, b.y [64] int64 ... }
 *
 *   nn_save(net, "net.safetensors");  nn_load(net, "net.safetensors");
 */
#ifndef CTORCH_DATA_H
#define CTORCH_DATA_H

/* ------------------------------------------------------------------------------------------ */
/* Datasets: a length and items (an input and a target).                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct Dataset Dataset;

/* How a dataset makes its own items, for datasets written in a cell: item i's input and
   target (any shapes, the same for every item; the loader stacks them). */
typedef void (*DatasetGet)(void *ctx, int64_t i, Tensor **x, Tensor **y);

/* A dataset of the rows of x and y (dim 0 is the item; y may be NULL), as TensorDataset. */
Dataset *data_tensor_dataset(Tensor *x, Tensor *y);
/* A dataset of n items made by get(ctx, i, &x, &y). */
Dataset *data_dataset(int64_t n, DatasetGet get, void *ctx);

/* Options of the built-in image datasets. */
typedef struct ImageDatasetArgs {
    const char *root; /* the folder of the files; NULL: the dataset's default */
    bool train;       /* the training split (the default) or the test split */
} ImageDatasetArgs;
/* Fashion-MNIST from its IDX files (gzipped or not), by default Debian's
   /usr/share/datasets/fashion-mnist (package dataset-fashion-mnist): inputs [1, 28, 28]
   float32 in [0, 1] (as torchvision's ToTensor), targets int64 class indices 0..9. */
Dataset *data_fashion_mnist_args(ImageDatasetArgs args);
#define data_fashion_mnist(...)                                                                 \
    data_fashion_mnist_args((ImageDatasetArgs){.train = true, __VA_ARGS__})
/* The same for any MNIST-format pair of IDX files (images, labels). */
Dataset *data_idx(const char *images_path, const char *labels_path);
/* CIFAR-10 from its binary version (data_batch_1.bin ... data_batch_5.bin, test_batch.bin in
   root): inputs [3, 32, 32] float32 in [0, 1], targets int64 0..9. */
Dataset *data_cifar10_args(ImageDatasetArgs args);
#define data_cifar10(...) data_cifar10_args((ImageDatasetArgs){.train = true, __VA_ARGS__})
/* One IDX file as a tensor (uint8, int32, float32 or float64 by its type code). */
Tensor *data_read_idx(const char *path);

/* Number of items. */
int64_t data_len(const Dataset *ds);
/* Item i (transforms applied): *x its input, *y its target (NULL if the dataset has none). */
void data_get(Dataset *ds, int64_t i, Tensor **x, Tensor **y);
/* The names of the classes (e.g. "T-shirt/top"), or NULL; *n receives how many. */
const char *const *data_classes(const Dataset *ds, int *n);

/* ------------------------------------------------------------------------------------------ */
/* Transforms: applied to the inputs of a dataset's items, in the order added, on whole       */
/* batches when a loader reads them. Random ones draw from the loader's seeded stream.         */
/* ------------------------------------------------------------------------------------------ */

typedef struct Transform {
    int kind;
    double p[4];
    double mean[4], std[4]; /* per channel (at most 4), for normalize */
} Transform;
/* (x - mean[c]) / std[c] for each channel c (dim 0 of an item); channels: 1 to 4. */
Transform data_normalize(int channels, const double *mean, const double *std);
/* A random size x size crop of the item padded with padding zeros on every side. */
Transform data_random_crop(int64_t size, int64_t padding);
/* The item mirrored left to right with probability p. */
Transform data_random_hflip(double p);
/* Adds a transform to ds's inputs and returns ds. */
Dataset *data_add_transform(Dataset *ds, Transform t);

/* ------------------------------------------------------------------------------------------ */
/* Loaders: batches of a dataset, shuffled each epoch, prepared in a background thread.        */
/* ------------------------------------------------------------------------------------------ */

typedef struct DataLoader DataLoader;

/* One batch: inputs stacked on a new dim 0, targets likewise; index is the batch's number in
   its epoch. */
typedef struct Batch {
    Tensor *x, *y;
    int64_t index;
} Batch;

/* Options of data_loader: PyTorch's DataLoader defaults (batch 1, no shuffle). */
typedef struct LoaderArgs {
    int64_t batch_size;
    bool shuffle;     /* a new order each epoch */
    bool drop_last;   /* skip a last batch smaller than batch_size */
    uint64_t seed;    /* the shuffle's and random transforms' seed; 0: from the global
                         generator (t_manual_seed), drawn when the loader is made */
    bool no_prefetch; /* prepare batches on the calling thread instead of a background one */
    bool progress;    /* show a progress bar over each epoch */
    const char *desc; /* the progress bar's label */
} LoaderArgs;
DataLoader *data_loader_args(Dataset *ds, LoaderArgs args);
#define data_loader(ds, ...) data_loader_args((ds), (LoaderArgs){.batch_size = 1, __VA_ARGS__})
/* The next batch of the epoch into *b: false (and b untouched) when the epoch is over, and the
   next call starts a new epoch. */
bool data_next(DataLoader *l, Batch *b);
/* Batches in one epoch. */
int64_t data_loader_len(const DataLoader *l);
/* Ends the current epoch early (and stops its loading thread): the next data_next starts a new
   one. Call it when leaving a loop over batches before the epoch's end. */
void data_loader_reset(DataLoader *l);

/* ------------------------------------------------------------------------------------------ */
/* Checkpoints: safetensors files (PyTorch's safetensors reads what ctorch writes and the     */
/* other way round) and NumPy's .npy. Files are written to a temporary name and renamed, so a */
/* crash never leaves half a file; loading checks everything before changing anything.        */
/* ------------------------------------------------------------------------------------------ */

/* Writes the named tensors to path (safetensors). */
void t_save(const char *path, NamedTensors tensors);
/* Every tensor in a safetensors file, by name. */
NamedTensors t_load(const char *path);
/* One tensor of a named list, or NULL. */
Tensor *t_named_get(NamedTensors tensors, const char *name);
/* m's parameters and buffers (its state dict) to path. */
void nn_save_(const Module *m, const char *path);
#define nn_save(m, path) nn_save_((const Module *)(m), (path))
/* Loads a state dict into m's parameters and buffers, in place. Every name must be present
   with the right shape (else IOError or ShapeError, and m is left as it was). */
void nn_load_(Module *m, const char *path);
#define nn_load(m, path) nn_load_((Module *)(m), (path))
/* A tensor to / from a NumPy .npy file (C order; the dtypes ctorch has). */
void t_save_npy(const char *path, Tensor *x);
Tensor *t_load_npy(const char *path);

#endif /* CTORCH_DATA_H */
