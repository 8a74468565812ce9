"""The RNG parity table: every case draws with ndgrad and with torch after the same manual_seed, and
must give the same bits, dtype, shape and strides, and leave the generator in the same state.

Run as a script it checks the whole table under the ATEN_CPU_CAPABILITY it was started with and
prints one JSON line; tests/test_rng_capabilities.py starts it once per capability."""
from __future__ import annotations

import json
import math
import sys
import warnings
from typing import Any, Callable

import numpy as np

Case = tuple[str, int, Callable[[Any], Any]]
F16, F32, F64 = "float16", "float32", "float64"
INTS = ("int64", "int32", "int16", "int8", "uint8", "bool")


def _d(L: Any, name: str) -> Any:
    return getattr(L, name)


def _rrelu(L: Any, lower: float, upper: float) -> Any:
    x = L.tensor(np.random.default_rng(7).normal(size=(9, 13)).astype(np.float32))
    if hasattr(L.nn.functional, "rrelu"):
        return L.nn.functional.rrelu(x, lower, upper, training=True)
    from ndgrad._random import default_generator   # F.rrelu not in ndgrad yet: its sampler

    return x * L.tensor(default_generator.rrelu_noise(x.numpy(), lower, upper))


def _module(L: Any, make: Callable[[Any], Any]) -> tuple:
    return tuple(p.detach() for p in make(L.nn).parameters())


def cases() -> list[Case]:
    out: list[Case] = []

    def add(name: str, fn: Callable[[Any], Any], seed: int = 0) -> None:
        out.append((name, seed, fn))

    # creation functions
    for d in (F16, F32, F64):
        for n in (1, 7, 15, 16, 17, 33, 100, 1001, (3, 5), (17, 1), (2, 3, 6), (5, 0, 2)):
            add(f"randn({n}, {d})", lambda L, n=n, d=d: L.randn(n, dtype=_d(L, d)), 12)
            add(f"rand({n}, {d})", lambda L, n=n, d=d: L.rand(n, dtype=_d(L, d)), 11)
        add(f"randn cache ({d})", lambda L, d=d: tuple(L.randn(k, dtype=_d(L, d))
                                                       for k in (3, 5, 1, 20, 7)), 13)
    add("randn(4099) x 12 seeds", lambda L: tuple(
        L.randn(4099, generator=L.Generator().manual_seed(s * 7919)) for s in range(12)))
    add("generator objects", lambda L: (
        L.randn(20, generator=L.Generator().manual_seed(5)),
        L.rand(9, generator=L.Generator().manual_seed(6), dtype=L.float64)))
    for lo, hi in [(0, 10), (-7, 3), (0, 2**28), (-2**40, 2**41 + 3), (-2**62, 2**62)]:
        for d in ("int64", F32, F64):
            add(f"randint({lo}, {hi}, {d})",
                lambda L, lo=lo, hi=hi, d=d: L.randint(lo, hi, (3, 37), dtype=_d(L, d)), 16)
    for d, lo, hi in [("uint8", 0, 256), ("int16", -300, 300), ("bool", 0, 2),
                      ("int32", -9, 2**31)]:
        add(f"randint({lo}, {hi}, {d})",
            lambda L, lo=lo, hi=hi, d=d: L.randint(lo, hi, (100,), dtype=_d(L, d)), 17)
    for n in (0, 1, 2, 5, 17, 100, 10000):
        add(f"randperm({n})", lambda L, n=n: L.randperm(n), 19)
    add("randperm(50, float32)", lambda L: L.randperm(50, dtype=L.float32), 19)

    # the in-place family, each dtype it accepts
    for d in (F16, F32, F64):
        for lo, hi in [(-1.7, 3.3), (2.0, 2.5), (-1e3, -1e-3), (1.0, 2.0), (0.0, 0.0)]:
            add(f"uniform_({lo}, {hi}, {d})",
                lambda L, lo=lo, hi=hi, d=d: L.empty(257, dtype=_d(L, d)).uniform_(lo, hi), 3)
        for n in (9, 16, 100):
            for m, s in [(0.5, 2.5), (-3.0, 0.1), (1e3, 7.0), (2.0, 0.0)]:
                add(f"normal_({m}, {s}) [{n}, {d}]",
                    lambda L, n=n, m=m, s=s, d=d: L.empty(n, dtype=_d(L, d)).normal_(m, s), 14)
        for lam in (1.0, 0.5, 3.0):
            add(f"exponential_({lam}, {d})",
                lambda L, lam=lam, d=d: L.empty(40, dtype=_d(L, d)).exponential_(lam), 25)
        for med, sig in [(0.0, 1.0), (0.5, 1.3), (-2.0, 1e-3)]:
            add(f"cauchy_({med}, {sig}, {d})",
                lambda L, med=med, sig=sig, d=d: L.empty(60, dtype=_d(L, d)).cauchy_(med, sig), 4)
        for n in (9, 100):
            for m, s in [(1.0, 2.0), (0.2, 0.7)]:
                add(f"log_normal_({m}, {s}) [{n}, {d}]",
                    lambda L, n=n, m=m, s=s, d=d: L.empty(n, dtype=_d(L, d)).log_normal_(m, s), 5)
    add("uniform_ result rounded up to `to` becomes `from`",
        lambda L: L.empty(10850).uniform_(1.0, 2.0), 80)
    for d in (F16, F32, F64, "int64", "int32", "int16", "uint8"):
        for p in (0.3, 0.9, 0.01):
            add(f"geometric_({p}, {d})",
                lambda L, p=p, d=d: L.empty(50, dtype=_d(L, d)).geometric_(p), 6)
    for d in (F16, F32, F64) + INTS:
        add(f"random_() [{d}]", lambda L, d=d: L.empty(50, dtype=_d(L, d)).random_(), 18)
        add(f"random_(2) [{d}]", lambda L, d=d: L.empty(50, dtype=_d(L, d)).random_(2), 18)
        add(f"random_(1, None) [{d}]",
            lambda L, d=d: L.empty(50, dtype=_d(L, d)).random_(1, None), 18)
        add(f"bernoulli_(0.3) [{d}]", lambda L, d=d: L.empty(5, 41, dtype=_d(L, d)).bernoulli_(0.3),
            22)
        add(f"bernoulli_(p tensor) [{d}]", lambda L, d=d: L.empty(4, 33, dtype=_d(L, d)).bernoulli_(
            L.linspace(0, 1, 33)), 22)
    for d in ("int64", F32, F64):
        add(f"random_(-5, 2**33) [{d}]",
            lambda L, d=d: L.empty(50, dtype=_d(L, d)).random_(-5, 2**33))
        add(f"random_(-2**63, None) [{d}]",
            lambda L, d=d: L.empty(50, dtype=_d(L, d)).random_(-2**63, None))

    # non-contiguous tensors are filled in memory order (and small/strided normal_ per element)
    views = {"t()": lambda L, d: L.zeros(6, 5, dtype=d).t(),
             "[:, ::2]": lambda L, d: L.zeros(6, 8, dtype=d)[:, ::2],
             "permute(2, 0, 1)": lambda L, d: L.zeros(2, 3, 4, dtype=d).permute(2, 0, 1),
             "t()[1:]": lambda L, d: L.zeros(6, 5, dtype=d).t()[1:]}
    fills = {"normal_(1, 2)": lambda L, x: x.normal_(1.0, 2.0),
             "uniform_(-1, 2)": lambda L, x: x.uniform_(-1, 2),
             "exponential_()": lambda L, x: x.exponential_(),
             "cauchy_()": lambda L, x: x.cauchy_(),
             "log_normal_()": lambda L, x: x.log_normal_(),
             "geometric_(0.4)": lambda L, x: x.geometric_(0.4),
             "bernoulli_(0.5)": lambda L, x: x.bernoulli_(0.5),
             "bernoulli_(p)": lambda L, x: x.bernoulli_(L.linspace(0, 1, x.shape[-1])),
             "random_(0, 9)": lambda L, x: x.random_(0, 9),
             "random_()": lambda L, x: x.random_()}
    for vname, view in views.items():
        for fname, fill in fills.items():
            for d in (F32, F64):
                add(f"{vname}.{fname} [{d}]",
                    lambda L, view=view, fill=fill, d=d: fill(L, view(L, _d(L, d))), 15)

    # sampling functions
    rng = np.random.default_rng(0)
    for d in (F32, F64):
        for ms, ss in [((40,), (40,)), ((3, 1), (1, 20)), ((2, 9), (9,))]:
            mean, std = rng.normal(size=ms), rng.random(ss) + 0.5
            add(f"normal(T{ms}, T{ss}) [{d}]", lambda L, m=mean, s=std, d=d: L.normal(
                L.tensor(m, dtype=_d(L, d)), L.tensor(s, dtype=_d(L, d))), 14)
            add(f"normal(T{ms}, 1.7) [{d}]",
                lambda L, m=mean, d=d: L.normal(L.tensor(m, dtype=_d(L, d)), 1.7), 14)
            add(f"normal(0.3, T{ss}) [{d}]",
                lambda L, s=std, d=d: L.normal(0.3, L.tensor(s, dtype=_d(L, d))), 14)
        add(f"normal(2, 3, size) [{d}]", lambda L, d=d: L.normal(2.0, 3.0, (5, 7), dtype=_d(L, d)))
    add("normal(T32, T64)", lambda L: L.normal(L.zeros(20), L.full((20,), 1.3, dtype=L.float64)))
    add("normal(T64, T32)", lambda L: L.normal(L.zeros(20, dtype=L.float64), L.full((20,), 1.3)))
    for d in (F16, F32, F64):
        add(f"bernoulli(p) [{d}]",
            lambda L, d=d: L.bernoulli(L.linspace(0, 1, 100, dtype=_d(L, d))), 21)
        add(f"bernoulli(x, 0.3) [{d}]",
            lambda L, d=d: L.bernoulli(L.zeros(7, 9, dtype=_d(L, d)), 0.3), 21)
        add(f"bernoulli(p.t()) [{d}]",
            lambda L, d=d: L.bernoulli(L.linspace(0, 1, 20, dtype=_d(L, d)).reshape(4, 5).t()), 21)
    add("x.bernoulli()", lambda L: L.linspace(0, 1, 30).bernoulli(), 21)
    add("x.bernoulli(0.3)", lambda L: L.zeros(30, dtype=L.float64).bernoulli(0.3), 21)
    add("randn_like(x, dtype=float64)", lambda L: L.randn_like(L.zeros(5, 4).t(), dtype=L.float64))
    for d in (F32, F64):
        for shape, k, repl in [((10,), 1, True), ((3, 7), 4, True), ((2, 1000), 25, True),
                               ((10,), 1, False), ((3, 7), 4, False), ((2, 1000), 6, False)]:
            probs = np.random.default_rng(1).random(shape)
            probs[..., 2] = 0
            add(f"multinomial({shape}, {k}, {repl}) [{d}]", lambda L, p=probs, k=k, r=repl, d=d:
                L.multinomial(L.tensor(p, dtype=_d(L, d)), k, r), 24)
    for name, like in [("rand_like", lambda L, x: L.rand_like(x)),
                       ("randn_like", lambda L, x: L.randn_like(x)),
                       ("randint_like", lambda L, x: L.randint_like(x, -3, 40))]:
        for xname, make in [("zeros(20)", lambda L: L.zeros(20)),
                            ("zeros(6, 5).t()", lambda L: L.zeros(6, 5).t()),
                            ("zeros(4, 8, float64)[:, ::2]",
                             lambda L: L.zeros(4, 8, dtype=L.float64)[:, ::2])]:
            add(f"{name}({xname})", lambda L, like=like, make=make: like(L, make(L)), 8)

    # dropout masks and samplers inside nn
    for d in (F32, F64):
        for p in (0.1, 0.5, 0.9):
            add(f"dropout({p}) [{d}]", lambda L, p=p, d=d: L.nn.functional.dropout(
                L.ones(4, 33, dtype=_d(L, d)) + 2, p), 23)
        add(f"dropout(x.t()) [{d}]",
            lambda L, d=d: L.nn.functional.dropout(L.ones(5, 6, dtype=_d(L, d)).t(), 0.4), 23)
        add(f"alpha_dropout [{d}]",
            lambda L, d=d: L.nn.functional.alpha_dropout(L.ones(40, dtype=_d(L, d)), 0.3, True))
        add(f"feature_alpha_dropout [{d}]", lambda L, d=d: L.nn.functional.feature_alpha_dropout(
            L.ones(4, 6, 3, 3, dtype=_d(L, d)), 0.3, True))
        add(f"dropout2d [{d}]",
            lambda L, d=d: L.nn.functional.dropout2d(L.ones(4, 6, 3, 3, dtype=_d(L, d)), 0.3))
    add("nn.Dropout module", lambda L: L.nn.Dropout(0.25)(L.ones(8, 8)))
    add("rrelu(0.1, 0.4)", lambda L: _rrelu(L, 0.1, 0.4), 2)

    # nn.init and module construction
    I = "nn.init"
    for d in (F32, F64):
        for name, call in [
            ("uniform_(-2, 3)", lambda L, w: L.nn.init.uniform_(w, -2.0, 3.0)),
            ("normal_(0.5, 2)", lambda L, w: L.nn.init.normal_(w, 0.5, 2.0)),
            ("trunc_normal_()", lambda L, w: L.nn.init.trunc_normal_(w)),
            ("trunc_normal_(narrow)", lambda L, w: L.nn.init.trunc_normal_(w, 0.0, 1.0, 1.0, 1.5)),
            ("xavier_uniform_", lambda L, w: L.nn.init.xavier_uniform_(w)),
            ("xavier_normal_", lambda L, w: L.nn.init.xavier_normal_(w)),
            ("kaiming_uniform_", lambda L, w: L.nn.init.kaiming_uniform_(w, a=math.sqrt(5))),
            ("kaiming_normal_", lambda L, w: L.nn.init.kaiming_normal_(w)),
            ("sparse_", lambda L, w: L.nn.init.sparse_(w, 0.3)),
        ]:
            add(f"{I}.{name} [{d}]",
                lambda L, call=call, d=d: call(L, L.empty(12, 10, dtype=_d(L, d))), 9)
        for name, call in [("normal_", lambda L, w: L.nn.init.normal_(w)),
                           ("trunc_normal_", lambda L, w: L.nn.init.trunc_normal_(w, 0.0, 1.0, -1, 1)),
                           ("kaiming_uniform_", lambda L, w: L.nn.init.kaiming_uniform_(w))]:
            add(f"{I}.{name} on w.t() [{d}]",
                lambda L, call=call, d=d: call(L, L.empty(12, 10, dtype=_d(L, d)).t()), 9)
    for mname, make in [("Linear(20, 30)", lambda nn: nn.Linear(20, 30)),
                        ("Embedding(10, 3)", lambda nn: nn.Embedding(10, 3)),
                        ("Embedding(7, 3, padding_idx=1)",
                         lambda nn: nn.Embedding(7, 3, padding_idx=1)),
                        ("Conv2d(3, 4, 3)", lambda nn: nn.Conv2d(3, 4, 3)),
                        ("LSTM(5, 7)", lambda nn: nn.LSTM(5, 7)),
                        ("MultiheadAttention(8, 2)", lambda nn: nn.MultiheadAttention(8, 2))]:
        add(mname, lambda L, make=make: _module(L, make), 10)
    return out


# *** running the table ***

def _arrays(out: Any) -> list:
    outs = out if isinstance(out, tuple) else (out,)
    return [o.detach() for o in outs]


def _compare(a: Any, b: Any) -> str | None:
    x, y = a.numpy(), b.numpy()
    if x.dtype != y.dtype or x.shape != y.shape:
        return f"dtype/shape {x.dtype}{x.shape} vs torch {y.dtype}{y.shape}"
    if tuple(a.stride()) != tuple(b.stride()) and x.size > 1:
        return f"strides {tuple(a.stride())} vs torch {tuple(b.stride())}"
    if x.size == 0:
        return None
    xb, yb = (np.ascontiguousarray(v).reshape(-1).view(np.uint8).reshape(x.size, -1)
              for v in (x, y))
    bad = int(np.any(xb != yb, axis=1).sum())
    return f"{bad} of {x.size} values differ" if bad else None


def run() -> dict:
    import torch

    import ndgrad
    from ndgrad import _random_kernels

    failures, table = {}, cases()
    for name, seed, fn in table:
        got = []
        for L in (ndgrad, torch):
            L.manual_seed(seed)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = _arrays(fn(L))
                got.append((out, L.get_rng_state().numpy().tobytes()))
            except Exception as e:  # noqa: BLE001  (reported as this case's failure)
                got.append(f"{type(e).__name__}: {e}"[:200])
        if any(isinstance(g, str) for g in got):
            failures[name] = f"ndgrad: {got[0]}" if isinstance(got[0], str) else f"torch: {got[1]}"
            continue
        (ours, our_state), (theirs, their_state) = got
        errs = [e for e in map(_compare, ours, theirs) if e] if len(ours) == len(theirs) else \
            [f"{len(ours)} outputs vs torch {len(theirs)}"]
        if our_state != their_state:
            errs.append("generator state differs afterwards")
        if errs:
            failures[name] = "; ".join(errs)
    return {"torch_capability": torch.backends.cpu.get_cpu_capability().lower(),
            "ndgrad_capability": _random_kernels.CPU_CAPABILITY,
            "libm_is_glibc": _random_kernels.LIBM_IS_GLIBC, "cases": len(table),
            "failures": failures}


if __name__ == "__main__":
    print(json.dumps(run()))
    sys.exit(0)
