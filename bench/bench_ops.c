/*
 * bench_ops.c — times ctorch ops for bench/run.py, which compares them with PyTorch on the
 * same inputs, alternating timed batches of the two so that both see the same machine load.
 * The conversation on stdin/stdout, one line each:
 *
 *   run.py:    NAME OP WARMUP INNER NINPUTS  (PATH DTYPE NDIM D0 ... Dn-1) x NINPUTS
 *   bench_ops: {"name": "add_16M", "ready": true}      (inputs loaded, WARMUP calls made)
 *              or {"name": "add_16M", "error": "..."}  (the case raised; go on to the next)
 *   run.py:    run                                      (as often as it wants batches)
 *   bench_ops: {"seconds": 0.0123}                      (per call, over a batch of INNER calls,
 *                                                        after one untimed call)
 *   run.py:    next                                     (the case is over)
 *
 * Each input is read from a raw row-major file of its dtype and shape. A new benchmark is one
 * more entry in OPS below and one more case in bench/run.py.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctorch.h"

/* Most inputs one op takes. */
enum { MAX_INPUTS = 8 };
/* Longest case name, op name, dtype name and input path read from a case line. */
enum { NAME_MAX_LEN = 128, PATH_MAX_LEN = 4096 };

/* One benchmarked operation: what it computes from its inputs. */
typedef struct BenchOp {
    const char *name;
    int ninputs;
    Tensor *(*run)(Tensor **in);
} BenchOp;

/* The ops, each a line of ctorch as a notebook would write it. */
static Tensor *op_matmul(Tensor **in) { return t_matmul(in[0], in[1]); }
static Tensor *op_add(Tensor **in) { return t_add(in[0], in[1]); }
static Tensor *op_mul(Tensor **in) { return t_mul(in[0], in[1]); }
static Tensor *op_add_T(Tensor **in) { return t_add(t_T(in[0]), t_T(in[1])); }
static Tensor *op_mul_T(Tensor **in) { return t_mul(t_T(in[0]), t_T(in[1])); }
static Tensor *op_sum(Tensor **in) { return t_sum(in[0]); }
static Tensor *op_softmax_last(Tensor **in) { return t_softmax(in[0], -1); }

/* Forward and backward of a 3-layer MLP (784-256-128-10) on a batch: the weights are leaves,
   their gradients dropped before each pass (as PyTorch's set_to_none). */
static Tensor *op_mlp_fwd_bwd(Tensor **in) {
    Tensor *x = in[0];
    for (int i = 1; i <= 3; i++) {
        t_requires_grad_(in[i], true);
        t_zero_grad(in[i]);
    }
    Tensor *h = t_relu(t_matmul(x, t_T(in[1])));
    h = t_relu(t_matmul(h, t_T(in[2])));
    Tensor *loss = t_mean(t_log_softmax(t_matmul(h, t_T(in[3])), 1));
    t_backward(loss);
    return loss;
}

/* Class labels 0, 1, ..., 9, 0, 1, ... for a batch of n. */
static Tensor *cyclic_labels(int64_t n) {
    Tensor *y = t_empty_dt(T_I64, n);
    int64_t *p = t_data(y);
    for (int64_t i = 0; i < n; i++) p[i] = i % 10;
    return y;
}

/* The blitz's network (conv 1->6->16, linear 400->120->84->10 on 1x32x32 input). */
typedef struct {
    Module m;
    Module *conv1, *conv2, *fc1, *fc2, *fc3;
} BlitzNet;

static Tensor *blitz_forward(Module *self, Tensor *x) {
    BlitzNet *n = (BlitzNet *)self;
    x = t_max_pool2d(t_relu(nn_call(n->conv1, x)), 2);
    x = t_max_pool2d(t_relu(nn_call(n->conv2, x)), 2);
    x = t_flatten(x, 1);
    x = t_relu(nn_call(n->fc1, x));
    x = t_relu(nn_call(n->fc2, x));
    return nn_call(n->fc3, x);
}

/* One training step of the blitz network: forward, cross-entropy, backward, SGD step. */
static Tensor *op_blitz_step(Tensor **in) {
    static BlitzNet *net;
    static Optimizer *opt;
    if (!net) {
        net = NN_NEW(BlitzNet, blitz_forward);
        net->conv1 = nn_add(net, "conv1", nn_conv2d(1, 6, 5));
        net->conv2 = nn_add(net, "conv2", nn_conv2d(6, 16, 5));
        net->fc1 = nn_add(net, "fc1", nn_linear(400, 120));
        net->fc2 = nn_add(net, "fc2", nn_linear(120, 84));
        net->fc3 = nn_add(net, "fc3", nn_linear(84, 10));
        opt = optim_sgd(nn_parameters(net), .lr = 0.001, .momentum = 0.9);
    }
    opt_zero_grad(opt);
    Tensor *loss = nn_cross_entropy(nn_call(net, in[0]), cyclic_labels(t_size(in[0], 0)));
    t_backward(loss);
    opt_step(opt);
    return loss;
}

/* One epoch of an MLP (784-256-128-10, SGD with momentum, batch 64, shuffled) on
   Fashion-MNIST from Debian's dataset package; the data is loaded on the first call. */
static Tensor *op_fmnist_mlp_epoch(Tensor **in) {
    (void)in;
    static Dataset *train;
    static Module *mlp;
    static Optimizer *opt;
    if (!train) {
        train = data_fashion_mnist(.train = true);
        mlp = nn_sequential(nn_flatten(1, -1), nn_linear(784, 256), nn_relu(),
                            nn_linear(256, 128), nn_relu(), nn_linear(128, 10));
        opt = optim_sgd(nn_parameters(mlp), .lr = 0.01, .momentum = 0.9);
    }
    DataLoader *loader = data_loader(train, .batch_size = 64, .shuffle = true);
    Tensor *loss = NULL;
    for (Batch b; data_next(loader, &b);) {
        opt_zero_grad(opt);
        loss = nn_cross_entropy(nn_call(mlp, b.x), b.y);
        t_backward(loss);
        opt_step(opt);
    }
    return loss;
}

static const BenchOp OPS[] = {
    {"mlp_fwd_bwd", 4, op_mlp_fwd_bwd},
    {"blitz_step", 1, op_blitz_step},
    {"fmnist_mlp_epoch", 1, op_fmnist_mlp_epoch},
    {"matmul", 2, op_matmul},
    {"add", 2, op_add},
    {"mul", 2, op_mul},
    {"add_T", 2, op_add_T},
    {"mul_T", 2, op_mul_T},
    {"sum", 1, op_sum},
    {"softmax_last", 1, op_softmax_last},
};

/* The op called name, or NULL. */
static const BenchOp *find_op(const char *name) {
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (strcmp(OPS[i].name, name) == 0) return &OPS[i];
    return NULL;
}

/* The dtype called name ("float32", ...), as t_dtype_name spells it. */
static DType parse_dtype(const char *name) {
    for (int d = 0; d < T_NDTYPES; d++)
        if (strcmp(t_dtype_name((DType)d), name) == 0) return (DType)d;
    t_raise(T_ERR_VALUE, "bench_ops: unknown dtype \"%s\"", name);
    return T_F32;
}

/* Seconds on the monotonic clock. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads one input description from in and loads the tensor it names. */
static Tensor *read_input(FILE *in) {
    char path[PATH_MAX_LEN], dtype_name[NAME_MAX_LEN];
    Shape shape = {0, {0}};
    if (fscanf(in, "%4095s %127s %d", path, dtype_name, &shape.ndim) != 3 || shape.ndim < 0 ||
        shape.ndim > T_MAX_DIMS)
        t_raise(T_ERR_VALUE, "bench_ops: expected PATH DTYPE NDIM for an input");
    for (int i = 0; i < shape.ndim; i++)
        if (fscanf(in, "%" SCNd64, &shape.d[i]) != 1)
            t_raise(T_ERR_VALUE, "bench_ops: expected %d sizes for %s", shape.ndim, path);
    Tensor *x = t_empty_shape(shape, parse_dtype(dtype_name));
    size_t nbytes = (size_t)t_numel(x) * t_dtype_size(t_dtype(x));
    FILE *f = fopen(path, "rb");
    if (!f) t_raise(T_ERR_IO, "bench_ops: cannot open %s", path);
    size_t got = fread(t_data(x), 1, nbytes, f);
    fclose(f);
    if (got != nbytes)
        t_raise(T_ERR_IO, "bench_ops: %s holds %zu bytes, expected %zu", path, got, nbytes);
    return x;
}

/* Prints s as a JSON string. */
static void print_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') putchar('\\');
        if ((unsigned char)*s < ' ') putchar(' ');
        else putchar(*s);
    }
    putchar('"');
}

/* Times one batch of inner calls, after one untimed call (bench/run.py says why, under "the
   untimed first call"): seconds per call. */
static double time_batch(const BenchOp *op, Tensor **inputs, int inner) {
    op->run(inputs);
    double t0 = now();
    for (int i = 0; i < inner; i++) op->run(inputs);
    return (now() - t0) / inner;
}

/* Prints {"name": name, "error": message}. */
static void print_error(const char *name, const char *message) {
    printf("{\"name\": ");
    print_json_string(name);
    printf(", \"error\": ");
    print_json_string(message);
    printf("}\n");
}

/* Answers "run" with one timed batch until "next" or the end of input; false at the end. */
static bool serve_batches(const BenchOp *op, Tensor **inputs, int inner) {
    char cmd[NAME_MAX_LEN];
    while (fscanf(stdin, "%127s", cmd) == 1) {
        if (strcmp(cmd, "next") == 0) return true;
        if (strcmp(cmd, "run") != 0) {
            print_error(cmd, "bench_ops: expected \"run\" or \"next\"");
        } else {
            printf("{\"seconds\": %.9g}\n", time_batch(op, inputs, inner));
        }
        fflush(stdout);
    }
    return false;
}

/* Reads one case line, loads its inputs and warms up, then serves its timed batches; false
   at the end of input. */
static bool next_case(FILE *in) {
    char name[NAME_MAX_LEN], op_name[NAME_MAX_LEN];
    int warmup, inner, ninputs;
    int n = fscanf(in, "%127s %127s %d %d %d", name, op_name, &warmup, &inner, &ninputs);
    if (n == EOF) return false;
    const BenchOp *volatile op = NULL; /* volatile: read after a long jump */
    Tensor *inputs[MAX_INPUTS];
    volatile bool ready = false;
    T_TRY {
        if (n != 5) t_raise(T_ERR_VALUE, "bench_ops: expected NAME OP WARMUP INNER NINPUTS");
        op = find_op(op_name);
        if (!op) t_raise(T_ERR_VALUE, "bench_ops: unknown op \"%s\"", op_name);
        if (ninputs != op->ninputs)
            t_raise(T_ERR_VALUE, "bench_ops: %s takes %d inputs, the case gives %d", op_name,
                    op->ninputs, ninputs);
        if (inner < 1 || warmup < 0)
            t_raise(T_ERR_VALUE, "bench_ops: expected INNER >= 1 and WARMUP >= 0, got %d, %d",
                    inner, warmup);
        for (int i = 0; i < ninputs; i++) inputs[i] = read_input(in);
        for (int i = 0; i < warmup; i++) op->run(inputs);
        ready = true;
    } T_CATCH(err) {
        print_error(name, err->message);
    }
    int c; /* the rest of the case line: nothing, or what a failed parse left */
    while ((c = fgetc(in)) != EOF && c != '\n') {}
    if (ready) {
        printf("{\"name\": ");
        print_json_string(name);
        printf(", \"ready\": true}\n");
    }
    fflush(stdout);
    if (!ready) return true;
    volatile bool more = true;
    T_TRY {
        more = serve_batches(op, inputs, inner);
    } T_CATCH(err) {
        print_error(name, err->message);
        fflush(stdout);
    }
    return more;
}

int main(void) {
    while (next_case(stdin)) {}
    return 0;
}
