"""Fractional max pooling (2-D, 3-D; pseudo-random window starts from given samples) and max
unpooling (the scatter of pooled maxima back to their indices), with their backward ops."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._registry import primitive
from .pool import _gather, _scatter

_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


# *** fractional max pooling ***

def _intervals(samples: np.ndarray, n_in: int, n_out: int, k: int) -> np.ndarray:
    """torch's generate_intervals per plane: window starts int((i + u) a) - int(u a), with
    a = (n_in - k) / (n_out - 1) in the samples' dtype, the last window flush right."""
    dt = samples.dtype.type
    starts = np.zeros((samples.shape[0], n_out), np.int64)
    if n_out > 1:
        alpha = dt(n_in - k) / dt(n_out - 1)
        i = np.arange(n_out - 1).astype(samples.dtype)
        starts[:, :-1] = ((i[None, :] + samples[:, None]) * alpha).astype(np.int64) \
            - (samples * alpha).astype(np.int64)[:, None]
    if n_out > 0:
        starts[:, -1] = n_in - k
    return starts


def _check_fractional(x: np.ndarray, k: tuple, out: tuple, samples: np.ndarray, nd: int) -> None:
    name = f"fractional_max_pool{nd}d"
    for what, v in (("kernel_size", k), ("output_size", out)):
        if len(v) != nd:
            raise RuntimeError(f"{name}: {what} must either be a single Int or tuple of Ints")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(x.shape)}")
    for i in range(x.ndim - nd - 1, x.ndim):
        if x.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but got{list(x.shape)} with dimension {i} being "
                               "empty.")
    if samples.dtype != x.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    batch = x.shape[0] if x.ndim == nd + 2 else 1
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != x.shape[-nd - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got "
                           f"{samples.shape[2]}.")
    prefix = f"{name}()" if nd == 2 else "fractional_max_pool3d_out()"
    for what, n, kk, o in zip(_NAMES[nd], x.shape[-nd:], k, out):
        if o + kk - 1 > n or (nd == 3 and o + kk - 1 == n):  # 3-D wants it strictly inside
            raise RuntimeError(f"{prefix}: pool {what} {kk} too large relative to input "
                               f"{what} {n}")


def _fractional(x: np.ndarray, kernel_size, output_size, samples: np.ndarray, nd: int) -> tuple:
    """(maxima, flat spatial indices) over the pseudo-random windows: the first maximum in
    row-major window order, or the last NaN (an empty window keeps -inf at its start)."""
    k, out = tuple(kernel_size), tuple(output_size)
    _check_fractional(x, k, out, samples, nd)
    sizes = x.shape[-nd:]
    n = math.prod(x.shape[:-nd])
    planes = x.reshape((n,) + sizes)
    s = samples[:n // x.shape[-nd - 1]].reshape(n, nd)
    order = (1, 0) if nd == 2 else (0, 1, 2)  # 2-D samples are (W, H); 3-D ones (T, H, W)
    start = np.zeros((n,) + out, np.int64)  # flat index of each window's first cell
    offsets = np.zeros(k, np.int64)  # flat offsets of a window's cells from its first
    for m in range(nd):
        step = math.prod(sizes[m + 1:])
        st = _intervals(s[:, order[m]], sizes[m], out[m], k[m])  # (P, o_m)
        start = start + st.reshape((n,) + tuple(o if i == m else 1 for i, o in enumerate(out))) \
            * step
        offsets = offsets + (np.arange(k[m]) * step).reshape(
            tuple(kk if i == m else 1 for i, kk in enumerate(k)))
    cells = start[..., None] + offsets.reshape(-1)  # (P, *out, K)
    v = np.take_along_axis(planes.reshape(n, math.prod(sizes)), cells.reshape(n, cells[0].size),
                           1).reshape(cells.shape) if n else np.zeros(cells.shape, x.dtype)
    if v.shape[-1] == 0:
        vals, idx = np.full(start.shape, -np.inf, x.dtype), start
    else:
        am = v.argmax(-1)
        nan = np.isnan(v)
        if nan.any():
            am = np.where(nan.any(-1), v.shape[-1] - 1 - nan[..., ::-1].argmax(-1), am)
        vals = np.take_along_axis(v, am[..., None], -1)[..., 0]
        idx = np.take_along_axis(cells, am[..., None], -1)[..., 0]
    return vals.reshape(x.shape[:-nd] + out), idx.reshape(x.shape[:-nd] + out)


def _samples(nd: int) -> list:
    rng = np.random.default_rng(7)
    if nd == 2:
        return [((1, 2, 7, 6), {"kernel_size": (2, 3), "output_size": (4, 3),
                                "random_samples": rng.random((1, 2, 2))}),
                ((3, 5, 5), {"kernel_size": (2, 2), "output_size": (3, 2),
                             "random_samples": rng.random((2, 3, 2))})]
    return [((1, 2, 5, 6, 5), {"kernel_size": (2, 3, 2), "output_size": (3, 2, 3),
                               "random_samples": rng.random((1, 2, 3))})]


def _fractional_torch(nd: int):
    def fn(torch, x, kernel_size, output_size, random_samples):
        samples = torch.from_numpy(random_samples).to(x.dtype)
        return getattr(torch.ops.aten, f"fractional_max_pool{nd}d")(
            x, list(kernel_size), list(output_size), samples)
    return fn


@primitive("fractional_max_pool2d", grad_fn="FractionalMaxPool2DBackward0", n_outputs=2,
           inputs=("input",), export=False, samples=_samples(2), torch_fn=_fractional_torch(2))
def fractional_max_pool2d(input, *, kernel_size, output_size, random_samples):
    """Max over pseudo-random (kH, kW) windows of (N, C, H, W) or (C, H, W); the windows of
    each plane start where its two random samples (W, H) in [0, 1) place them."""
    return _fractional(input, kernel_size, output_size, random_samples.astype(input.dtype,
                                                                              copy=False), 2)


@fractional_max_pool2d.vjp
def _(grads, input, *, kernel_size, output_size, random_samples):
    idx = _fractional(input._data, kernel_size, output_size,
                      random_samples.astype(input._data.dtype, copy=False), 2)[1]
    return fractional_max_pool2d_backward(grads[0], Tensor._make(idx),
                                          input_size=tuple(input.shape))


@primitive("fractional_max_pool2d_backward", grad_fn="FractionalMaxPool2DBackwardBackward0",
           export=False, int_inputs={"indices": (0, 20)},
           samples=[(((1, 2, 3, 2), (1, 2, 3, 2)), {"input_size": (1, 2, 4, 5)})],
           torch_fn=lambda torch, g, i, input_size: torch.ops.aten.fractional_max_pool2d_backward(
               g, torch.zeros(input_size, dtype=g.dtype), [1, 1], list(g.shape[-2:]), i))
def fractional_max_pool2d_backward(grad, indices, *, input_size):
    """d fractional_max_pool2d / d input: grad added at the argmax indices."""
    return _scatter(grad, indices, input_size, 2)


@fractional_max_pool2d_backward.vjp
def _(ggi, indices, *, input_size):
    return _gather(ggi, indices, 2), None


@primitive("fractional_max_pool3d", grad_fn="FractionalMaxPool3DBackward0", n_outputs=2,
           inputs=("input",), export=False, samples=_samples(3), torch_fn=_fractional_torch(3))
def fractional_max_pool3d(input, *, kernel_size, output_size, random_samples):
    """Max over pseudo-random (kT, kH, kW) windows of (N, C, T, H, W) or (C, T, H, W); the
    random samples of each plane are (T, H, W)."""
    return _fractional(input, kernel_size, output_size, random_samples.astype(input.dtype,
                                                                              copy=False), 3)


@fractional_max_pool3d.vjp
def _(grads, input, *, kernel_size, output_size, random_samples):
    idx = _fractional(input._data, kernel_size, output_size,
                      random_samples.astype(input._data.dtype, copy=False), 3)[1]
    return fractional_max_pool3d_backward(grads[0], Tensor._make(idx),
                                          input_size=tuple(input.shape))


@primitive("fractional_max_pool3d_backward", grad_fn="FractionalMaxPool3DBackwardBackward0",
           export=False, int_inputs={"indices": (0, 30)},
           samples=[(((1, 2, 2, 2, 2), (1, 2, 2, 2, 2)), {"input_size": (1, 2, 3, 2, 5)})],
           torch_fn=lambda torch, g, i, input_size: torch.ops.aten.fractional_max_pool3d_backward(
               g, torch.zeros(input_size, dtype=g.dtype), [1, 1, 1], list(g.shape[-3:]), i))
def fractional_max_pool3d_backward(grad, indices, *, input_size):
    """d fractional_max_pool3d / d input: grad added at the argmax indices."""
    return _scatter(grad, indices, input_size, 3)


@fractional_max_pool3d_backward.vjp
def _(ggi, indices, *, input_size):
    return _gather(ggi, indices, 3), None


# *** max unpooling ***

def _unpool(x: np.ndarray, indices: np.ndarray, output_size, nd: int) -> np.ndarray:
    name = f"max_unpooling{nd}d"
    if indices.dtype != np.int64:
        kind = {"f": "Float" if indices.dtype == np.float32 else "Double"}.get(
            indices.dtype.kind, str(indices.dtype))
        raise RuntimeError(f"elements in indices should be type int64 but got: {kind}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to {name} should be a {nd + 1}d or {nd + 2}d Tensor, but got "
                           f"a tensor with {x.ndim} dimensions.")
    if len(output_size) != nd:
        what = "exactly two elements (height, width)" if nd == 2 else \
            "exactly three elements (depth, height, width)"
        raise RuntimeError(f"There should be {what} in output_size, but got "
                           f"{len(output_size)} elements.")
    if indices.shape != x.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(x.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    size = math.prod(output_size)
    planes = math.prod(x.shape[:-nd])
    idx = indices.reshape(planes, -1)
    bad = (idx < 0) | (idx >= size)
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {idx[bad][0]} (output volumes are of "
                           f"size {'x'.join(map(str, output_size))})")
    out = np.zeros((planes, size), x.dtype)
    np.put_along_axis(out, idx, x.reshape(planes, -1), 1)
    return out.reshape(x.shape[:-nd] + tuple(output_size))


def _unpool_grad(grad: Tensor, indices: Tensor, nd: int) -> Tensor:
    """torch's max_pool_double_backward: grad viewed flat per plane, gathered at the indices."""
    lead = tuple(indices.shape[:indices.ndim - nd])
    flat = grad.reshape(lead + (-1,)).gather(-1, indices.reshape(lead + (-1,)))
    return flat.view(tuple(indices.shape))


# one value per plane in the table's samples: random indices never collide within a plane
_UNPOOL2 = [(((2, 3, 1, 1), (2, 3, 1, 1)), {"output_size": (2, 3)})]
_UNPOOL3 = [(((1, 2, 1, 1, 1), (1, 2, 1, 1, 1)), {"output_size": (2, 2, 2), "stride": (2, 2, 2),
                                                   "padding": (0, 0, 0)})]


@primitive("max_unpool2d", grad_fn="MaxUnpool2DBackward0", inputs=("input", "indices"),
           export=False, nondiff_inputs=("indices",), samples=_UNPOOL2,
           int_inputs={"indices": (0, 6)},
           torch_fn=lambda torch, x, i, output_size: torch.ops.aten.max_unpool2d(
               x, i, list(output_size)))
def max_unpool2d(input, indices, output_size):
    """Scatter (N, C, h, w) values to their flat H*W indices of zeros (N, C, *output_size)."""
    return _unpool(input, indices, tuple(output_size), 2)


@max_unpool2d.vjp
def _(grad, indices, *, output_size):
    return _unpool_grad(grad, indices, 2), None


@max_unpool2d.jvp
def _(input_t, indices_t, indices, *, output_size):
    # linear in input, and a repeated index keeps the last value written, as torch's kernel
    return max_unpool2d(input_t, indices, output_size)


@primitive("max_unpool3d", grad_fn="MaxUnpool3DBackward0", inputs=("input", "indices"),
           export=False, nondiff_inputs=("indices",), samples=_UNPOOL3,
           int_inputs={"indices": (0, 8)},
           torch_fn=lambda torch, x, i, output_size, stride, padding: torch.ops.aten.max_unpool3d(
               x, i, list(output_size), list(stride), list(padding)))
def max_unpool3d(input, indices, output_size, stride, padding):
    """Scatter (N, C, d, h, w) values to their flat D*H*W indices of zeros (N, C, *output_size)."""
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")
    return _unpool(input, indices, tuple(output_size), 3)


@max_unpool3d.vjp
def _(grad, indices, *, output_size, stride, padding):
    return _unpool_grad(grad, indices, 3), None


@max_unpool3d.jvp
def _(input_t, indices_t, indices, *, output_size, stride, padding):
    return max_unpool3d(input_t, indices, output_size, stride, padding)
