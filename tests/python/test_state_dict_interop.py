"""Model checkpoints cross between ctorch and PyTorch: the blitz network's state dict saved by
ctorch (nn_save) loads into the same torch.nn network and gives the same outputs, and one saved
by PyTorch (safetensors) loads into ctorch (nn_load) with the same outputs. A mismatching or
corrupt file is refused and the model in memory is left as it was."""
import pathlib
import subprocess

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"

PROGRAM = r"""
#include <stdio.h>
#include <string.h>
#include "ctorch.h"

typedef struct { Module m; Module *conv1, *conv2, *fc1, *fc2, *fc3; } Net;

static Tensor *forward(Module *self, Tensor *x) {
    Net *n = (Net *)self;
    x = t_max_pool2d(t_relu(nn_call(n->conv1, x)), 2);
    x = t_max_pool2d(t_relu(nn_call(n->conv2, x)), 2);
    x = t_flatten(x, 1);
    x = t_relu(nn_call(n->fc1, x));
    x = t_relu(nn_call(n->fc2, x));
    return nn_call(n->fc3, x);
}

static Net *new_net(void) {
    Net *n = NN_NEW(Net, forward);
    n->conv1 = nn_add(n, "conv1", nn_conv2d(1, 6, 5));
    n->conv2 = nn_add(n, "conv2", nn_conv2d(6, 16, 5));
    n->fc1 = nn_add(n, "fc1", nn_linear(400, 120));
    n->fc2 = nn_add(n, "fc2", nn_linear(120, 84));
    n->fc3 = nn_add(n, "fc3", nn_linear(84, 10));
    return n;
}

/* The output for the input x[i] = sin(i), one line of numbers. */
static void print_output(Net *n) {
    Tensor *x = t_reshape(t_sin(t_arange(0, 2 * 32 * 32, 1)), 2, 1, 32, 32), *y = NULL;
    T_NO_GRAD { y = nn_call(n, x); }
    for (int64_t i = 0; i < t_numel(y); i++) printf("%.9g ", t_get(y, i / 10, i % 10));
    printf("\n");
}

int main(int argc, char **argv) {
    t_manual_seed(3);
    Net *n = new_net();
    if (!strcmp(argv[1], "save")) {
        nn_save(n, argv[2]);
        print_output(n);
    } else if (!strcmp(argv[1], "load")) {
        nn_load(n, argv[2]);
        print_output(n);
    } else { /* "refuse": loading must fail and change nothing */
        Tensor *before = t_clone(nn_param(n, "fc3.weight"));
        T_TRY { nn_load(n, argv[2]); printf("loaded\n"); }
        T_CATCH(err) { printf("%s: %s\n", t_error_name(err->kind), err->message); }
        printf("unchanged: %d\n", (int)t_item(t_sum(t_ne(before, nn_param(n, "fc3.weight")))) == 0);
    }
    return 0;
}
"""


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def torch_output(net):
    x = torch.sin(torch.arange(0, 2 * 32 * 32, dtype=torch.float32)).reshape(2, 1, 32, 32)
    with torch.no_grad():
        return net(x).numpy().ravel()


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    work = tmp_path_factory.mktemp("state_dict")
    src, exe = work / "net.c", work / "net"
    src.write_text(PROGRAM)
    subprocess.run(["gcc", "-O1", "-std=gnu11", f"-I{BUILD / 'include'}", str(src), "-o", str(exe),
                    f"-L{BUILD / 'lib'}", "-lctorch", f"-Wl,-rpath,{BUILD / 'lib'}", "-lm"],
                   check=True)

    def run(*args):
        out = subprocess.run([str(exe), *map(str, args)], check=True, capture_output=True,
                             text=True, timeout=60)
        return out.stdout
    return run


def test_pytorch_loads_a_ctorch_checkpoint(program, tmp_path):
    path = tmp_path / "ctorch.safetensors"
    ours = np.array(program("save", path).split(), dtype=np.float64)
    net = Net()
    net.load_state_dict(load_file(str(path)))      # strict: every name and shape must match
    np.testing.assert_allclose(torch_output(net), ours, rtol=1e-5, atol=1e-6)


def test_ctorch_loads_a_pytorch_checkpoint(program, tmp_path):
    torch.manual_seed(7)
    net = Net()
    path = tmp_path / "torch.safetensors"
    save_file(net.state_dict(), str(path))
    ours = np.array(program("load", path).split(), dtype=np.float64)
    np.testing.assert_allclose(ours, torch_output(net), rtol=1e-5, atol=1e-6)


def test_mismatched_or_corrupt_checkpoints_change_nothing(program, tmp_path):
    wrong = tmp_path / "wrong.safetensors"
    state = Net().state_dict()
    state["fc3.weight"] = torch.zeros(11, 84)
    save_file(state, str(wrong))
    out = program("refuse", wrong)
    assert "ShapeError: nn_load: size mismatch for fc3.weight" in out
    assert "unchanged: 1" in out

    missing = tmp_path / "missing.safetensors"
    del state["fc3.weight"]
    save_file(state, str(missing))
    out = program("refuse", missing)
    assert 'IOError: nn_load' in out and '"fc3.weight"' in out and "unchanged: 1" in out

    good = tmp_path / "good.safetensors"
    save_file(Net().state_dict(), str(good))
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[:5000])
    out = program("refuse", truncated)
    assert "IOError" in out and "truncated" in out and "unchanged: 1" in out

    out = program("refuse", tmp_path / "nonexistent.safetensors")
    assert "IOError" in out and "unchanged: 1" in out
