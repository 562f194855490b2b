/* data_loader.c — batches of a dataset, in a seeded order, prepared one ahead in a
   background thread (created through the collector, which must see its pointers). The thread
   lives for one epoch: it ends after the last batch, or when the epoch is reset. */
#include <pthread.h>
#include <string.h>

#include "ctorch.h"
#include "data_internal.h"

struct DataLoader {
    Dataset *ds;
    LoaderArgs args;
    uint64_t seed;
    int64_t epoch;       /* epochs started */
    int64_t *order;      /* this epoch's item order */
    int64_t nbatches;
    int64_t next;        /* the next batch to hand out; -1: no epoch running */
    Progress *bar;
    /* the background thread's single slot: batch `ready_index` is in ready_x/ready_y */
    pthread_t thread;
    bool thread_running, stop;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int64_t want;        /* the batch the thread should make next; -1: none */
    int64_t ready_index; /* -1: slot empty */
    Tensor *ready_x, *ready_y;
    TError error;        /* what the thread raised, handed to the consumer */
    bool failed;
};

int64_t data_loader_len(const DataLoader *l) { return l->nbatches; }

/* The batch count of an epoch of n items. */
static int64_t batch_count(int64_t n, LoaderArgs a) {
    return a.drop_last ? n / a.batch_size : (n + a.batch_size - 1) / a.batch_size;
}

static void *prefetch_main(void *arg);

/* Starts an epoch: a new order (shuffled with the epoch's own stream) and batch 0 next. */
static void start_epoch(DataLoader *l) {
    int64_t n = l->ds->n;
    l->order = t_gc_alloc_atomic(sizeof *l->order * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) l->order[i] = i;
    if (l->args.shuffle) {
        DataRng rng = {l->seed ^ (0x5851F42D4C957F2Dull * (uint64_t)(l->epoch + 1))};
        for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
            int64_t j = data_rng_below(&rng, i + 1), t = l->order[i];
            l->order[i] = l->order[j];
            l->order[j] = t;
        }
    }
    l->epoch++;
    l->next = 0;
    if (!l->args.no_prefetch && l->nbatches) {
        l->stop = false;
        l->want = 0;
        l->ready_index = -1;
        /* pthread_create is the collector's (GC_THREADS in internal.h): the thread's stack
           is scanned, so the batches it holds stay alive */
        if (pthread_create(&l->thread, NULL, prefetch_main, l) != 0)
            t_raise(T_ERR_RUNTIME, "data_loader: cannot start the loading thread");
        l->thread_running = true;
    }
    if (l->args.progress)
        l->bar = progress_new(l->nbatches, .desc = l->args.desc ? l->args.desc
                                                                 : t_gc_sprintf("epoch %lld", (long long)l->epoch));
}

/* Makes batch b of the current epoch. */
static void make(DataLoader *l, int64_t b, Tensor **x, Tensor **y) {
    int64_t first = b * l->args.batch_size, n = l->ds->n - first;
    if (n > l->args.batch_size) n = l->args.batch_size;
    DataRng rng = {l->seed ^ ((uint64_t)l->epoch << 32) ^ (uint64_t)b};
    data_make_batch(l->ds, l->order + first, n, &rng, x, y);
}

/* The background thread: makes each batch it is asked for, into the slot, until the epoch's
   last one or a stop. */
static void *prefetch_main(void *arg) {
    DataLoader *l = arg;
    pthread_mutex_lock(&l->lock);
    for (bool last = false; !last;) {
        while (!l->stop && l->want < 0) pthread_cond_wait(&l->changed, &l->lock);
        if (l->stop) break;
        int64_t b = l->want;
        l->want = -1;
        pthread_mutex_unlock(&l->lock);
        Tensor *x = NULL, *y = NULL;
        TError err;
        volatile bool failed = false;
        T_TRY { make(l, b, &x, &y); }
        T_CATCH(e) {
            err = *e;
            failed = true;
        }
        pthread_mutex_lock(&l->lock);
        l->ready_x = x, l->ready_y = y, l->ready_index = b;
        if (failed) l->error = err, l->failed = true;
        pthread_cond_broadcast(&l->changed);
        last = b == l->nbatches - 1;
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

/* Asks the thread for batch b (the slot must be empty). */
static void request(DataLoader *l, int64_t b) {
    pthread_mutex_lock(&l->lock);
    l->want = b;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->lock);
}

/* Waits for batch b from the thread; re-raises what the thread raised. */
static void collect(DataLoader *l, int64_t b, Tensor **x, Tensor **y) {
    pthread_mutex_lock(&l->lock);
    while (l->ready_index != b) pthread_cond_wait(&l->changed, &l->lock);
    *x = l->ready_x, *y = l->ready_y;
    l->ready_index = -1;
    l->ready_x = l->ready_y = NULL;
    bool failed = l->failed;
    TError err = l->error;
    l->failed = false;
    pthread_mutex_unlock(&l->lock);
    if (failed) t_raise_error(&err);
}

DataLoader *data_loader_args(Dataset *ds, LoaderArgs args) {
    if (!ds) t_raise(T_ERR_VALUE, "data_loader: dataset is NULL");
    if (args.batch_size <= 0)
        t_raise(T_ERR_VALUE, "data_loader: batch_size must be positive, got %lld", (long long)args.batch_size);
    DataLoader *l = t_gc_alloc(sizeof *l);
    l->ds = ds;
    l->args = args;
    if (args.seed) {
        l->seed = args.seed;
    } else {
        uint64_t key, offset;
        t_rng_reserve(1, &key, &offset);
        l->seed = key * 0x9E3779B97F4A7C15ull + offset + 1;
    }
    l->nbatches = batch_count(ds->n, args);
    l->next = -1;
    l->want = l->ready_index = -1;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->changed, NULL);
    return l;
}

/* Ends the epoch: stops and joins the thread, closes the bar. */
static void end_epoch(DataLoader *l) {
    if (l->thread_running) {
        pthread_mutex_lock(&l->lock);
        l->stop = true;
        pthread_cond_broadcast(&l->changed);
        pthread_mutex_unlock(&l->lock);
        pthread_join(l->thread, NULL);
        l->thread_running = false;
        l->want = l->ready_index = -1;
        l->ready_x = l->ready_y = NULL;
        l->failed = false;
    }
    if (l->bar) progress_close(l->bar);
    l->bar = NULL;
    l->next = -1;
}

void data_loader_reset(DataLoader *l) { end_epoch(l); }

bool data_next(DataLoader *l, Batch *b) {
    if (l->next < 0) start_epoch(l);
    if (l->next >= l->nbatches) {
        end_epoch(l);
        return false;
    }
    int64_t i = l->next++;
    Tensor *x, *y;
    if (l->thread_running) {
        collect(l, i, &x, &y);
        if (l->next < l->nbatches) request(l, l->next);
    } else {
        make(l, i, &x, &y);
    }
    b->x = x, b->y = y, b->index = i;
    if (l->bar) progress_update(l->bar, 1);
    return true;
}
