"""Embedding, padding and normalization ops (EmbeddingBackward0, ConstantPadNdBackward0,
ReflectionPad1DBackward0, NativeLayerNormBackward0, NativeBatchNormBackward0, ...)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._registry import primitive
from .nn import _kernel_dtype

# *** embedding ***

def _check_indices(indices: np.ndarray, fn: str) -> None:
    if indices.dtype not in (np.int64, np.int32):
        kind = {"float32": "Float", "float64": "Double", "bool": "Bool", "int16": "Short",
                "uint8": "Byte", "int8": "Char"}.get(indices.dtype.name, indices.dtype.name)
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got torch.{kind}Tensor "
                           f"instead (while checking arguments for {fn})")


@primitive("embedding", grad_fn="EmbeddingBackward0", method=False, inputs=("weight", "input"),
           int_inputs={"input": (0, 3)}, nondiff_inputs=("input",),
           samples=[(((4, 3), (5,)), {}), (((4, 2), (2, 3)), {"padding_idx": 3})])
def embedding(weight, input, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """Rows of weight picked by the integer tensor input.

    Example::
        >>> ndgrad.embedding(ndgrad.eye(3), ndgrad.tensor([2, 0]))
        tensor([[0., 0., 1.],
                [1., 0., 0.]])
    """
    _check_indices(input, "embedding")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.size and (input.min() < 0 or input.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    return weight[input]


@embedding.vjp
def _(grad, weight_shape, input, *, padding_idx, scale_grad_by_freq, sparse):
    return embedding_dense_backward(grad, input, num_weights=weight_shape[0],
                                    padding_idx=padding_idx,
                                    scale_grad_by_freq=scale_grad_by_freq), None


def _row_scale(indices: np.ndarray, num_weights: int, padding_idx: int, by_freq: bool,
               dtype) -> np.ndarray | None:
    """Per-index factor of the embedding gradient: 0 at padding_idx, 1 / count with by_freq."""
    if padding_idx < 0 and not by_freq:
        return None
    f = np.ones(indices.shape, dtype=dtype)
    if by_freq:
        f = f / np.bincount(indices.ravel(), minlength=num_weights)[indices]
    if padding_idx >= 0:
        f = np.where(indices == padding_idx, 0, f).astype(dtype)
    return f


@primitive("embedding_dense_backward", grad_fn="EmbeddingDenseBackwardBackward0", export=False,
           inputs=("grad_output", "indices"), int_inputs={"indices": (0, 4)},
           nondiff_inputs=("indices",),
           samples=[(((5, 3), (5,)), {"num_weights": 4, "padding_idx": -1,
                                      "scale_grad_by_freq": False}),
                    (((2, 3, 2), (2, 3)), {"num_weights": 4, "padding_idx": 1,
                                           "scale_grad_by_freq": False})],
           torch_fn=lambda torch, g, i, **k: torch.ops.aten.embedding_dense_backward(
               g, i, k["num_weights"], k["padding_idx"], k["scale_grad_by_freq"]))
def embedding_dense_backward(grad_output, indices, *, num_weights, padding_idx,
                             scale_grad_by_freq):
    idx = indices.ravel()
    rows = grad_output.reshape(idx.size, -1)
    f = _row_scale(indices, num_weights, padding_idx, scale_grad_by_freq, grad_output.dtype)
    if f is not None:
        rows = rows * f.reshape(-1, 1)
    out = np.zeros((num_weights, rows.shape[1]), dtype=grad_output.dtype)
    np.add.at(out, idx, rows)  # repeated indices accumulate
    return out.reshape((num_weights,) + grad_output.shape[indices.ndim:])


@embedding_dense_backward.vjp
def _(grad, indices, *, num_weights, padding_idx, scale_grad_by_freq):
    # NOTE: torch's embedding_dense_double_backward gathers rows and zeroes padding_idx but
    # ignores scale_grad_by_freq; kept identical
    g = embedding(grad, indices)
    if padding_idx >= 0:
        keep = (indices._data != padding_idx).astype(g._data.dtype)
        g = g * Tensor._make(keep.reshape(keep.shape + (1,) * (g.ndim - keep.ndim)))
    return g, None


# *** padding ***

def _pad_pairs(pad, ndim: int) -> list[tuple[int, int, int]]:
    """(axis, before, after) for each padded dim; pad lists the last dim first."""
    return [(ndim - 1 - i, int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]


@primitive("constant_pad_nd", complex=True, grad_fn="ConstantPadNdBackward0", inputs=("input",),
           method=False,
           samples=[((3,), {"pad": (1, 2)}), ((2, 3), {"pad": (1, 0, 0, 2), "value": 1.5}),
                    ((2, 4), {"pad": (-1, 2)})])
def constant_pad_nd(input, pad, value=0):
    """Pad (or crop, for negative amounts) the last len(pad) // 2 dims with value.

    Example::
        >>> ndgrad.constant_pad_nd(ndgrad.ones(2), (1, 1))
        tensor([0., 1., 1., 0.])
    """
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    crop = [slice(None)] * input.ndim
    widths = [(0, 0)] * input.ndim
    for axis, lo, hi in _pad_pairs(pad, input.ndim):
        n = input.shape[axis]
        if n + lo + hi < 0:
            raise RuntimeError(f"The input size {n}, plus negative padding {lo} and {hi} resulted "
                               f"in a negative output size, which is invalid. Check dimension "
                               f"{axis} of your input.")
        crop[axis] = slice(max(-lo, 0), n - max(-hi, 0))
        widths[axis] = (max(lo, 0), max(hi, 0))
    out = input[tuple(crop)]
    return np.pad(out, widths, constant_values=value) if any(map(any, widths)) else out.copy()


@constant_pad_nd.vjp
def _(grad, *, pad, value):
    return constant_pad_nd(grad, [-p for p in pad])


def _pad_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """Source index, along one dim of size n, of every output position of a non-constant pad."""
    if mode == "circular":  # torch crops negative amounts first, then wraps the cropped dim
        start, stop = max(-lo, 0), n - max(-hi, 0)
        m = stop - start
        return start + np.arange(-max(lo, 0), m + max(hi, 0)) % m
    j = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    period = 2 * (n - 1)  # reflect about the edge elements
    j = np.abs(j) % period if period else np.zeros_like(j)
    return np.where(j > n - 1, period - j, j)


def _pad_name(mode: str, pad) -> str:
    kind = {"reflect": "Reflection", "replicate": "Replication"}.get(mode)
    return f"{kind}Pad{len(pad) // 2}DBackward0" if kind else "CopySlices"


@primitive("_pad_nonconstant", complex=True, export=False, grad_fn=lambda pad,
           mode: _pad_name(mode, pad),
           samples=[((2, 4), {"pad": (1, 2), "mode": "reflect"}),
                    ((1, 2, 3, 4), {"pad": (1, 1, 2, 0), "mode": "replicate"}),
                    ((2, 4), {"pad": (-1, 2), "mode": "circular"}),
                    ((1, 2, 2, 3), {"pad": (1, 2, 1, 0, 0, 1), "mode": "replicate"})],
           torch_fn=lambda torch, x, pad, mode: torch.nn.functional.pad(x, pad, mode))
def _pad_nonconstant(input, *, pad, mode):
    out = input
    for axis, lo, hi in _pad_pairs(pad, input.ndim):
        out = np.take(out, _pad_index(input.shape[axis], lo, hi, mode), axis=axis)
    return out


@_pad_nonconstant.vjp
def _(grad, input, *, pad, mode):
    return _pad_nonconstant_backward(grad, input, pad=pad, mode=mode)


def _pad_backward_name(mode: str, pad) -> str:
    kind = {"reflect": "Reflection", "replicate": "Replication"}.get(mode)
    return f"{kind}Pad{len(pad) // 2}DBackwardBackward0" if kind else "CopySlices"


@primitive("_pad_nonconstant_backward", complex=True, export=False, inputs=("grad_output", "input"),
           grad_fn=lambda pad, mode: _pad_backward_name(mode, pad),
           samples=[(((2, 7), (2, 4)), {"pad": (1, 2), "mode": "reflect"}),
                    (((2, 5), (2, 4)), {"pad": (-1, 2), "mode": "circular"})],
           skips=("torch",))
def _pad_nonconstant_backward(grad_output, input, *, pad, mode):
    """Adjoint of _pad_nonconstant; `input` only supplies the shape (torch's node keeps it as
    an input, with a zero gradient)."""
    g = grad_output
    for axis, lo, hi in _pad_pairs(pad, input.ndim):
        idx = _pad_index(input.shape[axis], lo, hi, mode)
        scatter = np.zeros((idx.size, input.shape[axis]), dtype=g.dtype)
        scatter[np.arange(idx.size), idx] = 1  # each output position adds into its source
        g = np.moveaxis(np.moveaxis(g, axis, -1) @ scatter, -1, axis)
    return g


@_pad_nonconstant_backward.vjp
def _(grad, *, pad, mode):
    return _pad_nonconstant(grad, pad=pad, mode=mode), grad * 0


# *** normalization ***
# A plain backward (nothing recorded) runs one NumPy pass; under create_graph the same formula
# is built from differentiable ops, so double backward works.

def _normalize_rows(x: Tensor, axes: tuple, eps: float) -> tuple[Tensor, Tensor]:
    """(x - mean) * rstd over axes, and rstd, in differentiable ops."""
    xc = x - x.mean(axes, keepdim=True)
    rstd = ((xc * xc).mean(axes, keepdim=True) + eps) ** -0.5
    return xc * rstd, rstd


def _norm_input_grad(gxhat, xhat, rstd, axes: tuple):
    # d/dx of (x - μ) σ⁻¹ contracted with gxhat: σ⁻¹ (g - mean(g) - x̂ mean(g x̂)); works on
    # arrays and on Tensors alike
    if isinstance(gxhat, np.ndarray):
        return rstd * (gxhat - gxhat.mean(axis=axes, keepdims=True)
                       - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True))
    return rstd * (gxhat - gxhat.mean(axes, keepdim=True)
                   - xhat * (gxhat * xhat).mean(axes, keepdim=True))


def _arrays_out(*grads) -> tuple:
    return tuple(None if g is None else Tensor._make(np.asarray(g)) for g in grads)


def _stats_np(x: np.ndarray, axes: tuple, eps: float) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = (xc * xc).mean(axis=axes, keepdims=True)
    return xc, 1 / np.sqrt(var + eps)


@primitive("native_layer_norm", grad_fn="NativeLayerNormBackward0", export=False,
           inputs=("input", "weight", "bias"),
           samples=[(((2, 3), (3,), (3,)), {"normalized_shape": (3,), "eps": 1e-5}),
                    (((2, 2, 3), None, None), {"normalized_shape": (2, 3), "eps": 1e-5}),
                    (((2, 3), (3,), None), {"normalized_shape": (3,), "eps": 0.1})],
           torch_fn=lambda torch, x, w, b, normalized_shape, eps: torch.nn.functional.layer_norm(
               x, normalized_shape, w, b, eps))
def native_layer_norm(input, weight, bias, *, normalized_shape, eps):
    _kernel_dtype(input, "LayerNormKernelImpl")
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != tuple(normalized_shape) or input.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with "
                           f"shape [*, {', '.join(map(str, normalized_shape))}], but got input of "
                           f"size{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != tuple(normalized_shape):
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(normalized_shape)}")
    xc, rstd = _stats_np(input, tuple(range(input.ndim - k, input.ndim)), eps)
    out = xc * rstd
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out.astype(input.dtype, copy=False)


@native_layer_norm.vjp
def _(grad, input, weight, bias, *, normalized_shape, eps):
    axes = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    batch = tuple(range(input.ndim - len(normalized_shape)))
    need_w = weight is not None and weight.requires_grad
    need_b = bias is not None and bias.requires_grad
    if not STATE.enabled:
        g, x = grad._data, input._data
        xc, rstd = _stats_np(x, axes, eps)
        xhat = xc * rstd
        gx = _norm_input_grad(g if weight is None else g * weight._data, xhat, rstd, axes)
        return _arrays_out(gx.astype(x.dtype, copy=False) if input.requires_grad else None,
                           (g * xhat).sum(axis=batch).astype(x.dtype) if need_w else None,
                           g.sum(axis=batch) if need_b else None)
    xhat, rstd = _normalize_rows(input, axes, eps)
    gx = None
    if input.requires_grad:
        gx = _norm_input_grad(grad if weight is None else grad * weight, xhat, rstd, axes)
    # weight/bias grads broadcast from the trailing dims: the engine sums the batch dims
    return gx, grad * xhat if need_w else None, grad if need_b else None


def _channel_shape(x, n: int) -> tuple:
    return (1, n) + (1,) * (x.ndim - 2)


@primitive("native_batch_norm", grad_fn="NativeBatchNormBackward0", export=False,
           inputs=("input", "weight", "bias", "running_mean", "running_var"),
           nondiff_inputs=("running_mean", "running_var"), domain={"running_var": (0.5, 2.0)},
           samples=[(((4, 3), (3,), (3,), None, None), {"training": True, "momentum": 0.1,
                                                        "eps": 1e-5}),
                    (((2, 3, 2), None, (3,), None, None), {"training": True, "momentum": 0.1,
                                                           "eps": 1e-3}),
                    (((2, 3, 2), (3,), (3,), (3,), (3,)), {"training": False, "momentum": 0.1,
                                                           "eps": 1e-5})],
           torch_fn=lambda torch, x, w, b, rm, rv, training, momentum, eps: torch.batch_norm(
               x, w, b, rm, rv, training, momentum, eps, False))
def native_batch_norm(input, weight, bias, running_mean, running_var, *, training, momentum, eps):
    c = input.shape[1]
    shape = _channel_shape(input, c)
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        mean = input.mean(axis=axes, keepdims=True)
        xc = input - mean
        var = (xc * xc).mean(axis=axes, keepdims=True)
        n = input.size // c
        # running stats move in place (no version bump, as in torch), with the unbiased variance
        if running_mean is not None:
            running_mean[...] = momentum * mean.reshape(c) + (1 - momentum) * running_mean
        if running_var is not None:
            unbiased = var.reshape(c) * (n / (n - 1)) if n > 1 else np.full(c, np.nan)
            running_var[...] = momentum * unbiased + (1 - momentum) * running_var
        out = xc / np.sqrt(var + eps)
    else:
        out = (input - running_mean.reshape(shape)) / np.sqrt(running_var.reshape(shape) + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out.astype(input.dtype, copy=False)


@native_batch_norm.vjp
def _(grad, input, weight, bias, running_mean, running_var, *, training, momentum, eps):
    shape = _channel_shape(input, input._data.shape[1])
    axes = (0,) + tuple(range(2, input.ndim))
    need_w = weight is not None and weight.requires_grad
    need_b = bias is not None and bias.requires_grad
    if not STATE.enabled:
        g, x = grad._data, input._data
        w = None if weight is None else weight._data.reshape(shape)
        if training:
            xc, rstd = _stats_np(x, axes, eps)
            xhat = xc * rstd
            gx = _norm_input_grad(g if w is None else g * w, xhat, rstd, axes)
        else:
            rstd = 1 / np.sqrt(running_var._data.reshape(shape) + eps)
            xhat = (x - running_mean._data.reshape(shape)) * rstd
            gx = g * (rstd if w is None else w * rstd)
        return _arrays_out(gx.astype(x.dtype, copy=False) if input.requires_grad else None,
                           (g * xhat).sum(axis=axes).astype(x.dtype) if need_w else None,
                           g.sum(axis=axes) if need_b else None, None, None)
    w = None if weight is None else weight.reshape(shape)
    if training:
        xhat, rstd = _normalize_rows(input, axes, eps)
        gx = _norm_input_grad(grad if w is None else grad * w, xhat, rstd, axes)
    else:
        rstd = (running_var.reshape(shape) + eps) ** -0.5
        xhat = (input - running_mean.reshape(shape)) * rstd
        gx = grad * rstd if w is None else grad * (w * rstd)
    return (gx if input.requires_grad else None, (grad * xhat).sum(axes) if need_w else None,
            grad.sum(axes) if need_b else None, None, None)


@primitive("native_group_norm", grad_fn="NativeGroupNormBackward0", export=False,
           inputs=("input", "weight", "bias"),
           samples=[(((2, 4, 3), (4,), (4,)), {"num_groups": 2, "eps": 1e-5}),
                    (((2, 3), None, None), {"num_groups": 3, "eps": 1e-5}),
                    (((1, 2, 2, 2), (2,), None), {"num_groups": 1, "eps": 0.1}),
                    (((0, 4, 3), (4,), (4,)), {"num_groups": 2, "eps": 1e-5})],
           torch_fn=lambda torch, x, w, b, num_groups, eps: torch.nn.functional.group_norm(
               x, num_groups, w, b, eps))
def native_group_norm(input, weight, bias, *, num_groups, eps):
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and num_groups="
                           f"{num_groups}")
    if not input.size:  # nothing to normalise (and no -1 to infer in the reshape below)
        return np.empty(input.shape, input.dtype)
    xc, rstd = _stats_np(input.reshape(n, num_groups, -1), (2,), eps)
    out = (xc * rstd).reshape(input.shape)
    shape = _channel_shape(input, c)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out.astype(input.dtype, copy=False)


@native_group_norm.vjp
def _(grad, input, weight, bias, *, num_groups, eps):
    n, c = input._data.shape[:2]
    shape = _channel_shape(input, c)
    axes = (0,) + tuple(range(2, input.ndim))
    need_w = weight is not None and weight.requires_grad
    need_b = bias is not None and bias.requires_grad
    if not input._data.size:  # nothing was normalised: zero gradients, but as torch, weight's
        # is NaN when there are groups without elements (their mean and rstd are NaN)
        def full(shape: tuple, value: float = 0.0) -> Tensor:
            return Tensor._make(np.full(shape, value, grad._data.dtype))
        return (full(input._data.shape) if input.requires_grad else None,
                full((c,), np.nan if n else 0.0) if need_w else None,
                full((c,)) if need_b else None)
    if not STATE.enabled:
        g, x = grad._data, input._data
        xc, rstd = _stats_np(x.reshape(n, num_groups, -1), (2,), eps)
        xhat = xc * rstd
        gx = None
        if input.requires_grad:
            gxhat = (g if weight is None else g * weight._data.reshape(shape)).reshape(xhat.shape)
            gx = _norm_input_grad(gxhat, xhat, rstd, (2,)).reshape(x.shape).astype(x.dtype)
        xhat = xhat.reshape(x.shape)
        return _arrays_out(gx, (g * xhat).sum(axis=axes).astype(x.dtype) if need_w else None,
                           g.sum(axis=axes) if need_b else None)
    xhat, rstd = _normalize_rows(input.reshape(n, num_groups, -1), (2,), eps)
    gx = None
    if input.requires_grad:
        gxhat = (grad if weight is None else grad * weight.reshape(shape)).reshape(
            n, num_groups, -1)
        gx = _norm_input_grad(gxhat, xhat, rstd, (2,)).reshape(input._data.shape)
    xhat = xhat.reshape(input._data.shape)
    return (gx, (grad * xhat).sum(axes) if need_w else None,
            grad.sum(axes) if need_b else None)
