"""DDP's gradient reducer: flat buckets in reverse parameter order, filled by post-accumulate-grad
hooks, averaged by non-blocking allreduce, and all finished before backward returns."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor
from ...autograd.engine import queue_callback
from ...distributed._group import ProcessGroup, Work

_UNUSED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This "
    "error indicates that your module has parameters that were not used in producing loss. You "
    "can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by making "
    "sure all `forward` function outputs participate in calculating loss.\n"
    "Parameters which did not receive grad for rank {rank}: {names}")


def assign_buckets(params: list, limits: list[int]) -> list[list[int]]:
    """torch's bucket assignment: walk parameters last to first, one open bucket per dtype, closed
    once it reaches its size limit (the first limit for the first bucket, then the next)."""
    open_buckets: dict[Any, tuple[list[int], int, int]] = {}
    closed: list[list[int]] = []
    for i in reversed(range(len(params))):
        arr = params[i]._data
        members, size, nth = open_buckets.get(arr.dtype, ([], 0, 0))
        members.append(i)
        size += arr.nbytes
        if size >= limits[min(nth, len(limits) - 1)]:
            closed.append(members)
            open_buckets[arr.dtype] = ([], 0, nth + 1)
        else:
            open_buckets[arr.dtype] = (members, size, nth)
    closed += [members for members, _, _ in open_buckets.values() if members]
    return sorted(closed, key=lambda members: -members[0])


class _Bucket:
    __slots__ = ("index", "members", "buffer", "left", "work")

    def __init__(self, index: int, members: list[int], buffer: np.ndarray) -> None:
        self.index, self.members, self.buffer = index, members, buffer
        self.left = len(members)
        self.work: Work | None = None


class Reducer:
    """Averages the gradients of `params` across `group` during each armed backward pass."""

    def __init__(self, params: list, names: list[str], group: ProcessGroup, limits: list[int],
                 find_unused_parameters: bool, gradient_as_bucket_view: bool) -> None:
        self.params, self.names, self.group = params, names, group
        self.find_unused, self.as_view = find_unused_parameters, gradient_as_bucket_view
        self.buckets: list[_Bucket] = []
        self.where: list[tuple[_Bucket, int, int]] = [None] * len(params)  # type: ignore
        for b, members in enumerate(assign_buckets(params, limits)):
            total = sum(params[i]._data.size for i in members)
            bucket = _Bucket(b, members, np.zeros(total, params[members[0]]._data.dtype))
            offset = 0
            for i in members:
                self.where[i] = (bucket, offset, params[i]._data.size)
                offset += params[i]._data.size
            self.buckets.append(bucket)
        self.index = {id(p): i for i, p in enumerate(params)}
        self.marked = [False] * len(params)
        self.armed = False
        self.queued = False
        self.next_bucket = 0
        self.handles = [p.register_post_accumulate_grad_hook(self._on_grad) for p in params]

    def prepare(self) -> None:
        """Arm for the next backward pass (called by DDP's forward when gradients will sync)."""
        self.armed, self.queued, self.next_bucket = True, False, 0
        self.marked = [False] * len(self.params)
        for b in self.buckets:
            b.left, b.work = len(b.members), None

    def _on_grad(self, param: Tensor) -> None:
        if not self.armed:
            return
        i = self.index[id(param)]
        if self.marked[i]:
            raise RuntimeError(
                "Expected to mark a variable ready only once. This error is caused by a parameter "
                f"({self.names[i]}) receiving gradients twice in one iteration (a second backward "
                "through the same forward, or a module reused with a shared parameter).")
        self.marked[i] = True
        if not self.queued:
            queue_callback(self._finalize)
            self.queued = True
        bucket, offset, size = self.where[i]
        np.copyto(bucket.buffer[offset:offset + size], param._grad._data.reshape(-1))
        bucket.left -= 1
        if bucket.left == 0:
            self._launch_ready()
        elif self.next_bucket:  # drive MPI's progress on buckets already in flight
            work = self.buckets[self.next_bucket - 1].work
            if work is not None and not work._done:
                work.is_completed()

    def _launch_ready(self) -> None:
        """Launch buckets strictly in index order, so every rank issues the same sequence."""
        n = self.group.size()
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].left == 0:
            b = self.buckets[self.next_bucket]
            if n > 1:
                np.divide(b.buffer, n, out=b.buffer)
            desc = f"DDP gradient bucket {b.index} ({b.buffer.dtype}[{b.buffer.size}])"
            b.work = Work(self.group, desc, self.group.comm.allreduce(b.buffer, "SUM", desc))
            self.next_bucket += 1

    def _finalize(self) -> None:
        self.armed = False
        missing = [i for i, m in enumerate(self.marked) if not m]
        used = None
        if missing:
            if not self.find_unused:
                raise RuntimeError(_UNUSED.format(rank=self.group.rank(), names=", ".join(
                    self.names[i] for i in missing)))
            for i in missing:
                bucket, offset, size = self.where[i]
                bucket.buffer[offset:offset + size] = 0
                bucket.left -= 1
        if self.find_unused:
            self._launch_ready()
            used = np.array(self.marked, dtype=np.int32)
            desc = f"DDP used-parameter map (int32[{used.size}])"
            used_work = Work(self.group, desc, self.group.comm.allreduce(used, "MAX", desc))
        for b in self.buckets:
            b.work.wait()
        if used is not None:
            used_work.wait()
        self._write_back(used)

    def _write_back(self, used: np.ndarray | None) -> None:
        for i, p in enumerate(self.params):
            if used is not None and not used[i]:
                continue  # no rank used it: its .grad stays as it was (torch's rule)
            bucket, offset, size = self.where[i]
            view = bucket.buffer[offset:offset + size].reshape(p._data.shape)
            grad = p._grad
            if self.as_view:
                if grad is None or grad._data.base is not bucket.buffer:
                    p._grad = Tensor._make(view)
            elif grad is None:
                p._grad = Tensor._make(view.copy())
            else:
                np.copyto(grad._data, view)

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
