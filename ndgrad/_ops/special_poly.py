"""torch.special's orthogonal polynomials (Chebyshev T/U/V/W and their shifted forms, Hermite,
Laguerre, Legendre) and its Bessel, Airy and scaled Bessel functions: forward only, as in torch
(the outputs never require grad). Polynomials follow torch's kernels: the degree n is truncated
to an integer, negative degrees give 0, closed forms replace the recurrence where torch uses
them."""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ._registry import primitive
from .pointwise import FEW_BINARY_SHAPES, FEW_UNARY_SHAPES, _float, _result_np
from .special import _scipy, _scipy_bessel_i

_INT64_MIN = np.iinfo(np.int64).min


def _degree(n: np.ndarray) -> np.ndarray:
    """static_cast<int64_t>(n) as x86 does it: nan, inf and out-of-range become INT64_MIN."""
    if n.dtype.kind in "biu":
        return n.astype(np.int64)
    ok = np.isfinite(n) & (np.abs(n) < 2.0 ** 63)
    return np.where(ok, np.trunc(np.where(ok, n, 0)), _INT64_MIN).astype(np.int64)


_LONG = 2000  # degrees above this, where the recurrence stays bounded, go to SciPy's C loop


def _recurrence(x: np.ndarray, n: np.ndarray, q0: np.ndarray, step: Callable, start: int,
                bounded: np.ndarray | None = None, scipy_eval: str = "") -> np.ndarray:
    """Run p, q = q, step(k, p, q) for k = start .. while k is below each element's degree n.

    An element stops early once q is nan (it stays nan: the recurrence overflowed). Elements whose
    values stay bounded (`bounded`) and whose degree is above _LONG are evaluated by
    scipy.special.<scipy_eval> instead of a Python-level loop of n steps."""
    p, q = np.ones_like(x), q0.copy()
    live = n > start
    if bounded is not None:
        long = live & bounded & (n > _LONG)
        if long.any():
            import scipy.special

            q[long] = getattr(scipy.special, scipy_eval)(n[long], x[long])
            live &= ~long
    k = start
    while live.any():
        idx = np.nonzero(live)[0]
        r = step(k, x[idx], p[idx], q[idx])
        p[idx], q[idx] = q[idx], r
        k += 1
        live[idx] = (n[idx] > k) & ~np.isnan(r)
    return q


def _chebyshev(kind: str, x: np.ndarray, n: np.ndarray, shifted: bool) -> np.ndarray:
    """T/U/V/W_n(y) with y = x (or 2x - 1 when shifted): torch's case analysis, then recurrence."""
    y = x + x - 1 if shifted else x
    one = np.ones((), x.dtype)
    out = np.zeros_like(x)
    nf = n.astype(x.dtype)
    odd = (n % 2) == 1
    # the endpoint values: y = 1 and y = -1 (x = 1 and x = 0 when shifted)
    top = (x == 1) if shifted else (np.abs(x) == 1) & (x > 0)
    bottom = (x == 0) if shifted else (np.abs(x) == 1) & (x < 0)
    sign = np.where(odd, -one, one)
    ends = {"t": (one, sign), "u": (nf + 1, sign * (nf + 1)),
            "v": (one, sign * (2 * nf + 1)), "w": (2 * nf + 1, sign)}[kind]
    closed_from = {"t": 6, "u": 8, "v": 8, "w": 8}[kind] if not shifted else \
        {"t": 6, "u": 6, "v": 6, "w": 4}[kind]
    with np.errstate(all="ignore"):
        theta = np.arccos(np.where(np.abs(y) < 1, y, 0))
        if kind == "t":
            closed = np.cos(nf * theta)
        elif kind == "u":
            s = np.sin(theta)
            closed = np.where(s != 0, np.sin((nf + 1) * theta) / np.where(s != 0, s, 1),
                              (nf + 1) * np.cos((nf + 1) * theta) / y)
        elif kind == "v":
            closed = np.where(np.sin(theta / 2) != 1,
                              np.cos((nf + 0.5) * theta) / np.cos(theta / 2), sign * (2 * nf + 1))
        else:
            fallback = np.where(y > 0, 2 * nf + 1, sign) if not shifted else sign
            closed = np.where(np.cos(theta / 2) != 1,
                              np.sin((nf + 0.5) * theta) / np.sin(theta / 2), fallback)
        first = {"t": y, "u": y + y, "v": y + y - 1, "w": y + y + 1}[kind]
        rest = (n >= 0) & ~top & ~bottom
        use_closed = rest & (n > closed_from) & (np.abs(y) < 1)
        recur = rest & ~use_closed & (n >= 1)
        out[recur] = _recurrence(y[recur], n[recur], first[recur],
                                 lambda k, yy, p, q: (yy + yy) * q - p, 1)
    out = np.where(use_closed, closed, out)
    out = np.where(rest & (n == 0), one, out)
    out = np.where((n >= 0) & top, np.broadcast_to(ends[0], x.shape), out)
    out = np.where((n >= 0) & bottom & ~top, np.broadcast_to(ends[1], x.shape), out)
    return out.astype(x.dtype, copy=False)


def _hermite_h(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = np.where(n == 0, np.ones((), x.dtype), np.zeros((), x.dtype))
    recur = n >= 1
    with np.errstate(all="ignore"):
        out[recur] = _recurrence(x[recur], n[recur], 2 * x[recur],
                                 lambda k, xx, p, q: (xx + xx) * q - (2 * k) * p, 1)
    return out


def _hermite_he(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = np.where(n == 0, np.ones((), x.dtype), np.zeros((), x.dtype))
    recur = n >= 1
    with np.errstate(all="ignore"):
        out[recur] = _recurrence(x[recur], n[recur], x[recur],
                                 lambda k, xx, p, q: xx * q - k * p, 1)
    return out


def _laguerre(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = np.where((n >= 0) & ((x == 0) | (n == 0)), np.ones((), x.dtype), np.zeros((), x.dtype))
    recur = (n >= 1) & (x != 0)
    with np.errstate(all="ignore"):
        out[recur] = _recurrence(x[recur], n[recur], 1 - x[recur],
                                 lambda k, xx, p, q: (((k + k) + (1 - xx)) * q - k * p) / (k + 1),
                                 1, x[recur] > 0, "eval_laguerre")
    return out


def _legendre(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    one = np.ones((), x.dtype)
    edge = (n >= 0) & (np.abs(x) == 1)
    out = np.where(edge, np.where((x > 0) | (n % 2 == 0), one, -one), np.zeros((), x.dtype))
    out = np.where((n == 0) & ~edge, one, out)
    recur = (n >= 1) & ~edge
    with np.errstate(all="ignore"):
        out[recur] = _recurrence(x[recur], n[recur], x[recur],
                                 lambda k, xx, p, q: ((k + k + 1) * xx * q - k * p) / (k + 1), 1,
                                 np.abs(x[recur]) < 1, "eval_legendre")
    return out


def _polynomial_args(name: str, x: Any, n: Any) -> tuple:
    if not isinstance(x, np.ndarray) and not isinstance(n, np.ndarray):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(x).__name__}, {type(n).__name__}), but expected one of:\n"
                        " * (Tensor x, Tensor n, *, Tensor out = None)\n"
                        " * (Number x, Tensor n, *, Tensor out = None)\n"
                        " * (Tensor x, Number n, *, Tensor out = None)\n")
    dt = _float(np.empty(0, _result_np(x, n))).dtype
    x, n = np.broadcast_arrays(np.asarray(x, dtype=dt), np.asarray(n, dtype=dt))
    # float64 arithmetic for every dtype: float32 results round once, at the end
    return x.reshape(-1).astype(np.float64), _degree(n.reshape(-1)), x.shape, dt


def _polynomial(name: str, kernel: Callable, doc: str) -> Any:
    def forward(x, n):
        xs, ns, shape, dt = _polynomial_args("special_" + name, x, n)
        with np.errstate(over="ignore"):
            return kernel(xs, ns).reshape(shape).astype(dt)

    forward.__name__ = name
    forward.__doc__ = doc
    return primitive("special_" + name, differentiable=False, export=False, inputs=("x", "n"),
                     samples=[(s, {}) for s in FEW_BINARY_SHAPES], domain={"n": (0.0, 9.0)},
                     torch_fn=lambda torch, x, n: getattr(torch.special, name)(x, n))(forward)


# name: (kernel, torch's value at x = 0.3, n = 2: the docstring example)
_KERNELS = {
    "chebyshev_polynomial_t": (lambda x, n: _chebyshev("t", x, n, False), "-0.8200"),
    "chebyshev_polynomial_u": (lambda x, n: _chebyshev("u", x, n, False), "-0.6400"),
    "chebyshev_polynomial_v": (lambda x, n: _chebyshev("v", x, n, False), "-1.2400"),
    "chebyshev_polynomial_w": (lambda x, n: _chebyshev("w", x, n, False), "-0.0400"),
    "shifted_chebyshev_polynomial_t": (lambda x, n: _chebyshev("t", x, n, True), "-0.6800"),
    "shifted_chebyshev_polynomial_u": (lambda x, n: _chebyshev("u", x, n, True), "-0.3600"),
    "shifted_chebyshev_polynomial_v": (lambda x, n: _chebyshev("v", x, n, True), "0.4400"),
    "shifted_chebyshev_polynomial_w": (lambda x, n: _chebyshev("w", x, n, True), "-1.1600"),
    "hermite_polynomial_h": (_hermite_h, "-1.6400"),
    "hermite_polynomial_he": (_hermite_he, "-0.9100"),
    "laguerre_polynomial_l": (_laguerre, "0.4450"),
    "legendre_polynomial_p": (_legendre, "-0.3650"),
}


def _polynomial_doc(name: str, value: str) -> str:
    what = name.replace("_polynomial_", " polynomial ").replace("_", " ")
    return (f"The {what} of degree n at x (n truncated to an integer; no gradient, as in "
            f"torch).\n\n    Example::\n        >>> ndgrad.special.{name}(ndgrad.tensor([0.3]), "
            f"2)\n        tensor([{value}])\n")


POLYNOMIALS = {name: _polynomial(name, kernel, _polynomial_doc(name, value))
               for name, (kernel, value) in _KERNELS.items()}


# *** Bessel and Airy functions (forward only) ***

_AIRY_ZERO_FROM = 103.892  # above this Ai underflows: torch (Cephes) returns 0


def _airy_ai(x: np.ndarray) -> np.ndarray:
    import scipy.special

    with np.errstate(all="ignore"):
        out = scipy.special.airy(x)[0]
        # far left, torch keeps the leading asymptotic term sin(ζ + π/4) / (√π x^¼) where SciPy
        # gives nan; ζ = 2/3 (-x)^{3/2} formed as torch forms it
        t = np.sqrt(-x)
        zeta = -2.0 * x * t / 3.0
        far = np.sin(zeta + math.pi / 4) / (math.sqrt(math.pi) * np.sqrt(t))
    out = np.where(x < -1e5, far, out)
    out = np.where((x > _AIRY_ZERO_FROM) & np.isfinite(x), 0.0, out)
    return np.where(np.isinf(x), np.nan, out).astype(x.dtype)


def _spherical_j0(x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = np.sin(x) / x
    out = np.where(np.isinf(x), np.zeros((), x.dtype), out)
    return np.where(x == 0, np.ones((), x.dtype), out).astype(x.dtype, copy=False)


_BESSEL = {  # torch name: (computation, example input, example output)
    "airy_ai": (_airy_ai, "1.", "0.1353"),
    "bessel_j0": (lambda x: _scipy("j0", x), "1.", "0.7652"),
    "bessel_j1": (lambda x: _scipy("j1", x), "1.", "0.4401"),
    "bessel_y0": (lambda x: _scipy("y0", x), "1.", "0.0883"),
    "bessel_y1": (lambda x: _scipy("y1", x), "1.", "-0.7812"),
    "modified_bessel_i0": (lambda x: _scipy_bessel_i("i0", x), "1.", "1.2661"),
    "modified_bessel_i1": (lambda x: _scipy_bessel_i("i1", x), "1.", "0.5652"),
    "modified_bessel_k0": (lambda x: _scipy("k0", x), "1.", "0.4210"),
    "modified_bessel_k1": (lambda x: _scipy("k1", x), "1.", "0.6019"),
    "scaled_modified_bessel_k0": (lambda x: _scipy("k0e", x), "1.", "1.1445"),
    "scaled_modified_bessel_k1": (lambda x: _scipy("k1e", x), "1.", "1.6362"),
    "spherical_bessel_j0": (_spherical_j0, "1.", "0.8415"),
}


def _bessel(name: str, compute: Callable, example_in: str, example_out: str) -> Any:
    def forward(input):
        return compute(input)

    forward.__name__ = name
    forward.__doc__ = (f"torch.special.{name}, elementwise (no gradient, as in torch).\n\n"
                       f"    Example::\n        >>> ndgrad.special.{name}(ndgrad.tensor("
                       f"[{example_in}]))\n        tensor([{example_out}])\n")
    positive = name.startswith(("bessel_y", "modified_bessel_k", "scaled_modified_bessel_k"))
    return primitive("special_" + name, differentiable=False, export=False, promote="float",
                     shapes=FEW_UNARY_SHAPES, domain=(0.5, 3.0) if positive else (-2.0, 2.0),
                     torch_fn=lambda torch, x: getattr(torch.special, name)(x))(forward)


BESSEL = {name: _bessel(name, *spec) for name, spec in _BESSEL.items()}

