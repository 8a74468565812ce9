"""DDP's gradient reducer: flat buckets in reverse parameter order, filled by post-accumulate-grad
hooks, averaged by non-blocking allreduce, and all finished before backward returns."""
from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from ..._tensor import Tensor
from ...autograd.engine import queue_callback
from ...distributed._group import ProcessGroup, Work
from ...distributed._shm import SharedBuckets

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
    """One flat gradient buffer and, per member parameter, its slice shaped as the parameter.

    With shared memory (`shared`, one machine) the buffer is one of two fixed slots of the
    window: the lendable slot, whose views become the averaged .grad, or the scratch slot while
    the user still holds the lendable slot's gradients of an earlier step. Otherwise a private
    buffer, swapped for a spare when lent.
    """

    __slots__ = ("index", "members", "shapes", "buffer", "views", "spare", "left", "work", "desc",
                 "shared", "lendable", "scratch", "free_refs")

    def __init__(self, index: int, members: list[int], params: list,
                 shared: SharedBuckets | None = None) -> None:
        self.index, self.members, self.shared = index, members, shared
        self.shapes = [params[i]._data.shape for i in members]
        total = sum(params[i]._data.size for i in members)
        self.desc = f"DDP gradient bucket {index} ({params[members[0]]._data.dtype}[{total}])"
        self.left = len(members)
        self.work: Work | None = None
        self.spare: tuple | None = None  # the previous (buffer, views), kept for reuse
        if shared is None:
            self.buffer: np.ndarray = np.zeros(total, params[members[0]]._data.dtype)
            self.views = self._carve(self.buffer)
        else:
            self.lendable = (shared.slot(index, 0), self._carve(shared.slot(index, 0)))
            self.scratch = (shared.slot(index, 1), self._carve(shared.slot(index, 1)))
            self.lendable[0][...] = 0
            self.free_refs = sys.getrefcount(self.lendable[0])  # held by nobody but us
            self.buffer, self.views = self.lendable

    def _carve(self, buffer: np.ndarray) -> list[np.ndarray]:
        views, offset = [], 0
        for shape in self.shapes:
            size = math.prod(shape)
            views.append(buffer[offset:offset + size].reshape(shape))
            offset += size
        return views

    def renew_if_lent(self) -> None:
        """Switch to a buffer no gradient refers to: the averaged gradients are views of the
        buffer, and must not change under their owner in a later step."""
        if self.shared is not None:
            self.buffer = self.views = None  # type: ignore[assignment]
            lent = sys.getrefcount(self.lendable[0]) > self.free_refs
            self.buffer, self.views = self.scratch if lent else self.lendable
            return
        # a free buffer is referred to by its holder, getrefcount's argument and its own views
        if sys.getrefcount(self.buffer) <= 2 + len(self.views):
            return
        spare, self.spare = self.spare, (self.buffer, self.views)
        if spare is not None and sys.getrefcount(spare[0]) <= 2 + len(self.views):
            self.buffer, self.views = spare
        else:
            self.buffer = np.empty_like(self.buffer)
            self.views = self._carve(self.buffer)

    def allreduce(self, group: ProcessGroup) -> Work:
        if self.shared is None:
            pending = group.comm.allreduce(self.buffer, "SUM", self.desc)
        else:
            pending = self.shared.allreduce(self.index, int(self.buffer is self.scratch[0]))
        return Work(group, self.desc, pending)

    def unshare_if_scratch(self) -> None:
        """After the reduction: gradients must not be views of the scratch slot (the next step
        writes it while the user may hold them), so give them a private copy."""
        if self.shared is not None and self.buffer is self.scratch[0]:
            self.buffer = self.buffer.copy()
            self.views = self._carve(self.buffer)


class Reducer:
    """Averages the gradients of `params` across `group` during each armed backward pass.

    Each gradient is scaled by 1/world size while it is copied into its bucket (torch's
    mul_out); the bucket is reduced with SUM in place, and the averaged gradients become
    views of the bucket (unless a .grad that existed before the pass must keep its memory), so
    nothing is copied back.
    """

    def __init__(self, params: list, names: list[str], group: ProcessGroup, limits: list[int],
                 find_unused_parameters: bool, gradient_as_bucket_view: bool) -> None:
        self.params, self.names, self.group = params, names, group
        self.find_unused, self.as_view = find_unused_parameters, gradient_as_bucket_view
        size = group.size()
        self.scale = 1.0 / size if size > 1 else None
        self.buckets: list[_Bucket] = []
        self.where: list[tuple[_Bucket, int]] = [None] * len(params)  # type: ignore
        assignment = assign_buckets(params, limits)
        # collective: every rank of the group takes part, and all choose the same transport
        self.shared = SharedBuckets.create(group.comm, [
            (sum(params[i]._data.size for i in members), params[members[0]]._data.dtype)
            for members in assignment])
        for b, members in enumerate(assignment):
            bucket = _Bucket(b, members, params, self.shared)
            for k, i in enumerate(members):
                self.where[i] = (bucket, k)
            self.buckets.append(bucket)
        self.index = {id(p): i for i, p in enumerate(params)}
        self.marked = [False] * len(params)
        self.before: list = [None] * len(params)  # each .grad when the pass was armed
        self.before_data: list = [None] * len(params)  # and its memory then
        self.fresh = [False] * len(params)  # .grad made by this pass (not there before)
        self.armed = False
        self.queued = False
        self.next_bucket = 0
        self.handles = [p.register_post_accumulate_grad_hook(self._on_grad) for p in params]

    def prepare(self) -> None:
        """Arm for the next backward pass (called by DDP's forward when gradients will sync)."""
        self.armed, self.queued, self.next_bucket = True, False, 0
        self.marked = [False] * len(self.params)
        self.before = [p._grad for p in self.params]
        self.before_data = [None if g is None else g._data for g in self.before]
        for b in self.buckets:
            b.left, b.work = len(b.members), None
            if not self.as_view:  # torch's gradient_as_bucket_view keeps one buffer for good
                b.renew_if_lent()

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
        grad = param._grad
        # a .grad made by this pass can be swapped for its averaged view; one with a graph
        # (create_graph) keeps its identity, as torch's copy back into it
        self.fresh[i] = grad is not self.before[i] and not grad._requires_grad
        bucket, k = self.where[i]
        if self.scale is None:
            np.copyto(bucket.views[k], grad._data)
        else:
            np.multiply(grad._data, self.scale, out=bucket.views[k])
        bucket.left -= 1
        if bucket.left == 0:
            self._launch_ready()
        elif self.next_bucket:  # drive MPI's progress on buckets already in flight
            work = self.buckets[self.next_bucket - 1].work
            if work is not None and not work._done:
                work.is_completed()

    def _launch_ready(self) -> None:
        """Launch buckets strictly in index order, so every rank issues the same sequence."""
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].left == 0:
            b = self.buckets[self.next_bucket]
            b.work = b.allreduce(self.group)
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
                bucket, k = self.where[i]
                bucket.views[k][...] = 0
                bucket.left -= 1
                self.fresh[i] = False
        if self.find_unused:
            self._launch_ready()
            used = np.array(self.marked, dtype=np.int32)
            desc = f"DDP used-parameter map (int32[{used.size}])"
            used_work = Work(self.group, desc, self.group.comm.allreduce(used, "MAX", desc))
        for b in self.buckets:
            b.work.wait()
            if any(self.fresh[i] for i in b.members):
                b.unshare_if_scratch()
        if used is not None:
            used_work.wait()
        self._write_back(used)

    def _write_back(self, used: np.ndarray | None) -> None:
        for i, p in enumerate(self.params):
            if used is not None and not used[i]:
                continue  # no rank used it: its .grad stays as it was (torch's rule)
            bucket, k = self.where[i]
            view = bucket.views[k]
            grad = p._grad
            if grad is None or self.fresh[i]:
                # a .grad this pass made (or none: a parameter that only other ranks used)
                # becomes its averaged view; nobody has seen the one it replaces
                p._grad = Tensor._make(view.view())
            elif self.as_view:  # torch keeps such a .grad in the bucket for good
                if grad._data.base is not bucket.buffer:
                    grad._data = view.view()
                    grad._vc[0] += 1
            else:
                # torch's grad.copy_(bucket): the .grad keeps the memory it had before backward
                # (ndgrad's engine accumulates into a view out of place)
                memory = self.before_data[i]
                if memory is None or not memory.flags.writeable:
                    memory = grad._data
                np.copyto(memory, view)
                grad._data = memory
                grad._vc[0] += 1
        self.before = self.before_data = [None] * len(self.params)

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
