"""The general eigendecomposition A = V diag(L) V^-1 (LAPACK geev through NumPy): linalg.eig and
linalg.eigvals, complex for real input as in torch, with torch's gradient (eigenvectors of unit
norm, so a loss must not depend on their phases)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import primitive
from .decomp import _check_matrix, _const, _enroll, _return_type, linalg_solve
from .spectral import _check_gauge, _is_zero_const

_Eig = _return_type("linalg_eig", ("eigenvalues", "eigenvectors"))


def _complex_of(dtype: np.dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)


@primitive("linalg_eig", grad_fn="LinalgEigBackward0", export=False, n_outputs=2, complex=True)
def linalg_eig(A: np.ndarray) -> tuple:
    _check_matrix(A, "linalg.eig")
    dt = _complex_of(A.dtype)
    if A.size == 0:
        return np.empty(A.shape[:-1], dt), np.empty(A.shape, dt)
    if not np.isfinite(A).all():
        raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
    L, V = np.linalg.eig(A)
    return L.astype(dt), V.astype(dt)


@linalg_eig.vjp
def _(grads, A, result0, result1):
    gL, gV = grads
    L, V = result0, result1
    Vh = V.mH
    n = L._data.shape[-1]
    real = L._data.real.dtype
    eye = np.eye(n, dtype=real)
    off = _const(1 - eye)
    if _is_zero_const(gV):  # eigenvalues only (eigvals)
        inner = gL.diag_embed()
    else:
        VhgV = Vh @ gV
        _check_gauge(VhgV.diagonal(0, -2, -1).imag, None, "eig", "eigenvectors")
        # the part of V^H gV that moves the (unit-norm) eigenvectors, over the eigengaps
        inner = VhgV - Vh @ (V * VhgV.diagonal(0, -2, -1).real.unsqueeze(-2))
        Lc = L.conj()
        gaps = Lc.unsqueeze(-2) - Lc.unsqueeze(-1) + _const(eye)
        inner = (inner / gaps) * off + gL.diag_embed()
    gA = linalg_solve.public(Vh, inner @ Vh)
    return gA if A._data.dtype.kind == "c" else gA.real


def eig(A: Tensor, *, out: Any = None) -> tuple:
    """(eigenvalues, eigenvectors) of a square matrix, complex even for real input; eigenvectors
    have unit norm.

    Example::
        >>> ndgrad.linalg.eig(ndgrad.diag(ndgrad.tensor([1., 2.]))).eigenvalues
        tensor([1.+0.j, 2.+0.j])
    """
    return _Eig(linalg_eig.public(A))


def eigvals(A: Tensor, *, out: Any = None) -> Tensor:
    """The eigenvalues of a square matrix, complex even for real input.

    Example::
        >>> ndgrad.linalg.eigvals(ndgrad.tensor([[0., -1.], [1., 0.]]))
        tensor([0.+1.j, 0.-1.j])
    """
    from ..autograd import forward_ad
    from ..autograd.grad_mode import STATE

    if (STATE.enabled and A._requires_grad) or forward_ad.LEVELS.stack:
        return linalg_eig.public(A)[0]  # torch records the whole LinalgEigBackward0 node
    a = A._data
    _check_matrix(a, "linalg.eigvals")
    dt = _complex_of(a.dtype)
    if a.size == 0:
        return Tensor._make(np.empty(a.shape[:-1], dt))
    return Tensor._make(np.linalg.eigvals(a).astype(dt))


def _spread(A: Any) -> Any:
    """diag(2, 4, 6, ...): eigenvalues well apart."""
    d = np.diag(2.0 * np.arange(1, A.shape[-1] + 1))
    if isinstance(A, Tensor):
        return _const(d.astype(A._data.dtype))
    return A.new_tensor(d)


def _gauge_free(L: Any, V: Any) -> tuple:
    """Eigenvalues and |V| in ascending order of the eigenvalues' real parts: independent of
    each eigenvector's phase and of LAPACK's order (which torch leaves unspecified, and which
    differs between LAPACK builds in float32)."""
    order = L.real.argsort(-1)
    V = V.abs()
    return L.gather(-1, order), V.gather(-1, order.unsqueeze(-2).expand(V.shape))


_enroll("linalg_eig", lambda A: _gauge_free(*linalg_eig.public(A + _spread(A))),
        lambda torch, A: _gauge_free(*torch.linalg.eig(A + _spread(A))),
        [((3, 3), {}), ((2, 3, 3), {})], domain=(-0.5, 0.5))

