"""Matrix products: mm, mv, dot, bmm, and matmul dispatching among them as torch does."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._registry import composite, primitive

_TYPE = {"float16": "c10::Half", "float32": "float", "float64": "double", "int64": "long int",
         "int32": "int"}


def _same_dtype(a: np.ndarray, b: np.ndarray, what: str = "m1 and m2") -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected {what} to have the same dtype, but got: "
                           f"{_TYPE.get(a.dtype.name, a.dtype.name)} != "
                           f"{_TYPE.get(b.dtype.name, b.dtype.name)}")


@primitive("mm", grad_fn="MmBackward0", samples=[(((2, 3), (3, 4)), {})])
def mm(input, mat2):
    """Matrix product of two 2-D tensors.

    Example::
        >>> ndgrad.mm(ndgrad.ones(2, 3), ndgrad.ones(3, 4)).shape
        torch.Size([2, 4])
    """
    if input.ndim != 2 or mat2.ndim != 2:
        bad = "self" if input.ndim != 2 else "mat2"
        raise RuntimeError(f"{bad} must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x"
                           f"{input.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    _same_dtype(input, mat2)
    return np.matmul(input, mat2)


@mm.vjp
def _(grad, input, mat2, needs_input_grad):
    return (grad.mm(mat2.t()) if needs_input_grad[0] else None,
            input.t().mm(grad) if needs_input_grad[1] else None)


@primitive("mv", grad_fn="MvBackward0", samples=[(((2, 3), (3,)), {})])
def mv(input, vec):
    """Matrix-vector product.

    Example::
        >>> ndgrad.mv(ndgrad.ones(2, 3), ndgrad.ones(3))
        tensor([3., 3.])
    """
    if input.ndim != 2 or vec.ndim != 1 or input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 0}), mat "
                           f"({'x'.join(map(str, input.shape))}), vec ({vec.shape[0] if vec.ndim else 0})")
    _same_dtype(input, vec, "self and vec")
    return np.matmul(input, vec)


@mv.vjp
def _(grad, input, vec, needs_input_grad):
    return (grad.unsqueeze(1) * vec if needs_input_grad[0] else None,  # outer(grad, vec)
            input.t().mv(grad) if needs_input_grad[1] else None)


@primitive("dot", grad_fn="DotBackward0", samples=[(((3,), (3,)), {})])
def dot(input, tensor):
    """Inner product of two 1-D tensors.

    Example::
        >>> ndgrad.dot(ndgrad.tensor([1., 2.]), ndgrad.tensor([3., 4.]))
        tensor(11.)
    """
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.shape[0] != tensor.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{tensor.shape[0]}] to have the same number of elements, but got "
                           f"{input.shape[0]} and {tensor.shape[0]} elements respectively")
    _same_dtype(input, tensor, "both vectors")
    return np.asarray(np.dot(input, tensor))


@dot.vjp
def _(grad, input, tensor, needs_input_grad):
    return (grad * tensor if needs_input_grad[0] else None,
            grad * input if needs_input_grad[1] else None)


@primitive("bmm", grad_fn="BmmBackward0", samples=[(((2, 2, 3), (2, 3, 4)), {})])
def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors.

    Example::
        >>> ndgrad.bmm(ndgrad.ones(5, 2, 3), ndgrad.ones(5, 3, 4)).shape
        torch.Size([5, 2, 4])
    """
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor" if input.ndim != 3 else
                           "batch2 must be a 3D tensor")
    if mat2.shape[:2] != (input.shape[0], input.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input.shape[0]}, {input.shape[2]}] but got: "
                           f"[{mat2.shape[0]}, {mat2.shape[1]}].")
    _same_dtype(input, mat2)
    return np.matmul(input, mat2)


@bmm.vjp
def _(grad, input, mat2, needs_input_grad):
    return (grad.bmm(mat2.transpose(1, 2)) if needs_input_grad[0] else None,
            input.transpose(1, 2).bmm(grad) if needs_input_grad[1] else None)


def _fold(t1: Tensor, t2: Tensor) -> Tensor:
    """t1 (>= 3 dims) @ t2 (1 or 2 dims): fold t1's batch into rows, one mm or mv."""
    from .shape import _unsafe_view, reshape

    batch = t1._data.shape[:-1]
    flat = reshape(t1, -1, t1._data.shape[-1])
    out = flat.mm(t2) if t2._data.ndim == 2 else flat.mv(t2)
    return _unsafe_view.public(out, size=batch + out._data.shape[1:])


@composite("matmul")
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with torch's rules for 1-D operands and broadcast batch dims.

    Example::
        >>> ndgrad.matmul(ndgrad.ones(3), ndgrad.ones(3, 2))
        tensor([3., 3.])
    """
    from .shape import _squeeze_dim_, _unsafe_view, reshape

    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other if isinstance(input, Tensor) else input).__name__}")
    d1, d2 = input._data.ndim, other._data.ndim
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {d1}D "
                           f"and {d2}D")
    if d1 == 1 and d2 == 1:
        return dot(input, other)
    if d1 == 2 and d2 == 1:
        return mv(input, other)
    if d1 == 1 and d2 == 2:
        return _squeeze_dim_.public(mm(input.unsqueeze(0), other), dim=0)
    if d1 == 2 and d2 == 2:
        return mm(input, other)
    if d1 >= 3 and d2 <= 2:
        return _fold(input, other)
    if d2 >= 3 and d1 <= 2:
        if d1 == 1:
            return _fold(other.mT, input)
        return _fold(other.mT, input.t()).mT.contiguous()
    # both batched: broadcast the batch dims, one bmm
    a, b = input._data.shape, other._data.shape
    try:
        batch = np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({a[-3]}) must match the size of tensor b "
                           f"({b[-3]}) at non-singleton dimension 1") from None
    n, k, p = a[-2], a[-1], b[-1]
    if b[-2] != k:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(batch))}, {k}] but got: [{int(np.prod(batch))}, {b[-2]}].")
    x = reshape(input.expand(*batch, n, k), -1, n, k)
    y = reshape(other.expand(*batch, k, p), -1, k, p)
    return _unsafe_view.public(x.bmm(y), size=tuple(batch) + (n, p))
