"""Batching rules: each op runs once on physical tensors whose dim 0 is vmap's batch dim.

A rule takes a Ctx (the op; its inputs with the batched ones replaced by their physical values;
the attributes; the batch size) and returns the physical result(s), or NotImplemented to run the
op once per sample. Rules call ops, so autograd records the physical computation."""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .. import _dtype
from .._broadcast import sum_to
from ..autograd import forward_ad
from ..autograd.grad_mode import enable_grad
from .._ops import _forward
from .._ops._registry import PUBLIC, REGISTRY, call, result_dtype
from .._tensor import Tensor, _wrap_dim

_FULL = slice(None)
RULES: dict[str, Callable] = {}
COMPOSITE: dict[str, Callable] = {}  # rules for composites (by registered name)
RANDOM_FILLS = ("uniform_", "normal_", "random_", "bernoulli_", "exponential_", "cauchy_",
                "log_normal_", "geometric_")
PHYSICAL_VJP: dict[str, str] = {}  # VJPs that may run on physical tensors: pointwise / fold


class Ctx:
    __slots__ = ("op", "vals", "bat", "attrs", "battrs", "B", "orig", "lvl")

    def __init__(self, op: Any, vals: list, bat: list, attrs: dict, battrs: set, size: int,
                 orig: tuple, lvl: Any) -> None:
        self.op, self.vals, self.bat, self.attrs, self.battrs = op, vals, bat, attrs, battrs
        self.B, self.orig, self.lvl = size, orig, lvl


def _p(name: str, *ins: Any, **attrs: Any) -> Any:
    return REGISTRY[name].public(*ins, **attrs)


def _pad(v: Tensor, n: int) -> Tensor:
    """Insert n size-1 dims after the batch dim (so right-aligned broadcasting lines up)."""
    if n <= 0:
        return v
    s = tuple(v.shape)
    return _p("view", v, size=s[:1] + (1,) * n + s[1:])


def _bat(v: Any, b: bool, size: int) -> Any:
    if b or not isinstance(v, Tensor):
        return v
    return _p("expand", _p("unsqueeze", v, 0), size=(size, *v.shape))


def _shift(d: Any, n: int) -> Any:
    if d is None:
        return None
    if isinstance(d, (tuple, list)):
        return type(d)(_wrap_dim(x, n) + 1 for x in d)
    return _wrap_dim(d, n) + 1


def _logical(c: Ctx, out: Tensor) -> Tensor:
    """The physical value of a logical result (rules that decompose into logical ops)."""
    from ._batched import _to_phys

    return _to_phys(out, c.lvl)


def rule(*names: str) -> Callable:
    def deco(fn: Callable) -> Callable:
        for n in names:
            RULES[n] = fn
        return fn

    return deco


# *** pointwise: pad batched operands to a common rank, then broadcasting does the rest ***

_POINTWISE = """add sub rsub rsub_scalar mul div floor_divide remainder remainder_scalar
remainder_scalar_self fmod fmod_scalar pow pow_tensor pow_scalar_base where masked_fill _to_copy
clone atan2 hypot copysign copysign_scalar lerp lerp_tensor addcmul addcdiv maximum minimum fmax
fmin clamp clamp_tensor clamp_min clamp_min_tensor clamp_max clamp_max_tensor eq ne lt le gt ge
logical_and logical_or logical_xor logical_not isnan isinf isfinite isclose bitwise_and bitwise_or
bitwise_xor bitwise_not erf erfc erfinv lgamma digamma polygamma xlogy xlogy_scalar_self
xlogy_scalar_other neg abs sign sgn exp exp2 expm1 log log2 log10 log1p sqrt rsqrt reciprocal sin
cos tan asin acos atan sinh cosh tanh asinh acosh atanh sigmoid logit relu floor ceil trunc round
frac nan_to_num hardtanh leaky_relu leaky_relu_ elu elu_ celu celu_ gelu gelu_backward silu mish
tanh_backward sigmoid_backward threshold_backward
softplus hardsigmoid hardswish log_sigmoid softshrink hardshrink threshold threshold_ _clamp_min
_div_scalar zero fill alias tril triu random_draw conj conj_physical angle complex polar
view_as_real view_as_complex
i0 sinc mvlgamma igamma igammac special_entr special_erfcx special_i0e special_i1 special_i1e
special_log_ndtr special_ndtr special_ndtri special_xlog1py special_xlog1py_scalar_other
special_xlog1py_scalar_self special_zeta special_zeta_scalar_other special_zeta_scalar_self
special_airy_ai special_bessel_j0 special_bessel_j1 special_bessel_y0 special_bessel_y1
special_modified_bessel_i0 special_modified_bessel_i1 special_modified_bessel_k0
special_modified_bessel_k1 special_scaled_modified_bessel_k0 special_scaled_modified_bessel_k1
special_spherical_bessel_j0 special_chebyshev_polynomial_t special_chebyshev_polynomial_u
special_chebyshev_polynomial_v special_chebyshev_polynomial_w special_shifted_chebyshev_polynomial_t
special_shifted_chebyshev_polynomial_u special_shifted_chebyshev_polynomial_v
special_shifted_chebyshev_polynomial_w special_hermite_polynomial_h special_hermite_polynomial_he
special_laguerre_polynomial_l special_legendre_polynomial_p""".split()


PHYSICAL_VJP.update({n: "pointwise" for n in _POINTWISE})


@rule(*_POINTWISE)
def pointwise(c: Ctx, attrs: dict | None = None) -> Any:
    attrs = dict(c.attrs if attrs is None else attrs)
    vals = list(c.vals)
    ranks = [v.dim() - b for v, b in zip(vals, c.bat) if isinstance(v, Tensor)]
    ranks += [v.dim() - (k in c.battrs) for k, v in attrs.items() if isinstance(v, Tensor)]
    top = max(ranks)
    if c.op.promote == "binary" and all(isinstance(x, Tensor) for x in c.orig):
        dt = result_dtype(*c.orig)
        if dt != result_dtype(*vals):  # a batched 0-d tensor is still 0-d for promotion
            vals = [_p("_to_copy", v, dtype=_dtype.from_numpy_dtype(dt)) for v in vals]
    vals = [_pad(v, top - v.dim() + 1) if b else v for v, b in zip(vals, c.bat)]
    for k in c.battrs:
        attrs[k] = _pad(attrs[k], top - attrs[k].dim() + 1)
    return call(c.op, tuple(vals), attrs)


@rule("copy")
def _copy(c: Ctx) -> Any:  # src broadcast to input's shape: the output is batched like either
    inp, src = c.vals
    c.vals = [_bat(inp, c.bat[0], c.B), src]
    c.bat = [True, c.bat[1]]
    return pointwise(c)


@rule("masked_fill_tensor")
def _masked_fill_tensor(c: Ctx) -> Any:
    if not c.bat[1]:
        return pointwise(c)
    inp, value = c.vals
    value = _p("_to_copy", value, dtype=c.orig[0].dtype)
    c.op, c.vals = REGISTRY["where"], [value, inp]
    c.bat = [True, c.bat[0]]
    c.orig = (value, inp)
    return pointwise(c, {"condition": c.attrs["mask"]})


# *** reductions and ops along a dim ***

_REDUCE = """sum mean prod amax amin max min median var std var_mean std_mean logsumexp
linalg_vector_norm all any count_nonzero argmax argmin _norm hash_tensor""".split()
_FULL_OP = {"max": ("amax", False), "min": ("amin", False), "median": ("median_dim", True)}


@rule(*_REDUCE)
def _reduce(c: Ctx) -> Any:
    v, attrs = c.vals[0], dict(c.attrs)
    r, d = v.dim() - 1, attrs.get("dim")
    if d is not None and not (isinstance(d, (tuple, list)) and not d) and r > 0:
        attrs["dim"] = _shift(d, r)
        return call(c.op, (v,), attrs)
    flat = PUBLIC["reshape"](v, c.B, -1)  # all of a sample's elements in dim 1
    name, multi = _FULL_OP.get(c.op.name, (None, False))
    if name is not None:
        out = _p(name, flat, dim=1)
        return out[0] if multi else out
    attrs["dim"] = 1
    out = call(c.op, (flat,), attrs)
    if attrs.get("keepdim"):
        shape = (c.B,) + (1,) * r
        out = tuple(_p("view", o, size=shape) for o in out) if type(out) is tuple else \
            _p("view", out, size=shape)
    return out


def dimop(*keys: str, extra: int = 0) -> Callable:
    """Ops whose attributes `keys` name dims of the (same-rank) tensor inputs."""

    def run(c: Ctx) -> Any:
        vals = [_bat(v, b, c.B) for v, b in zip(c.vals, c.bat)]
        top = max(v.dim() - 1 for v in vals if isinstance(v, Tensor))
        vals = [_pad(v, top - v.dim() + 1) if isinstance(v, Tensor) else v for v in vals]
        zero = top == 0  # torch lets dim 0 / -1 address a 0-d tensor
        if zero:
            vals = [_pad(v, 1) if isinstance(v, Tensor) else v for v in vals]
        attrs = dict(c.attrs)
        for k in keys:
            attrs[k] = _shift(attrs[k], max(top, 1) + extra)
        out = c.op.public(*vals, **attrs)  # split/unbind's public sizes their node
        if zero:
            fix = lambda o: _p("view", o, size=(c.B,)) if o.dim() == 2 else o  # noqa: E731
            out = tuple(fix(o) for o in out) if type(out) in (tuple, list) else fix(out)
        return out

    return run


for _names, _keys in (("max_dim min_dim median_dim mode kthvalue sort argsort topk cumsum cumprod "
                       "cummax cummin _reverse_cumsum _softmax _log_softmax _safe_softmax "
                       "_softmax_backward_data _log_softmax_backward_data glu split unbind "
                       "linalg_cross gather scatter scatter_value scatter_add scatter_reduce",
                       ("dim",)), ("transpose", ("dim0", "dim1")), ("diagonal", ("dim1", "dim2")),
                      ("flip", ("dims",)), ("rot90", ("dims",))):
    rule(*_names.split())(dimop(*_keys))
rule("unsqueeze")(dimop("dim", extra=1))
rule("diag_embed")(dimop("dim1", "dim2", extra=1))


@rule("index_select", "index_add", "index_copy", "index_fill", "index_fill_tensor")
def _index_dim(c: Ctx) -> Any:
    names = c.op.inputs
    if c.op.name == "index_select" and c.bat[1]:  # per-sample indices: a gather
        x, idx = _bat(c.vals[0], c.bat[0], c.B), c.vals[1]
        r = x.dim() - 1
        d = _wrap_dim(c.attrs["dim"], max(r, 1)) if r else 0
        if r == 0:
            return _p("gather", x, _p("view", idx, size=(c.B, 1)), dim=1) if idx.dim() == 1 else \
                NotImplemented
        shape = list(x.shape)
        shape[d + 1] = idx.shape[1] if idx.dim() == 2 else 1
        idx = _p("view", idx, size=(c.B,) + (1,) * d + (shape[d + 1],) + (1,) * (r - d - 1))
        out = _p("gather", x, _p("expand", idx, size=tuple(shape)), dim=d + 1)
        return out if c.vals[1].dim() == 2 else _p("squeeze", out, d + 1)
    if c.bat[names.index("index")] or (c.op.name == "index_fill_tensor" and c.bat[2]):
        return NotImplemented
    c.vals = [v if n in ("index", "value") else _bat(v, b, c.B)
              for v, b, n in zip(c.vals, c.bat, names)]
    return call(c.op, tuple(c.vals), dict(c.attrs, dim=_shift(c.attrs["dim"],
                                                                max(c.orig[0].dim(), 1))))


# *** shape ops ***

@rule("view", "_unsafe_view")
def _view(c: Ctx) -> Any:
    from .._ops.shape import _infer_size

    v = c.vals[0]
    size = (c.B,) + _infer_size(tuple(c.attrs["size"]), math.prod(v.shape[1:]))
    try:
        return call(c.op, (v,), {"size": size})
    except RuntimeError:  # the physical strides do not allow a view: copy, as reshape does
        return _p("_unsafe_view", _p("clone", v), size=size)


@rule("expand")
def _expand(c: Ctx) -> Any:
    size = tuple(c.attrs["size"])
    return call(c.op, (_pad(c.vals[0], len(size) - c.vals[0].dim() + 1),), {"size": (c.B,) + size})


@rule("repeat")
def _repeat(c: Ctx) -> Any:
    reps = tuple(c.attrs["repeats"])
    return call(c.op, (_pad(c.vals[0], len(reps) - c.vals[0].dim() + 1),), {"repeats": (1,) + reps})


@rule("permute")
def _permute(c: Ctx) -> Any:
    r = c.vals[0].dim() - 1
    return call(c.op, (c.vals[0],), {"dims": (0,) + _shift(tuple(c.attrs["dims"]), r)})


@rule("t")
def _t(c: Ctx) -> Any:
    v = c.vals[0]
    return _p("transpose", v, 1, 2) if v.dim() == 3 else _p("alias", v)


@rule("squeeze", "squeeze_")
def _squeeze(c: Ctx) -> Any:
    v, d = c.vals[0], c.attrs.get("dim")
    r = v.dim() - 1
    if d is None:
        d = tuple(i for i, s in enumerate(v.shape[1:]) if s == 1)
    if r == 0 or (isinstance(d, tuple) and not d):
        return _p("alias", v)
    return call(c.op, (v,), {"dim": _shift(d, r)})


@rule("_fft_c2c", "_fft_r2c", "_fft_c2r")
def _fft(c: Ctx) -> Any:  # the transformed dims move past the batch dim
    v = c.vals[0]
    return call(c.op, (v,), dict(c.attrs, dim=_shift(tuple(c.attrs["dim"]), v.dim() - 1)))


@rule("_stft_frames", "_overlap_add")
def _trailing(c: Ctx) -> Any:  # stft's framing and overlap-add act on the last dims only
    return call(c.op, (c.vals[0],), c.attrs)


@rule("roll")
def _roll(c: Ctx) -> Any:
    v, dims, shifts = c.vals[0], c.attrs["dims"], c.attrs["shifts"]
    if dims is not None:
        return call(c.op, (v,), dict(c.attrs, dims=_shift(dims, max(v.dim() - 1, 1))))
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    out = call(c.op, (PUBLIC["reshape"](v, c.B, -1),), {"shifts": shifts, "dims": (1,)})
    return _p("view", out, size=tuple(v.shape))


@rule("cat", "stack")
def _join(c: Ctx) -> Any:  # (cat skips legacy 1-D empty tensors: size None, left as they are)
    sizes = c.attrs.get("sizes") or (0,) * len(c.vals)
    return call(c.op, tuple(_bat(v, b or s is None, c.B) for v, b, s in zip(c.vals, c.bat, sizes)),
                dict(c.attrs, dim=c.attrs["dim"] + 1))


def _adv_first(adv: tuple | None) -> int:
    """How many leading dims non-adjacent index arrays put in front (NumPy's rule), else 0."""
    pos = [i for i, a in enumerate(adv or ()) if isinstance(a, np.ndarray)]
    if not pos or pos[-1] - pos[0] + 1 == len(pos):
        return 0
    return len(np.broadcast_shapes(*(adv[i].shape for i in pos)))


def _index(c: Ctx) -> tuple | None:
    basic, adv, name = c.attrs["index"]
    if adv is not None and any(not isinstance(a, np.ndarray) and a != _FULL for a in adv):
        return None
    return (_FULL,) + tuple(basic), None if adv is None else (_FULL,) + tuple(adv), name


@rule("getitem")
def _getitem(c: Ctx) -> Any:
    index = _index(c)
    if index is None:  # a batched index tensor: __getitem__ runs per sample
        from ._batched import NeedsFallback

        raise NeedsFallback(c.lvl)
    out = call(c.op, (c.vals[0],), {"index": index})
    k = _adv_first(index[1])
    return PUBLIC["movedim"](out, k, 0) if k else out


@rule("index_put")
def _index_put(c: Ctx) -> Any:
    index = _index(c)
    if index is None:
        return NotImplemented
    inp, vals = _bat(c.vals[0], c.bat[0], c.B), c.vals[1]
    basic, adv, _ = c.attrs["index"]
    k = _adv_first(index[1])
    if c.bat[1] or k:
        region = np.broadcast_to(np.empty((), np.int8), tuple(inp.shape[1:]))[basic]
        region = region[adv] if adv is not None else region
        vals = _bat(vals, c.bat[1], c.B)
        if region.ndim < vals.dim() - 1:
            return NotImplemented
        vals = _pad(vals, region.ndim - vals.dim() + 1)
        vals = PUBLIC["movedim"](vals, 0, k) if k else vals
    return call(c.op, (inp, vals), dict(c.attrs, index=index))


# *** products ***

@rule("mm")
def _mm(c: Ctx) -> Any:
    (a, b), (ba, bb) = c.vals, c.bat
    if ba and not bb:  # fold the batch into the rows: one mm
        n, k = a.shape[1:]
        return _p("view", _p("mm", PUBLIC["reshape"](a, c.B * n, k), b), size=(c.B, n, b.shape[1]))
    return PUBLIC["matmul"](a, b) if bb and not ba else _p("bmm", a, b)


@rule("mv")
def _mv(c: Ctx) -> Any:
    (a, v), (ba, bv) = c.vals, c.bat
    if ba and not bv:
        n, k = a.shape[1:]
        return _p("view", _p("mv", PUBLIC["reshape"](a, c.B * n, k), v), size=(c.B, n))
    if bv and not ba:
        return _p("mm", v, _p("t", a))
    return _p("squeeze", PUBLIC["matmul"](a, _p("unsqueeze", v, -1)), -1)


@rule("dot", "vdot")
def _dot(c: Ctx) -> Any:
    (a, b), (ba, bb) = c.vals, c.bat
    if ba and bb:
        return _p("sum", _p("mul", a, b), dim=1)
    return _p("mv", a, b) if ba else _p("mv", b, a)


@rule("bmm")
def _bmm(c: Ctx) -> Any:
    return PUBLIC["matmul"](*c.vals)


@rule("addmm")
def _addmm(c: Ctx) -> Any:
    (bias, m1, m2), (bb, b1, b2) = c.vals, c.bat
    if b1 and not b2 and not bb and bias.dim() <= 1:  # F.linear on a batch: one addmm
        n, k = m1.shape[1:]
        out = call(c.op, (bias, PUBLIC["reshape"](m1, c.B * n, k), m2), c.attrs)
        return _p("view", out, size=(c.B, n, m2.shape[1]))
    return _affine(c, PUBLIC["mm"](*c.orig[1:]))


@rule("addmv", "baddbmm", "addbmm")
def _addmv(c: Ctx) -> Any:
    prod = PUBLIC["mv" if c.op.name == "addmv" else "bmm"](*c.orig[1:])
    return _affine(c, prod.sum(0) if c.op.name == "addbmm" else prod)


def _affine(c: Ctx, prod: Tensor) -> Any:
    beta, alpha = c.attrs["beta"], c.attrs["alpha"]
    out = prod if alpha == 1 else prod * alpha
    if beta != 0:
        out = out + (c.orig[0] if beta == 1 else c.orig[0] * beta)
    return _logical(c, out)


@rule("trace")
def _trace(c: Ctx) -> Any:
    return _p("sum", _p("diagonal", c.vals[0], 0, 1, 2), dim=-1)


@rule("diag")
def _diag(c: Ctx) -> Any:
    v, k = c.vals[0], c.attrs["diagonal"]
    return _p("diag_embed", v, k, 1, 2) if v.dim() == 2 else _p("diagonal", v, k, 1, 2)


@rule("diagonal_backward")
def _diagonal_backward(c: Ctx) -> Any:
    sizes = tuple(c.attrs["input_sizes"])
    return call(c.op, (c.vals[0],), dict(c.attrs, input_sizes=(c.B,) + sizes,
                                         dim1=_shift(c.attrs["dim1"], len(sizes)),
                                         dim2=_shift(c.attrs["dim2"], len(sizes))))


def _dynamic(c: Ctx) -> Any:
    raise RuntimeError(f"vmap: We do not support batching operators that can output dynamic "
                       f"shape. Attempted to vmap over aten::{c.op.name}. Please file an issue at "
                       "https://github.com/pytorch/pytorch/issues if you need this feature.")


for _n in ("nonzero", "masked_select", "unique"):
    RULES[_n] = _dynamic


# *** forward mode: tangents of a batched op (jvp inside vmap) ***

def propagate(op: Any, inputs: tuple, attrs: dict, out: Any) -> None:
    """Forward-mode tangents of a batched op (jvp inside vmap), at every active level, the
    outermost first (as in _forward.propagate)."""
    if op.jvp_fn is not None or not op.differentiable:
        return _forward.propagate(op, inputs, attrs, out)
    stack = forward_ad.LEVELS.stack
    for level in range(len(stack)):
        tangents = [forward_ad.get_tangent(x, level) if isinstance(x, Tensor) else None
                    for x in inputs]
        if any(t is not None for t in tangents):
            forward_ad.LEVELS.stack = stack[:level]  # the tangent is not dual at its own level
            try:
                out_tangents = _tangents_from_vjp(op, inputs, attrs, out, tangents)
            finally:
                forward_ad.LEVELS.stack = stack
            for o, t in out_tangents:
                forward_ad.set_tangent(o, t, level)
    return None


def _tangents_from_vjp(op: Any, inputs: tuple, attrs: dict, out: Any, tangents: list) -> list:
    """[(output, its tangent)]: J·t by differentiating the op's VJP (linear in the cotangent)."""
    from .. import autograd
    from . import _enter as _enter_transform

    outs = out if type(out) is tuple else (out,)
    with _enter_transform(), enable_grad():
        vs = [(o.detach() * 0).requires_grad_() if o.is_floating_point() else None
              for o in outs]
        live = [v for v in vs if v is not None]
        args = _forward._primal_args(op, inputs, outs)
        grads = op.vjp_fn(vs[0] if len(vs) == 1 else tuple(vs), *args, **attrs)
        grads = grads if type(grads) is tuple else (grads,)
        pairs = [(_sum_to(g, tuple(x.shape)), t) for g, t, x in zip(grads, tangents, inputs)
                 if g is not None and t is not None]
        res = [None] * len(live) if not pairs else autograd.grad(
            [g for g, _ in pairs], live, [t for _, t in pairs], create_graph=True,
            allow_unused=True)
    it = iter(res)
    pairs = [(o, next(it) if v is not None else None) for o, v in zip(outs, vs)]
    return [(o, t) for o, t in pairs if t is not None]


def _sum_to(g: Tensor, shape: tuple) -> Tensor:
    return sum_to(g, shape) if tuple(g.shape) != shape else g
