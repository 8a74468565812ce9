"""Loss ops whose nodes users see by name (MseLossBackward0, NllLossBackward0,
BinaryCrossEntropyBackward0, CtcLossBackward0, ...)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._registry import primitive
from .nn import _REDUCTIONS, _kernel_dtype, _log_sigmoid, _reduce, _reduce_grad
from .pointwise import where
from .unary import log, sigmoid

_TYPE = {"float16": "Half", "float32": "Float", "float64": "Double"}


# *** elementwise losses ***

def _pair_samples(reductions=_REDUCTIONS) -> list:
    shapes = [((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (2, 3))]
    return [(s, {"reduction": r}) for s, r in zip(shapes, reductions)]


def _loss_fn(name: str):
    return lambda torch, x, t, **k: getattr(torch.nn.functional, name)(x, t, **k)


@primitive("mse_loss", grad_fn="MseLossBackward0", export=False, inputs=("input", "target"),
           samples=_pair_samples(), torch_fn=_loss_fn("mse_loss"))
def mse_loss(input, target, *, reduction="mean"):
    _kernel_dtype(input, "mse_cpu")
    d = input - target
    return _reduce(d * d, reduction)


@mse_loss.vjp
def _(grad, input, target, needs_input_grad, *, reduction):
    g = (input - target) * (_reduce_grad(grad, input, reduction) * 2)
    return g if needs_input_grad[0] else None, -g if needs_input_grad[1] else None


@primitive("smooth_l1_loss", grad_fn="SmoothL1LossBackward0", export=False,
           inputs=("input", "target"), torch_fn=_loss_fn("smooth_l1_loss"),
           samples=_pair_samples() + [(((2, 3), (2, 3)), {"reduction": "sum", "beta": 0.5})])
def smooth_l1_loss(input, target, *, reduction="mean", beta=1.0):
    d = np.abs(input - target)
    return _reduce(np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


@smooth_l1_loss.vjp
def _(grad, input, target, needs_input_grad, *, reduction, beta):
    d = input - target
    g = _reduce_grad(grad, input, reduction)
    g = where(d < -beta, -g, where(d > beta, g, g * d / beta))
    return g if needs_input_grad[0] else None, -g if needs_input_grad[1] else None


@primitive("huber_loss", grad_fn="HuberLossBackward0", export=False, inputs=("input", "target"),
           torch_fn=_loss_fn("huber_loss"),
           samples=_pair_samples() + [(((2, 3), (2, 3)), {"reduction": "mean", "delta": 0.5})])
def huber_loss(input, target, *, reduction="mean", delta=1.0):
    d = np.abs(input - target)
    loss = np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _reduce(loss.astype(input.dtype, copy=False), reduction)  # torch keeps input's dtype


@huber_loss.vjp
def _(grad, input, target, needs_input_grad, *, reduction, delta):
    d = input - target
    g = _reduce_grad(grad, input, reduction)
    g = where(d < -delta, -delta * g, where(d > delta, delta * g, g * d))
    return g if needs_input_grad[0] else None, -g if needs_input_grad[1] else None


@primitive("soft_margin_loss", grad_fn="SoftMarginLossBackward0", export=False,
           inputs=("input", "target"), nondiff_inputs=("target",), samples=_pair_samples(),
           torch_fn=_loss_fn("soft_margin_loss"))
def soft_margin_loss(input, target, *, reduction="mean"):
    loss = np.log1p(np.exp(-target * input))
    return _reduce(loss.astype(input.dtype, copy=False), reduction)  # torch keeps input's dtype


@soft_margin_loss.vjp
def _(grad, input, target, *, reduction):
    z = -target * input  # d/dx log(1 + e^z) = -t σ(z)
    return -target * z.sigmoid() * _reduce_grad(grad, input, reduction), None


_EPS_BCE = 1e-12


@primitive("binary_cross_entropy", grad_fn="BinaryCrossEntropyBackward0", export=False,
           inputs=("input", "target", "weight"), nondiff_inputs=("weight",),
           domain={"input": (0.05, 0.95), "target": (0.0, 1.0), "weight": (0.5, 1.5)},
           samples=[(((3,), (3,), None), {"reduction": "mean"}),
                    (((2, 3), (2, 3), (2, 3)), {"reduction": "sum"}),
                    (((2, 3), (2, 3), None), {"reduction": "none"})],
           torch_fn=lambda torch, x, t, w, reduction: torch.nn.functional.binary_cross_entropy(
               x, t, w, reduction=reduction))
def binary_cross_entropy(input, target, weight, *, reduction="mean"):
    for t in (target, weight):
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(f"Found dtype {_TYPE[t.dtype.name]} but expected "
                               f"{_TYPE[input.dtype.name]}")
    if ((input < 0) | (input > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    # torch clamps each log at -100 so that a 0 or 1 input gives a finite loss
    loss = -(target * np.maximum(np.log(input), -100)
             + (1 - target) * np.maximum(np.log1p(-input), -100))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.astype(input.dtype, copy=False), reduction)


@binary_cross_entropy.vjp
def _(grad, input, target, weight, *, reduction):
    g = _reduce_grad(grad, input, reduction)
    if weight is not None:
        g = g * weight
    gi = gt = None
    if input.requires_grad:
        denom = (1 - input) * input
        gi = g * (input - target) / where(denom > _EPS_BCE, denom, _EPS_BCE)
    if target.requires_grad:
        gt = g * ((1 - input).log() - input.log())  # -logit(x)
    return gi, gt, None


@primitive("binary_cross_entropy_with_logits", grad_fn="BinaryCrossEntropyWithLogitsBackward0",
           inputs=("input", "target", "weight", "pos_weight"), method=False,
           samples=[(((3,), (3,), None, None), {"reduction": "mean"}),
                    (((2, 3), (2, 3), (3,), (3,)), {"reduction": "sum"}),
                    (((2, 3), (2, 3), None, None), {"reduction": "none"})],
           domain={"input": (-2.0, 2.0), "target": (0.0, 1.0), "weight": (0.5, 1.5),
                   "pos_weight": (0.5, 2.0)},
           nondiff_inputs=("weight", "pos_weight"),
           torch_fn=lambda torch, x, t, w, pw, reduction: torch.nn.functional
           .binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction=reduction))
def binary_cross_entropy_with_logits(input, target, weight, pos_weight, *, reduction="mean"):
    # loss = (1 - t) x - w_pos log σ(x), with w_pos = (p - 1) t + 1
    log_sig = _log_sigmoid(input)
    if pos_weight is not None:
        log_sig = log_sig * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    # torch builds the loss in place on (1 - target): it keeps target's dtype
    return _reduce(loss.astype(target.dtype, copy=False), reduction)


def _scale(grad, input, weight, reduction):
    if reduction == "mean":
        grad = grad / input._data.size
    return grad if weight is None else grad * weight


@binary_cross_entropy_with_logits.vjp
def _(grad, input, target, weight, pos_weight, needs_input_grad, *, reduction):
    g = _scale(grad, input, weight, reduction)
    gi = gt = None
    if needs_input_grad[0]:
        if pos_weight is None:
            gi = g * (sigmoid(input) - target)
        else:
            pt = pos_weight * target
            gi = g * ((pt + 1 - target) * sigmoid(input) - pt)
    if needs_input_grad[1]:
        if pos_weight is None:
            gt = g * -input
        else:  # d/dt = -x + (p - 1) softplus(-x) = -x - (p - 1) log σ(x)
            gt = g * (-input - (pos_weight - 1) * log(sigmoid(input)))
    return gi, gt, None, None


# *** nll_loss ***

def _nll_pick(input: np.ndarray, target: np.ndarray, weight, ignore_index: int):
    """(-input at each target class, the target weights with 0 where ignored, safe targets)."""
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    if target.dtype != np.int64 and target.dtype != np.uint8:
        kind = {"float32": "Float", "float64": "Double", "int32": "Int", "bool": "Bool",
                "int16": "Short"}.get(target.dtype.name, target.dtype.name)
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {kind}")
    keep = target != ignore_index
    every = bool(keep.all())
    safe = target if every else np.where(keep, target, 0)
    if safe.size and (safe.min() < 0 or safe.max() >= c):
        bad = keep & ((target < 0) | (target >= c))
        raise IndexError(f"Target {target[bad].flat[0]} is out of bounds.")
    if input.ndim == 1:
        picked = input[safe]
    elif input.ndim == 2:
        picked = input[np.arange(input.shape[0]), safe]
    else:
        picked = np.take_along_axis(input, safe[:, None], axis=1)[:, 0]
    if weight is None:
        w = np.ones(safe.shape, dtype=input.dtype) if every else keep.astype(input.dtype)
    else:
        w = weight[safe] if every else np.where(keep, weight[safe], 0).astype(input.dtype)
    return -picked * w, w, safe


def _nll_forward(input, target, weight, reduction, ignore_index) -> np.ndarray:
    loss, w, _ = _nll_pick(input, target, weight, ignore_index)
    if reduction == "none":
        return loss
    total = np.asarray(loss.sum(), dtype=input.dtype)
    if reduction == "mean":
        with np.errstate(divide="ignore", invalid="ignore"):  # a weighted mean (NaN if none)
            return np.asarray(total / w.sum(), dtype=input.dtype)
    return total


def _check_nll(input, target, weight, two_d: bool) -> None:
    if two_d:
        if input.ndim != 4:
            raise RuntimeError(f"only batches of spatial inputs supported (4D tensors), but got "
                               f"input of size: {list(input.shape)}")
        if target.ndim != 3 or target.shape != (input.shape[0],) + input.shape[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: "
                               f"{list(target.shape)}")
    else:
        if not 0 < input.ndim <= 2:
            raise RuntimeError("input tensor should be 1D or 2D")
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.ndim == 1 and target.ndim == 1:
            raise RuntimeError(f"Expected target to be 0D when input is 1D, but got target.dim ="
                               f"{target.ndim}")
        if input.ndim == 2 and input.shape[0] != target.shape[0]:
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)}, target: "
                               f"{list(target.shape)})")
    c = input.shape[-1] if input.ndim == 1 else input.shape[1]
    if weight is not None and (weight.ndim != 1 or weight.size != c):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")


_NLL_KW = dict(inputs=("input", "target", "weight"), nondiff_inputs=("weight",),
               int_inputs={"target": (0, 3)}, domain={"weight": (0.5, 1.5)})


@primitive("nll_loss", grad_fn="NllLossBackward0", export=False, **_NLL_KW,
           samples=[(((2, 3), (2,), None), {"reduction": "mean", "ignore_index": -100}),
                    (((4, 3), (4,), (3,)), {"reduction": "sum", "ignore_index": 1}),
                    (((4, 3), (4,), (3,)), {"reduction": "none", "ignore_index": -100}),
                    (((3,), (), None), {"reduction": "sum", "ignore_index": -100})],
           torch_fn=lambda torch, x, t, w, **k: torch.nn.functional.nll_loss(x, t, w, **k))
def nll_loss(input, target, weight, *, reduction="mean", ignore_index=-100):
    _check_nll(input, target, weight, False)
    return _nll_forward(input, target, weight, reduction, ignore_index)


@nll_loss.vjp
def _(grad, input, target, weight, *, reduction, ignore_index):
    return nll_loss_backward(grad, input, target, weight, reduction=reduction,
                             ignore_index=ignore_index, two_d=False), None, None


@primitive("nll_loss2d", grad_fn="NllLoss2DBackward0", export=False, **_NLL_KW,
           samples=[(((2, 3, 2, 2), (2, 2, 2), None), {"reduction": "sum", "ignore_index": 0}),
                    (((2, 3, 2, 1), (2, 2, 1), (3,)), {"reduction": "mean",
                                                       "ignore_index": -100}),
                    (((1, 3, 2, 1), (1, 2, 1), (3,)), {"reduction": "none",
                                                       "ignore_index": -100})],
           torch_fn=lambda torch, x, t, w, **k: torch.nn.functional.nll_loss(x, t, w, **k))
def nll_loss2d(input, target, weight, *, reduction="mean", ignore_index=-100):
    _check_nll(input, target, weight, True)
    return _nll_forward(input, target, weight, reduction, ignore_index)


@nll_loss2d.vjp
def _(grad, input, target, weight, *, reduction, ignore_index):
    return nll_loss_backward(grad, input, target, weight, reduction=reduction,
                             ignore_index=ignore_index, two_d=True), None, None


@primitive("nll_loss_backward", export=False, inputs=("grad_output", "input", "target", "weight"),
           grad_fn=lambda two_d, **_: f"NllLoss{'2D' if two_d else ''}BackwardBackward0",
           nondiff_inputs=("target", "weight"), int_inputs={"target": (0, 3)},
           samples=[(((), (4, 3), (4,), (3,)), {"reduction": "mean", "ignore_index": -100,
                                                "two_d": False}),
                    (((2,), (2, 3), (2,), None), {"reduction": "none", "ignore_index": 1,
                                                  "two_d": False})],
           skips=("torch",))
def nll_loss_backward(grad_output, input, target, weight, *, reduction, ignore_index, two_d):
    """grad_input of nll_loss; `input` only supplies the shape (torch's node keeps it as an
    input, with a zero gradient)."""
    out = np.zeros(input.shape, dtype=grad_output.dtype)
    _, w, safe = _nll_pick(input, target, weight, ignore_index)
    with np.errstate(divide="ignore", invalid="ignore"):  # all ignored: torch's NaN mean
        g = grad_output / w.sum() if reduction == "mean" else grad_output
        vals = np.where(w != 0, -w * g, 0).astype(out.dtype, copy=False)  # ignored rows: 0
    if input.ndim == 1:
        out[safe] = vals
    elif input.ndim == 2:
        out[np.arange(input.shape[0]), safe] = vals
    else:
        np.put_along_axis(out, safe[:, None], vals[:, None], axis=1)
    return out


@nll_loss_backward.vjp
def _(grad, target, weight, *, reduction, ignore_index, two_d):
    # grad_input is linear in grad_output; its adjoint is nll_loss itself
    return _nll_forward_op(grad, target, weight, reduction, ignore_index), grad * 0, None, None


def _nll_forward_op(input: Tensor, target: Tensor, weight, reduction: str, ignore_index: int):
    op = nll_loss2d if input.ndim == 4 else nll_loss
    return op(input, target, weight, reduction=reduction, ignore_index=ignore_index)


# *** ctc_loss ***
# Alpha-beta recursion in log space, vectorised over the batch and the extended label positions;
# the loop runs over time steps.

def _lse3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    m = np.maximum(np.maximum(a, b), c)
    safe = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        return np.where(m == -np.inf, -np.inf,
                        safe + np.log(np.exp(a - safe) + np.exp(b - safe) + np.exp(c - safe)))


def _ctc_setup(log_probs, targets, input_lengths, target_lengths, blank):
    """Extended labels (blank, l1, blank, l2, ... blank), their validity and skip masks, and the
    log-probabilities of each extended label at each time step, shape (T, N, S')."""
    n = log_probs.shape[1]
    il, tl = np.asarray(input_lengths, np.int64), np.asarray(target_lengths, np.int64)
    width = 2 * int(tl.max(initial=0)) + 1
    ext = np.full((n, width), blank, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(tl)[:-1]])
    for b in range(n):  # one slice per sequence; the recursion itself is batched
        lab = targets[b, :tl[b]] if targets.ndim == 2 else targets[offsets[b]:offsets[b] + tl[b]]
        ext[b, 1:2 * tl[b]:2] = lab
    pos = np.arange(width)
    valid = pos[None, :] < (2 * tl + 1)[:, None]
    prev2 = np.concatenate([np.full((n, 2), -1), ext[:, :-2]], axis=1)
    skip = (pos[None, :] >= 2) & (ext != blank) & (ext != prev2)
    lpe = np.take_along_axis(log_probs, np.broadcast_to(ext, (log_probs.shape[0],) + ext.shape),
                             axis=2)
    return ext, valid, skip, np.where(valid, lpe, -np.inf), il, tl


def _shift(a: np.ndarray, k: int, fill=-np.inf) -> np.ndarray:
    """a moved k places along the last dim (right for k > 0, left for k < 0), filled."""
    out = np.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :a.shape[-1] - k]
    else:
        out[..., :a.shape[-1] + k] = a[..., -k:]
    return out


def _ctc_alpha(lpe, skip, il, tl):
    t_max, n, width = lpe.shape
    alpha = np.full(lpe.shape, -np.inf, dtype=lpe.dtype)
    alpha[0, :, 0] = lpe[0, :, 0]
    if width > 1:
        alpha[0, :, 1] = np.where(tl > 0, lpe[0, :, 1], -np.inf)
    for t in range(1, t_max):
        a = alpha[t - 1]
        alpha[t] = _lse3(a, _shift(a, 1), np.where(skip, _shift(a, 2), -np.inf)) + lpe[t]
    last = np.maximum(il - 1, 0)
    end = alpha[last, np.arange(n)]  # (N, S')
    tail = end[np.arange(n), 2 * tl]
    before = np.where(tl > 0, end[np.arange(n), np.maximum(2 * tl - 1, 0)], -np.inf)
    return alpha, -np.logaddexp(tail, before)


def _ctc_beta(lpe, skip, il, tl):
    t_max, n, width = lpe.shape
    beta = np.full(lpe.shape, -np.inf, dtype=lpe.dtype)
    pos = np.arange(width)[None, :]
    start = (pos == (2 * tl)[:, None]) | ((pos == (2 * tl - 1)[:, None]) & (tl > 0)[:, None])
    skip_to = _shift(skip, -2, False)  # s -> s + 2 is allowed where skip[s + 2]
    for t in range(t_max - 1, -1, -1):
        if t + 1 < t_max:
            b = beta[t + 1]
            rec = _lse3(b, _shift(b, -1), np.where(skip_to, _shift(b, -2), -np.inf)) + lpe[t]
        else:
            rec = np.full((n, width), -np.inf, dtype=lpe.dtype)
        first = (t == il - 1)[:, None]  # each sequence starts its backward pass at its last frame
        beta[t] = np.where(first, np.where(start, lpe[t], -np.inf),
                           np.where((t < il - 1)[:, None], rec, -np.inf))
    return beta


def _check_ctc(log_probs, targets, input_lengths, target_lengths, blank):
    t_max, n, c = log_probs.shape
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    if len(input_lengths) != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(target_lengths) != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    for v in input_lengths:
        if v > t_max:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                               f"value {v} (while checking arguments for "
                               f"ctc_loss_allocate_outputs)")
    where = "(while checking arguments for ctc_loss_allocate_outputs)"
    if targets.ndim == 2 and n and max(target_lengths) > targets.shape[1]:
        raise RuntimeError(f"Expected tensor to have size at least {max(target_lengths)} at "
                           f"dimension 1, but got size {targets.shape[1]} for argument #2 "
                           f"'targets' {where}")
    if targets.ndim == 1 and targets.shape[0] != sum(target_lengths):
        raise RuntimeError(f"Expected tensor to have size {sum(target_lengths)} at dimension 0, "
                           f"but got size {targets.shape[0]} for argument #2 'targets' {where}")


def _ctc_samples() -> list:
    return [(((5, 2, 4), (2, 3)), {"input_lengths": (5, 4), "target_lengths": (3, 2),
                                   "blank": 0, "zero_infinity": False}),
            (((4, 2, 3), (3,)), {"input_lengths": (4, 3), "target_lengths": (1, 2),
                                 "blank": 2, "zero_infinity": False})]


@primitive("_ctc_loss", grad_fn="CtcLossBackward0", export=False, inputs=("log_probs", "targets"),
           int_inputs={"targets": (1, 2)}, nondiff_inputs=("targets",), samples=_ctc_samples(),
           skips=("grad", "gradgrad"),  # torch's gradient is the one of log_softmax's logits
           torch_fn=lambda torch, lp, tg, input_lengths, target_lengths, blank, zero_infinity:
           torch.nn.functional.ctc_loss(lp, tg, input_lengths, target_lengths, blank, "none",
                                        zero_infinity))
def _ctc_loss(log_probs, targets, *, input_lengths, target_lengths, blank, zero_infinity):
    _check_ctc(log_probs, targets, input_lengths, target_lengths, blank)
    _, _, skip, lpe, il, tl = _ctc_setup(log_probs, targets, input_lengths, target_lengths, blank)
    return _ctc_alpha(lpe, skip, il, tl)[1].astype(log_probs.dtype, copy=False)


@_ctc_loss.vjp
def _(grad, log_probs, targets, result, *, input_lengths, target_lengths, blank, zero_infinity):
    return _ctc_loss_backward(grad, log_probs, targets, result, input_lengths=input_lengths,
                              target_lengths=target_lengths, blank=blank,
                              zero_infinity=zero_infinity), None


@primitive("_ctc_loss_backward", grad_fn="NotImplemented", export=False,
           inputs=("grad", "log_probs", "targets", "neg_log_likelihood"),
           int_inputs={"targets": (1, 2)},
           nondiff_inputs=("grad", "log_probs", "targets", "neg_log_likelihood"),
           samples=[(((2,), (5, 2, 4), (2, 3), (2,)), _ctc_samples()[0][1])], skips=("torch",))
def _ctc_loss_backward(grad, log_probs, targets, neg_log_likelihood, *, input_lengths,
                       target_lengths, blank, zero_infinity):
    ext, valid, skip, lpe, il, tl = _ctc_setup(log_probs, targets, input_lengths, target_lengths,
                                               blank)
    alpha, nll = _ctc_alpha(lpe, skip, il, tl)
    ab = alpha + _ctc_beta(lpe, skip, il, tl)  # log of the probability mass through (t, s)
    m = ab.max(axis=2, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    onehot = (ext[:, :, None] == np.arange(log_probs.shape[2])).astype(ab.dtype)
    mass = np.einsum("tns,nsc->tnc", np.exp(ab - m), onehot)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lcab = np.log(mass) + m
        # torch's rule: exp(lp) - exp(lcab + nll - lp), i.e. the gradient through a log_softmax
        g = np.exp(log_probs) - np.exp(lcab + nll[None, :, None] - log_probs)
    g = g * grad[None, :, None]
    live = np.arange(log_probs.shape[0])[:, None] < il[None, :]
    if zero_infinity:
        live = live & np.isfinite(nll)[None, :]
    return np.where(live[:, :, None], g, 0).astype(log_probs.dtype, copy=False)


@_ctc_loss_backward.vjp
def _(grad, *, input_lengths, target_lengths, blank, zero_infinity):
    raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")
