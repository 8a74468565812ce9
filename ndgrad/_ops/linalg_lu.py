"""LU and LDL factorizations (LAPACK getrf / sytrf through SciPy, batched): linalg.lu_factor(_ex),
linalg.lu, lu_unpack, linalg.lu_solve, torch.lu / torch.lu_solve, linalg.ldl_factor(_ex) and
ldl_solve, with torch's gradients (A = P L U, L unit lower, U upper)."""
from __future__ import annotations

import functools

import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import composite, primitive
from .decomp import LinAlgError, _check_float, _const, _enroll, _return_type, _shift, _tname
from .decomp import linalg_solve_triangular
from .join import cat

_LuFactor = _return_type("linalg_lu_factor", ("LU", "pivots"))
_LuFactorEx = _return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_Lu = _return_type("linalg_lu", ("P", "L", "U"))
_LuUnpack = _return_type("lu_unpack", ("P", "L", "U"))
_LuWithInfo = _return_type("_lu_with_info", ("LU", "pivots", "info"))
_Ldl = _return_type("linalg_ldl_factor", ("LD", "pivots"))
_LdlEx = _return_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))


def _lapack(kind: str, dtype: np.dtype) -> Any:
    import scipy.linalg.lapack

    prefix = {"float32": "s", "float64": "d", "complex64": "c", "complex128": "z"}[dtype.name]
    return getattr(scipy.linalg.lapack, prefix + kind)


def _batched(a: np.ndarray) -> np.ndarray:
    return a.reshape((-1,) + a.shape[-2:])


# *** permutations from LAPACK pivots ***

def _permutation(pivots: np.ndarray, m: int) -> np.ndarray:
    """perm with (P^T A)[i] = A[perm[i]]: the row swaps i <-> pivots[i] - 1, applied in order."""
    batch = pivots.shape[:-1]
    perm = np.broadcast_to(np.arange(m), batch + (m,)).copy()
    if perm.size == 0 or pivots.size == 0:
        return perm
    flat, piv = perm.reshape(-1, m), pivots.reshape(-1, pivots.shape[-1]) - 1
    rows = np.arange(flat.shape[0])
    for i in range(piv.shape[-1]):
        j = piv[:, i]
        flat[rows, i], flat[rows, j] = flat[rows, j], flat[rows, i].copy()
    return perm


def _permutation_matrix(pivots: np.ndarray, m: int, dtype: np.dtype) -> np.ndarray:
    perm = _permutation(pivots, m)
    eye = np.eye(m, dtype=dtype)
    return np.swapaxes(eye[perm], -1, -2)  # P = (I[perm])^T, so that A = P L U


def _unpack(LU: np.ndarray) -> tuple:
    m, n = LU.shape[-2:]
    k = min(m, n)
    L = np.tril(LU[..., :, :k], -1) + np.eye(m, k, dtype=LU.dtype)
    return L, np.triu(LU[..., :k, :])


def _unpack_t(LU: Tensor) -> tuple:
    """L (unit lower, m x k) and U (upper, k x n) of a packed LU, as differentiable tensors."""
    m, n = LU._data.shape[-2:]
    k = min(m, n)
    L = LU[..., :, :k].tril(-1) + _const(np.eye(m, k, dtype=LU._data.dtype))
    return L, LU[..., :k, :].triu()


def _adj(t: Tensor) -> Tensor:
    return t.mH


# *** the factorization ***

def _getrf(A: np.ndarray) -> tuple:
    """(LU, 1-based int32 pivots, int32 info) of each matrix of a batch."""
    m, n = A.shape[-2:]
    k = min(m, n)
    batch = A.shape[:-2]
    LU = np.empty(A.shape, A.dtype)
    piv = np.empty(batch + (k,), np.int32)
    info = np.zeros(batch, np.int32)
    if A.size:
        getrf = _lapack("getrf", A.dtype)
        for i, (a, lu, p) in enumerate(zip(_batched(A), _batched(LU), piv.reshape(-1, k))):
            lu[...], p[...], info.reshape(-1)[i] = getrf(a)
            p += 1
    elif k:
        piv[...] = np.arange(1, k + 1, dtype=np.int32)
    return LU, piv, info


def _check_lu_input(A: np.ndarray, name: str, pivot: bool) -> None:
    if A.ndim < 2:
        raise RuntimeError(f"torch.{name}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    if A.dtype.kind not in "fc":
        raise NotImplementedError(f'"lu_cpu" not implemented for \'{_tname(A)}\'')
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def _lu_backward(gL: Tensor | None, gU: Tensor | None, P: Tensor, L: Tensor,
                 U: Tensor) -> Tensor:
    """The gradient of A = P L U from those of L and U (square, wide and tall A)."""
    m, n = L._data.shape[-2], U._data.shape[-1]
    k = min(m, n)
    gL = L * 0 if gL is None else gL
    gU = U * 0 if gU is None else gU
    if m < n:  # A = P L [U1 U2]: U2 = L^-1 P^T A2 also moves with L
        U1, U2, gU1, gU2 = U[..., :, :k], U[..., :, k:], gU[..., :, :k], gU[..., :, k:]
        gL = gL - linalg_solve_triangular.public(_adj(L), gU2 @ _adj(U2), upper=True,
                                                 unitriangular=True)
        g1 = _lu_square_backward(gL, gU1, L, U1)
        g2 = linalg_solve_triangular.public(_adj(L), gU2, upper=True, unitriangular=True)
        return P @ cat((g1, g2), -1)
    if m > n:  # P^T A = [L1; L2] U: L2 = B2 U^-1 also moves with U
        L1, L2, gL1, gL2 = L[..., :k, :], L[..., k:, :], gL[..., :k, :], gL[..., k:, :]
        gU = gU - linalg_solve_triangular.public(_adj(U), _adj(L2) @ gL2, upper=False,
                                                 left=False)
        g1 = _lu_square_backward(gL1, gU, L1, U)
        g2 = linalg_solve_triangular.public(_adj(U), gL2, upper=False, left=False)
        return P @ cat((g1, g2), -2)
    return P @ _lu_square_backward(gL, gU, L, U)


def _lu_square_backward(gL: Tensor, gU: Tensor, L: Tensor, U: Tensor) -> Tensor:
    # L^-H [tril(L^H gL, -1) + triu(gU U^H)] U^-H
    phi = (_adj(L) @ gL).tril(-1) + (gU @ _adj(U)).triu()
    x = linalg_solve_triangular.public(_adj(L), phi, upper=True, unitriangular=True)
    return linalg_solve_triangular.public(_adj(U), x, upper=False, left=False)


@primitive("linalg_lu_factor_ex", grad_fn="LinalgLuFactorExBackward0", export=False,
           n_outputs=3, complex=True)
def linalg_lu_factor_ex(A: np.ndarray, *, pivot: bool = True,
                        check_errors: bool = False) -> tuple:
    """LU factorization with partial pivoting, packed, with LAPACK's pivots and info.

    Example::
        >>> ndgrad.linalg.lu_factor_ex(ndgrad.eye(2)).pivots
        tensor([1, 2], dtype=torch.int32)
    """
    _check_lu_input(A, "linalg.lu_factor_ex", pivot)
    LU, piv, info = _getrf(A)
    if check_errors and info.any():
        raise LinAlgError(f"linalg.lu_factor_ex: U[{info.max()},{info.max()}] is zero and using it "
                          "on lu_solve would result in a division by zero.")
    return LU, piv, info


@linalg_lu_factor_ex.vjp
def _(grads, result0, result1, *, pivot, check_errors):
    LU, pivots = result0, result1
    m = LU._data.shape[-2]
    P = _const(_permutation_matrix(pivots._data, m, LU._data.dtype))
    L, U = _unpack_t(LU)
    k = L._data.shape[-1]
    g = grads[0]
    return _lu_backward(g[..., :, :k].tril(-1), g[..., :k, :].triu(), P, L, U)


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False,
                 out: Any = None) -> tuple:
    """(LU, pivots, info): A = P L U packed in one matrix, LAPACK's 1-based pivots, and info > 0
    where U has a zero on its diagonal.

    Example::
        >>> ndgrad.linalg.lu_factor_ex(ndgrad.eye(2)).info
        tensor(0, dtype=torch.int32)
    """
    return _LuFactorEx(linalg_lu_factor_ex.public(A, pivot=pivot, check_errors=check_errors))


def lu_factor(A: Tensor, *, pivot: bool = True, out: Any = None) -> tuple:
    """(LU, pivots) of the LU factorization with partial pivoting; a singular A is refused.

    Example::
        >>> ndgrad.linalg.lu_factor(ndgrad.tensor([[0., 1.], [1., 0.]])).pivots
        tensor([2, 2], dtype=torch.int32)
    """
    LU, pivots, info = linalg_lu_factor_ex.public(A, pivot=pivot)
    bad = info._data.reshape(-1)
    bad = bad[bad > 0]
    if bad.size:
        i = int(bad[0])
        raise LinAlgError(f"torch.linalg.lu_factor: U[{i},{i}] is zero and using it on lu_solve "
                          "would result in a division by zero. If you still want to perform the "
                          "factorization, consider calling linalg.lu(A, pivot) or "
                          "linalg.lu_factor_ex(A, pivot)")
    return _LuFactor((LU, pivots))


# P is a constant of the factorization (no gradient, as in torch): the op returns L, U and the
# pivots, and lu() builds P from them

@primitive("linalg_lu", grad_fn="LinalgLuBackward0", export=False, n_outputs=3, complex=True)
def linalg_lu(A: np.ndarray, *, pivot: bool = True) -> tuple:
    _check_lu_input(A, "linalg.lu", pivot)
    LU, piv, _ = _getrf(A)
    L, U = _unpack(LU)
    return L, U, piv


@linalg_lu.vjp
def _(grads, result0, result1, result2, *, pivot):
    P = _const(_permutation_matrix(result2._data, result0._data.shape[-2], result0._data.dtype))
    return _lu_backward(grads[0], grads[1], P, result0, result1)


def lu(A: Tensor, *, pivot: bool = True, out: Any = None) -> tuple:
    """(P, L, U) with A = P L U: P a permutation, L unit lower, U upper triangular.

    Example::
        >>> ndgrad.linalg.lu(ndgrad.tensor([[0., 1.], [1., 0.]])).P
        tensor([[0., 1.],
                [1., 0.]])
    """
    L, U, piv = linalg_lu.public(A, pivot=pivot)
    P = _const(_permutation_matrix(piv._data, A._data.shape[-2], A._data.dtype))
    return _Lu((P, L, U))


# *** unpacking and solving ***

@primitive("lu_unpack", grad_fn="LuUnpackBackward0", inputs=("LU_data",), n_outputs=2,
           export=False, complex=True)
def _lu_unpack(LU_data: np.ndarray, *, unpack_data: bool = True) -> tuple:
    if not unpack_data:
        empty = np.empty((0,), LU_data.dtype)
        return empty, empty
    return _unpack(LU_data)


@_lu_unpack.vjp
def _(grads, LU_data_shape, *, unpack_data):
    gL, gU = grads
    m, n = LU_data_shape[-2:]
    k = min(m, n)
    out = None
    if gL is not None and gL._data.size:
        gL = gL.tril(-1)
        out = gL if n == k else cat((gL, _const(np.zeros(gL._data.shape[:-1] + (n - k,),
                                                         gL._data.dtype))), -1)
    if gU is not None and gU._data.size:
        gU = gU.triu()
        gU = gU if m == k else cat((gU, _const(np.zeros(gU._data.shape[:-2] + (m - k, n),
                                                        gU._data.dtype))), -2)
        out = gU if out is None else out + gU
    return out


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True, *, out: Any = None) -> tuple:
    """(P, L, U) from the packed output of linalg.lu_factor (P carries no gradient).

    Example::
        >>> LU, piv = ndgrad.linalg.lu_factor(ndgrad.tensor([[0., 1.], [1., 0.]]))
        >>> ndgrad.lu_unpack(LU, piv).L
        tensor([[1., 0.],
                [0., 1.]])
    """
    piv = LU_pivots._data
    if piv.dtype != np.int32:
        raise RuntimeError(f"torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of "
                           f"torch.int32 dtype. Note: this function is intended to be used with "
                           f"the output produced by torch.linalg.lu_factor. Got {_tname(piv)}")
    dt = LU_data._data.dtype
    P = _const(_permutation_matrix(piv, LU_data._data.shape[-2], dt) if unpack_pivots else
               np.empty((0,), dt))
    L, U = _lu_unpack.public(LU_data, unpack_data=unpack_data)
    return _LuUnpack((P, L, U))


composite("lu_unpack", method=False)(lu_unpack)


def _lu_solve_np(LU: np.ndarray, piv: np.ndarray, B: np.ndarray, trans: int) -> np.ndarray:
    """op(A)^-1 B for A = P L U (trans 0: A, 1: A^T, 2: A^H), batch dims broadcast."""
    batch = np.broadcast_shapes(LU.shape[:-2], B.shape[:-2])
    LU = np.broadcast_to(LU, batch + LU.shape[-2:])
    piv = np.broadcast_to(piv, batch + piv.shape[-1:])
    B = np.broadcast_to(B, batch + B.shape[-2:])
    X = np.empty(B.shape, np.result_type(LU, B))
    if X.size:
        getrs = _lapack("getrs", LU.dtype)
        for lu, p, b, x in zip(_batched(LU), piv.reshape(-1, piv.shape[-1]), _batched(B),
                               _batched(X)):
            x[...] = getrs(lu, p - 1, b, trans=trans)[0]
    return X


@primitive("linalg_lu_solve", grad_fn="LinalgLuSolveBackward0", export=False,
           inputs=("LU", "pivots", "B"), complex=True)
def linalg_lu_solve(LU: np.ndarray, pivots: np.ndarray, B: np.ndarray, *, left: bool = True,
                    adjoint: bool = False) -> np.ndarray:
    """Solve A X = B (or X A = B, or with A^H) given A's LU factorization.

    Example::
        >>> LU, piv = ndgrad.linalg.lu_factor(ndgrad.eye(2) * 2)
        >>> ndgrad.linalg.lu_solve(LU, piv, ndgrad.ones(2, 1))
        tensor([[0.5000],
                [0.5000]])
    """
    _check_float(LU, "linalg.lu_solve")
    if LU.ndim < 2 or LU.shape[-1] != LU.shape[-2]:
        raise RuntimeError(f"torch.linalg.lu_solve: A must be batches of square matrices, but "
                           f"they are {LU.shape[-2]} by {LU.shape[-1]} matrices")
    if LU.dtype != B.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found "
                           f"LU of type {_tname(LU)} and B of type {_tname(B)} instead")
    if pivots.shape != LU.shape[:-1]:
        raise RuntimeError(f"linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the "
                           f"same, but got pivots with shape {list(pivots.shape)} instead")
    n = LU.shape[-1]
    rows = B.shape[-2] if left else B.shape[-1]
    if B.ndim < 2 or rows != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{'x'.join(map(str, B.shape[-2:]))})")
    conj = LU.dtype.kind == "c"
    if left:
        return _lu_solve_np(LU, pivots, B, (2 if conj else 1) if adjoint else 0)
    # X A = B  <=>  A^T X^T = B^T;  X A^H = B  <=>  A X^H = B^H
    Bt = np.swapaxes(B, -1, -2)
    if adjoint:
        Xh = _lu_solve_np(LU, pivots, Bt.conj() if conj else Bt, 0)
        return np.swapaxes(Xh.conj() if conj else Xh, -1, -2)
    return np.swapaxes(_lu_solve_np(LU, pivots, Bt, 1), -1, -2)


@linalg_lu_solve.vjp
def _(grad, LU, pivots, result, needs_input_grad, *, left, adjoint):
    gB = linalg_lu_solve.public(LU, pivots, grad, left=left, adjoint=not adjoint)
    gLU = None
    if needs_input_grad[0]:
        # the gradient with respect to A = P L U, then projected onto the factors L and U
        X = result
        if left:
            gA = -(gB @ _adj(X)) if not adjoint else -(X @ _adj(gB))
        else:
            gA = -(_adj(X) @ gB) if not adjoint else -(_adj(gB) @ X)
        P = _const(_permutation_matrix(pivots._data, LU._data.shape[-2], LU._data.dtype))
        L, U = _unpack_t(LU)
        PtgA = _adj(P) @ gA
        gLU = (PtgA @ _adj(U)).tril(-1) + (_adj(L) @ PtgA).triu()
    return gLU, None, gB if needs_input_grad[2] else None


def lu_solve_legacy(b: Tensor, LU_data: Tensor, LU_pivots: Tensor, *, out: Any = None) -> Tensor:
    """Deprecated torch.lu_solve(b, LU_data, LU_pivots): linalg.lu_solve with its arguments
    reversed.

    Example::
        >>> LU, piv = ndgrad.linalg.lu_factor(ndgrad.eye(2) * 2)
        >>> ndgrad.lu_solve(ndgrad.ones(2, 1), LU, piv).shape
        torch.Size([2, 1])
    """
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be "
                  "removed in a future PyTorch release.\nNote that torch.linalg.lu_solve has its "
                  "arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\nshould be replaced with"
                  "\nX = torch.linalg.lu_solve(LU, pivots, B)", UserWarning,
                  stacklevel=3)  # past the composite wrapper, at the caller
    return linalg_lu_solve.public(LU_data, LU_pivots, b)


composite("lu_solve")(lu_solve_legacy)


@composite("lu")
def lu_legacy(A: Tensor, pivot: bool = True, get_infos: bool = False, out: Any = None) -> tuple:
    """Deprecated torch.lu: (LU, pivots) or, with get_infos, (LU, pivots, infos).

    Example::
        >>> LU, pivots = ndgrad.lu(ndgrad.eye(2))
        >>> pivots
        tensor([1, 2], dtype=torch.int32)
    """
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.",
                  UserWarning, stacklevel=3)  # the caller, past the composite wrapper
    LU, pivots, infos = linalg_lu_factor_ex.public(A, pivot=pivot, check_errors=not get_infos)
    return _LuWithInfo((LU, pivots, infos)) if get_infos else (LU, pivots)


# *** LDL (Bunch-Kaufman): forward only, as in torch ***

@primitive("linalg_ldl_factor_ex", differentiable=False, export=False, n_outputs=3, complex=True)
def linalg_ldl_factor_ex(A: np.ndarray, *, hermitian: bool = False,
                         check_errors: bool = False) -> tuple:
    _check_float(A, "torch.linalg.ldl_factor_ex")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError("torch.linalg.ldl_factor_ex: A must be batches of square matrices, but "
                           f"they are {A.shape[-2]} by {A.shape[-1]} matrices")
    n = A.shape[-1]
    LD = np.zeros(A.shape, A.dtype)
    piv = np.zeros(A.shape[:-1], np.int32)
    info = np.zeros(A.shape[:-2], np.int32)
    if A.size:
        sytrf = _lapack("hetrf" if hermitian and A.dtype.kind == "c" else "sytrf", A.dtype)
        for i, (a, ld, p) in enumerate(zip(_batched(A), _batched(LD), piv.reshape(-1, n))):
            res, ipiv, inf = sytrf(a, lower=1)
            ld[...], p[...], info.reshape(-1)[i] = np.tril(res), ipiv, inf
    if check_errors and info.any():
        raise LinAlgError(f"torch.linalg.ldl_factor_ex: The factorization could not be completed "
                          f"because the input is not invertible (D[{info.max()},{info.max()}] is "
                          "zero).")
    return LD, piv, info


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False,
                  out: Any = None) -> tuple:
    """(LD, pivots, info): the Bunch-Kaufman LDL^T factorization of a symmetric matrix, packed as
    LAPACK's sytrf returns it.

    Example::
        >>> ndgrad.linalg.ldl_factor_ex(ndgrad.eye(2) * 2).LD
        tensor([[2., 0.],
                [0., 2.]])
    """
    return _LdlEx(linalg_ldl_factor_ex.public(A, hermitian=hermitian, check_errors=check_errors))


def ldl_factor(A: Tensor, *, hermitian: bool = False, out: Any = None) -> tuple:
    """(LD, pivots) of the LDL^T factorization; refuses a factorization that hit a zero pivot.

    Example::
        >>> ndgrad.linalg.ldl_factor(ndgrad.eye(2) * 2).pivots
        tensor([1, 2], dtype=torch.int32)
    """
    LD, pivots, info = linalg_ldl_factor_ex.public(A, hermitian=hermitian)
    if info._data.any():
        i = int(info._data.reshape(-1)[info._data.reshape(-1) > 0][0])
        raise LinAlgError(f"torch.linalg.ldl_factor: The factorization could not be completed "
                          f"because the input is not invertible (D[{i},{i}] is zero).")
    return _Ldl((LD, pivots))


@primitive("linalg_ldl_solve", differentiable=False, export=False, inputs=("LD", "pivots", "B"),
           complex=True)
def linalg_ldl_solve(LD: np.ndarray, pivots: np.ndarray, B: np.ndarray, *,
                     hermitian: bool = False) -> np.ndarray:
    """Solve A X = B from A's LDL^T factorization (ldl_factor's LD and pivots).

    Example::
        >>> LD, piv = ndgrad.linalg.ldl_factor(ndgrad.eye(2) * 2)
        >>> ndgrad.linalg.ldl_solve(LD, piv, ndgrad.ones(2, 1))
        tensor([[0.5000],
                [0.5000]])
    """
    _check_float(LD, "torch.linalg.ldl_solve")
    if B.ndim < 2 or B.shape[-2] != LD.shape[-1]:
        raise RuntimeError(f"torch.linalg.ldl_solve: Incompatible shapes of A and B for the "
                           f"equation AX = B ({LD.shape[-2]}x{LD.shape[-1]} and "
                           f"{'x'.join(map(str, B.shape[-2:]))})")
    if LD.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.ldl_solve: Expected LD and B to have the same dtype, but "
                           f"found LD of type {_tname(LD)} and B of type {_tname(B)} instead")
    batch = np.broadcast_shapes(LD.shape[:-2], B.shape[:-2])
    LD = np.broadcast_to(LD, batch + LD.shape[-2:])
    piv = np.broadcast_to(pivots, batch + pivots.shape[-1:])
    B = np.broadcast_to(B, batch + B.shape[-2:])
    X = np.empty(B.shape, B.dtype)
    if X.size:
        herm = hermitian and LD.dtype.kind == "c"
        try:
            sytrs = _lapack("hetrs" if herm else "sytrs", LD.dtype)
        except AttributeError:  # SciPy < 1.16 wraps no ?sytrs / ?hetrs
            sytrs = functools.partial(_solve_from_factors, hermitian=herm)
        for ld, p, b, x in zip(_batched(LD), piv.reshape(-1, piv.shape[-1]), _batched(B),
                               _batched(X)):
            x[...] = sytrs(ld, p, b, lower=1)[0]
    return X


def _solve_from_factors(ld: np.ndarray, ipiv: np.ndarray, b: np.ndarray, lower: int,
                        hermitian: bool) -> tuple:
    """?sytrs for SciPy versions without its wrapper: A rebuilt from LAPACK's Bunch-Kaufman
    factors (SciPy's own ldl() helpers decode them), then solved; equal to rounding."""
    from scipy.linalg import _decomp_ldl as ldl

    swap, pivot = ldl._ldl_sanitize_ipiv(np.asarray(ipiv), lower=bool(lower))
    d, lu = ldl._ldl_get_d_and_l(ld, pivot, lower=bool(lower), hermitian=hermitian)
    lu, _ = ldl._ldl_construct_tri_factor(lu, swap, pivot, lower=bool(lower))
    a = lu @ d @ (lu.conj().T if hermitian else lu.T)
    return np.linalg.solve(a, b).astype(b.dtype, copy=False), 0


# *** test-table entries (well-conditioned inputs) ***

_enroll("linalg_lu_factor_ex", lambda A, *, shift: linalg_lu_factor_ex.public(_shift(A, shift))[0],
        lambda torch, A, *, shift: torch.linalg.lu_factor_ex(_shift(A, shift))[0],
        [((3, 3), {"shift": 3.0}), ((2, 3, 3), {"shift": -3.0})])
_enroll("linalg_lu", lambda A: linalg_lu.public(A)[:2],
        lambda torch, A: torch.linalg.lu(A)[1:],
        [((3, 3), {}), ((4, 3), {}), ((2, 3, 4), {})], domain=(-1.0, 1.0))
_enroll("lu_unpack", lambda LU: lu_unpack(LU, _const(np.array([2, 3, 3], np.int32)))[1:],
        lambda torch, LU: torch.lu_unpack(LU, torch.tensor([2, 3, 3], dtype=torch.int32))[1:],
        [((3, 3), {}), ((4, 3), {})])
def _pivots(LU: Any, lib: Any = None) -> Any:
    """LAPACK pivots [1, 3, 3] for each matrix of LU's batch."""
    piv = np.broadcast_to(np.array([1, 3, 3], np.int32), LU.shape[:-1]).copy()
    return _const(piv) if lib is None else lib.tensor(piv)


_enroll("linalg_lu_solve",
        lambda LU, B, *, left=True, adjoint=False: linalg_lu_solve.public(
            _shift(LU, 3.0), _pivots(LU), B, left=left, adjoint=adjoint),
        lambda torch, LU, B, *, left=True, adjoint=False: torch.linalg.lu_solve(
            _shift(LU, 3.0), _pivots(LU, torch), B, left=left, adjoint=adjoint),
        [(((3, 3), (3, 2)), {}), (((3, 3), (2, 3)), {"left": False}),
         (((2, 3, 3), (3, 2)), {"adjoint": True}),
         (((3, 3), (2, 3)), {"left": False, "adjoint": True})])
_enroll("linalg_ldl_factor_ex", lambda A: linalg_ldl_factor_ex.public(_shift(A + A.mT, 4.0))[0],
        lambda torch, A: torch.linalg.ldl_factor_ex(_shift(A + A.mT, 4.0))[0],
        [((3, 3), {})], differentiable=False)
_enroll("linalg_ldl_solve", lambda A, B: linalg_ldl_solve.public(
            *linalg_ldl_factor_ex.public(_shift(A + A.mT, 4.0))[:2], B),
        lambda torch, A, B: torch.linalg.ldl_solve(
            *torch.linalg.ldl_factor_ex(_shift(A + A.mT, 4.0))[:2], B),
        [(((3, 3), (3, 2)), {})], differentiable=False)
