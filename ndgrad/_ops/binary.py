"""Binary and ternary pointwise math beyond the four operations: floor_divide, remainder, fmod,
atan2, hypot, copysign, lerp, addcmul, addcdiv."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import composite, primitive
from .pointwise import (
    _C_NAMES,
    FEW_BINARY_SHAPES,
    FEW_UNARY_SHAPES,
    _bad_args,
    _check_int_div,
    _div_mode,
    _float,
    _int_kind,
    _need_tensors,
    _not_for,
    _promote,
    _zeros,
    div,
    where,
)

# *** division variants ***

@primitive("floor_divide", inplace=True, grad_fn="NotImplemented", promote="binary",
           shapes=FEW_BINARY_SHAPES, scalar=True, domain=(0.5, 3.0),
           nondiff_inputs=("input", "other"))
def floor_divide(input, other):
    """Division rounded down; torch records it but cannot differentiate it.

    Example::
        >>> ndgrad.floor_divide(ndgrad.tensor([7, -7]), 2)
        tensor([ 3, -4])
    """
    return _div_mode(input, other, "floor")


@floor_divide.vjp
def _(grad):
    raise RuntimeError("derivative for aten::floor_divide is not implemented")


@primitive("remainder", grad_fn="RemainderBackward1", export=False, promote="binary",
           shapes=FEW_BINARY_SHAPES, domain={"input": (0.1, 0.9), "other": (1.1, 2.0)})
def _remainder(input, other):
    _check_int_div(_int_kind(input, other), other, "remainder_cpu")
    return np.mod(input, other)  # NumPy's float modulus is CPython's, as torch's


@_remainder.vjp
def _(grad, input, other, needs_input_grad):
    return grad, (-grad * div(input, other, rounding_mode="floor") if needs_input_grad[1] else None)


@primitive("remainder_scalar", grad_fn="RemainderBackward0", export=False, promote="scalar",
           shapes=FEW_UNARY_SHAPES, attrs={"other": 1.5}, domain=(0.1, 1.4),
           torch_fn=lambda torch, x, other: torch.remainder(x, other))
def _remainder_scalar(input, *, other):
    _check_int_div(input.dtype.kind, other, "remainder_cpu")
    return np.mod(input, other)


@_remainder_scalar.vjp
def _(grad, *, other):
    return grad


@primitive("remainder_scalar_self", grad_fn="NotImplemented", export=False, inputs=("other",),
           shapes=FEW_UNARY_SHAPES, attrs={"input": 2.5}, domain=(1.1, 2.0),
           nondiff_inputs=("other",), torch_fn=lambda torch, y, input: torch.remainder(input, y))
def _remainder_scalar_self(other, *, input):
    input, other = _promote(input, other)
    _check_int_div(other.dtype.kind, other, "remainder_cpu")
    return np.mod(input, other)


@_remainder_scalar_self.vjp
def _(grad, *, input):
    raise RuntimeError("derivative for aten::remainder is not implemented")


@composite("remainder", inplace=True)
def remainder(input: Any, other: Any) -> Tensor:
    """Python-style modulus: the result takes the sign of other.

    Example::
        >>> ndgrad.remainder(ndgrad.tensor([-3., 3.]), 2)
        tensor([1., 1.])
    """
    if isinstance(other, Tensor):
        if isinstance(input, Tensor):
            return _remainder.public(input, other)
        return _remainder_scalar_self.public(other, input=input)
    return _remainder_scalar.public(input, other=other)


@primitive("fmod", grad_fn="FmodBackward1", export=False, promote="binary",
           shapes=FEW_BINARY_SHAPES, domain={"input": (-0.9, 0.9), "other": (1.1, 2.0)})
def _fmod(input, other):
    _check_int_div(_int_kind(input, other), other, "fmod_cpu")
    return np.fmod(input, other)


@_fmod.vjp
def _(grad, input, other, needs_input_grad):
    return grad, (-grad * div(input, other, rounding_mode="trunc") if needs_input_grad[1] else None)


@primitive("fmod_scalar", grad_fn="FmodBackward0", export=False, promote="scalar",
           shapes=FEW_UNARY_SHAPES, attrs={"other": -1.5}, domain=(-1.4, 1.4),
           torch_fn=lambda torch, x, other: torch.fmod(x, other))
def _fmod_scalar(input, *, other):
    _check_int_div(input.dtype.kind, other, "fmod_cpu")
    return np.fmod(input, other)


@_fmod_scalar.vjp
def _(grad, *, other):
    return grad


@composite("fmod", inplace=True)
def fmod(input: Tensor, other: Any) -> Tensor:
    """C-style modulus: the result takes the sign of input.

    Example::
        >>> ndgrad.fmod(ndgrad.tensor([-3., 3.]), 2)
        tensor([-1.,  1.])
    """
    if not isinstance(input, Tensor):
        raise _bad_args("fmod", (input, other))
    if isinstance(other, Tensor):
        return _fmod.public(input, other)
    return _fmod_scalar.public(input, other=other)


# *** angles and lengths ***



@primitive("atan2", inplace=True, grad_fn="Atan2Backward0", shapes=FEW_BINARY_SHAPES)
def atan2(input, other):
    """The angle of the point (other, input): arctan(input / other) in the right quadrant.

    Example::
        >>> ndgrad.atan2(ndgrad.tensor([1.]), ndgrad.tensor([-1.]))
        tensor([2.3562])
    """
    _need_tensors("atan2", input, other)
    return np.arctan2(*(_float(a) for a in _promote(input, other)))


@atan2.vjp
def _(grad, other, input, needs_input_grad):  # torch's save order
    # d/dy atan2(y, x) = x / (x² + y²), d/dx = -y / (x² + y²); torch takes 0 at the origin
    denom = input * input + other * other
    recip = where(denom == 0, 0.0, denom.reciprocal())
    return (grad * other * recip if needs_input_grad[0] else None,
            grad * -input * recip if needs_input_grad[1] else None)


composite("arctan2", inplace=True)(atan2.public)


@primitive("hypot", inplace=True, grad_fn="HypotBackward0", shapes=FEW_BINARY_SHAPES)
def hypot(input, other):
    """sqrt(input² + other²) without overflow (floating inputs).

    Example::
        >>> ndgrad.hypot(ndgrad.tensor([3.]), ndgrad.tensor([4.]))
        tensor([5.])
    """
    _need_tensors("hypot", input, other)
    input, other = _promote(input, other)
    if input.dtype.kind != "f":
        raise _not_for("hypot_cpu", input.dtype)
    return np.hypot(input, other)


@hypot.vjp
def _(grad, input, other, result, needs_input_grad):
    return (grad * input / result if needs_input_grad[0] else None,
            grad * other / result if needs_input_grad[1] else None)


def _copysign_grad(grad: Tensor, input: Tensor, result: Tensor) -> Tensor:
    # ±1 where the sign flipped or not; torch takes 0 at input == 0
    return grad * where(input == 0, 0.0, result / input)


@primitive("copysign", grad_fn="CopysignBackward0", export=False, shapes=FEW_BINARY_SHAPES,
           kinks=(0.0,))
def _copysign(input, other):
    return np.copysign(*(_float(a) for a in _promote(input, other)))


@_copysign.vjp
def _(grad, input, result, needs_input_grad):
    # the sign of other is piecewise constant: torch gives it a zero gradient
    return (_copysign_grad(grad, input, result) if needs_input_grad[0] else None,
            _zeros(grad) if needs_input_grad[1] else None)


@primitive("copysign_scalar", grad_fn="CopysignBackward1", export=False, promote="scalar",
           shapes=FEW_UNARY_SHAPES, attrs={"other": -1.0}, kinks=(0.0,),
           torch_fn=lambda torch, x, other: torch.copysign(x, other))
def _copysign_scalar(input, *, other):
    return np.copysign(_float(input), other)


@_copysign_scalar.vjp
def _(grad, input, result, *, other):
    return _copysign_grad(grad, input, result)


@composite("copysign", inplace=True)
def copysign(input: Tensor, other: Any) -> Tensor:
    """|input| with the sign of other (a tensor or a number); integers give floats.

    Example::
        >>> ndgrad.copysign(ndgrad.tensor([1., -2.]), -1)
        tensor([-1., -2.])
    """
    if not isinstance(input, Tensor):
        raise _bad_args("copysign", (input, other))
    if isinstance(other, Tensor):
        return _copysign.public(input, other)
    return _copysign_scalar.public(input, other=other)


# *** lerp ***

def _lerp_check(input: np.ndarray, end: np.ndarray, kernel: str) -> None:
    if end.dtype != input.dtype:
        raise RuntimeError(f"expected dtype {_C_NAMES[input.dtype.name]} for `end` but got dtype "
                           f"{_C_NAMES[end.dtype.name]}")
    if input.dtype.kind not in "fc":
        raise _not_for(kernel, input.dtype)


def _lerp(a: np.ndarray, b: np.ndarray, w: Any) -> np.ndarray:
    # torch's two-sided form: exact at both ends, w = 0 gives a and w = 1 gives b
    d = b - a
    if isinstance(w, np.ndarray):
        return np.where(np.abs(w) < 0.5, a + w * d, b - d * (1 - w))
    return a + w * d if builtins.abs(w) < 0.5 else b - d * (1 - w)


@primitive("lerp", complex="holomorphic", grad_fn="LerpBackward0", export=False,
           shapes=FEW_BINARY_SHAPES,
           attrs={"weight": 0.75})
def _lerp_scalar(input, end, *, weight):
    _lerp_check(input, end, "lerp_kernel_scalar")
    return _lerp(input, end, weight)


@_lerp_scalar.vjp
def _(grad, needs_input_grad, *, weight):
    return (grad * (1 - weight) if needs_input_grad[0] else None,
            grad * weight if needs_input_grad[1] else None)


@primitive("lerp_tensor", complex="holomorphic", grad_fn="LerpBackward1", export=False,
           inputs=("input", "end", "weight"),
           samples=[(((2, 3), (3,), (2, 1)), {}), (((3,), (3,), ()), {})],
           torch_fn=lambda torch, a, b, w: torch.lerp(a, b, w))
def _lerp_tensor(input, end, weight):
    _lerp_check(input, end, "lerp_kernel_tensor")
    if weight.dtype != input.dtype:
        if weight.ndim:
            raise RuntimeError(f"expected dtype {_C_NAMES[input.dtype.name]} for `weight` but "
                               f"got dtype {_C_NAMES[weight.dtype.name]}")
        weight = weight.astype(input.dtype)
    return _lerp(input, end, weight)


@_lerp_tensor.vjp
def _(grad, input, end, weight, needs_input_grad):
    return (grad * (1 - weight) if needs_input_grad[0] else None,
            grad * weight if needs_input_grad[1] else None,
            grad * (end - input) if needs_input_grad[2] else None)


@composite("lerp", inplace=True)
def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """input + weight * (end - input); weight is a number or a tensor.

    Example::
        >>> ndgrad.lerp(ndgrad.tensor([0., 10.]), ndgrad.tensor([10., 20.]), 0.5)
        tensor([ 5., 15.])
    """
    if isinstance(weight, Tensor):
        return _lerp_tensor.public(input, end, weight)
    return _lerp_scalar.public(input, end, weight=weight)


# *** addcmul / addcdiv ***

_ADDCDIV_INT = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
    "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
    "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
    "behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all "
    "dtypes.")


def _value(value: Any, dt: np.dtype) -> Any:
    v = value.item() if isinstance(value, Tensor) else value
    return int(v) if dt.kind in "iub" else v  # torch casts value to an integral result type


_ADDC_SAMPLES = [(((2, 3), (3,), (2, 1)), {"value": 0.5}), (((3,), (3,), (3,)), {})]


@primitive("addcmul", complex_mixed=True, complex="holomorphic", inplace=True,
           grad_fn="AddcmulBackward0", samples=_ADDC_SAMPLES)
def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2.

    Example::
        >>> ndgrad.addcmul(ndgrad.tensor([1.]), ndgrad.tensor([2.]), ndgrad.tensor([3.]), value=2)
        tensor([13.])
    """
    input, tensor1, tensor2 = _promote(input, tensor1, tensor2)
    return input + _value(value, input.dtype) * tensor1 * tensor2


@addcmul.vjp
def _(grad, tensor1, tensor2, needs_input_grad, *, value):
    v = _value(value, np.dtype(np.float64))
    return (grad,
            grad * (tensor2 * v) if needs_input_grad[1] else None,
            grad * (tensor1 * v) if needs_input_grad[2] else None)


@primitive("addcdiv", complex_mixed=True, complex="holomorphic", inplace=True,
           grad_fn="AddcdivBackward0", samples=_ADDC_SAMPLES,
           domain={"input": (-2.0, 2.0), "tensor1": (-2.0, 2.0), "tensor2": (0.5, 2.0)})
def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (tensor1 / tensor2 must not both be integers).

    Example::
        >>> ndgrad.addcdiv(ndgrad.tensor([1.]), ndgrad.tensor([2.]), ndgrad.tensor([4.]), value=2)
        tensor([2.])
    """
    if tensor1.dtype.kind in "iub" and tensor2.dtype.kind in "iub":
        raise RuntimeError(_ADDCDIV_INT)
    input, tensor1, tensor2 = _promote(input, tensor1, tensor2)
    return input + _value(value, input.dtype) * tensor1 / tensor2


@addcdiv.vjp
def _(grad, tensor1, tensor2, needs_input_grad, *, value):
    v = _value(value, np.dtype(np.float64))
    return (grad,
            grad * (v / tensor2) if needs_input_grad[1] else None,
            -grad * (v * tensor1 / (tensor2 * tensor2)) if needs_input_grad[2] else None)
