"""Inverse, determinants, solves, cholesky and matrix powers with torch's node names and gradients,
batched over leading dims; shared helpers of spectral.py. Public under ndgrad.linalg."""
from __future__ import annotations

import types
from operator import itemgetter
from typing import Any

import numpy as np

from .._tensor import _TORCH_TYPE_NAMES, Tensor
from ._registry import composite, primitive


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a factorization or solve failed (singular, not pos.-definite)."""


# *** named result tuples (torch.return_types) ***

try:  # one shared namespace, ndgrad.return_types (max, sort ... come from sorting.py)
    from .sorting import return_types
except ImportError:  # pragma: no cover
    return_types = types.SimpleNamespace()


def _return_type(name: str, fields: tuple) -> type:
    def __repr__(self: tuple) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"

    ns: dict = {"__slots__": (), "__repr__": __repr__, "n_fields": len(fields),
                "n_sequence_fields": len(fields), "n_unnamed_fields": 0,
                "__module__": "ndgrad.return_types"}
    for i, f in enumerate(fields):
        ns[f] = property(itemgetter(i))
    cls = type(name, (tuple,), ns)
    setattr(return_types, name, cls)
    return cls


_SlogdetL = _return_type("linalg_slogdet", ("sign", "logabsdet"))
_Slogdet = _return_type("slogdet", ("sign", "logabsdet"))
_QrL = _return_type("linalg_qr", ("Q", "R"))
_Qr = _return_type("qr", ("Q", "R"))
_SvdL = _return_type("linalg_svd", ("U", "S", "Vh"))
_Svd = _return_type("svd", ("U", "S", "V"))
_EighL = _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))


# *** checks and helpers ***

def _tname(a: np.ndarray) -> str:
    return _TORCH_TYPE_NAMES.get(a.dtype.name, a.dtype.name)


def _check_float(a: np.ndarray, name: str) -> None:
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_tname(a)}")


def _check_matrix(a: np.ndarray, name: str, square: bool = True) -> None:
    _check_float(a, name)
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


def _const(a: np.ndarray) -> Tensor:
    return Tensor._make(a)


# *** inverse, determinant, solve ***

# inv, det, solve and solve_triangular are holomorphic: their rules, written as for real input,
# are applied in torch's complex convention by the registry (conj(vjp(conj(g))))

@primitive("linalg_inv", complex="holomorphic", grad_fn="LinalgInvExBackward0", export=False)
def linalg_inv(A: np.ndarray) -> np.ndarray:
    """The inverse of a square matrix (or of each in a batch).

    Example::
        >>> ndgrad.linalg.inv(ndgrad.eye(2) * 2)
        tensor([[0.5000, 0.0000],
                [0.0000, 0.5000]])
    """
    _check_matrix(A, "linalg.inv")
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.inv: The inversion could not be completed because the input "
                          "matrix is singular.") from None


@linalg_inv.vjp
def _(grad, result):
    inv_t = result.mT
    return -(inv_t @ (grad @ inv_t))  # d(A^-1) = -A^-1 dA A^-1


@primitive("linalg_det", complex="holomorphic", grad_fn="LinalgDetBackward0", export=False)
def linalg_det(A: np.ndarray) -> np.ndarray:
    """Determinant of a square matrix (or of each in a batch).

    Example::
        >>> ndgrad.linalg.det(ndgrad.eye(3) * 2)
        tensor(8.)
    """
    _check_matrix(A, "linalg.det")
    return np.asarray(np.linalg.det(A), dtype=A.dtype)


def _prod_others(S: Tensor) -> Tensor:
    """out[..., i] = prod_{j != i} S[..., j], without dividing (S may hold zeros)."""
    n = S._data.shape[-1]
    off = np.ones((n, n), dtype=S._data.dtype) - np.eye(n, dtype=S._data.dtype)
    M = S.unsqueeze(-2) * _const(off) + _const(np.eye(n, dtype=S._data.dtype))  # S_j, 1 on diag
    out = M[..., 0]
    for j in range(1, n):
        out = out * M[..., j]
    return out


@linalg_det.vjp
def _(grad, A, result):
    n = A._data.shape[-1]
    if A._data.size == 0:
        return A * 0
    if n == 1:
        return grad.unsqueeze(-1).unsqueeze(-1).expand(*A._data.shape)
    eps = np.finfo(A._data.dtype).eps
    if np.all(np.abs(result._data) >= 100 * eps):  # d det = det tr(A^-1 dA)
        return (grad * result).unsqueeze(-1).unsqueeze(-1) * linalg_inv.public(A).mT
    # (near-)singular: det = det(U) det(Vh) prod(S), whose product rule needs no inverse: the
    # derivative adj(A)^T = det(U) det(Vh) conj(U) diag(prod_{j != i} S_j) conj(Vh)
    from .spectral import linalg_svd

    U, S, Vh = linalg_svd.public(A)
    alpha = linalg_det.public(U) * linalg_det.public(Vh) * grad
    U, Vh = U.conj_physical(), Vh.conj_physical()
    return (U * (alpha.unsqueeze(-1) * _prod_others(S)).unsqueeze(-2)) @ Vh


@primitive("linalg_slogdet", complex=True, grad_fn="LinalgSlogdetBackward0", export=False,
           n_outputs=2)
def linalg_slogdet(A: np.ndarray) -> tuple:
    _check_matrix(A, "linalg.slogdet")
    sign, logabs = np.linalg.slogdet(A)
    return np.asarray(sign, dtype=A.dtype), np.asarray(logabs, dtype=A.real.dtype)


@linalg_slogdet.vjp
def _(grads, A, result0):
    # d log|det A| = Re tr(A^-1 dA); the sign of a real matrix is locally constant, a complex
    # sign moves as d sign = i sign Im tr(A^-1 dA): together (g_abs - i Im(conj(g_sign) sign))
    # times A^-H
    g_sign, g_abs = grads
    if A._data.dtype.kind == "c":
        g_abs = g_abs - (g_sign.conj_physical() * result0).imag * 1j
    return g_abs.unsqueeze(-1).unsqueeze(-1) * linalg_inv.public(A).mH


@composite("slogdet")
def slogdet(input: Tensor) -> tuple:
    """(sign, log|det|) of a square matrix, as a named tuple.

    Example::
        >>> ndgrad.slogdet(-ndgrad.eye(3)).sign
        tensor(-1.)
    """
    return _Slogdet(linalg_slogdet.public(input))


def _linalg_slogdet(A: Tensor) -> tuple:
    """(sign, log|det|) of a square matrix, as torch.return_types.linalg_slogdet.

    Example::
        >>> ndgrad.linalg.slogdet(ndgrad.eye(2) * 3).logabsdet
        tensor(2.1972)
    """
    return _SlogdetL(linalg_slogdet.public(A))


@composite("logdet")
def logdet(input: Tensor) -> Tensor:
    """log det(input): nan for a negative determinant, -inf for a singular matrix.

    Example::
        >>> ndgrad.logdet(ndgrad.eye(2) * 2)
        tensor(1.3863)
    """
    from .pointwise import where

    sign, logabs = linalg_slogdet.public(input)
    if input._data.dtype.kind == "c":
        return sign.log() + logabs  # log det = log(sign) + log|det|
    return where(sign == -1, float("nan"), logabs)


def _vector_rhs(a_shape: tuple, b_shape: tuple) -> bool:
    """torch's rule: B is a (batch of) vector(s) if 1-D or shaped like A without its last dim."""
    return len(b_shape) == 1 or (len(b_shape) == len(a_shape) - 1 and b_shape == a_shape[:-1])


@primitive("linalg_solve", complex="holomorphic", grad_fn="LinalgSolveExBackward0", export=False)
def linalg_solve(A: np.ndarray, B: np.ndarray, *, left: bool = True) -> np.ndarray:
    """Solve A X = B (left=True) or X A = B for X; B may be a vector or a batch of them.

    Example::
        >>> ndgrad.linalg.solve(ndgrad.eye(2) * 2, ndgrad.tensor([2., 4.]))
        tensor([1., 2.])
    """
    _check_matrix(A, "linalg.solve")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of "
                           f"type {_tname(A)} and B of type {_tname(B)} instead")
    vec = _vector_rhs(A.shape, B.shape)
    Bm = B[..., None] if vec else (B if left else np.swapaxes(B, -1, -2))
    M = A if left else np.swapaxes(A, -1, -2)
    if Bm.ndim < 2 or Bm.shape[-2] != M.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{A.shape[-1]} and "
                           f"{'x'.join(map(str, Bm.shape[-2:]))})")
    try:
        X = np.linalg.solve(M, Bm)
    except np.linalg.LinAlgError:
        raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is "
                          "singular.") from None
    return X[..., 0] if vec else (X if left else np.swapaxes(X, -1, -2))


@linalg_solve.vjp
def _(grad, A, B_shape, result, needs_input_grad, *, left):
    # X = A^-1 B: gB = A^-T gX, gA = -gB X^T (mirrored for left=False: X = B A^-1)
    gB = linalg_solve.public(A.mT, grad, left=left)
    gA = None
    if needs_input_grad[0]:
        if _vector_rhs(A._data.shape, B_shape):
            gA = -(gB.unsqueeze(-1) * result.unsqueeze(-2)) if left else \
                -(result.unsqueeze(-1) * gB.unsqueeze(-2))
        else:
            gA = -(gB @ result.mT) if left else -(result.mT @ gB)
    return gA, gB if needs_input_grad[1] else None


@primitive("linalg_solve_triangular", complex="holomorphic",
           grad_fn="LinalgSolveTriangularBackward0", export=False)
def linalg_solve_triangular(A: np.ndarray, B: np.ndarray, *, upper: bool, left: bool = True,
                            unitriangular: bool = False) -> np.ndarray:
    """Solve T X = B (left) or X T = B for the upper or lower triangle T of A.

    Example::
        >>> ndgrad.linalg.solve_triangular(ndgrad.eye(2) * 2, ndgrad.ones(2, 1), upper=True)
        tensor([[0.5000],
                [0.5000]])
    """
    _check_matrix(A, "linalg.solve_triangular")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but "
                           f"found A of type {_tname(A)} and B of type {_tname(B)} instead")
    T = np.triu(A) if upper else np.tril(A)
    if unitriangular:
        T[..., np.arange(T.shape[-1]), np.arange(T.shape[-1])] = 1
    if left:
        return _solve_matrix(T, B, "linalg.solve_triangular")
    return np.swapaxes(_solve_matrix(np.swapaxes(T, -1, -2), np.swapaxes(B, -1, -2),
                                     "linalg.solve_triangular"), -1, -2)


def _solve_matrix(A: np.ndarray, B: np.ndarray, name: str) -> np.ndarray:
    if B.ndim < 2 or B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {'x'.join(map(str, B.shape[-2:]))})")
    try:
        return np.linalg.solve(A, B)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{name}: The solver failed because the input matrix is "
                          "singular.") from None


@linalg_solve_triangular.vjp
def _(grad, A, result, needs_input_grad, *, upper, left, unitriangular):
    gB = linalg_solve_triangular.public(A.mT, grad, upper=not upper, left=left,
                                        unitriangular=unitriangular)
    gA = None
    if needs_input_grad[0]:
        gA = -(gB @ result.mT) if left else -(result.mT @ gB)
        # only the triangle was read: project the gradient onto it
        gA = gA.triu(int(unitriangular)) if upper else gA.tril(-int(unitriangular))
    return gA, gB if needs_input_grad[1] else None


# *** cholesky ***

def _cholesky_forward(A: np.ndarray, upper: bool, name: str) -> np.ndarray:
    _check_matrix(A, name)
    if upper:  # torch reads the upper triangle then: U = chol(A^H)^H (numpy reads the lower)
        A = np.swapaxes(A, -1, -2).conj()
    try:
        L = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{name}: The factorization could not be completed because the input is "
                          f"not positive-definite (the leading minor of order {_bad_minor(A)} is "
                          "not positive-definite).") from None
    return np.swapaxes(L, -1, -2).conj() if upper else L


def _bad_minor(A: np.ndarray) -> int:
    """The order of the first leading minor that is not positive-definite (first failing batch)."""
    mats = A.reshape(-1, A.shape[-2], A.shape[-1])
    for M in mats:
        for k in range(1, M.shape[-1] + 1):
            try:
                np.linalg.cholesky(M[:k, :k])
            except np.linalg.LinAlgError:
                return k
    return A.shape[-1]


def _cholesky_backward(grad: Tensor, L: Tensor, upper: bool) -> Tensor:
    # gA = L^-H M L^-1 with P = L^H gL and M = (tril(P) + tril(P, -1)^H) / 2: P's lower
    # triangle mirrored, its diagonal halved (torch's choice, which keeps a complex diagonal)
    if upper:
        L, grad = L.mH, grad.mH
    P = L.mH @ grad
    M = (P.tril() + P.tril(-1).mH) * 0.5
    gA = linalg_solve_triangular.public(L.mH, M, upper=True)
    return linalg_solve_triangular.public(L, gA, upper=False, left=False)


@primitive("linalg_cholesky", complex=True, grad_fn="LinalgCholeskyExBackward0", export=False)
def linalg_cholesky(A: np.ndarray, *, upper: bool = False) -> np.ndarray:
    """The Cholesky factor L (A = L L^T) of a symmetric positive-definite matrix; U = L^T if upper.

    Example::
        >>> ndgrad.linalg.cholesky(ndgrad.eye(2) * 4)
        tensor([[2., 0.],
                [0., 2.]])
    """
    return _cholesky_forward(A, upper, "linalg.cholesky")


@linalg_cholesky.vjp
def _(grad, result, *, upper):
    return _cholesky_backward(grad, result, upper)


@primitive("cholesky", complex=True, grad_fn="CholeskyBackward0", export=False)
def _cholesky_legacy(input: np.ndarray, *, upper: bool = False) -> np.ndarray:
    return _cholesky_forward(input, upper, "cholesky")


@_cholesky_legacy.vjp
def _(grad, result, *, upper):
    return _cholesky_backward(grad, result, upper)


@composite("cholesky")
def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """Deprecated torch.cholesky: the Cholesky factor (CholeskyBackward0).

    Example::
        >>> ndgrad.cholesky(ndgrad.eye(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    return _cholesky_legacy.public(input, upper=upper)


# *** powers ***

@composite("matrix_power", samples=[((3, 3), {"n": 2}), ((2, 3, 3), {"n": 3})], complex=True,
           torch_fn=lambda torch, A, n: torch.linalg.matrix_power(A, n))
def matrix_power(A: Tensor, n: int) -> Tensor:
    """A @ A @ ... (n times); n = 0 gives the identity, n < 0 powers of the inverse.

    Example::
        >>> ndgrad.linalg.matrix_power(ndgrad.eye(2) * 2, 3)
        tensor([[8., 0.],
                [0., 8.]])
    """
    from .pointwise import clone

    a = A._data
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 "
                           "dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they "
                           f"are {a.shape[-2]} by {a.shape[-1]} matrices")
    if n == 0:  # torch copies the identity into a clone of A: a CopyBackwards node, zero grad
        eye = np.broadcast_to(np.eye(A._data.shape[-1], dtype=A._data.dtype), A._data.shape)
        out = clone(A)
        return out.copy_(Tensor._make(eye.copy())) if eye.size else out
    if n < 0:
        A, n = linalg_inv.public(A), -n
    if n == 1:
        return clone(A)
    result, base = None, A
    while n:  # binary powering, as torch
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


composite("det")(linalg_det.public)
composite("inverse")(linalg_inv.public)


# *** test-table entries: well-conditioned inputs made inside a wrapper ***

def _shift(A: Any, shift: float) -> Any:
    """A + shift * I (works on ndgrad and torch tensors): diagonally dominant for small A."""
    eye = np.eye(A.shape[-1]) * shift
    if isinstance(A, Tensor):
        return A + Tensor._make(eye.astype(A._data.dtype))
    return A + A.new_tensor(eye)


def _spd(A: Any) -> Any:
    return A @ A.mH + _shift(A * 0, 3.0)  # Hermitian positive-definite, eigenvalues >= 3


def _rect(A: Any) -> Any:
    """A + a rectangular diagonal (8, 5, 2, ...): well separated singular values."""
    m, n = A.shape[-2:]
    d = np.zeros((m, n))
    d[np.arange(min(m, n)), np.arange(min(m, n))] = 8.0 - 3.0 * np.arange(min(m, n))
    return A + (Tensor._make(d.astype(A._data.dtype)) if isinstance(A, Tensor) else A.new_tensor(d))


def _sym(A: Any) -> Any:
    """A + A^H + diag(4, 8, ...): Hermitian with eigenvalues spread apart (and away from 0)."""
    d = np.diag(4.0 * np.arange(1, A.shape[-1] + 1))
    return A + A.mH + (Tensor._make(d.astype(A._data.dtype)) if isinstance(A, Tensor)
                       else A.new_tensor(d))


_SQ = [((3, 3), {"shift": 3.0}), ((2, 3, 3), {"shift": -3.0})]


def _enroll(name: str, fn: Any, torch_fn: Any, samples: list, **kw: Any) -> None:
    composite(name, export=False, method=False, samples=samples, torch_fn=torch_fn,
              domain=kw.pop("domain", (-0.3, 0.3)), complex=kw.pop("complex", True), **kw)(fn)


_enroll("linalg_inv", lambda A, *, shift: linalg_inv.public(_shift(A, shift)),
        lambda torch, A, *, shift: torch.linalg.inv(_shift(A, shift)), _SQ)
_enroll("linalg_det", lambda A, *, shift: linalg_det.public(_shift(A, shift)),
        lambda torch, A, *, shift: torch.linalg.det(_shift(A, shift)),
        _SQ + [((1, 1), {"shift": 1.0})])
_enroll("linalg_slogdet", lambda A, *, shift: linalg_slogdet.public(_shift(A, shift)),
        lambda torch, A, *, shift: torch.linalg.slogdet(_shift(A, shift)), _SQ)
_enroll("logdet", lambda A, *, shift: logdet(_shift(A, shift)),
        lambda torch, A, *, shift: torch.logdet(_shift(A, shift)), [((3, 3), {"shift": 3.0})])
_enroll("linalg_solve", lambda A, B, *, shift, left=True: linalg_solve.public(
            _shift(A, shift), B, left=left),
        lambda torch, A, B, *, shift, left=True: torch.linalg.solve(_shift(A, shift), B, left=left),
        [(((3, 3), (3, 2)), {"shift": 3.0}), (((2, 3, 3), (3,)), {"shift": -3.0}),
         (((3, 3), (2, 3)), {"shift": 3.0, "left": False}), (((2, 3, 3), (2, 3)), {"shift": 3.0})])
_enroll("linalg_solve_triangular",
        lambda A, B, *, upper, left=True, unitriangular=False: linalg_solve_triangular.public(
            _shift(A, 3.0), B, upper=upper, left=left, unitriangular=unitriangular),
        lambda torch, A, B, *, upper, left=True, unitriangular=False: torch.linalg.solve_triangular(
            _shift(A, 3.0), B, upper=upper, left=left, unitriangular=unitriangular),
        [(((3, 3), (3, 2)), {"upper": True}),
         (((2, 3, 3), (2, 3)), {"upper": False, "left": False}),
         (((3, 3), (3, 2)), {"upper": False, "unitriangular": True})])
_enroll("linalg_cholesky", lambda A, *, upper=False: linalg_cholesky.public(_spd(A), upper=upper),
        lambda torch, A, *, upper=False: torch.linalg.cholesky(_spd(A), upper=upper),
        [((3, 3), {}), ((2, 3, 3), {"upper": True})], domain=(-1.0, 1.0))
_enroll("cholesky", lambda A, *, upper=False: cholesky(_spd(A), upper=upper),
        lambda torch, A, *, upper=False: torch.cholesky(_spd(A), upper=upper), [((3, 3), {})],
        domain=(-1.0, 1.0))
