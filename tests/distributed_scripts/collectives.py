"""Every collective on rank-dependent inputs against NumPy's answer; run under mpiexec -n N (or
imported and called in-process as a world of one). Prints one line per rank: `collectives ok N`."""
from __future__ import annotations

import sys
from datetime import timedelta

import numpy as np

import ndgrad as torch
import ndgrad.distributed as dist

DTYPES = {"float16": torch.float16, "float32": torch.float32, "float64": torch.float64,
          "int32": torch.int32, "int64": torch.int64, "bool": torch.bool}


def inputs(rank: int, shape: tuple = (2, 3), dtype: str = "float64") -> np.ndarray:
    """Rank `rank`'s input: distinct per rank and per element."""
    base = np.arange(int(np.prod(shape))).reshape(shape)
    if dtype == "bool":
        return ((base + rank) % 3 == 0)
    if dtype.startswith("int"):
        return (base * (rank + 1) + 3 * rank + 1).astype(dtype)
    return ((base + 1) * (rank + 1) / 4 + rank).astype(dtype)


REDUCERS = {
    "SUM": lambda xs: np.sum(xs, 0), "PRODUCT": lambda xs: np.prod(xs, 0),
    "MIN": lambda xs: np.min(xs, 0), "MAX": lambda xs: np.max(xs, 0),
    "AVG": lambda xs: np.mean(xs, 0), "BAND": lambda xs: np.bitwise_and.reduce(xs, 0),
    "BOR": lambda xs: np.bitwise_or.reduce(xs, 0), "BXOR": lambda xs: np.bitwise_xor.reduce(xs, 0),
}
BOOL_REDUCERS = {"SUM": np.any, "MAX": np.any, "BOR": np.any, "PRODUCT": np.all, "MIN": np.all,
                 "BAND": np.all, "BXOR": lambda xs, axis: np.logical_xor.reduce(xs, axis)}


class Checker:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, what: str, got: object, want: np.ndarray) -> None:
        got = got.numpy() if isinstance(got, torch.Tensor) else np.asarray(got)
        tol = 1e-3 if got.dtype == np.float16 else 1e-6
        if got.shape != want.shape or not np.allclose(got.astype(np.float64),
                                                      want.astype(np.float64), rtol=tol, atol=tol):
            raise AssertionError(f"rank {dist.get_rank()}: {what}: got {got!r}, want {want!r}")
        self.count += 1


def run_all() -> int:
    rank, n = dist.get_rank(), dist.get_world_size()
    check = Checker()
    every = lambda **kw: np.stack([inputs(r, **kw) for r in range(n)])  # noqa: E731

    # all_reduce: every op on the dtypes it is defined for
    for op, reducer in REDUCERS.items():
        for dt in (["int32", "int64"] if op in ("BAND", "BOR", "BXOR")
                   else ["float32", "float64"] + ([] if op == "AVG" else ["int64"])):
            t = torch.tensor(inputs(rank, dtype=dt))
            dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
            check(f"all_reduce {op} {dt}", t, reducer(every(dtype=dt)).astype(dt))
    for op, reducer in BOOL_REDUCERS.items():
        t = torch.tensor(inputs(rank, dtype="bool"))
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        check(f"all_reduce {op} bool", t, reducer(every(dtype="bool"), axis=0))
    t = torch.tensor(inputs(rank, dtype="float16"))
    dist.all_reduce(t)
    check("all_reduce float16", t, every(dtype="float16").astype(np.float64).sum(0))

    # zero-copy: a contiguous tensor is reduced in its own memory
    t = torch.tensor(inputs(rank))
    address = t.numpy().__array_interface__["data"][0]
    dist.all_reduce(t)
    check("all_reduce in place", t, every().sum(0))
    assert t.numpy().__array_interface__["data"][0] == address

    # a non-contiguous view is reduced and written back through the view
    base = torch.tensor(inputs(rank, shape=(3, 4)))
    view = base.t()
    dist.all_reduce(view, op=dist.ReduceOp.MAX)
    check("all_reduce transposed view", base, every(shape=(3, 4)).max(0))

    for src in range(n):
        t = torch.tensor(inputs(rank))
        dist.broadcast(t, src=src)
        check(f"broadcast src={src}", t, inputs(src))
    t = torch.tensor(inputs(rank))
    dist.broadcast(t, group_src=n - 1)
    check("broadcast group_src", t, inputs(n - 1))

    t = torch.tensor(inputs(rank))
    dist.reduce(t, dst=n - 1, op=dist.ReduceOp.SUM)
    if rank == n - 1:
        check("reduce dst", t, every().sum(0))

    out = [torch.zeros(2, 3, dtype=torch.float64) for _ in range(n)]
    dist.all_gather(out, torch.tensor(inputs(rank)))
    for r in range(n):
        check(f"all_gather [{r}]", out[r], inputs(r))

    flat = torch.zeros(2 * n, 3, dtype=torch.float64)
    dist.all_gather_into_tensor(flat, torch.tensor(inputs(rank)))
    check("all_gather_into_tensor (concatenated)", flat, np.concatenate(every()))
    stacked = torch.zeros(n, 2, 3, dtype=torch.float64)
    dist.all_gather_into_tensor(stacked, torch.tensor(inputs(rank)))
    check("all_gather_into_tensor (stacked)", stacked, every())

    chunks = [torch.tensor(inputs(rank) * (i + 1)) for i in range(n)]
    out = torch.zeros(2, 3, dtype=torch.float64)
    dist.reduce_scatter(out, chunks)
    check("reduce_scatter", out, every().sum(0) * (rank + 1))
    big = torch.tensor(inputs(rank, shape=(2 * n, 3)))
    out = torch.zeros(2, 3, dtype=torch.float64)
    dist.reduce_scatter_tensor(out, big, op=dist.ReduceOp.AVG)
    check("reduce_scatter_tensor AVG", out,
          every(shape=(2 * n, 3)).mean(0)[2 * rank:2 * rank + 2])

    dst = n - 1
    gathered = [torch.zeros(2, 3, dtype=torch.float64) for _ in range(n)] if rank == dst else None
    dist.gather(torch.tensor(inputs(rank)), gathered, dst=dst)
    if rank == dst:
        for r in range(n):
            check(f"gather [{r}]", gathered[r], inputs(r))

    src = n - 1
    pieces = [torch.tensor(inputs(r) + 100) for r in range(n)] if rank == src else None
    t = torch.zeros(2, 3, dtype=torch.float64)
    dist.scatter(t, pieces, src=src)
    check("scatter", t, inputs(rank) + 100)

    # all_to_all_single: even split, then uneven splits (rank r sends r+1+j rows to rank j)
    send = torch.tensor(np.arange(n * 2, dtype=np.float64) + 100 * rank)
    recv = torch.zeros(n * 2, dtype=torch.float64)
    dist.all_to_all_single(recv, send)
    check("all_to_all_single", recv, np.concatenate(
        [np.arange(2 * rank, 2 * rank + 2) + 100 * r for r in range(n)]))
    in_splits = [rank + 1 + j for j in range(n)]
    out_splits = [r + 1 + rank for r in range(n)]
    send = torch.tensor(np.arange(sum(in_splits) * 2, dtype=np.float64).reshape(-1, 2) + 1000 * rank)
    recv = torch.zeros(sum(out_splits), 2, dtype=torch.float64)
    dist.all_to_all_single(recv, send, out_splits, in_splits)
    want = []
    for r in range(n):
        start = sum(r + 1 + j for j in range(rank))
        rows = np.arange(sum(r + 1 + j for j in range(n)) * 2, dtype=np.float64).reshape(-1, 2)
        want.append(rows[start:start + r + 1 + rank] + 1000 * r)
    check("all_to_all_single uneven", recv, np.concatenate(want))

    dist.barrier()

    # async: every collective gives a work handle
    t = torch.tensor(inputs(rank))
    work = dist.all_reduce(t, async_op=True)
    work.wait()
    assert work.is_completed() and work.is_success()
    check("async all_reduce", t, every().sum(0))
    works = [dist.broadcast(torch.tensor(inputs(rank)), src=0, async_op=True) for _ in range(3)]
    for w in works:
        w.wait(timeout=timedelta(seconds=30))
    check("async broadcast results", works[-1].result()[0], inputs(0))

    # point-to-point: a ring, blocking and non-blocking, and a recv from any rank
    if n > 1:
        right, left = (rank + 1) % n, (rank - 1) % n
        out = torch.zeros(2, 3, dtype=torch.float64)
        if rank % 2 == 0:
            dist.send(torch.tensor(inputs(rank)), dst=right)
            dist.recv(out, src=left)
        else:
            dist.recv(out, src=left)
            dist.send(torch.tensor(inputs(rank)), dst=right)
        check("send/recv ring", out, inputs(left))
        out = torch.zeros(2, 3, dtype=torch.float64)
        works = [dist.isend(torch.tensor(inputs(rank) * 2), dst=right, tag=7),
                 dist.irecv(out, src=left, tag=7)]
        for w in works:
            w.wait()
        check("isend/irecv ring", out, inputs(left) * 2)
        if rank == 0:
            got = set()
            for _ in range(n - 1):
                t = torch.zeros(1, dtype=torch.int64)
                sender = dist.recv(t, tag=3)
                assert t.item() == sender * 10, (t, sender)
                got.add(sender)
            check("recv from any rank", sorted(got), np.arange(1, n))
        else:
            dist.send(torch.tensor([rank * 10]), dst=0, tag=3)

    # objects
    objs = [None] * n
    dist.all_gather_object(objs, {"rank": rank, "name": "x" * rank})
    check("all_gather_object", [o["rank"] for o in objs], np.arange(n))
    lst = [rank, "mine"] if rank else [{"a": 1}, (2, 3)]
    dist.broadcast_object_list(lst, src=0)
    assert lst == [{"a": 1}, (2, 3)], lst
    got = [None] * n if rank == 0 else None
    dist.gather_object(("g", rank), got, dst=0)
    if rank == 0:
        assert got == [("g", r) for r in range(n)], got
    out = [None]
    dist.scatter_object_list(out, [f"piece {r}" for r in range(n)] if rank == 0 else None, src=0)
    assert out == [f"piece {rank}"], out
    check("object collectives", np.ones(1), np.ones(1))

    # a subgroup: the first and the last rank
    members = sorted({0, n - 1})
    sub = dist.new_group(members)
    if rank in members:
        t = torch.tensor(inputs(rank))
        dist.all_reduce(t, group=sub)
        check("all_reduce in new_group", t, np.sum([inputs(r) for r in members], 0))
        assert dist.get_rank(sub) == members.index(rank)
        assert dist.get_world_size(sub) == len(members)
        assert dist.get_process_group_ranks(sub) == members
    else:
        assert sub == dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(sub) == -1
    dist.barrier()
    return check.count


if __name__ == "__main__":
    dist.init_process_group("mpi", timeout=timedelta(seconds=60))
    count = run_all()
    print(f"rank {dist.get_rank()} of {dist.get_world_size()}: collectives ok {count}", flush=True)
    dist.destroy_process_group()
    sys.exit(0)
