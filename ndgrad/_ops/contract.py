"""Contractions written with public ops, recording the nodes torch records: outer, inner,
tensordot, einsum (reduced left to right to bmm as torch does), kron."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import composite


# *** contractions (composites: torch records their view / mm / bmm / mul nodes) ***

@composite("outer", shapes=[((3,), (4,))], complex=True)
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors.

    Example::
        >>> ndgrad.outer(ndgrad.tensor([1., 2.]), ndgrad.tensor([1., 10.]))
        tensor([[ 1., 10.],
                [ 2., 20.]])
    """
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return input.reshape(-1, 1) * vec2


composite("ger", shapes=[((3,), (2,))], complex=True)(outer)


def _dims_list(dims: Any) -> list:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    return [int(dims)] if isinstance(dims, (int, np.integer)) else [int(d) for d in dims]


@composite("tensordot", method=False, complex=True,
           samples=[(((2, 3, 4), (3, 4, 2)), {"dims": 2}), (((2, 3), (3, 2)), {"dims": 0}),
                    (((2, 3, 4), (4, 3, 2)), {"dims": ([1, 2], [1, 0])})])
def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """Contract dims of a with dims of b (an int n: a's last n with b's first n).

    Example::
        >>> ndgrad.tensordot(ndgrad.ones(2, 3), ndgrad.ones(3, 4), dims=1).shape
        torch.Size([2, 4])
    """
    if isinstance(dims, (int, np.integer)) or (isinstance(dims, Tensor) and dims.ndim == 0):
        n = int(dims)
        if n < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={n}")
        da, db = list(range(-n, 0)), list(range(n))
    else:
        da, db = (_dims_list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    sa, sb = a._data.shape, b._data.shape
    da = [_wrap_dim(d, len(sa)) for d in da]
    db = [_wrap_dim(d, len(sb)) for d in db]
    csize = 1
    for i, j in zip(da, db):
        if sb[j] == 1 and sa[i] != 1:  # a broadcast contracted dim is summed on its own
            a = a.sum(i, keepdim=True)
        elif sa[i] == 1 and sb[j] != 1:
            b = b.sum(j, keepdim=True)
        elif sa[i] != sb[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa[i]} "
                               f"in dim {i} and second has size {sb[j]} in dim {j}")
        else:
            csize *= sa[i]
    free_a = [i for i in range(len(sa)) if i not in da]
    free_b = [j for j in range(len(sb)) if j not in db]
    rows = int(np.prod([sa[i] for i in free_a]))
    cols = int(np.prod([sb[j] for j in free_b]))
    left = a.permute(*free_a, *da).reshape(rows, csize)
    right = b.permute(*db, *free_b).reshape(csize, cols)
    return left.mm(right).reshape(*[sa[i] for i in free_a], *[sb[j] for j in free_b])


@composite("inner", shapes=[((3,), (3,)), ((2, 3), (4, 3)), ((), (2,))], complex=True)
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dims of input and other (a scalar multiplies).

    Example::
        >>> ndgrad.inner(ndgrad.tensor([1., 2.]), ndgrad.tensor([3., 4.]))
        tensor(11.)
    """
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    sa, sb = input._data.shape, other._data.shape
    if sa[-1] != sb[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(sa)} and {list(sb)}")
    return tensordot(input, other, dims=([-1], [-1]))


@composite("kron", shapes=[((2, 3), (3, 2)), ((2,), (3,)), ((2,), (3, 2))], complex=True)
def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: every element of input times the whole of other.

    Example::
        >>> ndgrad.kron(ndgrad.eye(2), ndgrad.ones(2, 2)).shape
        torch.Size([4, 4])
    """
    from .shape import _unsafe_view

    sa, sb = input._data.shape, other._data.shape
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    # interleave: a as (a0, 1, a1, 1, ...), b as (1, b0, 1, b1, ...), multiply, merge pairs
    a = _unsafe_view.public(input, size=tuple(x for s in sa for x in (s, 1)))
    b = _unsafe_view.public(other, size=tuple(x for s in sb for x in (1, s)))
    return _unsafe_view.public(a * b, size=tuple(x * y for x, y in zip(sa, sb)))


# einsum labels: A-Z -> 0..25, a-z -> 26..51; 52 marks an ellipsis
_ELL = 52


def _einsum_labels(lhs: str, n_ops: int) -> list[list[int]]:
    labels: list[list[int]] = [[]]
    i = 0
    while i < len(lhs):
        ch = lhs[i]
        if ch == ",":
            if len(labels) == n_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                                   "equation")
            labels.append([])
        elif ch == ".":
            if _ELL in labels[-1]:
                raise RuntimeError(f"einsum(): found '.' for operand {len(labels) - 1} for which "
                                   "an ellipsis was already found")
            if lhs[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {len(labels) - 1} that is not "
                                   "part of any ellipsis")
            labels[-1].append(_ELL)
            i += 2
        elif ch != " ":
            labels[-1].append(_einsum_label(ch, i))
        i += 1
    if len(labels) != n_ops:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return labels


def _einsum_label(ch: str, pos: int) -> int:
    if "A" <= ch <= "Z":
        return ord(ch) - 65
    if "a" <= ch <= "z":
        return ord(ch) - 71
    raise RuntimeError(f"einsum(): invalid subscript given at index {pos} in the equation string, "
                       "subscripts must be in [a-zA-Z]")


def _sumproduct_pair(left: Tensor, right: Tensor, sum_dims: list) -> Tensor:
    """(left * right).sum(sum_dims, keepdim=True) as permute, reshape, bmm, view, permute."""
    if not sum_dims:
        return left * right
    lro, lo, ro = [], [], []
    lro_n = lo_n = ro_n = sum_n = 1
    for i in range(left._data.ndim):
        sl, sr = left._data.shape[i], right._data.shape[i]
        if i in sum_dims:
            if sl != 1 and sr != 1:
                if sl != sr:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_n *= sl
            elif sl != 1:
                left = left.sum(i, keepdim=True)
            elif sr != 1:
                right = right.sum(i, keepdim=True)
        elif sl != 1 and sr != 1:
            if sl != sr:
                raise RuntimeError("non-broadcast dimensions must match")
            lro.append(i)
            lro_n *= sl
        elif sl != 1:
            lo.append(i)
            lo_n *= sl
        else:
            ro.append(i)
            ro_n *= sr
    out_size = ([left._data.shape[d] for d in lro + lo] + [1] * len(sum_dims)
                + [right._data.shape[d] for d in ro])
    order = lro + lo + sum_dims + ro
    operm = [order.index(d) for d in range(len(order))]
    left = left.permute(*order).reshape(lro_n, lo_n, sum_n)
    right = right.permute(*(lro + sum_dims + ro + lo)).reshape(lro_n, sum_n, ro_n)
    return left.bmm(right).view(*out_size).permute(*operm)


@composite("einsum", method=False)
def einsum(equation: str, *operands: Tensor) -> Tensor:
    """Einstein summation, reduced left to right to bmm as torch does.

    Example::
        >>> ndgrad.einsum("ij,jk->ik", ndgrad.ones(2, 3), ndgrad.ones(3, 4)).shape
        torch.Size([2, 4])
    """
    if not isinstance(equation, str):  # sublist format: op, [0, 1], op, [1, 2], [0, 2]
        equation, operands = _sublist_equation((equation,) + tuple(operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    lhs, arrow, rhs = equation.partition("->")
    op_labels = _einsum_labels(lhs, len(operands))
    count = [0] * _ELL
    ell_ndim = 0
    for i, (op, labels) in enumerate(zip(operands, op_labels)):
        nd, n_lab = op._data.ndim, len(labels) - (_ELL in labels)
        if (_ELL in labels and n_lab > nd) or (_ELL not in labels and n_lab != nd):
            has = _ELL in labels
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n_lab}) "
                f"{'is more than' if has else 'does not match'} the number of dimensions ({nd}) "
                f"for operand {i}{'' if has else ' and no ellipsis was given'}")
        if _ELL in labels:
            ell_ndim = max(ell_ndim, nd - n_lab)
        for s in labels:
            if s != _ELL:
                count[s] += 1
    perm_index = [-1] * _ELL
    nxt, ell_at, ell_out = 0, 0, False
    if not arrow:  # implicit output: the ellipsis, then labels seen once, in label order
        nxt, ell_out = ell_ndim, True
        for s in range(_ELL):
            if count[s] == 1:
                perm_index[s] = nxt
                nxt += 1
    else:
        i = 0
        while i < len(rhs):
            ch = rhs[i]
            if ch == ".":
                if ell_out or rhs[i:i + 3] != "...":
                    raise RuntimeError("einsum(): found '.' for output that is not part of any "
                                       "ellipsis (...)")
                ell_at, nxt, ell_out = nxt, nxt + ell_ndim, True
                i += 2
            elif ch != " ":
                s = _einsum_label(ch, len(lhs) + 2 + i)
                if count[s] == 0 or perm_index[s] != -1:
                    what = "appears more than once in the output" if perm_index[s] != -1 else \
                        "does not appear in the equation for any input operand"
                    raise RuntimeError(f"einsum(): output subscript {ch} {what}")
                perm_index[s] = nxt
                nxt += 1
            i += 1
    out_ndim = nxt
    if not ell_out:
        ell_at, nxt = nxt, nxt + ell_ndim
    for s in range(_ELL):  # contraction labels follow the output dims
        if count[s] and perm_index[s] == -1:
            perm_index[s] = nxt
            nxt += 1
    return _einsum_contract(operands, op_labels, perm_index, nxt, out_ndim, ell_at, ell_ndim)


def _sublist_equation(args: tuple) -> tuple:
    def letters(sub: Sequence) -> str:
        out = ""
        for n in sub:
            if n is Ellipsis:
                out += "..."
            elif 0 <= n < 52:
                out += chr(65 + n) if n < 26 else chr(71 + n)
            else:
                raise ValueError("einsum(): subscript in subscript list is not within the valid "
                                 "range [0, 52)")
        return out

    pairs = args[: len(args) // 2 * 2]
    lhs = ",".join(letters(sub) for sub in pairs[1::2])
    rhs = "->" + letters(args[-1]) if len(args) % 2 else ""
    return lhs + rhs, tuple(pairs[0::2])


def _einsum_contract(operands: Sequence, op_labels: list, perm_index: list, total: int,
                     out_ndim: int, ell_at: int, ell_ndim: int) -> Tensor:
    dim_counts = [0] * total
    sizes: dict = {}
    ops = []
    for i, (op, labels) in enumerate(zip(operands, op_labels)):
        perm = [-1] * total
        dim = 0
        for s in labels:
            if s == _ELL:
                covered = op._data.ndim - (len(labels) - 1)
                targets = [ell_at + j for j in range(ell_ndim - covered, ell_ndim)]
            elif perm[perm_index[s]] != -1:  # repeated label: take the diagonal
                prev = perm[perm_index[s]]
                if op._data.shape[dim] != op._data.shape[prev]:
                    raise RuntimeError(f"einsum(): subscript {_label_char(s)} is repeated for "
                                       f"operand {i} but the sizes don't match, "
                                       f"{op._data.shape[dim]} != {op._data.shape[prev]}")
                op = op.diagonal(0, prev, dim)
                order = list(range(op._data.ndim - 1))
                order.insert(prev, op._data.ndim - 1)
                op = op.permute(*order)
                continue
            else:
                targets = [perm_index[s]]
            for t in targets:
                n = op._data.shape[dim]
                if n != 1:
                    if sizes.setdefault(t, n) != n:
                        raise RuntimeError(
                            f"einsum(): dimension {dim} covered by ellipsis in operand {i}has size "
                            f"{n} which does not broadcast with previously seen ellipsis with size "
                            f"{sizes[t]} for the respective dimension" if s == _ELL else
                            f"einsum(): subscript {_label_char(s)} has size {n} for operand {i} "
                            f"which does not broadcast with previously seen size {sizes[t]}")
                    dim_counts[t] += 1
                perm[t] = dim
                dim += 1
        for t in range(total):  # dims for labels this operand lacks
            if perm[t] == -1:
                op = op.unsqueeze(dim)
                perm[t] = dim
                dim += 1
        ops.append(op.permute(*perm))
    while len(ops) > 1:
        a, b = ops.pop(0), ops.pop(0)
        sum_dims, a_only, b_only = [], [], []
        for d in range(out_ndim, total):
            if a._data.shape[d] != 1 and b._data.shape[d] != 1:
                dim_counts[d] -= 1
                if dim_counts[d] == 1:  # no other operand holds d: contract it in this pair
                    sum_dims.append(d)
                    dim_counts[d] = 0
            elif dim_counts[d] == 1:
                if a._data.shape[d] != 1:
                    a_only.append(d)
                    dim_counts[d] = 0
                elif b._data.shape[d] != 1:
                    b_only.append(d)
                    dim_counts[d] = 0
        if a_only:
            a = a.sum(tuple(a_only), keepdim=True)
        if b_only:
            b = b.sum(tuple(b_only), keepdim=True)
        ops.insert(0, _sumproduct_pair(a, b, sum_dims))
    result = ops[0]
    if total > out_ndim:
        if len(operands) > 1:
            return result.view(*result._data.shape[:out_ndim])
        return result.sum(tuple(range(out_ndim, total)))
    return result


def _label_char(s: int) -> str:
    return chr(s + 65) if s < 26 else chr(s + 71)


def _einsum_sample(a: Tensor, b: Tensor | None = None, *, equation: str) -> Tensor:
    return einsum(equation, a) if b is None else einsum(equation, a, b)


composite("einsum", export=False, method=False, inputs=("a", "b"), complex=True,
          samples=[(((2, 3), (3, 4)), {"equation": "ij,jk->ik"}),
                   (((2, 2, 3), (2, 3, 4)), {"equation": "bij,bjk->bik"}),
                   (((3,), (4,)), {"equation": "i,j->ij"}), ((3, 3), {"equation": "ii->i"}),
                   ((2, 3), {"equation": "ij->"}), ((2, 3), {"equation": "ij->ji"}),
                   (((2, 2, 3), (3,)), {"equation": "...j,j"}), ((3, 3), {"equation": "ii"})],
          torch_fn=lambda torch, a, b=None, *, equation: torch.einsum(
              equation, *(x for x in (a, b) if x is not None)))(_einsum_sample)


def _chain_order(dims: list) -> list:
    """split[i][j]: where the cheapest product of matrices i..j splits (matrix-chain DP)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for span in range(1, n):
        for i in range(n - span):
            j = i + span
            cost[i][j] = float("inf")
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors: Sequence[Tensor], *, out: Any = None) -> Tensor:
    """The product of a chain of matrices, multiplied in the cheapest order; the first and last
    may be vectors.

    Example::
        >>> ndgrad.linalg.multi_dot([ndgrad.ones(3), ndgrad.ones(3, 4), ndgrad.ones(4)])
        tensor(12.)
    """
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    for i, t in enumerate(ts):
        nd = t._data.ndim
        if i in (0, len(ts) - 1) and nd not in (1, 2):
            end = "first" if i == 0 else "last"
            raise RuntimeError(f"multi_dot(): the {end} tensor must be 1D or 2D but got {nd}D")
        if 0 < i < len(ts) - 1 and nd != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {nd}D")
    first_1d, last_1d = ts[0]._data.ndim == 1, ts[-1]._data.ndim == 1
    if first_1d:
        ts[0] = ts[0].unsqueeze(0)
    if last_1d:
        ts[-1] = ts[-1].unsqueeze(-1)
    dims = [ts[0]._data.shape[0]] + [t._data.shape[1] for t in ts]
    split = _chain_order(dims)

    def product(i: int, j: int) -> Tensor:
        return ts[i] if i == j else product(i, split[i][j]).mm(product(split[i][j] + 1, j))

    result = product(0, len(ts) - 1)
    shape = result._data.shape
    return result.view(*(() if first_1d else shape[:1]), *(() if last_1d else shape[1:]))


composite("multi_dot", export=False, method=False, inputs=("a", "b", "c"), complex=True,
          samples=[(((2, 3), (3, 4)), {}), (((3,), (3, 4), (4,)), {}),
                   (((2, 3), (3, 4), (4,)), {})],
          torch_fn=lambda torch, *ts: torch.linalg.multi_dot([t for t in ts if t is not None]))(
    lambda a, b, c=None: multi_dot([t for t in (a, b, c) if t is not None]))
