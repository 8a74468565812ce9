"""N-d convolution (strided, padded, dilated, grouped, transposed) as im2col + one matmul, with
col2im as its adjoint; the window helpers here serve pooling and fold/unfold too."""
from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._tensor import Tensor
from ._registry import composite, primitive

_TYPE = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long",
         "int32": "Int"}
_CTYPE = {"float16": "c10::Half", "float32": "float", "float64": "double", "int64": "long int"}


def _tup(v, n: int) -> tuple:
    """torch's expand_param_if_needed: an int, or a list of 1 or n ints, as an n-tuple."""
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    return v * n if len(v) == 1 else v


def _pad(x: np.ndarray, pads: list, value: float = 0) -> np.ndarray:
    """x with (lo, hi) pads on its trailing dims (np.pad costs ~10x this for small arrays)."""
    nd = len(pads)
    if not any(lo or hi for lo, hi in pads):
        return x
    out = np.full(x.shape[:-nd] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[-nd:], pads)),
                  value, x.dtype)
    out[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[-nd:], pads))] = x
    return out


def _windows(x: np.ndarray, k: tuple, stride: tuple, pads: tuple, dilation: tuple,
             value: float = 0) -> np.ndarray:
    """(B..., *S) -> view (B..., *out, *k) of the padded input; pads: (lo, hi) per spatial dim."""
    nd = len(k)
    x = _pad(x, list(pads), value)
    span = tuple(d * (kk - 1) + 1 for kk, d in zip(k, dilation))
    v = sliding_window_view(x, span, axis=tuple(range(x.ndim - nd, x.ndim)))
    return v[(Ellipsis,) + tuple(slice(None, None, s) for s in stride)
             + tuple(slice(None, None, d) for d in dilation)]


def _col2im(cols: np.ndarray, size: tuple, stride: tuple, pads: tuple,
            dilation: tuple) -> np.ndarray:
    """Adjoint of _windows: cols (B..., *k, *out) summed into zeros (B..., *size)."""
    nd = len(size)
    k, out = cols.shape[cols.ndim - 2 * nd:cols.ndim - nd], cols.shape[cols.ndim - nd:]
    lead = cols.shape[:cols.ndim - 2 * nd]
    sp = tuple(s + lo + hi for s, (lo, hi) in zip(size, pads))
    if all(s == 1 for s in stride):  # embed in the flat grid once, then long contiguous adds
        grid = np.zeros(lead + k + (out[0],) + sp[1:], cols.dtype)
        grid[(Ellipsis,) + tuple(slice(0, o) for o in out)] = cols
        xp = _col2im_flat(grid.reshape(lead + (math.prod(k), out[0] * math.prod(sp[1:]))), sp,
                          k, dilation)
    else:
        xp = np.zeros(lead + sp, dtype=cols.dtype)
        for off in np.ndindex(*k):  # one strided add per kernel offset, never per pixel
            dst = tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                        for o, d, s, n in zip(off, dilation, stride, out))
            xp[(Ellipsis,) + dst] += cols[(Ellipsis,) + off + (slice(None),) * nd]
    return xp[(Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(size, pads))]


# Stride 1 in flat index space: tap t of the kernel reads the padded input at a fixed flat offset
# from the output cell, so im2col / col2im become one contiguous slice per tap. Output cells live
# on a grid of rows out[0] x the padded extents of the other dims; cells past out[m] are junk.

def _tap_offsets(sp: tuple, k: tuple, dilation: tuple) -> list:
    step = [math.prod(sp[m + 1:]) for m in range(len(sp))]
    return [sum(i * d * s for i, d, s in zip(off, dilation, step)) for off in np.ndindex(*k)]


def _im2col_flat(xp: np.ndarray, k: tuple, dilation: tuple, rows: int) -> np.ndarray:
    """Padded (N, C, *Sp) -> (N, C, K, rows * prod(Sp[1:])), one slice copy per tap."""
    n, c, sp = xp.shape[0], xp.shape[1], xp.shape[2:]
    size = rows * math.prod(sp[1:])
    offs = _tap_offsets(sp, k, dilation)
    flat = xp.reshape(n, c, math.prod(sp))
    if offs[-1] + size > flat.shape[-1]:
        flat = np.concatenate([flat, np.zeros((n, c, offs[-1] + size - flat.shape[-1]),
                                              flat.dtype)], -1)
    cols = np.empty((n, c, len(offs), size), xp.dtype)
    for t, o in enumerate(offs):
        cols[:, :, t] = flat[:, :, o:o + size]
    return cols


def _col2im_flat(cols: np.ndarray, sp: tuple, k: tuple, dilation: tuple) -> np.ndarray:
    """(B..., K, grid) -> padded (B..., *Sp): one contiguous add per tap."""
    offs = _tap_offsets(sp, k, dilation)
    size = cols.shape[-1]
    flat = np.zeros(cols.shape[:-2] + (max(math.prod(sp), offs[-1] + size),), cols.dtype)
    for t, o in enumerate(offs):
        flat[..., o:o + size] += cols[..., t, :]
    return flat[..., :math.prod(sp)].reshape(cols.shape[:-2] + sp)


def _to_grid(g: np.ndarray, sp: tuple) -> np.ndarray:
    """(N, O, *out) zero-padded to the flat grid (N, O, out[0] * prod(Sp[1:]))."""
    g = _pad(g, [(0, s - o) for s, o in zip(sp[1:], g.shape[3:])]) if g.ndim > 3 else g
    return g.reshape(g.shape[:2] + (math.prod(g.shape[2:]),))


def _crop(t: Tensor, size: tuple) -> Tensor:
    """t's trailing dims cut to size (a transposed conv may cover fewer cells than its input)."""
    size = tuple(size)
    if tuple(t._data.shape[-len(size):]) == size:
        return t
    return t[(Ellipsis,) + tuple(slice(0, s) for s in size)]


# *** convolution ***

def _cols(v: np.ndarray, groups: int) -> np.ndarray:
    """Window view (N, C, *out, *k) -> im2col matrix (N, G, C/G * K, P), the one copy."""
    n, c = v.shape[:2]
    nd = (v.ndim - 2) // 2
    v = v.reshape((n, groups, c // groups) + v.shape[2:])
    perm = (0, 1, 2) + tuple(range(3 + nd, 3 + 2 * nd)) + tuple(range(3, 3 + nd))
    return v.transpose(perm).reshape(n, groups, (c // groups) * math.prod(v.shape[3 + nd:]),
                                     math.prod(v.shape[3:3 + nd]))


def _conv_forward(x, w, stride, padding, dilation, groups) -> np.ndarray:
    """(N, C, *S) * (O, C/G, *k) -> (N, O, *out): one batched matmul over the im2col matrix."""
    n, o, k = x.shape[0], w.shape[0], w.shape[2:]
    wm = w.reshape(groups, o // groups, -1)
    if any(s != 1 for s in stride):
        v = _windows(x, k, stride, tuple((p, p) for p in padding), dilation)
        return np.matmul(wm, _cols(v, groups)).reshape((n, o) + v.shape[2:2 + len(k)])
    xp = _pad(x, [(p, p) for p in padding])
    sp = xp.shape[2:]
    out = tuple(s - d * (kk - 1) for s, d, kk in zip(sp, dilation, k))
    cols = _im2col_flat(xp, k, dilation, out[0])
    y = np.matmul(wm, cols.reshape(n, groups, wm.shape[-1], cols.shape[-1]))
    y = y.reshape((n, o, out[0]) + sp[1:])
    return y[(Ellipsis,) + tuple(slice(0, s) for s in out[1:])]


def _conv_input_grad(g, w, size, stride, padding, dilation, groups) -> np.ndarray:
    """Adjoint of _conv_forward in x: W^T g, then col2im (also the transposed-conv forward)."""
    n, o, k = g.shape[0], g.shape[1], w.shape[2:]
    wm = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)
    c = groups * w.shape[1]
    if any(s != 1 for s in stride):
        cols = np.matmul(wm, g.reshape(n, groups, o // groups, math.prod(g.shape[2:])))
        cols = cols.reshape((n, c) + k + g.shape[2:])
        return _col2im(cols, tuple(size), stride, tuple((p, p) for p in padding), dilation)
    sp = tuple(s + 2 * p for s, p in zip(size, padding))
    gg = _to_grid(g, sp)
    cols = np.matmul(wm, gg.reshape(n, groups, o // groups, gg.shape[-1]))
    xp = _col2im_flat(cols.reshape(n, c, math.prod(k), gg.shape[-1]), sp, k, dilation)
    return xp[(Ellipsis,) + tuple(slice(p, p + s) for s, p in zip(size, padding))]


def _conv_weight_grad(x, g, k, stride, padding, dilation, groups) -> np.ndarray:
    """Adjoint of _conv_forward in w: sum over batch and positions of g * im2col(x)."""
    n, o, k = g.shape[0], g.shape[1], tuple(k)
    if any(s != 1 for s in stride):
        v = _windows(x, k, stride, tuple((p, p) for p in padding), dilation)
        cols = _cols(v[(slice(None), slice(None)) + tuple(slice(0, s) for s in g.shape[2:])],
                     groups)
        gm = g.reshape(n, groups, o // groups, math.prod(g.shape[2:]))
    else:
        xp = _pad(x, [(p, p) for p in padding])
        cols = _im2col_flat(xp, k, dilation, g.shape[2])
        cols = cols.reshape(n, groups, cols.shape[1] // groups * cols.shape[2], cols.shape[-1])
        gm = _to_grid(g, xp.shape[2:]).reshape(n, groups, o // groups, cols.shape[-1])
    # batched matmul then a sum over the batch: ~4x faster than tensordot's transposing copies
    dw = np.matmul(gm, cols.transpose(0, 1, 3, 2)).sum(0)
    return dw.reshape((o, x.shape[1] // groups) + k)


def _check_conv(x, w, b, stride, padding, dilation, transposed, output_padding, groups) -> None:
    nd = w.ndim - 2
    if x.ndim != w.ndim:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight "
                           f"{list(w.shape)}, but got {x.ndim}-dimensional input of size "
                           f"{list(x.shape)} instead")
    for name, v in (("stride", stride), ("padding", padding), ("dilation", dilation)):
        if len(v) != nd:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(v)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected scalar type {_TYPE.get(x.dtype.name, x.dtype.name)} but "
                           f"found {_TYPE.get(w.dtype.name, w.dtype.name)}")
    if b is not None and b.dtype != x.dtype:
        raise RuntimeError(f"Input type ({_CTYPE.get(x.dtype.name, x.dtype.name)}) and bias type "
                           f"({_CTYPE.get(b.dtype.name, b.dtype.name)}) should be the same")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(w.shape)}] instead")
    c_in = w.shape[0] if transposed else w.shape[1] * groups
    if x.shape[1] != c_in:
        head = "transposed=1, weight" if transposed else f"groups={groups}, weight"
        raise RuntimeError(f"Given {head} of size {list(w.shape)}, expected input"
                           f"{list(x.shape)} to have {c_in} channels, but got {x.shape[1]} "
                           "channels instead")
    c_out = w.shape[1] * groups if transposed else w.shape[0]
    if b is not None and (b.ndim != 1 or b.shape[0] != c_out):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be "
                           f"1-dimensional with {c_out} elements, but got bias of size "
                           f"{list(b.shape)} instead")
    if transposed:
        if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
            # torch reports a 1-D conv as 2-D with height 1
            vals = [(0, 1, 1)] * (nd == 1) + list(zip(output_padding, stride, dilation))
            dims = ("depth", "height", "width")[3 - len(vals):]
            got = " ".join(f"{what}_{dim}: {v[i]}" for i, what in
                           enumerate(("output_padding", "stride", "dilation"))
                           for dim, v in zip(dims, vals))
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got {got}")
        return
    padded = [s + 2 * p for s, p in zip(x.shape[2:], padding)]
    span = [d * (k - 1) + 1 for k, d in zip(w.shape[2:], dilation)]
    if any(s < k for s, k in zip(padded, span)):
        shown = [" x ".join(map(str, v)) for v in (padded, span)]
        raise RuntimeError(f"Calculated padded input size per channel: ({shown[0]}). Kernel size: "
                           f"({shown[1]}). Kernel size can't be greater than actual input size")


def _conv_samples() -> list:
    def attrs(s=1, p=0, d=1, t=False, op=0, g=1, nd=2):
        return {"stride": _tup(s, nd), "padding": _tup(p, nd), "dilation": _tup(d, nd),
                "transposed": t, "output_padding": _tup(op, nd), "groups": g}

    return [(((1, 2, 5, 5), (3, 2, 3, 3), (3,)), attrs()),
            (((1, 1, 5, 6), (2, 1, 2, 3), None), attrs(s=(2, 1), p=1, d=(2, 1))),
            (((2, 4, 6), (4, 2, 2), (4,)), attrs(s=2, p=1, g=2, nd=1)),
            (((1, 1, 3, 3, 3), (2, 1, 2, 2, 2), None), attrs(nd=3)),
            (((1, 2, 3, 4), (2, 3, 3, 2), (3,)), attrs(s=(2, 1), p=(1, 0), op=(1, 0), d=(1, 2),
                                                         t=True)),
            (((1, 4, 4), (4, 1, 3), None), attrs(s=2, op=1, g=2, t=True, nd=1))]


@primitive("convolution", complex="holomorphic", complex_skips=("torch", "jvp_torch"),
           grad_fn="ConvolutionBackward0", inputs=("input", "weight", "bias"),
           method=False, save_if={"input": ("weight",), "weight": ("input",)},
           samples=_conv_samples(), rtol=1e-4, atol=1e-4,
           torch_fn=lambda torch, x, w, b, **a: torch.convolution(x, w, b, **a))
def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """N-d convolution (transposed too) with stride/padding/dilation/groups; torch.convolution.

    Example::
        >>> ndgrad.convolution(ndgrad.ones(1, 1, 3, 3), ndgrad.ones(1, 1, 2, 2), None,
        ...                    [1, 1], [0, 0], [1, 1], False, [0, 0], 1).shape
        torch.Size([1, 1, 2, 2])
    """
    nd = weight.ndim - 2
    st, pd, dl, op = (_tup(v, nd) for v in (stride, padding, dilation, output_padding))
    _check_conv(input, weight, bias, st, pd, dl, transposed, op, groups)
    if transposed:
        size = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1
                     for n, s, p, d, k, o in zip(input.shape[2:], st, pd, dl, weight.shape[2:], op))
        out = _conv_input_grad(input, weight, size, st, pd, dl, groups)
    else:
        out = _conv_forward(input, weight, st, pd, dl, groups)
    if bias is not None:
        out = out + bias.reshape((-1,) + (1,) * nd)
    return np.ascontiguousarray(out)


@convolution.vjp
def _(grad, input, weight, input_shape, weight_shape, needs_input_grad, *, stride, padding,
      dilation, transposed, output_padding, groups):
    nd = len(weight_shape) - 2
    st, pd, dl = _tup(stride, nd), _tup(padding, nd), _tup(dilation, nd)
    geom = {"stride": st, "padding": pd, "dilation": dl, "groups": groups}
    gi = gw = gb = None
    if needs_input_grad[0]:
        if transposed:  # the adjoint of a transposed conv is the plain conv
            gi = _crop(convolution(grad, weight, None, st, pd, dl, False, (0,) * nd, groups),
                       input_shape[2:])
        else:
            gi = convolution_backward_input(grad, weight, input_size=tuple(input_shape[2:]), **geom)
    if needs_input_grad[1]:
        x, g = (grad, input) if transposed else (input, grad)
        gw = convolution_backward_weight(x, g, kernel_size=tuple(weight_shape[2:]), **geom)
    if len(needs_input_grad) > 2 and needs_input_grad[2]:
        gb = grad.sum((0,) + tuple(range(2, grad.ndim)))
    return gi, gw, gb


def _bw_torch(which: int):
    """Oracle for the two backward primitives: aten.convolution_backward's output `which`."""
    def fn(torch, a, b, **attrs):
        size = attrs.pop("input_size", None)
        k = attrs.pop("kernel_size", None)
        nd = len(size or k)
        g = attrs.pop("groups")
        geom = [list(attrs["stride"]), list(attrs["padding"]), list(attrs["dilation"]), False,
                [0] * nd, g]
        if which == 0:  # a = grad (N, O, *out), b = weight
            x = torch.zeros((a.shape[0], b.shape[1] * g) + tuple(size), dtype=a.dtype)
            return torch.ops.aten.convolution_backward(a, x, b, None, *geom,
                                                       [True, False, False])[0]
        w = torch.zeros((b.shape[1], a.shape[1] // g) + tuple(k), dtype=a.dtype)
        return torch.ops.aten.convolution_backward(b, a, w, None, *geom, [False, True, False])[1]

    return fn


_GEOM = {"stride": (1, 2), "padding": (1, 0), "dilation": (1, 1), "groups": 1}


@primitive("convolution_backward_input", complex="holomorphic", complex_skips=("torch",
           "jvp_torch"), grad_fn="ConvolutionBackwardBackward0", export=False,
           save_if={"grad": ("weight",), "weight": ("grad",)},
           samples=[(((1, 3, 3, 2), (3, 2, 3, 3)), dict(_GEOM, input_size=(3, 5))),
                    (((1, 4, 2), (4, 1, 2)), {"input_size": (5,), "stride": (2,), "padding": (0,),
                                              "dilation": (2,), "groups": 2})],
           torch_fn=_bw_torch(0), rtol=1e-4, atol=1e-4)
def convolution_backward_input(grad, weight, *, input_size, stride, padding, dilation, groups):
    """d conv / d input: (N, O, *out), (O, C/G, *k) -> (N, C, *input_size)."""
    return _conv_input_grad(grad, weight, input_size, stride, padding, dilation, groups)


@convolution_backward_input.vjp
def _(ggi, grad, weight, grad_shape, weight_shape, needs_input_grad, *, input_size, stride,
      padding, dilation, groups):
    nd = len(input_size)
    geom = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return (_crop(convolution(ggi, weight, None, stride, padding, dilation, False, (0,) * nd,
                              groups), grad_shape[2:]) if needs_input_grad[0] else None,
            convolution_backward_weight(ggi, grad, kernel_size=tuple(weight_shape[2:]), **geom)
            if needs_input_grad[1] else None)


@primitive("convolution_backward_weight", complex="holomorphic", complex_skips=("torch",
           "jvp_torch"), grad_fn="ConvolutionBackwardBackward0", export=False,
           save_if={"input": ("grad",), "grad": ("input",)},
           samples=[(((1, 2, 3, 5), (1, 3, 3, 2)), dict(_GEOM, kernel_size=(3, 3))),
                    (((1, 2, 5), (1, 4, 2)), {"kernel_size": (2,), "stride": (2,),
                                              "padding": (0,), "dilation": (2,), "groups": 2})],
           torch_fn=_bw_torch(1), rtol=1e-4, atol=1e-4)
def convolution_backward_weight(input, grad, *, kernel_size, stride, padding, dilation, groups):
    """d conv / d weight: (N, C, *S), (N, O, *out) -> (O, C/G, *kernel_size)."""
    return _conv_weight_grad(input, grad, kernel_size, stride, padding, dilation, groups)


@convolution_backward_weight.vjp
def _(ggw, input, grad, input_shape, grad_shape, needs_input_grad, *, kernel_size, stride,
      padding, dilation, groups):
    nd = len(kernel_size)
    geom = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return (convolution_backward_input(grad, ggw, input_size=tuple(input_shape[2:]), **geom)
            if needs_input_grad[0] else None,
            _crop(convolution(input, ggw, None, stride, padding, dilation, False, (0,) * nd,
                              groups), grad_shape[2:]) if needs_input_grad[1] else None)


def _conv_nd(nd: int, input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups,
             name: str) -> Tensor:
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    dl = _tup(dilation, nd)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * nd
        elif padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        elif any(s != 1 for s in _tup(stride, nd)):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        else:
            total = [d * (k - 1) for d, k in zip(dl, weight.shape[2:])]
            padding = tuple(t // 2 for t in total)
            extra = [t % 2 for t in total]
            if any(extra):  # odd total: the extra zero goes on the right, as torch pads
                warnings.warn("Using padding='same' with even kernel lengths and odd dilation may "
                              "require a zero-padded copy of the input be created", UserWarning,
                              stacklevel=3)
                from .nn import constant_pad_nd

                input = constant_pad_nd(input, tuple(v for e in extra[::-1] for v in (0, e)))
    if input.ndim == nd + 1:
        out = convolution(input.unsqueeze(0), weight, bias, _tup(stride, nd), _tup(padding, nd),
                          dl, False, (0,) * nd, groups)
        return out.squeeze(0)
    return convolution(input, weight, bias, _tup(stride, nd), _tup(padding, nd), dl, False,
                       (0,) * nd, groups)


_WB = {"inputs": ("input", "weight", "bias")}


@composite("conv1d", method=False, **_WB,
           samples=[(((1, 2, 6), (3, 2, 2), (3,)), {"padding": "same"}),
                    (((2, 6), (3, 2, 3), None), {"stride": 2})])
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution over (N, C, L) or unbatched (C, L); padding may be 'same' or 'valid'.

    Example::
        >>> ndgrad.conv1d(ndgrad.ones(1, 1, 4), ndgrad.ones(1, 1, 2)).shape
        torch.Size([1, 1, 3])
    """
    return _conv_nd(1, input, weight, bias, stride, padding, dilation, groups, "conv1d")


@composite("conv2d", method=False, **_WB,
           samples=[(((1, 2, 4, 5), (2, 2, 2, 3), (2,)), {"padding": "same", "dilation": (1, 2)}),
                    (((2, 4, 4), (2, 2, 3, 3), None), {"padding": "valid"})])
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution over (N, C, H, W) or unbatched (C, H, W).

    Example::
        >>> ndgrad.conv2d(ndgrad.ones(1, 1, 4, 4), ndgrad.ones(2, 1, 3, 3), padding=1).shape
        torch.Size([1, 2, 4, 4])
    """
    return _conv_nd(2, input, weight, bias, stride, padding, dilation, groups, "conv2d")


@composite("conv3d", method=False, **_WB, samples=[(((1, 1, 3, 3, 3), (1, 1, 2, 2, 2), (1,)),
                                                   {"padding": 1, "stride": 2})])
def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution over (N, C, D, H, W) or unbatched (C, D, H, W).

    Example::
        >>> ndgrad.conv3d(ndgrad.ones(1, 1, 3, 3, 3), ndgrad.ones(1, 1, 2, 2, 2)).shape
        torch.Size([1, 1, 2, 2, 2])
    """
    return _conv_nd(3, input, weight, bias, stride, padding, dilation, groups, "conv3d")


def _conv_transpose_nd(nd: int, input: Tensor, weight: Tensor, bias, stride, padding,
                       output_padding, groups, dilation, name: str) -> Tensor:
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    args = (bias, _tup(stride, nd), _tup(padding, nd), _tup(dilation, nd), True,
            _tup(output_padding, nd), groups)
    if input.ndim == nd + 1:
        return convolution(input.unsqueeze(0), weight, *args).squeeze(0)
    return convolution(input, weight, *args)


@composite("conv_transpose1d", method=False, **_WB,
           samples=[(((1, 2, 4), (2, 3, 3), (3,)), {"stride": 2, "output_padding": 1}),
                    (((2, 3), (2, 1, 2), None), {"dilation": 2, "padding": 1})])
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution (the adjoint of conv1d); weight is (C_in, C_out/groups, k).

    Example::
        >>> ndgrad.conv_transpose1d(ndgrad.ones(1, 1, 3), ndgrad.ones(1, 1, 2)).shape
        torch.Size([1, 1, 4])
    """
    return _conv_transpose_nd(1, input, weight, bias, stride, padding, output_padding, groups,
                              dilation, "conv_transpose1d")


@composite("conv_transpose2d", method=False, **_WB,
           samples=[(((1, 2, 3, 3), (2, 2, 2, 3), (2,)), {"stride": 2, "padding": (0, 1)}),
                    (((4, 2, 2), (4, 1, 2, 2), None), {"groups": 2, "output_padding": 1,
                                                       "stride": 2})])
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution ("deconvolution"); weight is (C_in, C_out/groups, kH, kW).

    Example::
        >>> x, w = ndgrad.ones(1, 1, 2, 2), ndgrad.ones(1, 1, 2, 2)
        >>> ndgrad.conv_transpose2d(x, w, stride=2).shape
        torch.Size([1, 1, 4, 4])
    """
    return _conv_transpose_nd(2, input, weight, bias, stride, padding, output_padding, groups,
                              dilation, "conv_transpose2d")


@composite("conv_transpose3d", method=False, **_WB,
           samples=[(((1, 2, 2, 2, 2), (2, 1, 2, 2, 2), (1,)), {"stride": 2})])
def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution; weight is (C_in, C_out/groups, kD, kH, kW)."""
    return _conv_transpose_nd(3, input, weight, bias, stride, padding, output_padding, groups,
                              dilation, "conv_transpose3d")


