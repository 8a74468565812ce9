"""Max, average and adaptive pooling of (N, C, H, W) or (C, H, W) and their backward ops, on
the window views of conv.py; the 1-D pools unsqueeze to 2-D, as torch does."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._registry import composite, primitive
from .conv import _col2im, _tup, _windows

# *** pooling ***

def _pool_out(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """torch's pooling_output_shape: floor (or ceil) of the window count; the last window must
    start inside the input or the left padding."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > ((k - 1) * d + 1) // 2:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                           f"kernel_size={k} and dilation={d}")
    o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    return o - 1 if ceil and (o - 1) * s >= n + p else o


_NUM = {1: "one", 2: "two", 3: "three"}
_DIMS = {2: ("H", "W"), 3: ("T", "H", "W")}


def _pool_geom(name: str, x: np.ndarray, kernel_size, stride, padding, dilation,
               ceil_mode: bool, nd: int = 2) -> tuple:
    """Checked (k, s, p, d, out, pads) of an nd-D pool; pads reach the last (ceil-mode) window."""
    either = "" if name == "avg_pool3d" else "either "  # torch's two wordings
    for what, v, empty_ok in (("kernel_size", kernel_size, False), ("stride", stride, True),
                              ("padding", padding, False), ("dilation", dilation, False)):
        if v is None and empty_ok or isinstance(v, (int, np.integer)):
            continue
        if len(v) not in ((0, 1, nd) if empty_ok else (1, nd)):
            extra = either + ("be omitted, a single int" if empty_ok else "be a single int")
            if what == "dilation":
                extra = "be either a single int"
            raise RuntimeError(f"{name}: {what} must {extra}, or a tuple of {_NUM[nd]} ints")
    k = _tup(kernel_size, nd)
    s = k if stride is None or (not isinstance(stride, (int, np.integer)) and not len(stride)) \
        else _tup(stride, nd)
    p, d = _tup(padding, nd), _tup(dilation, nd)
    out = tuple(_pool_out(n, *a, ceil_mode) for n, a in zip(x.shape[-nd:], zip(k, s, p, d)))
    dims = _DIMS[nd]
    for what, v, pre in (("kernel size", k, "k"), ("stride", s, "d"), ("dilation", d, "dilation")):
        if min(v) <= 0:
            got = " ".join(f"{pre}{dim}: {a}" for dim, a in zip(dims, v))
            raise RuntimeError(f"{what} should be greater than zero, but got {got}")
    if x.ndim not in (nd + 1, nd + 2) or 0 in x.shape[-nd - 1:]:
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for "
                           "input")
    if min(out) < 1:
        c, sizes = x.shape[-nd - 1], x.shape[-nd:]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + sizes))}). Calculated "
                           f"output size: ({'x'.join(map(str, (c,) + out))}). Output size is too "
                           "small")
    pads = tuple((pi, max(0, (o - 1) * si + di * (ki - 1) + 1 - n - pi))
                 for n, o, ki, si, pi, di in zip(x.shape[-nd:], out, k, s, p, d))
    return k, s, p, d, out, pads


def _max_pool(x: np.ndarray, kernel_size, stride, padding, dilation, ceil_mode,
              nd: int = 2) -> tuple:
    """Max over each window and its flat (D*)H*W input index: the first maximum in torch's scan
    order, the last NaN, and the first in-bounds cell when nothing beats the padding."""
    k, s, p, d, out, pads = _pool_geom(f"max_pool{nd}d", x, kernel_size, stride, padding,
                                       dilation, ceil_mode, nd)
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    v = _windows(x, k, s, pads, d, value=low)[(Ellipsis,) + tuple(slice(0, o) for o in out)
                                              + (slice(None),) * nd]
    # one copy puts each tap in its own contiguous plane; strided taps cost numpy ~3x more
    taps = np.ascontiguousarray(np.moveaxis(v, tuple(range(-nd, 0)), tuple(range(nd))))
    taps = taps.reshape((math.prod(k),) + v.shape[:-nd])
    best = taps.max(0)
    # the first tap equal to the max = the count of leading taps that are not:
    # ne0 (1 + ne1 (1 + ne2 (...))); masked copies cost numpy ~10x these products
    ne = (taps[:-1] != best).view(np.uint8)
    tap = np.zeros(best.shape, np.uint8 if len(taps) < 256 else np.intp)
    for t in range(len(ne) - 1, -1, -1):
        tap += 1
        tap *= ne[t]
    if x.dtype.kind == "f" and np.isnan(best).any():
        for t in range(len(taps)):  # a later NaN wins
            np.copyto(tap, t, where=np.isnan(taps[t]))
    sizes = x.shape[-nd:]
    step = [math.prod(sizes[m + 1:]) for m in range(nd)]  # flat strides of the spatial dims
    starts = [np.arange(o) * si - pi for o, si, pi in zip(out, s, p)]
    offsets = np.array([sum(i * dd * st for i, dd, st in zip(off, d, step))
                        for off in np.ndindex(*k)])
    idx = _outer_sum([a * st for a, st in zip(starts, step)]) + offsets.take(tap)
    if (best == low).any():  # nothing beat the padding: torch keeps the first in-bounds cell
        first = [np.where(a < 0, a + (-a + dd - 1) // dd * dd, a) for a, dd in zip(starts, d)]
        np.copyto(idx, _outer_sum([a * st for a, st in zip(first, step)]), where=best == low)
    return best, idx


def _outer_sum(vectors: list) -> np.ndarray:
    """a[i] + b[j] + ... over the grid of the vectors' indices."""
    nd = len(vectors)
    return sum(v.reshape((-1,) + (1,) * (nd - 1 - m)) for m, v in enumerate(vectors))


def _scatter(grad: np.ndarray, indices: np.ndarray, shape: tuple, nd: int = 2) -> np.ndarray:
    """zeros(shape) with grad added at the flat spatial indices of each (N, C) plane."""
    hw = math.prod(shape[-nd:])
    planes = math.prod(shape[:-nd])
    out = np.zeros(planes * hw, grad.dtype)
    np.add.at(out, (indices.reshape(planes, grad.size // max(planes, 1))
                    + np.arange(planes)[:, None] * hw).ravel(),
              grad.ravel())  # overlapping windows may pick one cell twice
    return out.reshape(shape)


def _gather(t: Tensor, indices: Tensor, nd: int = 2) -> Tensor:
    """t at the flat spatial indices of each (N, C) plane: the adjoint of _scatter, recorded."""
    idx = indices._data
    lead = tuple(np.arange(n).reshape((-1,) + (1,) * (idx.ndim - 1 - i))
                 for i, n in enumerate(idx.shape[:-nd]))
    return t[lead + np.unravel_index(idx, tuple(t.shape[-nd:]))]


_POOL = {"kernel_size": (2, 2), "stride": (1, 2), "padding": (1, 0), "dilation": (1, 1),
         "ceil_mode": True}


@primitive("max_pool2d_with_indices", grad_fn="MaxPool2DWithIndicesBackward0", n_outputs=2,
           inputs=("input",), export=False,
           samples=[((1, 2, 4, 5), _POOL), ((2, 5, 5), {"kernel_size": 3, "stride": (2, 1),
                                                        "dilation": (1, 2), "padding": 1}),
                    ((1, 1, 4, 4), {"kernel_size": 2})],
           torch_fn=lambda torch, x, **a: torch.nn.functional.max_pool2d(x, **a,
                                                                          return_indices=True))
def max_pool2d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """2-D max pooling of (N, C, H, W) or (C, H, W): the maxima and their flat H*W indices."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode)


@max_pool2d_with_indices.vjp
def _(grads, input, *, kernel_size, stride, padding, dilation, ceil_mode):
    # NOTE: a VJP sees only the first output, so the argmax is recomputed from the input
    idx = _max_pool(input._data, kernel_size, stride, padding, dilation, ceil_mode)[1]
    return max_pool2d_with_indices_backward(
        grads[0], Tensor._make(idx), input_size=tuple(input.shape), kernel_size=kernel_size,
        stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)


@primitive("max_pool2d_with_indices_backward", grad_fn="MaxPool2DWithIndicesBackwardBackward0",
           export=False, int_inputs={"indices": (0, 20)},
           samples=[(((1, 2, 5, 3), (1, 2, 5, 3)), dict(_POOL, input_size=(1, 2, 4, 5)))],
           torch_fn=lambda torch, g, i, input_size, **a: torch.ops.aten
           .max_pool2d_with_indices_backward(g, torch.zeros(input_size, dtype=g.dtype),
                                             *[list(v) if isinstance(v, tuple) else v
                                               for v in a.values()], i))
def max_pool2d_with_indices_backward(grad, indices, *, input_size, kernel_size, stride, padding,
                                     dilation, ceil_mode):
    """d max_pool2d / d input: grad added at the argmax indices (windows may overlap)."""
    return _scatter(grad, indices, input_size)


@max_pool2d_with_indices_backward.vjp
def _(ggi, indices, *, input_size, kernel_size, stride, padding, dilation, ceil_mode):
    return _gather(ggi, indices), None


def _adaptive_bounds(n: int, o: int) -> tuple:
    """torch's adaptive windows: [floor(i n / o), ceil((i + 1) n / o)) for output i."""
    i = np.arange(o)
    return i * n // o, ((i + 1) * n + o - 1) // o


def _adaptive_size(name: str, x: np.ndarray, output_size, msg: str, nd: int = 2) -> tuple:
    if x.ndim not in (nd + 1, nd + 2) or 0 in x.shape[-nd - 1:]:
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{msg}"
                           f"{list(x.shape)}")
    size = _tup(output_size, nd) if not isinstance(output_size, (tuple, list)) or \
        None not in output_size else tuple(n if o is None else int(o)
                                           for n, o in zip(x.shape[-nd:], output_size))
    if len(size) != nd:
        if name == "adaptive_max_pool3d":
            raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must be 3")
        raise RuntimeError(f"{name}: output_size must be {nd}")
    return size


def _adaptive_max(x: np.ndarray, output_size, nd: int = 2) -> tuple:
    out = _adaptive_size(f"adaptive_max_pool{nd}d", x, output_size, ": ", nd)
    starts, rows, masks = [], [], []
    for n, o in zip(x.shape[-nd:], out):
        lo, hi = _adaptive_bounds(n, o)
        span = np.arange(int((hi - lo).max()))
        starts.append(lo)
        rows.append(np.minimum(lo[:, None] + span, n - 1))  # (o, K)
        masks.append(lo[:, None] + span < hi[:, None])
    # v[..., o0, o1, ..., K0, K1, ...]: every window padded to the longest, masked
    index = tuple(_spread(r, m, nd) for m, r in enumerate(rows))
    v = x[(Ellipsis,) + index]
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    valid = np.ones((1,) * (2 * nd), bool)
    for m, mk in enumerate(masks):
        valid = valid & _spread(mk, m, nd)
    v = np.where(valid, v, low)
    ks = v.shape[-nd:]
    flat = v.reshape(v.shape[:-nd] + (math.prod(ks),))
    am = flat.argmax(-1)  # the first maximum, as torch's scan keeps it
    nan = np.isnan(flat) if x.dtype.kind == "f" else None
    if nan is not None and nan.any():  # but the last NaN
        am = np.where(nan.any(-1), flat.shape[-1] - 1 - nan[..., ::-1].argmax(-1), am)
    taps = np.unravel_index(am, ks)
    sizes = x.shape[-nd:]
    idx = sum((st.reshape((-1,) + (1,) * (nd - 1 - m)) + kk) * math.prod(sizes[m + 1:])
              for m, (st, kk) in enumerate(zip(starts, taps)))
    vals = np.take_along_axis(flat, am[..., None], -1)[..., 0]
    return vals.astype(x.dtype, copy=False), idx.astype(np.int64)


def _spread(a: np.ndarray, m: int, nd: int) -> np.ndarray:
    """An (o, K) table of spatial dim m placed at axes m and nd + m of a 2*nd-dim grid."""
    shape = [1] * (2 * nd)
    shape[m], shape[nd + m] = a.shape
    return a.reshape(shape)


@primitive("adaptive_max_pool2d", grad_fn="AdaptiveMaxPool2DBackward0", n_outputs=2,
           inputs=("input",), export=False,
           samples=[((1, 2, 5, 7), {"output_size": (3, 4)}), ((2, 4, 3), {"output_size": 2})],
           torch_fn=lambda torch, x, output_size: torch.nn.functional.adaptive_max_pool2d(
               x, output_size, return_indices=True))
def adaptive_max_pool2d(input, output_size):
    """Max over torch's adaptive windows; (values, flat H*W indices)."""
    return _adaptive_max(input, output_size)


@adaptive_max_pool2d.vjp
def _(grads, input, *, output_size):
    idx = _adaptive_max(input._data, output_size)[1]  # recomputed: VJPs see only output 0
    return adaptive_max_pool2d_backward(grads[0], Tensor._make(idx),
                                        input_size=tuple(input.shape))


@primitive("adaptive_max_pool2d_backward", grad_fn="AdaptiveMaxPool2DBackwardBackward0",
           export=False, int_inputs={"indices": (0, 12)},
           samples=[(((1, 2, 2, 2), (1, 2, 2, 2)), {"input_size": (1, 2, 3, 4)})],
           torch_fn=lambda torch, g, i, input_size: torch.ops.aten.adaptive_max_pool2d_backward(
               g, torch.zeros(input_size, dtype=g.dtype), i))
def adaptive_max_pool2d_backward(grad, indices, *, input_size):
    """d adaptive_max_pool2d / d input: grad added at the argmax indices."""
    return _scatter(grad, indices, input_size)


@adaptive_max_pool2d_backward.vjp
def _(ggi, indices, *, input_size):
    return _gather(ggi, indices), None


def _avg_geom(x_shape: tuple, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, nd: int = 2) -> tuple:
    """(k, s, pads, out, divisor) of an nd-D avg pool; the divisor counts padding or not, per
    window."""
    k, s, p, _, out, pads = _pool_geom(f"avg_pool{nd}d", np.empty(x_shape, np.int8), kernel_size,
                                       stride, padding, 1, ceil_mode, nd)
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        return k, s, pads, out, divisor_override
    div = np.ones((1,) * nd, np.int64)
    for m, (n, o, ki, si, pi) in enumerate(zip(x_shape[-nd:], out, k, s, p)):
        lo = np.arange(o) * si - pi
        hi = np.minimum(lo + ki, n + pi)
        size = hi - lo if count_include_pad else np.minimum(hi, n) - np.maximum(lo, 0)
        div = div * size.reshape((-1,) + (1,) * (nd - 1 - m))
    return k, s, pads, out, div


_AVG = {"kernel_size": (3, 2), "stride": (2, 1), "padding": 1, "ceil_mode": True,
        "count_include_pad": False, "divisor_override": None}


@primitive("avg_pool2d", grad_fn="AvgPool2DBackward0", inputs=("input",), export=False,
           samples=[((1, 2, 4, 5), _AVG), ((2, 5, 4), {"kernel_size": 2}),
                    ((1, 1, 5, 5), dict(_AVG, count_include_pad=True, divisor_override=3))],
           torch_fn=lambda torch, x, **a: torch.nn.functional.avg_pool2d(x, **a))
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling of (N, C, H, W) or (C, H, W)."""
    k, s, pads, out, div = _avg_geom(input.shape, kernel_size, stride, padding, ceil_mode,
                                     count_include_pad, divisor_override)
    v = _windows(input, k, s, pads, (1, 1))[..., :out[0], :out[1], :, :]
    return (v.sum((-2, -1)) / np.asarray(div, dtype=input.dtype)).astype(input.dtype, copy=False)


@avg_pool2d.vjp
def _(grad, input_shape, *, kernel_size, stride, padding, ceil_mode, count_include_pad,
      divisor_override):
    return avg_pool2d_backward(grad, input_size=tuple(input_shape), kernel_size=kernel_size,
                               stride=stride, padding=padding, ceil_mode=ceil_mode,
                               count_include_pad=count_include_pad,
                               divisor_override=divisor_override)


@primitive("avg_pool2d_backward", grad_fn="AvgPool2DBackwardBackward0", export=False,
           samples=[((1, 2, 3, 6), dict(_AVG, input_size=(1, 2, 4, 5)))],
           torch_fn=lambda torch, g, input_size, **a: torch.ops.aten.avg_pool2d_backward(
               g, torch.zeros(input_size, dtype=g.dtype),
               *[list(v) if isinstance(v, tuple) else v for v in a.values()]))
def avg_pool2d_backward(grad, *, input_size, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override):
    """d avg_pool2d / d input: each window's grad / divisor spread back over the window."""
    k, s, pads, _, div = _avg_geom(input_size, kernel_size, stride, padding, ceil_mode,
                                     count_include_pad, divisor_override)
    g = grad / np.asarray(div, dtype=grad.dtype)
    cols = np.broadcast_to(g[..., None, None, :, :], g.shape[:-2] + k + g.shape[-2:])
    return _col2im(cols, tuple(input_size[-2:]), s, pads, (1, 1))


@avg_pool2d_backward.vjp
def _(ggi, *, input_size, kernel_size, stride, padding, ceil_mode, count_include_pad,
      divisor_override):
    return avg_pool2d(ggi, kernel_size, stride, padding, ceil_mode, count_include_pad,
                      divisor_override)


def _adaptive_masks(in_size: tuple, out: tuple, dtype) -> tuple:
    """Per spatial dim a 0/1 (out, in) window matrix and the window lengths."""
    mats = []
    for n, o in zip(in_size, out):
        lo, hi = _adaptive_bounds(n, o)
        j = np.arange(n)
        mats.append((((j >= lo[:, None]) & (j < hi[:, None])).astype(dtype), hi - lo))
    return mats


@primitive("_adaptive_avg_pool2d", grad_fn="AdaptiveAvgPool2DBackward0", inputs=("input",),
           export=False, samples=[((1, 2, 5, 7), {"output_size": (3, 4)}),
                                  ((2, 3, 4), {"output_size": (2, 3)})],
           torch_fn=lambda torch, x, output_size: torch.ops.aten._adaptive_avg_pool2d(
               x, list(output_size)))
def _adaptive_avg_pool2d(input, output_size):
    # window sums by two 0/1 matrix products, then one division by the window areas
    (mh, nh), (mw, nw) = _adaptive_masks(input.shape[-2:], output_size, input.dtype)
    return (mh @ input @ mw.T) / (nh[:, None] * nw[None, :]).astype(input.dtype)


@_adaptive_avg_pool2d.vjp
def _(grad, input_shape, *, output_size):
    return _adaptive_avg_pool2d_backward(grad, input_size=tuple(input_shape))


@primitive("_adaptive_avg_pool2d_backward", grad_fn="AdaptiveAvgPool2DBackwardBackward0",
           export=False, samples=[((1, 2, 3, 4), {"input_size": (1, 2, 5, 7)})],
           torch_fn=lambda torch, g, input_size: torch.ops.aten._adaptive_avg_pool2d_backward(
               g, torch.zeros(input_size, dtype=g.dtype)))
def _adaptive_avg_pool2d_backward(grad, *, input_size):
    (mh, nh), (mw, nw) = _adaptive_masks(input_size[-2:], grad.shape[-2:], grad.dtype)
    return mh.T @ (grad / (nh[:, None] * nw[None, :]).astype(grad.dtype)) @ mw


@_adaptive_avg_pool2d_backward.vjp
def _(ggi, grad_shape, *, input_size):
    return _adaptive_avg_pool2d(ggi, tuple(grad_shape[-2:]))


# *** public pools: torch.max_pool2d, the 1-D pools (unsqueeze, 2-D pool, squeeze) ***

def _one(name: str, what: str, v, allow_empty: bool = False) -> tuple:
    v = (v,) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(v) != 1 and not (allow_empty and not v):
        raise RuntimeError(f"{name}() {what} must be an int, list of ints or tuple of ints of "
                           f"size 1 but got size {len(v)}")
    return v


def _check_max_pool1d(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode) -> tuple:
    if x.ndim not in (2, 3) or 0 in x.shape[1:]:
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(x.shape)}")
    (k,) = _one("max_pool1d", "kernel_size", kernel_size)
    st = _one("max_pool1d", "stride", () if stride is None else stride, True)
    s = st[0] if st else k
    (p,) = _one("max_pool1d", "padding", padding)
    (d,) = _one("max_pool1d", "dilation", dilation)
    for what, v, ok in (("kernel_size", k, k > 0), ("stride", s, s > 0),
                        ("padding", p, p >= 0), ("dilation", d, d > 0)):
        if not ok:
            rule = "be non-negative" if what == "padding" else "be greater than zero"
            raise RuntimeError(f"max_pool1d() {what} must {rule}, but got {v}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p} and kernel_size={k}")
    o = _pool_out(x.shape[-1], k, s, p, d, ceil_mode)
    if o <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {o}")
    return (1, k), (1, s), (0, p), (1, d)


@composite("max_pool1d_with_indices", method=False,
           samples=[((1, 2, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
                    ((2, 6), {"kernel_size": 2, "dilation": 2, "ceil_mode": True})])
def max_pool1d_with_indices(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode: bool = False) -> tuple:
    """1-D max pooling of (N, C, L) or (C, L): (values, indices into L).

    Example::
        >>> ndgrad.max_pool1d_with_indices(ndgrad.tensor([[1., 3., 2., 0.]]), 2)[1]
        tensor([[1, 2]])
    """
    args = _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)
    out, idx = max_pool2d_with_indices(input.unsqueeze(-2), *args, ceil_mode)
    return out.squeeze(-2), idx.squeeze(-2)


@composite("max_pool1d", method=False, samples=[((1, 2, 7), {"kernel_size": 3, "stride": 2})])
def max_pool1d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
               ceil_mode: bool = False) -> Tensor:
    """1-D max pooling of (N, C, L) or (C, L).

    Example::
        >>> ndgrad.max_pool1d(ndgrad.tensor([[1., 3., 2., 0.]]), 2)
        tensor([[3., 2.]])
    """
    return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)[0]


@composite("max_pool2d", method=False, samples=[((1, 2, 5, 5), {"kernel_size": 2}),
                                                ((2, 4, 5), {"kernel_size": (2, 3), "stride": 1,
                                                             "padding": (1, 0)})])
def max_pool2d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
               ceil_mode: bool = False) -> Tensor:
    """2-D max pooling of (N, C, H, W) or (C, H, W); stride defaults to kernel_size.

    Example::
        >>> ndgrad.max_pool2d(ndgrad.arange(16.).view(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    return max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)[0]


def _check_1d(name: str, input: Tensor, what: str, v) -> int:
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor "
                           f"for argument #1 'self' (while checking arguments for {name})")
    v = (v,) if isinstance(v, (int, np.integer)) or v is None else tuple(v)
    if len(v) != 1:
        raise RuntimeError(f"{name}() argument '{what}' should contain one int (got {len(v)})")
    return v[0]


@composite("avg_pool1d", method=False,
           samples=[((1, 2, 7), {"kernel_size": 3, "stride": 2, "padding": 1,
                                 "count_include_pad": False}),
                    ((2, 6), {"kernel_size": 4, "ceil_mode": True, "stride": 3})])
def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-D average pooling of (N, C, L) or (C, L).

    Example::
        >>> ndgrad.avg_pool1d(ndgrad.tensor([[1., 3., 2., 0.]]), 2)
        tensor([[2., 1.]])
    """
    k = _check_1d("avg_pool1d", input, "kernel_size", kernel_size)
    s = k if stride is None or (not isinstance(stride, int) and not len(stride)) else \
        _check_1d("avg_pool1d", input, "stride", stride)
    p = _check_1d("avg_pool1d", input, "padding", padding)
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return out.squeeze(-2)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """torch's adaptive_avg_pool2d: a (1, 1) output is a mean over H and W, as torch records."""
    size = _adaptive_size("adaptive_avg_pool2d", input._data, output_size, " ")
    if size == (1, 1):
        return input.mean((-1, -2), keepdim=True)
    return _adaptive_avg_pool2d(input, size)


@composite("adaptive_avg_pool1d", method=False,
           samples=[((1, 2, 7), {"output_size": 3}), ((2, 5), {"output_size": 1})])
def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average over output_size adaptive windows of (N, C, L) or (C, L).

    Example::
        >>> ndgrad.adaptive_avg_pool1d(ndgrad.tensor([[1., 3., 2., 0.]]), 2)
        tensor([[2., 1.]])
    """
    o = _check_1d("adaptive_avg_pool1d", input, "output_size", output_size)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


@composite("adaptive_max_pool1d", method=False, samples=[((1, 2, 7), {"output_size": 3})])
def adaptive_max_pool1d(input: Tensor, output_size) -> tuple:
    """Max over output_size adaptive windows of (N, C, L) or (C, L): (values, indices).

    Example::
        >>> ndgrad.adaptive_max_pool1d(ndgrad.tensor([[1., 3., 2., 0.]]), 2)[0]
        tensor([[3., 2.]])
    """
    o = _check_1d("adaptive_max_pool1d", input, "output_size", output_size)
    out, idx = adaptive_max_pool2d(input.unsqueeze(-2), (1, o))
    return out.squeeze(-2), idx.squeeze(-2)
