"""The PyTorch side of bench/run.py's training cases, written as a PyTorch user would: the same
networks, optimizers and batch sizes as the ctorch ops in bench/bench_ops.c."""
import gzip
import pathlib

import numpy as np
import torch
from torch import nn

FASHION_MNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")


def mlp_fwd_bwd(x, w1, w2, w3):
    """Forward and backward of a 3-layer MLP, the weights' gradients dropped first."""
    for w in (w1, w2, w3):
        w.requires_grad_(True)
        w.grad = None
    h = torch.relu(x @ w1.T)
    h = torch.relu(h @ w2.T)
    loss = torch.log_softmax(h @ w3.T, 1).mean()
    loss.backward()
    return loss


class BlitzNet(nn.Module):
    """The blitz's network for 1x32x32 input."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


_blitz = {}


def blitz_step(x):
    """One training step of the blitz network (SGD with momentum, cross-entropy)."""
    if not _blitz:
        _blitz["net"] = BlitzNet()
        _blitz["opt"] = torch.optim.SGD(_blitz["net"].parameters(), lr=0.001, momentum=0.9)
    net, opt = _blitz["net"], _blitz["opt"]
    y = torch.arange(x.shape[0]) % 10
    opt.zero_grad()
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    return loss


def _idx(name):
    """An IDX file of Debian's Fashion-MNIST as a NumPy array."""
    data = gzip.open(FASHION_MNIST / name).read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


_fmnist = {}


def fmnist_mlp_epoch(_):
    """One epoch of the MLP on Fashion-MNIST, batches of 64 in a shuffled order, as a PyTorch
    user writes it with tensors already in memory."""
    if not _fmnist:
        x = torch.from_numpy(_idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255)
        _fmnist["x"] = x.unsqueeze(1)
        _fmnist["y"] = torch.from_numpy(_idx("train-labels-idx1-ubyte.gz").astype(np.int64))
        _fmnist["mlp"] = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                                       nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
        _fmnist["opt"] = torch.optim.SGD(_fmnist["mlp"].parameters(), lr=0.01, momentum=0.9)
    x, y, mlp, opt = _fmnist["x"], _fmnist["y"], _fmnist["mlp"], _fmnist["opt"]
    order = torch.randperm(len(y))
    loss = None
    for i in range(0, len(y), 64):
        idx = order[i:i + 64]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(mlp(x[idx]), y[idx])
        loss.backward()
        opt.step()
    return loss
