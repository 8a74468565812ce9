"""Benchmarks: the same workload written once, run with ndgrad and with PyTorch in one process.

    python bench/run.py            # all workloads
    python bench/run.py mlp chain  # a selection
Prints per-iteration times and the ratio ndgrad / torch (lower is better). Not a test.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Callable

# One thread each: on small shared machines torch's thread pool and OpenBLAS's threads contend
# and make timings meaningless. Override with NDGRAD_BENCH_THREADS.
_THREADS = os.environ.get("NDGRAD_BENCH_THREADS", "1")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _THREADS)

import numpy as np  # noqa: E402

import ndgrad  # noqa: E402

WORKLOADS: dict[str, Callable] = {}
TARGETS: dict[str, float] = {}


def workload(name: str, target: float | None = None):
    def deco(fn):
        WORKLOADS[name] = fn
        if target is not None:
            TARGETS[name] = target
        return fn

    return deco


def _params(lib, *arrays):
    return [lib.tensor(a, requires_grad=True) for a in arrays]


@workload("tutorial", target=2.0)
def tutorial(lib):
    """x @ w + b, BCE-with-logits, backward (the seed tutorial's step)."""
    rng = np.random.default_rng(0)
    x, y = lib.ones(5), lib.zeros(3)
    w, b = _params(lib, rng.standard_normal((5, 3)).astype(np.float32),
                   rng.standard_normal(3).astype(np.float32))

    def step():
        loss = lib.nn.functional.binary_cross_entropy_with_logits(lib.matmul(x, w) + b, y)
        loss.backward()
        w.grad = None
        b.grad = None

    return step


@workload("tiny_op")
def tiny_op(lib):
    """One elementwise op on a 3-element tensor, forward + backward."""
    (x,) = _params(lib, np.ones(3, dtype=np.float32))

    def step():
        (x * x).sum().backward()
        x.grad = None

    return step


def _mlp_params(lib, rng):
    shapes = [(784, 256), (256,), (256, 256), (256,), (256, 10), (10,)]
    return _params(lib, *[(rng.standard_normal(s) * 0.05).astype(np.float32) for s in shapes])


@workload("mlp", target=1.5)
def mlp(lib):
    """MLP 784-256-256-10, batch 64: forward, loss, backward, SGD update."""
    rng = np.random.default_rng(0)
    ps = _mlp_params(lib, rng)
    x = lib.tensor(rng.standard_normal((64, 784)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((64, 10)).astype(np.float32))

    def step():
        w1, b1, w2, b2, w3, b3 = ps
        h = (x @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        out = h @ w3 + b3
        loss = ((out - y) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            for p in ps:
                p -= 0.01 * p.grad
                p.grad = None

    return step


@workload("matmul_1024", target=1.15)
def matmul_bound(lib):
    """A 1024x1024 matmul-bound graph: (a @ b).tanh() @ c, summed, backward."""
    rng = np.random.default_rng(0)
    a, b, c = _params(lib, *[rng.standard_normal((1024, 1024)).astype(np.float32) * 0.03
                             for _ in range(3)])

    def step():
        ((a @ b).tanh() @ c).sum().backward()
        for p in (a, b, c):
            p.grad = None

    return step


@workload("chain_5000", target=3.0)
def chain(lib):
    """A 5,000-op elementwise chain on a 16-element tensor, forward + backward."""
    (x,) = _params(lib, np.ones(16, dtype=np.float32))

    def step():
        y = x
        for i in range(1250):
            y = (y * 1.0001 + 0.001).tanh() * 2 - 1
        y.sum().backward()
        x.grad = None

    return step


@workload("cnn_28", target=2.0)
def cnn(lib):
    """16x1x28x28: conv 1->8 3x3, relu, max-pool 2, conv 8->16 3x3, relu, linear 1936->10."""
    rng = np.random.default_rng(0)
    F = lib.nn.functional
    shapes = [(8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,), (10, 1936), (10,)]
    ps = _params(lib, *[(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes])
    x = lib.tensor(rng.standard_normal((16, 1, 28, 28)).astype(np.float32))

    def step():
        w1, b1, w2, b2, wl, bl = ps
        h = F.max_pool2d(F.conv2d(x, w1, b1).relu(), 2)
        h = F.conv2d(h, w2, b2).relu()
        F.linear(h.flatten(1), wl, bl).sum().backward()
        for p in ps:
            p.grad = None

    return step


def _train_step(lib, model, x, y):
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


@workload("train_mlp", target=1.5)
def train_mlp(lib):
    """One Adam step of nn.Sequential MLP 64-128-10 with CrossEntropyLoss, batch 64."""
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((64, 64)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 64))
    return _train_step(lib, model, x, y)


@workload("train_cnn", target=2.0)
def train_cnn(lib):
    """One Adam step of the digits CNN (two conv-relu-pool blocks, two linears), batch 64."""
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((64, 1, 8, 8)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 64))
    return _train_step(lib, model, x, y)


def _per_sample_setup(lib):
    """An MLP 10-32-32-1 (tanh, MSE) and a batch of 64 for per-sample gradients."""
    rng = np.random.default_rng(0)
    shapes = [(10, 32), (32,), (32, 32), (32,), (32, 1), (1,)]
    params = tuple(lib.tensor((rng.standard_normal(s) * 0.3).astype(np.float32)) for s in shapes)
    x = lib.tensor(rng.standard_normal((64, 10)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((64, 1)).astype(np.float32))

    def loss(p, xb, yb):
        w1, b1, w2, b2, w3, b3 = p
        h = (xb @ w1 + b1).tanh()
        h = (h @ w2 + b2).tanh()
        return ((h @ w3 + b3 - yb) ** 2).mean()

    return loss, params, x, y


@workload("vmap_grad_64")
def vmap_grad(lib):
    """Per-sample gradients of the MLP over a batch of 64 with vmap(grad(loss))."""
    loss, params, x, y = _per_sample_setup(lib)
    fn = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))
    return lambda: fn(params, x, y)


def vmap_vs_loop() -> None:
    """The issue's bar: vmap(grad) at least 10x faster than a loop of 64 grad calls."""
    loss, params, x, y = _per_sample_setup(ndgrad)
    g = ndgrad.func.grad(loss)
    batched = ndgrad.func.vmap(g, in_dims=(None, 0, 0))
    t_vmap = _time(lambda: batched(params, x, y))
    t_loop = _time(lambda: [g(params, x[i], y[i]) for i in range(64)])
    print(f"per-sample grads, batch 64: vmap {_fmt(t_vmap)}, loop {_fmt(t_loop)}, "
          f"speed-up {t_loop / t_vmap:.1f}x (target >= 10x)")


def _time(step: Callable, min_time: float = 0.4, repeats: int = 5) -> float:
    step()  # warm up
    n, t = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        t = time.perf_counter() - t0
        if t >= min_time / repeats or n > 1 << 16:
            break
        n *= 2
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        times.append((time.perf_counter() - t0) / n)
    return statistics.median(times)  # includes the collector's pauses, a real cost


def _fmt(sec: float) -> str:
    return f"{sec * 1e6:9.1f} us" if sec < 1e-3 else f"{sec * 1e3:9.2f} ms"


def main(names: list[str]) -> None:
    try:
        import torch

        torch.set_num_threads(int(_THREADS))
    except ImportError:
        torch = None
        print("torch is not installed: showing ndgrad times only")
    selected = names or list(WORKLOADS)
    print(f"{'workload':<14}{'ndgrad':>13}{'torch':>13}{'ratio':>8}{'target':>8}")
    for name in selected:
        # alternate the two libraries and keep each one's best: the least disturbed estimate
        ours = WORKLOADS[name](ndgrad)
        theirs = WORKLOADS[name](torch) if torch is not None else None
        nd, th = float("inf"), float("inf") if theirs is not None else float("nan")
        for _ in range(3):
            nd = min(nd, _time(ours))
            if theirs is not None:
                th = min(th, _time(theirs))
        ratio = nd / th
        target = TARGETS.get(name)
        mark = "" if target is None else (f"{target:>7.2f}" + (" ok" if ratio <= target else " MISS"))
        print(f"{name:<14}{_fmt(nd):>13}{_fmt(th):>13}{ratio:>8.2f}{mark}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["vmap_vs_loop"]:
        vmap_vs_loop()
    else:
        main(args)
        if not args:
            vmap_vs_loop()
