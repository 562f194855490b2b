/*
 * ctorch_nn.h — neural networks: layers as tensor ops, modules, losses, initialisation and
 * optimizers. Included by ctorch.h; do not include it on its own.
 *
 * Names, one scheme throughout:
 *   t_conv2d(x, w, b), t_max_pool2d(x, 2), t_linear(x, w, b), ...   layers as tensor ops
 *                                                                   (PyTorch's torch.nn.functional)
 *   nn_conv2d(1, 6, 5), nn_linear(400, 120), nn_relu(), ...          modules holding parameters
 *   nn_cross_entropy(logits, y), nn_mse_loss(x, y), ...              losses (tensor ops too)
 *   nn_init_kaiming_uniform_(w, .a = sqrt(5)), ...                   in-place initialisers
 *   optim_sgd(params, .lr = 0.01), opt_step(o), optim_step_lr(o, 30) optimizers and schedules
 *
 * Options are designated initializers after the required arguments; an omitted option takes
 * PyTorch's default: nn_conv2d(1, 6, 5, .stride = 1, .padding = 2), nn_linear(120, 84,
 * .bias = false), nn_cross_entropy(logits, y, .label_smoothing = 0.1).
 */
#ifndef CTORCH_NN_H
#define CTORCH_NN_H

/* The options macros give PyTorch's defaults first and the caller's options after them, which
   GCC and Clang would otherwise report as overridden initializers. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#elif defined(__GNUC__) && !defined(__TINYC__)
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

/* ------------------------------------------------------------------------------------------ */
/* Layers as tensor ops. All are differentiable; inputs are float32 or float64.                */
/* ------------------------------------------------------------------------------------------ */

/* x @ weight^T + bias (torch.nn.functional.linear): x is [..., in], weight [out, in], bias
   [out] or NULL. */
Tensor *t_linear(Tensor *x, Tensor *weight, Tensor *bias);

/* Options of t_conv2d (each applies to both spatial dims). */
typedef struct Conv2dArgs {
    int64_t stride, padding, dilation, groups;
} Conv2dArgs;
/* 2-d convolution (cross-correlation, as PyTorch): x [N, C, H, W], weight
   [out, C / groups, kh, kw], bias [out] or NULL; the result is [N, out, oh, ow] with
   oh = (H + 2 padding - dilation (kh - 1) - 1) / stride + 1. Computed as im2col + one matrix
   product per image; the gradient's grad_fn is ConvolutionBackward0. */
Tensor *t_conv2d_args(Tensor *x, Tensor *weight, Tensor *bias, Conv2dArgs args);
/* t_conv2d(x, w, b, .stride = 2, .padding = 1): defaults stride 1, padding 0, dilation 1,
   groups 1. */
#define t_conv2d(x, weight, bias, ...)                                                          \
    t_conv2d_args((x), (weight), (bias),                                                        \
                  (Conv2dArgs){.stride = 1, .padding = 0, .dilation = 1, .groups = 1,           \
                               __VA_ARGS__})

/* Options of the 2-d pooling ops (each applies to both spatial dims; windows are square).
   stride 0 means "the kernel size" (PyTorch's stride=None); dilation is max pooling's only
   (average pooling raises ValueError for dilation != 1). */
typedef struct Pool2dArgs {
    int64_t stride, padding, dilation;
    bool ceil_mode;          /* round the output size up instead of down */
    bool count_include_pad;  /* avg pooling: divide by the whole window, padding included */
} Pool2dArgs;
/* Max over kernel_size x kernel_size windows of x ([N, C, H, W] or [C, H, W]); padding
   (at most half the kernel) never wins. grad_fn: MaxPool2DWithIndicesBackward0. */
Tensor *t_max_pool2d_args(Tensor *x, int64_t kernel_size, Pool2dArgs args);
/* Like t_max_pool2d_args; *indices (when not NULL) receives each maximum's position y*W + x
   in its input plane (int64), as PyTorch's return_indices=True. */
Tensor *t_max_pool2d_with_indices(Tensor *x, int64_t kernel_size, Pool2dArgs args,
                                  Tensor **indices);
/* Mean over the windows; count_include_pad (the default) divides by the whole window. */
Tensor *t_avg_pool2d_args(Tensor *x, int64_t kernel_size, Pool2dArgs args);
/* t_max_pool2d(x, 2), t_avg_pool2d(x, 3, .stride = 1, .padding = 1). */
#define t_max_pool2d(x, kernel_size, ...)                                                       \
    t_max_pool2d_args((x), (kernel_size),                                                       \
                      (Pool2dArgs){.dilation = 1, .count_include_pad = true, __VA_ARGS__})
#define t_avg_pool2d(x, kernel_size, ...)                                                       \
    t_avg_pool2d_args((x), (kernel_size),                                                       \
                      (Pool2dArgs){.dilation = 1, .count_include_pad = true, __VA_ARGS__})
/* Mean over the windows that split x's H x W into out_h x out_w (PyTorch's bins: rows
   floor(i H / out_h) to ceil((i + 1) H / out_h)). */
Tensor *t_adaptive_avg_pool2d(Tensor *x, int64_t out_h, int64_t out_w);

/* max(x, 0) + negative_slope min(x, 0). */
Tensor *t_leaky_relu(Tensor *x, double negative_slope);
/* x Phi(x), Phi the standard normal CDF (PyTorch's exact GELU); grad_fn GeluBackward0. */
Tensor *t_gelu(Tensor *x);
/* The tanh approximation of GELU (PyTorch's approximate='tanh'). */
Tensor *t_gelu_tanh(Tensor *x);
/* In training, each element zeroed with probability p and the rest scaled by 1 / (1 - p)
   (from the global generator, see t_manual_seed); otherwise x itself. */
Tensor *t_dropout(Tensor *x, double p, bool training);

/* Options of t_batch_norm. */
typedef struct BatchNormArgs {
    Tensor *running_mean, *running_var; /* [C] or NULL (then batch statistics always) */
    Tensor *weight, *bias;              /* [C] or NULL */
    bool training;   /* normalise by the batch's statistics and update the running ones */
    double momentum; /* running = (1 - momentum) running + momentum batch */
    double eps;
} BatchNormArgs;
/* Batch normalisation over dim 1 of x ([N, C], [N, C, L] or [N, C, H, W]). In training the
   running statistics (when given) are updated in place with the unbiased batch variance. */
Tensor *t_batch_norm_args(Tensor *x, BatchNormArgs args);
/* t_batch_norm(x, .running_mean = m, .running_var = v, .training = true): defaults
   momentum 0.1, eps 1e-5. */
#define t_batch_norm(x, ...)                                                                    \
    t_batch_norm_args((x), (BatchNormArgs){.momentum = 0.1, .eps = 1e-5, __VA_ARGS__})
/* Layer normalisation over the last normalized_dims dims of x, then weight and bias (of those
   dims' shape, or NULL). */
Tensor *t_layer_norm(Tensor *x, int normalized_dims, Tensor *weight, Tensor *bias, double eps);
/* Rows of weight ([num, dim]) picked by indices (int64, any shape): [..., dim]. */
Tensor *t_embedding(Tensor *indices, Tensor *weight);

/* ------------------------------------------------------------------------------------------ */
/* Losses. input and target as PyTorch's; reduction mean (the default), sum or none.          */
/* ------------------------------------------------------------------------------------------ */

typedef enum LossReduction { T_REDUCE_MEAN, T_REDUCE_SUM, T_REDUCE_NONE } LossReduction;

/* Options of every loss; each loss reads the ones it has in PyTorch. */
typedef struct LossArgs {
    LossReduction reduction;
    Tensor *weight;          /* cross entropy, NLL: per-class weights [C]; BCE: per element */
    int64_t ignore_index;    /* cross entropy, NLL: targets to skip (default -100) */
    double label_smoothing;  /* cross entropy: in [0, 1] */
    Tensor *pos_weight;      /* BCE with logits: weight of positive examples, per class */
} LossArgs;
#define NN_LOSS_ARGS_(...) ((LossArgs){.ignore_index = -100, __VA_ARGS__})

/* Cross entropy of logits [N, C] (or [C], or [N, C, d...]) against class indices (int64,
   [N] or [N, d...]) or class probabilities (input's shape, floating). Stable (log-softmax
   based). nn_cross_entropy(logits, y, .reduction = T_REDUCE_SUM, .label_smoothing = 0.1). */
Tensor *nn_cross_entropy_args(Tensor *input, Tensor *target, LossArgs args);
#define nn_cross_entropy(input, target, ...)                                                    \
    nn_cross_entropy_args((input), (target), NN_LOSS_ARGS_(__VA_ARGS__))
/* Negative log likelihood of log-probabilities [N, C] (or [C], [N, C, d...]) at class indices;
   grad_fn NllLossBackward0. */
Tensor *nn_nll_loss_args(Tensor *input, Tensor *target, LossArgs args);
#define nn_nll_loss(input, target, ...)                                                         \
    nn_nll_loss_args((input), (target), NN_LOSS_ARGS_(__VA_ARGS__))
/* Mean squared error; inputs broadcast as PyTorch's. */
Tensor *nn_mse_loss_args(Tensor *input, Tensor *target, LossArgs args);
#define nn_mse_loss(input, target, ...)                                                         \
    nn_mse_loss_args((input), (target), NN_LOSS_ARGS_(__VA_ARGS__))
/* Mean absolute error. */
Tensor *nn_l1_loss_args(Tensor *input, Tensor *target, LossArgs args);
#define nn_l1_loss(input, target, ...)                                                          \
    nn_l1_loss_args((input), (target), NN_LOSS_ARGS_(__VA_ARGS__))
/* Binary cross entropy of probabilities in [0, 1] (logs clamped at -100, as PyTorch). */
Tensor *nn_bce_loss_args(Tensor *input, Tensor *target, LossArgs args);
#define nn_bce_loss(input, target, ...)                                                         \
    nn_bce_loss_args((input), (target), NN_LOSS_ARGS_(__VA_ARGS__))
/* Binary cross entropy of logits, computed stably (sigmoid folded in). */
Tensor *nn_bce_with_logits_args(Tensor *input, Tensor *target, LossArgs args);
#define nn_bce_with_logits(input, target, ...)                                                  \
    nn_bce_with_logits_args((input), (target), NN_LOSS_ARGS_(__VA_ARGS__))

/* ------------------------------------------------------------------------------------------ */
/* Initialisation: in place, without recording, returning the tensor (torch.nn.init).         */
/* ------------------------------------------------------------------------------------------ */

/* PyTorch's fan_in and fan_out: dim 1 and dim 0 sizes times the receptive field (the product
   of dims 2...). Raises ValueError for fewer than 2 dims. */
int64_t nn_init_fan_in(const Tensor *w);
int64_t nn_init_fan_out(const Tensor *w);
/* The gain PyTorch recommends for a nonlinearity ("linear", "conv2d", "sigmoid", "tanh",
   "relu", "leaky_relu" with param as the slope, "selu"). */
double nn_init_calculate_gain(const char *nonlinearity, double param);

Tensor *nn_init_uniform_(Tensor *w, double a, double b);
Tensor *nn_init_normal_(Tensor *w, double mean, double std);
Tensor *nn_init_constant_(Tensor *w, double value);
Tensor *nn_init_zeros_(Tensor *w);
Tensor *nn_init_ones_(Tensor *w);

/* Options of the Kaiming initialisers: a is the leaky slope, mode "fan_in" (default) or
   "fan_out", nonlinearity "leaky_relu" (default) or another nn_init_calculate_gain name. */
typedef struct KaimingArgs {
    double a;
    const char *mode;
    const char *nonlinearity;
} KaimingArgs;
Tensor *nn_init_kaiming_uniform_args(Tensor *w, KaimingArgs args);
Tensor *nn_init_kaiming_normal_args(Tensor *w, KaimingArgs args);
/* nn_init_kaiming_uniform_(w, .a = sqrt(5)): what nn_linear and nn_conv2d use. */
#define nn_init_kaiming_uniform_(w, ...)                                                        \
    nn_init_kaiming_uniform_args((w), (KaimingArgs){.mode = "fan_in",                           \
                                                    .nonlinearity = "leaky_relu", __VA_ARGS__})
#define nn_init_kaiming_normal_(w, ...)                                                         \
    nn_init_kaiming_normal_args((w), (KaimingArgs){.mode = "fan_in",                            \
                                                   .nonlinearity = "leaky_relu", __VA_ARGS__})
/* Glorot initialisation with the given gain (1 in PyTorch's default). */
Tensor *nn_init_xavier_uniform_(Tensor *w, double gain);
Tensor *nn_init_xavier_normal_(Tensor *w, double gain);

/* ------------------------------------------------------------------------------------------ */
/* Modules: named parameters, buffers and children, and a forward function.                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct Module Module;
/* What a module computes: self is the module (cast it to your struct), x its input. */
typedef Tensor *(*ModuleForward)(Module *self, Tensor *x);
/* The text inside a module's parentheses in its tree, e.g. "1, 6, kernel_size=(5, 5)". */
typedef const char *(*ModuleExtraRepr)(const Module *self);
typedef struct ModuleState ModuleState;

/* The first member of every module struct. Fields are for ctorch; use the functions. */
struct Module {
    const char *type_name;       /* shown in the tree: "Net", "Conv2d" */
    ModuleForward forward;
    ModuleExtraRepr extra_repr;  /* may be NULL */
    ModuleState *state;          /* parameters, buffers, children, training flag */
};

/* A new zeroed module struct of size bytes (collected memory, scanned, so it may hold
   tensors and modules), its Module set up. NN_NEW is the way to call it. */
Module *nn_new_(size_t size, const char *type_name, ModuleForward forward);
/* Net *net = NN_NEW(Net, net_forward): a Net whose first member is a Module; the tree shows
   "Net". forward may be NULL for a container that is never called. */
#define NN_NEW(Type, forward) ((Type *)nn_new_(sizeof(Type), #Type, (forward)))

/* Registers child under name in parent (any struct whose first member is a Module) and
   returns child: net->conv1 = nn_add(net, "conv1", nn_conv2d(1, 6, 5)). Reusing a name
   replaces the earlier child. */
Module *nn_add_(Module *parent, const char *name, Module *child);
#define nn_add(parent, name, child) nn_add_((Module *)(parent), (name), (Module *)(child))
/* Registers t as a parameter (it becomes a leaf that requires grad) and returns it. */
Tensor *nn_add_param_(Module *m, const char *name, Tensor *t);
#define nn_add_param(m, name, t) nn_add_param_((Module *)(m), (name), (t))
/* Registers t as a buffer (state that is not trained: running statistics) and returns it. */
Tensor *nn_add_buffer_(Module *m, const char *name, Tensor *t);
#define nn_add_buffer(m, name, t) nn_add_buffer_((Module *)(m), (name), (t))

/* Runs m's forward on x: nn_call(net, x). Raises RuntimeError for a module without one. */
Tensor *nn_call_(Module *m, Tensor *x);
#define nn_call(m, x) nn_call_((Module *)(m), (x))

/* Names and tensors, as nn_named_parameters returns them ("conv1.weight", ...). */
typedef struct NamedTensors {
    const char **names;
    Tensor **items;
    int n;
} NamedTensors;
/* Every parameter of m and its descendants, each once, in registration order (PyTorch's). */
TensorList nn_parameters_(const Module *m);
#define nn_parameters(m) nn_parameters_((const Module *)(m))
NamedTensors nn_named_parameters_(const Module *m);
#define nn_named_parameters(m) nn_named_parameters_((const Module *)(m))
NamedTensors nn_named_buffers_(const Module *m);
#define nn_named_buffers(m) nn_named_buffers_((const Module *)(m))
/* Number of parameter elements (sum of numel), trainable or not. */
int64_t nn_num_parameters_(const Module *m);
#define nn_num_parameters(m) nn_num_parameters_((const Module *)(m))
/* m's own parameter, buffer or child called name (a dotted path reaches descendants:
   "conv1.weight"), or NULL. */
Tensor *nn_param_(const Module *m, const char *name);
#define nn_param(m, name) nn_param_((const Module *)(m), (name))
Tensor *nn_buffer_(const Module *m, const char *name);
#define nn_buffer(m, name) nn_buffer_((const Module *)(m), (name))
Module *nn_child_(const Module *m, const char *name);
#define nn_child(m, name) nn_child_((const Module *)(m), (name))
/* How many children m has, and the i-th (Sequential's layers are children "0", "1", ...). */
int nn_num_children_(const Module *m);
#define nn_num_children(m) nn_num_children_((const Module *)(m))
Module *nn_child_at_(const Module *m, int i);
#define nn_child_at(m, i) nn_child_at_((const Module *)(m), (i))

/* Training mode (the default) or evaluation mode, for m and every descendant (dropout and
   batch norm behave differently); returns m. */
Module *nn_train_(Module *m, bool training);
#define nn_train(m) nn_train_((Module *)(m), true)
#define nn_eval(m) nn_train_((Module *)(m), false)
bool nn_is_training_(const Module *m);
#define nn_is_training(m) nn_is_training_((const Module *)(m))
/* Forgets the gradients of every parameter (PyTorch's set_to_none). */
void nn_zero_grad_(Module *m);
#define nn_zero_grad(m) nn_zero_grad_((Module *)(m))
/* Moves every parameter and buffer (and their gradients) to device in place: the same
   Tensor pointers, so optimizers made before keep working; returns m. */
Module *nn_to_(Module *m, Device device);
#define nn_to(m, device) nn_to_((Module *)(m), (device))

/* The module tree as PyTorch prints it: "Net(\n  (conv1): Conv2d(1, 6, kernel_size=(5, 5),
   stride=(1, 1))\n  ...\n)". Collected memory. */
const char *nn_str_(const Module *m);
#define nn_str(m) nn_str_((const Module *)(m))
/* Prints nn_str(m) and a newline to stdout. */
void nn_print_(const Module *m);
#define nn_print(m) nn_print_((const Module *)(m))
/* m's display bundle (text/plain: the tree), for display(). */
MimeBundle *t_bundle_module(const Module *m);
/* True when p points to a module made by NN_NEW or a layer constructor (any struct type:
   a display path that only sees a pointer can show a Net * as its tree). */
bool nn_is_module(const void *p);

/* ------------------------------------------------------------------------------------------ */
/* Layers as modules. Weights are initialised as PyTorch's (kaiming_uniform_ with a = sqrt(5), */
/* bias uniform in +-1/sqrt(fan_in)); parameters are named as PyTorch's ("weight", "bias").   */
/* ------------------------------------------------------------------------------------------ */

typedef struct LinearOpts {
    bool bias;
} LinearOpts;
/* y = x W^T + b with W [out, in]: nn_linear(400, 120), nn_linear(120, 84, .bias = false). */
Module *nn_linear_opts(int64_t in_features, int64_t out_features, LinearOpts o);
#define nn_linear(in, out, ...) nn_linear_opts((in), (out), (LinearOpts){.bias = true, __VA_ARGS__})

typedef struct Conv2dOpts {
    int64_t stride, padding, dilation, groups;
    bool bias;
} Conv2dOpts;
/* Conv2d with a square kernel_size x kernel_size weight [out, in / groups, k, k]:
   nn_conv2d(1, 6, 5), nn_conv2d(3, 16, 3, .stride = 2, .padding = 1, .bias = false).
   Defaults stride 1, padding 0, dilation 1, groups 1, bias true. */
Module *nn_conv2d_opts(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                       Conv2dOpts o);
#define nn_conv2d(in, out, k, ...)                                                              \
    nn_conv2d_opts((in), (out), (k), (Conv2dOpts){.stride = 1, .dilation = 1, .groups = 1,     \
                                                  .bias = true, __VA_ARGS__})

/* MaxPool2d and AvgPool2d modules: nn_max_pool2d(2), nn_avg_pool2d(3, .stride = 2,
   .padding = 1) (Pool2dArgs). AdaptiveAvgPool2d to out_h x out_w. */
Module *nn_max_pool2d_opts(int64_t kernel_size, Pool2dArgs o);
#define nn_max_pool2d(k, ...)                                                                   \
    nn_max_pool2d_opts((k), (Pool2dArgs){.dilation = 1, .count_include_pad = true, __VA_ARGS__})
Module *nn_avg_pool2d_opts(int64_t kernel_size, Pool2dArgs o);
#define nn_avg_pool2d(k, ...)                                                                   \
    nn_avg_pool2d_opts((k), (Pool2dArgs){.dilation = 1, .count_include_pad = true, __VA_ARGS__})
Module *nn_adaptive_avg_pool2d(int64_t out_h, int64_t out_w);

/* Activation modules: ReLU, Sigmoid, Tanh, GELU (exact). */
Module *nn_relu(void);
Module *nn_sigmoid(void);
Module *nn_tanh(void);
Module *nn_gelu(void);
/* LeakyReLU(negative_slope): nn_leaky_relu(0.01) is PyTorch's default. */
Module *nn_leaky_relu(double negative_slope);
/* Softmax over dim. */
Module *nn_softmax(int dim);
/* Dropout with probability p (0.5 is PyTorch's default); inactive in eval mode. */
Module *nn_dropout(double p);
/* Flatten dims start_dim..end_dim: nn_flatten(1, -1) is PyTorch's default. */
Module *nn_flatten(int start_dim, int end_dim);

typedef struct BatchNormOpts {
    double eps, momentum;
    bool affine, track_running_stats;
} BatchNormOpts;
/* BatchNorm1d ([N, C] or [N, C, L]) and BatchNorm2d ([N, C, H, W]) over num_features
   channels: weight, bias, running_mean, running_var, num_batches_tracked as PyTorch. */
Module *nn_batch_norm1d_opts(int64_t num_features, BatchNormOpts o);
Module *nn_batch_norm2d_opts(int64_t num_features, BatchNormOpts o);
#define NN_BN_OPTS_(...)                                                                        \
    ((BatchNormOpts){.eps = 1e-5, .momentum = 0.1, .affine = true,                              \
                     .track_running_stats = true, __VA_ARGS__})
#define nn_batch_norm1d(n, ...) nn_batch_norm1d_opts((n), NN_BN_OPTS_(__VA_ARGS__))
#define nn_batch_norm2d(n, ...) nn_batch_norm2d_opts((n), NN_BN_OPTS_(__VA_ARGS__))

typedef struct LayerNormOpts {
    double eps;
    bool elementwise_affine;
} LayerNormOpts;
/* LayerNorm over the last dim of size normalized_size. */
Module *nn_layer_norm_opts(int64_t normalized_size, LayerNormOpts o);
#define nn_layer_norm(n, ...)                                                                   \
    nn_layer_norm_opts((n), (LayerNormOpts){.eps = 1e-5, .elementwise_affine = true, __VA_ARGS__})

/* A lookup table of num_embeddings rows of embedding_dim, initialised N(0, 1). */
Module *nn_embedding(int64_t num_embeddings, int64_t embedding_dim);

/* The given modules applied in order: nn_sequential(nn_linear(4, 8), nn_relu(), ...). */
Module *nn_sequential_(Module *const *layers, int n);
#define nn_sequential(...)                                                                      \
    nn_sequential_((Module *const[]){__VA_ARGS__},                                              \
                   (int)(sizeof((Module *[]){__VA_ARGS__}) / sizeof(Module *)))
/* Appends a layer to a Sequential (named by its position); returns the Sequential. */
Module *nn_sequential_append(Module *seq, Module *layer);

/* ------------------------------------------------------------------------------------------ */
/* Optimizers: each step updates the parameters in place without recording (T_NO_GRAD).      */
/* ------------------------------------------------------------------------------------------ */

typedef struct Optimizer Optimizer;

/* SGD with PyTorch's update rule. lr defaults to 1e-3; the rest to 0 / false. */
typedef struct SGDOpts {
    double lr, momentum, dampening, weight_decay;
    bool nesterov, maximize;
} SGDOpts;
Optimizer *optim_sgd_opts(TensorList params, SGDOpts o);
/* optim_sgd(nn_parameters(net), .lr = 0.001, .momentum = 0.9). */
#define optim_sgd(params, ...) optim_sgd_opts((params), (SGDOpts){.lr = 1e-3, __VA_ARGS__})

/* Adam and AdamW with PyTorch's update rules and defaults: lr 1e-3, betas (0.9, 0.999),
   eps 1e-8, weight_decay 0 (Adam, L2 added to the gradient) or 1e-2 (AdamW, decoupled). */
typedef struct AdamOpts {
    double lr, beta1, beta2, eps, weight_decay;
    bool amsgrad, maximize;
} AdamOpts;
Optimizer *optim_adam_opts(TensorList params, AdamOpts o);
Optimizer *optim_adamw_opts(TensorList params, AdamOpts o);
#define optim_adam(params, ...)                                                                 \
    optim_adam_opts((params), (AdamOpts){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, \
                                         __VA_ARGS__})
#define optim_adamw(params, ...)                                                                \
    optim_adamw_opts((params), (AdamOpts){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,             \
                                          .eps = 1e-8, .weight_decay = 1e-2, __VA_ARGS__})

/* One update of every parameter that has a gradient (parameters without one are skipped). */
void opt_step(Optimizer *o);
/* Forgets every parameter's gradient (PyTorch's zero_grad(set_to_none=True)). */
void opt_zero_grad(Optimizer *o);
/* The learning rate, and setting it (what schedules do). */
double opt_get_lr(const Optimizer *o);
void opt_set_lr(Optimizer *o, double lr);
/* Steps taken so far. */
int64_t opt_steps(const Optimizer *o);

/* Learning-rate schedules: call opt_sched_step once per epoch, after the epoch's steps. */
typedef struct LRScheduler LRScheduler;
/* lr = initial lr * gamma^(epoch / step_size) (StepLR; gamma defaults to 0.1). */
typedef struct StepLROpts {
    double gamma;
} StepLROpts;
LRScheduler *optim_step_lr_opts(Optimizer *o, int64_t step_size, StepLROpts opts);
#define optim_step_lr(o, step_size, ...)                                                        \
    optim_step_lr_opts((o), (step_size), (StepLROpts){.gamma = 0.1, __VA_ARGS__})
/* lr = eta_min + (initial lr - eta_min) (1 + cos(pi epoch / T_max)) / 2 (CosineAnnealingLR;
   eta_min defaults to 0). */
typedef struct CosineLROpts {
    double eta_min;
} CosineLROpts;
LRScheduler *optim_cosine_annealing_lr_opts(Optimizer *o, int64_t T_max, CosineLROpts opts);
#define optim_cosine_annealing_lr(o, T_max, ...)                                                \
    optim_cosine_annealing_lr_opts((o), (T_max), (CosineLROpts){.eta_min = 0, __VA_ARGS__})
/* Advances the schedule one epoch and sets the optimizer's lr. */
void opt_sched_step(LRScheduler *s);
/* The lr the schedule set last (the initial lr before the first opt_sched_step). */
double opt_sched_get_lr(const LRScheduler *s);

#endif /* CTORCH_NN_H */
