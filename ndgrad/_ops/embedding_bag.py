"""embedding_bag (EmbeddingBagBackward0): sums, means or maxima of bags of embedding rows, bags
given by offsets into a flat index list; padding_idx entries are left out of every bag."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._registry import composite, primitive

_MODES = {0: "sum", 1: "mean", 2: "max"}


def _bags(input: np.ndarray, offsets: np.ndarray, include_last_offset: bool,
          padding_idx: int, n_rows: int) -> tuple:
    """(bag of each index, mask of the non-padding indices, number of bags), checked."""
    if input.dtype.kind not in "iu" or offsets.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int")
    n = input.shape[0]
    if offsets.size and offsets[0] != 0:
        kind = "Long" if offsets.dtype == np.int64 else "Int"
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {offsets[0]}\n"
                           f"[ torch.{kind}Tensor{{}} ]")
    if offsets.size and offsets[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n}, but got "
                           f"offsets[-1] of {offsets[-1]}")
    if n and (input.min() < 0 or input.max() >= n_rows):
        bad = input[(input < 0) | (input >= n_rows)][0]
        raise IndexError(f"index {bad} is out of bounds for dimension 0 with size {n_rows}")
    starts = offsets[:-1] if include_last_offset else offsets
    bag = np.searchsorted(starts, np.arange(n), side="right") - 1
    keep = input != padding_idx
    if include_last_offset and offsets.size:
        keep &= np.arange(n) < offsets[-1]
    return bag, keep, len(starts)


def _forward(weight: np.ndarray, input: np.ndarray, offsets: np.ndarray, per_sample_weights,
             mode: int, include_last_offset: bool, padding_idx: int) -> tuple:
    bag, keep, n_bags = _bags(input, offsets, include_last_offset, padding_idx, weight.shape[0])
    rows, at = input[keep], bag[keep]
    d = weight.shape[1]
    counts = np.bincount(at, minlength=n_bags)
    max_idx = np.full((n_bags, d), -1, np.int64)
    if _MODES[mode] == "max":
        out = np.full((n_bags, d), -np.inf, weight.dtype)
        vals = weight[rows]
        np.maximum.at(out, at, vals)
        # the first entry of each bag attaining its maximum, as torch's scan keeps it
        first = np.full((n_bags, d), len(rows), np.int64)
        hit = vals == out[at]
        pos = np.broadcast_to(np.arange(len(rows))[:, None], hit.shape)
        np.minimum.at(first, at, np.where(hit, pos, len(rows)))
        filled = first < len(rows)
        max_idx[filled] = rows[np.where(filled, first, 0)][filled]
        out[counts == 0] = 0
    else:
        out = np.zeros((n_bags, d), weight.dtype)
        vals = weight[rows]
        if per_sample_weights is not None:
            vals = vals * per_sample_weights[keep][:, None]
        np.add.at(out, at, vals)  # one entry at a time, in order: torch's summation order
        if _MODES[mode] == "mean":
            out = np.where(counts[:, None] > 0, out / np.maximum(counts, 1)[:, None].astype(
                weight.dtype), 0).astype(weight.dtype)
    # torch's auxiliary outputs, as its CPU kernel fills them per mode
    offset2bag = bag if mode != 0 or padding_idx >= 0 else np.zeros(0, np.int64)
    if mode == 0:
        zero = np.zeros(n_bags, np.int64)
        return out, offset2bag, zero, zero.copy()
    if mode == 1:
        return out, offset2bag, counts, counts.copy()
    return out, offset2bag, counts, np.maximum(max_idx, 0)


def _torch_embedding_bag(torch, w, i, o, psw, **a):
    return torch.embedding_bag(w, i, o, a["scale_grad_by_freq"], a["mode"], False, psw,
                               a["include_last_offset"], a["padding_idx"])


@primitive("_embedding_bag", grad_fn="EmbeddingBagBackward0", export=False, n_outputs=4,
           inputs=("weight", "input", "offsets", "per_sample_weights"),
           nondiff_inputs=("input", "offsets"), int_inputs={"input": (0, 5), "offsets": (0, 1)},
           samples=[(((5, 3), (6,), (1,), (6,)), {"scale_grad_by_freq": False, "mode": 0,
                                                  "include_last_offset": False,
                                                  "padding_idx": 2}),
                    (((5, 3), (6,), (1,), None), {"scale_grad_by_freq": False, "mode": 1,
                                                  "include_last_offset": False,
                                                  "padding_idx": None}),
                    (((5, 3), (6,), (1,), None), {"scale_grad_by_freq": False, "mode": 2,
                                                  "include_last_offset": False,
                                                  "padding_idx": 1})],
           torch_fn=_torch_embedding_bag)
def _embedding_bag(weight, input, offsets, per_sample_weights=None, scale_grad_by_freq=False,
                   mode=0, include_last_offset=False, padding_idx=None):
    """(output, offset2bag, bag_size, max_indices) of the bags of rows of weight that input
    lists, bag b starting at offsets[b]; mode 0 sum, 1 mean, 2 max."""
    n_rows = weight.shape[0]
    if padding_idx is None:
        padding_idx = -1
    elif not -n_rows <= padding_idx < n_rows:
        raise RuntimeError(f"padding_idx must be within the number of embeddings, -{n_rows} "
                           f"through {n_rows - 1}, but got {padding_idx}")
    else:
        padding_idx %= n_rows
    if weight.ndim != 2:
        raise RuntimeError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                           f"{weight.ndim}")
    return _forward(weight, input, offsets, per_sample_weights, mode, include_last_offset,
                    padding_idx)


@_embedding_bag.vjp
def _(grads, weight, input, offsets, per_sample_weights, needs_input_grad, *,
      scale_grad_by_freq, mode, include_last_offset, padding_idx):
    g = grads[0]
    w, idx = weight._data, input._data
    n_rows = w.shape[0]
    pad = -1 if padding_idx is None else padding_idx % n_rows
    bag, keep, n_bags = _bags(idx, offsets._data, include_last_offset, pad, n_rows)
    rows, at = idx[keep], bag[keep]
    grad_w = grad_psw = None
    if needs_input_grad[0]:
        if _MODES[mode] == "max":
            _, _, counts, max_idx = _forward(w, idx, offsets._data, None, mode,
                                             include_last_offset, pad)
            filled = np.broadcast_to(counts[:, None] > 0, max_idx.shape)
            index = Tensor._make(max_idx)
            grad_w = (weight * 0).scatter_add(0, index, g * Tensor._make(filled.astype(w.dtype)))
        else:
            coef = np.ones(len(rows), w.dtype)
            if _MODES[mode] == "mean":
                coef = coef / np.bincount(at, minlength=n_bags)[at].astype(w.dtype)
            if scale_grad_by_freq:  # each row's gradient over how often input names it
                coef = coef / np.bincount(idx, minlength=n_rows)[rows].astype(w.dtype)
            contrib = g[Tensor._make(at)] * Tensor._make(coef[:, None])
            if per_sample_weights is not None:
                contrib = contrib * per_sample_weights[Tensor._make(np.flatnonzero(keep))
                                                       ].unsqueeze(1)
            grad_w = (weight * 0).index_add(0, Tensor._make(rows), contrib)
    if per_sample_weights is not None and needs_input_grad[3]:
        dots = (g[Tensor._make(at)] * weight[Tensor._make(rows)]).sum(1)
        grad_psw = (per_sample_weights * 0).index_add(0, Tensor._make(np.flatnonzero(keep)),
                                                      dots)
    return grad_w, None, None, grad_psw


@composite("embedding_bag", method=False)
def embedding_bag(weight: Tensor, indices: Tensor, offsets: Tensor,
                  scale_grad_by_freq: bool = False, mode: int = 0, sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> tuple:
    """torch.embedding_bag: (output, offset2bag, bag_size, max_indices); mode 0 sum, 1 mean,
    2 max (F.embedding_bag is the everyday spelling).

    Example::
        >>> w = ndgrad.arange(6.).view(3, 2)
        >>> ndgrad.embedding_bag(w, ndgrad.tensor([0, 1, 2]), ndgrad.tensor([0, 2]))[0]
        tensor([[2., 4.],
                [4., 5.]])
    """
    return _embedding_bag(weight, indices, offsets, per_sample_weights, scale_grad_by_freq, mode,
                          include_last_offset, padding_idx)
