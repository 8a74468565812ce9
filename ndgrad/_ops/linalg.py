"""Matrix products (matmul dispatching among mm / bmm / mv / dot as torch does), diagonals and
triangles. Contractions (einsum ...) live in contract.py, matrix functions in decomp / spectral."""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._tensor import _TORCH_TYPE_NAMES, Tensor, _wrap_dim
from ._registry import composite, primitive
from .shape import _squeeze_dim_, _unsafe_view, reshape

_TYPE = {"float16": "c10::Half", "float32": "float", "float64": "double", "int64": "long int",
         "int32": "int"}


def _same_dtype(a: np.ndarray, b: np.ndarray, what: str = "m1 and m2") -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected {what} to have the same dtype, but got: "
                           f"{_TYPE.get(a.dtype.name, a.dtype.name)} != "
                           f"{_TYPE.get(b.dtype.name, b.dtype.name)}")


def _tname(a: np.ndarray) -> str:
    return _TORCH_TYPE_NAMES.get(a.dtype.name, a.dtype.name)


# *** matrix products ***

@primitive("mm", complex="holomorphic", grad_fn="MmBackward0", save_if={"input": ("mat2",),
           "mat2": ("input",)},
           samples=[(((2, 3), (3, 4)), {})])
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
def _(grad, mat2, input, needs_input_grad):  # saved in torch's order: mat2, then self
    return (grad.mm(mat2.t()) if needs_input_grad[0] else None,
            input.t().mm(grad) if needs_input_grad[1] else None)


@primitive("mv", complex="holomorphic", grad_fn="MvBackward0", save_if={"input": ("vec",),
           "vec": ("input",)},
           samples=[(((2, 3), (3,)), {})])
def mv(input, vec):
    """Matrix-vector product.

    Example::
        >>> ndgrad.mv(ndgrad.ones(2, 3), ndgrad.ones(3))
        tensor([3., 3.])
    """
    if input.ndim != 2 or vec.ndim != 1 or input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 0}), mat "
                           f"({'x'.join(map(str, input.shape))}), "
                           f"vec ({vec.shape[0] if vec.ndim else 0})")
    _same_dtype(input, vec, "self and vec")
    return np.matmul(input, vec)


@mv.vjp
def _(grad, input, vec, needs_input_grad):
    return (grad.unsqueeze(1) * vec if needs_input_grad[0] else None,  # outer(grad, vec)
            input.t().mv(grad) if needs_input_grad[1] else None)


@primitive("dot", complex="holomorphic", grad_fn="DotBackward0", save_if={"input": ("tensor",),
           "tensor": ("input",)},
           samples=[(((3,), (3,)), {})])
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


@primitive("vdot", complex=True, grad_fn="VdotBackward0", samples=[(((3,), (3,)), {})])
def vdot(input: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Inner product of two 1-D tensors, conjugating the first (the same as dot for real ones).

    Example::
        >>> ndgrad.vdot(ndgrad.tensor([1., 2.]), ndgrad.tensor([3., 4.]))
        tensor(11.)
    """
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.dtype != other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_tname(input)} and {_tname(other)}")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{other.shape[0]}] to have the same number of elements, but got "
                           f"{input.shape[0]} and {other.shape[0]} elements respectively")
    return np.asarray(np.vdot(input, other))


@vdot.vjp
def _(grad, input, other, needs_input_grad):
    # s = sum(conj(x) y): ds/dconj(x) = y, so x gets conj(g) y; y gets g conj(conj(x)) = g x
    return (grad.conj_physical() * other if needs_input_grad[0] else None,
            grad * input if needs_input_grad[1] else None)


@primitive("bmm", complex="holomorphic", grad_fn="BmmBackward0", save_if={"input": ("mat2",),
           "mat2": ("input",)},
           samples=[(((2, 2, 3), (2, 3, 4)), {})])
def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors.

    Example::
        >>> ndgrad.bmm(ndgrad.ones(5, 2, 3), ndgrad.ones(5, 3, 4)).shape
        torch.Size([5, 2, 4])
    """
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input.ndim != 3 else
                           "batch2 must be a 3D tensor")
    if mat2.shape[:2] != (input.shape[0], input.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input.shape[0]}, {input.shape[2]}] but got: "
                           f"[{mat2.shape[0]}, {mat2.shape[1]}].")
    _same_dtype(input, mat2)
    return np.matmul(input, mat2)


@bmm.vjp
def _(grad, mat2, input, needs_input_grad):  # torch's save order
    return (grad.bmm(mat2.transpose(1, 2)) if needs_input_grad[0] else None,
            input.transpose(1, 2).bmm(grad) if needs_input_grad[1] else None)


def _fold(t1: Tensor, t2: Tensor) -> Tensor:
    """t1 (>= 3 dims) @ t2 (1 or 2 dims): fold t1's batch into rows, one mm or mv."""
    batch = t1._data.shape[:-1]
    flat = reshape(t1, math.prod(batch), t1._data.shape[-1])  # no -1: t1 may be empty
    out = flat.mm(t2) if t2._data.ndim == 2 else flat.mv(t2)
    return _unsafe_view.public(out, size=batch + out._data.shape[1:])


@composite("matmul")
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with torch's rules for 1-D operands and broadcast batch dims.

    Example::
        >>> ndgrad.matmul(ndgrad.ones(3), ndgrad.ones(3, 2))
        tensor([3., 3.])
    """
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other if isinstance(input, Tensor) else input).__name__}")
    d1, d2 = input._data.ndim, other._data.ndim
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {d1}D "
                           f"and {d2}D")
    if d1 == 1 and d2 == 1:
        return dot.public(input, other)
    if d1 == 2 and d2 == 1:
        return mv.public(input, other)
    if d1 == 1 and d2 == 2:
        return _squeeze_dim_.public(mm.public(input.unsqueeze(0), other), dim=0)
    if d1 == 2 and d2 == 2:
        return mm.public(input, other)  # the op's function: no OpDef.__call__ frame
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
        n_batch = int(np.prod(batch))
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n_batch}, {k}] but got: [{n_batch}, {b[-2]}].")
    n_batch = int(np.prod(batch))  # not -1: ambiguous for empty matrices
    x = reshape(input.expand(*batch, n, k), n_batch, n, k)
    y = reshape(other.expand(*batch, k, p), n_batch, k, p)
    return _unsafe_view.public(x.bmm(y), size=tuple(batch) + (n, p))


# *** scaled products: input * beta + (product) * alpha ***

def _expand_error(src: np.ndarray, target: tuple) -> RuntimeError:
    """torch's error when `src` does not expand to `target` (the add* ops broadcast input)."""
    shape = src.shape
    if len(shape) > len(target):
        return RuntimeError(f"expand(torch.{_tname(src)}Tensor{{{list(shape)}}}, size="
                            f"{list(target)}): the number of sizes provided ({len(target)}) must "
                            f"be greater or equal to the number of dimensions in the tensor "
                            f"({len(shape)})")
    lead = len(target) - len(shape)
    # torch's expand checks from the last dim back, so it names the last mismatch
    bad = max(i for i, s in enumerate(shape) if s != 1 and s != target[lead + i])
    return RuntimeError(f"The expanded size of the tensor ({target[lead + bad]}) must match the "
                        f"existing size ({shape[bad]}) at non-singleton dimension {lead + bad}.  "
                        f"Target sizes: {list(target)}.  Tensor sizes: {list(shape)}")


def _scale_add(prod: np.ndarray, input: np.ndarray, beta: Any, alpha: Any) -> np.ndarray:
    """beta * input + alpha * prod, in place on the fresh product (no extra allocation)."""
    if alpha != 1:
        np.multiply(prod, alpha, out=prod)
    if beta == 0:  # torch ignores input then, so nan/inf in it do not propagate
        try:
            np.broadcast_to(input, prod.shape)
        except ValueError:
            raise _expand_error(input, prod.shape) from None
        return prod
    try:
        return np.add(prod, input if beta == 1 else input * beta, out=prod)
    except ValueError:
        raise _expand_error(input, prod.shape) from None


def _scaled(t: Tensor, s: Any) -> Tensor:
    return t if s == 1 else t * s


@primitive("addmm", complex="holomorphic", grad_fn="AddmmBackward0", inplace=True,
           save_if={"mat1": ("mat2",), "mat2": ("mat1",)},
           samples=[(((4,), (2, 3), (3, 4)), {}),
                    (((2, 4), (2, 3), (3, 4)), {"beta": 0.5, "alpha": 2.0}),
                    (((2, 1), (2, 3), (3, 4)), {"beta": 0.0})])
def addmm(input: np.ndarray, mat1: np.ndarray, mat2: np.ndarray, *, beta: Any = 1,
          alpha: Any = 1) -> np.ndarray:
    """beta * input + alpha * (mat1 @ mat2): one BLAS call plus an add (F.linear's 2-D path).

    Example::
        >>> ndgrad.addmm(ndgrad.zeros(2), ndgrad.ones(3, 4), ndgrad.ones(4, 2)).shape
        torch.Size([3, 2])
    """
    if mat1.ndim != 2 or mat2.ndim != 2:
        which = "mat1" if mat1.ndim != 2 else "mat2"
        nd = mat1.ndim if which == "mat1" else mat2.ndim
        raise RuntimeError(f"{which} must be a matrix, got {nd}-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x"
                           f"{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    if not input.dtype == mat1.dtype == mat2.dtype:
        a, b = (input, mat1) if input.dtype != mat1.dtype else (mat1, mat2)
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_tname(a)} and "
                           f"{_tname(b)}")
    return _scale_add(np.matmul(mat1, mat2), input, beta, alpha)


@addmm.vjp
def _(grad, mat1, mat2, needs_input_grad, *, beta, alpha):
    return (_scaled(grad, beta) if needs_input_grad[0] else None,
            _scaled(grad.mm(mat2.t()), alpha) if needs_input_grad[1] else None,
            _scaled(mat1.t().mm(grad), alpha) if needs_input_grad[2] else None)


@primitive("addmv", complex="holomorphic", grad_fn="AddmvBackward0", inplace=True,
           samples=[(((2,), (2, 3), (3,)), {}), (((), (2, 3), (3,)), {"beta": 2.0, "alpha": 0.5})])
def addmv(input: np.ndarray, mat: np.ndarray, vec: np.ndarray, *, beta: Any = 1,
          alpha: Any = 1) -> np.ndarray:
    """beta * input + alpha * (mat @ vec).

    Example::
        >>> ndgrad.addmv(ndgrad.ones(2), ndgrad.ones(2, 3), ndgrad.ones(3))
        tensor([4., 4.])
    """
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    if mat.shape[1] != vec.shape[0] or (input.ndim and input.shape[0] not in (1, mat.shape[0])):
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), "
                           f"mat ({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    if not input.dtype == mat.dtype == vec.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_tname(input)}, {_tname(mat)}, and {_tname(vec)}")
    return _scale_add(np.matmul(mat, vec), input, beta, alpha)


@addmv.vjp
def _(grad, mat, vec, needs_input_grad, *, beta, alpha):
    return (_scaled(grad, beta) if needs_input_grad[0] else None,
            _scaled(grad.unsqueeze(1) * vec, alpha) if needs_input_grad[1] else None,  # outer
            _scaled(mat.t().mv(grad), alpha) if needs_input_grad[2] else None)


def _check_batches(input: np.ndarray, batch1: np.ndarray, batch2: np.ndarray) -> None:
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError(f"batch{1 if batch1.ndim != 3 else 2} must be a 3D tensor")
    if not input.dtype == batch1.dtype == batch2.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input "
                           f"{_TYPE.get(input.dtype.name)}, batch1: "
                           f"{_TYPE.get(batch1.dtype.name)}, batch2: "
                           f"{_TYPE.get(batch2.dtype.name)}")


@primitive("addbmm", complex="holomorphic", grad_fn="AddbmmBackward0", inplace=True,
           samples=[(((2, 4), (3, 2, 3), (3, 3, 4)), {}),
                    (((4,), (3, 2, 3), (3, 3, 4)), {"alpha": 0.5})])
def addbmm(input: np.ndarray, batch1: np.ndarray, batch2: np.ndarray, *, beta: Any = 1,
           alpha: Any = 1) -> np.ndarray:
    """beta * input + alpha * sum_b batch1[b] @ batch2[b].

    Example::
        >>> ndgrad.addbmm(ndgrad.zeros(2, 4), ndgrad.ones(3, 2, 5), ndgrad.ones(3, 5, 4))[0, 0]
        tensor(15.)
    """
    _check_batches(input, batch1, batch2)
    b, n, k = batch1.shape
    if batch2.shape[0] != b:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b} and "
                           f"{batch2.shape[0]}")
    if batch2.shape[1] != k:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({n}x{k} and {batch2.shape[1]}x"
                           f"{batch2.shape[2]})")
    # the sum of b products is one GEMM over the concatenated inner dimension
    left = batch1.transpose(1, 0, 2).reshape(n, b * k)
    return _scale_add(np.matmul(left, batch2.reshape(b * k, -1)), input, beta, alpha)


@addbmm.vjp
def _(grad, batch1, batch2, needs_input_grad, *, beta, alpha):
    return (_scaled(grad, beta) if needs_input_grad[0] else None,
            _scaled(grad @ batch2.mT, alpha) if needs_input_grad[1] else None,
            _scaled(batch1.mT @ grad, alpha) if needs_input_grad[2] else None)


@primitive("baddbmm", complex="holomorphic", grad_fn="BaddbmmBackward0", inplace=True,
           samples=[(((3, 2, 4), (3, 2, 3), (3, 3, 4)), {}),
                    (((2, 4), (3, 2, 3), (3, 3, 4)), {"beta": 0.5, "alpha": 2.0})])
def baddbmm(input: np.ndarray, batch1: np.ndarray, batch2: np.ndarray, *, beta: Any = 1,
            alpha: Any = 1) -> np.ndarray:
    """beta * input + alpha * bmm(batch1, batch2).

    Example::
        >>> ndgrad.baddbmm(ndgrad.zeros(3, 2, 4), ndgrad.ones(3, 2, 5), ndgrad.ones(3, 5, 4)).shape
        torch.Size([3, 2, 4])
    """
    _check_batches(input, batch1, batch2)
    if batch2.shape[:2] != (batch1.shape[0], batch1.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch1.shape[0]}, {batch1.shape[2]}] but got: "
                           f"[{batch2.shape[0]}, {batch2.shape[1]}].")
    return _scale_add(np.matmul(batch1, batch2), input, beta, alpha)


@baddbmm.vjp
def _(grad, batch1, batch2, needs_input_grad, *, beta, alpha):
    return (_scaled(grad, beta) if needs_input_grad[0] else None,
            _scaled(grad.bmm(batch2.transpose(1, 2)), alpha) if needs_input_grad[1] else None,
            _scaled(batch1.transpose(1, 2).bmm(grad), alpha) if needs_input_grad[2] else None)


# *** diagonals, triangles, cross ***

def _diag_view(a: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    """A writable strided view of the offset diagonal of (dim1, dim2), appended as the last dim."""
    d1, d2 = _wrap_dim(dim1, a.ndim), _wrap_dim(dim2, a.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = np.moveaxis(a, (d1, d2), (-2, -1))
    m = m[..., :, offset:] if offset >= 0 else m[..., -offset:, :]
    k = min(m.shape[-2], m.shape[-1])
    st = m.strides
    return np.lib.stride_tricks.as_strided(m, m.shape[:-2] + (k,), st[:-2] + (st[-2] + st[-1],))


@primitive("trace", complex=True, grad_fn="TraceBackward0", promote="same", shapes=[(3, 3), (2, 3)])
def trace(input: np.ndarray) -> np.ndarray:
    """Sum of the main diagonal of a 2-D tensor.

    Example::
        >>> ndgrad.trace(ndgrad.eye(3))
        tensor(3.)
    """
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return np.asarray(np.trace(input), dtype=np.int64 if input.dtype.kind in "biu" else input.dtype)


@trace.vjp
def _(grad, input_shape):
    return grad * Tensor._make(np.eye(*input_shape, dtype=grad._data.dtype))


@primitive("diagonal", complex=True, grad_fn="DiagonalBackward0", promote="same", view=True,
           samples=[((3, 4), {}), ((3, 4), {"offset": 1}),
                    ((2, 3, 4), {"offset": -1, "dim1": 2, "dim2": 0})])
def diagonal(input: np.ndarray, offset: int = 0, dim1: int = 0, dim2: int = 1) -> np.ndarray:
    """The offset diagonal of dims (dim1, dim2) as a view, appended as the last dim.

    Example::
        >>> ndgrad.diagonal(ndgrad.eye(3) * 2)
        tensor([2., 2., 2.])
    """
    return _diag_view(input, offset, dim1, dim2)


@diagonal.vjp
def _(grad, input_shape, *, offset, dim1, dim2):
    return _diagonal_backward.public(grad, input_sizes=input_shape, offset=offset, dim1=dim1,
                                     dim2=dim2)


@primitive("diagonal_backward", complex=True, grad_fn="DiagonalBackwardBackward0", export=False,
           samples=[((3,), {"input_sizes": (3, 4), "offset": 0, "dim1": 0, "dim2": 1}),
                    ((2, 3), {"input_sizes": (3, 2, 4), "offset": 1, "dim1": 0, "dim2": -1})],
           torch_fn=lambda torch, g, **kw: torch.ops.aten.diagonal_backward(
               g, kw["input_sizes"], kw["offset"], kw["dim1"], kw["dim2"]))
def _diagonal_backward(grad: np.ndarray, *, input_sizes: tuple, offset: int, dim1: int,
                       dim2: int) -> np.ndarray:
    out = np.zeros(input_sizes, dtype=grad.dtype)
    _diag_view(out, offset, dim1, dim2)[...] = grad
    return out


@_diagonal_backward.vjp
def _(grad, *, input_sizes, offset, dim1, dim2):
    return grad.diagonal(offset, dim1, dim2)


@primitive("diag_embed", complex=True, grad_fn="DiagEmbedBackward0", promote="same",
           samples=[((2, 3), {}), ((3,), {"offset": 1}),
                    ((2, 3), {"offset": -1, "dim1": 0, "dim2": 2})])
def diag_embed(input: np.ndarray, offset: int = 0, dim1: int = -2, dim2: int = -1) -> np.ndarray:
    """Place the last dim of input on the offset diagonal of new dims (dim1, dim2).

    Example::
        >>> ndgrad.diag_embed(ndgrad.ones(2, 3)).shape
        torch.Size([2, 3, 3])
    """
    nd = input.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    k = input.shape[-1] + abs(offset)
    shape = list(input.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, k)
    out = np.zeros(shape, dtype=input.dtype)
    _diag_view(out, offset, d1, d2)[...] = input
    return out


@diag_embed.vjp
def _(grad, *, offset, dim1, dim2):
    return grad.diagonal(offset, dim1, dim2)


@primitive("diag", complex=True, grad_fn="DiagonalBackward0_copy", export=False, promote="same",
           samples=[((3, 4), {"diagonal": 0}), ((3, 4), {"diagonal": -1})],
           torch_fn=lambda torch, x, diagonal: torch.diag(x, diagonal))
def _diag_copy(input: np.ndarray, *, diagonal: int) -> np.ndarray:
    # torch.diag of a matrix is diagonal_copy, a node of its own name
    return _diag_view(input, diagonal, 0, 1).copy()


@_diag_copy.vjp
def _(grad, input_shape, *, diagonal):
    return _diagonal_backward.public(grad, input_sizes=input_shape, offset=diagonal, dim1=0, dim2=1)


@composite("diag", shapes=[(3,), (3, 3)], complex=True)
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D tensor as the diagonal of a matrix, or the (copied) diagonal of a matrix.

    Example::
        >>> ndgrad.diag(ndgrad.tensor([1., 2.]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    nd = input._data.ndim
    if nd == 1:
        return diag_embed(input, diagonal)
    if nd == 2:
        return _diag_copy.public(input, diagonal=diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


def _check_matrix(input: np.ndarray, name: str) -> None:
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


@primitive("tril", complex=True, grad_fn="TrilBackward0", inplace=True, promote="same",
           samples=[((3, 4), {}), ((2, 3, 3), {"diagonal": -1}), ((3, 4), {"diagonal": 1})])
def tril(input: np.ndarray, diagonal: int = 0) -> np.ndarray:
    """Zero the elements above the `diagonal`-th diagonal of the last two dims.

    Example::
        >>> ndgrad.tril(ndgrad.ones(2, 2))
        tensor([[1., 0.],
                [1., 1.]])
    """
    _check_matrix(input, "tril")
    return np.tril(input, diagonal)


@tril.vjp
def _(grad, *, diagonal):
    return grad.tril(diagonal)


@primitive("triu", complex=True, grad_fn="TriuBackward0", inplace=True, promote="same",
           samples=[((3, 4), {}), ((2, 3, 3), {"diagonal": 1}), ((4, 3), {"diagonal": -1})])
def triu(input: np.ndarray, diagonal: int = 0) -> np.ndarray:
    """Zero the elements below the `diagonal`-th diagonal of the last two dims.

    Example::
        >>> ndgrad.triu(ndgrad.ones(2, 2))
        tensor([[1., 1.],
                [0., 1.]])
    """
    _check_matrix(input, "triu")
    return np.triu(input, diagonal)


@triu.vjp
def _(grad, *, diagonal):
    return grad.triu(diagonal)


@primitive("linalg_cross", complex="holomorphic", grad_fn="LinalgCrossBackward0", export=False,
           promote="same",
           samples=[(((2, 3), (2, 3)), {"dim": -1}), (((3, 2), (3, 1)), {"dim": 0})],
           torch_fn=lambda torch, a, b, dim: torch.linalg.cross(a, b, dim=dim))
def linalg_cross(input: np.ndarray, other: np.ndarray, *, dim: int = -1) -> np.ndarray:
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"expected scalar type {_tname(input)} but found {_tname(other)}")
    return np.cross(input, other, axis=d)


@linalg_cross.vjp
def _(grad, input, other, needs_input_grad, *, dim):
    return (linalg_cross.public(other, grad, dim=dim) if needs_input_grad[0] else None,
            linalg_cross.public(grad, input, dim=dim) if needs_input_grad[1] else None)


@composite("cross")
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product of 3-vectors along dim (default: the first dim of size 3, deprecated).

    Example::
        >>> ndgrad.cross(ndgrad.tensor([1., 0., 0.]), ndgrad.tensor([0., 1., 0.]), dim=0)
        tensor([0., 0., 1.])
    """
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        sizes = input._data.shape
        dim = next((i for i, s in enumerate(sizes) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross.public(input, other, dim=dim)

