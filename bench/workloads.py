"""The bench's workloads: each written once against the torch API (run with ndgrad and with
PyTorch) and once as a hand-written NumPy floor (plain arrays, backward written out by hand).

A workload is `make(lib) -> step` for the torch-API version and `floor() -> step` for NumPy;
`per` divides the step time (the chain reports time per node). Not a test.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class Workload:
    name: str
    doc: str
    make: Callable  # (lib) -> step(); lib is ndgrad or torch
    floor: Callable | None = None  # () -> step() in plain NumPy, None where there is none
    target: float | None = None  # issue 12's target for ndgrad / torch (default threads)
    per: int = 1  # the step does `per` units of work; times are reported per unit


WORKLOADS: dict[str, Workload] = {}


def workload(name: str, target: float | None = None, per: int = 1):
    def deco(make: Callable) -> Callable:
        WORKLOADS[name] = Workload(name, (make.__doc__ or "").strip(), make, target=target,
                                   per=per)
        return make

    return deco


def floor_of(name: str):
    def deco(fn: Callable) -> Callable:
        WORKLOADS[name].floor = fn
        return fn

    return deco


def _f32(rng: np.random.Generator, shape: tuple, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _params(lib, *arrays):
    return [lib.tensor(a, requires_grad=True) for a in arrays]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# *** the tutorial step ***

@workload("tutorial", target=1.0)
def tutorial(lib):
    """x @ w + b, BCE-with-logits, backward (PyTorch's autograd tutorial step)"""
    rng = np.random.default_rng(0)
    x, y = lib.ones(5), lib.zeros(3)
    w, b = _params(lib, _f32(rng, (5, 3)), _f32(rng, (3,)))
    bce = lib.nn.functional.binary_cross_entropy_with_logits

    def step():
        loss = bce(lib.matmul(x, w) + b, y)
        loss.backward()
        w.grad = None
        b.grad = None

    return step


@floor_of("tutorial")
def _tutorial_floor():
    rng = np.random.default_rng(0)
    x, y = np.ones(5, np.float32), np.zeros(3, np.float32)
    w, b = _f32(rng, (5, 3)), _f32(rng, (3,))

    def step():
        z = x @ w + b
        loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
        dz = (_sigmoid(z) - y) / z.size
        return loss, np.outer(x, dz), dz

    return step


# *** one tiny op ***

@workload("tiny_fwd", target=1.5)
def tiny_fwd(lib):
    """one tiny op forward: a + b, 1 element, requires grad"""
    a, b = _params(lib, np.ones(1, np.float32), np.ones(1, np.float32))
    return lambda: a + b


@floor_of("tiny_fwd")
def _tiny_fwd_floor():
    a, b = np.ones(1, np.float32), np.ones(1, np.float32)
    return lambda: a + b


@workload("tiny_fwd_bwd", target=0.5)
def tiny_fwd_bwd(lib):
    """one tiny op forward + backward(): (a + b).backward(), 1 element"""
    a, b = _params(lib, np.ones(1, np.float32), np.ones(1, np.float32))

    def step():
        (a + b).backward()
        a.grad = None
        b.grad = None

    return step


@floor_of("tiny_fwd_bwd")
def _tiny_fwd_bwd_floor():
    a, b = np.ones(1, np.float32), np.ones(1, np.float32)

    def step():
        out = a + b
        g = np.ones_like(out)
        return g.copy(), g.copy()

    return step


# *** a long elementwise chain ***

_CHAIN_ITERS = 1000  # 5 ops each: 5,000 nodes


@workload("chain_5000", target=1.2, per=5 * _CHAIN_ITERS)
def chain(lib):
    """5,000-node elementwise chain on 16 elements, forward + backward (time per node)"""
    (x,) = _params(lib, np.ones(16, np.float32))

    def step():
        y = x
        for _ in range(_CHAIN_ITERS):
            y = (y * 1.0001 + 0.001).tanh() * 2 - 1
        y.sum().backward()
        x.grad = None

    return step


@floor_of("chain_5000")
def _chain_floor():
    x = np.ones(16, np.float32)

    def step():
        y, saved = x, []
        for _ in range(_CHAIN_ITERS):
            t = np.tanh(y * np.float32(1.0001) + np.float32(0.001))
            saved.append(t)
            y = t * np.float32(2) - np.float32(1)
        g = np.ones_like(y)
        for t in reversed(saved):
            g = g * np.float32(2)
            g = g * (1 - t * t)
            g = g * np.float32(1.0001)
        return g

    return step


# *** an MLP SGD step ***

_MLP_SHAPES = [(784, 256), (256,), (256, 256), (256,), (256, 10), (10,)]


@workload("mlp", target=1.4)
def mlp(lib):
    """MLP 784-256-256-10, batch 64: forward, MSE, backward, SGD update"""
    rng = np.random.default_rng(0)
    ps = _params(lib, *[_f32(rng, s, 0.05) for s in _MLP_SHAPES])
    x = lib.tensor(_f32(rng, (64, 784)))
    y = lib.tensor(_f32(rng, (64, 10)))

    def step():
        w1, b1, w2, b2, w3, b3 = ps
        h = (x @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        loss = ((h @ w3 + b3 - y) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            for p in ps:
                p -= 0.01 * p.grad
                p.grad = None

    return step


@floor_of("mlp")
def _mlp_floor():
    rng = np.random.default_rng(0)
    ps = [_f32(rng, s, 0.05) for s in _MLP_SHAPES]
    x, y = _f32(rng, (64, 784)), _f32(rng, (64, 10))

    def step():
        w1, b1, w2, b2, w3, b3 = ps
        a1 = x @ w1 + b1
        h1 = np.maximum(a1, 0)
        a2 = h1 @ w2 + b2
        h2 = np.maximum(a2, 0)
        d = h2 @ w3 + b3 - y
        loss = np.mean(d * d)
        g = d * np.float32(2 / d.size)
        grads = [None] * 6
        grads[4], grads[5] = h2.T @ g, g.sum(0)
        g = (g @ w3.T) * (a2 > 0)
        grads[2], grads[3] = h1.T @ g, g.sum(0)
        g = (g @ w2.T) * (a1 > 0)
        grads[0], grads[1] = x.T @ g, g.sum(0)
        for p, gp in zip(ps, grads):
            p -= np.float32(0.01) * gp
        return loss

    return step


# *** a matmul-bound graph ***

@workload("matmul_1024")
def matmul_bound(lib):
    """1024x1024 matmul-bound graph: ((a @ b).tanh() @ c).sum(), backward"""
    rng = np.random.default_rng(0)
    a, b, c = _params(lib, *[_f32(rng, (1024, 1024), 0.03) for _ in range(3)])

    def step():
        ((a @ b).tanh() @ c).sum().backward()
        for p in (a, b, c):
            p.grad = None

    return step


@floor_of("matmul_1024")
def _matmul_floor():
    rng = np.random.default_rng(0)
    a, b, c = [_f32(rng, (1024, 1024), 0.03) for _ in range(3)]

    def step():
        t = np.tanh(a @ b)
        out = (t @ c).sum()
        go = np.ones((1024, 1024), np.float32)
        gc = t.T @ go
        gh = (go @ c.T) * (1 - t * t)
        return out, gh @ b.T, a.T @ gh, gc

    return step


# *** a small CNN step ***

_CNN_SHAPES = [(8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,), (10, 1936), (10,)]


@workload("cnn_28", target=2.0)
def cnn(lib):
    """16x1x28x28: conv 1->8 3x3, relu, max-pool 2, conv 8->16 3x3, relu, linear 1936->10"""
    rng = np.random.default_rng(0)
    F = lib.nn.functional
    ps = _params(lib, *[_f32(rng, s, 0.1) for s in _CNN_SHAPES])
    x = lib.tensor(_f32(rng, (16, 1, 28, 28)))

    def step():
        w1, b1, w2, b2, wl, bl = ps
        h = F.max_pool2d(F.conv2d(x, w1, b1).relu(), 2)
        h = F.conv2d(h, w2, b2).relu()
        F.linear(h.flatten(1), wl, bl).sum().backward()
        for p in ps:
            p.grad = None

    return step


def _im2col(x: np.ndarray, k: int) -> np.ndarray:
    """(N, C, H, W) -> (N, OH, OW, C*k*k) windows of a stride-1 k x k convolution."""
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # N C OH OW k k
    n, c, oh, ow = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n, oh, ow, c * k * k)


def _col2im(cols: np.ndarray, shape: tuple, k: int) -> np.ndarray:
    """The adjoint of _im2col: scatter-add (N, OH, OW, C*k*k) windows back to (N, C, H, W)."""
    n, c, h, w = shape
    oh, ow = h - k + 1, w - k + 1
    cols = cols.reshape(n, oh, ow, c, k, k).transpose(0, 3, 4, 5, 1, 2)
    out = np.zeros(shape, cols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, i:i + oh, j:j + ow] += cols[:, :, i, j]
    return out


@floor_of("cnn_28")
def _cnn_floor():
    rng = np.random.default_rng(0)
    w1, b1, w2, b2, wl, bl = [_f32(rng, s, 0.1) for s in _CNN_SHAPES]
    x = _f32(rng, (16, 1, 28, 28))

    def conv(inp, w, b):
        cols = _im2col(inp, 3)
        out = cols @ w.reshape(w.shape[0], -1).T + b  # N OH OW O
        return cols, out.transpose(0, 3, 1, 2)

    def step():
        cols1, a1 = conv(x, w1, b1)
        r1 = np.maximum(a1, 0)
        n, c, h, w = r1.shape
        win = r1.reshape(n, c, h // 2, 2, w // 2, 2)
        p1 = win.max(axis=(3, 5))
        cols2, a2 = conv(p1, w2, b2)
        r2 = np.maximum(a2, 0)
        flat = r2.reshape(n, -1)
        out = (flat @ wl.T + bl).sum()
        g = np.ones((n, 10), np.float32)
        gwl, gbl = g.T @ flat, g.sum(0)
        g2 = (g @ wl).reshape(r2.shape) * (a2 > 0)
        g2c = g2.transpose(0, 2, 3, 1)  # N OH OW O
        gw2 = (g2c.reshape(-1, 16).T @ cols2.reshape(-1, cols2.shape[-1])).reshape(w2.shape)
        gb2 = g2c.sum((0, 1, 2))
        gp1 = _col2im(g2c @ w2.reshape(16, -1), p1.shape, 3)
        mask = win == p1[:, :, :, None, :, None]
        g1 = (mask * gp1[:, :, :, None, :, None]).reshape(r1.shape) * (a1 > 0)
        g1c = g1.transpose(0, 2, 3, 1)
        gw1 = (g1c.reshape(-1, 8).T @ cols1.reshape(-1, cols1.shape[-1])).reshape(w1.shape)
        return out, gw1, g1c.sum((0, 1, 2)), gw2, gb2, gwl, gbl

    return step


# *** nn + optim training steps (no floor: they measure the Module and optimizer layers) ***

def _train_step(lib, model, x, y):
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


@workload("train_mlp")
def train_mlp(lib):
    """Adam step of nn.Sequential MLP 64-128-10, CrossEntropyLoss, batch 64"""
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    rng = np.random.default_rng(0)
    return _train_step(lib, model, lib.tensor(_f32(rng, (64, 64))),
                       lib.tensor(rng.integers(0, 10, 64)))


@workload("train_cnn")
def train_cnn(lib):
    """Adam step of the digits CNN (two conv-relu-pool blocks, two linears), batch 64"""
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    rng = np.random.default_rng(0)
    return _train_step(lib, model, lib.tensor(_f32(rng, (64, 1, 8, 8))),
                       lib.tensor(rng.integers(0, 10, 64)))


def check_floors(atol: float = 1e-3) -> None:
    """The floors compute what the workloads compute: compare gradients with ndgrad's."""
    import ndgrad

    rng = np.random.default_rng(0)
    w, b = _params(ndgrad, _f32(rng, (5, 3)), _f32(rng, (3,)))
    loss = ndgrad.nn.functional.binary_cross_entropy_with_logits(
        ndgrad.ones(5) @ w + b, ndgrad.zeros(3))
    loss.backward()
    fl = _tutorial_floor()()
    assert np.allclose(fl[0], loss.item(), atol=atol) and np.allclose(fl[1], w.grad.numpy(),
                                                                      atol=atol)
    rng = np.random.default_rng(0)
    ps = _params(ndgrad, *[_f32(rng, s, 0.1) for s in _CNN_SHAPES])
    x = ndgrad.tensor(_f32(rng, (16, 1, 28, 28)))
    F = ndgrad.nn.functional
    h = F.conv2d(F.max_pool2d(F.conv2d(x, ps[0], ps[1]).relu(), 2), ps[2], ps[3]).relu()
    F.linear(h.flatten(1), ps[4], ps[5]).sum().backward()
    out = _cnn_floor()()
    for got, p in zip(out[1:], ps):
        assert np.allclose(got, p.grad.numpy(), atol=atol, rtol=1e-3), p.shape
