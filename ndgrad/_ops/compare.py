"""Min/max and clamping (with torch's subgradients at ties and bounds), comparisons, logic
and bitwise ops."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import _TORCH_TYPE_NAMES, Tensor
from ._registry import composite, primitive
from .pointwise import (
    BINARY_SHAPES,
    FEW_BINARY_SHAPES,
    FEW_UNARY_SHAPES,
    UNARY_SHAPES,
    _bad_args,
    _float,
    _need_tensors,
    _promote,
    where,
)

# *** min / max and clamping ***

@primitive("maximum", grad_fn="MaximumBackward0", shapes=FEW_BINARY_SHAPES)
def maximum(input, other):
    """Elementwise maximum (NaN propagates); ties split the gradient in half, as torch does.

    Example::
        >>> ndgrad.maximum(ndgrad.tensor([1., 4.]), ndgrad.tensor([3., 2.]))
        tensor([3., 4.])
    """
    _need_tensors("maximum", input, other)
    return np.maximum(*_promote(input, other))


@maximum.vjp
def _(grad, other, input, needs_input_grad):  # torch's save order
    g = where(input == other, grad / 2, grad)
    return (where(input < other, 0.0, g) if needs_input_grad[0] else None,
            where(input > other, 0.0, g) if needs_input_grad[1] else None)


@primitive("minimum", grad_fn="MinimumBackward0", shapes=FEW_BINARY_SHAPES)
def minimum(input, other):
    """Elementwise minimum (NaN propagates); ties split the gradient in half.

    Example::
        >>> ndgrad.minimum(ndgrad.tensor([1., 4.]), ndgrad.tensor([3., 2.]))
        tensor([1., 2.])
    """
    _need_tensors("minimum", input, other)
    return np.minimum(*_promote(input, other))


@minimum.vjp
def _(grad, other, input, needs_input_grad):  # torch's save order
    g = where(input == other, grad / 2, grad)
    return (where(input > other, 0.0, g) if needs_input_grad[0] else None,
            where(input < other, 0.0, g) if needs_input_grad[1] else None)


@primitive("fmax", grad_fn="FmaxBackward0", shapes=FEW_BINARY_SHAPES)
def fmax(input, other):
    """Elementwise maximum that ignores NaN; the gradient goes to input on ties.

    Example::
        >>> ndgrad.fmax(ndgrad.tensor([1., float("nan")]), ndgrad.tensor([3., 2.]))
        tensor([3., 2.])
    """
    _need_tensors("fmax", input, other)
    return np.fmax(*_promote(input, other))


@fmax.vjp
def _(grad, input, other, needs_input_grad):
    to_input = (input >= other) | other.isnan()
    return (where(to_input, grad, 0.0) if needs_input_grad[0] else None,
            where(to_input, 0.0, grad) if needs_input_grad[1] else None)


@primitive("fmin", grad_fn="FminBackward0", shapes=FEW_BINARY_SHAPES)
def fmin(input, other):
    """Elementwise minimum that ignores NaN; the gradient goes to input on ties.

    Example::
        >>> ndgrad.fmin(ndgrad.tensor([1., float("nan")]), ndgrad.tensor([3., 2.]))
        tensor([1., 2.])
    """
    _need_tensors("fmin", input, other)
    return np.fmin(*_promote(input, other))


@fmin.vjp
def _(grad, input, other, needs_input_grad):
    to_input = (input <= other) | other.isnan()
    return (where(to_input, grad, 0.0) if needs_input_grad[0] else None,
            where(to_input, 0.0, grad) if needs_input_grad[1] else None)


def _clip(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    # min(max(x, lo), hi): NaN propagates and hi wins when lo > hi, as in torch
    if lo is not None:
        x = np.maximum(x, lo)
    return x if hi is None else np.minimum(x, hi)


def _pass_mask(input: Tensor, min: Any, max: Any) -> Tensor:
    """Where clamp lets the gradient through: min <= input <= max (False at NaN)."""
    if min is None:
        return input <= max
    return input >= min if max is None else (input >= min) & (input <= max)


# An absent tensor bound travels as this Python number: torch gives it a (None, 0) edge, which
# the registry gives numbers but not None. Only the tensor overload sees it (numbers never reach
# that overload otherwise), and it reads any non-array bound as absent.
_NO_BOUND = 0


def _clamp_out(input: np.ndarray, min: Any, max: Any) -> np.ndarray:
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if input.dtype.kind != "f" or isinstance(min, np.ndarray) or isinstance(max, np.ndarray):
        input, min, max = _promote(input, min, max)  # (numbers are weak against a float array)
    return _clip(input, min, max)


@primitive("clamp", grad_fn="ClampBackward1", export=False, kinks=(-0.5, 0.5),
           samples=[((2, 3), {"min": -0.5, "max": 0.5}), ((3,), {"min": -0.5}), ((), {"max": 0.5})])
def _clamp(input, *, min=None, max=None):
    return _clamp_out(input, min, max)


@_clamp.vjp
def _(grad, input, *, min, max):
    return where(_pass_mask(input, min, max), grad, 0.0)


@primitive("clamp_tensor", grad_fn="ClampBackward0", export=False, inputs=("input", "min", "max"),
           samples=[(((2, 3), (3,), (2, 1)), {}), (((2, 3), (2, 3), None), {}),
                    (((3,), None, ()), {})],
           torch_fn=lambda torch, x, lo, hi: torch.clamp(x, lo, hi))
def _clamp_tensor(input, min, max):
    if not isinstance(min, np.ndarray):
        min = None
    if not isinstance(max, np.ndarray):
        max = None
    return _clamp_out(input, min, max)


@_clamp_tensor.vjp
def _(grad, input, min, max, needs_input_grad):
    min = min if isinstance(min, Tensor) else None
    max = max if isinstance(max, Tensor) else None
    gi = gmin = gmax = None
    if needs_input_grad[0]:
        gi = where(_pass_mask(input, min, max), grad, 0.0)
    if min is not None and needs_input_grad[1]:  # min only matters below it, and below max
        gmin = where((input < min) & (min < max) if max is not None else input < min, grad, 0.0)
    if max is not None and needs_input_grad[-1]:  # max wins above it, and wherever max < min
        gmax = where((input > max) | (max < min) if min is not None else input > max, grad, 0.0)
    return gi, gmin, gmax


@composite("clamp", inplace=True)
def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit input to [min, max]; min and max are both numbers or both tensors (or None).

    Example::
        >>> ndgrad.clamp(ndgrad.tensor([-2., 0.5, 3.]), 0, 1)
        tensor([0.0000, 0.5000, 1.0000])
    """
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if any(b is not None and not isinstance(b, Tensor) for b in (min, max)):
            got = ", ".join(type(a).__name__ for a in (input, min, max) if a is not None)
            raise TypeError(f"clamp() received an invalid combination of arguments - got ({got}), "
                            "but expected one of:\n * (Tensor input, Tensor min = None, Tensor "
                            "max = None, *, Tensor out = None)\n * (Tensor input, Number min = "
                            "None, Number max = None, *, Tensor out = None)\n")
        return _clamp_tensor.public(input, _NO_BOUND if min is None else min,
                                    _NO_BOUND if max is None else max)
    return _clamp.public(input, min=min, max=max)


composite("clip", inplace=True)(clamp)


@primitive("clamp_min", grad_fn="ClampMinBackward0", export=False, shapes=FEW_UNARY_SHAPES,
           attrs={"min": 0.25}, kinks=(0.25,))
def _clamp_min(input, *, min):
    return _clamp_out(input, min, None)


@_clamp_min.vjp
def _(grad, input, *, min):
    return where(input >= min, grad, 0.0)


@primitive("clamp_min_tensor", grad_fn="ClampMinBackward1", export=False, shapes=FEW_BINARY_SHAPES,
           torch_fn=lambda torch, x, lo: torch.clamp_min(x, lo))
def _clamp_min_tensor(input, min):
    return _clamp_out(input, min, None)


@_clamp_min_tensor.vjp
def _(grad, input, min, needs_input_grad):
    return (where(input >= min, grad, 0.0) if needs_input_grad[0] else None,
            where(input < min, grad, 0.0) if needs_input_grad[1] else None)


@composite("clamp_min", inplace=True)
def clamp_min(input: Tensor, min: Any) -> Tensor:
    """max(input, min) as clamp(input, min=min), with its own node (ClampMinBackward).

    Example::
        >>> ndgrad.clamp_min(ndgrad.tensor([-1., 2.]), 0)
        tensor([0., 2.])
    """
    if isinstance(min, Tensor):
        return _clamp_min_tensor.public(input, min)
    return _clamp_min.public(input, min=min)


@primitive("clamp_max", grad_fn="ClampMaxBackward0", export=False, shapes=FEW_UNARY_SHAPES,
           attrs={"max": 0.25}, kinks=(0.25,))
def _clamp_max(input, *, max):
    return _clamp_out(input, None, max)


@_clamp_max.vjp
def _(grad, input, *, max):
    return where(input <= max, grad, 0.0)


@primitive("clamp_max_tensor", grad_fn="ClampMaxBackward1", export=False, shapes=FEW_BINARY_SHAPES,
           torch_fn=lambda torch, x, hi: torch.clamp_max(x, hi))
def _clamp_max_tensor(input, max):
    return _clamp_out(input, None, max)


@_clamp_max_tensor.vjp
def _(grad, input, max, needs_input_grad):
    return (where(input <= max, grad, 0.0) if needs_input_grad[0] else None,
            where(input > max, grad, 0.0) if needs_input_grad[1] else None)


@composite("clamp_max", inplace=True)
def clamp_max(input: Tensor, max: Any) -> Tensor:
    """min(input, max) as clamp(input, max=max), with its own node (ClampMaxBackward).

    Example::
        >>> ndgrad.clamp_max(ndgrad.tensor([-1., 2.]), 0)
        tensor([-1.,  0.])
    """
    if isinstance(max, Tensor):
        return _clamp_max_tensor.public(input, max)
    return _clamp_max.public(input, max=max)


# *** comparisons and logic (no gradient) ***

def _cmp_args(name: str, input: Any, other: Any) -> tuple:
    """Promote a comparison's operands as torch does; a Python number may only come second."""
    if not isinstance(input, np.ndarray):
        raise _bad_args(name, (input, other))
    if isinstance(other, np.ndarray):
        return (input, other) if input.dtype == other.dtype else _promote(input, other)
    if input.dtype.kind == "f" and not isinstance(other, complex):
        return input, other  # a Python number is weak against a float array
    return _promote(input, other)


@primitive("eq", complex=True, inplace=True, differentiable=False, shapes=BINARY_SHAPES)
def eq(input, other):
    """input == other, elementwise (bool).

    Example::
        >>> ndgrad.eq(ndgrad.tensor([1, 2]), 2)
        tensor([False,  True])
    """
    return np.equal(*_cmp_args("eq", input, other))


@primitive("ne", complex=True, inplace=True, differentiable=False, shapes=FEW_BINARY_SHAPES)
def ne(input, other):
    """input != other, elementwise (bool).

    Example::
        >>> ndgrad.ne(ndgrad.tensor([1, 2]), 2)
        tensor([ True, False])
    """
    return np.not_equal(*_cmp_args("ne", input, other))


@primitive("lt", inplace=True, differentiable=False, shapes=FEW_BINARY_SHAPES)
def lt(input, other):
    """input < other, elementwise (bool).

    Example::
        >>> ndgrad.lt(ndgrad.tensor([1, 2]), 2)
        tensor([ True, False])
    """
    return np.less(*_cmp_args("lt", input, other))


@primitive("le", inplace=True, differentiable=False, shapes=FEW_BINARY_SHAPES)
def le(input, other):
    """input <= other, elementwise (bool).

    Example::
        >>> ndgrad.le(ndgrad.tensor([1, 3]), 2)
        tensor([ True, False])
    """
    return np.less_equal(*_cmp_args("le", input, other))


@primitive("gt", inplace=True, differentiable=False, shapes=FEW_BINARY_SHAPES)
def gt(input, other):
    """input > other, elementwise (bool).

    Example::
        >>> ndgrad.gt(ndgrad.tensor([1, 3]), 2)
        tensor([False,  True])
    """
    return np.greater(*_cmp_args("gt", input, other))


@primitive("ge", inplace=True, differentiable=False, shapes=FEW_BINARY_SHAPES)
def ge(input, other):
    """input >= other, elementwise (bool).

    Example::
        >>> ndgrad.ge(ndgrad.tensor([1, 2]), 2)
        tensor([False,  True])
    """
    return np.greater_equal(*_cmp_args("ge", input, other))


composite("greater", inplace=True)(gt.public)
composite("greater_equal", inplace=True)(ge.public)
composite("less", inplace=True)(lt.public)
composite("less_equal", inplace=True)(le.public)
composite("not_equal", inplace=True)(ne.public)


@primitive("logical_and", complex=True, inplace=True, differentiable=False,
           shapes=FEW_BINARY_SHAPES)
def logical_and(input, other):
    """Elementwise `input and other` on truth values (bool).

    Example::
        >>> ndgrad.logical_and(ndgrad.tensor([1, 0]), ndgrad.tensor([True, True]))
        tensor([ True, False])
    """
    _need_tensors("logical_and", input, other)
    return np.logical_and(input, other)


@primitive("logical_or", complex=True, inplace=True, differentiable=False, shapes=FEW_BINARY_SHAPES)
def logical_or(input, other):
    """Elementwise `input or other` on truth values (bool).

    Example::
        >>> ndgrad.logical_or(ndgrad.tensor([1, 0]), ndgrad.tensor([False, False]))
        tensor([ True, False])
    """
    _need_tensors("logical_or", input, other)
    return np.logical_or(input, other)


@primitive("logical_xor", complex=True, inplace=True, differentiable=False,
           shapes=FEW_BINARY_SHAPES)
def logical_xor(input, other):
    """Elementwise exclusive or on truth values (bool).

    Example::
        >>> ndgrad.logical_xor(ndgrad.tensor([1, 0]), ndgrad.tensor([True, True]))
        tensor([False,  True])
    """
    _need_tensors("logical_xor", input, other)
    return np.logical_xor(input, other)


@primitive("logical_not", complex=True, inplace=True, differentiable=False, promote="same",
           shapes=FEW_UNARY_SHAPES)
def logical_not(input):
    """Elementwise `not input` (bool).

    Example::
        >>> ndgrad.logical_not(ndgrad.tensor([0., 2.]))
        tensor([ True, False])
    """
    return np.logical_not(input)


@primitive("isnan", complex=True, differentiable=False, promote="same", shapes=FEW_UNARY_SHAPES)
def isnan(input):
    """True where input is NaN.

    Example::
        >>> ndgrad.isnan(ndgrad.tensor([1., float("nan")]))
        tensor([False,  True])
    """
    return np.isnan(input)


@primitive("isinf", complex=True, differentiable=False, promote="same", shapes=FEW_UNARY_SHAPES)
def isinf(input):
    """True where input is +inf or -inf.

    Example::
        >>> ndgrad.isinf(ndgrad.tensor([1., float("-inf")]))
        tensor([False,  True])
    """
    return np.isinf(input)


@primitive("isfinite", complex=True, differentiable=False, promote="same", shapes=FEW_UNARY_SHAPES)
def isfinite(input):
    """True where input is neither NaN nor infinite.

    Example::
        >>> ndgrad.isfinite(ndgrad.tensor([1., float("inf")]))
        tensor([ True, False])
    """
    return np.isfinite(input)


@primitive("isclose", complex=True, differentiable=False, shapes=FEW_BINARY_SHAPES,
           samples=[(((3,), (3,)), {"rtol": 0.5, "atol": 0.1, "equal_nan": True})])
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, elementwise (inputs of one dtype).

    Example::
        >>> ndgrad.isclose(ndgrad.tensor([1., 2.]), ndgrad.tensor([1., 2.1]))
        tensor([ True, False])
    """
    _need_tensors("isclose", input, other)
    if input.dtype != other.dtype:
        raise RuntimeError(f"{_TORCH_TYPE_NAMES[input.dtype.name]} did not match "
                           f"{_TORCH_TYPE_NAMES[other.dtype.name]}")
    close = np.equal(input, other)
    if equal_nan:
        close |= np.isnan(input) & np.isnan(other)
    a, b = (input, other) if input.dtype.kind in "fc" else (_float(input), _float(other))
    err = np.abs(a - b)
    return close | (np.isfinite(err) & (err <= atol + np.abs(rtol * b)))


@composite("allclose")
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True if isclose holds everywhere.

    Example::
        >>> ndgrad.allclose(ndgrad.tensor([1., 2.]), ndgrad.tensor([1., 2.]))
        True
    """
    return bool(np.all(isclose(input, other, rtol, atol, equal_nan)._data))


@composite("equal")
def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same shape and values (dtypes may differ).

    Example::
        >>> ndgrad.equal(ndgrad.tensor([1, 2]), ndgrad.tensor([1., 2.]))
        True
    """
    a, b = input._data, other._data
    return a.shape == b.shape and bool(np.array_equal(a, b))


_INT_SAMPLES = {"shapes": BINARY_SHAPES[:3], "int_inputs": {"input": (0, 8), "other": (0, 8)}}


@primitive("bitwise_and", inplace=True, differentiable=False, promote="binary", **_INT_SAMPLES)
def bitwise_and(input, other):
    """Elementwise bitwise and of integer or bool tensors.

    Example::
        >>> ndgrad.bitwise_and(ndgrad.tensor([12]), 10)
        tensor([8])
    """
    return np.bitwise_and(input, other)


@primitive("bitwise_or", inplace=True, differentiable=False, promote="binary", **_INT_SAMPLES)
def bitwise_or(input, other):
    """Elementwise bitwise or of integer or bool tensors.

    Example::
        >>> ndgrad.bitwise_or(ndgrad.tensor([12]), 10)
        tensor([14])
    """
    return np.bitwise_or(input, other)


@primitive("bitwise_xor", inplace=True, differentiable=False, promote="binary", **_INT_SAMPLES)
def bitwise_xor(input, other):
    """Elementwise bitwise exclusive or of integer or bool tensors.

    Example::
        >>> ndgrad.bitwise_xor(ndgrad.tensor([12]), 10)
        tensor([6])
    """
    return np.bitwise_xor(input, other)


@primitive("bitwise_not", inplace=True, differentiable=False, promote="same", shapes=UNARY_SHAPES,
           int_inputs={"input": (0, 8)})
def bitwise_not(input):
    """Elementwise bitwise not (logical not for bool).

    Example::
        >>> ndgrad.bitwise_not(ndgrad.tensor([0, 5]))
        tensor([-1, -6])
    """
    return np.invert(input)
