"""Point-to-point (send/recv/isend/irecv) and the pickled-object collectives."""
from __future__ import annotations

import pickle
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._collectives import buffer, check_tensor, describe, get_group, group_rank
from ._group import ProcessGroup, Work, collective_error

# *** point-to-point ***


def _peer(pg: ProcessGroup, rank: int | None, group_peer: int | None, what: str) -> int:
    r = group_rank(pg, rank, group_peer, what)
    if r == pg.rank():
        raise ValueError(f"Invalid {what} rank: {what} rank should not be the same as the rank "
                         "of the current process.")
    return r


def isend(tensor: Tensor, dst: int | None = None, group: Any = None, tag: int = 0,
          group_dst: int | None = None) -> Work | None:
    """Send `tensor` to rank `dst` without waiting; returns a Work handle."""
    check_tensor(tensor)
    pg = get_group(group, "isend")
    if pg is None:
        return None
    peer = _peer(pg, dst, group_dst, "dst")
    buf = np.ascontiguousarray(tensor._data)
    desc = f"send({describe(buf)}, dst={pg.ranks[peer]}, tag={tag})"
    return Work(pg, desc, pg.comm.send(buf, peer, tag), None, [tensor])


def irecv(tensor: Tensor, src: int | None = None, group: Any = None, tag: int = 0,
          group_src: int | None = None) -> Work | None:
    """Receive into `tensor` from rank `src` (any rank when None) without waiting."""
    check_tensor(tensor)
    pg = get_group(group, "irecv")
    if pg is None:
        return None
    if pg.size() == 1:
        raise ValueError("irecv: there is no other rank in a group of one to receive from")
    peer = None if src is None and group_src is None else _peer(pg, src, group_src, "src")
    buf, back = buffer(tensor)
    who = "any rank" if peer is None else f"src={pg.ranks[peer]}"
    desc = f"recv({describe(buf)}, {who}, tag={tag})"
    pending = pg.comm.recv(buf, peer, tag)
    work = Work(pg, desc, pending, None, [tensor])

    def check_size() -> None:
        source, nbytes = pg.comm.recv_info(pending)
        work.source = pg.ranks[source]
        if nbytes != buf.nbytes:
            raise collective_error(pg, desc, f"received {nbytes} bytes from rank "
                                   f"{pg.ranks[source]} where {buf.nbytes} were expected: the "
                                   "sent tensor has a different size")
        if back is not None:
            back()

    work._finish = check_size
    return work


def send(tensor: Tensor, dst: int | None = None, group: Any = None, tag: int = 0,
         group_dst: int | None = None) -> None:
    """Send `tensor` to rank `dst` and wait until it left."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor: Tensor, src: int | None = None, group: Any = None, tag: int = 0,
         group_src: int | None = None) -> int:
    """Receive into `tensor` from `src` (any rank when None); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work.source


# *** collectives on picklable objects (pickle: only with ranks you trust) ***

def _run(pg: ProcessGroup, desc: str, pending: Any) -> None:
    Work(pg, desc, pending).wait()


def _as_bytes(obj: Any) -> np.ndarray:
    return np.frombuffer(pickle.dumps(obj), dtype=np.uint8)


def _loads(arr: np.ndarray) -> Any:
    return pickle.loads(arr.tobytes())


def _sizes_of(pg: ProcessGroup, data: np.ndarray, name: str) -> np.ndarray:
    sizes = np.zeros(pg.size(), np.int64)
    _run(pg, f"{name}(sizes)", pg.comm.allgather(np.array([data.size], np.int64), sizes,
                                                 f"{name}(sizes)"))
    return sizes


def _pieces(flat: np.ndarray, sizes: np.ndarray) -> list:
    edges = np.cumsum([0, *sizes])
    return [_loads(flat[edges[i]:edges[i + 1]]) for i in range(len(sizes))]


def all_gather_object(object_list: list, obj: Any, group: Any = None) -> None:
    """object_list[i] = rank i's `obj`, on every rank (objects travel pickled)."""
    pg = get_group(group, "all_gather_object")
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list must have one entry per rank "
                         f"({pg.size()}), got {len(object_list)}")
    data = _as_bytes(obj)
    sizes = _sizes_of(pg, data, "all_gather_object")
    flat = np.empty(int(sizes.sum()), np.uint8)
    _run(pg, "all_gather_object", pg.comm.allgatherv(data, flat, sizes.tolist(),
                                                     "all_gather_object"))
    object_list[:] = _pieces(flat, sizes)


def broadcast_object_list(object_list: list, src: int | None = None, group: Any = None,
                          device: Any = None, group_src: int | None = None) -> None:
    """Replace `object_list`'s entries on every rank with those of rank `src`."""
    pg = get_group(group, "broadcast_object_list")
    if pg is None:
        return
    root = group_rank(pg, src, group_src, "src", default=0)
    name = f"broadcast_object_list(src={pg.ranks[root]})"
    data = _as_bytes(list(object_list)) if pg.rank() == root else None
    size = np.array([0 if data is None else data.size], np.int64)
    _run(pg, name, pg.comm.bcast(size, root, name))
    if data is None:
        data = np.empty(int(size[0]), np.uint8)
    _run(pg, name, pg.comm.bcast(data, root, name))
    received = _loads(data)
    if len(received) != len(object_list):
        raise collective_error(pg, name, f"got {len(received)} objects from the source rank for "
                               f"a list of {len(object_list)}")
    object_list[:] = received


def gather_object(obj: Any, object_gather_list: list | None = None, dst: int | None = None,
                  group: Any = None, group_dst: int | None = None) -> None:
    """object_gather_list[i] = rank i's `obj`, on rank `dst` only."""
    pg = get_group(group, "gather_object")
    if pg is None:
        return
    root = group_rank(pg, dst, group_dst, "dst", default=0)
    name = f"gather_object(dst={pg.ranks[root]})"
    is_root = pg.rank() == root
    if is_root and (object_gather_list is None or len(object_gather_list) != pg.size()):
        raise ValueError(f"gather_object: object_gather_list must have one entry per rank "
                         f"({pg.size()}) on the destination rank")
    data = _as_bytes(obj)
    sizes = np.zeros(pg.size(), np.int64) if is_root else None
    _run(pg, name, pg.comm.gather(np.array([data.size], np.int64), sizes, root, name))
    flat = np.empty(int(sizes.sum()), np.uint8) if is_root else None
    _run(pg, name, pg.comm.gatherv(data, flat, None if sizes is None else sizes.tolist(), root,
                                   name))
    if is_root:
        object_gather_list[:] = _pieces(flat, sizes)


def scatter_object_list(scatter_object_output_list: list, scatter_object_input_list: list | None
                        = None, src: int | None = None, group: Any = None,
                        group_src: int | None = None) -> None:
    """scatter_object_output_list[0] = entry `rank` of rank `src`'s input list."""
    pg = get_group(group, "scatter_object_list")
    if pg is None:
        return
    root = group_rank(pg, src, group_src, "src", default=0)
    name = f"scatter_object_list(src={pg.ranks[root]})"
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at "
                         "least 1.")
    send, sizes = None, None
    if pg.rank() == root:
        if scatter_object_input_list is None or len(scatter_object_input_list) != pg.size():
            raise ValueError(f"scatter_object_list: the source rank needs one input object per "
                             f"rank ({pg.size()})")
        parts = [_as_bytes(o) for o in scatter_object_input_list]
        sizes = np.array([p.size for p in parts], np.int64)
        send = np.concatenate(parts)
    size = np.zeros(1, np.int64)
    _run(pg, name, pg.comm.scatter(sizes, size, root, name))
    recv = np.empty(int(size[0]), np.uint8)
    _run(pg, name, pg.comm.scatterv(send, None if sizes is None else sizes.tolist(), recv, root,
                                    name))
    scatter_object_output_list[0] = _loads(recv)
