"""Factorizations through which gradients flow: qr, svd, eigh and the pseudo-inverse, with torch's
gradients (gauge-invariant losses for singular / eigen vectors); batched over leading dims."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import forward_ad
from ..autograd.grad_mode import STATE
from ._registry import composite, primitive
from .decomp import _check_matrix, _const, _EighL, _enroll, _Qr, _QrL, _rect, _Svd, _SvdL, _sym
from .decomp import _tname, linalg_solve_triangular
from . import join


def _eye_like(t: Tensor, n: int | None = None) -> Tensor:
    return _const(np.eye(t._data.shape[-1] if n is None else n, dtype=t._data.dtype))


def _is_zero_const(g: Tensor) -> bool:
    """True for a gradient the engine filled with zeros (an output nobody used)."""
    return g._grad_fn is None and not g._requires_grad and not g._data.any()


# *** qr ***

# Complex matrices: the rules below are written with conjugate transposes (mH), which are plain
# transposes for real tensors, plus the terms only complex inputs have.

@primitive("linalg_qr", complex=True, grad_fn="LinalgQrBackward0", export=False, n_outputs=2)
def linalg_qr(A: np.ndarray, mode: str = "reduced") -> tuple:
    """QR decomposition A = Q R; mode 'reduced', 'complete' or 'r' (Q then empty).

    Example::
        >>> Q, R = ndgrad.linalg.qr(ndgrad.eye(2))
        >>> R.shape
        torch.Size([2, 2])
    """
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           "(default), 'r', or 'complete'")
    _check_matrix(A, "linalg.qr", square=False)
    if mode == "r":
        return np.empty((0,), dtype=A.dtype), np.linalg.qr(A, mode="r")
    return np.linalg.qr(A, mode=mode)


@linalg_qr.vjp
def _(grads, result0, result1, *, mode):
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                           "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                           "differentiate through linalg.qr.")
    Q, R = result0, result1
    m, n = Q._data.shape[-2], R._data.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")
    gQ, gR = grads
    if m >= n:
        return _qr_backward(gQ, gR, Q, R)
    # wide: A = [A1 | A2] with A1 = Q R1 a square QR and R2 = Q^H A2: A2 reaches Q through R2
    R1, R2, gR1, gR2 = R[..., :, :m], R[..., :, m:], gR[..., :, :m], gR[..., :, m:]
    gA1 = _qr_backward(gQ + (Q @ R2) @ gR2.mH, gR1, Q, R1)
    return join.cat([gA1, Q @ gR2], -1)


def _qr_backward(gQ: Tensor, gR: Tensor, Q: Tensor, R: Tensor) -> Tensor:
    """A = Q R with m >= n: gA = (gQ + Q copyltu(M)) R^-H, M = gR R^H - Q^H gQ, where copyltu
    mirrors the strict upper triangle of M onto the lower (conjugated) and keeps the real part
    of its diagonal (R's diagonal is real)."""
    M = gR @ R.mH - Q.mH @ gQ
    upper = M.triu(1)
    diag = M.diagonal(0, -2, -1)
    copyltu = upper + upper.mH + (diag.real if diag.is_complex() else diag).diag_embed()
    return linalg_solve_triangular.public(R.mH, Q @ copyltu + gQ, upper=False, left=False)


@composite("qr")
def qr(input: Tensor, some: bool = True) -> tuple:
    """Deprecated torch.qr: (Q, R), reduced if some else complete.

    Example::
        >>> ndgrad.qr(ndgrad.eye(3)).Q.shape
        torch.Size([3, 3])
    """
    return _Qr(linalg_qr.public(input, mode="reduced" if some else "complete"))


def _linalg_qr(A: Tensor, mode: str = "reduced") -> tuple:
    """QR decomposition A = Q R as torch.return_types.linalg_qr; mode 'reduced', 'complete', 'r'.

    Example::
        >>> ndgrad.linalg.qr(ndgrad.ones(3, 2)).Q.shape
        torch.Size([3, 2])
    """
    return _QrL(linalg_qr.public(A, mode))


# *** svd ***

@primitive("linalg_svd", complex=True, grad_fn="LinalgSvdBackward0", export=False, n_outputs=3)
def linalg_svd(A: np.ndarray, full_matrices: bool = True, *, driver: Any = None) -> tuple:
    _check_matrix(A, "linalg.svd", square=False)
    return np.linalg.svd(A, full_matrices=full_matrices)


def _svd_backward(gU: Tensor, gS: Tensor, gVh: Tensor, U: Tensor, S: Tensor, Vh: Tensor) -> Tensor:
    m, n = U._data.shape[-2], Vh._data.shape[-1]
    if _is_zero_const(gU) and _is_zero_const(gVh):  # only S used (svdvals): U diag(gS) Vh
        return U @ (gS.unsqueeze(-1) * Vh) if m >= n else (U * gS.unsqueeze(-2)) @ Vh
    UhgU = U.mH @ gU
    VhgV = Vh @ gVh.mH
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye_like(S)  # E_jk = S_k^2 - S_j^2, 1 on diag
    gA = ((UhgU - UhgU.mH) * S.unsqueeze(-2) + S.unsqueeze(-1) * (VhgV - VhgV.mH)) / E
    gA = gA + gS.diag_embed()
    if UhgU.is_complex():  # each pair of singular vectors is defined up to a phase e^{iφ}
        im = UhgU.diagonal(0, -2, -1).imag
        _check_gauge(im, VhgV.diagonal(0, -2, -1).imag, "svd", "singular vectors")
        gA = gA + (im / S).diag_embed() * 1j
    if m > n:  # tall: plus (I - U U^H) gU S^-1 V^H
        gUSinv = gU / S.unsqueeze(-2)
        gA = U @ gA + gUSinv - U @ (U.mH @ gUSinv)
        return gA @ Vh
    if m < n:  # wide: plus U S^-1 gV^H (I - V V^H)
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA @ Vh + SinvgVh - (SinvgVh @ Vh.mH) @ Vh
        return U @ gA
    return U @ (gA @ Vh)


def _check_gauge(im_u: Tensor, im_v: Tensor | None, name: str, what: str) -> None:
    """torch's refusal of a loss that depends on the arbitrary phase of complex vectors."""
    phase = im_u._data if im_v is None else im_u._data + im_v._data
    scale = max(1.0, float(np.abs(im_u._data).max(initial=0.0)))
    if np.abs(phase).max(initial=0.0) > 1e-6 * scale:
        raise RuntimeError(f"linalg_{name}_backward: The {what} in the complex case are "
                           "specified up to multiplication by e^{i phi}. The specified loss "
                           "function depends on this phase term, making it ill-defined.")


@linalg_svd.vjp
def _(grads, result0, result1, result2, *, full_matrices, driver):
    gU, gS, gVh = grads
    U, S, Vh = result0, result1, result2
    k = S._data.shape[-1]
    if full_matrices:  # the extra singular vectors are arbitrary: their gradients are ignored
        gU, gVh = gU[..., :, :k], gVh[..., :k, :]
        U, Vh = U[..., :, :k], Vh[..., :k, :]
    return _svd_backward(gU, gS, gVh, U, S, Vh)


def _linalg_svd(A: Tensor, full_matrices: bool = True, *, driver: Any = None) -> tuple:
    """Singular value decomposition A = U diag(S) Vh, singular values descending.

    Example::
        >>> ndgrad.linalg.svd(ndgrad.eye(2) * 3).S
        tensor([3., 3.])
    """
    return _SvdL(linalg_svd.public(A, full_matrices, driver=driver))


def svdvals(A: Tensor, *, driver: Any = None) -> Tensor:
    """Singular values of A, descending.

    Example::
        >>> ndgrad.linalg.svdvals(ndgrad.eye(2) * 3)
        tensor([3., 3.])
    """
    # torch records the full LinalgSvdBackward0 node; forward mode needs the op path too
    if (STATE.enabled and A._requires_grad) or forward_ad.LEVELS.stack:
        return linalg_svd.public(A, False, driver=driver)[1]
    _check_matrix(A._data, "linalg.svdvals", square=False)
    return Tensor._make(np.linalg.svd(A._data, compute_uv=False))


@composite("svd")
def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> tuple:
    """torch.svd: (U, S, V) with V (not Vh); reduced if some.

    Example::
        >>> ndgrad.svd(ndgrad.eye(2)).V.shape
        torch.Size([2, 2])
    """
    if not compute_uv:
        m, n = input._data.shape[-2:]
        batch = input._data.shape[:-2]
        dt = input._data.dtype
        return _Svd((Tensor._make(np.zeros(batch + (m, m), dt)), svdvals(input),
                     Tensor._make(np.zeros(batch + (n, n), dt))))
    U, S, Vh = linalg_svd.public(input, not some)
    return _Svd((U, S, Vh.mH))


# *** eigh ***

@primitive("linalg_eigh", complex=True, grad_fn="LinalgEighBackward0", export=False, n_outputs=2)
def linalg_eigh(A: np.ndarray, UPLO: str = "L") -> tuple:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    _check_matrix(A, "linalg.eigh")
    return np.linalg.eigh(A, UPLO=UPLO)


@linalg_eigh.vjp
def _(grads, result0, result1, *, UPLO):
    gL, gV = grads
    L, V = result0, result1
    if _is_zero_const(gV):  # eigenvalues only (eigvalsh): V diag(gL) V^H
        return (V * gL.unsqueeze(-2)) @ V.mH
    VhgV = V.mH @ gV
    if VhgV.is_complex():  # each eigenvector is defined up to a phase e^{iφ}
        _check_gauge(VhgV.diagonal(0, -2, -1).imag, None, "eigh", "eigenvectors")
    VhgV = (VhgV - VhgV.mH) * 0.5  # the skew part: gradients tangent to the unitary group
    E = L.unsqueeze(-2) - L.unsqueeze(-1) + _eye_like(L)  # E_ij = L_j - L_i, 1 on diag
    return V @ ((VhgV / E + gL.diag_embed()) @ V.mH)


def _linalg_eigh(A: Tensor, UPLO: str = "L") -> tuple:
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix (reads UPLO).

    Example::
        >>> ndgrad.linalg.eigh(ndgrad.eye(2) * 2).eigenvalues
        tensor([2., 2.])
    """
    return _EighL(linalg_eigh.public(A, UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """Eigenvalues (ascending) of a symmetric matrix.

    Example::
        >>> ndgrad.linalg.eigvalsh(ndgrad.eye(2) * 2)
        tensor([2., 2.])
    """
    if STATE.enabled and A._requires_grad:
        return linalg_eigh.public(A, UPLO)[0]
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    _check_matrix(A._data, "linalg.eigvalsh")
    return Tensor._make(np.linalg.eigvalsh(A._data, UPLO=UPLO))


# *** pseudo-inverse ***

def _tol(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


@primitive("linalg_pinv", complex=True, grad_fn="LinalgPinvBackward0", export=False)
def linalg_pinv(A: np.ndarray, *, atol: Any = None, rtol: Any = None,
                hermitian: bool = False) -> np.ndarray:
    """Moore-Penrose pseudo-inverse; singular values below max(atol, rtol * largest) are dropped.

    Example::
        >>> ndgrad.linalg.pinv(ndgrad.ones(2, 1))
        tensor([[0.5000, 0.5000]])
    """
    if A.dtype.kind not in "fc" or A.ndim < 2:
        raise RuntimeError(f"linalg.pinv({_tname(A)}{{{list(A.shape)}}}): expected a tensor with "
                           "2 or more dimensions of float, double, cfloat or cdouble types")
    m, n = A.shape[-2:]
    if rtol is None:  # torch: eps * max(m, n) unless a positive atol is given
        rtol = 0.0 if atol is not None and np.all(np.asarray(_tol(atol)) > 0) else \
            np.finfo(A.dtype).eps * max(m, n)
    atol = 0.0 if atol is None else _tol(atol)
    if hermitian:
        w, V = np.linalg.eigh(A)
        thresh = np.maximum(np.asarray(atol)[..., None], np.asarray(rtol)[..., None]
                            * np.abs(w).max(-1, keepdims=True, initial=0.0))
        winv = np.where(np.abs(w) > thresh, 1 / np.where(w == 0, 1, w), 0).astype(A.dtype)
        return np.matmul(V * winv[..., None, :], np.swapaxes(V, -1, -2).conj())
    U, S, Vh = np.linalg.svd(A, full_matrices=False)
    thresh = np.maximum(np.asarray(atol)[..., None], np.asarray(rtol)[..., None]
                        * S.max(-1, keepdims=True, initial=0.0))
    sinv = np.where(S > thresh, 1 / np.where(S == 0, 1, S), 0).astype(A.dtype)
    return np.matmul(np.swapaxes(Vh, -1, -2).conj() * sinv[..., None, :],
                     np.swapaxes(U, -1, -2).conj())


@linalg_pinv.vjp
def _(grad, A, result, *, atol, rtol, hermitian):
    # d(A+) = -A+ dA A+ + A+ A+^H dA^H (I - A A+) + (I - A+ A) dA^H A+^H A+  (constant rank)
    P, Pt, gt = result, result.mH, grad.mH
    gA = -(Pt @ grad @ Pt)
    left = gt @ (P @ Pt)  # (I - A A+) gt A+ A+^T
    gA = gA + left - A @ (P @ left)
    right = (Pt @ P) @ gt  # A+^T A+ gt (I - A+ A)
    return gA + right - (right @ P) @ A


def _pinv(A: Tensor, rcond: Any = None, hermitian: bool = False, *, atol: Any = None,
          rtol: Any = None) -> Tensor:
    """Moore-Penrose pseudo-inverse (rcond, the old name of rtol, may be given positionally).

    Example::
        >>> ndgrad.linalg.pinv(ndgrad.eye(2) * 2)
        tensor([[0.5000, 0.0000],
                [0.0000, 0.5000]])
    """
    if rcond is not None:
        rtol, atol = rcond, 0.0 if atol is None else atol
    return linalg_pinv.public(A, atol=atol, rtol=rtol, hermitian=hermitian)


@composite("pinverse")
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """Pseudo-inverse, dropping singular values below rcond * the largest.

    Example::
        >>> ndgrad.pinverse(ndgrad.eye(2) * 4)
        tensor([[0.2500, 0.0000],
                [0.0000, 0.2500]])
    """
    return linalg_pinv.public(input, atol=0.0, rtol=rcond)


# *** test-table entries ***

_enroll("linalg_qr", lambda A, *, mode="reduced": linalg_qr.public(_rect(A), mode),
        lambda torch, A, *, mode="reduced": torch.linalg.qr(_rect(A), mode),
        [((4, 3), {}), ((2, 3, 3), {"mode": "complete"}), ((3, 4), {})])


def _svd_invariants(U: Any, S: Any, Vh: Any, k: int) -> tuple:
    # |U|² and |Vh|² are blind to the sign (phase) of each singular vector (the SVD's gauge)
    U, Vh = U[..., :, :k], Vh[..., :k, :]
    return (U * U.conj()).real, S, (Vh * Vh.conj()).real


_enroll("linalg_svd", lambda A, *, full_matrices=True: _svd_invariants(
            *linalg_svd.public(_rect(A), full_matrices), min(A.shape[-2:])),
        lambda torch, A, *, full_matrices=True: _svd_invariants(
            *torch.linalg.svd(_rect(A), full_matrices), min(A.shape[-2:])),
        [((4, 3), {"full_matrices": False}), ((3, 4), {}), ((2, 3, 3), {})])
def _eigh_invariants(L: Any, V: Any) -> tuple:
    return L, (V * V.conj()).real  # |V|² is blind to the sign (phase) of each eigenvector


_enroll("linalg_eigh", lambda A, *, UPLO="L": _eigh_invariants(*linalg_eigh.public(_sym(A), UPLO)),
        lambda torch, A, *, UPLO="L": _eigh_invariants(*torch.linalg.eigh(_sym(A), UPLO)),
        [((3, 3), {}), ((2, 3, 3), {"UPLO": "U"})])
_enroll("linalg_pinv", lambda A, *, hermitian=False: linalg_pinv.public(
            _sym(A) if hermitian else _rect(A), hermitian=hermitian),
        lambda torch, A, *, hermitian=False: torch.linalg.pinv(
            _sym(A) if hermitian else _rect(A), hermitian=hermitian),
        [((4, 3), {}), ((2, 3, 4), {}), ((3, 3), {"hermitian": True})])
