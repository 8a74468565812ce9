"""Reductions against PyTorch where the op table's random samples cannot go: ties, zeros, NaN,
dtype rules, overloads, named tuples, errors and second derivatives at non-generic points."""

import warnings

import numpy as np
import pytest

import ndgrad
import ndgrad.linalg
from ndgrad.autograd import gradcheck, gradgradcheck

INF = float("inf")
NAN = float("nan")


def _pair(torch, data, dtype="float64", requires_grad=True):
    a = np.asarray(data, dtype=dtype)
    nd = ndgrad.tensor(a, requires_grad=requires_grad)
    th = torch.tensor(a, requires_grad=requires_grad)
    return nd, th


def _method(name, *args, **kw):
    """t.name(*args, **kw) for an ndgrad or a torch tensor."""
    return lambda t: getattr(t, name)(*args, **kw)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _same(nd, th, check_grad_fn=True):
    """Values, dtype and grad_fn name of every output match."""
    nds = list(nd) if isinstance(nd, tuple) else [nd]
    ths = list(th) if isinstance(th, tuple) else [th]
    assert len(nds) == len(ths)
    for n, t in zip(nds, ths):
        assert str(n.dtype) == str(t.dtype)
        assert tuple(n.shape) == tuple(t.shape)
        np.testing.assert_allclose(_np(n), t.detach().numpy(), rtol=1e-12, atol=1e-12)
        if check_grad_fn:
            th_name = type(t.grad_fn).__name__ if t.grad_fn is not None else None
            nd_name = type(n.grad_fn).__name__ if n.grad_fn is not None else None
            assert nd_name == th_name


def _grads_match(torch, fn_nd, fn_th, data, check_grad_fn=True, seed=0):
    """fn's values and the gradient of a random projection of its first output match torch."""
    x, tx = _pair(torch, data)
    out, tout = fn_nd(x), fn_th(tx)
    _same(out, tout, check_grad_fn)
    o = out[0] if isinstance(out, tuple) else out
    to = tout[0] if isinstance(tout, tuple) else tout
    w = np.random.default_rng(seed).standard_normal(tuple(o.shape))
    (o * ndgrad.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    assert (x.grad is None) == (tx.grad is None)
    if tx.grad is not None:
        np.testing.assert_allclose(_np(x.grad), tx.grad.numpy(force=True), rtol=1e-10, atol=1e-12)
    return x, tx


def _double_backward_matches(torch, fn_nd, fn_th, data, seed=1):
    """Gradient-of-gradient (create_graph) matches torch's at the given point."""
    rng = np.random.default_rng(seed)
    x, tx = _pair(torch, data)
    out, tout = fn_nd(x), fn_th(tx)
    w = rng.standard_normal(tuple(out.shape))
    (g,) = ndgrad.autograd.grad((out * ndgrad.tensor(w)).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((tout * torch.tensor(w)).sum(), tx, create_graph=True)
    np.testing.assert_allclose(_np(g), tg.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert g.requires_grad == tg.requires_grad
    if not g.requires_grad:  # the gradient does not depend on x (a 1-element product)
        return
    v = rng.standard_normal(tuple(x.shape))
    (gg,) = ndgrad.autograd.grad((g * ndgrad.tensor(v)).sum(), x, allow_unused=True)
    (tgg,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), tx, allow_unused=True)
    assert (gg is None) == (tgg is None)
    if gg is not None:
        np.testing.assert_allclose(_np(gg), tgg.numpy(force=True), rtol=1e-10, atol=1e-12)


# *** dtype rules ***


@pytest.mark.parametrize(
    "name, data, dtype, kw",
    [
        ("sum", [True, True, False], "bool", {}),
        ("sum", [1, 2], "int32", {}),
        ("prod", [2, 3], "int32", {}),
        ("prod", [True, True], "bool", {}),
        ("prod", [2, 3], "int64", {"dim": 0}),
        ("cumsum", [1, 2], "int32", {"dim": 0}),
        ("cumsum", [True, True], "bool", {"dim": 0}),
        ("cumprod", [2, 3], "int16", {"dim": 0}),
        ("amax", [1, 5, 5], "int64", {}),
        ("all", [1, 2], "uint8", {}),
        ("any", [0, 2], "int64", {}),
        ("all", [0.0, 2.0], "float32", {"dim": 0}),
        ("count_nonzero", [0, 2, 3], "int32", {}),
        ("argmax", [1.0, 3.0], "float32", {}),
        ("logsumexp", [1, 2], "int64", {"dim": 0}),
        ("median", [1, 5, 3], "int64", {}),
    ],
)
def test_dtype_rules(torch, name, data, dtype, kw):
    a = np.asarray(data, dtype=dtype)
    _same(
        getattr(ndgrad, name)(ndgrad.tensor(a), **kw), getattr(torch, name)(torch.tensor(a), **kw)
    )


@pytest.mark.parametrize(
    "name, kw",
    [
        ("sum", {"dtype": "float64"}),
        ("prod", {"dim": 1, "dtype": "float64"}),
        ("mean", {"dtype": "float64"}),
        ("cumsum", {"dim": 0, "dtype": "float64"}),
    ],
)
def test_dtype_argument(torch, name, kw):
    a = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    x, tx = ndgrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    nkw = {k: getattr(ndgrad, v) if k == "dtype" else v for k, v in kw.items()}
    tkw = {k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()}
    y, ty = getattr(ndgrad, name)(x, **nkw), getattr(torch, name)(tx, **tkw)
    _same(y, ty)
    y.sum().backward()
    ty.sum().backward()
    assert x.grad.dtype == ndgrad.float32
    np.testing.assert_allclose(_np(x.grad), tx.grad.numpy(force=True), rtol=1e-6)


def test_int_inputs_raise_like_torch(torch):
    for fn in (
        lambda m, t: m.mean(t),
        lambda m, t: m.var(t),
        lambda m, t: m.std(t),
        lambda m, t: m.norm(t),
        lambda m, t: m.linalg.vector_norm(t),
    ):
        with pytest.raises(RuntimeError) as theirs:
            fn(torch, torch.tensor([1, 2]))
        with pytest.raises(RuntimeError) as ours:
            fn(ndgrad, ndgrad.tensor([1, 2]))
        assert str(ours.value) == str(theirs.value)


# *** ties share or select as torch does ***

TIES = [[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, 2.0, 2.0], [-1.0, 4.0, 0.0, 4.0]]


@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": (0, 1)}])
def test_amax_amin_ties_split_evenly(torch, op, kw):
    _grads_match(torch, lambda t: getattr(t, op)(**kw), lambda t: getattr(t, op)(**kw), TIES)


@pytest.mark.parametrize("op", ["max", "min", "median"])
def test_whole_tensor_ties_split_evenly(torch, op):
    _grads_match(torch, lambda t: getattr(t, op)(), lambda t: getattr(t, op)(), TIES)


@pytest.mark.parametrize("op", ["max", "min", "median", "mode"])
@pytest.mark.parametrize("dim, keepdim", [(1, False), (0, True), (-1, True)])
def test_dim_selection_ties_pick_torchs_index(torch, op, dim, keepdim):
    _grads_match(
        torch, lambda t: getattr(t, op)(dim, keepdim), lambda t: getattr(t, op)(dim, keepdim), TIES
    )


def test_median_and_mode_tie_rules_on_random_small_ints(torch):
    rng = np.random.default_rng(3)
    for _ in range(50):
        a = rng.integers(0, 3, size=(3, int(rng.integers(1, 8)))).astype(float)
        for op in ("median", "mode"):
            _same(getattr(ndgrad.tensor(a), op)(1), getattr(torch.tensor(a), op)(1))
        _same(ndgrad.tensor(a).median(), torch.tensor(a).median())


@pytest.mark.parametrize(
    "kw",
    [{}, {"descending": True}, {"stable": True}, {"dim": 0, "descending": True, "stable": True}],
)
def test_sort_ties_keep_input_order(torch, kw):
    data = [[2.0, 1.0, 2.0, 1.0], [0.0, 0.0, 3.0, -1.0], [5.0, 5.0, 5.0, 5.0]]
    _grads_match(torch, lambda t: t.sort(**kw), lambda t: t.sort(**kw), data)
    _same(ndgrad.tensor(data).argsort(**kw), torch.tensor(data).argsort(**kw))


def test_cummax_cummin_ties_and_nan(torch):
    for data in ([1.0, 3.0, 3.0, 2.0, 5.0, 5.0], [3.0, 1.0, 1.0, 2.0, 0.0, 0.0], [2.0, 2.0, 2.0]):
        for op in ("cummax", "cummin"):
            f = _method(op, 0)
            _grads_match(torch, f, f, data)
    nan = [1.0, NAN, 3.0, NAN, 0.0]
    for op in ("cummax", "cummin"):
        _same(getattr(ndgrad.tensor(nan), op)(0), getattr(torch.tensor(nan), op)(0))


def test_topk_kthvalue_distinct_values(torch):
    data = np.random.default_rng(5).permutation(12).reshape(3, 4).astype(float)
    for kw in ({"k": 2}, {"k": 3, "dim": 0, "largest": False}, {"k": 4, "sorted": True}):
        f = _method("topk", **kw)
        _grads_match(torch, f, f, data)
    for kw in ({"k": 1}, {"k": 3, "dim": 0, "keepdim": True}):
        f = _method("kthvalue", **kw)
        _grads_match(torch, f, f, data)


# *** NaN ***


def test_nan_propagation_and_indices(torch):
    data = [[1.0, NAN, 3.0, NAN], [2.0, 0.0, -1.0, 4.0]]
    for f in (
        lambda m: m.max(1),
        lambda m: m.min(1),
        lambda m: m.median(1),
        lambda m: m.argmax(1),
        lambda m: m.sort(1),
        lambda m: m.sort(1, descending=True),
        lambda m: m.topk(2),
        lambda m: m.kthvalue(4),
        lambda m: m.amax(1),
        lambda m: m.max(),
        lambda m: m.median(),
        lambda m: m.logsumexp(1),
    ):
        _same(f(ndgrad.tensor(data)), f(torch.tensor(data)), check_grad_fn=False)


# *** products with zeros ***

PROD_ZEROS = [
    [[1.5, 0.0, 2.0, -1.0]],
    [[0.0, 3.0, 0.0, 2.0]],
    [[0.0, 0.0, 0.0, 0.0]],
    [[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]],
    [[0.0]],
]


@pytest.mark.parametrize("data", PROD_ZEROS)
@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}])
def test_prod_with_zeros(torch, data, kw):
    _grads_match(torch, lambda t: t.prod(**kw), lambda t: t.prod(**kw), data)
    _double_backward_matches(torch, lambda t: t.prod(**kw), lambda t: t.prod(**kw), data)


@pytest.mark.parametrize("data", PROD_ZEROS + [[[2.0, 0.0, 3.0, 0.0, 4.0, -1.0]]])
@pytest.mark.parametrize("dim", [1, 0])
def test_cumprod_with_zeros(torch, data, dim):
    _grads_match(torch, lambda t: t.cumprod(dim), lambda t: t.cumprod(dim), data)
    _double_backward_matches(torch, lambda t: t.cumprod(dim), lambda t: t.cumprod(dim), data)


def test_prod_cumprod_zeros_pass_finite_differences():
    # both are polynomials, so finite differences hold at zeros too, to second order
    x = ndgrad.tensor([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], dtype=ndgrad.float64, requires_grad=True)
    for f in (
        lambda t: t.prod(),
        lambda t: t.prod(1),
        lambda t: t.cumprod(1),
        lambda t: t.cumprod(0),
    ):
        assert gradcheck(f, (x,))
        assert gradgradcheck(f, (x,))


# *** var / std ***


@pytest.mark.parametrize(
    "args, kw",
    [
        ((), {}),
        ((1,), {}),
        ((False,), {}),
        ((1, False), {}),
        ((1, True, True), {}),
        ((), {"dim": (0, 1), "correction": 0}),
        ((), {"dim": 0, "correction": 2, "keepdim": True}),
        ((), {"unbiased": False}),
        ((), {"dim": 1, "correction": 0.5}),
    ],
)
@pytest.mark.parametrize("op", ["var", "std", "var_mean", "std_mean"])
def test_var_std_overloads(torch, op, args, kw):
    data = np.random.default_rng(2).standard_normal((3, 4))
    _grads_match(
        torch,
        lambda t: getattr(ndgrad, op)(t, *args, **kw),
        lambda t: getattr(torch, op)(t, *args, **kw),
        data,
    )


def test_var_both_unbiased_and_correction_is_a_type_error(torch):
    with pytest.raises(TypeError):
        torch.ones(2, 3).var(1, unbiased=False, correction=0)
    with pytest.raises(TypeError):
        ndgrad.ones(2, 3).var(1, unbiased=False, correction=0)


@pytest.mark.parametrize(
    "data, kw",
    [
        ([1.0], {}),
        ([1.0, 2.0], {"correction": 2}),
        ([[1.0, 2.0], [3.0, 3.0]], {"dim": 1, "correction": 2}),
        ([[1.0, 2.0], [3.0, 3.0]], {"dim": 1, "correction": 3}),
    ],
)
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_without_degrees_of_freedom(torch, op, data, kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x, tx = _pair(torch, data)
        y, ty = getattr(x, op)(**kw), getattr(tx, op)(**kw)
    assert any("degrees of freedom is <= 0" in str(w.message) for w in caught)
    _same(y, ty)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(_np(x.grad), tx.grad.numpy(force=True))


def test_std_of_constant_has_zero_gradient(torch):
    _grads_match(torch, lambda t: t.std(1), lambda t: t.std(1), [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])


def test_var_std_double_backward(torch):
    data = np.random.default_rng(4).standard_normal((2, 5))
    for f in (lambda t: t.var(1), lambda t: t.std(), lambda t: t.std(0, correction=0)):
        _double_backward_matches(torch, f, f, data)


# *** norms ***

ORDS = [2, 1, 0, INF, -INF, 3, 0.5, -1, 1.5]


@pytest.mark.parametrize("ord", ORDS)
@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": (0, 1), "keepdim": True}])
def test_vector_norm(torch, ord, kw):
    data = [[1.0, -2.0, 0.5], [3.0, -0.25, 2.0]]
    f = lambda m: lambda t: m.linalg.vector_norm(t, ord, **kw)
    _grads_match(torch, f(ndgrad), f(torch), data)
    if ord != 0:
        _double_backward_matches(torch, f(ndgrad), f(torch), data)


@pytest.mark.parametrize("ord", [2, 1, INF, 3])
def test_vector_norm_at_zero_and_ties(torch, ord):
    for data in ([0.0, 0.0, 0.0], [2.0, -2.0, 1.0], [[0.0, 0.0], [1.0, -1.0]]):
        _grads_match(
            torch,
            lambda t: ndgrad.linalg.vector_norm(t, ord),
            lambda t: torch.linalg.vector_norm(t, ord),
            data,
        )


def test_norm_zero_order_has_no_gradient(torch):
    x, tx = _pair(torch, [1.0, 0.0, 2.0])
    ndgrad.linalg.vector_norm(x, 0).backward()
    torch.linalg.vector_norm(tx, 0).backward()
    assert x.grad is None and tx.grad is None


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, INF, -INF])
@pytest.mark.parametrize(
    "kw", [{}, {"keepdim": True}, {"dim": (2, 0)}, {"dim": (0, -1), "keepdim": True}]
)
def test_matrix_norm(torch, ord, kw):
    data = np.random.default_rng(6).standard_normal((3, 2, 4))
    f = lambda m: lambda t: m.linalg.matrix_norm(t, ord, **kw)
    _grads_match(torch, f(ndgrad), f(torch), data)


@pytest.mark.parametrize(
    "args, kw",
    [
        ((), {}),
        ((1,), {}),
        ((INF, 1), {}),
        (("fro",), {"dim": 0}),
        (("nuc",), {}),
        ((3,), {"dim": (0, 1), "keepdim": True}),
        ((2,), {"dim": 1}),
        ((), {"p": 0.5, "dim": -1}),
    ],
)
def test_torch_norm(torch, args, kw):
    data = np.random.default_rng(7).standard_normal((3, 4))
    _grads_match(torch, lambda t: t.norm(*args, **kw), lambda t: t.norm(*args, **kw), data)
    _same(
        ndgrad.norm(ndgrad.tensor(data), *args, **kw), torch.norm(torch.tensor(data), *args, **kw)
    )


@pytest.mark.parametrize(
    "args, kw",
    [
        ((), {}),
        ((2,), {}),
        ((-INF,), {}),
        (("fro",), {}),
        ((1,), {"dim": 0}),
        ((None, (0, 1)), {"keepdim": True}),
    ],
)
def test_linalg_norm(torch, args, kw):
    data = np.random.default_rng(8).standard_normal((3, 4))
    _grads_match(
        torch,
        lambda t: ndgrad.linalg.norm(t, *args, **kw),
        lambda t: torch.linalg.norm(t, *args, **kw),
        data,
    )


def test_norm_dtype_argument(torch):
    x, tx = _pair(torch, [[3.0, 4.0]], dtype="float32")
    _same(
        ndgrad.linalg.vector_norm(x, dtype=ndgrad.float64),
        torch.linalg.vector_norm(tx, dtype=torch.float64),
    )
    _same(x.norm(dtype=ndgrad.float64), tx.norm(dtype=torch.float64))


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.linalg.vector_norm(m.ones(2, dtype=m.float64), dtype=m.float32),
        lambda m: m.linalg.vector_norm(m.zeros(0), INF),
        lambda m: m.linalg.matrix_norm(m.ones(3)),
        lambda m: m.linalg.matrix_norm(m.ones(2, 3), 3),
        lambda m: m.linalg.matrix_norm(m.ones(2, 3), "foo"),
        lambda m: m.linalg.matrix_norm(m.ones(2, 3), dim=(0, 0)),
        lambda m: m.linalg.matrix_norm(m.ones(2, 3), dim=(0, 1, 2)),
        lambda m: m.linalg.norm(m.ones(2, 3, 4), 1),
        lambda m: m.norm(m.ones(2, 2, 2), "fro", dim=(0, 1, 2)),
    ],
)
def test_norm_errors_match_torch(torch, call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(theirs.type) as ours:
        call(ndgrad)
    assert str(ours.value) == str(theirs.value)


def test_linalg_namespace_exports_norms():
    from ndgrad._ops import statistics

    assert ndgrad.linalg.vector_norm is statistics.vector_norm
    assert ndgrad.linalg.matrix_norm is statistics.matrix_norm
    assert not hasattr(ndgrad, "vector_norm") and not hasattr(ndgrad.Tensor, "matrix_norm")


def test_linalg_namespace_norm_is_linalg_norm():
    from ndgrad._ops.statistics import linalg_norm

    assert ndgrad.linalg.norm is linalg_norm


# *** logsumexp, cumsum ***


@pytest.mark.parametrize(
    "data", [[[0.0, 1.0, -2.0], [1e3, 1e3, -1e3]], [[-INF, -INF, 1.0], [INF, 0.0, 1.0]]]
)
def test_logsumexp_extremes(torch, data):
    x, tx = _pair(torch, data)
    _same(x.logsumexp(1), tx.logsumexp(1))
    _same(x.logsumexp((0, 1), keepdim=True), tx.logsumexp((0, 1), keepdim=True))


def test_cumsum_cumprod_double_backward(torch):
    data = np.random.default_rng(9).uniform(0.5, 2, (3, 4))
    for f in (
        lambda t: t.cumsum(1),
        lambda t: t.cumprod(0),
        lambda t: t.logsumexp(1),
        lambda t: t.prod(1),
        lambda t: t.amax(0),
        lambda t: t.sort(1)[0],
        lambda t: t.max(1)[0],
    ):
        _double_backward_matches(torch, f, f, data)


# *** named tuples, overloads, errors ***


@pytest.mark.parametrize(
    "name, args",
    [
        ("max", (1,)),
        ("min", (0, True)),
        ("median", (1,)),
        ("mode", ()),
        ("sort", ()),
        ("topk", (2,)),
        ("kthvalue", (2,)),
        ("cummax", (1,)),
        ("cummin", (0,)),
    ],
)
def test_return_types(torch, name, args):
    data = [[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]
    ours, theirs = (
        getattr(ndgrad.tensor(data), name)(*args),
        getattr(torch.tensor(data), name)(*args),
    )
    assert type(ours).__name__ == type(theirs).__name__ == name
    assert isinstance(ours, tuple) and len(ours) == 2
    values, indices = ours
    assert values is ours.values is ours[0] and indices is ours.indices is ours[1]
    _same(ours, theirs)
    assert repr(ours).startswith(f"torch.return_types.{name}(\nvalues=tensor(")
    assert repr(ours).replace("ndgrad", "torch") == repr(theirs)


def test_max_min_overloads(torch):
    data = [[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]
    for f in (
        lambda m, t: m.max(t),
        lambda m, t: m.max(t, 1),
        lambda m, t: m.max(t, dim=0, keepdim=True),
        lambda m, t: t.min(-1),
        lambda m, t: m.min(t, 1, True),
        lambda m, t: t.max(),
    ):
        _same(f(ndgrad, ndgrad.tensor(data)), f(torch, torch.tensor(data)))


def test_binary_max_min_are_maximum_minimum(torch):
    if "maximum" not in ndgrad._ops.PUBLIC:
        pytest.skip("pointwise maximum / minimum not registered yet")
    a, ta = _pair(torch, [[1.0, 5.0, 3.0]])
    b, tb = _pair(torch, [[4.0], [2.0]])
    _same(ndgrad.max(a, b), torch.max(ta, tb))
    _same(a.min(b), ta.min(tb))
    _same(ndgrad.max(a, other=b), torch.max(ta, other=tb))


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.zeros(0).max(),
        lambda m: m.zeros(0).amax(),
        lambda m: m.zeros(2, 0).amax(1),
        lambda m: m.zeros(2, 0).max(1),
        lambda m: m.zeros(0).argmax(),
        lambda m: m.zeros(2, 0).argmin(1),
        lambda m: m.zeros(0).median(0),
        lambda m: m.zeros(0).mode(),
        lambda m: m.ones(2).topk(3),
        lambda m: m.ones(2).kthvalue(3),
        lambda m: m.ones(2, 3).sum(2),
        lambda m: m.ones(2).max(1),
        lambda m: m.ones(2, 3).prod((0, 1)),
        lambda m: m.tensor([True, False]).topk(1),
        lambda m: m.tensor([True, False]).median(),
        lambda m: m.tensor([True, False]).median(0),
        lambda m: m.tensor([True, False]).kthvalue(1),
        lambda m: m.tensor([True, False]).argmax(),
    ],
)
def test_errors_match_torch(torch, call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(theirs.type) as ours:
        call(ndgrad)
    if theirs.type is not TypeError:
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.zeros(0).median(),
        lambda m: m.zeros(2, 0).amax(0),
        lambda m: m.zeros(0).sort(),
        lambda m: m.zeros(0).cummax(0),
        lambda m: m.zeros(2, 0).prod(1),
        lambda m: m.zeros(0).logsumexp(0),
        lambda m: m.tensor(2.0).max(0),
        lambda m: m.tensor(2.0).sort(),
        lambda m: m.tensor(2.0).topk(1),
        lambda m: m.tensor(2.0).argmax(0),
        lambda m: m.tensor(2.0).cumsum(0),
        lambda m: m.tensor(2.0).prod(0),
        lambda m: m.ones(2, 3).argmax(keepdim=True),
        lambda m: m.ones(2, 3).amax(keepdim=True),
        lambda m: m.arange(6.0).topk(0),
    ],
)
def test_edge_shapes_match_torch(torch, call):
    _same(call(ndgrad), call(torch))


def test_logical_reductions(torch):
    data = [[True, False, True], [True, True, True]]
    for f in (
        lambda m, t: t.all(),
        lambda m, t: t.any(1),
        lambda m, t: t.all(dim=(0, 1)),
        lambda m, t: m.count_nonzero(t, (0, 1)),
        lambda m, t: m.count_nonzero(t, dim=1),
        lambda m, t: t.any(0, keepdim=True),
    ):
        _same(f(ndgrad, ndgrad.tensor(data)), f(torch, torch.tensor(data)))
