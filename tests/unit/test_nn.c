/* test_nn.c — modules (tensor/nn_module.c, tensor/nn_layers.c, tensor/nn_layers_norm.c):
   the tree text PyTorch prints, parameters and their counts, buffers, modes, devices,
   gradients, and misuse. Expected texts are print(module) of PyTorch 1.13. */
#include <criterion/criterion.h>

#include "helpers.h"

/* The blitz network of DESIGN.md, written as a user would. */
typedef struct {
    Module m;
    Module *conv1, *conv2, *fc1, *fc2, *fc3;
} Net;

static Tensor *net_forward(Module *self, Tensor *x) {
    Net *n = (Net *)self;
    x = t_max_pool2d(t_relu(nn_call(n->conv1, x)), 2);
    x = t_max_pool2d(t_relu(nn_call(n->conv2, x)), 2);
    x = t_flatten(x, 1);
    x = t_relu(nn_call(n->fc1, x));
    x = t_relu(nn_call(n->fc2, x));
    return nn_call(n->fc3, x);
}

static Net *blitz_net(void) {
    Net *net = NN_NEW(Net, net_forward);
    net->conv1 = nn_add(net, "conv1", nn_conv2d(1, 6, 5));
    net->conv2 = nn_add(net, "conv2", nn_conv2d(6, 16, 5));
    net->fc1 = nn_add(net, "fc1", nn_linear(16 * 5 * 5, 120));
    net->fc2 = nn_add(net, "fc2", nn_linear(120, 84));
    net->fc3 = nn_add(net, "fc3", nn_linear(84, 10));
    return net;
}

/* Parameter count of the blitz network, as sum(p.numel() for p in net.parameters()). */
#define BLITZ_PARAMS 61706

Test(module, blitz_tree_text) {
    cr_assert_str_eq(nn_str(blitz_net()),
                     "Net(\n"
                     "  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
                     "  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))\n"
                     "  (fc1): Linear(in_features=400, out_features=120, bias=True)\n"
                     "  (fc2): Linear(in_features=120, out_features=84, bias=True)\n"
                     "  (fc3): Linear(in_features=84, out_features=10, bias=True)\n"
                     ")");
}

Test(module, nested_sequential_text) {
    Module *seq = nn_sequential(nn_conv2d(3, 8, 3, .padding = 1, .bias = false),
                                nn_batch_norm2d(8), nn_relu(), nn_max_pool2d(2),
                                nn_sequential(nn_flatten(1, -1), nn_dropout(0.25)),
                                nn_linear(8, 2), nn_leaky_relu(0.01), nn_gelu(),
                                nn_layer_norm(2), nn_avg_pool2d(3, .stride = 1, .padding = 1),
                                nn_adaptive_avg_pool2d(5, 7), nn_softmax(1), nn_embedding(10, 3),
                                nn_sigmoid(), nn_tanh());
    cr_assert_str_eq(nn_str(seq),
                     "Sequential(\n"
                     "  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n"
                     "  (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
                     "  (2): ReLU()\n"
                     "  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
                     "  (4): Sequential(\n"
                     "    (0): Flatten(start_dim=1, end_dim=-1)\n"
                     "    (1): Dropout(p=0.25, inplace=False)\n"
                     "  )\n"
                     "  (5): Linear(in_features=8, out_features=2, bias=True)\n"
                     "  (6): LeakyReLU(negative_slope=0.01)\n"
                     "  (7): GELU(approximate='none')\n"
                     "  (8): LayerNorm((2,), eps=1e-05, elementwise_affine=True)\n"
                     "  (9): AvgPool2d(kernel_size=3, stride=1, padding=1)\n"
                     "  (10): AdaptiveAvgPool2d(output_size=(5, 7))\n"
                     "  (11): Softmax(dim=1)\n"
                     "  (12): Embedding(10, 3)\n"
                     "  (13): Sigmoid()\n"
                     "  (14): Tanh()\n"
                     ")");
}

Test(module, bundle_is_the_tree) {
    Net *net = blitz_net();
    MimeBundle *b = t_bundle_module(&net->m);
    size_t len;
    const char *text = mime_get(b, "text/plain", &len);
    cr_assert_not_null(text);
    cr_assert_str_eq(text, nn_str(net));
}

Test(module, parameters_in_order_with_names) {
    Net *net = blitz_net();
    TensorList ps = nn_parameters(net);
    cr_assert_eq(ps.n, 10);
    NamedTensors named = nn_named_parameters(net);
    const char *want[] = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                          "fc1.weight",   "fc1.bias",   "fc2.weight",   "fc2.bias",
                          "fc3.weight",   "fc3.bias"};
    cr_assert_eq(named.n, 10);
    for (int i = 0; i < 10; i++) {
        cr_assert_str_eq(named.names[i], want[i]);
        cr_assert_eq(named.items[i], ps.items[i]);
        cr_assert(t_requires_grad(ps.items[i]) && t_is_leaf(ps.items[i]));
    }
    T_ASSERT_SHAPE(nn_param(net, "conv2.weight"), 16, 6, 5, 5);
    T_ASSERT_SHAPE(nn_param(net, "fc1.bias"), 120);
    cr_assert_eq(nn_param(net, "fc1.nothing"), NULL);
    cr_assert_eq(nn_param(net, "nothing.weight"), NULL);
    cr_assert_eq(nn_child(net, "fc2"), net->fc2);
    cr_assert_eq(nn_num_parameters(net), BLITZ_PARAMS);
}

Test(module, shared_layer_counted_once) {
    Module *lin = nn_linear(3, 3);
    Module *seq = nn_sequential(lin, nn_relu(), lin);
    cr_assert_eq(nn_parameters(seq).n, 2);
    cr_assert_eq(nn_num_parameters(seq), 12);
}

Test(module, default_init_bounds) {
    /* kaiming_uniform_(a = sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as the bias */
    t_manual_seed(3);
    Module *lin = nn_linear(400, 120);
    double bound = 1 / sqrt(400.0);
    Tensor *w = nn_param(lin, "weight"), *b = nn_param(lin, "bias");
    cr_assert_leq(t_item(t_max(w)), bound);
    cr_assert_geq(t_item(t_min(w)), -bound);
    cr_assert_gt(t_item(t_max(w)), 0.95 * bound);
    cr_assert_leq(t_item(t_max(t_abs(b))), bound);
    /* the variance of U(-b, b) is b^2 / 3 */
    cr_assert(t_close(t_item(t_var(w)), bound * bound / 3, 0, 0.05));
}

Test(module, blitz_forward_backward_step) {
    t_manual_seed(0);
    Net *net = blitz_net();
    Optimizer *opt = optim_sgd(nn_parameters(net), .lr = 0.01, .momentum = 0.9);
    Tensor *x = t_randn(4, 1, 32, 32), *y = t_tensor_dt(T_I64, ((int64_t[]){1, 3, 5, 7}), 4);
    double first = 0, last = 0;
    for (int i = 0; i < 30; i++) {
        opt_zero_grad(opt);
        Tensor *out = nn_call(net, x);
        T_ASSERT_SHAPE(out, 4, 10);
        Tensor *loss = nn_cross_entropy(out, y);
        cr_assert_str_eq(t_grad_fn_name(loss), "NllLossBackward0");
        t_backward(loss);
        opt_step(opt);
        if (i == 0) first = t_item(loss);
        last = t_item(loss);
    }
    cr_assert(first > 2.0 && first < 2.6, "the first loss is about ln(10), got %g", first);
    cr_assert_lt(last, 0.5 * first, "30 steps on one batch should fit it: %g -> %g", first, last);
    T_ASSERT_SHAPE(t_grad(nn_param(net, "conv1.weight")), 6, 1, 5, 5);
}

Test(module, train_eval_reaches_children) {
    Module *inner = nn_dropout(0.5);
    Module *seq = nn_sequential(nn_linear(2, 2), nn_sequential(inner));
    cr_assert(nn_is_training(seq) && nn_is_training(inner));
    nn_eval(seq);
    cr_assert(!nn_is_training(seq) && !nn_is_training(inner));
    Tensor *x = t_ones(3, 2);
    cr_assert_eq(nn_call(inner, x), x, "dropout in eval mode is the identity");
    nn_train(seq);
    cr_assert(nn_is_training(inner));
}

Test(module, zero_grad_forgets_gradients) {
    Module *lin = nn_linear(3, 2);
    t_backward(t_sum(nn_call(lin, t_ones(4, 3))));
    T_ASSERT_VALUES(t_grad(nn_param(lin, "bias")), 0, 4, 4);
    nn_zero_grad(lin);
    cr_assert_null(t_grad(nn_param(lin, "weight")));
    cr_assert_null(t_grad(nn_param(lin, "bias")));
}

Test(module, to_same_device_keeps_tensors) {
    Module *bn = nn_batch_norm1d(3);
    Tensor *w = nn_param(bn, "weight"), *rm = nn_buffer(bn, "running_mean");
    cr_assert_eq(nn_to(bn, T_CPU), bn);
    cr_assert_eq(nn_param(bn, "weight"), w);
    cr_assert_eq(nn_buffer(bn, "running_mean"), rm);
    cr_assert_eq(t_device(w), T_CPU);
}

Test(module, buffers_of_batch_norm) {
    Module *bn = nn_batch_norm2d(2);
    NamedTensors bs = nn_named_buffers(bn);
    cr_assert_eq(bs.n, 3);
    cr_assert_str_eq(bs.names[0], "running_mean");
    cr_assert_str_eq(bs.names[1], "running_var");
    cr_assert_str_eq(bs.names[2], "num_batches_tracked");
    nn_call(bn, t_randn(4, 2, 3, 3));
    nn_call(bn, t_randn(4, 2, 3, 3));
    T_ASSERT_VALUES(nn_buffer(bn, "num_batches_tracked"), 0, 2);
    nn_eval(bn);
    nn_call(bn, t_randn(4, 2, 3, 3));
    T_ASSERT_VALUES(nn_buffer(bn, "num_batches_tracked"), 0, 2);
}

Test(module, user_parameters_and_forward) {
    typedef struct {
        Module m;
        Tensor *scale;
    } Scale;
    Scale *s = (Scale *)nn_new_(sizeof(Scale), "Scale", NULL);
    s->scale = nn_add_param(s, "scale", t_full(2.0, 3));
    cr_assert(t_requires_grad(s->scale));
    cr_assert_str_eq(nn_str(s), "Scale()");
    T_ASSERT_RAISES(T_ERR_RUNTIME, nn_call(s, t_ones(3)), "Scale", "forward");
}

Test(module, misuse) {
    Net *net = blitz_net();
    T_ASSERT_RAISES(T_ERR_SHAPE, nn_call(net, t_randn(2, 3, 32, 32)), "Conv2d(1, 6",
                    "1 channels", "[2, 3, 32, 32]");
    T_ASSERT_RAISES(T_ERR_SHAPE, nn_call(net->fc1, t_randn(2, 256)), "Linear(in_features=400",
                    "[2, 256]");
    T_ASSERT_RAISES(T_ERR_SHAPE, nn_call(nn_batch_norm2d(3), t_randn(2, 4, 5, 5)),
                    "BatchNorm2d(3", "[2, 4, 5, 5]");
    T_ASSERT_RAISES(T_ERR_SHAPE, nn_call(nn_layer_norm(4), t_randn(2, 5)), "LayerNorm", "[2, 5]");
    T_ASSERT_RAISES(T_ERR_VALUE, nn_add(net, "a.b", nn_relu()), "a.b");
    T_ASSERT_RAISES(T_ERR_VALUE, nn_add(net, "", nn_relu()), "empty");
    T_ASSERT_RAISES(T_ERR_VALUE, nn_add_param(net, "conv1", t_ones(2)), "conv1");
    T_ASSERT_RAISES(T_ERR_DTYPE, nn_add_param(net, "idx", t_ones_dt(T_I64, 2)), "idx", "int64");
    T_ASSERT_RAISES(T_ERR_VALUE, nn_parameters((Module *)NULL), "NULL");
    T_ASSERT_RAISES(T_ERR_VALUE, nn_conv2d(3, 4, 3, .groups = 2), "groups");
    T_ASSERT_RAISES(T_ERR_VALUE, nn_dropout(1.5), "1.5");
    T_ASSERT_RAISES(T_ERR_INDEX, nn_child_at(net, 5), "5", "Net");
}

Test(module, sequential_runs_in_order) {
    Module *seq = nn_sequential(nn_linear(3, 4, .bias = false), nn_relu());
    T_NO_GRAD { t_copy_(nn_param(seq, "0.weight"), t_reshape(t_arange(-6, 6, 1), 4, 3)); }
    Tensor *y = nn_call(seq, t_tensor(((float[]){1, 1, 1}), 1, 3));
    /* rows of the weight sum to -15, -6, 3, 12; ReLU keeps the last two */
    T_ASSERT_VALUES(y, 1e-6, 0, 0, 3, 12);
    nn_sequential_append(seq, nn_linear(4, 1));
    cr_assert_eq(nn_num_children(seq), 3);
    T_ASSERT_SHAPE(nn_call(seq, t_ones(5, 3)), 5, 1);
}

Test(module, is_module_tells_modules_from_other_pointers) {
    Net *net = blitz_net();
    int local = 0;
    cr_assert(nn_is_module(net));
    cr_assert(nn_is_module(net->fc1));
    cr_assert(!nn_is_module(&local));
    cr_assert(!nn_is_module(NULL));
    cr_assert(!nn_is_module(t_ones(4)));
    cr_assert(!nn_is_module(nn_param(net, "fc1.weight")));
}
