"""Linear algebra against PyTorch: values, grad_fn names, gradients and second derivatives of the
products, contractions and decompositions (gauge-invariant losses for svd / eigh), the
ndgrad.linalg namespace, named-tuple results and error parity."""

import warnings

import numpy as np
import pytest

import ndgrad
import ndgrad.linalg

RNG = np.random.default_rng(1234)


def _rand(*shape):
    return RNG.standard_normal(shape)


def _wc(n, shift=3.0, batch=()):
    """A well-conditioned (diagonally dominant) matrix."""
    return RNG.uniform(-0.5, 0.5, batch + (n, n)) + shift * np.eye(n)


def _sym(n, batch=()):
    a = RNG.standard_normal(batch + (n, n))
    return a + np.swapaxes(a, -1, -2) + np.diag(4.0 * np.arange(1, n + 1))


def _spd(n, batch=()):
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _sq(x):  # element-wise square: removes the sign gauge of singular / eigen vectors
    return x * x


def _svd_free(r):
    """Gauge-invariant views of (U, S, Vh): squared entries of the first k singular vectors."""
    k = r[1].shape[-1]
    return _sq(r[0][..., :k]), r[1], _sq(r[2][..., :k, :])


def _eigh_free(r):
    return r[0], _sq(r[1])


# name -> (fn(lib, *tensors) written once for ndgrad and torch, input arrays)
CASES = {
    "vdot": (lambda L, a, b: L.vdot(a, b), [_rand(3), _rand(3)]),
    "addmm_linear": (lambda L, b, x, w: L.addmm(b, x, w.t()), [_rand(4), _rand(2, 3), _rand(4, 3)]),
    "addmm_scaled": (
        lambda L, b, x, w: L.addmm(b, x, w, beta=0.5, alpha=-2),
        [_rand(2, 4), _rand(2, 3), _rand(3, 4)],
    ),
    "addmv": (lambda L, b, m, v: L.addmv(b, m, v, alpha=3), [_rand(2), _rand(2, 3), _rand(3)]),
    "addbmm": (
        lambda L, b, x, y: L.addbmm(b, x, y, beta=2),
        [_rand(2, 4), _rand(3, 2, 5), _rand(3, 5, 4)],
    ),
    "baddbmm": (
        lambda L, b, x, y: L.baddbmm(b, x, y),
        [_rand(1, 4), _rand(3, 2, 5), _rand(3, 5, 4)],
    ),
    "outer": (lambda L, a, b: L.outer(a, b), [_rand(3), _rand(2)]),
    "ger": (lambda L, a, b: L.ger(a, b), [_rand(3), _rand(2)]),
    "inner_nd": (lambda L, a, b: L.inner(a, b), [_rand(2, 3, 4), _rand(5, 4)]),
    "tensordot_pairs": (
        lambda L, a, b: L.tensordot(a, b, dims=([0, 2], [2, 1])),
        [_rand(2, 3, 4), _rand(5, 4, 2)],
    ),
    "tensordot_bcast": (lambda L, a, b: L.tensordot(a, b, dims=1), [_rand(2, 1), _rand(3, 4)]),
    "kron_3d": (lambda L, a, b: L.kron(a, b), [_rand(2, 3), _rand(2, 2, 2)]),
    "trace": (lambda L, a: L.trace(a) ** 2, [_rand(3, 4)]),
    "diag_vec": (lambda L, a: L.diag(a, -2), [_rand(3)]),
    "diag_mat": (lambda L, a: L.diag(a, 1) ** 2, [_rand(3, 4)]),
    "diagonal_view": (lambda L, a: a.diagonal(-1, 2, 0) ** 2, [_rand(3, 2, 4)]),
    "diag_embed": (lambda L, a: L.diag_embed(a, 1, 0, 2) ** 2, [_rand(2, 3)]),
    "tril_triu": (lambda L, a: a.tril(-1) ** 2 + a.triu(1), [_rand(2, 3, 3)]),
    "linalg_cross": (lambda L, a, b: L.linalg.cross(a, b) ** 2, [_rand(2, 3), _rand(1, 3)]),
    "cross_dim": (lambda L, a, b: L.cross(a, b, dim=0) ** 2, [_rand(3, 2), _rand(3, 2)]),
    "matmul_batched": (lambda L, a, b: L.matmul(a, b), [_rand(2, 1, 3, 4), _rand(3, 4, 2)]),
    "inv": (lambda L, a: L.linalg.inv(a), [_wc(3, batch=(2,))]),
    "inverse": (lambda L, a: L.inverse(a), [_wc(3)]),
    "det": (lambda L, a: L.linalg.det(a), [_wc(3, -3.0, (2,))]),
    "det_alias": (lambda L, a: a.det(), [_wc(3)]),
    "det_singular": (lambda L, a: L.det(a), [np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])]),
    "det_1x1": (lambda L, a: L.det(a) ** 2, [_rand(2, 1, 1)]),
    "slogdet": (lambda L, a: tuple(L.linalg.slogdet(a)), [_wc(3, -3.0, (2,))]),
    "slogdet_method": (lambda L, a: tuple(a.slogdet()), [_wc(3)]),
    "logdet": (lambda L, a: a.logdet(), [_wc(3, batch=(2,))]),
    "solve": (lambda L, a, b: L.linalg.solve(a, b), [_wc(3), _rand(3, 2)]),
    "solve_bcast": (lambda L, a, b: L.linalg.solve(a, b), [_wc(3, batch=(2, 1)), _rand(4, 3, 2)]),
    "solve_vec": (lambda L, a, b: L.linalg.solve(a, b), [_wc(3, batch=(2,)), _rand(3)]),
    "solve_batched_vec": (lambda L, a, b: L.linalg.solve(a, b), [_wc(3, batch=(2,)), _rand(2, 3)]),
    "solve_right": (lambda L, a, b: L.linalg.solve(a, b, left=False), [_wc(3), _rand(2, 3)]),
    "solve_triangular": (
        lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True, left=False),
        [_wc(3), _rand(2, 3)],
    ),
    "cholesky": (lambda L, a: L.linalg.cholesky(a), [_spd(3, (2,))]),
    "cholesky_upper": (lambda L, a: L.linalg.cholesky(a, upper=True), [_spd(3)]),
    "cholesky_legacy": (lambda L, a: a.cholesky(), [_spd(3)]),
    "qr_tall": (lambda L, a: tuple(L.linalg.qr(a)), [_rand(5, 3)]),
    "qr_wide": (lambda L, a: tuple(L.linalg.qr(a)), [_rand(2, 3, 5)]),
    "qr_complete_square": (lambda L, a: tuple(L.linalg.qr(a, mode="complete")), [_rand(3, 3)]),
    "qr_legacy": (lambda L, a: tuple(a.qr()), [_rand(4, 3)]),
    "svd_tall": (lambda L, a: _svd_free(L.linalg.svd(a, full_matrices=False)), [_rand(5, 3)]),
    "svd_wide_batched": (lambda L, a: _svd_free(L.linalg.svd(a, False)), [_rand(2, 3, 5)]),
    "svd_full": (lambda L, a: _svd_free(L.linalg.svd(a)), [_rand(5, 3)]),
    "svd_full_wide": (lambda L, a: _svd_free(L.linalg.svd(a)), [_rand(3, 5)]),
    "svd_polar": (lambda L, a: L.linalg.svd(a, False).U @ L.linalg.svd(a, False).Vh, [_rand(4, 3)]),
    "svd_legacy": (lambda L, a: _svd_free(a.svd()), [_rand(4, 3)]),
    "svdvals": (lambda L, a: L.linalg.svdvals(a), [_rand(2, 4, 3)]),
    "eigh": (lambda L, a: _eigh_free(L.linalg.eigh(a)), [_sym(3, (2,))]),
    "eigh_upper": (lambda L, a: _eigh_free(L.linalg.eigh(a, UPLO="U")), [_sym(4)]),
    "eigvalsh": (lambda L, a: L.linalg.eigvalsh(a), [_sym(3)]),
    "pinv_tall": (lambda L, a: L.linalg.pinv(a), [_rand(5, 3)]),
    "pinv_wide": (lambda L, a: L.linalg.pinv(a), [_rand(2, 3, 5)]),
    "pinv_hermitian": (lambda L, a: L.linalg.pinv(a, hermitian=True), [_spd(3)]),
    "pinverse": (lambda L, a: a.pinverse(), [_rand(3, 4)]),
    "matrix_power": (lambda L, a: L.linalg.matrix_power(a, 5), [_wc(3) / 3]),
    "matrix_power_neg": (lambda L, a: a.matrix_power(-2), [_wc(3, batch=(2,))]),
    "vecdot": (lambda L, a, b: L.linalg.vecdot(a, b), [_rand(2, 3), _rand(3)]),
    "multi_dot": (
        lambda L, a, b, c, d: L.linalg.multi_dot([a, b, c, d]),
        [_rand(3), _rand(3, 6), _rand(6, 2), _rand(2, 5)],
    ),
    "linalg_diagonal": (lambda L, a: L.linalg.diagonal(a, offset=1) ** 2, [_rand(2, 3, 3)]),
    "linalg_matmul": (lambda L, a, b: L.linalg.matmul(a, b), [_rand(2, 3), _rand(3)]),
}


def _outs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def _weights(outs):
    return [np.cos(np.arange(o.numel())).reshape(tuple(o.shape)) for o in outs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_to_second_order(name, torch):
    fn, arrays = CASES[name]
    nd = [ndgrad.tensor(a, requires_grad=True) for a in arrays]
    th = [torch.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yn, yt = _outs(fn(ndgrad, *nd)), _outs(fn(torch, *th))
    assert len(yn) == len(yt)
    for a, b in zip(yn, yt):
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-10)
        assert type(a.grad_fn).__name__ == type(b.grad_fn).__name__
    ws = _weights(yt)
    ln = sum((o * ndgrad.tensor(w)).sum() for o, w in zip(yn, ws))
    lt = sum((o * torch.tensor(w)).sum() for o, w in zip(yt, ws))
    gn = ndgrad.autograd.grad(ln, nd, create_graph=True)
    gt = torch.autograd.grad(lt, th, create_graph=True)
    for a, b in zip(gn, gt):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-8, atol=1e-10)
    # second order: the gradient of sum(g ** 3) through the first backward
    if not any(g.requires_grad for g in gt):
        return
    hn = ndgrad.autograd.grad(
        sum((g**3).sum() for g in gn if g.requires_grad),
        nd,
        allow_unused=True,
        materialize_grads=True,
    )
    ht = torch.autograd.grad(
        sum((g**3).sum() for g in gt if g.requires_grad),
        th,
        allow_unused=True,
        materialize_grads=True,
    )
    for a, b in zip(hn, ht):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7, atol=1e-9)


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 4)]),
    ("...j,j", [(2, 2, 3), (3,)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("i,j,k->ijk", [(2,), (3,), (2,)]),
    ("iJ,Jk->ki", [(2, 3), (3, 4)]),
    (" i j , j k -> i k ", [(2, 3), (3, 4)]),
    ("ij,ij->ij", [(2, 1), (1, 3)]),
    ("ab,b->", [(2, 3), (1,)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_torch(equation, shapes, torch):
    arrays = [RNG.standard_normal(s) for s in shapes]
    nd = [ndgrad.tensor(a, requires_grad=True) for a in arrays]
    th = [torch.tensor(a, requires_grad=True) for a in arrays]
    yn, yt = ndgrad.einsum(equation, *nd), torch.einsum(equation, th)  # list form for torch
    np.testing.assert_allclose(yn.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert type(yn.grad_fn).__name__ == type(yt.grad_fn).__name__
    w = RNG.standard_normal(tuple(yt.shape))
    (yn * ndgrad.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    for a, b in zip(nd, th):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def _raises_like(torch, fn):
    """Run fn with ndgrad and torch; both must raise the same type and message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as t_err:
            fn(torch)
        with pytest.raises(Exception) as n_err:
            fn(ndgrad)
    assert isinstance(n_err.value, RuntimeError) == isinstance(t_err.value, RuntimeError)
    return str(n_err.value), str(t_err.value)


ERRORS = {
    "inv_int": lambda L: L.linalg.inv(L.ones(2, 2, dtype=L.int64)),
    "inv_1d": lambda L: L.linalg.inv(L.ones(3)),
    "inv_nonsquare": lambda L: L.linalg.inv(L.ones(3, 2)),
    "det_nonsquare": lambda L: L.linalg.det(L.ones(2, 3)),
    "solve_dtype": lambda L: L.linalg.solve(L.eye(3), L.ones(3, dtype=L.float64)),
    "solve_shape": lambda L: L.linalg.solve(L.eye(3), L.ones(4)),
    "cholesky_not_pd": lambda L: L.linalg.cholesky(-L.eye(3)),
    "qr_mode": lambda L: L.linalg.qr(L.eye(3), mode="foo"),
    "eigh_uplo": lambda L: L.linalg.eigh(L.eye(3), UPLO="X"),
    "svd_1d": lambda L: L.linalg.svd(L.ones(3)),
    "addmm_dtype": lambda L: L.addmm(L.ones(3, dtype=L.float64), L.ones(2, 3), L.ones(3, 3)),
    "addmm_shapes": lambda L: L.addmm(L.ones(3), L.ones(3, 3), L.ones(2, 3)),
    "addmm_vector": lambda L: L.addmm(L.ones(3), L.ones(3), L.ones(3, 3)),
    "addmm_bias": lambda L: L.addmm(L.ones(4), L.ones(3, 3), L.ones(3, 3)),
    "addmv_size": lambda L: L.addmv(L.ones(3), L.ones(3, 3), L.ones(2)),
    "addbmm_batches": lambda L: L.addbmm(L.ones(3, 3), L.ones(2, 3, 4), L.ones(3, 4, 3)),
    "baddbmm_inner": lambda L: L.baddbmm(L.ones(2, 3, 3), L.ones(2, 3, 4), L.ones(2, 3, 3)),
    "trace_3d": lambda L: L.trace(L.ones(2, 2, 2)),
    "diag_3d": lambda L: L.diag(L.ones(2, 2, 2)),
    "tril_1d": lambda L: L.tril(L.ones(3)),
    "diagonal_same_dims": lambda L: L.diagonal(L.ones(3, 3), 0, 1, 1),
    "cross_length": lambda L: L.linalg.cross(L.ones(2), L.ones(2)),
    "cross_ndim": lambda L: L.linalg.cross(L.ones(4, 3), L.ones(3)),
    "cross_no_dim3": lambda L: L.cross(L.ones(2, 2), L.ones(2, 2)),
    "vdot_2d": lambda L: L.vdot(L.ones(3, 3), L.ones(3, 3)),
    "vdot_dtype": lambda L: L.vdot(L.ones(3), L.ones(3, dtype=L.float64)),
    "outer_2d": lambda L: L.outer(L.ones(3, 3), L.ones(3)),
    "inner_last_dim": lambda L: L.inner(L.ones(3), L.ones(2)),
    "tensordot_dtype": lambda L: L.tensordot(L.ones(3, dtype=L.int64), L.ones(3), 1),
    "tensordot_negative": lambda L: L.tensordot(L.ones(3), L.ones(3), dims=-1),
    "pinv_int": lambda L: L.linalg.pinv(L.ones(3, 3, dtype=L.int64)),
    "einsum_size": lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(4, 4)),
    "einsum_output_twice": lambda L: L.einsum("ij,jk->ii", L.ones(2, 3), L.ones(3, 4)),
    "einsum_unknown_output": lambda L: L.einsum("ij->k", L.ones(2, 3)),
    "einsum_operands": lambda L: L.einsum("ij,jk", L.ones(2, 3)),
    "einsum_ndim": lambda L: L.einsum("ijk", L.ones(2, 3)),
    "einsum_dot": lambda L: L.einsum("i.j", L.ones(2, 3)),
    "einsum_label": lambda L: L.einsum("i1", L.ones(2, 3)),
    "einsum_diag_size": lambda L: L.einsum("ii", L.ones(2, 3)),
    "einsum_ellipsis": lambda L: L.einsum("...i,...i", L.ones(2, 3), L.ones(4, 3)),
    "multi_dot_one": lambda L: L.linalg.multi_dot([L.ones(3)]),
    "matrix_power_nonsquare": lambda L: L.linalg.matrix_power(L.ones(2, 3), 2),
    "matrix_power_1d": lambda L: L.linalg.matrix_power(L.ones(3), 2),
    "multi_dot_first_3d": lambda L: L.linalg.multi_dot([L.ones(2, 3, 3), L.ones(3, 3)]),
    "multi_dot_middle_1d": lambda L: L.linalg.multi_dot([L.ones(3), L.ones(3), L.ones(3)]),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name, torch):
    nd_msg, th_msg = _raises_like(torch, ERRORS[name])
    assert nd_msg == th_msg


@pytest.mark.parametrize(
    "name,fn",
    [
        ("inv", lambda L: L.linalg.inv(L.zeros(3, 3))),
        ("solve", lambda L: L.linalg.solve(L.zeros(3, 3), L.ones(3))),
        ("cholesky", lambda L: L.linalg.cholesky(L.diag(L.tensor([1.0, -1.0, 1.0])))),
    ],
)
def test_linalg_errors_are_linalg_error(name, fn, torch):
    with pytest.raises(ndgrad.linalg.LinAlgError) as e:
        fn(ndgrad)
    with pytest.raises(torch.linalg.LinAlgError) as t:
        fn(torch)
    assert isinstance(e.value, RuntimeError)
    if name == "cholesky":  # same minor reported
        assert str(e.value) == str(t.value)


def test_qr_backward_errors_match_torch(torch):
    for lib in (ndgrad, torch):
        a = lib.ones(4, 3, dtype=lib.float64).requires_grad_()
        with pytest.raises(RuntimeError, match="mode='r'"):
            lib.linalg.qr(a, mode="r").R.sum().backward()
        with pytest.raises(RuntimeError, match="nrows > ncols"):
            lib.linalg.qr(a, mode="complete").Q.sum().backward()
        assert tuple(lib.linalg.qr(a, mode="r").Q.shape) == (0,)


def test_triangle_read_matches_torch(torch):
    a = _spd(3)
    for i, j in ((0, 2), (2, 0)):  # corrupt one triangle: only the other may be read
        m = a.copy()
        m[i, j] = -50.0
        for lib_fn in (
            lambda L, x: L.linalg.cholesky(x),
            lambda L, x: L.linalg.cholesky(x, upper=True),
            lambda L, x: L.linalg.eigh(x).eigenvalues,
            lambda L, x: L.linalg.eigh(x, UPLO="U").eigenvalues,
        ):
            try:
                want = lib_fn(torch, torch.tensor(m)).numpy()
            except RuntimeError:
                with pytest.raises(RuntimeError):
                    lib_fn(ndgrad, ndgrad.tensor(m))
                continue
            np.testing.assert_allclose(lib_fn(ndgrad, ndgrad.tensor(m)).numpy(), want, rtol=1e-12)


def test_logdet_sign_cases(torch):
    for m in ([[-1.0, 0], [0, 2]], [[0.0, 0], [0, 1]], [[2.0, 1], [1, 2]]):
        np.testing.assert_equal(
            ndgrad.logdet(ndgrad.tensor(m)).item(), torch.logdet(torch.tensor(m)).item()
        )
    s = ndgrad.linalg.slogdet(ndgrad.zeros(2, 2))
    assert s.sign.item() == 0 and s.logabsdet.item() == float("-inf")


def test_named_tuples():
    a = ndgrad.tensor(_rand(4, 3))
    s = ndgrad.linalg.svd(a, full_matrices=False)
    U, S, Vh = s
    assert s.U is U and s.S is S and s.Vh is Vh and s[1] is S and len(s) == 3
    assert type(s).__name__ == "linalg_svd" and s.n_fields == 3
    assert repr(ndgrad.linalg.slogdet(ndgrad.eye(2))).startswith(
        "torch.return_types.linalg_slogdet(\nsign="
    )
    assert ndgrad.slogdet(ndgrad.eye(2)).logabsdet.item() == 0.0
    assert type(ndgrad.slogdet(ndgrad.eye(2))).__name__ == "slogdet"
    e = ndgrad.linalg.eigh(ndgrad.eye(2))
    assert e.eigenvalues.shape == (2,) and e.eigenvectors.shape == (2, 2)
    q = ndgrad.qr(a)
    assert q.Q.shape == (4, 3) and q.R.shape == (3, 3)
    v = ndgrad.svd(a)
    assert v.V.shape == (3, 3) and type(v).__name__ == "svd"


def test_einsum_sublist_format(torch):
    a, b = _rand(2, 3), _rand(3, 4)
    for sa, sb, out in (
        ([0, 1], [1, 2], [0, 2]),
        ([0, 1], [1, 2], None),
        ([Ellipsis, 1], [1, 3], [3]),
    ):
        tail = () if out is None else (out,)
        got = ndgrad.einsum(ndgrad.tensor(a), sa, ndgrad.tensor(b), sb, *tail)
        want = torch.einsum(torch.tensor(a), sa, torch.tensor(b), sb, *tail)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


EMPTY_BATCH_FNS = {  # backward through batched linear algebra whose batch or matrices are empty
    "cholesky": lambda L, A: L.linalg.cholesky(A @ A.mT + L.eye(A.shape[-1], dtype=A.dtype)),
    "qr": lambda L, A: L.linalg.qr(A)[0].sum() + L.linalg.qr(A)[1].sum(),
    "svdvals": lambda L, A: L.linalg.svd(A)[1],
    "pinv": lambda L, A: L.linalg.pinv(A),
    "logdet": lambda L, A: L.logdet(A @ A.mT + L.eye(A.shape[-1], dtype=A.dtype)),
    "inv": lambda L, A: L.linalg.inv(A),
    "eigh": lambda L, A: L.linalg.eigh(A + A.mT)[0],
    "det": lambda L, A: L.linalg.det(A),
    "solve": lambda L, A: L.linalg.solve(A, A),
    "lu": lambda L, A: L.linalg.lu(A)[2],
    "matrix_exp": lambda L, A: L.linalg.matrix_exp(A),
    "lstsq": lambda L, A: L.linalg.lstsq(A, A).solution,
}


@pytest.mark.parametrize("name", sorted(EMPTY_BATCH_FNS))
def test_backward_through_empty_batches_matches_torch(torch, name):
    for shape in [(0, 3, 3), (2, 0, 0), (0, 0), (3, 0, 3)]:
        results = []
        for L in (torch, ndgrad):
            A = L.zeros(shape, dtype=L.float64, requires_grad=True)
            try:
                EMPTY_BATCH_FNS[name](L, A).sum().backward()
                results.append(("ok", tuple(A.grad.shape)))
            except RuntimeError:  # torch refuses non-square input: so must ndgrad
                results.append(("RuntimeError",))
        assert results[0] == results[1], (shape, results)


def test_empty_and_integer_inputs_match_torch(torch):
    cases = [
        lambda L: L.linalg.det(L.ones(0, 3, 3)),
        lambda L: L.linalg.det(L.ones(0, 0)),
        lambda L: L.linalg.inv(L.ones(2, 0, 0)),
        lambda L: L.linalg.svd(L.ones(0, 3, 2)).S,
        lambda L: L.linalg.cholesky(L.ones(0, 3, 3)),
        lambda L: L.linalg.pinv(L.ones(3, 0)),
        lambda L: L.trace(L.ones(0, 3)),
        lambda L: L.einsum("ij,jk->ik", L.ones(0, 3), L.ones(3, 2)),
        lambda L: L.addmm(L.ones(2, 2), L.ones(2, 0), L.ones(0, 2)),
        lambda L: L.linalg.matrix_power(L.ones(2, 3, 3), 0),
        lambda L: L.kron(L.ones(2, dtype=L.int64), L.ones(2)),
        lambda L: L.linalg.cross(L.ones(3, dtype=L.int64), L.ones(3, dtype=L.int64)),
        lambda L: L.tril(L.ones(2, 2, dtype=L.bool)),
        lambda L: L.addmm(*(L.ones(2, 2, dtype=L.int64),) * 3, alpha=2),
        lambda L: L.einsum("ij,jk", L.ones(2, 3, dtype=L.int64), L.ones(3, 2, dtype=L.int64)),
        lambda L: L.trace(L.ones(2, 3, dtype=L.int64)),
    ]
    for fn in cases:
        n, t = fn(ndgrad), fn(torch)
        assert tuple(n.shape) == tuple(t.shape) and str(n.dtype) == str(t.dtype)
        np.testing.assert_array_equal(n.numpy(), t.numpy())


def test_svd_legacy_compute_uv_false(torch):
    a = _rand(4, 3)
    n, t = (
        ndgrad.svd(ndgrad.tensor(a), compute_uv=False),
        torch.svd(torch.tensor(a), compute_uv=False),
    )
    for x, y in zip(n, t):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-12)


def test_values_without_grad_skip_vectors(torch):
    a = _sym(3)
    with ndgrad.no_grad():
        w = ndgrad.linalg.eigvalsh(ndgrad.tensor(a))
        s = ndgrad.linalg.svdvals(ndgrad.tensor(a))
    np.testing.assert_allclose(
        w.numpy(), torch.linalg.eigvalsh(torch.tensor(a)).numpy(), rtol=1e-12
    )
    np.testing.assert_allclose(s.numpy(), torch.linalg.svdvals(torch.tensor(a)).numpy(), rtol=1e-12)
    assert w.grad_fn is None and s.grad_fn is None


def test_svdvals_and_eigvalsh_gradients_at_repeated_values(torch):
    # only the values are used: the shortcut U diag(gS) Vh avoids 0/0 at repeated values
    for name in ("svdvals", "eigvalsh"):
        g = []
        for lib in (ndgrad, torch):
            x = lib.eye(3, dtype=lib.float64).requires_grad_()
            (
                getattr(lib.linalg, name)(x) * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
            ).sum().backward()
            g.append(x.grad.numpy())
        assert np.isfinite(g[0]).all()
        np.testing.assert_allclose(g[0], g[1], atol=1e-12)


def test_inplace_methods_record_torch_nodes(torch):
    names = []
    for lib in (ndgrad, torch):
        a = lib.tensor(_wc(3), requires_grad=True)
        m = lib.tensor(_rand(3, 2), requires_grad=True)
        out = []
        for op in (
            lambda x: x.tril_(),
            lambda x: x.triu_(1),
            lambda x, m=m: x.addmm_(m, m.t(), beta=0.5),
            lambda x, a=a: x[0].addmv_(a, a[1]),
            lambda x: x.diagonal().mul_(2),
        ):
            x = a.clone()
            y = op(x)
            out.append((type(x.grad_fn).__name__, type(y.grad_fn).__name__))
        names.append(out)
    assert names[0] == names[1]


def test_linear_records_addmm(torch):
    from ndgrad.nn import functional as F

    x, w, b = _rand(2, 3), _rand(4, 3), _rand(4)
    yn = F.linear(
        ndgrad.tensor(x), ndgrad.tensor(w, requires_grad=True), ndgrad.tensor(b, requires_grad=True)
    )
    yt = torch.nn.functional.linear(
        torch.tensor(x), torch.tensor(w), torch.tensor(b, requires_grad=True)
    )
    assert type(yn.grad_fn).__name__ == type(yt.grad_fn).__name__ == "AddmmBackward0"


def test_addmm_beta_zero_ignores_nan_input():
    out = ndgrad.addmm(
        ndgrad.full((2, 2), float("nan")), ndgrad.ones(2, 3), ndgrad.ones(3, 2), beta=0
    )
    assert (out == 3).all()


def test_namespace_and_methods(torch):
    for name in ndgrad.linalg.__all__:
        if name in ("vector_norm", "matrix_norm", "norm"):
            continue  # written in statistics.py, resolved lazily
        assert callable(getattr(ndgrad.linalg, name)) and hasattr(torch.linalg, name), name
    top = [
        "det",
        "logdet",
        "slogdet",
        "inverse",
        "pinverse",
        "cholesky",
        "qr",
        "svd",
        "diag",
        "diag_embed",
        "diagonal",
        "tril",
        "triu",
        "trace",
        "kron",
        "inner",
        "outer",
        "ger",
        "addmm",
        "addmv",
        "addbmm",
        "baddbmm",
        "cross",
        "vdot",
        "einsum",
        "tensordot",
        "matrix_power",
        "mm",
        "bmm",
        "mv",
        "dot",
        "matmul",
    ]
    assert [n for n in top if not hasattr(ndgrad, n)] == []
    methods = [n for n in top if hasattr(torch.Tensor, n)] + [
        "tril_",
        "triu_",
        "addmm_",
        "addmv_",
        "addbmm_",
        "baddbmm_",
    ]
    assert [n for n in methods if not hasattr(ndgrad.Tensor, n)] == []


def test_norms_resolve_lazily(torch):
    from ndgrad._ops import statistics

    a = _rand(3, 4)
    for name, impl in (
        ("vector_norm", "vector_norm"),
        ("matrix_norm", "matrix_norm"),
        ("norm", "linalg_norm"),
    ):
        if not hasattr(statistics, impl):
            with pytest.raises(AttributeError):
                getattr(ndgrad.linalg, name)
            continue
        got = getattr(ndgrad.linalg, name)(
            ndgrad.tensor(a), 1, (0, 1) if name != "vector_norm" else None
        )
        want = getattr(torch.linalg, name)(
            torch.tensor(a), 1, (0, 1) if name != "vector_norm" else None
        )
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


def test_float32_stays_float32(torch):
    a = _wc(3).astype(np.float32)
    for fn in (
        lambda L, x: L.linalg.inv(x),
        lambda L, x: L.linalg.det(x),
        lambda L, x: L.linalg.svd(x).S,
        lambda L, x: L.linalg.eigh(x + x.mT).eigenvalues,
        lambda L, x: L.linalg.pinv(x),
        lambda L, x: L.linalg.slogdet(x).logabsdet,
        lambda L, x: L.trace(x),
        lambda L, x: L.einsum("ij,jk", x, x),
    ):
        n, t = fn(ndgrad, ndgrad.tensor(a)), fn(torch, torch.tensor(a))
        assert str(n.dtype) == str(t.dtype) == "torch.float32"
        np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=1e-5, atol=1e-5)
