"""torch.nn.functional against PyTorch: values, dtypes, grad_fn names and gradients of every
functional in the forms the op table cannot express (in-place, optional arguments, N-d inputs,
masks, random streams), double backward, running statistics, and torch's errors."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as NF
from ndgrad.autograd import gradcheck, gradgradcheck
from conftest import import_torch

_rng = np.random.default_rng(2024)


def R(*shape, lo=-2.0, hi=2.0):
    """A float input that requires grad."""
    return _rng.uniform(lo, hi, size=shape)


@dataclass
class K:
    """A float input that does not require grad."""
    a: np.ndarray


@dataclass
class Ix:
    """An int64 input."""
    a: Any


@dataclass
class Case:
    name: str
    fn: Callable  # fn(F, lib, *inputs) with F = lib.nn.functional
    inputs: list
    fd: bool = True  # also check ndgrad's gradients against finite differences (float64)
    fd2: bool = True  # ... and to second order
    rtol: float = 1e-4
    atol: float = 1e-5
    skip_names: bool = False

    def __repr__(self) -> str:
        return self.name


def _make(lib, spec, dtype):
    if isinstance(spec, Ix):
        return lib.tensor(np.asarray(spec.a), dtype=lib.int64)
    if isinstance(spec, K):
        return lib.tensor(spec.a, dtype=dtype)
    if isinstance(spec, np.ndarray):
        return lib.tensor(spec, dtype=dtype, requires_grad=True)
    return spec


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


def _outs(o):
    return list(o) if isinstance(o, (tuple, list)) else [o]


def _run(case: Case, lib, dtype_name: str):
    dtype = getattr(lib, dtype_name)
    args = [_make(lib, s, dtype) for s in case.inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = case.fn(lib.nn.functional, lib, *args)
    return args, out


def _check_against_torch(case: Case, dtype_name: str) -> None:
    torch = import_torch()
    nd_args, nd_out = _run(case, ndgrad, dtype_name)
    th_args, th_out = _run(case, torch, dtype_name)
    rtol, atol = (case.rtol, case.atol) if dtype_name == "float32" else (1e-7, 1e-9)
    nd_outs, th_outs = _outs(nd_out), _outs(th_out)
    assert len(nd_outs) == len(th_outs)
    for n, t in zip(nd_outs, th_outs):
        assert tuple(n.shape) == tuple(t.shape)
        assert str(n.dtype) == str(t.dtype)
        np.testing.assert_allclose(_np(n), _np(t), rtol=rtol, atol=atol)
        if not case.skip_names:
            nn_ = type(n.grad_fn).__name__ if n.grad_fn is not None else None
            tn_ = type(t.grad_fn).__name__ if t.grad_fn is not None else None
            assert nn_ == tn_, f"grad_fn {nn_} vs torch {tn_}"
    rng = np.random.default_rng(7)
    nd_terms, th_terms = [], []
    for n, t in zip(nd_outs, th_outs):
        assert n.requires_grad == t.requires_grad
        if t.requires_grad:
            w = rng.standard_normal(tuple(t.shape))
            nd_terms.append((n * ndgrad.tensor(w, dtype=n.dtype)).sum())
            th_terms.append((t * torch.tensor(w, dtype=t.dtype)).sum())
    if not th_terms:
        return
    sum(nd_terms).backward()
    sum(th_terms).backward()
    for a, b in zip(nd_args, th_args):
        if hasattr(b, "requires_grad") and b.requires_grad:
            assert (a.grad is None) == (b.grad is None)
            if b.grad is not None:
                np.testing.assert_allclose(_np(a.grad), b.grad.numpy(), rtol=rtol * 10,
                                           atol=atol * 10)


def _check_fd(case: Case) -> None:
    positions = [i for i, s in enumerate(case.inputs) if isinstance(s, np.ndarray)]

    def f(*diff):
        args = [_make(ndgrad, s, ndgrad.float64) for s in case.inputs]
        for p, d in zip(positions, diff):
            args[p] = d
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return case.fn(NF, ndgrad, *args)

    args = tuple(ndgrad.tensor(case.inputs[p], dtype=ndgrad.float64, requires_grad=True)
                 for p in positions)
    assert gradcheck(f, args)
    if case.fd2:
        assert gradgradcheck(f, args)


def _seeded(fn):
    def run(F, L, *a):
        L.manual_seed(3)
        return fn(F, L, *a)

    return run


# *** the cases ***

X = R(2, 3)
X3 = R(2, 3, 4)
X4 = R(2, 3, 2, 2)
W3 = R(3, lo=0.5, hi=1.5)
B3 = R(3)

ACTIVATIONS = [
    Case("relu_inplace", lambda F, L, x: F.relu(x * 1, inplace=True), [X]),
    Case("relu6", lambda F, L, x: F.relu6(x * 4), [X]),
    Case("relu6_inplace", lambda F, L, x: F.relu6(x * 4, inplace=True), [X]),
    Case("leaky_relu", lambda F, L, x: F.leaky_relu(x, 0.2), [X]),
    Case("leaky_relu_inplace", lambda F, L, x: F.leaky_relu(x * 1, 0.2, inplace=True), [X]),
    Case("leaky_relu_", lambda F, L, x: F.leaky_relu_(x * 1), [X]),
    Case("elu", lambda F, L, x: F.elu(x, 0.5), [X]),
    Case("elu_inplace", lambda F, L, x: F.elu(x * 1, 0.5, inplace=True), [X]),
    Case("elu_", lambda F, L, x: F.elu_(x * 1), [X]),
    Case("selu", lambda F, L, x: F.selu(x), [X]),
    Case("selu_inplace", lambda F, L, x: F.selu(x * 1, inplace=True), [X]),
    Case("torch.selu", lambda F, L, x: F.selu(x), [X3]),
    Case("celu", lambda F, L, x: F.celu(x, 0.7), [X]),
    Case("celu_inplace", lambda F, L, x: F.celu(x * 1, 0.7, inplace=True), [X]),
    Case("gelu", lambda F, L, x: F.gelu(x), [X3]),
    Case("gelu_tanh", lambda F, L, x: F.gelu(x, approximate="tanh"), [X3]),
    Case("silu", lambda F, L, x: F.silu(x), [X]),
    Case("silu_inplace", lambda F, L, x: F.silu(x * 1, inplace=True), [X]),
    Case("mish", lambda F, L, x: F.mish(x), [X]),
    Case("mish_inplace", lambda F, L, x: F.mish(x * 1, inplace=True), [X]),
    Case("softplus", lambda F, L, x: F.softplus(x), [X]),
    Case("softplus_beta", lambda F, L, x: F.softplus(x, beta=3.0, threshold=2.0), [R(4, 5)]),
    Case("softsign", lambda F, L, x: F.softsign(x), [X]),
    Case("hardtanh", lambda F, L, x: F.hardtanh(x, -0.5, 1.5), [X3]),
    Case("hardtanh_inplace", lambda F, L, x: F.hardtanh(x * 1, -0.5, 1.5, inplace=True), [X3]),
    Case("hardtanh_", lambda F, L, x: F.hardtanh_(x * 1), [X3]),
    Case("hardsigmoid", lambda F, L, x: F.hardsigmoid(x * 2), [X3]),
    Case("hardsigmoid_inplace", lambda F, L, x: F.hardsigmoid(x * 2, inplace=True), [X3]),
    Case("hardswish", lambda F, L, x: F.hardswish(x * 2), [X3]),
    Case("hardswish_inplace", lambda F, L, x: F.hardswish(x * 2, inplace=True), [X3]),
    Case("logsigmoid", lambda F, L, x: F.logsigmoid(x * 10), [X]),
    Case("tanhshrink", lambda F, L, x: F.tanhshrink(x), [X]),
    Case("softshrink", lambda F, L, x: F.softshrink(x, 0.3), [X3]),
    Case("hardshrink", lambda F, L, x: F.hardshrink(x, 0.3), [X3]),
    Case("torch.hardshrink", lambda F, L, x: L.hardshrink(x, 0.3), [X3]),
    Case("Tensor.hardshrink", lambda F, L, x: x.hardshrink(), [X3]),
    Case("threshold", lambda F, L, x: F.threshold(x, 0.1, 20.0), [X3]),
    Case("threshold_inplace", lambda F, L, x: F.threshold(x * 1, 0.1, -3.0, inplace=True), [X3]),
    Case("torch.threshold", lambda F, L, x: L.threshold(x, 0.1, 20.0), [X3]),
    Case("glu", lambda F, L, x: F.glu(x), [X3]),
    Case("glu_dim1", lambda F, L, x: F.glu(x, 1), [R(2, 4, 3)]),
    Case("prelu_shared", lambda F, L, x, w: F.prelu(x, w), [X4, R(1)]),
    Case("prelu_channels", lambda F, L, x, w: F.prelu(x, w), [X4, W3]),
    Case("prelu_scalar_weight", lambda F, L, x, w: L.prelu(x, w), [X, R()]),
    Case("Tensor.prelu", lambda F, L, x, w: x.prelu(w), [X, W3]),
]

SOFTMAX = [
    Case("softmax", lambda F, L, x: F.softmax(x, dim=1), [X3]),
    Case("softmax_implicit_dim", lambda F, L, x: F.softmax(x), [X3]),
    Case("softmax_dtype", lambda F, L, x: F.softmax(x, -1, dtype=L.float64), [X3]),
    Case("torch.softmax", lambda F, L, x: L.softmax(x, 0), [X]),
    Case("Tensor.softmax", lambda F, L, x: x.softmax(-1), [X]),
    Case("Tensor.log_softmax", lambda F, L, x: x.log_softmax(0), [X]),
    Case("log_softmax", lambda F, L, x: F.log_softmax(x, dim=-1), [X3]),
    Case("log_softmax_implicit_dim", lambda F, L, x: F.log_softmax(x), [X]),
    Case("log_softmax_dtype", lambda F, L, x: F.log_softmax(x, 1, dtype=L.float64), [X3]),
    Case("softmin", lambda F, L, x: F.softmin(x, 1), [X3]),
    Case("softmin_dtype", lambda F, L, x: F.softmin(x, 0, dtype=L.float64), [X]),
    Case("softmax_scalar", lambda F, L, x: F.softmax(x, 0), [R()]),
]

LINEAR = [
    Case("linear_2d_bias", lambda F, L, x, w, b: F.linear(x, w, b), [X, R(4, 3), R(4)]),
    Case("linear_3d_bias", lambda F, L, x, w, b: F.linear(x, w, b), [X3.transpose(0, 2, 1).copy(),
                                                                        R(4, 3), R(4)]),
    Case("linear_1d_bias", lambda F, L, x, w, b: F.linear(x, w, b), [R(3), R(4, 3), R(4)]),
    Case("linear_noncontiguous_bias", lambda F, L, x, w, b: F.linear(x.transpose(0, 1), w, b),
         [R(4, 2, 3), R(5, 3), R(5)]),
    Case("linear_2d", lambda F, L, x, w: F.linear(x, w), [X, R(4, 3)]),
    Case("linear_3d", lambda F, L, x, w: F.linear(x, w), [R(2, 2, 3), R(4, 3)]),
    Case("linear_1d", lambda F, L, x, w: F.linear(x, w), [R(3), R(4, 3)]),
    Case("linear_weight_only", lambda F, L, x, w, b: F.linear(x, w, b), [K(X), R(4, 3), K(R(4))]),
    Case("bilinear", lambda F, L, a, b, w, c: F.bilinear(a, b, w, c),
         [R(2, 3), R(2, 2), R(4, 3, 2), R(4)]),
    Case("bilinear_nobias", lambda F, L, a, b, w: F.bilinear(a, b, w), [R(2, 3), R(2, 2),
                                                                        R(4, 3, 2)]),
    Case("bilinear_3d", lambda F, L, a, b, w, c: F.bilinear(a, b, w, c),
         [R(2, 2, 3), R(2, 2, 2), R(4, 3, 2), R(4)]),
    Case("bilinear_1d", lambda F, L, a, b, w: F.bilinear(a, b, w), [R(3), R(2), R(4, 3, 2)]),
    Case("normalize", lambda F, L, x: F.normalize(x), [X3]),
    Case("normalize_p1_dim0", lambda F, L, x: F.normalize(x, 1.0, 0), [X3]),
    Case("normalize_zero_row", lambda F, L, x: F.normalize(x * L.tensor([[1.0], [0.0]],
                                                                         dtype=x.dtype)),
         [X], fd=False),
]

EMBED_PAD = [
    Case("embedding", lambda F, L, i, w: F.embedding(i, w), [Ix([[0, 2, 2], [3, 1, 0]]), R(4, 3)]),
    Case("embedding_padding_idx", lambda F, L, i, w: F.embedding(i, w, padding_idx=2),
         [Ix([0, 2, 2, 1]), R(4, 3)], fd=False),
    Case("embedding_neg_padding_idx", lambda F, L, i, w: F.embedding(i, w, padding_idx=-1),
         [Ix([0, 3, 3, 1]), R(4, 3)], fd=False),
    Case("embedding_freq", lambda F, L, i, w: F.embedding(i, w, scale_grad_by_freq=True),
         [Ix([0, 2, 2, 1, 2]), R(4, 3)], fd=False),
    Case("torch.embedding", lambda F, L, w, i: L.embedding(w, i), [R(4, 2), Ix([1, 3])]),
    Case("one_hot", lambda F, L, i: F.one_hot(i), [Ix([[0, 3], [1, 1]])]),
    Case("one_hot_classes", lambda F, L, i: F.one_hot(i, 5), [Ix([0, 3, 1])]),
    Case("pad_constant", lambda F, L, x: F.pad(x, (1, 2), value=1.5), [X3]),
    Case("pad_constant_4dims", lambda F, L, x: F.pad(x, (1, 0, 0, 1, 2, 0, 1, 1)), [X4]),
    Case("pad_constant_negative", lambda F, L, x: F.pad(x, (-1, 2, 1, -1)), [X3]),
    Case("torch.constant_pad_nd", lambda F, L, x: L.constant_pad_nd(x, (1, 1)), [X]),
    Case("pad_reflect_1d", lambda F, L, x: F.pad(x, (2, 3), mode="reflect"), [R(2, 3, 5)]),
    Case("pad_reflect_1d_unbatched", lambda F, L, x: F.pad(x, (1, 2), mode="reflect"), [X3]),
    Case("pad_reflect_2d", lambda F, L, x: F.pad(x, (1, 1, 2, 0), mode="reflect"),
         [R(1, 2, 3, 4)]),
    Case("pad_reflect_3d", lambda F, L, x: F.pad(x, (1, 0, 1, 1, 0, 1), mode="reflect"),
         [R(1, 1, 2, 3, 2)]),
    Case("pad_reflect_negative", lambda F, L, x: F.pad(x, (-1, 2), mode="reflect"), [R(2, 5)]),
    Case("pad_replicate_1d", lambda F, L, x: F.pad(x, (3, 1), mode="replicate"), [X3]),
    Case("pad_replicate_2d", lambda F, L, x: F.pad(x, (2, 1, 0, 3), mode="replicate"), [X4]),
    Case("pad_replicate_3d", lambda F, L, x: F.pad(x, (1, 1, 1, 0, 2, 1), mode="replicate"),
         [R(2, 2, 2, 2)]),
    Case("pad_circular_1d", lambda F, L, x: F.pad(x, (2, 4), mode="circular"), [X3]),
    Case("pad_circular_2d", lambda F, L, x: F.pad(x, (1, 2, 2, 1), mode="circular"), [X4]),
    Case("pad_circular_3d", lambda F, L, x: F.pad(x, (1, 0, 0, 1, 1, 1), mode="circular"),
         [R(1, 1, 2, 2, 3)]),
    Case("pad_circular_negative", lambda F, L, x: F.pad(x, (2, -1), mode="circular"),
         [R(2, 5)]),
]

NORMS = [
    Case("layer_norm", lambda F, L, x: F.layer_norm(x, (4,)), [X3]),
    Case("layer_norm_affine", lambda F, L, x, w, b: F.layer_norm(x, (3, 4), w, b, 1e-3),
         [X3, R(3, 4), R(3, 4)]),
    Case("layer_norm_weight_only", lambda F, L, x, w: F.layer_norm(x, [4], w), [X3, R(4)]),
    Case("layer_norm_bias_only", lambda F, L, x, b: F.layer_norm(x, [4], None, b), [X3, R(4)]),
    Case("batch_norm_train", lambda F, L, x, w, b: F.batch_norm(
        x, L.zeros(3, dtype=x.dtype), L.ones(3, dtype=x.dtype), w, b, True, 0.3), [X4, W3, B3]),
    Case("batch_norm_train_3d", lambda F, L, x: F.batch_norm(x, None, None, training=True),
         [X3]),
    Case("batch_norm_train_2d_bias", lambda F, L, x, b: F.batch_norm(
        x, None, None, None, b, True), [R(4, 3), B3]),
    Case("batch_norm_eval", lambda F, L, x, w, b, m, v: F.batch_norm(x, m, v, w, b),
         [X4, W3, B3, K(R(3)), K(R(3, lo=0.5, hi=2.0))]),
    Case("torch.batch_norm", lambda F, L, x, w, b: L.batch_norm(
        x, w, b, None, None, True, 0.1, 1e-5, False), [X3, W3, B3]),
    Case("torch.layer_norm", lambda F, L, x, w: L.layer_norm(x, [4], w), [X3, R(4)]),
    Case("torch.group_norm", lambda F, L, x, w, b: L.group_norm(x, 3, w, b), [X3, W3, B3]),
    Case("instance_norm", lambda F, L, x: F.instance_norm(x), [X3]),
    Case("instance_norm_affine", lambda F, L, x, w, b: F.instance_norm(x, weight=w, bias=b),
         [X4, W3, B3]),
    Case("instance_norm_running", lambda F, L, x: F.instance_norm(
        x, L.zeros(3, dtype=x.dtype), L.ones(3, dtype=x.dtype), momentum=0.4), [X4]),
    Case("instance_norm_eval", lambda F, L, x, m, v: F.instance_norm(
        x, m, v, use_input_stats=False), [X3, K(R(3)), K(R(3, lo=0.5, hi=2.0))]),
    Case("group_norm", lambda F, L, x: F.group_norm(x, 3), [R(2, 6, 2)]),
    Case("group_norm_affine", lambda F, L, x, w, b: F.group_norm(x, 2, w, b),
         [R(2, 4, 2, 2), R(4), R(4)]),
    Case("group_norm_2d", lambda F, L, x: F.group_norm(x, 1), [R(3, 4)]),
    Case("rms_norm", lambda F, L, x: F.rms_norm(x, (4,)), [X3]),
    Case("rms_norm_weight", lambda F, L, x, w: F.rms_norm(x, [3, 4], w, 1e-3), [X3, R(3, 4)]),
]

DISTANCES = [
    Case("cosine_similarity", lambda F, L, a, b: F.cosine_similarity(a, b), [X3, R(2, 3, 4)]),
    Case("cosine_similarity_broadcast", lambda F, L, a, b: F.cosine_similarity(a, b, -1, 0.1),
         [X3, R(4)]),
    Case("torch.cosine_similarity", lambda F, L, a, b: L.cosine_similarity(a, b, 0), [X, R(2, 3)]),
    Case("pairwise_distance", lambda F, L, a, b: F.pairwise_distance(a, b), [X3, R(2, 3, 4)]),
    Case("pairwise_distance_p1_keepdim", lambda F, L, a, b: F.pairwise_distance(
        a, b, 1.0, keepdim=True), [X, R(2, 3)]),
    Case("pairwise_distance_inf", lambda F, L, a, b: F.pairwise_distance(a, b, float("inf")),
         [X, R(2, 3)]),
    Case("pairwise_distance_1d", lambda F, L, a, b: F.pairwise_distance(a, b, 3.0),
         [R(4), R(4)]),
    Case("cdist", lambda F, L, a, b: L.cdist(a, b), [R(3, 4), R(2, 4)]),
    Case("cdist_batched_p1", lambda F, L, a, b: L.cdist(a, b, 1.0), [R(2, 3, 2), R(2, 4, 2)]),
    Case("cdist_p3", lambda F, L, a, b: L.cdist(a, b, 3.0), [R(3, 2), R(4, 2)]),
    Case("cdist_inf", lambda F, L, a, b: L.cdist(a, b, float("inf")), [R(3, 2), R(4, 2)]),
    Case("cdist_p0", lambda F, L, a, b: L.cdist(a, b, 0.0), [R(3, 2), R(4, 2)], fd=False),
    Case("cdist_mm_path", lambda F, L, a, b: L.cdist(a, b), [R(27, 3), R(4, 3)], fd=False,
         rtol=1e-3, atol=1e-4),
    Case("cdist_use_mm", lambda F, L, a, b: L.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
         [R(3, 3), R(4, 3)], fd=False, rtol=1e-3, atol=1e-4),
]


def _reductions(name: str, fn: Callable, inputs: list, **kw) -> list:
    return [Case(f"{name}_{r}", (lambda r: lambda F, L, *a: fn(F, L, *a, reduction=r))(r),
                 inputs, **kw) for r in ("none", "mean", "sum")]


T23 = R(2, 3)
P23 = R(2, 3, lo=0.05, hi=0.95)
LOSSES = [
    *_reductions("mse_loss", lambda F, L, x, t, **k: F.mse_loss(x, t, **k), [X, T23]),
    *_reductions("mse_loss_weight", lambda F, L, x, t, w, **k: F.mse_loss(x, t, weight=w, **k),
                 [X, T23, K(R(2, 3, lo=0.5, hi=1.5))]),
    Case("mse_loss_broadcast", lambda F, L, x, t: F.mse_loss(x, t), [X, R(3)]),
    *_reductions("l1_loss", lambda F, L, x, t, **k: F.l1_loss(x, t, **k), [X, T23]),
    Case("l1_loss_weight", lambda F, L, x, t, w: F.l1_loss(x, t, weight=w), [X, T23, K(R(2, 3))]),
    *_reductions("smooth_l1_loss", lambda F, L, x, t, **k: F.smooth_l1_loss(x, t, beta=0.5, **k),
                 [X, T23]),
    Case("smooth_l1_loss_beta0", lambda F, L, x, t: F.smooth_l1_loss(x, t, beta=0.0), [X, T23]),
    *_reductions("huber_loss", lambda F, L, x, t, **k: F.huber_loss(x, t, delta=0.7, **k),
                 [X, T23]),
    *_reductions("huber_loss_weight", lambda F, L, x, t, w, **k: F.huber_loss(
        x, t, weight=w, **k), [X, T23, K(R(2, 3))]),
    *_reductions("soft_margin_loss", lambda F, L, x, t, **k: F.soft_margin_loss(x, t, **k),
                 [X, K(np.sign(R(2, 3)))]),
    *_reductions("binary_cross_entropy", lambda F, L, x, t, **k: F.binary_cross_entropy(
        x, t, **k), [P23, R(2, 3, lo=0.0, hi=1.0)]),
    Case("binary_cross_entropy_weight", lambda F, L, x, t, w: F.binary_cross_entropy(x, t, w),
         [P23, K(R(2, 3, lo=0.0, hi=1.0)), K(R(3, lo=0.5, hi=1.5))]),
    Case("binary_cross_entropy_sigmoid", lambda F, L, x, t: F.binary_cross_entropy(
        x.sigmoid(), t), [X, K(R(2, 3, lo=0.0, hi=1.0))]),
    *_reductions("bce_with_logits", lambda F, L, x, t, **k: F.binary_cross_entropy_with_logits(
        x, t, pos_weight=L.tensor([1.0, 2.0, 0.5], dtype=x.dtype), **k),
        [X, R(2, 3, lo=0.0, hi=1.0)]),
    *_reductions("nll_loss", lambda F, L, x, t, **k: F.nll_loss(x, t, **k),
                 [R(4, 3), Ix([0, 2, 1, 2])]),
    Case("nll_loss_weight_ignore", lambda F, L, x, t, w: F.nll_loss(x, t, w, ignore_index=2),
         [R(4, 3), Ix([0, 2, 1, 2]), K(W3)]),
    Case("nll_loss_all_ignored", lambda F, L, x, t: F.nll_loss(x, t, ignore_index=1),
         [R(2, 3), Ix([1, 1])], fd=False),
    *_reductions("nll_loss_1d", lambda F, L, x, t, **k: F.nll_loss(x, t, **k), [R(3), Ix(2)]),
    *_reductions("nll_loss_3d", lambda F, L, x, t, **k: F.nll_loss(x, t, **k),
                 [R(2, 3, 4), Ix([[0, 1, 2, 1], [2, 2, 0, 1]])]),
    *_reductions("nll_loss_4d", lambda F, L, x, t, w, **k: F.nll_loss(x, t, w, **k),
                 [R(2, 3, 2, 1), Ix([[[0], [1]], [[2], [2]]]), K(W3)]),
    *_reductions("cross_entropy", lambda F, L, x, t, **k: F.cross_entropy(x, t, **k),
                 [R(4, 3), Ix([0, 2, 1, 2])]),
    *_reductions("cross_entropy_1d", lambda F, L, x, t, **k: F.cross_entropy(x, t, **k),
                 [R(3), Ix(1)]),
    *_reductions("cross_entropy_weight_ignore", lambda F, L, x, t, w, **k: F.cross_entropy(
        x, t, w, ignore_index=1, **k), [R(4, 3), Ix([0, 2, 1, 2]), K(W3)]),
    *_reductions("cross_entropy_smoothing", lambda F, L, x, t, **k: F.cross_entropy(
        x, t, label_smoothing=0.2, **k), [R(4, 3), Ix([0, 2, 1, 2])]),
    *_reductions("cross_entropy_smoothing_weight_ignore", lambda F, L, x, t, w, **k:
                 F.cross_entropy(x, t, w, ignore_index=2, label_smoothing=0.3, **k),
                 [R(4, 3), Ix([0, 2, 1, 2]), K(W3)]),
    *_reductions("cross_entropy_3d", lambda F, L, x, t, **k: F.cross_entropy(x, t, **k),
                 [R(2, 3, 4), Ix([[0, 1, 2, 1], [2, 2, 0, 1]])]),
    *_reductions("cross_entropy_4d_smoothing", lambda F, L, x, t, w, **k: F.cross_entropy(
        x, t, w, label_smoothing=0.1, **k), [R(2, 3, 2, 2), Ix(np.arange(8).reshape(2, 2, 2) % 3),
                                             K(W3)]),
    *_reductions("cross_entropy_5d", lambda F, L, x, t, **k: F.cross_entropy(x, t, **k),
                 [R(1, 3, 2, 2, 2), Ix(np.arange(8).reshape(1, 2, 2, 2) % 3)]),
    *_reductions("cross_entropy_probs", lambda F, L, x, t, **k: F.cross_entropy(x, t, **k),
                 [R(4, 3), K(R(4, 3, lo=0.0, hi=1.0))]),
    *_reductions("cross_entropy_probs_weight_smoothing", lambda F, L, x, t, w, **k:
                 F.cross_entropy(x, t, w, label_smoothing=0.25, **k),
                 [R(2, 3, 2), R(2, 3, 2, lo=0.0, hi=1.0), K(W3)]),
    Case("cross_entropy_probs_1d", lambda F, L, x, t: F.cross_entropy(x, t), [R(3), R(3)]),
    *_reductions("kl_div", lambda F, L, x, t, **k: F.kl_div(x, t, **k),
                 [R(2, 3, lo=-2.0, hi=0.0), R(2, 3, lo=0.1, hi=1.0)]),
    Case("kl_div_batchmean", lambda F, L, x, t: F.kl_div(x, t, reduction="batchmean"),
         [R(2, 3, lo=-2.0, hi=0.0), K(np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]]))]),
    Case("kl_div_log_target", lambda F, L, x, t: F.kl_div(x, t, reduction="sum",
                                                          log_target=True), [X, T23]),
    *_reductions("poisson_nll_loss", lambda F, L, x, t, **k: F.poisson_nll_loss(x, t, **k),
                 [X, R(2, 3, lo=0.0, hi=3.0)]),
    Case("poisson_nll_loss_full", lambda F, L, x, t: F.poisson_nll_loss(
        x, t, log_input=False, full=True), [R(2, 3, lo=0.5, hi=2.0), K(R(2, 3, lo=0.0, hi=4.0))]),
    *_reductions("gaussian_nll_loss", lambda F, L, x, t, v, **k: F.gaussian_nll_loss(
        x, t, v, **k), [X, T23, R(2, 3, lo=0.5, hi=2.0)]),
    Case("gaussian_nll_loss_homoscedastic", lambda F, L, x, t, v: F.gaussian_nll_loss(
        x, t, v, full=True), [X, T23, R(2, lo=0.5, hi=2.0)]),
    Case("gaussian_nll_loss_float_var", lambda F, L, x, t: F.gaussian_nll_loss(x, t, 0.5),
         [X, T23]),
    Case("gaussian_nll_loss_clamped_var", lambda F, L, x, t, v: F.gaussian_nll_loss(
        x, t, v, eps=0.3), [X, T23, R(2, 3, lo=0.1, hi=0.6)], fd=False),
    *_reductions("margin_ranking_loss", lambda F, L, a, b, t, **k: F.margin_ranking_loss(
        a, b, t, 0.3, **k), [R(5), R(5), K(np.array([1.0, -1, 1, -1, 1]))]),
    *_reductions("hinge_embedding_loss", lambda F, L, x, t, **k: F.hinge_embedding_loss(
        x, t, 0.7, **k), [X, K(np.array([[1.0, -1, 1], [-1, -1, 1]]))]),
    *_reductions("multilabel_soft_margin_loss", lambda F, L, x, t, **k:
                 F.multilabel_soft_margin_loss(x, t, **k), [X, K(R(2, 3, lo=0.0, hi=1.0))]),
    Case("multilabel_soft_margin_loss_weight", lambda F, L, x, t, w:
         F.multilabel_soft_margin_loss(x, t, w), [X, K(R(2, 3, lo=0.0, hi=1.0)), K(W3)]),
    *_reductions("triplet_margin_loss", lambda F, L, a, p, n, **k: F.triplet_margin_loss(
        a, p, n, **k), [X3, R(2, 3, 4), R(2, 3, 4)]),
    Case("triplet_margin_loss_swap_p1", lambda F, L, a, p, n: F.triplet_margin_loss(
        a, p, n, margin=2.0, p=1, swap=True), [X, R(2, 3), R(2, 3)]),
    *_reductions("cosine_embedding_loss", lambda F, L, a, b, t, **k: F.cosine_embedding_loss(
        a, b, t, 0.2, **k), [R(3, 4), R(3, 4), Ix([1, -1, -1])]),
    Case("cosine_embedding_loss_1d", lambda F, L, a, b, t: F.cosine_embedding_loss(a, b, t),
         [R(4), R(4), Ix(-1)]),
]


def _ctc(F, L, x, reduction="mean", zero_infinity=False, concat=False, unbatched=False,
         blank=0):
    lp = x.log_softmax(-1)
    if unbatched:
        return F.ctc_loss(lp[:, 0], L.tensor([1, 2, 2]), L.tensor(5), L.tensor(3),
                          reduction=reduction)
    tgt = L.tensor([1, 2, 2, 3, 1]) if concat else L.tensor([[1, 2, 2], [3, 1, 0]])
    tgt = tgt if blank == 0 else tgt % 3
    return F.ctc_loss(lp, tgt, L.tensor([6, 4]), L.tensor([3, 2]), blank, reduction,
                      zero_infinity)


CTC = [
    *_reductions("ctc_loss", lambda F, L, x, **k: _ctc(F, L, x, **k), [R(6, 2, 4)], fd2=False),
    Case("ctc_loss_concatenated", lambda F, L, x: _ctc(F, L, x, concat=True), [R(6, 2, 4)],
         fd2=False),
    Case("ctc_loss_unbatched", lambda F, L, x: _ctc(F, L, x, unbatched=True), [R(6, 1, 4)],
         fd2=False),
    Case("ctc_loss_blank3", lambda F, L, x: _ctc(F, L, x, "sum", blank=3), [R(6, 2, 4)],
         fd2=False),
    Case("ctc_loss_infeasible", lambda F, L, x: F.ctc_loss(
        x.log_softmax(-1), L.tensor([[1, 1, 1]]), [3], [3], reduction="none"), [R(3, 1, 4)],
        fd=False),
    Case("ctc_loss_zero_infinity", lambda F, L, x: F.ctc_loss(
        x.log_softmax(-1), L.tensor([[1, 1, 1], [2, 3, 0]]), [3, 3], [3, 2], reduction="sum",
        zero_infinity=True), [R(3, 2, 4)], fd=False),
    Case("ctc_loss_lists", lambda F, L, x: F.ctc_loss(
        x.log_softmax(-1), L.tensor([[1, 2], [3, 3]]), (5, 4), [2, 2]), [R(5, 2, 4)], fd2=False),
]

Q4, K4, V4 = R(2, 2, 3, 4), R(2, 2, 5, 4), R(2, 2, 5, 4)
ATTENTION = [
    Case("sdpa_flash", lambda F, L, q, k, v: F.scaled_dot_product_attention(q, k, v),
         [Q4, K4, V4]),
    Case("sdpa_flash_causal_scale", lambda F, L, q, k, v: F.scaled_dot_product_attention(
        q, k, v, is_causal=True, scale=0.3), [Q4, K4, V4]),
    Case("sdpa_flash_bool_mask", lambda F, L, q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=L.tensor([[True, False, True, True, False]] * 3)), [Q4, K4, V4]),
    Case("sdpa_flash_float_mask_4d", lambda F, L, q, k, v, m: F.scaled_dot_product_attention(
        q, k, v, attn_mask=m), [Q4, K4, V4, K(R(2, 1, 3, 5))]),
    Case("sdpa_flash_gqa", lambda F, L, q, k, v: F.scaled_dot_product_attention(
        q, k, v, enable_gqa=True), [R(1, 4, 3, 2), R(1, 2, 3, 2), R(1, 2, 3, 2)]),
    Case("sdpa_math_3d", lambda F, L, q, k, v: F.scaled_dot_product_attention(q, k, v),
         [R(2, 3, 4), R(2, 5, 4), R(2, 5, 4)]),
    Case("sdpa_math_2d_causal", lambda F, L, q, k, v: F.scaled_dot_product_attention(
        q, k, v, is_causal=True), [R(3, 4), R(3, 4), R(3, 2)]),
    Case("sdpa_math_value_dim", lambda F, L, q, k, v: F.scaled_dot_product_attention(q, k, v),
         [Q4, K4, R(2, 2, 5, 3)]),
    Case("sdpa_math_mask_grad", lambda F, L, q, k, v, m: F.scaled_dot_product_attention(
        q, k, v, attn_mask=m), [Q4, K4, V4, R(3, 5)]),
    Case("sdpa_math_bool_mask_row_masked", lambda F, L, q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=L.tensor([[False] * 5, [True] * 5, [True, False] * 2 + [True]])),
        [R(2, 3, 4), R(2, 5, 4), R(2, 5, 4)]),
    Case("sdpa_dropout", _seeded(lambda F, L, q, k, v: F.scaled_dot_product_attention(
        q, k, v, dropout_p=0.4)), [Q4, K4, V4], fd=False),
]

DROPOUT = [
    Case("dropout", _seeded(lambda F, L, x: F.dropout(x, 0.3)), [R(4, 5)], fd=False),
    Case("dropout_inplace", _seeded(lambda F, L, x: F.dropout(x * 1, 0.6, inplace=True)),
         [R(4, 5)], fd=False),
    Case("dropout_eval", lambda F, L, x: F.dropout(x * 1, 0.3, training=False), [R(4, 5)]),
    Case("dropout_p1", lambda F, L, x: F.dropout(x, 1.0), [R(4, 5)], fd=False),
    Case("torch.dropout", _seeded(lambda F, L, x: L.dropout(x, 0.5, True)), [R(4, 5)],
         fd=False),
    Case("dropout1d", _seeded(lambda F, L, x: F.dropout1d(x, 0.5)), [R(3, 4, 2)], fd=False),
    Case("dropout1d_unbatched", _seeded(lambda F, L, x: F.dropout1d(x, 0.5)), [R(4, 3)],
         fd=False),
    Case("dropout2d", _seeded(lambda F, L, x: F.dropout2d(x, 0.5)), [R(2, 4, 2, 2)], fd=False),
    Case("dropout2d_3d", _seeded(lambda F, L, x: F.dropout2d(x, 0.5)), [R(2, 4, 2)], fd=False),
    Case("dropout3d_unbatched", _seeded(lambda F, L, x: F.dropout3d(x, 0.5)), [R(4, 2, 2, 1)],
         fd=False),
    Case("alpha_dropout", _seeded(lambda F, L, x: F.alpha_dropout(x, 0.3, True)), [R(4, 5)],
         fd=False),
    Case("alpha_dropout_eval", lambda F, L, x: F.alpha_dropout(x * 1, 0.3), [R(4, 5)]),
    Case("feature_alpha_dropout", _seeded(lambda F, L, x: F.feature_alpha_dropout(
        x, 0.5, True)), [R(3, 4, 2)], fd=False),
]

CASES = ACTIVATIONS + SOFTMAX + LINEAR + EMBED_PAD + NORMS + DISTANCES + LOSSES + CTC + \
    ATTENTION + DROPOUT


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_matches_torch(case, dtype_name):
    _check_against_torch(case, dtype_name)


@pytest.mark.parametrize("case", [c for c in CASES if c.fd and any(
    isinstance(s, np.ndarray) for s in c.inputs)], ids=repr)
def test_finite_differences(case):
    _check_fd(case)


# *** double backward against torch ***

SECOND_ORDER = [
    ("softmax", lambda F, L, x: F.softmax(x, 1), [X3]),
    ("log_softmax", lambda F, L, x: F.log_softmax(x, 0), [X3]),
    ("gelu", lambda F, L, x: F.gelu(x), [X]),
    ("gelu_tanh", lambda F, L, x: F.gelu(x, approximate="tanh"), [X]),
    ("elu", lambda F, L, x: F.elu(x, 0.5), [X]),
    ("layer_norm", lambda F, L, x, w, b: F.layer_norm(x, (4,), w, b), [X3, R(4), R(4)]),
    ("batch_norm", lambda F, L, x, w, b: F.batch_norm(x, None, None, w, b, True), [X3, W3, B3]),
    ("group_norm", lambda F, L, x, w: F.group_norm(x, 3, w), [R(2, 3, 2), W3]),
    ("cross_entropy", lambda F, L, x: F.cross_entropy(x, L.tensor([0, 2])), [X]),
    ("nll_loss_weight", lambda F, L, x: F.nll_loss(x, L.tensor([0, 2]), L.tensor(
        [1.0, 2.0, 0.5], dtype=x.dtype)), [X]),
    ("mse_loss", lambda F, L, x, t: F.mse_loss(x, t), [X, T23]),
    ("sdpa_math", lambda F, L, q, k, v, m: F.scaled_dot_product_attention(q, k, v, m),
     [R(2, 3, 4), R(2, 5, 4), R(2, 5, 4), K(R(3, 5))]),
    ("pad_reflect", lambda F, L, x: F.pad(x, (1, 2), mode="reflect"), [X3]),
    ("embedding", lambda F, L, w: F.embedding(L.tensor([0, 2, 2]), w, padding_idx=0),
     [R(3, 2)]),
    ("binary_cross_entropy", lambda F, L, x, t: F.binary_cross_entropy(x, t), [P23, T23 * 0 + 0.3]),
    ("softplus", lambda F, L, x: F.softplus(x, 2.0, 1.0), [X]),
    ("silu", lambda F, L, x: F.silu(x), [X]),
    ("mish", lambda F, L, x: F.mish(x), [X]),
    ("normalize", lambda F, L, x: F.normalize(x), [X3]),
    ("cosine_similarity", lambda F, L, a, b: F.cosine_similarity(a, b), [X, R(2, 3)]),
    ("kl_div", lambda F, L, x, t: F.kl_div(x, t, reduction="batchmean"), [X, R(2, 3, lo=0.1,
                                                                              hi=1.0)]),
]


@pytest.mark.parametrize("name,fn,inputs", SECOND_ORDER, ids=[s[0] for s in SECOND_ORDER])
def test_double_backward_matches_torch(name, fn, inputs):
    torch = import_torch()
    results = []
    for lib in (ndgrad, torch):
        args = [_make(lib, s, lib.float64) for s in inputs]
        out = fn(lib.nn.functional, lib, *args)
        diff = [a for a in args if a.requires_grad]
        w = lib.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)),
                       dtype=lib.float64, requires_grad=True)  # makes linear ops' grads live
        grads = lib.autograd.grad((out * w).sum(), diff, create_graph=True, allow_unused=True)
        total = sum((g * g).sum() for g in grads if g is not None)
        second = lib.autograd.grad(total, diff + [w], allow_unused=True)
        results.append([None if g is None else _np(g) for g in second])
    for a, b in zip(*results):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_ctc_double_backward_raises_like_torch():
    torch = import_torch()
    msgs = []
    for lib in (ndgrad, torch):
        lp = lib.tensor(R(4, 1, 3), dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.ctc_loss(lp, lib.tensor([[1, 2]]), [4], [2])
        (g,) = lib.autograd.grad(y, lp, create_graph=True)
        with pytest.raises(RuntimeError) as e:
            g.sum().backward()
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


# *** state: running statistics, in-place renormalisation, identities ***

def test_batch_norm_running_stats_match_torch():
    torch = import_torch()
    x = R(5, 3, 2)
    stats = []
    for lib in (ndgrad, torch):
        rm, rv = lib.tensor([0.5, -1.0, 2.0]), lib.tensor([1.0, 2.0, 0.5])
        for momentum in (0.1, 0.7):
            lib.nn.functional.batch_norm(lib.tensor(x, dtype=lib.float32), rm, rv,
                                         training=True, momentum=momentum)
        lib.nn.functional.batch_norm(lib.tensor(x, dtype=lib.float32), rm, rv)  # eval: no update
        stats.append((_np(rm), _np(rv), rm._version, rv._version))
    np.testing.assert_allclose(stats[0][0], stats[1][0], rtol=1e-6)
    np.testing.assert_allclose(stats[0][1], stats[1][1], rtol=1e-6)  # unbiased variance
    assert stats[0][2:] == stats[1][2:]


@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 2), (2, 3, 0)])
def test_batch_norm_on_an_empty_batch_matches_torch(shape):
    # torch short-cuts empty input: a clone scaled by weight[0] and shifted by bias[0], no
    # statistics, running ones untouched, zero gradients
    torch = import_torch()
    got = []
    for lib in (ndgrad, torch):
        x = lib.zeros(shape, dtype=lib.float64, requires_grad=True)
        w = lib.tensor([2.0, 3.0, 4.0], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([1.0, 1.0, 1.0], dtype=lib.float64, requires_grad=True)
        rm, rv = lib.tensor([0.5, -1.0, 2.0]), lib.tensor([1.0, 2.0, 0.5])
        y = lib.nn.functional.batch_norm(x, rm, rv, w, b, training=True)
        gx, gw, gb = lib.autograd.grad(y.sum(), (x, w, b))
        got.append((tuple(y.shape), type(y.grad_fn).__name__, _np(rm).tolist(), _np(rv).tolist(),
                    rm._version, gx.shape, _np(gw).tolist(), _np(gb).tolist()))
    assert got[0] == got[1]


def test_instance_norm_running_stats_match_torch():
    torch = import_torch()
    x = R(2, 3, 4)
    stats = []
    for lib in (ndgrad, torch):
        rm, rv = lib.zeros(3), lib.ones(3)
        lib.nn.functional.instance_norm(lib.tensor(x, dtype=lib.float32), rm, rv, momentum=0.3)
        stats.append((_np(rm), _np(rv)))
    np.testing.assert_allclose(stats[0][0], stats[1][0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(stats[0][1], stats[1][1], rtol=1e-6, atol=1e-7)


def test_batch_norm_eval_saves_running_stats_like_torch():
    torch = import_torch()
    msgs = []
    for lib in (ndgrad, torch):
        x = lib.tensor(R(4, 3), dtype=lib.float32, requires_grad=True)
        rm, rv = lib.zeros(3), lib.ones(3)
        y = lib.nn.functional.batch_norm(x, rm, rv)
        rm.add_(1)
        with pytest.raises(RuntimeError) as e:
            y.sum().backward()
        msgs.append(str(e.value))
    assert all("modified by an inplace operation" in m for m in msgs)


def test_embedding_max_norm_renormalises_in_place_like_torch():
    torch = import_torch()
    w0 = R(5, 3) * 3
    out = []
    for lib in (ndgrad, torch):
        w = lib.tensor(w0, dtype=lib.float32, requires_grad=True)
        y = lib.nn.functional.embedding(lib.tensor([0, 2, 2, 4]), w, max_norm=1.5, norm_type=1.0)
        y.sum().backward()
        out.append((_np(w), _np(y), _np(w.grad), w._version))
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_integer_inputs_like_torch():
    torch = import_torch()
    for fn in (lambda F, L: F.hardtanh(L.tensor([-3, 0, 3])),
               lambda F, L: F.relu6(L.tensor([-3, 9])),
               lambda F, L: F.threshold(L.tensor([1, 5]), 2, -7),
               lambda F, L: F.pad(L.tensor([[1, 2]]), (1, 1), mode="reflect"),
               lambda F, L: F.embedding(L.tensor([1]), L.tensor([[1, 2], [3, 4]])),
               lambda F, L: F.softsign(L.tensor([1, 2]))):
        a, b = fn(NF, ndgrad), fn(torch.nn.functional, torch)
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(_np(a), _np(b))


def test_dropout_eval_and_zero_p_return_input():
    x = ndgrad.randn(3, requires_grad=True)
    assert NF.dropout(x, 0.5, training=False) is x
    assert NF.dropout(x, 0.0) is x
    assert NF.alpha_dropout(x, 0.5) is x
    assert NF.dropout2d(ndgrad.ones(1, 2, 2, 2), 0.5, training=False).shape == (1, 2, 2, 2)


def test_dropout_statistics():
    ndgrad.manual_seed(0)
    x = ndgrad.ones(200, 100)
    y = NF.dropout(x, 0.3)
    kept = y._data != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y._data[kept], 1 / 0.7, rtol=1e-6)
    a = NF.alpha_dropout(ndgrad.randn(400, 100), 0.2, training=True)
    assert abs(a._data.mean()) < 0.05 and abs(a._data.std() - 1) < 0.05
    c = NF.dropout2d(ndgrad.ones(50, 40, 3, 3), 0.5)._data
    assert (c.reshape(50, 40, 9).std(-1) == 0).all()  # whole channels dropped together


# *** errors: torch's exception types and messages ***

ERRORS = [
    lambda F, L: F.softmax(L.randn(2, 3), 2),
    lambda F, L: F.softmax(L.tensor([1, 2]), 0),
    lambda F, L: F.log_softmax(L.tensor([1, 2]), 0),
    lambda F, L: F.gelu(L.tensor([1, 2])),
    lambda F, L: F.elu(L.tensor([1, 2])),
    lambda F, L: F.leaky_relu(L.tensor([1, 2])),
    lambda F, L: F.silu(L.tensor([1, 2])),
    lambda F, L: F.mish(L.tensor([1, 2])),
    lambda F, L: F.softplus(L.tensor([1, 2])),
    lambda F, L: F.hardswish(L.tensor([1, 2])),
    lambda F, L: F.logsigmoid(L.tensor([1, 2])),
    lambda F, L: F.glu(L.tensor([1, 2])),
    lambda F, L: F.layer_norm(L.tensor([1, 2]), (2,)),
    lambda F, L: F.mse_loss(L.tensor([1, 2]), L.tensor([1, 2])),
    lambda F, L: F.hardtanh(L.randn(3), 1.0, -1.0),
    lambda F, L: F.celu(L.randn(3), 0.0),
    lambda F, L: F.leaky_relu(L.randn(3, requires_grad=True) * 1, -0.1, inplace=True).sum()
    .backward(),
    lambda F, L: F.elu(L.randn(3, requires_grad=True) * 1, -0.5, inplace=True).sum().backward(),
    lambda F, L: F.relu(L.randn(3, requires_grad=True), inplace=True),
    lambda F, L: F.dropout(L.randn(3, requires_grad=True), 0.5, inplace=True),
    lambda F, L: F.glu(L.randn(3, 3), 1),
    lambda F, L: F.glu(L.tensor(1.0)),
    lambda F, L: F.gelu(L.randn(3), approximate="x"),
    lambda F, L: F.softshrink(L.randn(3), -1.0),
    lambda F, L: F.prelu(L.randn(2, 3), L.randn(2)),
    lambda F, L: F.prelu(L.randn(2, 3), L.randn(1, 3)),
    lambda F, L: F.linear(L.tensor(1.0), L.randn(2, 3)),
    lambda F, L: F.linear(L.randn(2, 4), L.randn(2, 3)),
    lambda F, L: F.bilinear(L.randn(2, 3), L.randn(3, 4), L.randn(5, 3, 4)),
    lambda F, L: F.dropout(L.randn(3), 1.5),
    lambda F, L: F.dropout1d(L.randn(3), 0.5),
    lambda F, L: F.embedding(L.tensor([5]), L.randn(3, 2)),
    lambda F, L: F.embedding(L.tensor([1.0]), L.randn(3, 2)),
    lambda F, L: F.embedding(L.tensor([1]), L.randn(3, 2), padding_idx=7),
    lambda F, L: F.one_hot(L.tensor([1, 2]).int()),
    lambda F, L: F.one_hot(L.tensor([1, -2])),
    lambda F, L: F.one_hot(L.tensor([1, 5]), 3),
    lambda F, L: F.one_hot(L.tensor([], dtype=L.long)),
    lambda F, L: F.pad(L.randn(2, 3), (1,)),
    lambda F, L: F.pad(L.randn(2, 3), (1, 1, 1, 1, 1, 1)),
    lambda F, L: F.pad(L.randn(2, 3), (1, 1), mode="foo"),
    lambda F, L: F.pad(L.randn(2, 3), (1, 1, 1, 1), mode="reflect"),
    lambda F, L: F.pad(L.randn(3, 4), (5, 5), mode="reflect"),
    lambda F, L: F.pad(L.randn(1, 2, 3, 4), (1, 1, 5, 5), mode="reflect"),
    lambda F, L: F.pad(L.randn(1, 2, 3, 4), (1, 1, 5, 5), mode="circular"),
    lambda F, L: F.pad(L.randn(2, 3), (1, 1), mode="reflect", value=1.0),
    lambda F, L: F.layer_norm(L.randn(3, 5), (4,)),
    lambda F, L: F.layer_norm(L.randn(3, 4), (4,), L.randn(3)),
    lambda F, L: F.layer_norm(L.randn(3, 4), 4),
    lambda F, L: F.batch_norm(L.randn(2, 3), None, None),
    lambda F, L: F.group_norm(L.randn(2, 3, 4), 2),
    lambda F, L: F.group_norm(L.randn(2, 4, 4), 2, L.randn(3)),
    lambda F, L: F.group_norm(L.randn(1, 2), 2),
    lambda F, L: F.batch_norm(L.randn(1, 3), None, None, training=True),
    lambda F, L: F.batch_norm(L.randn(2, 3), L.zeros(4), L.ones(4)),
    lambda F, L: F.batch_norm(L.randn(0, 3), L.zeros(4), L.ones(4), L.ones(0), training=True),
    lambda F, L: F.instance_norm(L.randn(2, 3, 1)),
    lambda F, L: F.instance_norm(L.randn(2, 3, 4), use_input_stats=False),
    lambda F, L: F.rms_norm(L.randn(2, 3), (4,)),
    lambda F, L: F.mse_loss(L.randn(3), L.randn(3), reduction="bad"),
    lambda F, L: F.smooth_l1_loss(L.randn(3), L.randn(3), beta=-1.0),
    lambda F, L: F.huber_loss(L.randn(3), L.randn(3), delta=0.0),
    lambda F, L: F.binary_cross_entropy(L.rand(2, 3), L.rand(3)),
    lambda F, L: F.binary_cross_entropy(L.rand(2, 3) + 1, L.rand(2, 3)),
    lambda F, L: F.cross_entropy(L.randn(2, 3), L.randn(2, 3).long()),
    lambda F, L: F.cross_entropy(L.randn(2, 3), L.rand(2, 3), ignore_index=1),
    lambda F, L: F.cross_entropy(L.randn(2, 3), L.tensor([0, 1]), label_smoothing=1.5),
    lambda F, L: F.cross_entropy(L.randn(2, 3), L.tensor([0, 1]), weight=L.ones(4)),
    lambda F, L: F.cross_entropy(L.randn(3, 4), L.tensor([0, 1])),
    lambda F, L: F.cross_entropy(L.randn(3, 4), L.tensor([0, -1, 1])),
    lambda F, L: F.cross_entropy(L.randn(3, 4), L.tensor([0, 4, 1])),
    lambda F, L: F.nll_loss(L.randn(3, 4, 2, 2), L.zeros(3, 2, 2, dtype=L.long) + 7),
    lambda F, L: F.nll_loss(L.randn(3, 4), L.tensor([0.0, 1, 1])),
    lambda F, L: F.nll_loss(L.randn(3, 4), L.tensor([0, 1, 1]).int()),
    lambda F, L: F.nll_loss(L.randn(3, 4, 5), L.zeros(3, 4, dtype=L.long)),
    lambda F, L: F.nll_loss(L.tensor(1.0), L.tensor(0)),
    lambda F, L: F.margin_ranking_loss(L.randn(3), L.randn(3), L.randn(2, 3)),
    lambda F, L: F.triplet_margin_loss(L.randn(3, 2), L.randn(3, 2), L.randn(2)),
    lambda F, L: F.triplet_margin_loss(L.randn(3, 2), L.randn(3, 2), L.randn(3, 2), margin=0.0),
    lambda F, L: F.cosine_embedding_loss(L.randn(3, 2), L.randn(3, 2), L.randn(3, 2)),
    lambda F, L: F.cosine_embedding_loss(L.randn(3), L.randn(3), L.randn(3)),
    lambda F, L: F.kl_div(L.randn(3), L.rand(3), reduction="bad"),
    lambda F, L: F.gaussian_nll_loss(L.randn(3, 2), L.randn(3, 2), L.rand(2, 2)),
    lambda F, L: F.gaussian_nll_loss(L.randn(3, 2), L.randn(3, 2), -L.rand(3, 2)),
    lambda F, L: F.ctc_loss(L.randn(5, 2, 4).log_softmax(2), L.tensor([[1, 2], [1, 1]]), [5, 5],
                            [2, 2], blank=4),
    lambda F, L: F.ctc_loss(L.randn(5, 2, 4).log_softmax(2), L.tensor([[1, 2], [1, 1]]), [6, 5],
                            [2, 2]),
    lambda F, L: F.ctc_loss(L.randn(5, 2, 4).log_softmax(2), L.tensor([[1, 2], [1, 1]]), [5, 5],
                            [3, 2]),
    lambda F, L: F.ctc_loss(L.randn(5, 2, 4).log_softmax(2), L.tensor([1, 2, 1]), [5, 5],
                            [2, 2]),
    lambda F, L: F.ctc_loss(L.randn(5, 2, 4).log_softmax(2), L.tensor([1, 2, 1]), [5], [2, 1]),
    lambda F, L: F.scaled_dot_product_attention(L.randn(2, 3, 4), L.randn(2, 3, 4),
                                                L.randn(2, 3, 4), L.ones(3, 3, dtype=L.bool),
                                                is_causal=True),
    lambda F, L: L.cdist(L.randn(3), L.randn(2, 3)),
    lambda F, L: L.cdist(L.randn(2, 3), L.randn(2, 4)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    torch = import_torch()
    caught = []
    for lib in (ndgrad, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as e:
                ERRORS[i](lib.nn.functional, lib)
        caught.append(e.value)
    assert type(caught[0]) is type(caught[1]), (caught[0], caught[1])
    assert str(caught[0]) == str(caught[1])


WARNINGS = [
    lambda F, L: F.softmax(L.randn(2, 3)),
    lambda F, L: F.mse_loss(L.randn(2, 3), L.randn(3)),
    lambda F, L: F.kl_div(L.randn(3), L.rand(3)),
    lambda F, L: F.dropout2d(L.randn(2, 3, 4), 0.5, training=False),
    lambda F, L: F.l1_loss(L.randn(3), L.randn(3), size_average=False),
]


@pytest.mark.parametrize("i", range(len(WARNINGS)))
def test_warnings_match_torch(i):
    torch = import_torch()
    seen = []
    for lib in (ndgrad, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            WARNINGS[i](lib.nn.functional, lib)
        seen.append([(x.category, str(x.message)) for x in w])
    assert seen[0] == seen[1]
