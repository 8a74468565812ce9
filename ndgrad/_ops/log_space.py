"""Arithmetic on logarithms: logaddexp, logaddexp2 and the running logcumsumexp."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._registry import primitive
from .pointwise import FEW_BINARY_SHAPES, _not_for, where
from .reduction import _dim1

_LN2 = math.log(2.0)


def _floats_only(kernel: str, *xs: np.ndarray, complex_ok: bool = False) -> None:
    for x in xs:
        if isinstance(x, np.ndarray) and x.dtype.kind not in ("fc" if complex_ok else "f"):
            raise _not_for(kernel, x.dtype)


def _logaddexp_complex(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """torch's complex log-add-exp: the operand of larger real part plus log1p(exp(difference));
    NaN anywhere gives NaN, two equal infinite real parts are handled apart."""
    a, b = np.broadcast_arrays(a, b)
    a_first = np.real(a) < np.real(b)
    low, top = np.where(a_first, a, b), np.where(a_first, b, a)
    with np.errstate(all="ignore"):
        out = top + np.log1p(np.exp(low - top))
        both_inf = ~np.isfinite(np.real(low)) & (np.real(low) == np.real(top))
        out = np.where(both_inf, np.where(np.real(low) < 0, low,
                                          np.log(np.exp(low) + np.exp(top))), out)
    nan = np.isnan(a) | np.isnan(b)  # NumPy's isnan is true if either part is NaN
    return np.where(nan, complex(np.nan, np.nan), out).astype(np.result_type(a, b))


@primitive("logaddexp", complex="holomorphic", grad_fn="LogaddexpBackward0", promote="binary",
           shapes=FEW_BINARY_SHAPES)
def logaddexp(input, other):
    """log(exp(input) + exp(other)), without overflow.

    Example::
        >>> ndgrad.logaddexp(ndgrad.tensor([0.]), ndgrad.tensor([0.]))
        tensor([0.6931])
    """
    _floats_only("logaddexp_cpu", input, other, complex_ok=True)
    if np.iscomplexobj(input) or np.iscomplexobj(other):
        return _logaddexp_complex(np.asarray(input), np.asarray(other))
    return np.logaddexp(input, other)


@logaddexp.vjp
def _(grad, input, other, needs_input_grad):
    # d/dx log(e^x + e^y) = 1 / (1 + e^(y - x))
    return (grad / (1 + (other - input).exp()) if needs_input_grad[0] else None,
            grad / (1 + (input - other).exp()) if needs_input_grad[1] else None)


@primitive("logaddexp2", grad_fn="Logaddexp2Backward0", promote="binary",
           shapes=FEW_BINARY_SHAPES)
def logaddexp2(input, other):
    """log2(2**input + 2**other), without overflow.

    Example::
        >>> ndgrad.logaddexp2(ndgrad.tensor([1.]), ndgrad.tensor([1.]))
        tensor([2.])
    """
    _floats_only("logaddexp2_cpu", input, other)
    return np.logaddexp2(input, other)


@logaddexp2.vjp
def _(grad, input, other, needs_input_grad):
    return (grad / (1 + (other - input).exp2()) if needs_input_grad[0] else None,
            grad / (1 + (input - other).exp2()) if needs_input_grad[1] else None)


@primitive("logcumsumexp", complex=True, grad_fn="LogcumsumexpBackward0", inputs=("input",),
           samples=[((2, 3), {"dim": 1}), ((3, 2), {"dim": 0}), ((), {"dim": 0})])
def logcumsumexp(input, dim):
    """Running log(sum(exp(input))) along `dim`.

    Example::
        >>> ndgrad.logcumsumexp(ndgrad.tensor([0., 0.]), 0)
        tensor([0.0000, 0.6931])
    """
    _floats_only("logcumsumexp_out_cpu", input, complex_ok=True)
    if not input.ndim:
        _dim1(dim, 0)
        return input.copy()
    d = _dim1(dim, input.ndim)
    if not input.size:
        return input.copy()
    if input.dtype.kind != "c":
        return np.logaddexp.accumulate(input, axis=d)
    out = np.moveaxis(input.copy(), d, 0)  # complex: torch's running log-add-exp, step by step
    for i in range(1, out.shape[0]):
        out[i] = _logaddexp_complex(out[i - 1], out[i])
    return np.moveaxis(out, 0, d)


def _reverse_logcumsumexp(x: Tensor, d: int) -> Tensor:
    return x.flip(d).logcumsumexp(d).flip(d)


@logcumsumexp.vjp
def _(grad, input, result, *, dim):
    if not input._data.ndim:
        return grad
    d = _dim1(dim, input._data.ndim)
    if input._data.dtype.kind == "c":  # complex: one log-space accumulation, no sign split
        return (_reverse_logcumsumexp(grad.conj().log() - result, d) + input).exp().conj()
    # torch's stable form: split the cotangent by sign and accumulate each in log space
    lowest = float(np.finfo(grad._data.dtype).min)
    log_abs = grad.abs().log()
    pos = where(grad > 0, log_abs, lowest)
    neg = where(grad < 0, log_abs, lowest)
    return ((_reverse_logcumsumexp(pos - result, d) + input).exp()
            - (_reverse_logcumsumexp(neg - result, d) + input).exp())


@logcumsumexp.jvp
def _(input_t, input, result, *, dim):
    if not input._data.ndim:
        return input_t
    d = _dim1(dim, input._data.ndim)
    if input._data.dtype.kind == "c":  # torch shifts real input only
        w = input.exp()
        return (w * input_t).cumsum(d) / (w.cumsum(d) + 1e-13)
    # dy_j = sum_{i <= j} e^(x_i - y_j) dx_i, with e^x shifted by the max along d; torch adds
    # 1e-13 to the denominator, which shows at 1e-8 where the running sum is far below the max
    top = input.detach().amax(d, keepdim=True) if input._data.size else input.detach()
    top = where(top.isfinite(), top, 0.0)
    w = (input - top).exp()
    return (w * input_t).cumsum(d) / (w.cumsum(d) + 1e-13)
