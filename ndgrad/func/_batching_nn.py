"""Batching rules for nn, linear-algebra, convolution and pooling ops, and the composites
(torch.where, reshape, the random functions) that vmap runs with rules of their own."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import _creation, _dtype
from .._ops._registry import PUBLIC, call, result_dtype
from .._tensor import Tensor
from ._batching import (COMPOSITE, PHYSICAL_VJP, RANDOM_FILLS, Ctx, _bat, _p, _pad, _shift,
                        pointwise, rule)

# *** linear algebra ***

@rule("linalg_inv", "linalg_det", "linalg_slogdet", "linalg_solve", "linalg_solve_triangular",
      "linalg_cholesky", "cholesky", "linalg_qr", "linalg_svd", "linalg_eigh", "linalg_pinv",
      "_cdist_forward", "constant_pad_nd", "_scaled_dot_product_flash_attention_for_cpu",
      "linalg_lu", "linalg_lu_factor_ex", "lu_unpack", "triangular_solve", "cholesky_solve",
      "cholesky_inverse", "linalg_matrix_exp", "geqrf", "linalg_ldl_factor_ex", "linalg_eig")
def _leading(c: Ctx) -> Any:  # ops that already treat leading dims as a batch
    if c.op.name == "constant_pad_nd" and len(c.attrs["pad"]) // 2 > c.orig[0].dim():
        return NotImplemented  # torch's message, from the per-sample call
    vals = [_bat(v, b, c.B) for v, b in zip(c.vals, c.bat)]
    if c.op.name == "linalg_solve":
        from .._ops.decomp import _vector_rhs

        a, b = c.orig
        if _vector_rhs(tuple(a.shape), tuple(b.shape)):  # B is a vector: A's batch dims for it
            shape = np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-1]))
            vals[1] = _p("expand", _pad(vals[1], len(shape) - b.dim() + 1),
                         size=(c.B,) + shape + tuple(b.shape[-1:]))
            vals[0] = _pad(vals[0], len(shape) - a.dim() + 2)
            return call(c.op, tuple(vals), c.attrs)
    top = max(v.dim() for v in vals if isinstance(v, Tensor))  # align the leading batch dims
    vals = [_pad(v, top - v.dim()) if isinstance(v, Tensor) else v for v in vals]
    return call(c.op, tuple(vals), c.attrs)


# *** nn ops ***

@rule("mse_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss", "binary_cross_entropy",
      "binary_cross_entropy_with_logits")
def _loss(c: Ctx) -> Any:
    out = pointwise(c, dict(c.attrs, reduction="none"))
    red, dims = c.attrs["reduction"], tuple(range(1, out.dim()))
    if red == "none" or not dims:
        return out
    return _p("mean" if red == "mean" else "sum", out, dim=dims)



_FOLD = """_pad_nonconstant _pad_nonconstant_backward avg_pool2d avg_pool2d_backward
max_pool2d_with_indices max_pool2d_with_indices_backward _adaptive_avg_pool2d
_adaptive_avg_pool2d_backward adaptive_max_pool2d adaptive_max_pool2d_backward _upsample
_upsample_backward im2col col2im pixel_shuffle pixel_unshuffle
avg_pool3d avg_pool3d_backward max_pool3d_with_indices max_pool3d_with_indices_backward
_adaptive_avg_pool3d _adaptive_avg_pool3d_backward adaptive_max_pool3d adaptive_max_pool3d_backward
_upsample_separable _upsample_separable_backward channel_shuffle grid_sampler_2d
grid_sampler_3d max_unpool2d max_unpool3d""".split()


PHYSICAL_VJP.update({n: "fold" for n in _FOLD})


@rule(*_FOLD)
def _fold(c: Ctx) -> Any:
    """Ops that treat every (sample, channel) plane alike: fold the batch into the first dim."""
    vals = [_bat(v, b, c.B) for v, b in zip(c.vals, c.bat)]
    if any(isinstance(v, Tensor) and v.dim() < 3 for v in vals):
        return NotImplemented
    attrs = dict(c.attrs)
    if "input_size" in attrs:
        size = tuple(attrs["input_size"])
        attrs["input_size"] = (c.B * size[0],) + size[1:]
    out = call(c.op, tuple(PUBLIC["flatten"](v, 0, 1) if isinstance(v, Tensor) else v
                           for v in vals), attrs)
    unfold = lambda o: PUBLIC["unflatten"](o, 0, (c.B, -1))  # noqa: E731
    return tuple(unfold(o) for o in out) if type(out) is tuple else unfold(out)


def _grouped(x: Tensor, size: int) -> Tensor:
    """(B, N, C, *S) -> (N, B*C, *S): per-sample channels side by side, for groups=B*g."""
    return PUBLIC["flatten"](PUBLIC["movedim"](x, 0, 1), 1, 2)


def _ungroup(y: Tensor, size: int) -> Tensor:
    return PUBLIC["movedim"](PUBLIC["unflatten"](y, 1, (size, -1)), 1, 0)


@rule("convolution")
def _convolution(c: Ctx) -> Any:
    (x, w, bias), (bx, bw, bb) = c.vals, c.bat
    if not (bw or bb):  # shared weights: the batch joins N
        out = call(c.op, (PUBLIC["flatten"](x, 0, 1), w, bias), c.attrs)
        return PUBLIC["unflatten"](out, 0, (c.B, -1))
    w = PUBLIC["flatten"](_bat(w, bw, c.B), 0, 1)  # per-sample weights: B*groups groups
    bias = None if bias is None else PUBLIC["flatten"](_bat(bias, bb, c.B), 0, 1)
    out = call(c.op, (_grouped(_bat(x, bx, c.B), c.B), w, bias),
               dict(c.attrs, groups=c.attrs["groups"] * c.B))
    return _ungroup(out, c.B)


@rule("convolution_backward_input")
def _conv_backward_input(c: Ctx) -> Any:
    (g, w), (bg, bw) = c.vals, c.bat
    if not bw:
        out = call(c.op, (PUBLIC["flatten"](g, 0, 1), w), c.attrs)
        return PUBLIC["unflatten"](out, 0, (c.B, -1))
    out = call(c.op, (_grouped(_bat(g, bg, c.B), c.B), PUBLIC["flatten"](w, 0, 1)),
               dict(c.attrs, groups=c.attrs["groups"] * c.B))
    return _ungroup(out, c.B)


@rule("convolution_backward_weight")
def _conv_backward_weight(c: Ctx) -> Any:  # per-sample weight gradients, one grouped call
    x, g = (_grouped(_bat(v, b, c.B), c.B) for v, b in zip(c.vals, c.bat))
    out = call(c.op, (x, g), dict(c.attrs, groups=c.attrs["groups"] * c.B))
    return PUBLIC["unflatten"](out, 0, (c.B, -1))


@rule("take")
def _take(c: Ctx) -> Any:
    (x, idx), (bx, bi) = c.vals, c.bat
    flat = PUBLIC["reshape"](_bat(x, bx, c.B), c.B, -1)
    n = flat.shape[1]
    idx = PUBLIC["reshape"](_bat(idx, bi, c.B), c.B, -1)
    out = _p("gather", flat, (idx + n) % n if n else idx, dim=1)
    return _p("view", out, size=(c.B,) + tuple(c.orig[1].shape))


@rule("_gather_dim", "_scatter_dim")
def _gather_dim(c: Ctx) -> Any:
    v, attrs = c.vals[0], dict(c.attrs)
    index = np.asarray(attrs["index"])
    attrs["index"] = np.broadcast_to(index, (c.B,) + index.shape)
    attrs["dim"] = _shift(attrs["dim"], max(index.ndim, 1))
    if "shape" in attrs:
        attrs["shape"] = (c.B,) + tuple(attrs["shape"])
    return call(c.op, (v,), attrs)


@rule("native_layer_norm", "native_group_norm")
def _norm_layer(c: Ctx) -> Any:
    (x, w, b), (bx, bw, bb) = c.vals, c.bat
    x, r = _bat(x, bx, c.B), c.orig[0].dim()
    group = c.op.name == "native_group_norm"  # (N, C, *): fold the batch into N
    out = call(c.op, (PUBLIC["flatten"](x, 0, 1) if group else x, None if bw else w,
                      None if bb else b), c.attrs)
    out = PUBLIC["unflatten"](out, 0, (c.B, -1)) if group else out
    for t, bt, fn in ((w, bw, "mul"), (b, bb, "add")):  # per-sample affine parameters
        if bt:
            t = _p("view", t, size=(c.B, 1, t.shape[1]) + (1,) * (r - 2)) if group else \
                _pad(t, r - t.dim() + 1)
            out = _p(fn, out, t)
    return out


@rule("embedding")
def _embedding(c: Ctx) -> Any:
    (w, idx), (bw, bi) = c.vals, c.bat
    if not bw:
        return call(c.op, (w, idx), c.attrs)
    if c.attrs.get("padding_idx", -1) not in (-1, None):
        return NotImplemented
    n = w.shape[1]  # per-sample tables: one table of B*n rows, indices offset by b*n
    idx = _bat(idx, bi, c.B)
    off = _p("view", _creation.arange(c.B) * n, size=(c.B,) + (1,) * (idx.dim() - 1))
    return call(c.op, (PUBLIC["flatten"](w, 0, 1), idx + off), c.attrs)


@rule("embedding_dense_backward")
def _embedding_backward(c: Ctx) -> Any:
    if c.attrs.get("padding_idx", -1) not in (-1, None):
        return NotImplemented
    g, idx = (_bat(v, b, c.B) for v, b in zip(c.vals, c.bat))
    n = c.attrs["num_weights"]
    off = _p("view", _creation.arange(c.B) * n, size=(c.B,) + (1,) * (idx.dim() - 1))
    out = call(c.op, (g, idx + off), dict(c.attrs, num_weights=c.B * n))
    return PUBLIC["unflatten"](out, 0, (c.B, n))


def _nll_fold(c: Ctx, inp: Tensor, target: Tensor) -> tuple:
    """(input as (B*N, C), target as (B*N,), N, the per-sample total weight of a 'mean')."""
    names = c.op.inputs
    inp = _bat(inp, c.bat[names.index("input")], c.B)
    target = _bat(target, c.bat[names.index("target")], c.B)
    n = inp.shape[1] if inp.dim() == 3 else 1
    flat_in = PUBLIC["reshape"](inp, c.B * n, inp.shape[-1])
    flat_t = PUBLIC["reshape"](target, c.B * n)
    weight, ignore = c.vals[-1], c.attrs["ignore_index"]
    keep = flat_t != ignore
    w = keep.to(flat_in.dtype) if weight is None else _p(
        "index_select", weight, _p("where", flat_t, 0, condition=keep), dim=0) * keep
    return flat_in, flat_t, n, _p("sum", _p("view", w, size=(c.B, n)), dim=1)


@rule("nll_loss")
def _nll(c: Ctx) -> Any:
    if c.bat[2]:
        return NotImplemented
    flat_in, flat_t, n, total = _nll_fold(c, c.vals[0], c.vals[1])
    loss = call(c.op, (flat_in, flat_t, c.vals[2]), dict(c.attrs, reduction="none"))
    red = c.attrs["reduction"]
    loss = _p("view", loss, size=(c.B, n) if c.orig[0].dim() == 2 else (c.B,))
    if red == "none" or c.orig[0].dim() == 1 and red == "sum":
        return loss
    total_loss = loss if loss.dim() == 1 else _p("sum", loss, dim=1)
    return total_loss / total if red == "mean" else total_loss


@rule("nll_loss_backward")
def _nll_backward(c: Ctx) -> Any:
    if c.bat[3] or c.attrs["two_d"]:
        return NotImplemented
    g, inp = _bat(c.vals[0], c.bat[0], c.B), c.vals[1]
    flat_in, flat_t, n, total = _nll_fold(c, inp, c.vals[2])
    red = c.attrs["reduction"]
    if red != "none":  # one gradient per sample: spread it over the sample's rows
        g = _p("expand", _p("view", g / total if red == "mean" else g, size=(c.B, 1)),
               size=(c.B, n))
    out = call(c.op, (PUBLIC["reshape"](g, c.B * n), flat_in, flat_t, c.vals[3]),
               dict(c.attrs, reduction="none"))
    return _p("view", out, size=(c.B,) + tuple(c.orig[1].shape))


# *** composites with their own rule ***

def _is_batched(x: Any) -> bool:
    return type(x).__name__ == "BatchedTensor"


def _reshape(fn: Callable, input: Any, *shape: Any) -> Any:
    from .._ops.shape import _size_args

    if not _is_batched(input):
        return NotImplemented
    return _p("view", input, size=_size_args(shape))


COMPOSITE["reshape"] = _reshape


def _random_like(fn: Callable, input: Any, *args: Any, **kwargs: Any) -> Any:
    """rand_like / randn_like / dropout ... of a batched tensor under randomness='different':
    one draw for the whole batch (torch's numbers); 'same' draws once per sample shape."""
    from . import _Depth
    from ._batched import _wrap
    from ._vmap import _HANDLED, check_random

    if not _is_batched(input) or any(_is_batched(a) for a in (*args, *kwargs.values())):
        return NotImplemented
    lvl = input._level
    check_random(lvl)
    p = args[0] if args else kwargs.get("p")
    if lvl.randomness == "same" and fn.__name__ == "bernoulli" and p is None:
        raise RuntimeError("Vmap does not currently support same randomness with a batched "
                           "tensor input. Please file an issue with functorch")
    if lvl.randomness != "different" or (input._requires_grad and lvl.depth < _Depth.value):
        return NotImplemented
    _HANDLED[0] += 1
    try:
        return _wrap(fn(input._value, *args, **kwargs), lvl)
    finally:
        _HANDLED[0] -= 1


def _random_fill(fn: Callable, self: Any, *args: Any, **kwargs: Any) -> Any:
    from ._vmap import _HANDLED, check_random

    if not _is_batched(self) or any(_is_batched(a) for a in (*args, *kwargs.values())):
        return NotImplemented
    check_random(self._level)
    _HANDLED[0] += 1
    try:
        if self._level.randomness == "different":
            fn(self._value, *args, **kwargs)
            return self
        draw = fn(_creation.empty(*self.shape, dtype=self.dtype), *args, **kwargs)
    finally:
        _HANDLED[0] -= 1
    return self.copy_(draw)


def _where(fn: Callable, condition: Any, input: Any = None, other: Any = None) -> Any:
    if not (_is_batched(input) or _is_batched(other)):
        return NotImplemented  # torch.where's own dtype logic reads arrays
    dt = _dtype.from_numpy_dtype(result_dtype(input, other))
    ops = [x.to(dt) if isinstance(x, Tensor) else _creation.tensor(x, dtype=dt)
           for x in (input, other)]
    return _p("where", *ops, condition=condition)


COMPOSITE["where"] = _where
for _n in ("rand_like", "randn_like", "randint_like", "dropout", "alpha_dropout", "bernoulli"):
    COMPOSITE[_n] = _random_like
for _n in RANDOM_FILLS:
    COMPOSITE[_n] = _random_fill
