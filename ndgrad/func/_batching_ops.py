"""Batching rules for the ops of the OpInfo sweep: pointwise number ops, NaN-skipping and
log-space reductions, as_strided / unfold and the in-place view ops, the *_scatter and put
writes, renorm, dist, addr and torch.fill."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._ops._registry import PUBLIC, REGISTRY, call
from .._tensor import Tensor
from ._batching import (_FULL_OP, PHYSICAL_VJP, RULES, Ctx, _bat, _dynamic, _logical, _p, _pad,
                        _reduce, _shift, dimop, pointwise, rule)

_POINTWISE = """frexp ldexp nextafter signbit isposinf isneginf heaviside deg2rad rad2deg gcd lcm
bitwise_left_shift bitwise_right_shift logaddexp logaddexp2 fill_scalar""".split()
rule(*_POINTWISE)(pointwise)
PHYSICAL_VJP.update({n: "pointwise" for n in _POINTWISE})

rule("nansum", "aminmax", "nanmedian")(_reduce)
_FULL_OP["nanmedian"] = ("nanmedian_dim", True)
rule("logcumsumexp", "nanmedian_dim")(dimop("dim"))


@rule("transpose_")
def _transpose_inplace(c: Ctx) -> Any:  # stft applies it to batched values of any rank
    v, r = c.vals[0], c.vals[0].dim() - 1
    return call(c.op, (v,), {k: _shift(c.attrs[k], r) for k in ("dim0", "dim1")})
rule("unsqueeze_")(dimop("dim", extra=1))
RULES["squeeze_inplace"] = RULES["squeeze"]
RULES["t_"] = RULES["t"]
RULES["unique_consecutive"] = _dynamic


@rule("unfold")
def _unfold(c: Ctx) -> Any:
    if c.orig[0].dim() == 0:  # one window of the sample's one element
        from .._ops.view_ops import _unfold_check

        _unfold_check((), 0, c.attrs["size"], c.attrs["step"])
        return _p("view", c.vals[0], size=(c.B, 1))
    return dimop("dimension")(c)


@rule("view_dtype")
def _view_dtype(c: Ctx) -> Any:  # the batch dim is never the last: only that one rescales
    return call(c.op, (c.vals[0],), c.attrs)


@rule("as_strided")
def _as_strided(c: Ctx) -> Any:
    """Each sample is its own storage (as a fresh tensor is): a contiguous physical copy with
    one sample's worth of elements between samples."""
    from .._ops.view_ops import as_strided

    v = _p("clone", c.vals[0])
    n = int(np.prod(v.shape[1:]))
    own = c.attrs["geometry"][0]
    offset = own if c.attrs["storage_offset"] is None else c.attrs["storage_offset"]
    if own:  # the logical input is a view into a larger storage: not one storage per sample
        return NotImplemented
    return as_strided(v, (c.B,) + tuple(c.attrs["size"]), (n,) + tuple(c.attrs["stride"]), offset)


def _per_sample(index: np.ndarray, B: int, numel: int) -> np.ndarray:
    """Flat positions into one sample made positions into the physical (B, ...) tensor."""
    lead = (B,) + (1,) * index.ndim
    return np.arange(B, dtype=np.int64).reshape(lead) * numel + index


@rule("view_scatter")
def _view_scatter(c: Ctx) -> Any:
    inp, src = (_bat(v, b, c.B) for v, b in zip(c.vals, c.bat))
    index = c.attrs["index"]
    return call(c.op, (inp, src), dict(c.attrs, index=_per_sample(index, c.B,
                                                                   int(np.prod(inp.shape[1:])))))


@rule("put")
def _put(c: Ctx) -> Any:
    inp, index, src = c.vals
    if c.bat[1]:
        return NotImplemented
    inp, src = _bat(inp, c.bat[0], c.B), _bat(src, c.bat[2], c.B)
    n = int(np.prod(inp.shape[1:]))
    idx = index._data.reshape(-1)
    if idx.size and (idx.max() >= n or idx.min() < -n):
        return NotImplemented  # the per-sample call raises torch's error
    idx = _per_sample(np.where(idx < 0, idx + n, idx), c.B, n)
    return call(c.op, (inp, Tensor._make(idx), src), c.attrs)


@rule("fill_tensor")
def _fill_tensor(c: Ctx) -> Any:
    inp, value = c.vals
    if not c.bat[1]:
        return call(c.op, (inp, value), c.attrs)
    if not (inp.is_floating_point() and value.is_floating_point()):
        return NotImplemented
    inp = _bat(inp, c.bat[0], c.B)  # in the graph with a zero gradient, as torch's rule gives
    out = _p("add", _p("mul", inp, 0.0), _pad(value, inp.dim() - 1))
    return _p("_to_copy", out, dtype=c.orig[0].dtype)


@rule("renorm")
def _renorm(c: Ctx) -> Any:
    """The batch dim joins the renormed dim: each (sample, slice) pair is one slice."""
    v = c.vals[0]
    d = _shift(c.attrs["dim"], v.dim() - 1)
    moved = PUBLIC["movedim"](v, d, 1)
    shape = tuple(moved.shape)
    out = call(c.op, (PUBLIC["reshape"](moved, shape[0] * shape[1], *shape[2:]),),
               dict(c.attrs, dim=0))
    return PUBLIC["movedim"](_p("view", out, size=shape), 1, d)


@rule("dist")
def _dist(c: Ctx) -> Any:
    a, b = c.orig
    diff = a - b
    if not diff.is_floating_point():
        return NotImplemented
    return _logical(c, REGISTRY["linalg_vector_norm"].public(diff, float(c.attrs["p"])))


@rule("addr")
def _addr(c: Ctx) -> Any:
    inp, v1, v2 = c.orig
    if not all(t.is_floating_point() for t in (inp, v1, v2)):
        return NotImplemented
    beta, alpha = c.attrs["beta"], c.attrs["alpha"]
    out = v1.unsqueeze(-1) * v2.unsqueeze(-2)
    out = out if alpha == 1 else out * alpha
    if beta != 0:
        out = out + (inp if beta == 1 else inp * beta)
    return _logical(c, out)
