"""Collectives and point-to-point on tensors: torch.distributed's signatures over a group's comm."""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from .._tensor import Tensor
from ._group import GroupMember, ProcessGroup, ReduceOp, Work, group as _group

_NOT_INIT = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


def get_group(group: Any, name: str = "") -> ProcessGroup | None:
    """The ProcessGroup to run on (the default one for None); None when this rank is not in it."""
    if group is None or group is GroupMember.WORLD:
        if _group.WORLD is None:
            raise ValueError(_NOT_INIT)
        return _group.WORLD
    if _group.WORLD is None:
        raise ValueError(_NOT_INIT)
    if group is GroupMember.NON_GROUP_MEMBER or (isinstance(group, int) and group == -100):
        if name:
            warnings.warn(f"Running {name} on global rank {_group.WORLD.rank()} which does not "
                          "belong to the given group.", stacklevel=3)
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup from new_group(), got {type(group).__name__}")
    return group


def group_rank(pg: ProcessGroup, global_rank: int | None, group_rank: int | None,
               what: str, default: int | None = None) -> int:
    """A rank argument given as a global rank (src=) or a group rank (group_src=) -> group rank;
    `default` (a global rank) stands in when neither is given, as torch's gather/scatter do."""
    if global_rank is not None and group_rank is not None:
        raise ValueError("Can't specify both group_rank and global_rank")
    if global_rank is None and group_rank is None:
        if default is None:
            raise ValueError("Must specify global_rank or group_rank")
        global_rank = default
    if group_rank is not None:
        r = group_rank
    else:
        if global_rank not in pg.ranks:
            raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
        r = pg.ranks.index(global_rank)
    if not 0 <= r < pg.size():
        raise ValueError(f"Invalid {what} rank {r}: the group has {pg.size()} ranks")
    return r


def check_tensor(t: Any, param: str = "tensor") -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{param}` of type "
                        f"torch.Tensor but got {type(t)} instead.")


def check_tensor_list(ts: Any, param: str) -> None:
    if not isinstance(ts, (list, tuple)) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{param}` of type "
                        "List[torch.Tensor] but got " + type(ts).__name__ + " instead.")


def buffer(t: Tensor) -> tuple[np.ndarray, Callable | None]:
    """The array MPI writes into: the tensor's own memory when contiguous (zero-copy)."""
    arr = t._data
    if arr.flags.c_contiguous and arr.flags.writeable:
        return arr, None
    buf = np.ascontiguousarray(arr)
    return buf, lambda: np.copyto(arr, buf)


_DESCRIPTIONS: dict = {}
_OP_NAMES = {int(op): op.name for op in ReduceOp.RedOpType}


def describe(arr: np.ndarray) -> str:
    """`float32[2, 3]`; cached, since str(dtype) alone costs microseconds on every call."""
    key = (arr.dtype, arr.shape)
    text = _DESCRIPTIONS.get(key)
    if text is None:
        text = _DESCRIPTIONS[key] = f"{arr.dtype}{list(arr.shape)}"
    return text


def op_name(op: Any, arr: np.ndarray) -> str:
    name = _OP_NAMES.get(op) if isinstance(op, int) else None
    if name is None:
        raise ValueError(f"unknown reduce op {op!r}: use a member of ReduceOp")
    if name == "SUM":
        return name
    if name == "PREMUL_SUM":
        raise ValueError("ReduceOp.PREMUL_SUM is not supported by ndgrad.distributed")
    if name in ("BAND", "BOR", "BXOR") and arr.dtype.kind not in "biu":
        raise RuntimeError(f"ReduceOp.{name} needs an integer or bool tensor, got {arr.dtype}")
    if name == "AVG" and arr.dtype.kind not in "fc":
        raise RuntimeError(f"ReduceOp.AVG needs a floating point tensor, got {arr.dtype}")
    return name


def finish(pg: ProcessGroup, desc: str, pending: Any, after: Callable | None = None,
           result: list | None = None, async_op: bool = False) -> Work | None:
    if async_op:
        return Work(pg, desc, pending, after, result)
    if pending.poll() is not True:  # not done at once (or failed): the waiting loop
        Work(pg, desc, pending, after, result).wait()
    elif after is not None:
        after()
    return None


def _then(first: Callable | None, second: Callable | None) -> Callable | None:
    if first is None:
        return second
    if second is None:
        return first
    return lambda: (first(), second()) and None


def _averager(buf: np.ndarray, name: str, n: int) -> Callable | None:
    if name != "AVG" or n == 1:
        return None
    return lambda: np.divide(buf, n, out=buf)


# *** reductions and broadcast ***

def all_reduce(tensor: Tensor, op: Any = ReduceOp.SUM, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Reduce `tensor` across the group in place; every rank gets the result.

    Example::
        >>> import ndgrad, ndgrad.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> t = ndgrad.ones(2) * (dist.get_rank() + 1)
        >>> dist.all_reduce(t); t
        tensor([1., 1.])
        >>> dist.destroy_process_group()
    """
    check_tensor(tensor)
    pg = get_group(group, "all_reduce")
    if pg is None:
        return None
    buf, back = buffer(tensor)
    name = op_name(op, buf)
    desc = f"all_reduce({describe(buf)}, {name})"
    pending = pg.comm.allreduce(buf, name, desc)
    return finish(pg, desc, pending, _then(_averager(buf, name, pg.size()), back), [tensor],
                  async_op)


def broadcast(tensor: Tensor, src: int | None = None, group: Any = None, async_op: bool = False,
              group_src: int | None = None) -> Work | None:
    """Copy `tensor` from rank `src` to every rank of the group, in place."""
    check_tensor(tensor)
    pg = get_group(group, "broadcast")
    if pg is None:
        return None
    root = group_rank(pg, src, group_src, "src")
    buf, back = buffer(tensor)
    desc = f"broadcast({describe(buf)}, src={pg.ranks[root]})"
    return finish(pg, desc, pg.comm.bcast(buf, root, desc), back, [tensor], async_op)


def reduce(tensor: Tensor, dst: int | None = None, op: Any = ReduceOp.SUM, group: Any = None,
           async_op: bool = False, group_dst: int | None = None) -> Work | None:
    """Reduce `tensor` across the group into rank `dst`'s tensor."""
    check_tensor(tensor)
    pg = get_group(group, "reduce")
    if pg is None:
        return None
    root = group_rank(pg, dst, group_dst, "dst")
    buf, back = buffer(tensor)
    name = op_name(op, buf)
    desc = f"reduce({describe(buf)}, {name}, dst={pg.ranks[root]})"
    pending = pg.comm.reduce(buf, name, root, desc)
    after = None
    if pg.rank() == root:
        after = _then(_averager(buf, name, pg.size()), back)
    return finish(pg, desc, pending, after, [tensor], async_op)


# *** gathers and scatters ***

def _check_list(ts: list, like: np.ndarray, n: int, name: str, param: str) -> None:
    check_tensor_list(ts, param)
    if len(ts) != n:
        raise ValueError(f"{name}: `{param}` must hold one tensor per rank of the group ({n}), "
                         f"got {len(ts)}")
    for i, t in enumerate(ts):
        if t._data.shape != like.shape or t._data.dtype != like.dtype:
            raise RuntimeError(f"{name}: invalid tensor at index {i} of `{param}` (expected "
                               f"{describe(like)}, got {describe(t._data)})")


def _scatter_into(stacked: np.ndarray, ts: list) -> Callable:
    def copy() -> None:
        for i, t in enumerate(ts):
            np.copyto(t._data, stacked[i])

    return copy


def all_gather(tensor_list: list, tensor: Tensor, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Gather `tensor` from every rank into `tensor_list` (one entry per rank) on every rank."""
    check_tensor(tensor)
    pg = get_group(group, "all_gather")
    if pg is None:
        return None
    send = np.ascontiguousarray(tensor._data)
    _check_list(tensor_list, send, pg.size(), "all_gather", "tensor_list")
    recv = np.empty((pg.size(), *send.shape), send.dtype)
    desc = f"all_gather({describe(send)})"
    pending = pg.comm.allgather(send, recv, desc)
    return finish(pg, desc, pending, _scatter_into(recv, tensor_list), tensor_list, async_op)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group: Any = None,
                           async_op: bool = False) -> Work | None:
    """Gather every rank's `input_tensor` into `output_tensor`, concatenated or stacked on dim 0."""
    check_tensor(output_tensor, "output_tensor")
    check_tensor(input_tensor, "input_tensor")
    pg = get_group(group, "all_gather_into_tensor")
    if pg is None:
        return None
    send = np.ascontiguousarray(input_tensor._data)
    recv, back = buffer(output_tensor)
    if recv.size != send.size * pg.size() or recv.dtype != send.dtype:
        raise ValueError(f"all_gather_into_tensor: output {describe(recv)} must hold "
                         f"{pg.size()} x input {describe(send)}")
    desc = f"all_gather_into_tensor({describe(send)})"
    return finish(pg, desc, pg.comm.allgather(send, recv, desc), back, [output_tensor], async_op)


def reduce_scatter(output: Tensor, input_list: list, op: Any = ReduceOp.SUM, group: Any = None,
                   async_op: bool = False) -> Work | None:
    """Reduce input_list[i] across the group into rank i's `output`."""
    check_tensor(output, "output")
    pg = get_group(group, "reduce_scatter")
    if pg is None:
        return None
    recv, back = buffer(output)
    _check_list(input_list, recv, pg.size(), "reduce_scatter", "input_list")
    send = np.stack([t._data for t in input_list])
    name = op_name(op, recv)
    desc = f"reduce_scatter({describe(recv)}, {name})"
    pending = pg.comm.reduce_scatter(send, recv, name, desc)
    return finish(pg, desc, pending, _then(_averager(recv, name, pg.size()), back), [output],
                  async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: Any = ReduceOp.SUM,
                          group: Any = None, async_op: bool = False) -> Work | None:
    """Reduce `input` (world_size chunks along dim 0) and give chunk i to rank i's `output`."""
    check_tensor(output, "output")
    check_tensor(input, "input")
    pg = get_group(group, "reduce_scatter_tensor")
    if pg is None:
        return None
    recv, back = buffer(output)
    send = np.ascontiguousarray(input._data)
    if send.size != recv.size * pg.size() or recv.dtype != send.dtype:
        raise ValueError(f"reduce_scatter_tensor: input {describe(send)} must hold "
                         f"{pg.size()} x output {describe(recv)}")
    name = op_name(op, recv)
    desc = f"reduce_scatter_tensor({describe(recv)}, {name})"
    pending = pg.comm.reduce_scatter(send, recv, name, desc)
    return finish(pg, desc, pending, _then(_averager(recv, name, pg.size()), back), [output],
                  async_op)


def gather(tensor: Tensor, gather_list: list | None = None, dst: int | None = None,
           group: Any = None, async_op: bool = False, group_dst: int | None = None) -> Work | None:
    """Gather every rank's `tensor` into `gather_list` on rank `dst`."""
    check_tensor(tensor)
    pg = get_group(group, "gather")
    if pg is None:
        return None
    root = group_rank(pg, dst, group_dst, "dst", default=0)
    send = np.ascontiguousarray(tensor._data)
    recv, after = None, None
    if pg.rank() == root:
        if gather_list is None:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_list(gather_list, send, pg.size(), "gather", "gather_list")
        recv = np.empty((pg.size(), *send.shape), send.dtype)
        after = _scatter_into(recv, gather_list)
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    desc = f"gather({describe(send)}, dst={pg.ranks[root]})"
    return finish(pg, desc, pg.comm.gather(send, recv, root, desc), after, gather_list or [],
                  async_op)


def scatter(tensor: Tensor, scatter_list: list | None = None, src: int | None = None,
            group: Any = None, async_op: bool = False, group_src: int | None = None) -> Work | None:
    """Give scatter_list[i] on rank `src` to rank i's `tensor`."""
    check_tensor(tensor)
    pg = get_group(group, "scatter")
    if pg is None:
        return None
    root = group_rank(pg, src, group_src, "src", default=0)
    recv, back = buffer(tensor)
    send = None
    if pg.rank() == root:
        if scatter_list is None:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_list(scatter_list, recv, pg.size(), "scatter", "scatter_list")
        send = np.stack([t._data for t in scatter_list])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    desc = f"scatter({describe(recv)}, src={pg.ranks[root]})"
    return finish(pg, desc, pg.comm.scatter(send, recv, root, desc), back, [tensor], async_op)


def _splits(sizes: list | None, n_rows: int, n: int, name: str) -> list[int]:
    if sizes is None or len(sizes) == 0:
        if n_rows % n:
            raise ValueError(f"{name}: dim 0 ({n_rows}) must divide evenly by the group size "
                             f"({n}) when no split sizes are given")
        return [n_rows // n] * n
    sizes = [int(s) for s in sizes]
    if len(sizes) != n or sum(sizes) != n_rows:
        raise ValueError(f"{name}: split sizes {sizes} must have one entry per rank ({n}) and "
                         f"sum to dim 0 ({n_rows})")
    return sizes


def _check_all_to_all_counts(pg: ProcessGroup, scounts: list, rcounts: list) -> None:
    """Exchange the split sizes first: MPI would silently fill a longer receive only in part."""
    incoming = np.zeros(pg.size(), np.int64)
    desc = "all_to_all_single(split sizes)"
    Work(pg, desc, pg.comm.alltoallv(np.array(scounts, np.int64), [1] * pg.size(), incoming,
                                     [1] * pg.size(), desc)).wait()
    if incoming.tolist() != list(rcounts):
        raise ValueError(f"all_to_all_single: rank {pg.ranks[pg.rank()]} expects "
                         f"{list(rcounts)} elements from the ranks but they send "
                         f"{incoming.tolist()}: output_split_sizes must match what the other "
                         "ranks' input_split_sizes send here")


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes: list | None = None,
                      input_split_sizes: list | None = None, group: Any = None,
                      async_op: bool = False) -> Work | None:
    """Split `input` along dim 0, send piece i to rank i, and concatenate what arrives in `output`."""
    check_tensor(output, "output")
    check_tensor(input, "input")
    pg = get_group(group, "all_to_all_single")
    if pg is None:
        return None
    send = np.ascontiguousarray(input._data)
    recv, back = buffer(output)
    if send.dtype != recv.dtype or send.shape[1:] != recv.shape[1:]:
        raise ValueError(f"all_to_all_single: input {describe(send)} and output {describe(recv)} "
                         "must share the dtype and every dim but the first")
    row = int(np.prod(send.shape[1:], dtype=np.int64)) if send.ndim else 1
    n = pg.size()
    scounts = [s * row for s in _splits(input_split_sizes, send.shape[0], n, "all_to_all_single")]
    rcounts = [s * row for s in _splits(output_split_sizes, recv.shape[0], n, "all_to_all_single")]
    if input_split_sizes or output_split_sizes or n == 1:
        _check_all_to_all_counts(pg, scounts, rcounts)
    desc = f"all_to_all_single({send.dtype}[*{list(send.shape[1:])}])"
    pending = pg.comm.alltoallv(send, scounts, recv, rcounts, desc)
    return finish(pg, desc, pending, back, [output], async_op)


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> Work | None:
    """Wait until every rank of the group reaches this call."""
    pg = get_group(group, "barrier")
    if pg is None:
        return None
    return finish(pg, "barrier()", pg.comm.barrier("barrier()"), async_op=async_op)
