"""torch.func.vmap: parity with torch (values, errors, randomness, transforms, ensembles), every
op of the table against a per-sample loop, the ops that fall back to that loop, the speed bar."""
import time
import warnings

import numpy as np
import pytest
from op_db import SAMPLES

import ndgrad
from ndgrad.func import (grad, vmap)
from ndgrad.func import _batched

# *** the ops that run once per sample (as torch's fallback, with its performance warning) ***
# Seen over the op-table sweeps below (every sample, all inputs batched / only the first one).
# Adding a batching rule shrinks these sets; an op added without one grows them: update here.
NN_FALLBACKS = {"_embedding_bag", "_pdist_forward", "affine_grid_generator", "conv_tbc",
                "fractional_max_pool2d", "fractional_max_pool2d_backward",
                "fractional_max_pool3d", "fractional_max_pool3d_backward", "multi_margin_loss",
                "multilabel_margin_loss", "rrelu_with_noise", "rrelu_with_noise_"}
FORWARD_FALLBACKS = {
    "_ctc_loss", "_ctc_loss_backward", "_prelu_kernel",  # no rule yet
    "scatter_legacy_reduce",  # scatter(reduce=...), deprecated in torch: no rule
    "as_strided_view", "copy_slices",  # replays of in-place writes through views
    "embedding", "embedding_dense_backward",  # per-sample tables with a padding_idx
    "index_add", "index_copy", "index_fill", "index_fill_tensor",  # per-sample index vectors
    "masked_scatter",  # data-dependent layout
    "native_batch_norm",  # running statistics are updated in place
    "nll_loss", "nll_loss2d", "nll_loss_backward",  # per-sample class weights; 2-d targets
    # composites that compute on NumPy arrays (run per sample by their registered name)
    "cosine_similarity", "matrix_norm", "nn.functional.gaussian_nll_loss",
    # linear algebra with a lower-rank companion (tau, pivots) or a vector right-hand side
    "linalg_householder_product", "ormqr", "linalg_lu_solve", "linalg_ldl_solve", "linalg_lstsq",
    "block_diag", "put",  # per-sample block layouts; per-sample flat indices
    "bincount", "histc", "quantile", "nanquantile",  # bins and ranks from each sample's values
    # nn ops of issue 11 without a rule yet: per-sample random draws or sizes in their attributes
    # (fractional pooling, rrelu's noise, affine grids), ragged bags, (T, B, C) layouts, pairs
    *NN_FALLBACKS,
}
# VJPs that read values (ties, index recomputation) run per sample in a batched backward;
# pointwise and pooling VJPs that read values run on the physical tensors instead.
BACKWARD_FALLBACKS = {f"{n} (backward)" for n in (
    "amax", "amin", "max", "min", "max_dim", "min_dim", "median", "median_dim", "mode",
    "kthvalue", "sort", "topk", "cummax", "cummin", "cumprod", "prod", "std", "std_mean",
    "linalg_vector_norm", "linalg_det", "scatter_reduce", "take", "embedding_dense_backward",
    "index_fill_tensor", "aminmax", "nanmedian", "nanmedian_dim", "dist", "renorm", "put")} | {
    "vmap(loss)",  # cosine_similarity, gaussian_nll_loss: the whole vmapped function loops
    "_prelu_kernel", "as_strided_view", "copy_slices", "embedding", "embedding_dense_backward",
    "index_add", "index_copy", "index_fill", "index_fill_tensor", "native_batch_norm",
    "nll_loss", "nll_loss2d", "nll_loss_backward", "block_diag", "put", *NN_FALLBACKS,
    "linalg_householder_product", "ormqr", "linalg_lu_solve", "linalg_lstsq",
    "linalg_lu (backward)", "linalg_lu_factor_ex (backward)",  # the pivots are read as values
    "linalg_eig (backward)"} | {  # the phase check reads the values
    f"{n} (backward)" for n in ("_embedding_bag", "fractional_max_pool2d",
                                "fractional_max_pool2d_backward", "fractional_max_pool3d",
                                "fractional_max_pool3d_backward", "multi_margin_loss",
                                "multilabel_margin_loss")}
# torch refuses these under vmap, so do we
DYNAMIC = {"masked_select", "nonzero", "unique", "unique_consecutive"}
B = 3


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def assert_tree_close(a, b, rtol=1e-5, atol=1e-6):
    if isinstance(a, dict):
        assert set(a) == set(b)
        for k in a:
            assert_tree_close(a[k], b[k], rtol, atol)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_tree_close(x, y, rtol, atol)
    else:
        x, y = _np(a), _np(b)
        assert x.shape == y.shape and x.dtype == y.dtype, (x.shape, y.shape, x.dtype, y.dtype)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)


def both(torch, fn, *arrays, **kw):
    """fn(lib, vmap_of_lib, *tensors) in ndgrad and in torch."""
    ours = fn(ndgrad, vmap, *[ndgrad.tensor(a) for a in arrays], **kw)
    theirs = fn(torch, torch.func.vmap, *[torch.tensor(a) for a in arrays], **kw)
    return ours, theirs


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(4, 3, 5)).astype(np.float32)


# *** in_dims / out_dims / pytrees / nesting / chunks, against torch ***

CASES = {
    "sum": lambda L, V, a: V(lambda t: t.sum(-1))(a),
    "in_dims=1": lambda L, V, a: V(lambda t: t * 2 + t.sum(), in_dims=1)(a),
    "negative dims": lambda L, V, a: V(lambda t: t.t(), in_dims=-1, out_dims=-1)(a),
    "tuple out_dims": lambda L, V, a: V(lambda t: (t, t.sum(0)), out_dims=(1, 0))(a),
    "None in_dim": lambda L, V, a: V(lambda t, u: t @ u.t(), in_dims=(0, None))(a, a[0]),
    "non-tensor arg": lambda L, V, a: V(lambda t, k: t * k, in_dims=(0, None))(a, 3),
    "kwargs": lambda L, V, a: V(lambda t, scale=1.0: t * scale)(a, scale=2.0),
    "dict in_dims": lambda L, V, a: V(lambda d: d["p"] * d["q"], in_dims=({"p": 0, "q": None},))(
        {"p": a, "q": a[0]}),
    "list arg": lambda L, V, a: V(lambda xs: xs[0] + xs[1], in_dims=([0, 1],))(
        [a, a.transpose(0, 1)]),
    "nested out": lambda L, V, a: V(lambda t: (t, {"k": [t * 2]}), out_dims=(0, {"k": [1]}))(a),
    "unbatched out": lambda L, V, a: V(lambda t: L.ones(2))(a),
    "nested vmap": lambda L, V, a: V(V(lambda t, u: (t * u).sum(-1), in_dims=(0, None)),
                                     in_dims=(1, None))(a, a[0, 0]),
    "chunk_size": lambda L, V, a: V(lambda t: t @ t.t(), chunk_size=3)(a),
    "matmul family": lambda L, V, a: V(lambda t: (t @ t.t(), t[0] @ t[1], t.mv(t[0]), t.mm(t.t()),
                                                  L.bmm(t[None], t.t()[None])))(a),
    "indexing": lambda L, V, a: V(lambda t: (t[1], t[:, 1:3], t[..., None], t[[0, 2]],
                                             t[[0, 1], [1, 2]], t[:, [0, 0]]))(a),
    "shapes": lambda L, V, a: V(lambda t: (
        t.reshape(-1), t.view(5, 3), t.permute(1, 0), t.unsqueeze(0).expand(2, 3, 5), t.flip(0),
        t.repeat(2, 1), L.cat([t, t], 1), L.stack([t, t], -1), t.split(2, 1)))(a),
    "reductions": lambda L, V, a: V(lambda t: (t.mean(), t.amax(0), t.var(1), t.logsumexp(-1),
                                               t.max(1).values, t.argmax(), t.sort(-1)[0],
                                               t.cumsum(0), t.norm(), t.softmax(0)))(a),
    "nn": lambda L, V, a: V(lambda t: (L.nn.functional.layer_norm(t, (5,)),
                                       L.nn.functional.gelu(t), L.nn.functional.pad(t, (1, 2)),
                                       L.nn.functional.mse_loss(t, t.flip(0)),
                                       L.nn.functional.cross_entropy(t, L.tensor([0, 4, 2]))))(a),
    "inplace": lambda L, V, a: V(_inplace)(a),
    "inplace on input": lambda L, V, a: V(lambda t: t.add_(1).mul_(2))(a.clone()),
}


def _inplace(t):
    y = t.clone()
    y.add_(1)
    y.mul_(t)
    y[0] = 3.0
    y[1, [0, 2]] = t[2, :2]
    return y.relu_()


@pytest.mark.parametrize("case", CASES)
def test_matches_torch(torch, x, case):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no per-sample fallback on these paths
        ours, theirs = both(torch, CASES[case], x)
    assert_tree_close(ours, theirs)


def test_inplace_writes_the_input(torch, x):
    a, b = ndgrad.tensor(x), torch.tensor(x)
    vmap(lambda t: t.mul_(2), in_dims=1)(a)
    torch.func.vmap(lambda t: t.mul_(2), in_dims=1)(b)
    assert_tree_close(a, b)


# *** transforms inside and around vmap ***

def _g(t):
    return (t.sin() * t).sum(-1)


TRANSFORMS = {
    "vmap(grad)": lambda f, V, a: V(f.grad(lambda r: (r.sin() ** 2).sum()))(a[:, 0]),
    "vmap(jacrev)": lambda f, V, a: V(f.jacrev(_g))(a),
    "vmap(jacfwd)": lambda f, V, a: V(f.jacfwd(_g))(a),
    "vmap(hessian)": lambda f, V, a: V(f.hessian(lambda r: (r.sin() * r).sum()))(a[:, 0]),
    "vmap(jvp)": lambda f, V, a: V(lambda p, t: f.jvp(_g, (p,), (t,)))(a, a * 2),
    "vmap(vjp)": lambda f, V, a: V(lambda p, c: f.vjp(_g, p)[1](c))(a, a[:, :, 0]),
    "jacrev(vmap)": lambda f, V, a: f.jacrev(V(_g))(a[:, 0]),
    "grad(vmap)": lambda f, V, a: f.grad(lambda p: V(_g)(p).sum())(a),
    "grad(vmap(grad))": lambda f, V, a: f.grad(lambda p: V(f.grad(
        lambda r: (r.sin() ** 2).sum()))(p).sum())(a[:, 0]),
    "vmap(vmap(grad))": lambda f, V, a: V(V(f.grad(lambda r: (r * r.cos()).sum())))(a),
}


@pytest.mark.parametrize("case", TRANSFORMS)
def test_transforms_match_torch(torch, x, case):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        ours = TRANSFORMS[case](ndgrad.func, vmap, ndgrad.tensor(x))
    theirs = TRANSFORMS[case](torch.func, torch.func.vmap, torch.tensor(x))
    assert_tree_close(ours, theirs, rtol=1e-4, atol=1e-5)
    assert not any(t.requires_grad for t in (ours if isinstance(ours, tuple) else (ours,)))


def test_backward_after_vmap_matches_torch(torch, x):
    a, b = ndgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    vmap(_g, in_dims=1)(a).pow(2).sum().backward()
    torch.func.vmap(_g, in_dims=1)(b).pow(2).sum().backward()
    assert_tree_close(a.grad, b.grad)


def _mlp_loss(lib):
    def loss(params, x, y):
        w1, b1, w2, b2, w3, b3 = params
        h = lib.tanh(lib.nn.functional.linear(x, w1, b1))
        h = lib.tanh(lib.nn.functional.linear(h, w2, b2))
        return lib.nn.functional.mse_loss(lib.nn.functional.linear(h, w3, b3), y)

    return loss


def _mlp_data(n=64):
    rng = np.random.default_rng(1)
    shapes = [(32, 10), (32,), (32, 32), (32,), (1, 32), (1,)]
    params = [rng.normal(0, 0.3, s).astype(np.float32) for s in shapes]
    return params, rng.normal(size=(n, 10)).astype(np.float32), rng.normal(size=(n, 1)).astype(
        np.float32)


def test_per_sample_gradients_match_torch(torch):
    params, xs, ys = _mlp_data(16)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        ours = vmap(grad(_mlp_loss(ndgrad)), in_dims=(None, 0, 0))(
            tuple(ndgrad.tensor(p) for p in params), ndgrad.tensor(xs), ndgrad.tensor(ys))
    theirs = torch.func.vmap(torch.func.grad(_mlp_loss(torch)), in_dims=(None, 0, 0))(
        tuple(torch.tensor(p) for p in params), torch.tensor(xs), torch.tensor(ys))
    assert_tree_close(ours, theirs)


def _twin_models(torch, make):
    torch.manual_seed(0)
    theirs = [make(torch.nn) for _ in range(3)]
    ours = [make(ndgrad.nn) for _ in range(3)]
    for m, t in zip(ours, theirs):
        for (_, p), (_, q) in zip(m.named_parameters(), t.named_parameters()):
            p.data = ndgrad.tensor(q.detach().numpy())
    return ours, theirs


def test_ensemble_with_stack_module_state_matches_torch(torch):
    ours, theirs = _twin_models(torch, lambda nn: nn.Sequential(nn.Linear(5, 8), nn.Tanh(),
                                                                nn.Linear(8, 2)))
    xs = np.random.default_rng(2).normal(size=(6, 5)).astype(np.float32)
    res = []
    for lib, models, f in ((ndgrad, ours, ndgrad.func), (torch, theirs, torch.func)):
        params, buffers = f.stack_module_state(models)

        def run(p, b, a, m=models[0], f=f):
            return f.functional_call(m, (p, b), (a,))

        res.append((f.vmap(run, in_dims=(0, 0, None))(params, buffers, lib.tensor(xs)),
                    f.vmap(run)(params, buffers, lib.tensor(xs[:3]))))
    assert_tree_close(*res)


def test_cnn_per_sample_gradients_match_torch(torch):
    ours, theirs = _twin_models(torch, lambda nn: nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(3, 4, 3),
        nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)))
    rng = np.random.default_rng(3)
    xs, ys = rng.normal(size=(5, 1, 8, 8)).astype(np.float32), rng.integers(0, 3, 5)
    res = []
    for lib, model, f in ((ndgrad, ours[0], ndgrad.func), (torch, theirs[0], torch.func)):
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, a, y, model=model, lib=lib, f=f):
            return lib.nn.functional.cross_entropy(f.functional_call(model, p, (a[None],)), y[None])

        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            res.append(f.vmap(f.grad(loss), in_dims=(None, 0, 0))(params, lib.tensor(xs),
                                                                  lib.tensor(ys)))
    assert_tree_close(*res, rtol=1e-4, atol=1e-6)


def test_fallback_inside_a_transform_loops_the_whole_function(torch, x):
    # cosine_similarity computes on NumPy arrays: under vmap(grad) the function runs per sample
    def f(lib, V, a):
        fn = lambda r: lib.nn.functional.cosine_similarity(r, r.flip(0), dim=0).sum()  # noqa: E731
        return V(lib.func.grad(fn) if lib is torch else grad(fn))(a)

    with pytest.warns(UserWarning, match="runs once per sample"):
        ours = f(ndgrad, vmap, ndgrad.tensor(x))
    assert_tree_close(ours, f(torch, torch.func.vmap, torch.tensor(x)), rtol=1e-4, atol=1e-5)


# *** randomness ***

RANDOM = {
    "rand_like": lambda L, t: L.rand_like(t),
    "randn_like": lambda L, t: L.randn_like(t),
    "rand": lambda L, t: L.rand(5) + t,
    "dropout": lambda L, t: L.nn.functional.dropout(t + 1, 0.5),
    "torch.dropout": lambda L, t: L.dropout(t + 1, 0.5, True),
    "normal_": lambda L, t: t.clone().normal_(),
    "uniform_": lambda L, t: t.clone().uniform_(-1, 1),
    "bernoulli": lambda L, t: L.bernoulli(t * 0 + 0.5),
}


@pytest.mark.parametrize("mode", ["error", "same", "different"])
@pytest.mark.parametrize("op", RANDOM)
def test_randomness_matches_torch(torch, op, mode):
    a = np.zeros((3, 5), np.float32)
    results = []
    for lib, V in ((ndgrad, vmap), (torch, torch.func.vmap)):
        lib.manual_seed(0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results.append(V(lambda t, lib=lib: RANDOM[op](lib, t), randomness=mode)(
                    lib.tensor(a)))
        except RuntimeError as e:
            results.append(str(e))
    ours, theirs = results
    if isinstance(theirs, str):
        assert ours == theirs
        return
    assert_tree_close(ours, theirs)  # ndgrad's generator streams are torch's
    distinct = len({r.tobytes() for r in ours.numpy()})
    assert distinct == 1 if mode == "same" else distinct > 1


def test_randomness_same_with_chunks_replays_the_generator(torch):
    res = []
    for lib, V in ((ndgrad, vmap), (torch, torch.func.vmap)):
        lib.manual_seed(0)
        res.append(V(lambda t, lib=lib: t + lib.randn(2), randomness="same", chunk_size=2)(
            lib.zeros(5, 2)))
    assert_tree_close(*res)


# *** errors, with torch's messages ***

ERRORS = {
    "batch sizes": lambda L, V, a: V(lambda p, q: p + q)(a, a[:2]),
    "in_dim too big": lambda L, V, a: V(lambda p: p, in_dims=3)(a),
    "in_dims list": lambda L, V, a: V(lambda p: p, in_dims=[0])(a),
    "in_dims float": lambda L, V, a: V(lambda p: p, in_dims=1.0)(a),
    "in_dims structure": lambda L, V, a: V(lambda p, q: p, in_dims=(0,))(a, a),
    "in_dims dict": lambda L, V, a: V(lambda d: d["p"], in_dims=({"p": 0},))({"p": a, "q": a}),
    "non-tensor in_dim": lambda L, V, a: V(lambda p, q: p, in_dims=(0, 0))(a, 3),
    "no inputs": lambda L, V, a: V(lambda: a)(),
    "nothing to map": lambda L, V, a: V(lambda p: p, in_dims=(None,))(a),
    "non-tensor out": lambda L, V, a: V(lambda p: 3)(a),
    "batched out_dim None": lambda L, V, a: V(lambda p: p, out_dims=None)(a),
    "out_dims structure": lambda L, V, a: V(lambda p: (p, p), out_dims=(0, 0, 0))(a),
    "out_dims float": lambda L, V, a: V(lambda p: p, out_dims=1.5)(a),
    "randomness": lambda L, V, a: V(lambda p: p, randomness="sometimes")(a),
    "chunk_size": lambda L, V, a: V(lambda p: p, chunk_size=0)(a),
    "item": lambda L, V, a: V(lambda p: p.sum().item())(a),
    "control flow": lambda L, V, a: V(lambda p: p if p.sum() > 0 else -p)(a),
    "tolist": lambda L, V, a: V(lambda p: L.tensor(p.tolist()))(a),
    "backward": lambda L, V, a: V(lambda p: p.sum().backward())(a),
    "nonzero": lambda L, V, a: V(lambda p: p.nonzero())(a),
    "inplace into unbatched": lambda L, V, a: V(lambda p: L.zeros(3, 5).add_(p))(a),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_match_torch(torch, x, case):
    caught = []
    for lib, V in ((ndgrad, vmap), (torch, torch.func.vmap)):
        with pytest.raises(Exception) as info:
            ERRORS[case](lib, V, lib.tensor(x, requires_grad=case == "backward"))
        caught.append(info.value)
    ours, theirs = caught
    assert type(ours) is type(theirs)
    assert str(ours) == str(theirs)


def test_batched_tensor_inside_vmap_looks_like_one_sample(torch):
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    seen = []
    for lib, V in ((ndgrad, vmap), (torch, torch.func.vmap)):
        def f(t, lib=lib):
            seen.append((repr(t), tuple(t.shape), t.dim(), t.numel(), len(t), t.requires_grad,
                         t.is_contiguous(), t.dtype == lib.float32))
            return t
        V(f)(lib.tensor(a, requires_grad=True))
    assert seen[0] == seen[1]


# *** every op of the table against a per-sample loop ***

def _variants(sample, rng):
    """B per-sample versions of each array input (indices and masks are permuted)."""
    out = {}
    for i, (a, is_int) in enumerate(zip(sample.inputs, sample.int_mask or [False] * 99)):
        if isinstance(a, np.ndarray):
            out[i] = [rng.permutation(a.reshape(-1)).reshape(a.shape) if is_int else
                      a + rng.normal(0, 0.05, a.shape) for _ in range(B)]
    return out


def _tensor(a, is_int):
    if is_int:
        return ndgrad.tensor(a, dtype=ndgrad.bool if a.dtype == bool else ndgrad.int64)
    return ndgrad.tensor(a, dtype=ndgrad.float64)


def _sweep(check):
    """Run check(sample, per-sample arrays, batched input indices) over the table; return the
    failures and the names of everything that ran per sample."""
    rng = np.random.default_rng(0)
    failures, seen = [], set()
    for s in SAMPLES:
        if s.name in DYNAMIC:
            continue
        per = _variants(s, rng)
        for batched in ({*per}, set(list(per)[:1])):
            if not batched:
                continue
            _batched.FALLBACKS.clear()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    problem = check(s, per, batched)
            except Exception as e:  # noqa: BLE001  (reported below, with the sample)
                problem = f"{type(e).__name__}: {e}"
            if problem:
                failures.append(f"{s.id} batched={sorted(batched)}: {problem}")
            seen |= _batched.FALLBACKS
    return failures, seen


def _inputs(s, per, batched, b):
    im = s.int_mask or [False] * len(s.inputs)
    return [_tensor(per[i][b], im[i]) if i in batched else
            _tensor(a, im[i]) if isinstance(a, np.ndarray) else a for i, a in enumerate(s.inputs)]


def _batched_inputs(s, per, batched):
    im = s.int_mask or [False] * len(s.inputs)
    args = [ndgrad.stack([_tensor(per[i][b], im[i]) for b in range(B)]) if i in batched else
            _tensor(a, im[i]) if isinstance(a, np.ndarray) else a for i, a in enumerate(s.inputs)]
    return args, tuple(0 if i in batched else None for i in range(len(args)))


def _stacked(outs):
    if isinstance(outs[0], ndgrad.Tensor):
        return ndgrad.stack(outs)
    return tuple(_stacked([o[i] for o in outs]) for i in range(len(outs[0])))


def _differs(a, b):
    try:
        assert_tree_close(a, b, rtol=1e-6, atol=1e-8)
    except AssertionError as e:
        return str(e)[:200] or "values differ"
    return None


def test_every_op_matches_a_per_sample_loop():
    def check(s, per, batched):
        try:
            ref = _stacked([s.fn(*_inputs(s, per, batched, b), **s.attrs) for b in range(B)])
        except Exception:  # noqa: BLE001  (this sample's per-sample inputs are invalid)
            return None
        args, dims = _batched_inputs(s, per, batched)
        return _differs(vmap(lambda *a: s.fn(*a, **s.attrs), in_dims=dims)(*args), ref)

    failures, seen = _sweep(check)
    assert not failures, "\n".join(failures)
    assert seen == FORWARD_FALLBACKS, (f"new fallbacks: {sorted(seen - FORWARD_FALLBACKS)}, "
                                       f"now batched: {sorted(FORWARD_FALLBACKS - seen)}")


def _first_float(out):
    if isinstance(out, ndgrad.Tensor):
        return out if out.is_floating_point() else None
    return next((f for f in map(_first_float, out) if f is not None), None)


# the batched VJP of a legacy 1-D empty cat input / of addmm with beta=0 differ in None vs zeros;
# masked_scatter's VJP is a masked_select (a dynamic shape, refused under vmap as by torch)
GRAD_SKIPS = {"cat[2,0](dim=0)", "addmm[2x1,2x3,3x4](beta=0.0)", "masked_scatter",
              "cat[2c,0c](dim=0)", "addmm[2x1c,2x3c,3x4c](beta=0.0)"}


@pytest.mark.parametrize("plane", ["vmap(grad)", "backward through vmap"])
def test_every_gradient_matches_a_per_sample_loop(plane):
    weights = np.random.default_rng(5)

    def check(s, per, batched):
        diff = [i for i in batched if s.diff_mask[i]]
        if not s.differentiable or "grad" in s.skips or not diff or \
                s.id in GRAD_SKIPS or s.name in GRAD_SKIPS:
            return None
        try:
            first = _first_float(s.fn(*_inputs(s, per, batched, 0), **s.attrs))
            if first is None:
                return None
            w = ndgrad.tensor(weights.normal(size=tuple(first.shape)))

            def loss(*a):
                return (_first_float(s.fn(*a, **s.attrs)) * w).sum()

            g = grad(loss, argnums=tuple(diff))
            ref = [g(*_inputs(s, per, batched, b)) for b in range(B)]
        except Exception:  # noqa: BLE001  (this sample's per-sample inputs are invalid)
            return None
        ref = tuple(ndgrad.stack([r[k] for r in ref]) for k in range(len(diff)))
        args, dims = _batched_inputs(s, per, batched)
        if plane == "vmap(grad)":
            return _differs(vmap(g, in_dims=dims)(*args), ref)
        for i in diff:
            args[i].requires_grad_()
        out = vmap(lambda *a: _first_float(s.fn(*a, **s.attrs)), in_dims=dims)(*args)
        (out * w).sum().backward()
        return _differs(tuple(args[i].grad for i in diff), ref)

    failures, seen = _sweep(check)
    assert not failures, "\n".join(failures)
    if plane == "vmap(grad)":
        assert seen == BACKWARD_FALLBACKS, (f"new: {sorted(seen - BACKWARD_FALLBACKS)}, "
                                            f"now batched: {sorted(BACKWARD_FALLBACKS - seen)}")


def test_dynamic_shape_ops_raise_as_torch():
    with pytest.raises(RuntimeError, match="dynamic shape. Attempted to vmap over aten::nonzero"):
        vmap(lambda t: t.nonzero())(ndgrad.ones(2, 3))


# *** the bar: real batching, not a Python loop ***

def test_per_sample_gradients_are_10x_faster_than_a_loop():
    params, xs, ys = _mlp_data(64)
    params = tuple(ndgrad.tensor(p) for p in params)
    xs, ys = ndgrad.tensor(xs), ndgrad.tensor(ys)
    loss = _mlp_loss(ndgrad)
    batched = vmap(grad(loss), in_dims=(None, 0, 0))
    per_sample = grad(loss)

    def best(fn, n):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    t_vmap = best(lambda: batched(params, xs, ys), 5)
    t_loop = best(lambda: [per_sample(params, xs[i], ys[i]) for i in range(64)], 2)
    assert t_loop / t_vmap >= 10, f"vmap {t_vmap * 1e3:.1f} ms, loop {t_loop * 1e3:.1f} ms"
