"""torch.linalg functions composed of other ops (no rule of their own): cond, matrix_rank, vander,
tensorinv, tensorsolve, and the deprecated torch.chain_matmul."""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import PUBLIC, composite
from .contract import multi_dot
from .decomp import _const, _tname, linalg_inv, linalg_solve
from .join import cat
from .linalg_solvers import inv_ex
from .spectral import svdvals
from .statistics import matrix_norm

_COND_SVD = (None, 2, -2, "nuc")
_COND_INV = ("fro", math.inf, -math.inf, 1, -1)


# *** condition number ***

def cond(A: Tensor, p: Any = None, *, out: Any = None) -> Tensor:
    """The condition number of A in the norm p (2 by default: largest over smallest singular
    value); inf for a singular A in the norms that invert it.

    Example::
        >>> ndgrad.linalg.cond(ndgrad.diag(ndgrad.tensor([1., 4.])))
        tensor(4.)
    """
    a = A._data
    if a.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p not in _COND_SVD and p not in _COND_INV:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if p in _COND_SVD:
        if a.size == 0:
            return Tensor._make(np.zeros(a.shape[:-2], np.abs(np.empty(0, a.dtype)).dtype))
        s = svdvals(A)
        if p == "nuc":
            return s.sum(-1) * s.reciprocal().sum(-1)
        big, small = s[..., 0], s[..., -1]
        return small / big if p == -2 else big / small
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they "
                           f"are {a.shape[-2]} by {a.shape[-1]} matrices")
    if a.size == 0:
        return Tensor._make(np.zeros(a.shape[:-2], np.abs(np.empty(0, a.dtype)).dtype))
    inverse, info = inv_ex(A)
    result = matrix_norm(A, p) * matrix_norm(inverse, p)
    singular = _const(info._data > 0)
    return PUBLIC["where"](singular, math.inf, result) if info._data.any() else result


# *** rank ***

def _tolerance(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def matrix_rank(A: Tensor, tol: Any = None, hermitian: bool = False, *, atol: Any = None,
                rtol: Any = None, out: Any = None) -> Tensor:
    """The number of singular values (absolute eigenvalues if hermitian) above
    max(atol, rtol * the largest one); rtol defaults to eps * max(m, n) when atol is not given.

    Example::
        >>> ndgrad.linalg.matrix_rank(ndgrad.tensor([[1., 2.], [2., 4.]]))
        tensor(1)
    """
    a = A._data
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 "
                           "dimensions.")
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"torch.linalg.matrix_rank: Expected a floating point or complex tensor "
                           f"as input. Got {_tname(a)}")
    if tol is not None:  # the legacy spelling: an absolute tolerance
        atol, rtol = tol, 0.0 if rtol is None else rtol
    m, n = a.shape[-2:]
    if a.size == 0:
        return Tensor._make(np.zeros(a.shape[:-2], np.int64))
    if hermitian:
        s = np.abs(np.linalg.eigvalsh(a))
    else:
        s = np.linalg.svd(a, compute_uv=False)
    if rtol is None:
        positive_atol = atol is not None and np.all(np.asarray(_tolerance(atol)) > 0)
        rtol = 0.0 if positive_atol else np.finfo(a.dtype).eps * max(m, n)
    atol = 0.0 if atol is None else _tolerance(atol)
    top = s.max(-1, keepdims=True)
    thresh = np.maximum(np.asarray(atol)[..., None], np.asarray(_tolerance(rtol))[..., None] * top)
    return Tensor._make((s > thresh).sum(-1).astype(np.int64))


# *** Vandermonde, tensor inverse and solve ***

def vander(x: Tensor, N: int | None = None) -> Tensor:
    """The Vandermonde matrix [x^0, x^1, ..., x^(N-1)] along a new last dim (N = len(x) default).

    Example::
        >>> ndgrad.linalg.vander(ndgrad.tensor([1, 2, 3]))
        tensor([[1, 1, 1],
                [1, 2, 4],
                [1, 3, 9]])
    """
    if N is None:
        if x._data.ndim < 1:
            raise RuntimeError("N must be greater than 1.")
        N = x._data.shape[-1]
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    if x._data.ndim == 0:
        x = x.reshape(1)  # torch treats a 0-d x as one point
    dt = x._data.dtype if x._data.dtype.kind in "fc" else np.dtype(np.int64)
    if x._data.dtype == np.bool_:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, "
                           "but got Bool")
    x = x if x._data.dtype == dt else x.to(_dtype.from_numpy_dtype(dt))
    ones = _const(np.ones(x._data.shape + (1,), dt))
    powers = x.unsqueeze(-1).expand(*x._data.shape, N - 1).cumprod(-1)
    return cat((ones, powers), -1)


def tensorinv(A: Tensor, ind: int = 2, *, out: Any = None) -> Tensor:
    """The tensor B with tensordot(A, B, ind) = identity: inv of A reshaped to a square matrix.

    Example::
        >>> ndgrad.linalg.tensorinv(ndgrad.eye(4).reshape(4, 2, 2), ind=1).shape
        torch.Size([2, 2, 4])
    """
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = A._data.shape
    rows, cols = int(np.prod(shape[:ind])), int(np.prod(shape[ind:]))
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return linalg_inv.public(A.reshape(rows, cols)).reshape(*(shape[ind:] + shape[:ind]))


def tensorsolve(A: Tensor, B: Tensor, dims: Any = None, *, out: Any = None) -> Tensor:
    """The X with tensordot(A, X, X.ndim) = B (dims of A moved to the end first).

    Example::
        >>> ndgrad.linalg.tensorsolve(ndgrad.eye(6).reshape(2, 3, 6), ndgrad.ones(2, 3)).shape
        torch.Size([6])
    """
    if dims is not None:
        nd = A._data.ndim
        dims = [d % nd for d in dims]
        order = [d for d in range(nd) if d not in dims] + dims
        A = A.permute(*order)
    nb = B._data.ndim
    rest = A._data.shape[nb:]
    rows, cols = int(np.prod(A._data.shape[:nb])), int(np.prod(rest))
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement "
                           f"prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), but "
                           f"got {cols} != {rows}")
    return linalg_solve.public(A.reshape(rows, cols), B.reshape(-1)).reshape(*rest)


@composite("chain_matmul", method=False)
def chain_matmul(*matrices: Tensor) -> Tensor:
    """Deprecated torch.chain_matmul(A, B, ...): linalg.multi_dot of two or more matrices (a copy
    of a single one).

    Example::
        >>> ndgrad.chain_matmul(ndgrad.ones(2, 3), ndgrad.ones(3, 2))
        tensor([[3., 3.],
                [3., 3.]])
    """
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning,
                  stacklevel=4)  # the caller, past the composite wrappers
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    return matrices[0].clone() if len(matrices) == 1 else multi_dot(list(matrices))
