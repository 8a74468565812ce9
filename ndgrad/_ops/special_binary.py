"""Two-argument special functions: xlog1py and the Hurwitz zeta (each with torch's three
overloads: tensor-tensor, number-tensor, tensor-number) and the regularized incomplete gammas
igamma/igammac."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from . import _special_math
from ._registry import primitive
from .pointwise import FEW_BINARY_SHAPES, FEW_UNARY_SHAPES, _bad_args, _float, _not_for, where
from .pointwise import _promote, _result_np
from .special import _scipy


def _float_pair(x: Any, y: Any) -> tuple:
    """x and y as arrays of their torch result type, made floating (numbers become 0-d)."""
    dt = _float(np.empty(0, _result_np(x, y))).dtype
    return np.asarray(x, dtype=dt), np.asarray(y, dtype=dt)


def _dispatch(name: str, tensor_tensor: Any, scalar_self: Any, scalar_other: Any) -> Any:
    """The public function of a binary op with torch's three overloads."""

    def fn(input: Any, other: Any) -> Tensor:
        if isinstance(input, Tensor):
            if isinstance(other, Tensor):
                return tensor_tensor.public(input, other)
            return scalar_other.public(input, other=other)
        if not isinstance(other, Tensor):
            raise _bad_args(name, (input, other), "TSN")
        return scalar_self.public(other, input=input)

    return fn


def _torch_special(name: str) -> Any:
    return lambda torch, *args, **kw: getattr(torch.special, name)(*args, **kw)


# *** xlog1py: x log(1 + y), 0 where x == 0 ***

def _xlog1py(x: Any, y: Any) -> np.ndarray:
    x, y = _float_pair(x, y)
    with np.errstate(all="ignore"):
        return np.where((x == 0) & ~np.isnan(y), np.zeros((), x.dtype), x * np.log1p(y))


def _xlog1py_grad_input(grad: Tensor, input: Any, other: Any) -> Tensor:
    # log1p(y), but 0 where x == 0 and y <= -1 (torch's choice)
    g = xlog1py(grad, other)
    return where((input == 0) & (other <= -1), 0.0, g) if isinstance(input, Tensor) else g


@primitive("special_xlog1py", grad_fn="SpecialXlog1PyBackward0", export=False,
           shapes=FEW_BINARY_SHAPES, domain={"input": (-2.0, 2.0), "other": (-0.5, 2.0)},
           torch_fn=_torch_special("xlog1py"))
def _xlog1py_tensor(input, other):
    return _xlog1py(input, other)


@_xlog1py_tensor.vjp
def _(grad, input, other, needs_input_grad):
    return (_xlog1py_grad_input(grad, input, other) if needs_input_grad[0] else None,
            grad * input / (other + 1) if needs_input_grad[1] else None)


@primitive("special_xlog1py_scalar_self", grad_fn="SpecialXlog1PyBackward1", export=False,
           inputs=("other",), shapes=FEW_UNARY_SHAPES, attrs={"input": 1.5}, domain=(-0.5, 2.0),
           torch_fn=lambda torch, y, input: torch.special.xlog1py(input, y))
def _xlog1py_scalar_self(other, *, input):
    return _xlog1py(input, other)


@_xlog1py_scalar_self.vjp
def _(grad, other, *, input):
    return grad * input / (other + 1)


@primitive("special_xlog1py_scalar_other", grad_fn="SpecialXlog1PyBackward2", export=False,
           shapes=FEW_UNARY_SHAPES, attrs={"other": 1.5},
           torch_fn=lambda torch, x, other: torch.special.xlog1py(x, other))
def _xlog1py_scalar_other(input, *, other):
    return _xlog1py(input, other)


@_xlog1py_scalar_other.vjp
def _(grad, input, *, other):
    g = xlog1py(grad, other)
    return g if other > -1 else where(input == 0, 0.0, g)


xlog1py = _dispatch("special_xlog1py", _xlog1py_tensor, _xlog1py_scalar_self,
                    _xlog1py_scalar_other)
xlog1py.__name__ = xlog1py.__qualname__ = "xlog1py"
xlog1py.__doc__ = """input * log1p(other), and 0 where input == 0 (unless other is NaN).

    Example::
        >>> ndgrad.special.xlog1py(ndgrad.tensor([0., 2.]), ndgrad.tensor([-1., 0.]))
        tensor([0., 0.])
    """


# *** the Hurwitz zeta function ζ(x, q) ***

def _zeta(x: Any, q: Any) -> np.ndarray:
    x, q = _float_pair(x, q)
    return _special_math.zeta(x, q).astype(x.dtype, copy=False)


def _zeta_not_differentiable() -> NotImplementedError:
    return NotImplementedError("the derivative for 'zeta' is not implemented.")


@primitive("special_zeta", grad_fn="SpecialZetaBackward0", export=False, shapes=FEW_BINARY_SHAPES,
           domain={"input": (2.0, 4.0), "other": (0.5, 2.0)}, nondiff_inputs=("input",),
           torch_fn=_torch_special("zeta"))
def _zeta_tensor(input, other):
    return _zeta(input, other)


@_zeta_tensor.vjp
def _(grad, input, other, needs_input_grad):
    if needs_input_grad[0]:
        raise _zeta_not_differentiable()
    return None, grad * -input * zeta(input + 1.0, other)  # d/dq ζ(x, q) = -x ζ(x + 1, q)


@_zeta_tensor.jvp
def _(input_t, other_t, input, other, needs_input_grad):
    if input_t is not None:
        raise _zeta_not_differentiable()
    return other_t * -input * zeta(input + 1.0, other)


@primitive("special_zeta_scalar_self", grad_fn="SpecialZetaBackward1", export=False,
           inputs=("other",), shapes=FEW_UNARY_SHAPES, attrs={"input": 2.5}, domain=(0.5, 2.0),
           torch_fn=lambda torch, q, input: torch.special.zeta(input, q))
def _zeta_scalar_self(other, *, input):
    return _zeta(input, other)


@_zeta_scalar_self.vjp
def _(grad, other, *, input):
    return grad * -input * zeta(input + 1.0, other)


@primitive("special_zeta_scalar_other", grad_fn="SpecialZetaBackward2", export=False,
           shapes=FEW_UNARY_SHAPES, attrs={"other": 1.5}, domain=(2.0, 4.0),
           torch_fn=lambda torch, x, other: torch.special.zeta(x, other), nondiff_inputs=("input",))
def _zeta_scalar_other(input, *, other):
    return _zeta(input, other)


@_zeta_scalar_other.vjp
def _(grad, input, *, other):
    raise _zeta_not_differentiable()


zeta = _dispatch("special_zeta", _zeta_tensor, _zeta_scalar_self, _zeta_scalar_other)
zeta.__name__ = zeta.__qualname__ = "zeta"
zeta.__doc__ = """The Hurwitz zeta function Σ_k (k + other)^-input.

    Example::
        >>> ndgrad.special.zeta(ndgrad.tensor([2.]), ndgrad.tensor([1.]))
        tensor([1.6449])
    """


# *** regularized incomplete gamma functions ***

def _igamma_args(input: Any, other: Any, name: str) -> tuple:
    for pos, (arg, x) in enumerate((("input", input), ("other", other))):
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos + 1}) must be Tensor, not "
                            f"{type(x).__name__}")
    a, x = _promote(input, other)
    if a.dtype.kind != "f":
        raise _not_for(f"{name}_cpu", a.dtype)
    return a, x


def _igamma_nan_edges(a: np.ndarray, x: np.ndarray, out: np.ndarray, lower: bool) -> np.ndarray:
    """torch tests x == 0 and infinities before NaN: one NaN argument can still give 0 or 1."""
    a, x = np.broadcast_arrays(a, x)
    decided_low = (np.isnan(a) & (x == 0)) | ((a == np.inf) & np.isnan(x))
    decided_high = np.isnan(a) & (x == np.inf)
    if decided_low.any() or decided_high.any():
        out = np.array(out, copy=True)
        out[decided_low], out[decided_high] = (0, 1) if lower else (1, 0)
    return out


def _igamma_density(input: Tensor, other: Tensor) -> Tensor:
    """x^(a-1) e^-x / Γ(a): the derivative of igamma(a, x) in x."""
    from .special import lgamma

    return ((input - 1) * other.log() - other - lgamma(input)).exp()


def _igamma_self_error() -> NotImplementedError:
    return NotImplementedError("the derivative for 'igamma: input' is not implemented.")


@primitive("igamma", inplace=True, grad_fn="IgammaBackward0", shapes=FEW_BINARY_SHAPES,
           domain={"input": (0.5, 3.0), "other": (0.5, 3.0)}, nondiff_inputs=("input",))
def igamma(input, other):
    """The regularized lower incomplete gamma function P(input, other).

    Example::
        >>> ndgrad.igamma(ndgrad.tensor([1.]), ndgrad.tensor([0.]))
        tensor([0.])
    """
    a, x = _igamma_args(input, other, "igamma")
    return _igamma_nan_edges(a, x, _scipy("gammainc", x, a), lower=True)


@igamma.vjp
def _(grad, input, other, needs_input_grad):
    if needs_input_grad[0]:
        raise _igamma_self_error()
    return None, grad * _igamma_density(input, other)


@igamma.jvp
def _(input_t, other_t, input, other, needs_input_grad):
    if input_t is not None:
        raise _igamma_self_error()
    return other_t * _igamma_density(input, other)


@primitive("igammac", inplace=True, grad_fn="IgammacBackward0", shapes=FEW_BINARY_SHAPES,
           domain={"input": (0.5, 3.0), "other": (0.5, 3.0)}, nondiff_inputs=("input",))
def igammac(input, other):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P(input, other).

    Example::
        >>> ndgrad.igammac(ndgrad.tensor([1.]), ndgrad.tensor([0.]))
        tensor([1.])
    """
    a, x = _igamma_args(input, other, "igammac")
    return _igamma_nan_edges(a, x, _scipy("gammaincc", x, a), lower=False)


@igammac.vjp
def _(grad, input, other, needs_input_grad):
    if needs_input_grad[0]:
        raise NotImplementedError("the derivative for 'igammac: input' is not implemented.")
    return None, -grad * _igamma_density(input, other)


@igammac.jvp
def _(input_t, other_t, input, other, needs_input_grad):
    if input_t is not None:
        raise NotImplementedError("the derivative for 'igammac: input' is not implemented.")
    return -other_t * _igamma_density(input, other)

