"""Randomized low-rank factorizations (Halko et al. 2009) written as torch writes them, so the
same seed gives torch's numbers: svd_lowrank and pca_lowrank (real and complex matrices)."""
from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor
from .._creation import randn
from ._registry import composite
from .spectral import _linalg_qr, _linalg_svd


def _approximate_basis(A: Tensor, q: int, niter: int, M: Tensor | None) -> Tensor:
    """Q with q orthonormal columns such that Q Q^T (A - M) approximates A - M."""
    dt = A.dtype if A._data.dtype.kind in "fc" else _dtype.float32
    R = randn(A._data.shape[-1], q, dtype=dt)  # complex A: a complex test matrix, as torch's
    X = A.matmul(R)
    if M is not None:
        X = X - M.matmul(R)
    Q = _linalg_qr(X)[0]
    for _ in range(niter):
        X = A.mH.matmul(Q)
        if M is not None:
            X = X - M.mH.matmul(Q)
        Q = _linalg_qr(X)[0]
        X = A.matmul(Q)
        if M is not None:
            X = X - M.matmul(Q)
        Q = _linalg_qr(X)[0]
    return Q


def _svd_lowrank(A: Tensor, q: int, niter: int, M: Tensor | None) -> tuple:
    m, n = A._data.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A._data.shape)
    if m < n:
        A = A.mH
        M = M.mH if M is not None else None
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mH.matmul(A)
    if M is not None:
        B = B - Q.mH.matmul(M)
    U, S, Vh = _linalg_svd(B, full_matrices=False)
    U, V = Q.matmul(U), Vh.mH
    return (V, S, U) if m < n else (U, S, V)


@composite("svd_lowrank", method=False)
def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2,
                M: Tensor | None = None) -> tuple:
    """(U, S, V) with A - M ~ U diag(S) V^T, from a q-dimensional random subspace refined by
    niter power iterations (draws from the default generator).

    Example::
        >>> _ = ndgrad.manual_seed(0)
        >>> U, S, V = ndgrad.svd_lowrank(ndgrad.eye(4), q=2)
        >>> S
        tensor([1., 1.])
    """
    return _svd_lowrank(A, 6 if q is None else q, 2 if niter is None else niter, M)


@composite("pca_lowrank", method=False)
def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2) -> tuple:
    """(U, S, V) of the (by default column-centred) A, as svd_lowrank; q defaults to
    min(6, m, n).

    Example::
        >>> _ = ndgrad.manual_seed(0)
        >>> U, S, V = ndgrad.pca_lowrank(ndgrad.eye(3), q=2, center=False)
        >>> V.shape
        torch.Size([3, 2])
    """
    m, n = A._data.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)="
                         f"{min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter, None)
    return _svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter, None)
