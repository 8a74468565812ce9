"""Allreduce through memory every rank maps: DDP's gradient buckets when a group sits on one machine.

MPI moves a large message only while both ends run inside MPI, so ranks that share cores (2
ranks on 2 vCPUs, or more ranks than cores) wait for each other to be scheduled. Here each
rank's buckets live in an MPI shared-memory window: a rank publishes a bucket by raising its
counter, and once every rank has published, each sums its own chunk of every rank's bucket (in
rank order, so every rank gets the same bits) and writes the sum back into every bucket. No
rank needs another to be running to make progress.

Layout: one window segment per rank, holding a control block of int64 counters and, per bucket,
two slots (the lendable one whose views become .grad, and a scratch one used while the user
still holds the lendable one's gradients from an earlier step).
"""
from __future__ import annotations

import os
import sys
import zlib
from typing import Any

import numpy as np

from . import _mpi

_ALIGN = 64  # bytes: every slot starts on its own cache line
POSTED, SLOT, DONE = range(3)  # the control block's int64 columns, one row per bucket
_COLUMNS = 3
ENV_SWITCH = "NDGRAD_DDP_SHARED_MEMORY"  # "0" keeps DDP on MPI's allreduce (for tests, debugging)


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def _layout(buckets: list[tuple[int, np.dtype]]) -> tuple[list[tuple[int, int]], int]:
    """Byte offsets of each bucket's two slots in a rank's segment, and the segment's size."""
    offsets, nbytes = [], _aligned(len(buckets) * _COLUMNS * 8)  # the control block first
    for count, dtype in buckets:
        slot = _aligned(count * np.dtype(dtype).itemsize)
        offsets.append((nbytes, nbytes + slot))
        nbytes += 2 * slot
    return offsets, nbytes


def _room_for(nbytes: int) -> bool:
    """Whether /dev/shm (where MPICH puts the window) has room, with a margin: a container's
    64 MB default would fail on first touch (SIGBUS), not at allocation."""
    try:
        fs = os.statvfs("/dev/shm")
    except OSError:  # no /dev/shm: the MPI library maps memory its own way
        return True
    return fs.f_bavail * fs.f_frsize >= 2 * nbytes


class SharedBuckets:
    """Bucket slots of every rank of a one-machine group, in an MPI shared-memory window.

    Construct it collectively with `create`; `slot(b, k)` is this rank's slot k (0 lendable,
    1 scratch) of bucket b, and `allreduce(b, k)` sums slot k of bucket b across the ranks in
    place (a pending operation for `Work`).
    """

    def __init__(self, comm: "_mpi.MPIComm", buckets: list[tuple[int, np.dtype]]) -> None:
        MPI = _mpi.MPI
        self.rank, self.size = comm.rank, comm.size
        offsets, nbytes = _layout(buckets)
        info = MPI.Info.Create()
        info.Set("alloc_shared_noncontig", "true")  # each rank's segment in its own pages
        try:
            self.win = MPI.Win.Allocate_shared(nbytes, 1, info, comm.comm)
        finally:
            info.Free()
        self.win.Lock_all(MPI.MODE_NOCHECK)  # a passive epoch for good: Sync is the barrier
        self.control: list[np.ndarray] = []
        self.slots: list[list[tuple[np.ndarray, np.ndarray]]] = []
        for q in range(self.size):
            buf, _ = self.win.Shared_query(q)
            self.control.append(np.frombuffer(buf, np.int64, len(buckets) * _COLUMNS)
                                .reshape(-1, _COLUMNS))
            # each slot an array of its own over the window (not a view of another array), so
            # that the views of a slot, and their number, are what refers to it
            self.slots.append([tuple(np.frombuffer(buf, dtype, count, start) for start in pair)
                               for pair, (count, dtype) in zip(offsets, buckets)])
        self.control[self.rank][:] = 0
        self.seq = [0] * len(buckets)
        self.unused_refcounts = self._refcounts()  # before anything else refers to the slots
        self.win.Sync()
        comm.comm.Barrier()  # every control block zeroed before anyone posts

    @classmethod
    def create(cls, comm: Any, buckets: list[tuple[int, np.dtype]]) -> "SharedBuckets | None":
        """The shared buckets when every rank of `comm` is on this machine and lays its buckets
        out alike (collective; every rank decides the same); None otherwise (MPI's allreduce)."""
        if not isinstance(comm, _mpi.MPIComm) or comm.size < 2 or \
                os.environ.get(ENV_SWITCH, "1") == "0":
            return None
        MPI = _mpi.MPI
        node = comm.comm.Split_type(MPI.COMM_TYPE_SHARED)
        try:
            local = node.Get_size() == comm.size and _room_for(comm.size * _layout(buckets)[1])
        finally:
            node.Free()
        layout = zlib.crc32(repr([(n, np.dtype(d).str) for n, d in buckets]).encode())
        agreed = comm.comm.allreduce((int(local), layout, -layout), op=MPI.MIN)
        # MIN over (local, layout, -layout): all local, and min == max of the layouts
        if not agreed[0] or agreed[1] != -agreed[2]:
            return None
        shared = cls(comm, buckets)
        comm.windows.append(shared)
        return shared

    def slot(self, bucket: int, k: int) -> np.ndarray:
        return self.slots[self.rank][bucket][k]

    def allreduce(self, bucket: int, k: int) -> "SharedAllreduce":
        self.seq[bucket] += 1
        return SharedAllreduce(self, bucket, k, self.seq[bucket])

    def _refcounts(self) -> list[int]:
        return [sys.getrefcount(pair[k]) for pair in self.slots[self.rank] for k in (0, 1)]

    def in_use(self) -> bool:
        """Whether any array outside this object refers to one of this rank's slots."""
        return self._refcounts() != self.unused_refcounts

    def free(self) -> None:
        self.win.Unlock_all()
        self.win.Free()


class SharedAllreduce:
    """One bucket's in-place SUM across the ranks; `poll()` advances it without blocking.

    Post: this rank's slot is full (barrier, then the slot number and the step's sequence number
    into this rank's control row). Reduce: once every rank has posted, sum this rank's chunk of
    the bucket over the ranks and write it into every rank's slot, then raise DONE. Finished
    once every rank is DONE: nobody writes into this rank's slot any more.
    """

    __slots__ = ("shared", "bucket", "seq", "reduced", "arrived")

    def __init__(self, shared: SharedBuckets, bucket: int, k: int, seq: int) -> None:
        self.shared, self.bucket, self.seq = shared, bucket, seq
        self.reduced = self.arrived = False
        row = shared.control[shared.rank][bucket]
        shared.win.Sync()  # the slot's contents before the counters that publish it
        row[SLOT] = k
        shared.win.Sync()
        row[POSTED] = seq

    def _all(self, column: int) -> bool:
        b, seq = self.bucket, self.seq
        for control in self.shared.control:
            if control[b, column] < seq:
                return False
        self.shared.win.Sync()  # what the peers wrote before their counters, visible after
        return True

    def poll(self) -> bool:
        shared, b = self.shared, self.bucket
        if not self.reduced:
            if not self._all(POSTED):
                return False
            self.arrived = True
            self._reduce_my_chunk()
            shared.win.Sync()
            shared.control[shared.rank][b, DONE] = self.seq
            self.reduced = True
        return self._all(DONE)

    def _reduce_my_chunk(self) -> None:
        shared, b = self.shared, self.bucket
        n = shared.size
        count = shared.slots[shared.rank][b][0].size  # the layouts agree on every rank
        chunk = -(-count // (n * 16)) * 16  # whole cache lines of float32: no false sharing
        lo, hi = min(count, chunk * shared.rank), min(count, chunk * (shared.rank + 1))
        parts = [shared.slots[q][b][int(shared.control[q][b, SLOT])][lo:hi] for q in range(n)]
        mine = parts[shared.rank]
        if n == 2:
            np.add(parts[0], parts[1], out=mine)
        else:
            total = parts[0] + parts[1]
            for part in parts[2:]:
                total += part
            np.copyto(mine, total)
        for q, part in enumerate(parts):
            if q != shared.rank:
                np.copyto(part, mine)
