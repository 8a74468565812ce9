"""ndgrad.linalg: the torch.linalg namespace (the ops and their rules live in ndgrad._ops)."""
from __future__ import annotations

from typing import Any

from ._ops.decomp import LinAlgError, linalg_cholesky, linalg_det, linalg_inv, linalg_solve
from ._ops.decomp import _linalg_slogdet as slogdet
from ._ops.decomp import linalg_solve_triangular, matrix_power
from ._ops.contract import multi_dot
from ._ops.linalg import diagonal as _diagonal
from ._ops.linalg import linalg_cross, matmul
from ._ops.spectral import _linalg_eigh as eigh
from ._ops.spectral import _linalg_qr as qr
from ._ops.spectral import _linalg_svd as svd
from ._ops.spectral import _pinv as pinv
from ._ops.spectral import eigvalsh, svdvals
from ._ops.linalg_eig import eig, eigvals
from ._ops.linalg_householder import linalg_householder_product, linalg_matrix_exp
from ._ops.linalg_lu import ldl_factor, ldl_factor_ex, linalg_ldl_solve, linalg_lu_solve, lu
from ._ops.linalg_lu import lu_factor, lu_factor_ex
from ._ops.linalg_misc import cond, matrix_rank, tensorinv, tensorsolve, vander
from ._ops.linalg_solvers import cholesky_ex, inv_ex, lstsq, solve_ex
from ._tensor import Tensor

inv = linalg_inv.public
det = linalg_det.public
solve = linalg_solve.public
solve_triangular = linalg_solve_triangular.public
cholesky = linalg_cholesky.public
lu_solve = linalg_lu_solve.public
ldl_solve = linalg_ldl_solve.public
matrix_exp = linalg_matrix_exp.public
householder_product = linalg_householder_product.public

# norms live in _ops/statistics.py (torch.linalg.norm is statistics.linalg_norm, not
# torch.norm); looked up lazily so this module works before they land
_LAZY = {"vector_norm": "vector_norm", "matrix_norm": "matrix_norm", "norm": "linalg_norm"}

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh",
    "eigvals", "eigvalsh", "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex", "ldl_solve",
    "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul", "matrix_exp",
    "matrix_power", "matrix_rank", "multi_dot", "pinv", "qr", "slogdet", "solve", "solve_ex",
    "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot",
    "matrix_norm", "norm", "vector_norm",  # noqa: F822  (resolved lazily by __getattr__)
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from ._ops import statistics

        fn = getattr(statistics, _LAZY[name], None)
        if fn is not None:
            return getattr(fn, "public", fn)
    raise AttributeError(f"module 'ndgrad.linalg' has no attribute '{name}'")


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along dim, broadcasting the other dims.

    Example::
        >>> ndgrad.linalg.cross(ndgrad.tensor([1., 0., 0.]), ndgrad.tensor([0., 1., 0.]))
        tensor([0., 0., 1.])
    """
    return linalg_cross.public(input, other, dim=dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The offset diagonal of each matrix of A (a view; last two dims by default).

    Example::
        >>> ndgrad.linalg.diagonal(ndgrad.eye(2))
        tensor([1., 1.])
    """
    return _diagonal(A, offset, dim1, dim2)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot product of vectors along dim, broadcasting the other dims (x is conjugated).

    Example::
        >>> ndgrad.linalg.vecdot(ndgrad.ones(2, 3), ndgrad.ones(3))
        tensor([3., 3.])
    """
    return (x.conj() * y).sum(dim)
