"""Special functions: erf, erfc, erfinv, lgamma, digamma, polygamma (SciPy, imported on first
use so that `import ndgrad` does not import SciPy) and xlogy; the rest of torch.special lives in
special_fns, special_binary and special_poly."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from . import _special_math
from ._registry import composite, primitive
from .pointwise import FEW_BINARY_SHAPES, FEW_UNARY_SHAPES, _bad_args, _result_np, where

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_HALF_SQRT_PI = math.sqrt(math.pi) / 2.0


def _scipy(name: str, x: np.ndarray, *args: Any) -> np.ndarray:
    """scipy.special.<name>, kept in x's dtype (SciPy computes float16 in float64)."""
    import scipy.special

    return np.asarray(getattr(scipy.special, name)(*args, x), dtype=x.dtype)


def _scipy_bessel_i(name: str, x: np.ndarray) -> np.ndarray:
    """scipy.special.i0 / i1 with torch's float32 overflow: its kernels form exp(|x|) in float32
    first, so the result is infinite from |x| > 88.72 on (the true values stay finite to ~91.9)
    and NaN at ±inf."""
    out = _scipy(name, x)
    if out.dtype != np.float32:
        return out
    with np.errstate(over="ignore"):
        over = np.isinf(np.exp(np.abs(x).astype(np.float32)))
    if not over.any():
        return out
    inf = np.copysign(np.float32(np.inf), x) if name == "i1" else np.float32(np.inf)
    inf = np.where(np.isinf(x), np.float32(np.nan), inf)  # exp(x) / sqrt(x) is inf / inf there
    return np.where(over, inf, out).astype(np.float32)


@primitive("erf", inplace=True, grad_fn="ErfBackward0", promote="float", shapes=FEW_UNARY_SHAPES)
def erf(input):
    """The error function 2/√π ∫₀ˣ exp(-t²) dt.

    Example::
        >>> ndgrad.erf(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return _scipy("erf", input)


@erf.vjp
def _(grad, input):
    return grad * ((-(input * input)).exp() * _TWO_OVER_SQRT_PI)


@primitive("erfc", inplace=True, grad_fn="ErfcBackward0", promote="float", shapes=FEW_UNARY_SHAPES)
def erfc(input):
    """1 - erf(input), accurate for large input.

    Example::
        >>> ndgrad.erfc(ndgrad.tensor([0.]))
        tensor([1.])
    """
    return _scipy("erfc", input)


@erfc.vjp
def _(grad, input):
    return grad * ((-(input * input)).exp() * -_TWO_OVER_SQRT_PI)


@primitive("erfinv", inplace=True, grad_fn="ErfinvBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES, domain=(-0.8, 0.8))
def erfinv(input):
    """The inverse of erf on (-1, 1).

    Example::
        >>> ndgrad.erfinv(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return _scipy("erfinv", input)


@erfinv.vjp
def _(grad, result):
    return grad * ((result * result).exp() * _HALF_SQRT_PI)  # 1 / erf'(erfinv x)


@primitive("lgamma", inplace=True, grad_fn="LgammaBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES, domain=(0.5, 3.0))
def lgamma(input):
    """log |Γ(input)|.

    Example::
        >>> ndgrad.lgamma(ndgrad.tensor([3.]))
        tensor([0.6931])
    """
    out = _scipy("gammaln", input)
    return np.where(input == -np.inf, np.inf, out)  # torch: lgamma(-inf) = +inf


@lgamma.vjp
def _(grad, input):
    return grad * digamma(input)


@primitive("digamma", inplace=True, grad_fn="DigammaBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES, domain=(0.5, 3.0))
def digamma(input):
    """d/dx log Γ(x).

    Example::
        >>> ndgrad.digamma(ndgrad.tensor([1.]))
        tensor([-0.5772])
    """
    return _scipy("psi", input)


@digamma.vjp
def _(grad, input):
    return grad * _polygamma.public(input, n=1)


@primitive("polygamma", grad_fn="PolygammaBackward0", export=False, promote="float",
           shapes=FEW_UNARY_SHAPES, attrs={"n": 1}, domain=(0.5, 3.0),
           torch_fn=lambda torch, x, n: torch.polygamma(n, x))
def _polygamma(input, *, n):
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return _scipy("psi", input)
    return _special_math.polygamma(n, input).astype(input.dtype, copy=False)  # torch's edges


@_polygamma.vjp
def _(grad, input, *, n):
    return grad * _polygamma.public(input, n=n + 1)


@composite("polygamma", method=False)
def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma.

    Example::
        >>> ndgrad.polygamma(1, ndgrad.tensor([1.]))
        tensor([1.6449])
    """
    return _polygamma.public(input, n=n)


@composite("polygamma", export=False, inplace=True)
def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return _polygamma.public(self, n=n)


# *** xlogy ***

def _xlogy(x: Any, y: Any) -> np.ndarray:
    # 0 where x == 0, unless y is NaN; numbers become 0-d arrays so np.log keeps the dtype
    dt = _result_np(x, y)
    dt = dt if dt.kind == "f" else _dtype._Default.float.np
    x, y = np.asarray(x, dtype=dt), np.asarray(y, dtype=dt)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), dt), x * np.log(y))


@primitive("xlogy", grad_fn="XlogyBackward0", export=False, shapes=FEW_BINARY_SHAPES,
           domain={"input": (-2.0, 2.0), "other": (0.5, 2.0)})
def _xlogy_tensor(input, other):
    return _xlogy(input, other)


@_xlogy_tensor.vjp
def _(grad, input, other, needs_input_grad):
    gi = go = None
    if needs_input_grad[0]:  # log y, but 0 where x == 0 and y <= 0 (torch's choice)
        gi = where((input == 0) & (other <= 0), 0.0, xlogy(grad, other))
    if needs_input_grad[1]:
        go = grad * input / other
    return gi, go


@primitive("xlogy_scalar_self", grad_fn="XlogyBackward1", export=False, inputs=("other",),
           shapes=FEW_UNARY_SHAPES, attrs={"input": 1.5}, domain=(0.5, 2.0),
           torch_fn=lambda torch, y, input: torch.xlogy(input, y))
def _xlogy_scalar_self(other, *, input):
    return _xlogy(input, other)


@_xlogy_scalar_self.vjp
def _(grad, other, *, input):
    return grad * input / other


@primitive("xlogy_scalar_other", grad_fn="XlogyBackward2", export=False, shapes=FEW_UNARY_SHAPES,
           attrs={"other": 2.5}, torch_fn=lambda torch, x, other: torch.xlogy(x, other))
def _xlogy_scalar_other(input, *, other):
    return _xlogy(input, other)


@_xlogy_scalar_other.vjp
def _(grad, input, *, other):
    g = xlogy(grad, other)
    return g if other > 0 else where(input == 0, 0.0, g)


@composite("xlogy", inplace=True)
def xlogy(input: Any, other: Any) -> Tensor:
    """input * log(other), and 0 where input == 0 (unless other is NaN).

    Example::
        >>> ndgrad.xlogy(ndgrad.tensor([0., 2.]), ndgrad.tensor([0., 1.]))
        tensor([0., 0.])
    """
    if isinstance(input, Tensor):
        if isinstance(other, Tensor):
            return _xlogy_tensor.public(input, other)
        return _xlogy_scalar_other.public(input, other=other)
    if not isinstance(other, Tensor):
        raise _bad_args("xlogy", (input, other), "TSN")
    return _xlogy_scalar_self.public(other, input=input)

