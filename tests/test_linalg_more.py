"""The rest of torch.linalg against PyTorch: LU and LDL factorizations, the *_ex variants, lstsq,
triangular and Cholesky solves, Householder products, matrix_exp, cond, matrix_rank, vander,
tensorinv/tensorsolve: values, named results, node names, gradients (torch and finite
differences, second order) and errors. (The op table enrolls each op's samples too.)"""
import warnings

import numpy as np
import pytest

import ndgrad
import ndgrad.linalg as LA
from ndgrad.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(21)


def _wc(*shape):
    a = RNG.uniform(-0.5, 0.5, shape)
    n = min(shape[-2:])
    a[..., np.arange(n), np.arange(n)] += 3.0
    return a


def _both(torch, *arrays, grad=False):
    nd = [ndgrad.tensor(a, dtype=ndgrad.float64, requires_grad=grad) for a in arrays]
    th = [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]
    return nd, th


def _np(t):
    return t.detach().numpy()


def _same(nd, th, rtol=1e-9, atol=1e-10):
    nd = nd if isinstance(nd, (tuple, list)) else (nd,)
    th = th if isinstance(th, (tuple, list)) else (th,)
    assert len(nd) == len(th)
    for a, b in zip(nd, th):
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol)


# name -> (fn(lib, *tensors), input arrays): differentiable, compared with torch and checked to
# second order against finite differences
CASES = {
    "lu_square": (lambda L, A: L.linalg.lu(A)[1:], [_wc(3, 3)]),
    "lu_wide": (lambda L, A: L.linalg.lu(A)[1:], [RNG.standard_normal((2, 3, 4))]),
    "lu_tall": (lambda L, A: L.linalg.lu(A)[1:], [RNG.standard_normal((4, 3))]),
    "lu_factor": (lambda L, A: L.linalg.lu_factor(A).LU, [_wc(2, 3, 3)]),
    "lu_factor_wide": (lambda L, A: L.linalg.lu_factor_ex(A).LU, [RNG.standard_normal((3, 4))]),
    "lu_unpack": (lambda L, A: L.lu_unpack(*L.linalg.lu_factor(A))[1:], [_wc(3, 3)]),
    "lu_solve": (lambda L, A, B: L.linalg.lu_solve(*L.linalg.lu_factor(A), B),
                 [_wc(3, 3), RNG.standard_normal((3, 1))]),
    "lu_solve_right_adjoint": (lambda L, A, B: L.linalg.lu_solve(
        *L.linalg.lu_factor(A), B, left=False, adjoint=True), [_wc(3, 3),
                                                                RNG.standard_normal((1, 3))]),
    "inv_ex": (lambda L, A: L.linalg.inv_ex(A).inverse, [_wc(3, 3)]),
    "solve_ex": (lambda L, A, B: L.linalg.solve_ex(A, B).result, [_wc(3, 3), RNG.random(3)]),
    "cholesky_ex": (lambda L, A: L.linalg.cholesky_ex(A @ A.mT + L.eye(3, dtype=A.dtype)).L,
                    [RNG.standard_normal((3, 3))]),
    "lstsq_gelsd": (lambda L, A, B: L.linalg.lstsq(A, B, driver="gelsd")[:2],
                    [_wc(5, 3), RNG.standard_normal((5, 2))]),
    "lstsq_vector": (lambda L, A, B: L.linalg.lstsq(A, B).solution,
                     [_wc(2, 4, 3), RNG.standard_normal((2, 4))]),
    "triangular_solve": (lambda L, B, A: L.triangular_solve(B, A.triu() + 3 * L.eye(3,
                                                            dtype=A.dtype)),
                         [RNG.standard_normal((3, 2)), RNG.standard_normal((3, 3))]),
    "cholesky_solve": (lambda L, B, A: L.cholesky_solve(B, A.tril(-1) * 0.3 + 2 * L.eye(
        3, dtype=A.dtype)), [RNG.standard_normal((3, 2)), RNG.standard_normal((3, 3))]),
    "cholesky_inverse_upper": (lambda L, A: L.cholesky_inverse(A.triu(1) * 0.3 + 2 * L.eye(
        3, dtype=A.dtype), upper=True), [RNG.standard_normal((3, 3))]),
    "householder_product": (lambda L, A, tau: L.linalg.householder_product(A, tau),
                            [RNG.standard_normal((4, 3)), RNG.standard_normal(2)]),
    "ormqr_right_transposed": (lambda L, A, tau, C: L.ormqr(A, tau, C, False, True),
                               [RNG.standard_normal((3, 3)), RNG.standard_normal(3),
                                RNG.standard_normal((2, 3))]),
    "matrix_exp": (lambda L, A: L.linalg.matrix_exp(A), [RNG.standard_normal((2, 3, 3)) * 0.5]),
    "cond": (lambda L, A: L.linalg.cond(A), [_wc(3, 3)]),
    "cond_minus2": (lambda L, A: L.linalg.cond(A, -2), [_wc(3, 3)]),
    "cond_nuc": (lambda L, A: L.linalg.cond(A, "nuc"), [_wc(2, 3, 3)]),
    "vander": (lambda L, x: L.linalg.vander(x, N=4), [RNG.standard_normal((2, 3))]),
    "tensorinv": (lambda L, A: L.linalg.tensorinv(A, ind=1),
                  [(np.eye(4) * 3 + RNG.uniform(-0.5, 0.5, (4, 4))).reshape(4, 2, 2)]),
    "tensorsolve": (lambda L, A, B: L.linalg.tensorsolve(A, B, dims=(0,)),
                    [(np.eye(6) * 3 + RNG.uniform(-.5, .5, (6, 6))).reshape(6, 2, 3),
                     RNG.standard_normal((2, 3))]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_with_gradients(torch, name):
    fn, arrays = CASES[name]
    (nd, th) = _both(torch, *arrays, grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = fn(ndgrad, *nd), fn(torch, *th)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    _same(ours, theirs, 1e-8, 1e-10)
    for o, t in zip(ours, theirs):
        name_o = type(o.grad_fn).__name__ if o.grad_fn is not None else None
        name_t = type(t.grad_fn).__name__ if t.grad_fn is not None else None
        if not name.startswith(("cond", "vander", "tensor")):  # composites of other ops
            assert name_o == name_t
    ws = [RNG.standard_normal(tuple(t.shape)) for t in theirs]
    sum((o * ndgrad.tensor(w)).sum() for o, w in zip(ours, ws)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(theirs, ws)).backward()
    for a, b in zip(nd, th):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_order_against_finite_differences(name):
    fn, arrays = CASES[name]
    nd = [ndgrad.tensor(a, dtype=ndgrad.float64, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda *xs: fn(ndgrad, *xs), tuple(nd))
        assert gradgradcheck(lambda *xs: fn(ndgrad, *xs), tuple(nd))


def test_named_results_and_integer_outputs(torch):
    (A,), (tA,) = _both(torch, _wc(2, 3, 3))
    for name in ("lu_factor_ex", "lu", "inv_ex", "cholesky_ex"):
        arg, targ = (A @ A.mT, tA @ tA.mT) if name == "cholesky_ex" else (A, tA)
        ours, theirs = getattr(LA, name)(arg), getattr(torch.linalg, name)(targ)
        assert repr(ours).split("(")[0] == repr(theirs).split("(")[0]
        _same(tuple(ours), tuple(theirs))
    ours = LA.lu_factor(A)
    assert ours.pivots.dtype == ndgrad.int32
    _same(ndgrad.lu_unpack(*ours), torch.lu_unpack(*torch.linalg.lu_factor(tA)))
    sym = A + A.mT
    _same(tuple(LA.ldl_factor_ex(sym)), tuple(torch.linalg.ldl_factor_ex(tA + tA.mT)))
    LD, piv = LA.ldl_factor(sym)
    B = ndgrad.tensor(RNG.standard_normal((2, 3, 2)))
    _same(LA.ldl_solve(LD, piv, B), torch.linalg.ldl_solve(*torch.linalg.ldl_factor(
        tA + tA.mT), torch.tensor(B.numpy())))
    _same(ndgrad.geqrf(A), torch.geqrf(tA))
    assert not LA.lu(A.requires_grad_()).P.requires_grad


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("shapes", [((5, 3), (5, 2)), ((3, 5), (3, 2)), ((1, 5, 3), (4, 5, 2)),
                                    ((2, 4, 3), (2, 4))])
def test_lstsq_outputs_follow_the_driver(torch, driver, shapes):
    (A, B), (tA, tB) = _both(torch, RNG.standard_normal(shapes[0]), RNG.standard_normal(shapes[1]))
    ours, theirs = LA.lstsq(A, B, driver=driver), torch.linalg.lstsq(tA, tB, driver=driver)
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape) and str(o.dtype) == str(t.dtype)
        np.testing.assert_allclose(_np(o), _np(t), rtol=1e-7, atol=1e-9)


def test_singular_inputs_report_info(torch):
    Z = np.array([[1.0, 2.0], [2.0, 4.0]])
    (nZ,), (tZ,) = _both(torch, Z)
    assert LA.inv_ex(nZ).info.item() == torch.linalg.inv_ex(tZ).info.item() == 2
    assert LA.solve_ex(nZ, ndgrad.ones(2, dtype=ndgrad.float64)).info.item() == 2
    assert LA.lu_factor_ex(nZ).info.item() == torch.linalg.lu_factor_ex(tZ).info.item()
    _same(LA.cholesky_ex(-nZ).info, torch.linalg.cholesky_ex(-tZ).info)
    with pytest.raises(LA.LinAlgError, match="U\\[2,2\\] is zero"):
        LA.lu_factor(nZ)
    with pytest.raises(RuntimeError, match="the inversion could not be completed"):
        LA.inv_ex(nZ, check_errors=True)
    for p in ("fro", float("inf"), -1):  # inverted norms: inf for a singular matrix
        assert LA.cond(nZ, p).item() == torch.linalg.cond(tZ, p).item() == float("inf")
    for p in (None, 2, "nuc"):  # through singular values: huge (rounding decides how huge)
        assert LA.cond(nZ, p).item() > 1e15 and torch.linalg.cond(tZ, p).item() > 1e15
    assert LA.matrix_rank(nZ).item() == 1 and LA.matrix_rank(nZ, hermitian=True).item() == 1
    assert LA.matrix_rank(nZ, atol=10.0).item() == torch.linalg.matrix_rank(tZ, atol=10.0).item()


def test_errors_are_torchs(torch):
    A = ndgrad.randn(3, 3)
    cases = [
        (lambda: LA.lu_factor(A, pivot=False), "LU without pivoting is not implemented"),
        (lambda: LA.lu_factor(ndgrad.randn(3)), "Expected tensor with 2 or more dimensions"),
        (lambda: LA.lstsq(A, A, driver="foo"), "parameter `driver` should be one of"),
        (lambda: LA.cond(A, 3), "linalg.cond got an invalid norm type: 3"),
        (lambda: LA.cond(ndgrad.randn(2, 3), "fro"), "A must be batches of square matrices"),
        (lambda: LA.vander(ndgrad.randn(3), N=1), "N must be greater than 1."),
        (lambda: LA.tensorinv(ndgrad.randn(4, 2, 3), ind=1), "prod\\(self.shape\\[ind:\\]\\)"),
        (lambda: LA.householder_product(ndgrad.randn(3, 4), ndgrad.randn(2)),
         "input.shape\\[-2\\] must be greater than or equal to input.shape\\[-1\\]"),
        (lambda: LA.matrix_exp(ndgrad.randn(2, 3)), "A must be batches of square matrices"),
        (lambda: LA.lu_solve(*LA.lu_factor(A), ndgrad.randn(2, 2)), "Incompatible shapes"),
    ]
    for fn, message in cases:
        with pytest.raises(RuntimeError, match=message):
            fn()
    with pytest.raises(NotImplementedError, match="the derivative for 'geqrf' is not implemented"):
        ndgrad.geqrf(A.requires_grad_())[0].sum().backward()


def test_deprecated_functions_warn_as_torch(torch):
    A = ndgrad.tensor(_wc(3, 3))
    with pytest.warns(UserWarning, match="torch.lu is deprecated"):
        LU, piv, info = ndgrad.lu(A, get_infos=True)
    assert type(ndgrad.lu(A)) is tuple
    with pytest.warns(UserWarning, match="torch.lu_solve is deprecated"):
        ndgrad.lu_solve(ndgrad.ones(3, 1, dtype=ndgrad.float64), LU, piv)
    with pytest.warns(UserWarning, match="torch.triangular_solve is deprecated"):
        ndgrad.triangular_solve(ndgrad.ones(3, 1, dtype=ndgrad.float64), A)
    assert A.matrix_exp().shape == (3, 3) and A.cholesky_inverse().shape == (3, 3)


def test_chain_matmul_is_multi_dot_as_torch(torch):
    mats = [_wc(2, 3), _wc(3, 4), _wc(4, 2)]
    for k in (1, 3):
        n_in = [ndgrad.tensor(m, requires_grad=True) for m in mats[:k]]
        t_in = [torch.tensor(m, requires_grad=True) for m in mats[:k]]
        with pytest.warns(UserWarning, match="torch.chain_matmul is deprecated") as rec:
            n_out = ndgrad.chain_matmul(*n_in)
        assert rec[0].filename == __file__  # the warning names the caller
        t_out = torch.chain_matmul(*t_in)
        n_out.sum().backward()
        t_out.sum().backward()
        assert type(n_out.grad_fn).__name__ == type(t_out.grad_fn).__name__
        np.testing.assert_allclose(n_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-12)
        for n, t in zip(n_in, t_in):
            np.testing.assert_allclose(n.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    for bad in ((), (ndgrad.ones(3),)):
        with pytest.raises(RuntimeError, match="Expected one or more matrices|dimension is 1"):
            ndgrad.chain_matmul(*bad)
