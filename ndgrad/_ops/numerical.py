"""Differences, integrals and second moments written as torch writes them (diff, gradient,
trapezoid, cumulative_trapezoid, cov, corrcoef), plus renorm, dist and sum_to_size."""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import composite, primitive
from .complex import complex as ndgrad_complex
from .join import cat
from .pointwise import _result_np, where
from .reduction import _dim1
from .statistics import _vector_norm, vector_norm

# *** finite differences ***

def _diff_check(input: Tensor, n: int, dim: int, other: Tensor | None) -> None:
    if other is None:
        return
    nd = input._data.ndim
    if other._data.ndim != nd:
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    d = _wrap_dim(dim, nd)
    for i in range(nd):
        if i != d and other._data.shape[i] != input._data.shape[i]:
            raise RuntimeError(
                "diff expects the shape of tensor to prepend or append to match that of input "
                f"except along the differencing dimension; input.size({i}) = "
                f"{input._data.shape[i]}, but got tensor.size({i}) = {other._data.shape[i]}")


@composite("diff", samples=[((5,), {}), ((3, 4), {"n": 2, "dim": 0}), ((2, 3), {"n": 1, "dim": 1})],
           skips=("torch",))  # grad_fn matches only for n >= 1; values: the conformance test
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The n-th forward difference along dim (bool tensors: logical xor), after optionally
    concatenating prepend and append.

    Example::
        >>> ndgrad.diff(ndgrad.tensor([1, 3, 6]))
        tensor([2, 3])
    """
    if input._data.ndim < 1:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    _diff_check(input, n, dim, prepend)
    _diff_check(input, n, dim, append)
    d = _wrap_dim(dim, input._data.ndim)
    if n == 0:
        return input.clone()
    x = input
    if prepend is not None or append is not None:
        x = cat([t for t in (prepend, input, append) if t is not None], d)
    length = x._data.shape[d] - 1
    for _ in range(min(n, x._data.shape[d])):
        hi, lo = x.narrow(d, 1, length), x.narrow(d, 0, length)
        x = hi.logical_xor(lo) if x._data.dtype == np.bool_ else hi - lo
        length -= 1
    return x


def _edges(x: Tensor, d: int, start: int, stop: int | None) -> Tensor:
    n = x._data.shape[d]
    start = start + n if start < 0 else start
    stop = n if stop is None else (stop + n if stop < 0 else stop)
    return x.narrow(d, start, max(stop - start, 0))


def _gradient_on_grid(x: Tensor, d: int, h: Any, edge_order: int) -> Tensor:
    """Central differences with a uniform spacing h (torch's gradient_helper_float)."""
    center = (_edges(x, d, 2, None) - _edges(x, d, 0, -2)) / h
    if edge_order == 1:
        first = (_edges(x, d, 1, 2) - _edges(x, d, 0, 1)) / h
        last = (_edges(x, d, -1, None) - _edges(x, d, -2, -1)) / h
    else:
        first = (-1.5 * _edges(x, d, 0, 1) + 2 * _edges(x, d, 1, 2)
                 - 0.5 * _edges(x, d, 2, 3)) / h
        last = (0.5 * _edges(x, d, -3, -2) - 2 * _edges(x, d, -2, -1)
                + 1.5 * _edges(x, d, -1, None)) / h
    return cat([first, center / 2, last], d)


def _gradient_on_coordinates(x: Tensor, d: int, coords: Tensor, edge_order: int) -> Tensor:
    """Second-order differences on non-uniform coordinates (torch's gradient_helper)."""
    if coords._data.ndim != 1:
        raise RuntimeError(f"torch.gradient expected each element of spacing to have one "
                           f"dimension, but got an element with {coords._data.ndim} dimensions!")
    shape = [1] * x._data.ndim
    shape[d] = -1
    dx = coords.diff()
    dx1, dx2 = dx[:-1], dx[1:]
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * _edges(x, d, 0, -2) + b * _edges(x, d, 1, -1) + c * _edges(x, d, 2, None)
    if edge_order == 1:
        first = (_edges(x, d, 1, 2) - _edges(x, d, 0, 1)) / dx[0]
        last = (_edges(x, d, -1, None) - _edges(x, d, -2, -1)) / dx[-1]
    else:
        h0, h1 = dx[0], dx[1]
        first = (-(2.0 * h0 + h1) / (h0 * (h0 + h1)) * _edges(x, d, 0, 1)
                 + (h0 + h1) / (h0 * h1) * _edges(x, d, 1, 2)
                 + (-h0) / (h1 * (h0 + h1)) * _edges(x, d, 2, 3))
        h0, h1 = dx[-2], dx[-1]
        last = (h1 / (h0 * (h1 + h0)) * _edges(x, d, -3, -2)
                - (h1 + h0) / (h1 * h0) * _edges(x, d, -2, -1)
                + (2 * h1 + h0) / (h1 * (h1 + h0)) * _edges(x, d, -1, None))
    return cat([first, center, last], d)


@composite("gradient", method=False, samples=[((5,), {}), ((4, 3), {"spacing": 2.0, "dim": 0}),
                                              ((5,), {"edge_order": 2})], skips=("torch",))
def gradient(input: Tensor, *, spacing: Any = 1, dim: Any = None, edge_order: int = 1) -> tuple:
    """Estimates of the derivative along each dim by central differences (one-sided, of order
    edge_order, at the edges); spacing is a number, one per dim, or coordinate tensors.

    Example::
        >>> ndgrad.gradient(ndgrad.tensor([1., 2., 4., 7.]))
        (tensor([1.0000, 1.5000, 2.5000, 3.0000]),)
    """
    x = input._data
    if x.dtype == np.uint8:
        raise RuntimeError("torch.gradient does not support uint8 input.")
    dims = list(range(x.ndim)) if dim is None else (
        [dim] if isinstance(dim, (int, np.integer)) else list(dim))
    spacing = 1 if spacing is None else spacing
    scalar = not isinstance(spacing, (list, tuple))
    steps = [spacing] * len(dims) if scalar else list(spacing)
    if not scalar:
        if dim is None and len(steps) != x.ndim:
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or "
                               f"a list of length equal to 'self.dim() = {x.ndim}', since dim "
                               f"argument was not given, but got a list of length {len(steps)}")
        if dim is not None and len(steps) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                               f"it's spacing and dim arguments to have the same length, but got "
                               f"a spacing argument of length {len(steps)} and a dim argument of "
                               f"length {len(dims)}.")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = [_wrap_dim(d, x.ndim) for d in dims]
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    for d in dims:
        if x.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    out = []
    for d, h in zip(dims, steps):
        if isinstance(h, Tensor):
            out.append(_gradient_on_coordinates(input, d, h, edge_order))
        else:
            out.append(_gradient_on_grid(input, d, h, edge_order))
    return tuple(out)


# *** trapezoidal integrals ***

def _spacing_from(x: Tensor, y: Tensor, d: int, name: str) -> Tensor:
    nd = y._data.ndim
    if x._data.ndim == 1:
        if x._data.shape[0] != y._data.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * nd
        shape[d] = x._data.shape[0]
        x = x.view(*shape)
    elif x._data.ndim < nd:
        x = x.view(*((1,) * (nd - x._data.ndim) + tuple(x._data.shape)))
    n = x._data.shape[d]
    return x.narrow(d, 1, n - 1) - x.narrow(d, 0, n - 1)


def _no_bool(name: str, *xs: Any) -> None:
    if any(isinstance(x, Tensor) and x._data.dtype == np.bool_ for x in xs):
        which = "`x` or `y`" if len(xs) > 1 else "`y`"
        raise RuntimeError(f"{name}: received a bool input for {which}, but bool is not "
                           "supported")


def _check_dx(name: str, dx: Any) -> float:
    if isinstance(dx, (bool, complex)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    return float(dx)


@composite("trapezoid", method=False, samples=[((3, 4), {}), ((4, 3), {"dx": 0.5, "dim": 0})],
           skips=("torch",))
def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The integral of y along dim by the trapezoidal rule (sample points x, or spacing dx).

    Example::
        >>> ndgrad.trapezoid(ndgrad.tensor([1., 2., 3.]))
        tensor(4.)
    """
    d = _dim1(dim, y._data.ndim)
    if y._data.shape[d] == 0:
        return Tensor._make(np.zeros(y._data.shape[:d] + y._data.shape[d + 1:], y._data.dtype))
    n = y._data.shape[d]
    if x is not None:
        _no_bool("trapezoid", y, x)
        h = _spacing_from(x, y, d, "trapezoid")
        return ((y.narrow(d, 0, n - 1) + y.narrow(d, 1, n - 1)) * h).sum(d) / 2.0
    _no_bool("trapezoid", y)
    h = _check_dx("trapezoid", 1 if dx is None else dx)
    return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * h


@composite("trapz", method=False)
def trapz(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """Alias of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


@composite("cumulative_trapezoid", method=False,
           samples=[((3, 4), {}), ((4, 3), {"dx": 0.5, "dim": 0})], skips=("torch",))
def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None,
                         dim: int = -1) -> Tensor:
    """The running trapezoidal integral of y along dim (one element shorter than y).

    Example::
        >>> ndgrad.cumulative_trapezoid(ndgrad.tensor([1., 2., 3.]))
        tensor([1.5000, 4.0000])
    """
    d = _dim1(dim, y._data.ndim)
    n = y._data.shape[d]
    left, right = y.narrow(d, 0, max(n - 1, 0)), y.narrow(d, min(1, n), max(n - 1, 0))
    if x is not None:
        _no_bool("cumulative_trapezoid", y, x)
        h = _spacing_from(x, y, d, "cumulative_trapezoid")
        return ((left + right) * h).cumsum(d) / 2.0
    _no_bool("cumulative_trapezoid", y)
    h = _check_dx("cumulative_trapezoid", 1 if dx is None else dx)
    return (h / 2.0 * (left + right)).cumsum(d)


# *** covariance and correlation ***

def _check_weights(w: Tensor, name: str, n: int, integral: bool) -> None:
    if w._data.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w._data.ndim} dimensions")
    kind_ok = w._data.dtype.kind in "iu" if integral else w._data.dtype.kind == "f"
    if not kind_ok:
        what = "integral" if integral else "floating point"
        raise RuntimeError(f"cov(): expected {name} to have {what} dtype but got {name} with "
                           f"{w.dtype} dtype")
    if w._data.size != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w._data.size} != {n}")
    if n and w._data.min() < 0:
        raise RuntimeError(f"cov(): {name} cannot be negative")


@composite("cov", samples=[((3, 4), {}), ((2, 5), {"correction": 0}), ((4,), {})],
           skips=("torch",))
def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """The covariance matrix of the variables in input's rows (observations in columns), with
    optional frequency and analytic weights.

    Example::
        >>> ndgrad.cov(ndgrad.tensor([[0., 1., 2.], [2., 1., 0.]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    if input._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input._data.ndim} dimensions")
    if input._data.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input if input._data.ndim == 2 else input.view(1, -1)
    n = x._data.shape[1]
    w = None
    if fweights is not None:
        _check_weights(fweights, "fweights", n, True)
        w = fweights
    if aweights is not None:
        _check_weights(aweights, "aweights", n, False)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = Tensor._make(np.asarray(n, np.int64))
    else:
        w_sum = w.sum()
        if w_sum._data == 0:
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x if w is None else x * w).sum(1) / w_sum
    if w is None:
        norm = Tensor._make(np.asarray(n - correction, np.int64))
    elif correction == 0:
        norm = w_sum
    elif aweights is None:
        norm = w_sum - correction
    elif fweights is None and n == 1 and correction == 1:
        norm = Tensor._make(np.asarray(0, np.int64))
    else:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    if norm._data <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than "
                      "the number of observations.", UserWarning, stacklevel=3)
        norm = Tensor._make(np.zeros((), norm._data.dtype))
    if n == 1 and (fweights is None) != (aweights is None):
        dt = x._data.dtype if x._data.dtype.kind == "f" else np.float32
        x = Tensor._make(np.zeros(x._data.shape, dt))  # torch zeroes it: avg equals the input
    else:
        x = x - avg.unsqueeze(1)
    c = x.mm((x if w is None else x * w).t().conj())
    if c.is_complex() and 1 in x._data.shape:  # torch zeroes the (round-off) imaginary part
        c = ndgrad_complex(c.real, c.real * 0)
    return c.true_divide(norm).squeeze()


@composite("corrcoef", samples=[((3, 4), {}), ((2, 5), {})], skips=("torch",))
def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in input's rows.

    Example::
        >>> ndgrad.corrcoef(ndgrad.tensor([[0., 1., 2.], [2., 1., 0.]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    if input._data.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input._data.ndim} dimensions")
    c = cov(input)
    if c._data.ndim == 0:
        return c / c  # NaN for a constant or degenerate variable, 1 otherwise
    d = c.diagonal()
    std = (d.real if d.is_complex() else d).sqrt()
    c = c / std.view(-1, 1)
    c = c / std.view(1, -1)
    if c.is_complex():  # rounding can leave |parts| above 1: clip each, as NumPy does
        return ndgrad_complex(c.real.clip(-1, 1), c.imag.clip(-1, 1))
    return c.clip(-1, 1)


# *** renorm, dist, sum_to_size ***

@primitive("renorm", complex=True, inplace=True, grad_fn="RenormBackward0", inputs=("input",),
           samples=[((3, 4), {"p": 2, "dim": 0, "maxnorm": 1.0}),
                    ((3, 4), {"p": 1, "dim": 1, "maxnorm": 2.0})])
def renorm(input, p, dim, maxnorm):
    """input with each slice along dim rescaled to p-norm at most maxnorm.

    Example::
        >>> ndgrad.renorm(ndgrad.tensor([[3., 4.], [0.3, 0.4]]), 2, 0, 1.)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _wrap_dim(dim, input.ndim)
    reduce = tuple(i for i in range(input.ndim) if i != d)
    norm = _vector_norm.forward(input, p, reduce, True)
    factor = np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0).astype(norm.dtype)
    return (input * factor).astype(input.dtype)


@renorm.vjp
def _(grad, input, *, p, dim, maxnorm):
    # torch's renorm_backward: where a slice was scaled, the scale itself depends on its norm
    d = _wrap_dim(dim, input._data.ndim)
    reduce = tuple(i for i in range(input._data.ndim) if i != d)
    norm = vector_norm(input, p, reduce, True)
    inner = input.conj() * grad if input.is_complex() else input * grad
    inner = (inner.real if input.is_complex() else inner).sum(reduce, keepdim=True)
    nb = _vector_norm.vjp_fn(inner, input, norm, ord=p, dim=reduce, keepdim=True, dtype=None)
    invnorm = (norm + 1e-7).reciprocal()
    factor = invnorm * maxnorm
    return where(norm > maxnorm, factor * grad - factor * invnorm * nb, grad)


@primitive("dist", complex=True, grad_fn="DistBackward0", inputs=("input", "other"),
           samples=[(((2, 3), (3,)), {}), (((3,), (3,)), {"p": 1}), (((2, 2), (2, 2)), {"p": 3})])
def dist(input, other, p=2):
    """The p-norm of input - other (broadcast).

    Example::
        >>> ndgrad.dist(ndgrad.tensor([3., 0.]), ndgrad.tensor([0., 4.]))
        tensor(5.)
    """
    dt = _result_np(input, other)
    if dt.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_TYPE.get(dt.name, dt.name)}")
    return _vector_norm.forward(np.subtract(input, other, dtype=dt), float(p), None, False)


_TYPE = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
         "bool": "Bool"}


@dist.vjp
def _(grad, input, other, result, needs_input_grad, *, p):
    diff = input - other
    g = _vector_norm.vjp_fn(grad, diff, result, ord=float(p), dim=None, keepdim=False, dtype=None)
    if g is None:  # p = 0: piecewise constant
        g = diff * 0
    return (g if needs_input_grad[0] else None, -g if needs_input_grad[1] else None)


@composite("sum_to_size", export=False,
           samples=[((2, 3), {"size": (1, 3)}), ((2, 3, 1), {"size": (3, 1)})],
           torch_fn=lambda torch, x, size: x.sum_to_size(size))
def sum_to_size(input: Tensor, *size: Any, **kwargs: Any) -> Tensor:
    """Sum input down to `size` (which input must be expandable from).

    Example::
        >>> ndgrad.ones(2, 3).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
    """
    size = size or (tuple(kwargs.pop("size")),)  # x.sum_to_size(size=(...)) as torch allows
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    size = tuple(int(s) for s in size)
    shape = input._data.shape
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    dims = tuple(range(lead)) + tuple(lead + i for i, (s, n) in enumerate(zip(size, shape[lead:]))
                                      if s == 1 and n != 1)
    out = input.sum(dims, keepdim=True) if dims else input
    return out.view(*size) if lead else out
