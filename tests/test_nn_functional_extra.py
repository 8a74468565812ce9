"""The nn.functional entries added for issue 11 against PyTorch: values, gradients, random streams
(rrelu, fractional pooling), torch's errors; gradients also against finite differences."""
import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad.nn import functional as F


def both(torch, fn, arrays, seed=None, grad=True):
    """fn(lib, F, *tensors) in torch and ndgrad (float64, same seed): outputs and gradients."""
    t_in = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    n_in = [ndgrad.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    if seed is not None:
        torch.manual_seed(seed)
        ndgrad.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_out = fn(torch, torch.nn.functional, *t_in)
        n_out = fn(ndgrad, F, *n_in)
    t_out = t_out if isinstance(t_out, tuple) else (t_out,)
    n_out = n_out if isinstance(n_out, tuple) else (n_out,)
    pairs = [(t.detach().numpy(), n.detach().numpy()) for t, n in zip(t_out, n_out)]
    leaves = [i for i, t in enumerate(t_in) if t.requires_grad]
    if grad and leaves and t_out[0].requires_grad:
        w = np.random.default_rng(9).standard_normal(tuple(t_out[0].shape))
        t_g = torch.autograd.grad(t_out[0], [t_in[i] for i in leaves], torch.tensor(w),
                                  allow_unused=True)
        n_g = ndgrad.autograd.grad(n_out[0], [n_in[i] for i in leaves], ndgrad.tensor(w),
                                   allow_unused=True)
        for t, n in zip(t_g, n_g):
            pairs.append((np.zeros(1) if t is None else t.numpy(),
                          np.zeros(1) if n is None else n.numpy()))
    for t, n in pairs:
        assert t.shape == n.shape and t.dtype == n.dtype
        np.testing.assert_allclose(n, t, rtol=1e-9, atol=1e-12)
    return n_out


R = np.random.default_rng(0)


def idx(*shape, hi=5):
    return R.integers(0, hi, shape)


CASES = [
    ("pdist p=2", lambda L, F, x: F.pdist(x), [R.standard_normal((5, 3))]),
    ("pdist p=0.5", lambda L, F, x: F.pdist(x, 0.5), [R.standard_normal((4, 3))]),
    ("pdist p=inf", lambda L, F, x: F.pdist(x, float("inf")), [R.standard_normal((4, 3))]),
    ("torch.pdist", lambda L, F, x: L.pdist(x, 3), [R.standard_normal((4, 2))]),
    ("channel_shuffle", lambda L, F, x: F.channel_shuffle(x, 2), [R.standard_normal((2, 6, 3))]),
    ("torch.channel_shuffle", lambda L, F, x: L.channel_shuffle(x, 3),
     [R.standard_normal((1, 6, 2, 2))]),
    ("rrelu eval", lambda L, F, x: F.rrelu(x, 0.1, 0.4), [R.standard_normal((3, 4))]),
    ("rrelu train", lambda L, F, x: F.rrelu(x, 0.1, 0.4, training=True),
     [R.standard_normal((5, 7))]),
    ("rrelu_ train", lambda L, F, x: F.rrelu_(x * 1, training=True), [R.standard_normal((9,))]),
    ("torch.rrelu", lambda L, F, x: L.rrelu(x, training=True), [R.standard_normal((2, 6))]),
    ("lp_pool1d", lambda L, F, x: F.lp_pool1d(x, 2, 3, stride=2), [R.standard_normal((2, 3, 8))]),
    ("lp_pool2d", lambda L, F, x: F.lp_pool2d(x, 3, (2, 2)), [R.random((1, 2, 4, 5)) + 0.1]),
    ("lp_pool3d", lambda L, F, x: F.lp_pool3d(x, 1, 2, ceil_mode=True),
     [R.standard_normal((1, 1, 3, 4, 3))]),
    ("max_pool3d", lambda L, F, x: F.max_pool3d(x, 3, 2, 1, return_indices=True),
     [R.standard_normal((1, 2, 5, 6, 5))]),
    ("avg_pool3d", lambda L, F, x: F.avg_pool3d(x, (2, 3, 2), 2, (1, 1, 0), True, False),
     [R.standard_normal((2, 2, 4, 5, 4))]),
    ("adaptive_avg_pool3d", lambda L, F, x: F.adaptive_avg_pool3d(x, (3, 2, None)),
     [R.standard_normal((1, 2, 5, 4, 3))]),
    ("adaptive_max_pool3d", lambda L, F, x: F.adaptive_max_pool3d(x, (2, 3, 2), True),
     [R.standard_normal((2, 4, 3, 5))]),
    ("fractional_max_pool2d", lambda L, F, x: F.fractional_max_pool2d(
        x, 2, output_size=(3, 4), return_indices=True), [R.standard_normal((2, 3, 7, 8))]),
    ("fractional_max_pool3d", lambda L, F, x: F.fractional_max_pool3d(
        x, (2, 1, 2), output_ratio=(0.5, 0.5, 0.5)), [R.standard_normal((2, 6, 5, 7))]),
    ("max_unpool2d", lambda L, F, x, i: F.max_unpool2d(x, i, 2, output_size=(5, 4)),
     [R.standard_normal((1, 2, 2, 2)), np.array([[[[0, 3], [10, 15]], [[1, 2], [8, 19]]]])]),
    ("max_unpool1d", lambda L, F, x, i: F.max_unpool1d(x, i, 3, 2, 1),
     [R.standard_normal((2, 3)), np.array([[0, 2, 4], [1, 3, 4]])]),
    ("local_response_norm", lambda L, F, x: F.local_response_norm(x, 3, 0.1, 0.6, 1.5),
     [R.standard_normal((2, 5, 3))]),
    ("embedding_bag sum", lambda L, F, w, i, o, p: F.embedding_bag(
        i, w, o, mode="sum", per_sample_weights=p), [R.standard_normal((6, 3)), idx(7, hi=6),
                                                     np.array([0, 3, 3]),
                                                     R.standard_normal(7)]),
    ("embedding_bag mean 2-d pad", lambda L, F, w, i: F.embedding_bag(i, w, padding_idx=1),
     [R.standard_normal((6, 3)), idx(3, 4, hi=6)]),
    ("embedding_bag max last", lambda L, F, w, i, o: F.embedding_bag(
        i, w, o, mode="max", include_last_offset=True),
     [R.standard_normal((6, 3)), idx(8, hi=6), np.array([0, 2, 2, 8])]),
    ("torch.embedding_bag", lambda L, F, w, i, o: L.embedding_bag(w, i, o, False, 1),
     [R.standard_normal((5, 2)), np.array([0, 1, 1, 4, 1]), np.array([0, 2])]),
    ("multi_margin_loss", lambda L, F, x, t: F.multi_margin_loss(
        x, t, 2, 0.7, L.tensor([0.5, 1.0, 2.0, 0.1, 0.3], dtype=x.dtype)),
     [R.standard_normal((4, 5)), idx(4)]),
    ("multilabel_margin_loss", lambda L, F, x, t: F.multilabel_margin_loss(
        x, t, reduction="none"), [R.standard_normal((3, 4)), np.array(
            [[3, 0, -1, 1], [1, 1, 2, -1], [0, 1, 2, 3]])]),
    ("triplet_margin_with_distance_loss", lambda L, F, a, p, n: F.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda x, y: (x - y).abs().sum(-1), margin=2.0, swap=True),
     [R.standard_normal((4, 3)) for _ in range(3)]),
    ("grid_sample bilinear zeros", lambda L, F, x, g: F.grid_sample(x, g, align_corners=False),
     [R.standard_normal((2, 3, 4, 5)), R.uniform(-1.2, 1.2, (2, 3, 2, 2))]),
    ("grid_sample bicubic reflection", lambda L, F, x, g: F.grid_sample(
        x, g, "bicubic", "reflection", True), [R.standard_normal((1, 2, 5, 4)),
                                               R.uniform(-1.5, 1.5, (1, 2, 3, 2))]),
    ("grid_sample nearest border 3-d", lambda L, F, x, g: F.grid_sample(
        x, g, "nearest", "border", False), [R.standard_normal((1, 2, 3, 4, 3)),
                                            R.uniform(-1.2, 1.2, (1, 2, 2, 1, 3))]),
    ("affine_grid 2-d", lambda L, F, t: F.affine_grid(t, [2, 3, 4, 5], align_corners=False),
     [R.standard_normal((2, 2, 3))]),
    ("affine_grid 3-d", lambda L, F, t: F.affine_grid(t, (1, 1, 2, 3, 2), align_corners=True),
     [R.standard_normal((1, 3, 4))]),
    ("interpolate bicubic", lambda L, F, x: F.interpolate(x, (5, 7), mode="bicubic"),
     [R.standard_normal((1, 2, 4, 3))]),
    ("interpolate bilinear aa", lambda L, F, x: F.interpolate(
        x, scale_factor=0.4, mode="bilinear", antialias=True), [R.standard_normal((1, 2, 9, 8))]),
    ("interpolate bicubic aa", lambda L, F, x: F.interpolate(
        x, (3, 11), mode="bicubic", antialias=True, align_corners=True),
     [R.standard_normal((1, 1, 7, 5))]),
    ("interpolate lanczos", lambda L, F, x: F.interpolate(x, (4, 9), mode="lanczos",
                                                          antialias=True),
     [R.standard_normal((2, 1, 9, 4))]),
    ("interpolate area 5-d", lambda L, F, x: F.interpolate(x, (2, 3, 2), mode="area"),
     [R.standard_normal((1, 2, 5, 4, 3))]),
    ("linear_cross_entropy", lambda L, F, x, w, t, b: F.linear_cross_entropy(
        x, w, t, linear_bias=b, label_smoothing=0.2), [R.standard_normal((4, 3)),
                                                      R.standard_normal((5, 3)), idx(4),
                                                      R.standard_normal(5)]),
    ("linear_cross_entropy k-dim", lambda L, F, x, w, t: F.linear_cross_entropy(
        x, w, t, reduction="sum", ignore_index=1), [R.standard_normal((4, 3)),
                                                    R.standard_normal((3, 2, 3)), idx(4, 2, hi=3)]),
    ("prelu 0-d input", lambda L, F, x, w: F.prelu(x, w), [np.array(-1.5), np.array([0.3])]),
    ("prelu 0-d weight", lambda L, F, x, w: F.prelu(x, w), [R.standard_normal((2, 3)),
                                                           np.array(0.3)]),
    # a replaced value above threshold keeps its zero gradient (the node reads the old input)
    ("threshold inplace", lambda L, F, x: F.threshold(x * 1, 0.2, 6.0, inplace=True),
     [R.standard_normal((3, 4))]),
]


@pytest.mark.parametrize("fn, arrays", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_functional_matches_torch(torch, fn, arrays):
    both(torch, fn, arrays, seed=7)


def test_embedding_bag_scale_grad_by_freq_as_embedding(torch):
    # each row's gradient over its count in the batch, as F.embedding (torch 2.13's CPU
    # embedding_bag misplaces these scales: its own rows 2 and 4 below get 0.5 and 1)
    w = np.random.default_rng(3).standard_normal((5, 2))
    idx = np.array([2, 1, 1, 4])
    n_w = ndgrad.tensor(w, requires_grad=True)
    F.embedding_bag(ndgrad.tensor(idx), n_w, ndgrad.tensor([0, 1]), mode="sum",
                    scale_grad_by_freq=True).sum().backward()
    t_w = torch.tensor(w, requires_grad=True)
    torch.nn.functional.embedding(torch.tensor(idx), t_w, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(n_w.grad.numpy(), t_w.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("fn, arrays", [c[1:] for c in CASES if "rrelu" not in c[0] and
                                        "fractional" not in c[0] and "freq" not in c[0]],
                         ids=[c[0] for c in CASES if "rrelu" not in c[0] and
                              "fractional" not in c[0] and "freq" not in c[0]])
def test_functional_gradients_by_finite_differences(fn, arrays):
    inputs = [ndgrad.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    leaves = [x for x in inputs if x.requires_grad]

    def f(*xs):
        it = iter(xs)
        args = [next(it) if x.requires_grad else x for x in inputs]
        out = fn(ndgrad, F, *args)
        return out[0] if isinstance(out, tuple) else out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ndgrad.autograd.gradcheck(f, leaves)
        if all(w not in fn.__code__.co_consts for w in ("nearest",)):
            assert ndgrad.autograd.gradgradcheck(f, leaves)


def test_rrelu_noise_follows_torch_in_float32(torch):
    x = np.random.default_rng(1).standard_normal((6, 40)).astype(np.float32)
    torch.manual_seed(3)
    ndgrad.manual_seed(3)
    t = torch.nn.functional.rrelu(torch.tensor(x), training=True)
    n = F.rrelu(ndgrad.tensor(x), training=True)
    np.testing.assert_array_equal(n.numpy(), t.numpy())
    assert ndgrad.rand(3).tolist() == torch.rand(3).tolist()  # the generators stay in step


def test_new_nodes_are_named_as_torch(torch):
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 4, 4))
    cases = [lambda L, F, x: F.max_pool3d(x, 2), lambda L, F, x: F.avg_pool3d(x, 2),
             lambda L, F, x: F.adaptive_avg_pool3d(x, 2),
             lambda L, F, x: F.adaptive_max_pool3d(x, 2),
             lambda L, F, x: F.fractional_max_pool3d(x, 2, output_size=2),
             lambda L, F, x: F.grid_sample(x, L.zeros(1, 2, 2, 1, 3, dtype=x.dtype),
                                           align_corners=True),
             lambda L, F, x: F.interpolate(x[0], (3, 5), mode="bicubic"),
             lambda L, F, x: F.interpolate(x[0], (3, 5), mode="bilinear", antialias=True),
             lambda L, F, x: F.rrelu(x), lambda L, F, x: F.rrelu(x * 1, inplace=True),
             lambda L, F, x: F.pdist(x[0, 0, 0]), lambda L, F, x: F.channel_shuffle(x, 2),
             lambda L, F, x: F.multi_margin_loss(x[0, 0, 0], L.tensor([1, 0, 2, 3]))]
    for fn in cases:  # one input each, a float64 (1, 2, 4, 4, 4) tensor
        t = fn(torch, torch.nn.functional, torch.tensor(x, requires_grad=True))
        n = fn(ndgrad, F, ndgrad.tensor(x, requires_grad=True))
        assert type(n.grad_fn).__name__ == type(t.grad_fn).__name__


ERRORS = [
    lambda L, F: F.pdist(L.ones(2, 3, 4)), lambda L, F: F.pdist(L.ones(3, 2), -1.0),
    lambda L, F: F.channel_shuffle(L.ones(1, 5, 2), 2),
    lambda L, F: F.channel_shuffle(L.ones(4, 2), 2),
    lambda L, F: F.max_pool3d(L.ones(1, 2, 3, 6, 5), (1, 2)),
    lambda L, F: F.max_pool3d(L.ones(2, 3), 2),
    lambda L, F: F.max_pool3d(L.ones(1, 2, 3, 6, 5), 4),
    lambda L, F: F.avg_pool3d(L.ones(1, 2, 3, 6, 5), 2, stride=(1, 2)),
    lambda L, F: F.adaptive_avg_pool3d(L.ones(2, 3), 2),
    lambda L, F: F.fractional_max_pool2d(L.ones(1, 2, 6, 6), 4, output_size=4),
    lambda L, F: F.fractional_max_pool2d(L.ones(1, 2, 6, 6), 2),
    lambda L, F: F.fractional_max_pool2d(L.ones(1, 2, 6, 6), 2, output_size=3,
                                         _random_samples=L.rand(1, 3, 2)),
    lambda L, F: F.fractional_max_pool2d(L.ones(1, 2, 6, 6), 2, output_size=3,
                                         _random_samples=L.rand(1, 2, 2, dtype=L.float64)),
    lambda L, F: F.max_unpool2d(L.ones(1, 1, 2, 2), L.tensor([[[[0, 1], [2, 99]]]]), 2),
    lambda L, F: F.max_unpool2d(L.ones(1, 1, 2, 2), L.zeros(1, 1, 2, 2, dtype=L.int64), 2,
                                output_size=(9, 9)),
    lambda L, F: F.multi_margin_loss(L.ones(3, 5), L.tensor([1, 2, 7])),
    lambda L, F: F.multi_margin_loss(L.ones(3, 5), L.tensor([1, 2, 4]), p=3),
    lambda L, F: F.multilabel_margin_loss(L.ones(2, 5), L.tensor([[1, 2, -1, 0, 0]])),
    lambda L, F: F.embedding_bag(L.tensor([0, 1]), L.ones(3, 2), L.tensor([1])),
    lambda L, F: F.embedding_bag(L.tensor([[0, 1]]), L.ones(3, 2), L.tensor([0])),
    lambda L, F: F.embedding_bag(L.tensor([0, 1]), L.ones(3, 2), L.tensor([0]), mode="prod"),
    lambda L, F: F.grid_sample(L.ones(1, 1, 2, 2), L.ones(1, 1, 1, 3), align_corners=True),
    lambda L, F: F.grid_sample(L.ones(1, 1, 2, 2), L.ones(1, 1, 1, 2), "cubic",
                               align_corners=True),
    lambda L, F: F.affine_grid(L.ones(1, 3, 3), [1, 1, 2, 2], align_corners=True),
    lambda L, F: F.interpolate(L.ones(1, 1, 4), 2, mode="linear", antialias=True),
    lambda L, F: F.interpolate(L.ones(1, 1, 4, 4), 2, mode="lanczos", align_corners=False),
    lambda L, F: F.triplet_margin_with_distance_loss(L.ones(2, 3), L.ones(2, 3), L.ones(3),
                                                     margin=1.0),
    lambda L, F: F.linear_cross_entropy(L.ones(2, 3), L.ones(4, 2), L.tensor([0, 1])),
    lambda L, F: F.prelu(L.tensor(1.0), L.ones(2)),
    lambda L, F: F.silu(L.ones(2, dtype=L.complex128, requires_grad=True)),
    lambda L, F: F.dropout1d(L.ones(4, 6, requires_grad=True), 0.5, False, inplace=True),
]


@pytest.mark.parametrize("fn", ERRORS, ids=range(len(ERRORS)))
def test_errors_as_torch(torch, fn):
    with pytest.raises(Exception) as t_err:
        fn(torch, torch.nn.functional)
    with pytest.raises(type(t_err.value)) as n_err:
        fn(ndgrad, F)
    assert str(n_err.value) == str(t_err.value)


def test_gumbel_softmax_and_conv_tbc(torch):
    x = np.random.default_rng(4).standard_normal((4, 6))
    for hard in (False, True):
        out = both(torch, lambda L, F, t: F.gumbel_softmax(t, tau=0.5, hard=hard), [x], seed=11)
        if hard:
            assert out[0].sum(-1).tolist() == [1.0] * 4
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((6, 2, 3)), rng.standard_normal((3, 3, 4)),
              rng.standard_normal(4)]
    for pad in (0, 2, -1):
        both(torch, lambda L, F, x, w, b: F.conv_tbc(x, w, b, pad), arrays)
    both(torch, lambda L, F, x, w, b: L.conv_tbc(x, w, b), arrays)


def test_inplace_ops_on_empty_tensors(torch):
    # an empty tensor aliases nothing, whatever its strides (torch writes nothing, raises nothing)
    for make in (lambda L: L.ones(1, 0, 3).expand(2, 0, 3), lambda L: L.empty(0, 4).t()):
        for fn in (lambda L, x: L.nn.functional.rrelu(x, training=True, inplace=True),
                   lambda L, x: x.exp_(), lambda L, x: L.nn.functional.elu(x, inplace=True)):
            t, n = fn(torch, make(torch).clone()), fn(ndgrad, make(ndgrad).clone())
            assert tuple(n.shape) == tuple(t.shape)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        ndgrad.ones(1, 3).expand(2, 3).exp_()


def test_linear_cross_entropy_options_give_the_unchunked_values(torch):
    rng = np.random.default_rng(12)
    x, w, t = rng.standard_normal((7, 3)), rng.standard_normal((4, 3)), rng.integers(0, 4, 7)
    for reduction in ("mean", "sum", "none"):
        t_opt = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
        n_opt = ndgrad.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
        both(torch, lambda L, F, x, w, t: F.linear_cross_entropy(
            x, w, t, reduction=reduction,
            options=t_opt if L is torch else n_opt), [x, w, t])
    assert repr(ndgrad.nn.LinearCrossEntropyOptions()) == repr(
        torch.nn.LinearCrossEntropyOptions())
    for bad in ({"acc_policy": "fast"}, {"chunking_method": "rows"}, {"batch_chunk_size": 0}):
        with pytest.raises(ValueError) as t_err:
            torch.nn.LinearCrossEntropyOptions(**bad)
        with pytest.raises(ValueError, match=str(t_err.value)[:20]):
            ndgrad.nn.LinearCrossEntropyOptions(**bad)


def test_activation_edge_cases_as_torch(torch):
    # NaN propagates; its gradient is 0 as in torch's vectorized loop (16 elements: no tail)
    special = np.array([np.nan, 1.0, -1.0, 0.2, np.inf, -np.inf, 0.5, -0.5] * 2)
    for fn in (lambda L, F, x: F.softshrink(x), lambda L, F, x: F.hardshrink(x, 0.4)):
        both(torch, fn, [special])
    z = np.array([1 + 2j, -0.5 + 0.1j, -1000 + 1j, 1000 + 1j, -800 + 0j, 0j])
    for dtype in (np.complex128, np.complex64):
        both(torch, lambda L, F, x: F.silu(x), [z.astype(dtype)], grad=False)
        both(torch, lambda L, F, x: F.silu(x * 1, inplace=True), [z.astype(dtype)], grad=False)
    # threshold_ writes through an expanded tensor as torch (no overlap refusal)
    both(torch, lambda L, F, x: F.threshold(x.detach()[:1].clone().expand(3, 4), 0.0, 9.0,
                                            inplace=True) * 1, [R.standard_normal((2, 4))])
    # unbatched feature dropout in place: the same draws, written into the input
    both(torch, lambda L, F, x: F.dropout1d(x * 1, 0.5, True, inplace=True),
         [R.standard_normal((5, 3))], seed=3)
    both(torch, lambda L, F, x: F.dropout3d(x * 1, 0.4, True, inplace=True),
         [R.standard_normal((5, 2, 1, 3))], seed=3)
