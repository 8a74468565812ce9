"""Solvers beyond linalg.solve: the *_ex variants (inv_ex, solve_ex, cholesky_ex: results with
LAPACK's info instead of an error), lstsq, triangular_solve, cholesky_solve and
cholesky_inverse, with torch's node names and gradients."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import composite, primitive
from .decomp import LinAlgError, _bad_minor, _check_matrix, _enroll, _rect, _return_type, _shift
from .decomp import _tname, _vector_rhs, linalg_cholesky, linalg_inv, linalg_solve
from .decomp import linalg_solve_triangular
from .linalg_lu import _getrf, _lapack, _lu_solve_np
from .spectral import linalg_pinv

_InvEx = _return_type("linalg_inv_ex", ("inverse", "info"))
_SolveEx = _return_type("linalg_solve_ex", ("result", "info"))
_CholeskyEx = _return_type("linalg_cholesky_ex", ("L", "info"))
_Lstsq = _return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
_TriangularSolve = _return_type("triangular_solve", ("solution", "cloned_coefficient"))


def _adj(t: Tensor) -> Tensor:
    return t.mH


def _info(info: np.ndarray) -> Tensor:
    return Tensor._make(info.astype(np.int32))


# *** the _ex variants: info instead of errors (unless check_errors) ***

def inv_ex(A: Tensor, *, check_errors: bool = False, out: Any = None) -> tuple:
    """(inverse, info): info > 0 marks a singular matrix (whose inverse is then inf/nan).

    Example::
        >>> ndgrad.linalg.inv_ex(ndgrad.eye(2) * 2).info
        tensor(0, dtype=torch.int32)
    """
    _check_matrix(A._data, "linalg.inv_ex")
    LU, piv, info = _getrf(A._data)
    if not info.any():
        return _InvEx((linalg_inv.public(A), _info(info)))
    if check_errors:
        i = int(info.reshape(-1)[info.reshape(-1) > 0][0])
        raise LinAlgError(f"linalg.inv_ex: The diagonal element {i} is zero, the inversion could "
                          "not be completed because the input matrix is singular.")
    eye = np.broadcast_to(np.eye(A._data.shape[-1], dtype=A._data.dtype), A._data.shape)
    with np.errstate(all="ignore"):
        return _InvEx((Tensor._make(_lu_solve_np(LU, piv, eye, 0)), _info(info)))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False,
             out: Any = None) -> tuple:
    """(result, info) of linalg.solve; info > 0 marks a singular A.

    Example::
        >>> ndgrad.linalg.solve_ex(ndgrad.eye(2) * 2, ndgrad.ones(2)).result
        tensor([0.5000, 0.5000])
    """
    _check_matrix(A._data, "linalg.solve_ex")
    LU, piv, info = _getrf(A._data)
    if not info.any():
        return _SolveEx((linalg_solve.public(A, B, left=left), _info(info)))
    if check_errors:
        raise LinAlgError("torch.linalg.solve_ex: The solver failed because the input matrix is "
                          "singular.")
    b = B._data
    vec = _vector_rhs(A._data.shape, b.shape)
    rhs = b[..., None] if vec else (b if left else np.swapaxes(b, -1, -2))
    with np.errstate(all="ignore"):
        x = _lu_solve_np(LU, piv, rhs, 0 if left else 1)
    x = x[..., 0] if vec else (x if left else np.swapaxes(x, -1, -2))
    return _SolveEx((Tensor._make(x), _info(info)))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False,
                out: Any = None) -> tuple:
    """(L, info): the Cholesky factor, and info > 0 (the order of the first leading minor that is
    not positive-definite) where the factorization failed.

    Example::
        >>> ndgrad.linalg.cholesky_ex(ndgrad.eye(2) * 4).L
        tensor([[2., 0.],
                [0., 2.]])
    """
    a = A._data
    _check_matrix(a, "linalg.cholesky_ex")
    info = np.zeros(a.shape[:-2], np.int32)
    for i, m in enumerate(a.reshape((-1,) + a.shape[-2:]) if a.size else ()):
        try:
            np.linalg.cholesky(np.swapaxes(m, -1, -2).conj() if upper else m)
        except np.linalg.LinAlgError:
            info.reshape(-1)[i] = _bad_minor(m)
    if not info.any():
        return _CholeskyEx((linalg_cholesky.public(A, upper=upper), _info(info)))
    if check_errors:
        i = int(info.reshape(-1)[info.reshape(-1) > 0][0])
        raise LinAlgError(f"linalg.cholesky_ex: The factorization could not be completed because "
                          f"the input is not positive-definite (the leading minor of order {i} is "
                          "not positive-definite).")
    potrf = _lapack("potrf", a.dtype)
    L = np.zeros(a.shape, a.dtype)
    for m, out_m in zip(a.reshape((-1,) + a.shape[-2:]), L.reshape((-1,) + a.shape[-2:])):
        c, _ = potrf(m, lower=not upper, clean=True)
        out_m[...] = c
    return _CholeskyEx((Tensor._make(L), _info(info)))


# *** least squares ***

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _lstsq_np(A: np.ndarray, B: np.ndarray, rcond: float, driver: str) -> tuple:
    """(solution, rank, singular values) of one least-squares problem."""
    import scipy.linalg

    m, n = A.shape
    if driver == "gels":
        if m >= n:
            q, r = np.linalg.qr(A)
            return scipy.linalg.solve_triangular(r, q.conj().T @ B), n, None
        return np.linalg.pinv(A) @ B, min(m, n), None
    x, _, rank, s = scipy.linalg.lstsq(A, B, cond=rcond, lapack_driver=driver)
    return x, rank, s


def _lstsq_forward(A: np.ndarray, B: np.ndarray, rcond: Any, driver: str | None) -> tuple:
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, "
                           "gelsd, gelss)")
    if A.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, "
                           f"but got input's dtype {_tname(A)} and other's dtype {_tname(B)}")
    if not 0 <= A.ndim - B.ndim <= 1:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    vec = B.ndim == A.ndim - 1
    Bm = B[..., None] if vec else B
    m, n = A.shape[-2:]
    if Bm.shape[-2] != m:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    rcond = np.finfo(A.dtype).eps * max(m, n) if rcond is None else rcond
    batch = np.broadcast_shapes(A.shape[:-2], Bm.shape[:-2])
    Ab, Bb = np.broadcast_to(A, batch + (m, n)), np.broadcast_to(Bm, batch + Bm.shape[-2:])
    X = np.zeros(batch + (n, Bm.shape[-1]), A.dtype)
    ranks = np.zeros(batch, np.int64)
    svals = np.zeros(batch + (min(m, n),), np.abs(np.empty(0, A.dtype)).dtype)
    for idx in np.ndindex(*batch):
        if Ab[idx].size and Bb[idx].size:
            x, rank, s = _lstsq_np(Ab[idx], Bb[idx], rcond, driver)
            X[idx], ranks[idx] = x, rank
            if s is not None:
                svals[idx] = s
        else:
            ranks[idx] = 0
    return X[..., 0] if vec else X, ranks, svals, driver, vec


@primitive("linalg_lstsq", grad_fn="LinalgLstsqBackward0", export=False, n_outputs=2,
           inputs=("A", "B"), complex=True)
def linalg_lstsq(A: np.ndarray, B: np.ndarray, rcond: Any = None, *,
                 driver: str | None = None) -> tuple:
    X, ranks, _, driver, vec = _lstsq_forward(A, B, rcond, driver)
    m, n = A.shape[-2:]
    if m > n and driver != "gelsy" and (driver == "gels" or np.all(ranks == n)):
        Xm, Bm = (X[..., None], B[..., None]) if vec else (X, B)
        res = np.abs(np.matmul(A, Xm) - Bm) ** 2
        return X, res.sum(-2)
    return X, np.empty((0,), np.abs(np.empty(0, A.dtype)).dtype)


@linalg_lstsq.vjp
def _(grads, A, B, result0, needs_input_grad, *, rcond, driver):
    gX, gres = grads
    vec = B._data.ndim == A._data.ndim - 1
    Xm, Bm = (result0.unsqueeze(-1), B.unsqueeze(-1)) if vec else (result0, B)
    gXm = gX.unsqueeze(-1) if vec else gX
    P = linalg_pinv.public(A)  # X = A^+ B
    gA = gB = None
    if needs_input_grad[1]:
        gB = _adj(P) @ gXm
    if needs_input_grad[0]:
        gA = linalg_pinv.vjp_fn(gXm @ _adj(Bm), A, P, atol=None, rtol=None, hermitian=False)
    if gres is not None and gres._data.size:  # residuals |A X - B|², X held at the optimum
        R = (A @ Xm - Bm) * gres.unsqueeze(-2) * 2
        gA = R @ _adj(Xm) if gA is None else gA + R @ _adj(Xm)
        gB = -R if gB is None else gB - R
    if gB is not None and vec:
        gB = gB.squeeze(-1)
    return gA, gB


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> tuple:
    """(solution, residuals, rank, singular_values) of min |A X - B| (driver 'gelsy' by default;
    residuals for tall full-rank A with 'gels', 'gelsd', 'gelss'; singular values with the last
    two).

    Example::
        >>> A = ndgrad.tensor([[1., 0.], [0., 1.], [1., 1.]])
        >>> ndgrad.linalg.lstsq(A, ndgrad.tensor([[1.], [1.], [2.]])).solution
        tensor([[1.0000],
                [1.0000]])
    """
    for arg, t in (("self", A), ("b", B)):
        if t._data.ndim < (2 if arg == "self" else 1):
            raise RuntimeError(f"torch.linalg.lstsq: input must have at least 2 dimensions.")
    if A._data.dtype.kind not in "fc":
        raise RuntimeError(f"torch.linalg.lstsq: Expected a floating point or complex tensor as "
                           f"input. Got {_tname(A._data)}")
    X, res = linalg_lstsq.public(A, B, rcond, driver=driver)
    _, ranks, svals, drv, _ = _lstsq_forward(A._data, B._data, rcond, driver)
    a_batch = A._data.shape[:-2]
    pick = tuple(slice(None) if s > 1 else slice(0, 1) for s in a_batch)
    lead = len(ranks.shape) - len(a_batch)
    ranks, svals = ranks[(0,) * lead][pick], svals[(0,) * lead][pick]
    rank = Tensor._make(ranks) if drv != "gels" else Tensor._make(np.empty((0,), np.int64))
    sv = Tensor._make(svals) if drv in ("gelsd", "gelss") else \
        Tensor._make(np.empty((0,), svals.dtype))
    return _Lstsq((X, res, rank, sv))


# *** triangular and Cholesky solves ***

@primitive("triangular_solve", grad_fn="TriangularSolveBackward0", n_outputs=2,
           inputs=("input", "A"), complex=True)
def _triangular_solve(input: np.ndarray, A: np.ndarray, upper: bool = True,
                      transpose: bool = False, unitriangular: bool = False) -> tuple:
    import scipy.linalg

    if A.dtype != input.dtype:
        raise RuntimeError(f"triangular_solve: Expected b and A to have the same dtype, but got "
                           f"b of type {_tname(input)} and A of type {_tname(A)} instead")
    if input.ndim < 2 or A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError("torch.triangular_solve: Expected b to have at least 2 dimensions and A "
                           "to be batches of square matrices")
    batch = np.broadcast_shapes(input.shape[:-2], A.shape[:-2])
    b = np.broadcast_to(input, batch + input.shape[-2:])
    a = np.broadcast_to(A, batch + A.shape[-2:])
    X = np.empty(b.shape, np.result_type(a, b))
    for idx in np.ndindex(*batch):
        if b[idx].size:
            X[idx] = scipy.linalg.solve_triangular(a[idx], b[idx], trans=int(transpose),
                                                   lower=not upper, unit_diagonal=unitriangular)
    return X, a.copy()


@_triangular_solve.vjp
def _(grads, A, result0, needs_input_grad, *, upper, transpose, unitriangular):
    gX, gM = grads
    gB = gA = None
    if gX is not None:
        T, up = (A.mT, not upper) if transpose else (A, upper)
        gB = linalg_solve_triangular.public(_adj(T), gX, upper=not up,
                                            unitriangular=unitriangular)
        if needs_input_grad[1]:
            gT = -(gB @ _adj(result0))
            gA = gT.mT if transpose else gT  # transpose is a plain transpose, also for complex
            gA = gA.triu(int(unitriangular)) if upper else gA.tril(-int(unitriangular))
    if gM is not None and needs_input_grad[1]:
        gA = gM if gA is None else gA + gM
    return gB if needs_input_grad[0] else None, gA


@_triangular_solve.jvp
def _(input_t, A_t, A, result0, needs_input_grad, *, upper, transpose, unitriangular):
    # torch's forward mode differentiates op(T) X = B with the tangent of A as given (all of A,
    # not transposed); ndgrad follows it so that forward AD agrees with torch's
    T, up = (A.mT, not upper) if transpose else (A, upper)
    rhs = input_t if A_t is None else (-(A_t @ result0) if input_t is None else
                                       input_t - A_t @ result0)
    X_t = linalg_solve_triangular.public(T, rhs, upper=up, unitriangular=unitriangular)
    return X_t, A_t


def triangular_solve(input: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False, *, out: Any = None) -> tuple:
    """Deprecated torch.triangular_solve: (solution of op(T) X = input, a copy of A), T the upper
    or lower triangle of A.

    Example::
        >>> ndgrad.triangular_solve(ndgrad.ones(2, 1), ndgrad.eye(2) * 2).solution
        tensor([[0.5000],
                [0.5000]])
    """
    warnings.warn("torch.triangular_solve is deprecated in favor of "
                  "torch.linalg.solve_triangularand will be removed in a future PyTorch release.",
                  UserWarning, stacklevel=3)  # the caller, past the composite wrapper
    return _TriangularSolve(_triangular_solve.public(input, A, upper, transpose, unitriangular))


composite("triangular_solve")(triangular_solve)


def _cho_solve(L: np.ndarray, B: np.ndarray, upper: bool) -> np.ndarray:
    """(L L^H)^-1 B (or (U^H U)^-1 B) reading only the triangle, batch dims broadcast."""
    import scipy.linalg

    batch = np.broadcast_shapes(L.shape[:-2], B.shape[:-2])
    Lb = np.broadcast_to(L, batch + L.shape[-2:])
    Bb = np.broadcast_to(B, batch + B.shape[-2:])
    X = np.empty(Bb.shape, np.result_type(L, B))
    for idx in np.ndindex(*batch):
        if Bb[idx].size:
            X[idx] = scipy.linalg.cho_solve((Lb[idx], not upper), Bb[idx])
    return X


@primitive("cholesky_solve", grad_fn="CholeskySolveBackward0", inputs=("input", "input2"),
           complex=True)
def _cholesky_solve(input: np.ndarray, input2: np.ndarray, upper: bool = False) -> np.ndarray:
    if input.dtype != input2.dtype:
        raise RuntimeError(f"cholesky_solve: Expected b and A to have the same dtype, but got b of "
                           f"type {_tname(input)} and A of type {_tname(input2)} instead")
    if input.ndim < 2 or input2.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {input2.ndim} dimensions "
                           "instead")
    return _cho_solve(input2, input, upper)


@_cholesky_solve.vjp
def _(grad, input2, result, needs_input_grad, *, upper):
    gB = _cholesky_solve.public(grad, input2, upper)
    gL = None
    if needs_input_grad[1]:
        common = gB @ _adj(result)
        common = common + _adj(common)
        gL = -(input2 @ common) if upper else -(common @ input2)
    return gB if needs_input_grad[0] else None, gL


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False, *,
                   out: Any = None) -> Tensor:
    """Solve A X = input for A = L L^H given its Cholesky factor L (U^H U if upper).

    Example::
        >>> ndgrad.cholesky_solve(ndgrad.ones(2, 1), ndgrad.eye(2) * 2)
        tensor([[0.2500],
                [0.2500]])
    """
    return _cholesky_solve.public(input, input2, upper)


composite("cholesky_solve")(cholesky_solve)


@primitive("cholesky_inverse", grad_fn="CholeskyInverseBackward0", complex=True)
def _cholesky_inverse(input: np.ndarray, upper: bool = False) -> np.ndarray:
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError("cholesky_inverse: A must be batches of square matrices, but they are "
                           f"{input.shape[-2]} by {input.shape[-1]} matrices")
    eye = np.broadcast_to(np.eye(input.shape[-1], dtype=input.dtype), input.shape)
    return _cho_solve(input, eye, upper)


@_cholesky_inverse.vjp
def _(grad, input, result, *, upper):
    common = result @ (grad + _adj(grad)) @ result
    return -(input @ common) if upper else -(common @ input)


@_cholesky_inverse.jvp
def _(input_t, input, result, *, upper):
    # torch's forward-mode formula, kept for parity: -X dC X C plus its adjoint (C = U or L^H);
    # it is not the derivative of the forward (finite differences give -X (dL L^H + L dL^H) X)
    C, dC = (input, _adj(input_t)) if upper else (_adj(input), input_t)
    partial = -(result @ dC @ result @ C)
    return partial + _adj(partial)


def cholesky_inverse(input: Tensor, upper: bool = False, *, out: Any = None) -> Tensor:
    """(L L^H)^-1 from the Cholesky factor L (or (U^H U)^-1 if upper).

    Example::
        >>> ndgrad.cholesky_inverse(ndgrad.eye(2) * 2)
        tensor([[0.2500, 0.0000],
                [0.0000, 0.2500]])
    """
    return _cholesky_inverse.public(input, upper)


composite("cholesky_inverse")(cholesky_inverse)


# *** test-table entries ***

def _chol(A: Any) -> Any:
    return (A * 0.3).tril(-1) + _shift(A * 0, 2.0)  # a well-conditioned lower triangle


_enroll("linalg_lstsq", lambda A, B, *, driver=None: linalg_lstsq.public(
            A + _rect(A), B, driver=driver)[0],
        lambda torch, A, B, *, driver=None: torch.linalg.lstsq(A + _rect(A), B,
                                                               driver=driver).solution,
        [(((4, 3), (4, 2)), {}), (((2, 4, 3), (2, 4)), {"driver": "gelsd"}),
         (((3, 3), (3, 2)), {"driver": "gels"})])
def _triangle(A: Any, upper: bool) -> Any:
    """A well-conditioned triangular matrix (torch's forward AD reads all of A, its forward and
    backward only the triangle)."""
    T = _shift(A, 3.0)
    return T.triu() if upper else T.tril()


def _triangular_entry(name: str, samples: list, **kw: Any) -> None:
    _enroll(name, lambda B, A, *, upper=True, transpose=False: _triangular_solve.public(
                B, _triangle(A, upper), upper, transpose),
            lambda torch, B, A, *, upper=True, transpose=False: torch.triangular_solve(
                B, _triangle(A, upper), upper, transpose), samples, **kw)


_triangular_entry("triangular_solve", [(((3, 2), (3, 3)), {}),
                                       (((3, 2), (2, 3, 3)), {"upper": False})])
# with transpose, torch's (and so ndgrad's) forward mode is not the derivative of the forward
_triangular_entry("triangular_solve_transposed", [(((2, 3, 2), (3, 3)), {"transpose": True})],
                  skips=("jvp",))
_enroll("cholesky_solve", lambda B, L, *, upper=False: _cholesky_solve.public(
            B, _chol(L).mT if upper else _chol(L), upper),
        lambda torch, B, L, *, upper=False: torch.cholesky_solve(
            B, _chol(L).mT if upper else _chol(L), upper),
        [(((3, 2), (3, 3)), {}), (((2, 3, 2), (3, 3)), {"upper": True})], domain=(-1.0, 1.0))
_enroll("cholesky_inverse", lambda L, *, upper=False: _cholesky_inverse.public(
            _chol(L).mT if upper else _chol(L), upper),
        lambda torch, L, *, upper=False: torch.cholesky_inverse(
            _chol(L).mT if upper else _chol(L), upper),
        [((3, 3), {}), ((2, 3, 3), {"upper": True})], domain=(-1.0, 1.0),
        skips=("jvp",))  # forward mode follows torch's formula, which finite differences refute
