"""torch.nn.functional: argument handling and composites over ndgrad ops (rules live only in
ndgrad._ops; the ops whose nodes users see by name are in ndgrad/_ops/nn*.py). Losses and
normalizations, dropout and attention, convolution and pooling have files of their own
(_loss_functional.py, ...); all are re-exported here."""
from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from .. import _creation, _random
from .._ops import _inplace
from .._ops import nn as _nn
from .._ops import nn_misc as _misc
from .._ops.inplace import bump_version
from .._ops._registry import REGISTRY, composite
from .._ops.nn import (  # noqa: F401  (re-exported: torch.nn.functional.<name>)
    cdist, cosine_similarity, pairwise_distance, prelu,
)
from .._ops.nn_misc import channel_shuffle, conv_tbc  # noqa: F401  (re-exported)
from .._ops.nn_misc import channel_shuffle as native_channel_shuffle  # noqa: F401
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._loss_functional import (  # noqa: F401  (re-exported)
    binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss,
    cross_entropy, ctc_loss, gaussian_nll_loss, hinge_embedding_loss, huber_loss, kl_div,
    l1_loss, margin_ranking_loss, mse_loss, multilabel_soft_margin_loss, nll_loss,
    poisson_nll_loss, smooth_l1_loss, soft_margin_loss, triplet_margin_loss,
)
from ._norm_functional import (  # noqa: F401  (re-exported)
    batch_norm, group_norm, instance_norm, layer_norm, local_response_norm, normalize, rms_norm,
)
from ._embedding_functional import embedding_bag  # noqa: F401  (re-exported)
from ._vision_functional import affine_grid, grid_sample  # noqa: F401  (re-exported)
from ._margin_functional import (  # noqa: F401  (re-exported)
    linear_cross_entropy, multi_margin_loss, multilabel_margin_loss, triplet_margin_with_distance_loss,
)
from ._pool_functional import (  # noqa: F401  (LP, fractional and 3-D pools; unpooling)
    fractional_max_pool2d, fractional_max_pool2d_with_indices, fractional_max_pool3d,
    fractional_max_pool3d_with_indices, lp_pool1d, lp_pool2d, lp_pool3d, max_unpool1d,
    max_unpool2d, max_unpool3d,
)
from ._dropout_functional import (  # noqa: F401  (re-exported)
    alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout,
    scaled_dot_product_attention,
)
from ._attention_functional import multi_head_attention_forward  # noqa: F401
from ._conv_functional import (  # noqa: F401  (convolution and pooling live there)
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d, adaptive_max_pool3d_with_indices, avg_pool1d, avg_pool2d, avg_pool3d,
    max_pool3d, max_pool3d_with_indices, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,
    conv_transpose3d, fold, interpolate, max_pool1d, max_pool1d_with_indices, max_pool2d,
    max_pool2d_with_indices, pixel_shuffle, pixel_unshuffle, unfold, upsample, upsample_bilinear,
    upsample_nearest,
)

_TYPE = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
         "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half"}


def _tensor_like(values: np.ndarray) -> Tensor:
    return Tensor._make(np.asarray(values))


def _enrol(name: str, fn, **tests: Any) -> None:
    """Enter a composite of this file in the op test table (finite differences + real torch)."""
    torch_fn = tests.pop("torch_fn", None) or (
        lambda torch, *a, **k: getattr(torch.nn.functional, name)(*a, **k))
    composite(f"nn.functional.{name}", export=False, method=False, torch_fn=torch_fn, **tests)(fn)


# *** activations ***

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0).

    Example::
        >>> F.relu(ndgrad.tensor([-1., 2.]))
        tensor([0., 2.])
    """
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    """In-place relu."""
    return input.relu_()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-input))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamp input to [min_val, max_val].

    Example::
        >>> F.hardtanh(ndgrad.tensor([-2., 0.5, 2.]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return _inplace(_nn.hardtanh, input, min_val, max_val)
    return _nn.hardtanh(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place hardtanh."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6) (recorded as HardtanhBackward0, as torch does).

    Example::
        >>> F.relu6(ndgrad.tensor([-1., 7.]))
        tensor([0., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input if positive else negative_slope * input.

    Example::
        >>> F.leaky_relu(ndgrad.tensor([-1., 2.]), 0.1)
        tensor([-0.1000,  2.0000])
    """
    if inplace:
        return _inplace(_nn.leaky_relu_, input, negative_slope)
    return _nn.leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place leaky_relu (node LeakyReluBackward1)."""
    return leaky_relu(input, negative_slope, inplace=True)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: negative inputs times a slope drawn from U(lower, upper) per
    element in training (torch's draws), times (lower + upper) / 2 in eval.

    Example::
        >>> F.rrelu(ndgrad.tensor([-2., 3.]), 0.25, 0.75)
        tensor([-1.,  3.])
    """
    noise = _random.default_generator.rrelu_noise(input._data, lower, upper) if training \
        else None
    attrs = {"lower": lower, "upper": upper, "training": training, "noise": noise}
    if inplace:
        return _inplace(_misc.rrelu_with_noise_, input, **attrs)
    return _misc.rrelu_with_noise(input, **attrs)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place rrelu (node RreluWithNoiseBackward1)."""
    return rrelu(input, lower, upper, training, inplace=True)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distance between every pair of rows of (N, M) input: N (N - 1) / 2 values,
    pairs (i < j) in row-major order.

    Example::
        >>> F.pdist(ndgrad.tensor([[0., 0.], [3., 4.], [0., 1.]]))
        tensor([5.0000, 1.0000, 4.2426])
    """
    return _misc._pdist_forward(input, float(p))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input if positive else alpha * (exp(input) - 1).

    Example::
        >>> F.elu(ndgrad.tensor([0., 1.]))
        tensor([0., 1.])
    """
    if inplace:
        return _inplace(_nn.elu_, input, alpha)
    return _nn.elu(input, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place elu (node EluBackward1)."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(input, alpha) with the self-normalising constants (an EluBackward0 node).

    Example::
        >>> F.selu(ndgrad.tensor([0.]))
        tensor([0.])
    """
    fn = _nn.elu_ if inplace else _nn.elu
    args = (_nn._SELU_ALPHA, _nn._SELU_SCALE)
    return _inplace(fn, input, *args) if inplace else fn(input, *args)


def selu_(input: Tensor) -> Tensor:
    """In-place selu."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Example::
        >>> F.celu(ndgrad.tensor([0., 1.]))
        tensor([0., 1.])
    """
    if inplace:
        return _inplace(_nn.celu_, input, alpha)
    return _nn.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place celu (node CeluBackward1)."""
    return celu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Φ(x) ('none') or its tanh approximation ('tanh').

    Example::
        >>> F.gelu(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return _nn.gelu(input, approximate)


def _maybe_inplace(op, input: Tensor, inplace: bool) -> Tensor:
    return _inplace(op, input) if inplace else op(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """input * sigmoid(input).

    Example::
        >>> F.silu(ndgrad.tensor([0.]))
        tensor([0.])
    """
    if input.is_complex() and input.requires_grad and STATE.enabled:
        raise RuntimeError("silu does not support automatic differentiation for outputs with "
                           "complex dtype.")
    return _maybe_inplace(_nn.silu, input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * tanh(softplus(input)).

    Example::
        >>> F.mish(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return _maybe_inplace(_nn.mish, input, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x + 3, 0), 6) / 6.

    Example::
        >>> F.hardsigmoid(ndgrad.tensor([0.]))
        tensor([0.5000])
    """
    return _maybe_inplace(_nn.hardsigmoid, input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * hardsigmoid(x).

    Example::
        >>> F.hardswish(ndgrad.tensor([3.]))
        tensor([3.])
    """
    return _maybe_inplace(_nn.hardswish, input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, linear above threshold.

    Example::
        >>> F.softplus(ndgrad.tensor([0.]))
        tensor([0.6931])
    """
    return _nn.softplus(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(input)).

    Example::
        >>> F.logsigmoid(ndgrad.tensor([0.]))
        tensor([-0.6931])
    """
    return _nn.log_sigmoid(input)


def softsign(input: Tensor) -> Tensor:
    """input / (1 + |input|).

    Example::
        >>> F.softsign(ndgrad.tensor([1.]))
        tensor([0.5000])
    """
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """input - tanh(input).

    Example::
        >>> F.tanhshrink(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return input - input.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Shrink input towards 0 by lambd, zeroing [-lambd, lambd].

    Example::
        >>> F.softshrink(ndgrad.tensor([1., 0.2]))
        tensor([0.5000, 0.0000])
    """
    if lambd < 0:
        dt = input._data.dtype if input._data.dtype.kind == "f" else np.dtype(np.float32)
        raise RuntimeError(f"lambda must be in range [0, {float(np.finfo(dt).max):g}] for input "
                           f"dtype {_TYPE.get(dt.name, dt.name)}, but found {lambd:g}")
    return _nn.softshrink(input, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """input where |input| > lambd, else 0.

    Example::
        >>> F.hardshrink(ndgrad.tensor([1., 0.2]))
        tensor([1., 0.])
    """
    return _nn.hardshrink(input, lambd)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where input <= threshold, else input.

    Example::
        >>> F.threshold(ndgrad.tensor([0.5, 2.]), 1.0, -1.0)
        tensor([-1.,  2.])
    """
    if inplace:
        # torch checks no memory overlap here (threshold_ writes each location the same way)
        return _inplace(_nn.threshold_, input, threshold, value, overlap_ok=True)
    return _nn.threshold(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place threshold (node ThresholdBackward1)."""
    return globals()["threshold"](input, threshold, value, inplace=True)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b) for the halves a, b of input along dim.

    Example::
        >>> F.glu(ndgrad.tensor([1., 0.]))
        tensor([0.5000])
    """
    return _nn.glu(input, dim)


# *** softmax ***

def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim.

    Example::
        >>> F.softmax(ndgrad.tensor([0., 0.]), dim=0)
        tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    return _nn.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """log(softmax(x)) along dim, computed stably.

    Example::
        >>> F.log_softmax(ndgrad.tensor([0., 0.]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    return _nn.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-input) along dim.

    Example::
        >>> F.softmin(ndgrad.tensor([0., 0.]), dim=0)
        tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    return _nn.softmax(-input, dim, dtype)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1) drawn as torch draws it; hard=True
    returns one-hot samples whose gradient is the soft sample's (straight-through).

    Example::
        >>> F.gumbel_softmax(ndgrad.zeros(2, 3), hard=True).sum(-1)
        tensor([1., 1.])
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -_creation.empty_like(logits).exponential_().log()  # ~Gumbel(0, 1)
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = _creation.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# *** linear maps ***

def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, recorded as torch does (AddmmBackward0 for 2-D input).

    Example::
        >>> F.linear(ndgrad.ones(1, 2), ndgrad.ones(3, 2), ndgrad.zeros(3))
        tensor([[2., 2., 2.]])
    """
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.ndim}D and {weight.ndim}D")
    addmm = REGISTRY.get("addmm")
    if bias is not None and addmm is not None and weight.ndim == 2:
        if input.ndim == 2:
            return addmm.public(bias, input, weight.t())
        if input.is_contiguous():  # fold the batch dims into rows: one addmm, then a view back
            out = addmm.public(bias, input.reshape(-1, input.shape[-1]), weight.t())
            return out.view(*input.shape[:-1], weight.shape[0])
    # NOTE: without an addmm op the bias is added after the product (AddBackward0)
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = x1 W_k x2ᵀ + b_k over the last dims of input1 and input2.

    Example::
        >>> F.bilinear(ndgrad.ones(1, 2), ndgrad.ones(1, 3), ndgrad.ones(4, 2, 3)).shape
        torch.Size([1, 4])
    """
    if input1.shape[:-1] != input2.shape[:-1]:
        for d, (a, b) in enumerate(zip(input1.shape, input2.shape)):
            if a != b:
                raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: "
                                   f"got {a} and {b}")
        raise RuntimeError("bilinear(): input batch dimensions do not match")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        bad, got, want = (1, input1.shape[-1], in1) if input1.shape[-1] != in1 else (
            2, input2.shape[-1], in2)
        raise RuntimeError(f"bilinear(): input{bad} size does not match weight size: got {got} "
                           f"but expected {want}")
    batch = input1.shape[:-1]
    x1, x2 = input1.reshape(-1, in1), input2.reshape(-1, in2)
    # (x1 · W_k) for every k in one matmul, then the dot with x2
    t = x1.matmul(weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    out = (t * x2.unsqueeze(1)).sum(-1).view(*batch, out_f)
    return out if bias is None else out + bias


# *** embeddings ***

def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of weight; padding_idx rows get no gradient; max_norm renormalises the
    looked-up rows of weight in place.

    Example::
        >>> F.embedding(ndgrad.tensor([1]), ndgrad.eye(2))
        tensor([[0., 1.]])
    """
    if padding_idx is not None:
        n = weight.shape[0]
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _nn.embedding(weight, input, padding_idx, scale_grad_by_freq, sparse)


def _embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    # torch.embedding_renorm_ under no_grad: rows looked up with a norm above max_norm are
    # scaled to max_norm / (norm + 1e-7), in place
    _nn._check_indices(input._data, "embedding_renorm_")
    rows = np.unique(input._data)
    w = weight._data
    norms = _nn._norm_np(w[rows], float(norm_type), 1, False)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] *= scale[:, None]
        bump_version(weight)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding of a tensor of class indices, with a new last dim.

    Example::
        >>> F.one_hot(ndgrad.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    a = tensor._data
    if a.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size and a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if a.size and a.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _tensor_like((a[..., None] == np.arange(num_classes)).astype(np.int64))


# *** padding ***

_PAD_HELP = ("Supported combinations for non-constant padding:\n"
             "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
             "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
             "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims: 'constant' (any number of dims, negative crops),
    'reflect', 'replicate' or 'circular' (1 to 3 dims).

    Example::
        >>> F.pad(ndgrad.tensor([[1., 2.]]), (1, 1), mode="replicate")
        tensor([[1., 1., 2., 2.]])
    """
    pad = tuple(int(p) for p in pad)
    if mode == "constant":
        return _nn.constant_pad_nd(input, pad, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.ndim}D "
                                  f"input tensor.\n{_PAD_HELP}")
    for axis, lo, hi in _nn._pad_pairs(pad, input.ndim):
        n = input.shape[axis]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{4 + 2 * (input.ndim - 1 - axis)}: Padding size "
                               f"should be less than the corresponding input dimension, but got: "
                               f"padding ({lo}, {hi}) at dimension {axis} of input "
                               f"{list(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    return REGISTRY["_pad_nonconstant"].public(input, pad=pad, mode=mode)


# *** op-table entries of the composites above ***

_enrol("softsign", softsign, shapes=[(3,), (2, 3)])
_enrol("tanhshrink", tanhshrink, shapes=[(3,), (2, 3)])
_enrol("softmin", softmin, samples=[((2, 3), {"dim": 1})])
_enrol("linear", linear, samples=[(((2, 3), (4, 3), (4,)), {}), (((2, 2, 3), (4, 3), (4,)), {}),
                                  (((3,), (4, 3), None), {}), (((2, 3), (4, 3), None), {})],
       inputs=("input", "weight", "bias"))
_enrol("bilinear", bilinear, samples=[(((2, 3), (2, 2), (4, 3, 2), (4,)), {}),
                                      (((3,), (2,), (2, 3, 2), None), {})],
       inputs=("input1", "input2", "weight", "bias"))


# *** the torch.* spellings of these functionals (torch.dropout(input, p, train), ...) ***

composite("bilinear", method=False)(bilinear)
composite("selu", method=False)(selu)
composite("selu_", method=False)(selu_)
composite("celu", method=False)(celu)
composite("celu_", method=False)(celu_)
composite("threshold_", method=False)(threshold_)
composite("pdist", method=False)(pdist)


@composite("rrelu", method=False)
def _torch_rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 training: bool = False, generator: Any = None) -> Tensor:
    return rrelu(input, lower, upper, training)


@composite("rrelu_", method=False)
def _torch_rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                  training: bool = False, generator: Any = None) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)
