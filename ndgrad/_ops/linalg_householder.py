"""Householder reflectors and the matrix exponential: geqrf (LAPACK, no gradient, as torch),
linalg.householder_product / orgqr and ormqr (products of reflectors I - tau v v^H, whose
backward replays the reflections in ndgrad ops), linalg.matrix_exp with torch's block-matrix
gradient."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import composite, primitive
from .decomp import _check_float, _const, _enroll, _return_type, _tname
from .join import cat, stack
from .linalg_lu import _batched, _lapack

_Geqrf = _return_type("geqrf", ("a", "tau"))


# *** geqrf ***

@primitive("geqrf", grad_fn="GeqrfBackward0", n_outputs=2, export=False, complex=True)
def _geqrf(input: np.ndarray) -> tuple:
    _check_float(input, "torch.geqrf")
    if input.ndim < 2:
        raise RuntimeError(f"torch.geqrf: input must have at least 2 dimensions.")
    m, n = input.shape[-2:]
    a = np.empty(input.shape, input.dtype)
    tau = np.zeros(input.shape[:-2] + (min(m, n),), input.dtype)
    if input.size:
        geqrf = _lapack("geqrf", input.dtype)
        for x, out, t in zip(_batched(input), _batched(a), tau.reshape(-1, min(m, n))):
            out[...], t[...] = geqrf(x)[:2]
    return a, tau


@_geqrf.vjp
def _(grads):
    raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


@composite("geqrf")
def geqrf(input: Tensor, *, out: Any = None) -> tuple:
    """(a, tau): QR as LAPACK's geqrf stores it (R above the diagonal, the Householder vectors
    below it, their scales in tau).

    Example::
        >>> ndgrad.geqrf(ndgrad.eye(2)).tau
        tensor([0., 0.])
    """
    return _Geqrf(_geqrf.public(input))


# *** products of Householder reflectors ***
# Q = H_0 H_1 ... H_{k-1}, H_i = I - tau_i v_i v_i^H with v_i = e_i + (A's column i below row i).
# Q C, Q^H C, C Q and C Q^H apply one reflector at a time: C <- C - tau (v (v^H C)) on the left,
# C <- C - tau ((C v) v^H) on the right. The backward replays the same steps in reverse.

def _reflectors_np(A: np.ndarray, k: int) -> np.ndarray:
    """The vectors v_i as columns of an (..., m, k) array."""
    m = A.shape[-2]
    rows = np.arange(m)[:, None]
    cols = np.arange(k)[None, :]
    return np.where(rows > cols, A[..., :, :k], (rows == cols).astype(A.dtype))


def _order(k: int, left: bool, adjoint: bool) -> range:
    # Q^H C and C Q start with H_0; Q C and C Q^H with H_{k-1}
    return range(k) if left == adjoint else range(k - 1, -1, -1)


def _apply_np(A: np.ndarray, tau: np.ndarray, C: np.ndarray, left: bool,
              adjoint: bool) -> np.ndarray:
    V = _reflectors_np(A, tau.shape[-1])
    C = np.array(C, dtype=np.result_type(A, C))
    for i in _order(tau.shape[-1], left, adjoint):
        v = V[..., :, i:i + 1]
        t = tau[..., i, None, None]
        t = t.conj() if adjoint else t  # H_i^H = I - conj(tau_i) v v^H
        vh = np.swapaxes(v, -1, -2).conj()
        C = C - t * (v @ (vh @ C)) if left else C - t * ((C @ v) @ vh)
    return C


def _reflector(A: Tensor, i: int) -> Tensor:
    """v_i as a differentiable column (..., m, 1)."""
    m = A._data.shape[-2]
    real = np.empty(0, A._data.dtype).real.dtype
    below = _const((np.arange(m) > i).astype(real)[:, None])
    unit = _const((np.arange(m) == i).astype(real)[:, None])
    return A[..., :, i:i + 1] * below + unit


def _adj(t: Tensor) -> Tensor:
    return t.mH


def _apply_backward(grad: Tensor, A: Tensor, tau: Tensor, C: Tensor, left: bool,
                    adjoint: bool) -> tuple:
    """Gradients (of A, of tau, of C) of the reflector products, in ndgrad ops and torch's
    complex convention. Each step is C' = C - t v (v^H C) (left) or C - t (C v) v^H (right), with
    t = tau_i (or conj(tau_i) for the adjoint product)."""
    k = tau._data.shape[-1]
    order = list(_order(k, left, adjoint))
    states, vs, ts = [C], {}, {}
    for i in order:  # replay the forward, keeping each intermediate C
        v = vs[i] = _reflector(A, i)
        t = tau[..., i:i + 1].unsqueeze(-1)
        t = ts[i] = t.conj() if adjoint else t
        C = states[-1]
        states.append(C - t * (v @ (_adj(v) @ C)) if left else C - t * ((C @ v) @ _adj(v)))
    G = grad
    gA = A * 0
    g_tau = {}
    m, n = A._data.shape[-2:]
    real = np.empty(0, A._data.dtype).real.dtype
    for step, i in reversed(list(enumerate(order))):
        v, C, t = vs[i], states[step], ts[i]
        if left:
            w = _adj(v) @ C
            g_t = -(G * (v @ w).conj()).sum((-2, -1))
            g_v = -(t.conj() * (G @ _adj(w)) + t * (C @ (_adj(G) @ v)))
            G = G - t.conj() * (v @ (_adj(v) @ G))
        else:
            u = C @ v
            g_t = -(G * (u @ _adj(v)).conj()).sum((-2, -1))
            g_v = -(t.conj() * (_adj(C) @ (G @ v)) + t * (_adj(G) @ u))
            G = G - t.conj() * ((G @ v) @ _adj(v))
        g_tau[i] = g_t.conj() if adjoint else g_t  # t = conj(tau): the gradient conjugates
        below = _const((np.arange(m) > i).astype(real)[:, None])
        column = _const((np.arange(n) == i).astype(real)[None, :])
        gA = gA + (g_v * below) * column
    gt = stack([g_tau[i] for i in range(k)], -1) if k else tau * 0
    return gA, gt, G


def _check_householder(A: np.ndarray, tau: np.ndarray, name: str) -> None:
    _check_float(A, name)
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.ndim} and input.ndim is equal to {A.ndim}")
    if A.dtype != tau.dtype:
        raise RuntimeError(f"{name}: tau dtype {_tname(tau)} does not match input dtype "
                           f"{_tname(A)}")


@primitive("linalg_householder_product", grad_fn="LinalgHouseholderProductBackward0",
           export=False, inputs=("input", "tau"), complex=True)
def linalg_householder_product(input: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """The first n columns of H_0 ... H_{k-1} (H_i = I - tau_i v_i v_i^H, v_i below A's diagonal).

    Example::
        >>> a, tau = ndgrad.geqrf(ndgrad.tensor([[3., 0.], [4., 1.]]))
        >>> ndgrad.linalg.householder_product(a, tau)
        tensor([[-0.6000, -0.8000],
                [-0.8000,  0.6000]])
    """
    name = "torch.linalg.householder_product"
    _check_householder(input, tau, name)
    m, n = input.shape[-2:]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if tau.shape[-1] > n:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    eye = np.broadcast_to(np.eye(m, n, dtype=input.dtype), input.shape)
    return _apply_np(input, tau, eye, True, False)


@linalg_householder_product.vjp
def _(grad, input, tau):
    m, n = input._data.shape[-2:]
    eye = _const(np.broadcast_to(np.eye(m, n, dtype=input._data.dtype), input._data.shape).copy())
    gA, gt, _ = _apply_backward(grad, input, tau, eye, True, False)
    return gA, gt


composite("orgqr")(linalg_householder_product.public)


@primitive("ormqr", grad_fn="OrmqrBackward0", inputs=("input", "tau", "other"), complex=True)
def _ormqr(input: np.ndarray, tau: np.ndarray, other: np.ndarray, left: bool = True,
           transpose: bool = False) -> np.ndarray:
    """other multiplied by Q (from geqrf's reflectors) on the left or right, Q^H if transpose.

    Example::
        >>> a, tau = ndgrad.geqrf(ndgrad.tensor([[3., 0.], [4., 1.]]))
        >>> ndgrad.ormqr(a, tau, ndgrad.eye(2))
        tensor([[-0.6000, -0.8000],
                [-0.8000,  0.6000]])
    """
    _check_householder(input, tau, "torch.ormqr")
    m = input.shape[-2]
    rows = other.shape[-2] if left else other.shape[-1]
    if rows != m:
        which = "other.shape[-2]" if left else "other.shape[-1]"
        raise RuntimeError(f"torch.ormqr: {which} must be equal to input.shape[-2]")
    if tau.shape[-1] != min(rows, input.shape[-1]):
        raise RuntimeError(f"torch.ormqr: tau.shape[-1] must be equal to min(other.shape["
                           f"{-2 if left else -1}], input.shape[-1])")
    return _apply_np(input, tau, other, left, transpose)


@_ormqr.vjp
def _(grad, input, tau, other, *, left, transpose):
    return _apply_backward(grad, input, tau, other, left, transpose)


# *** matrix exponential ***

@primitive("linalg_matrix_exp", grad_fn="LinalgMatrixExpBackward0", export=False, complex=True)
def linalg_matrix_exp(A: np.ndarray) -> np.ndarray:
    import scipy.linalg

    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but they are "
                           f"{A.shape[-2] if A.ndim > 1 else 1} by {A.shape[-1]} matrices")
    _check_float(A, "linalg.matrix_exp")
    if A.size == 0:
        return A.copy()
    work = np.promote_types(A.dtype, np.float64)  # single precision rounds once, at the end
    return np.asarray(scipy.linalg.expm(A.astype(work)), dtype=A.dtype)


@linalg_matrix_exp.vjp
def _(grad, A):
    # exp([[A^H, G], [0, A^H]]) holds the adjoint of exp's differential in its upper-right block
    n = A._data.shape[-1]
    At = _adj(A)
    zero = At * 0
    block = cat((cat((At, grad), -1), cat((zero, At), -1)), -2)
    return linalg_matrix_exp.public(block)[..., :n, n:]


@composite("matrix_exp")
def matrix_exp(input: Tensor) -> Tensor:
    """The matrix exponential Σ_k A^k / k! of each square matrix.

    Example::
        >>> ndgrad.matrix_exp(ndgrad.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    return linalg_matrix_exp.public(input)


# *** test-table entries ***

_enroll("geqrf", lambda A: _geqrf.public(A), lambda torch, A: torch.geqrf(A),
        [((3, 3), {}), ((2, 4, 3), {})], differentiable=False)
_enroll("linalg_householder_product", lambda A, tau: linalg_householder_product.public(A, tau),
        lambda torch, A, tau: torch.linalg.householder_product(A, tau),
        [(((3, 2), (2,)), {}), (((2, 4, 3), (2, 2)), {})], domain=(-1.0, 1.0))
_enroll("ormqr", lambda A, tau, C, *, left=True, transpose=False: _ormqr.public(
            A, tau, C, left, transpose),
        lambda torch, A, tau, C, *, left=True, transpose=False: torch.ormqr(A, tau, C, left,
                                                                             transpose),
        [(((3, 2), (2,), (3, 2)), {}), (((3, 3), (3,), (2, 3)), {"left": False}),
         (((3, 2), (2,), (3, 1)), {"transpose": True})], domain=(-1.0, 1.0))
_enroll("linalg_matrix_exp", lambda A: linalg_matrix_exp.public(A),
        lambda torch, A: torch.linalg.matrix_exp(A), [((3, 3), {}), ((2, 2, 2), {})],
        domain=(-1.0, 1.0))
