"""Complex numbers: real/imag views, conjugation (torch's conj bit), view_as_real/complex,
complex/polar construction and angle. Rules follow torch's convention: the gradient of a
real loss L is dL/dRe(z) + i dL/dIm(z)."""
from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from .._tensor import _TORCH_TYPE_NAMES, Tensor
from ._registry import composite, primitive
from .inplace import CONJ_VIEWS, inplace
from .pointwise import FEW_UNARY_SHAPES, UNARY_SHAPES, where

_REAL_ONLY_MSG = ("view_as_complex is only supported for half, float and double tensors, but got "
                  "a tensor of scalar type: {}")


def _complex_input(x: Tensor, what: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


# *** conjugation ***

@primitive("conj_physical", grad_fn="ConjPhysicalBackward0", export=False, complex=True,
           shapes=FEW_UNARY_SHAPES, complex_only=True,
           torch_fn=lambda torch, x: torch.conj_physical(x))
def _conj_physical(input):
    return np.conj(input)


@_conj_physical.vjp
def _(grad):
    return grad.conj_physical()


@composite("conj_physical")
def conj_physical(input: Tensor) -> Tensor:
    """The complex conjugate, computed now (no conjugate bit); real tensors are returned as is.

    Example::
        >>> ndgrad.tensor([1 + 2j]).conj_physical()
        tensor([1.-2.j])
    """
    _complex_input(input, "conj_physical")
    return _conj_physical.public(input) if input._data.dtype.kind == "c" else input


@composite("conj_physical_", export=False)
def conj_physical_(input: Tensor) -> Tensor:
    """conj_physical in place; on a real tensor nothing happens (not even torch's in-place
    checks, as in torch: an expanded real tensor is returned as it is).

    Example::
        >>> ndgrad.tensor([1 + 2j]).conj_physical_()
        tensor([1.-2.j])
    """
    if input._data.dtype.kind != "c":
        _complex_input(input, "conj_physical_")
        return input
    return inplace(conj_physical, input)


@primitive("conj", grad_fn="ConjBackward0", export=False, complex=True, shapes=FEW_UNARY_SHAPES,
           complex_only=True, torch_fn=lambda torch, x: torch.conj(x))
def _conj(input):
    return np.conj(input)


@_conj.vjp
def _(grad):
    return grad.conj_physical()


@composite("conj")
def conj(input: Tensor) -> Tensor:
    """The complex conjugate with torch's conjugate bit set (is_conj() is True); real tensors are
    returned as they are.

    ndgrad computes the values at once: the result follows later in-place changes of input as
    torch's lazy view does, but writing into the result in place is refused (torch would write
    through to input); use resolve_conj() or conj_physical() for a tensor of its own.

    Example::
        >>> z = ndgrad.tensor([1 + 2j]).conj()
        >>> z, z.is_conj()
        (tensor([1.-2.j]), True)
    """
    _complex_input(input, "conj")
    if input._data.dtype.kind != "c":
        return input
    out = _conj.public(input)
    if not input._is_conj:
        out._is_conj = True
    _watch(out, input)
    return out


def _watch(out: Tensor, source: Tensor) -> None:
    """Keep out (conj of source) current when source's storage is modified in place; the entry
    goes away with out."""
    info = source._view
    root = info.base if info is not None else source
    chain = info.chain if info is not None else ()
    key = id(root)

    def forget(ref: Any) -> None:
        entries = CONJ_VIEWS.get(key)
        if entries is not None:
            entries[:] = [e for e in entries if e[0] is not ref]
            if not entries:
                del CONJ_VIEWS[key]

    CONJ_VIEWS.setdefault(key, []).append((weakref.ref(out, forget), weakref.ref(root), chain))
    out._vc = source._vc  # torch: the conjugate view shares its base's version counter


@composite("resolve_conj")
def resolve_conj(input: Tensor) -> Tensor:
    """A tensor with the conjugate bit cleared: input itself if it has none, else a copy.

    Example::
        >>> ndgrad.tensor([1j]).conj().resolve_conj().is_conj()
        False
    """
    return input.clone() if input._is_conj else input


@composite("resolve_neg")
def resolve_neg(input: Tensor) -> Tensor:
    """input (ndgrad has no lazy negative bit)."""
    return input


@composite("is_conj")
def is_conj(input: Tensor) -> bool:
    """True for the result of conj() on a complex tensor (torch's conjugate bit)."""
    return input._is_conj


@composite("is_neg")
def is_neg(input: Tensor) -> bool:
    """False: ndgrad has no lazy negative bit."""
    return False


@composite("is_complex")
def is_complex(input: Tensor) -> bool:
    """True for complex64 and complex128 tensors.

    Example::
        >>> ndgrad.is_complex(ndgrad.tensor([1j]))
        True
    """
    return input._data.dtype.kind == "c"


@composite("isreal")
def isreal(input: Tensor) -> Tensor:
    """True where an element has no imaginary part (everywhere for real tensors).

    Example::
        >>> ndgrad.isreal(ndgrad.tensor([1 + 0j, 1j]))
        tensor([ True, False])
    """
    if input._data.dtype.kind != "c":
        return Tensor._make(np.ones(input._data.shape, np.bool_))
    return imag(input) == 0


# *** real and imaginary parts as real views ***

def _real_view(a: np.ndarray) -> np.ndarray:
    return a[..., None].view(a.real.dtype)


@primitive("view_as_real", grad_fn="ViewAsRealBackward0", export=False, view=True, complex=True,
           shapes=UNARY_SHAPES, complex_only=True,
           torch_fn=lambda torch, x: torch.view_as_real(x))
def _view_as_real(input):
    if input.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return _real_view(input)


@_view_as_real.vjp
def _(grad):
    return view_as_complex(grad.contiguous())


@composite("view_as_real", method=False)
def view_as_real(input: Tensor) -> Tensor:
    """A real view of a complex tensor with a last dimension of size 2 (real, imaginary).

    Example::
        >>> ndgrad.view_as_real(ndgrad.tensor([1 + 2j]))
        tensor([[1., 2.]])
    """
    _complex_input(input, "view_as_real")
    if input._is_conj:
        raise RuntimeError(
            "view_as_real doesn't work on unresolved conjugated tensors.  To resolve the "
            "conjugate tensor so you can view it as real, use self.resolve_conj(); however, be "
            "warned that the resulting tensor will NOT alias the original.")
    return _view_as_real.public(input)


def _complex_view(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind != "f" or a.dtype == np.float16:
        if a.dtype == np.float16:
            raise TypeError("view_as_complex of a float16 tensor gives torch.complex32 (chalf), "
                            "which ndgrad does not support: NumPy has no complex-half type")
        raise RuntimeError(_REAL_ONLY_MSG.format(_torch_name(a)))
    if a.ndim == 0 or a.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    complex_dt = np.complex64 if a.dtype == np.float32 else np.complex128
    if a.size == 0:  # strides of an empty tensor are arbitrary
        return np.empty(a.shape[:-1], complex_dt)
    if a.strides[-1] != a.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * a.itemsize) for s, n in zip(a.strides[:-1], a.shape[:-1]) if n > 1):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    return a.view(complex_dt)[..., 0]


@primitive("view_as_complex", grad_fn="ViewAsComplexBackward0", export=False, view=True,
           complex=True, shapes=[(2,), (3, 2), (2, 1, 2)], complex_samples=False,
           torch_fn=lambda torch, x: torch.view_as_complex(x))
def _view_as_complex(input):
    return _complex_view(input)


@_view_as_complex.vjp
def _(grad):
    return view_as_real(grad.resolve_conj())


@composite("view_as_complex", method=False)
def view_as_complex(input: Tensor) -> Tensor:
    """A complex view of a real tensor whose last dimension (size 2, stride 1) holds the real
    and imaginary parts.

    Example::
        >>> ndgrad.view_as_complex(ndgrad.tensor([[1., 2.]]))
        tensor([1.+2.j])
    """
    _complex_input(input, "view_as_complex")
    return _view_as_complex.public(input)


@composite("real", method=False)
def real(input: Tensor) -> Tensor:
    """The real part: a writable view of a complex tensor (input itself for real tensors).

    Example::
        >>> ndgrad.real(ndgrad.tensor([1 + 2j]))
        tensor([1.])
    """
    _complex_input(input, "real")
    if input._data.dtype.kind != "c":
        return input
    # a conjugate's parts are views of its computed values, which refuse writes as it does
    return _view_as_real.public(input).select(-1, 0)


@composite("imag", method=False)
def imag(input: Tensor) -> Tensor:
    """The imaginary part: a writable view of a complex tensor.

    Example::
        >>> ndgrad.imag(ndgrad.tensor([1 + 2j]))
        tensor([2.])
    """
    _complex_input(input, "imag")
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _view_as_real.public(input).select(-1, 1)


def _set_part(part: Any) -> Any:
    def setter(self: Tensor, value: Any) -> None:
        part(self).copy_(value)

    return setter


Tensor.real = property(real, _set_part(real), doc="The real part (a view for complex tensors).")
Tensor.imag = property(imag, _set_part(imag), doc="The imaginary part (a view).")


@composite("adjoint")
def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dimensions (input.mH).

    Example::
        >>> ndgrad.tensor([[1j, 2.]]).adjoint()
        tensor([[0.-1.j],
                [2.-0.j]])
    """
    return input.transpose(-2, -1).conj()


def _mH(self: Tensor) -> Tensor:
    return adjoint(self)


def _H(self: Tensor) -> Tensor:
    if self._data.ndim not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self._data.ndim}-D tensor.")
    return adjoint(self) if self._data.ndim == 2 else self


Tensor.mH = property(_mH, doc="The conjugate transpose of the last two dimensions.")
Tensor.H = property(_H, doc="The conjugate transpose of a matrix.")


# *** building complex tensors ***

_PAIR = [((3,), (3,)), ((2, 3), (3,)), ((), (2,))]


@primitive("complex", grad_fn="ComplexBackward0", complex=True, samples=[(p, {}) for p in _PAIR],
           complex_samples=False)
def complex(real, imag):
    """real + i * imag from two floating tensors of one dtype (float32 gives complex64).

    Example::
        >>> ndgrad.complex(ndgrad.tensor([1.]), ndgrad.tensor([2.]))
        tensor([1.+2.j])
    """
    _check_parts(real, imag)
    out = np.empty(np.broadcast_shapes(real.shape, imag.shape),
                   np.complex64 if real.dtype == np.float32 else np.complex128)
    out.real, out.imag = real, imag
    return out


def _check_parts(a: np.ndarray, b: np.ndarray) -> None:
    if a.dtype.kind != "f" or b.dtype.kind != "f":
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_torch_name(a)} and {_torch_name(b)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"Expected object of scalar type {_torch_name(a)} but got scalar "
                           f"type {_torch_name(b)} for second argument")
    if a.dtype == np.float16:
        raise TypeError("complex() of float16 tensors gives torch.complex32 (chalf), which ndgrad "
                        "does not support: NumPy has no complex-half type")


def _torch_name(a: np.ndarray) -> str:
    return _TORCH_TYPE_NAMES.get(a.dtype.name, a.dtype.name)


@complex.vjp
def _(grad, needs_input_grad):
    return (real(grad) if needs_input_grad[0] else None,
            imag(grad) if needs_input_grad[1] else None)


@primitive("polar", grad_fn="PolarBackward0", complex=True,
           samples=[(p, {}) for p in _PAIR], domain={"abs": (0.5, 2.0), "angle": (-3.0, 3.0)},
           complex_samples=False)
def polar(abs, angle):
    """abs * (cos(angle) + i sin(angle)) from two floating tensors of one dtype.

    Example::
        >>> ndgrad.polar(ndgrad.tensor([2.]), ndgrad.tensor([0.]))
        tensor([2.+0.j])
    """
    _check_parts(abs, angle)
    return complex.forward(abs * np.cos(angle), abs * np.sin(angle))


@polar.vjp
def _(grad, abs, angle, result, needs_input_grad):
    # z = r e^{iθ}: dL/dr = Re(g conj(e^{iθ})), dL/dθ = Re(g conj(i z)) = Im(g conj(z))
    g_abs = g_angle = None
    if needs_input_grad[0]:
        g_abs = real(grad * complex(angle.cos(), -angle.sin()))
    if needs_input_grad[1]:
        g_angle = imag(grad * result.conj_physical())
    return g_abs, g_angle


# *** angle ***

@primitive("angle", grad_fn="AngleBackward0", promote="float", complex=True, kinks=(0.0,),
           shapes=FEW_UNARY_SHAPES)
def angle(input):
    """The argument of each element in radians (pi for negative reals, 0 otherwise).

    Example::
        >>> ndgrad.angle(ndgrad.tensor([1j, -1.]))
        tensor([1.5708, 3.1416])
    """
    if input.dtype.kind == "c":
        return np.angle(input)
    return np.where(np.isnan(input), input, np.where(input < 0, math.pi, 0.0)).astype(input.dtype)


@angle.vjp
def _(grad, input):
    if input._data.dtype.kind != "c":
        return grad * 0
    # angle = atan2(y, x): d/dx = -y/|z|², d/dy = x/|z|², so the gradient is g i z / |z|²
    abs2 = real(input * input.conj_physical())
    return where(abs2 == 0, 0.0, grad * input * 1j / abs2)
