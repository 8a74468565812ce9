"""Counting and searching: histc, histogram, histogramdd, bincount, bucketize, searchsorted,
isin and unique_consecutive (none of them differentiable)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import composite, primitive
from .numeric import named_pair
from .pointwise import _not_for, _result_np

_Histogram = named_pair("histogram", "hist", "bin_edges")
_Histogramdd = named_pair("histogramdd", "hist", "bin_edges")


# *** histograms (torch's histogramdd kernel: edges from linspace, the last bin closed) ***

def _linspace(start: float, end: float, steps: int, dt: np.dtype) -> np.ndarray:
    """torch's linspace: from both ends towards the middle, in dt's arithmetic."""
    s, e = dt.type(start), dt.type(end)
    if steps == 1:
        return np.array([s], dt)
    step = (e - s) / dt.type(steps - 1)
    i = np.arange(steps)
    low = s + step * i.astype(dt)
    high = e - step * (steps - 1 - i).astype(dt)
    return np.where(i < steps // 2, low, high).astype(dt)


def _bin_index(x: np.ndarray, edges: np.ndarray, linear: bool, local_search: bool) -> np.ndarray:
    """The bin of each x (within [edges[0], edges[-1]]); the last bin includes its right edge."""
    n = edges.size - 1
    if linear:
        lo, hi = edges[0], edges[-1]
        pos = np.clip(((x - lo) * x.dtype.type(n) / (hi - lo)).astype(np.int64), 0, n)
        if local_search:  # the division can put an element next to an edge one bin off
            first = np.maximum(pos - 1, 0)
            below = sum((k < np.minimum(pos + 2, n + 1)) & (edges[np.minimum(k, n)] <= x)
                        for k in (first, first + 1, first + 2))
            pos = first + below - 1
    else:
        pos = np.searchsorted(edges, x, side="right") - 1
    return np.minimum(pos, n - 1)


def _histogramdd(x: np.ndarray, edges: list, weight: np.ndarray | None, density: bool,
                 linear: bool, local_search: bool) -> np.ndarray:
    """x: (N, D) samples; edges: D increasing edge arrays."""
    counts = tuple(e.size - 1 for e in edges)
    hist = np.zeros(counts, x.dtype)
    inside = np.ones(x.shape[0], bool)
    for d, e in enumerate(edges):
        inside &= (x[:, d] >= e[0]) & (x[:, d] <= e[-1])  # NaN falls outside
    pos = tuple(_bin_index(x[inside, d], e, linear, local_search) for d, e in enumerate(edges))
    np.add.at(hist, pos, weight[inside] if weight is not None else x.dtype.type(1))
    if density:
        hist = hist / hist.sum()
        for d, e in enumerate(edges):
            shape = [1] * len(edges)
            shape[d] = -1
            hist = hist / np.diff(e).reshape(shape)
    return hist.astype(x.dtype)


def _outer_edges(x: np.ndarray, rng: Any, d: int, name: str) -> tuple:
    if rng is not None:
        lo, hi = float(rng[2 * d]), float(rng[2 * d + 1])
    elif x.shape[0]:
        lo, hi = float(x[:, d].min()), float(x[:, d].max())
    else:
        lo, hi = 0.0, 1.0
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.{name}: dimension {d}'s range [{lo}, {hi}] is not finite")
    if lo > hi:
        raise RuntimeError(f"torch.{name}: min should not exceed max, but got min {lo} max {hi} "
                           f"for dimension {d}")
    return (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)


def _check_hist_input(x: np.ndarray, weight: Tensor | None, name: str) -> np.ndarray | None:
    if x.dtype.kind != "f":
        raise _not_for(f"{name}_cpu" if name != "histogramdd" else "histogramdd", x.dtype)
    if weight is None:
        return None
    if weight._data.dtype != x.dtype:
        raise RuntimeError(f"torch.{name}: if weight tensor is provided, it should have the same "
                           "dtype as the input tensor")
    return weight._data


@primitive("histc", differentiable=False, promote="same", shapes=[(3, 4)],
           attrs={"bins": 5, "min": -1, "max": 1})
def histc(input, bins=100, min=0, max=0):
    """Counts of input in `bins` equal bins over [min, max] (the data's range when both are 0).

    Example::
        >>> ndgrad.histc(ndgrad.tensor([1., 2., 1.]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    if input.dtype.kind != "f":
        raise _not_for("histogram_histc_cpu", input.dtype)
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0, but got " + str(bins))
    lo, hi = float(min), float(max)
    if lo == hi and input.size:
        lo, hi = float(input.min()), float(input.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    if lo >= hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    edges = _linspace(lo, hi, bins + 1, input.dtype)
    return _histogramdd(input.reshape(-1, 1), [edges], None, False, True, False)


def _edges_for(x: np.ndarray, bins: Any, rng: Any, d: int, name: str) -> tuple:
    """(edges, linear) for dimension d from an int bin count or a tensor of edges."""
    if isinstance(bins, Tensor):
        e = bins._data
        if e.ndim != 1 or e.size < 1:
            raise RuntimeError(f"torch.{name}: bins tensor should have one dimension and at "
                               f"least 1 element, but got {e.ndim} dimensions")
        if e.dtype != x.dtype:
            raise RuntimeError(f"torch.{name}: input tensor and bins tensors should have the "
                               "same dtype")
        return e, False
    if int(bins) <= 0:
        raise RuntimeError(f"torch.{name}(): bins must be > 0, but got {bins} for dimension {d}")
    lo, hi = _outer_edges(x, rng, d, name)
    return _linspace(lo, hi, int(bins) + 1, x.dtype), True


@composite("histogram")
def histogram(input: Tensor, bins: Any, *, range: Sequence[float] | None = None,
              weight: Tensor | None = None, density: bool = False) -> Any:
    """(hist, bin_edges): counts (or weight sums, or a density) of input in bins given as a
    count of equal bins over `range` (the data's range by default) or as a tensor of edges.

    Example::
        >>> ndgrad.histogram(ndgrad.tensor([1., 2., 1.]), bins=2).hist
        tensor([2., 1.])
    """
    x = input._data.reshape(-1, 1)
    w = _check_hist_input(x, weight, "histogram")
    edges, linear = _edges_for(x, bins, range, 0, "histogram")
    hist = _histogramdd(x, [edges], None if w is None else w.reshape(-1), density, linear, True)
    return _Histogram((Tensor._make(hist), Tensor._make(np.array(edges, copy=True))))


@composite("histogramdd", method=False)
def histogramdd(input: Tensor, bins: Any, *, range: Sequence[float] | None = None,
                weight: Tensor | None = None, density: bool = False) -> Any:
    """(hist, bin_edges) of the points in input's last dim: a D-dimensional histogram with bins
    given per dim as counts or edge tensors.

    Example::
        >>> ndgrad.histogramdd(ndgrad.tensor([[0., 0.], [1., 1.]]), bins=[2, 2]).hist
        tensor([[1., 0.],
                [0., 1.]])
    """
    if input._data.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions, "
                           f"but got {input._data.ndim}")
    n_dims = input._data.shape[-1]
    x = input._data.reshape(-1, n_dims)
    w = _check_hist_input(x, weight, "histogramdd")
    per_dim = [bins] * n_dims if isinstance(bins, (int, np.integer)) else list(bins)
    if len(per_dim) != n_dims:
        raise RuntimeError(f"torch.histogramdd: expected {n_dims} sequences of bin edges for each "
                           f"of the {n_dims} dimensions of the input, but got {len(per_dim)}")
    if range is not None and len(range) != 2 * n_dims:
        raise RuntimeError(f"torch.histogramdd: for a {n_dims}-dimensional histogram range "
                           f"should have {2 * n_dims} elements, but got {len(range)}")
    made = [_edges_for(x, b, range, d, "histogramdd") for d, b in enumerate(per_dim)]
    edges = [e for e, _ in made]
    linear = all(lin for _, lin in made)
    hist = _histogramdd(x, edges, None if w is None else w.reshape(-1), density, linear, True)
    return _Histogramdd((Tensor._make(hist),
                         tuple(Tensor._make(np.array(e, copy=True)) for e in edges)))


@primitive("bincount", differentiable=False, inputs=("input", "weights"),
           samples=[(((6,), None), {"minlength": 4})], int_inputs={"input": (0, 5)})
def bincount(input, weights=None, minlength=0):
    """How often each non-negative integer occurs in a 1-d tensor (or the sum of its weights).

    Example::
        >>> ndgrad.bincount(ndgrad.tensor([0, 1, 1, 3]))
        tensor([1, 2, 0, 1])
    """
    if input.dtype.kind not in "iu" or input.dtype == np.bool_:
        raise _not_for("bincount_cpu", input.dtype)
    if input.ndim != 1 or (input.size and input.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != input.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if weights is None:
        return np.bincount(input, minlength=minlength).astype(np.int64)
    dt = weights.dtype if weights.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    return np.bincount(input, weights.astype(np.float64), minlength=minlength).astype(dt)


# *** sorted search ***

def _search(seq: np.ndarray, values: Any, right: bool, sorter: np.ndarray | None,
            out_int32: bool) -> np.ndarray:
    side = "right" if right else "left"
    if seq.ndim <= 1:
        s = seq if sorter is None else seq[sorter]
        out = np.searchsorted(s, values, side=side)
    else:
        lead = seq.shape[:-1]
        if values.shape[:-1] != lead:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor "
                f"{list(values.shape)}")
        s = seq if sorter is None else np.take_along_axis(seq, sorter, -1)
        if not s.size or not values.size:
            return np.zeros(values.shape, np.int32 if out_int32 else np.int64)
        rows = s.reshape(-1, s.shape[-1])
        vals = values.reshape(rows.shape[0], -1)
        out = np.stack([np.searchsorted(r, v, side=side) for r, v in zip(rows, vals)]) \
            .reshape(values.shape)
    return np.asarray(out, np.int32 if out_int32 else np.int64)


def _search_values(seq: np.ndarray, values: Any) -> np.ndarray:
    if isinstance(values, Tensor):
        v = values._data
        dt = _result_np(seq, v)
        return v.astype(dt, copy=False)
    return np.asarray(values)


@composite("searchsorted", method=False)
def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None,
                 sorter: Tensor | None = None) -> Tensor:
    """Where each value of input would be inserted into the sorted last dim of sorted_sequence.

    Example::
        >>> ndgrad.searchsorted(ndgrad.tensor([1, 3, 5]), ndgrad.tensor([3, 6]))
        tensor([1, 3])
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    srt = None
    if sorter is not None:
        srt = sorter._data
        if srt.dtype != np.int64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but "
                               f"got {sorter.dtype}")
        if srt.shape != seq.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {list(seq.shape)}and got sorter "
                               f"tensor {list(srt.shape)}")
    if not isinstance(input, Tensor) and seq.ndim > 1:
        raise RuntimeError("torch.searchsorted(): input value can be a scalar only when boundaries "
                           f"tensor dimension is 1, but we got boundaries tensor dim({seq.ndim}) "
                           "and input value's dim(0) numel(1)")
    return Tensor._make(_search(seq, _search_values(seq, input), right, srt, out_int32))


@composite("bucketize", method=False)
def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each input value between the 1-d sorted boundaries.

    Example::
        >>> ndgrad.bucketize(ndgrad.tensor([1, 4]), ndgrad.tensor([1, 3, 5]))
        tensor([0, 2])
    """
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries._data.ndim})")
    seq = boundaries._data
    return Tensor._make(_search(seq, _search_values(seq, input), right, None, out_int32))


# *** membership and runs ***

@composite("isin", method=False)
def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """True where an element of `elements` occurs in `test_elements` (either may be a number).

    Example::
        >>> ndgrad.isin(ndgrad.tensor([1, 2, 3]), ndgrad.tensor([2, 5]))
        tensor([False,  True, False])
    """
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments - got (number, "
                        "number)")
    a = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    dt = _result_np(*(x._data if isinstance(x, Tensor) else x for x in (elements, test_elements)))
    out = np.isin(a.astype(dt), b.astype(dt).reshape(-1), invert=invert)
    return Tensor._make(np.asarray(out, np.bool_))


@primitive("unique_consecutive", complex=True, grad_fn="UniqueConsecutiveBackward0", export=False,
           n_outputs=3, samples=[((6,), {"dim": None}), ((4, 2), {"dim": 0})],
           int_inputs={"input": (0, 2)}, torch_fn=lambda torch, x, dim: torch.unique_consecutive(
               x, return_inverse=True, return_counts=True, dim=dim))
def _unique_consecutive(input, *, dim):
    if dim is None:
        flat = input.reshape(-1)
        start = np.ones(flat.shape[0], bool)
        start[1:] = flat[1:] != flat[:-1]
        vals = flat[start]
        inverse = (np.cumsum(start) - 1).reshape(input.shape)
    else:
        d = _wrap_dim(dim, input.ndim)
        if not input.size:
            if input.shape[d]:
                raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                                   "unique cannot be applied")
            return input.copy(), np.zeros(0, np.int64), np.zeros(0, np.int64)
        moved = np.moveaxis(input, d, 0)
        rows = moved.reshape(moved.shape[0], -1)
        start = np.ones(rows.shape[0], bool)
        start[1:] = (rows[1:] != rows[:-1]).any(axis=1)
        vals = np.moveaxis(moved[start], 0, d)
        inverse = np.cumsum(start) - 1
    counts = np.diff(np.append(np.flatnonzero(start), start.shape[0]))
    return vals.copy(), inverse.astype(np.int64), counts.astype(np.int64)


@_unique_consecutive.vjp
def _(grads, *, dim):
    raise NotImplementedError("the derivative for 'unique_consecutive' is not implemented.")


@composite("unique_consecutive")
def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """The input with runs of equal consecutive values (or slices along dim) collapsed to one,
    optionally with the inverse map and the run lengths.

    Example::
        >>> ndgrad.unique_consecutive(ndgrad.tensor([1, 1, 2, 1]))
        tensor([1, 2, 1])
    """
    if dim is None and input._data.ndim == 0:
        vals, inverse, counts = _unique_consecutive.public(input.reshape(1), dim=None)
        inverse = inverse.reshape(())
    else:
        vals, inverse, counts = _unique_consecutive.public(input, dim=dim)
    extra = ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())
    return (vals,) + extra if extra else vals

