"""The MPI backend: array-level collectives on mpi4py's non-blocking calls.

The only module that imports mpi4py, and only inside `load()` (called by init_process_group).
"""
from __future__ import annotations

import os
import sys
import time
import zlib
from typing import Any, Callable

import numpy as np

MPI: Any = None  # mpi4py.MPI once load() ran

INSTALL_HINT = ("ndgrad.distributed needs mpi4py and an MPI library to run more than one "
                "process: pip install 'ndgrad[distributed]' (installs mpi4py and mpich)")

# set by the launchers of MPICH (hydra), Intel MPI, Open MPI, PMIx and Slurm (srun --mpi)
REPORT_GRACE_S = 0.3  # see abort()
_LAUNCHER_VARS = ("PMI_SIZE", "PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")

_OPS = {"SUM": "SUM", "PRODUCT": "PROD", "MIN": "MIN", "MAX": "MAX", "BAND": "BAND",
        "BOR": "BOR", "BXOR": "BXOR", "AVG": "SUM"}
# MPI defines only the logical ops on C bool
_BOOL_OPS = {"SUM": "LOR", "MAX": "LOR", "BOR": "LOR", "PRODUCT": "LAND", "MIN": "LAND",
             "BAND": "LAND", "BXOR": "LXOR", "AVG": "LOR"}
_TAG_CODES = {np.dtype(t): i for i, t in enumerate(
    ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
     "complex64", "complex128"))}


def launched_by_mpi() -> bool:
    """True when an MPI launcher (mpiexec, srun) started this process or MPI is already in use."""
    return "mpi4py.MPI" in sys.modules or any(v in os.environ for v in _LAUNCHER_VARS)


def launcher_rank_and_size() -> tuple[int, int]:
    """(rank, world size) that the launcher published in the environment; (0, 1) if none."""
    env = os.environ
    for rank, size in (("PMI_RANK", "PMI_SIZE"), ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE")):
        if size in env:
            return int(env.get(rank, 0)), int(env[size])
    return 0, 1


def load() -> Any:
    """Import mpi4py (which initializes MPI) or raise one line saying how to install it."""
    global MPI
    if MPI is None:
        try:
            from mpi4py import MPI as mpi
        except ImportError:
            raise ImportError(INSTALL_HINT) from None
        MPI = mpi
    return MPI


def world() -> "MPIComm":
    return MPIComm(load().COMM_WORLD)


def abort(code: int = 1) -> None:
    """End every process of the job (MPI_Abort on the world communicator).

    mpiexec forwards each rank's output through its proxy asynchronously and MPI_Abort tears
    the proxies down at once: a moment first lets the report the rank just wrote reach the
    terminal (under load, without it the traceback was lost in about 1 run in 10)."""
    time.sleep(REPORT_GRACE_S)
    _unlink_shared_segments()
    MPI.COMM_WORLD.Abort(code)


def _unlink_shared_segments() -> None:
    """Remove the names of the /dev/shm files MPICH mapped for this job. MPI_Finalize removes
    them, MPI_Abort does not: each aborted job left 2 MB or more of RAM-backed files behind
    until the next reboot. The mappings stay valid; nothing opens them by name any more."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split(None, 5)[5].strip() for line in maps if " /dev/shm/mpich_" in line}
    except (OSError, IndexError):  # not Linux
        return
    for path in paths:
        if not path.endswith("(deleted)"):
            try:
                os.unlink(path)
            except OSError:  # a peer removed it first
                pass


def local_rank_and_size() -> tuple[int, int]:
    """(rank, size) among the processes of this job on this machine."""
    node = MPI.COMM_WORLD.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        return node.Get_rank(), node.Get_size()
    finally:
        node.Free()


class Pending:
    """Requests in flight plus the fingerprint check that all ranks called the same thing.

    `arrived` turns True when the check came back: every rank of the group has posted the
    collective (each posts its data requests before its check), so only the transfer is left.
    """

    __slots__ = ("reqs", "check_req", "check", "statuses", "after", "arrived")

    def __init__(self, reqs: list, check_req: Any = None, check: Any = None,
                 statuses: list | None = None) -> None:
        self.reqs, self.check_req, self.check, self.statuses = reqs, check_req, check, statuses
        self.after: Callable | None = None
        self.arrived = False

    def poll(self) -> bool:
        """True once complete; raises MismatchError when the ranks' fingerprints differ."""
        if self.check_req is not None:
            if not self.check_req.Test():
                return False
            self.check_req = None
            if self.check[0] != -self.check[1]:
                raise MismatchError()
            self.arrived = True
        reqs = self.reqs
        if self.statuses is not None:
            return MPI.Request.Testall(reqs, self.statuses)
        if len(reqs) == 1:
            return reqs[0].Test()
        return MPI.Request.Testall(reqs)


class MismatchError(Exception):
    """The ranks of a group called different collectives, or with different shapes or dtypes."""


_FINGERPRINTS: dict[str, tuple[int, int]] = {}
KEPT_WINDOWS: list = []  # shared windows still viewed when their group was destroyed


def _fingerprint(desc: str) -> np.ndarray:
    pair = _FINGERPRINTS.get(desc)
    if pair is None:
        fp = zlib.crc32(desc.encode())
        pair = _FINGERPRINTS[desc] = (fp, -fp)
    return np.array(pair, dtype=np.int64)  # MAX of [fp, -fp] is [max, -min]: equal iff all agree


class MPIComm:
    """A communicator of the group; fingerprints travel on a duplicate so they never mix with data."""

    def __init__(self, comm: Any) -> None:
        self.comm = comm
        self.checks = comm.Dup()
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.windows: list = []  # shared-memory windows made on this communicator (_shm)

    def _start(self, desc: str, reqs: list, statuses: list | None = None) -> Pending:
        check = _fingerprint(desc)
        req = self.checks.Iallreduce(MPI.IN_PLACE, check, MPI.MAX)
        return Pending(reqs, req, check, statuses)

    @staticmethod
    def _op(op: str, dtype: np.dtype) -> Any:
        if dtype == np.bool_:
            return getattr(MPI, _BOOL_OPS[op])
        return getattr(MPI, _OPS[op])

    def allreduce(self, buf: np.ndarray, op: str, desc: str) -> Pending:
        return self._start(desc, [self.comm.Iallreduce(MPI.IN_PLACE, buf, self._op(op, buf.dtype))])

    def bcast(self, buf: np.ndarray, root: int, desc: str) -> Pending:
        return self._start(desc, [self.comm.Ibcast(buf, root)])

    def reduce(self, buf: np.ndarray, op: str, root: int, desc: str) -> Pending:
        mpi_op = self._op(op, buf.dtype)
        if self.rank == root:
            req = self.comm.Ireduce(MPI.IN_PLACE, buf, mpi_op, root)
        else:
            req = self.comm.Ireduce(buf, None, mpi_op, root)
        return self._start(desc, [req])

    def allgather(self, send: np.ndarray, recv: np.ndarray, desc: str) -> Pending:
        return self._start(desc, [self.comm.Iallgather(send, recv)])

    def reduce_scatter(self, send: np.ndarray, recv: np.ndarray, op: str, desc: str) -> Pending:
        req = self.comm.Ireduce_scatter_block(send, recv, self._op(op, send.dtype))
        return self._start(desc, [req])

    def gather(self, send: np.ndarray, recv: np.ndarray | None, root: int, desc: str) -> Pending:
        return self._start(desc, [self.comm.Igather(send, recv, root)])

    def scatter(self, send: np.ndarray | None, recv: np.ndarray, root: int, desc: str) -> Pending:
        return self._start(desc, [self.comm.Iscatter(send, recv, root)])

    def alltoallv(self, send: np.ndarray, send_counts: list, recv: np.ndarray,
                  recv_counts: list, desc: str) -> Pending:
        sd, rd = np.cumsum([0, *send_counts[:-1]]), np.cumsum([0, *recv_counts[:-1]])
        req = self.comm.Ialltoallv([send, (send_counts, sd)], [recv, (recv_counts, rd)])
        return self._start(desc, [req])

    def allgatherv(self, send: np.ndarray, recv: np.ndarray, counts: list, desc: str) -> Pending:
        displs = np.cumsum([0, *counts[:-1]])
        return self._start(desc, [self.comm.Iallgatherv(send, [recv, (counts, displs)])])

    def gatherv(self, send: np.ndarray, recv: np.ndarray | None, counts: list, root: int,
                desc: str) -> Pending:
        spec = None if recv is None else [recv, (counts, np.cumsum([0, *counts[:-1]]))]
        return self._start(desc, [self.comm.Igatherv(send, spec, root)])

    def scatterv(self, send: np.ndarray | None, counts: list, recv: np.ndarray, root: int,
                 desc: str) -> Pending:
        spec = None if send is None else [send, (counts, np.cumsum([0, *counts[:-1]]))]
        return self._start(desc, [self.comm.Iscatterv(spec, recv, root)])

    def barrier(self, desc: str) -> Pending:
        return self._start(desc, [self.comm.Ibarrier()])

    @staticmethod
    def _tag(tag: int, dtype: np.dtype) -> int:
        # the dtype rides in the tag, so a float32 send never matches a float64 recv
        return tag * 16 + _TAG_CODES.get(dtype, 15)

    def send(self, buf: np.ndarray, dst: int, tag: int) -> Pending:
        return Pending([self.comm.Isend(buf, dst, self._tag(tag, buf.dtype))])

    def recv(self, buf: np.ndarray, src: int | None, tag: int) -> Pending:
        source = MPI.ANY_SOURCE if src is None else src
        status = MPI.Status()
        pending = Pending([self.comm.Irecv(buf, source, self._tag(tag, buf.dtype))],
                          statuses=[status])
        return pending

    @staticmethod
    def recv_info(pending: Pending) -> tuple[int, int]:
        """(source rank, bytes received) of a finished recv."""
        status = pending.statuses[0]
        return status.Get_source(), status.Get_count(MPI.BYTE)

    def split(self, ranks: list[int]) -> "MPIComm | None":
        """A communicator of `ranks` (collective over this one); None on the other ranks."""
        member = self.rank in ranks
        comm = self.comm.Split(0 if member else MPI.UNDEFINED, ranks.index(self.rank)
                               if member else 0)
        return MPIComm(comm) if member else None

    def free(self) -> None:
        if self.windows:
            # a window whose memory some array still views (a .grad, a live DDP) on any rank
            # stays mapped until the process ends: freeing it would leave those arrays dangling
            in_use = np.array([w.in_use() for w in self.windows], dtype=np.int32)
            self.comm.Allreduce(MPI.IN_PLACE, in_use, MPI.MAX)
            for window, used in zip(self.windows, in_use):
                if used:
                    KEPT_WINDOWS.append(window)
                else:
                    window.free()
            self.windows.clear()
        for c in (self.checks, self.comm):
            if c != MPI.COMM_WORLD:
                c.Free()
