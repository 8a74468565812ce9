"""Process groups, reduce ops and work handles (torch.distributed's vocabulary), backend-agnostic."""
from __future__ import annotations

import enum
import os
import time
from datetime import timedelta
from typing import Any, Callable

import numpy as np

DEFAULT_TIMEOUT = timedelta(minutes=30)  # torch's default_pg_timeout for CPU backends
# Work.wait: spin this long for a late peer, and this long for the transfer, then nap this long
SPIN_S, TRANSFER_SPIN_S, NAP_S = 1e-3, 3e-4, 5e-5


class ReduceOp:
    """torch.distributed.ReduceOp: `ReduceOp.SUM`, `ReduceOp.AVG`, ... (members of RedOpType)."""

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8

    SUM, AVG, PRODUCT, MIN, MAX = (RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT,
                                   RedOpType.MIN, RedOpType.MAX)
    BAND, BOR, BXOR, PREMUL_SUM = RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR, RedOpType.PREMUL_SUM


class Backend(str):
    """torch.distributed.Backend: normalizes a backend name ("gloo" is an alias of "mpi" here)."""

    UNDEFINED, MPI, GLOO, NCCL, UCC = "undefined", "mpi", "gloo", "nccl", "ucc"

    def __new__(cls, name: str) -> "Backend":
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {name!r}")
        value = name.lower().split(":")[-1] if name != "undefined" else name
        if value in ("nccl", "xccl", "ucc"):
            raise RuntimeError(f"Distributed package doesn't have {value.upper()} built in "
                               "(ndgrad runs on CPUs; use backend='mpi', or 'gloo' as its alias)")
        if value not in ("mpi", "gloo", "undefined"):
            raise ValueError(f"Invalid backend: '{name}' (ndgrad.distributed supports 'mpi'; "
                             "'gloo' is accepted as an alias)")
        return super().__new__(cls, value)


class _DoneComm:
    """Completed `Pending` stand-in for the world of one."""

    statuses = None
    arrived = True

    @staticmethod
    def poll() -> bool:
        return True


DONE = _DoneComm()


class LocalComm:
    """The world of one process (no launcher): every collective is a copy, nothing to wait for."""

    rank, size = 0, 1

    def allreduce(self, buf: np.ndarray, op: str, desc: str) -> Any:
        return DONE

    def bcast(self, buf: np.ndarray, root: int, desc: str) -> Any:
        return DONE

    def reduce(self, buf: np.ndarray, op: str, root: int, desc: str) -> Any:
        return DONE

    def allgather(self, send: np.ndarray, recv: np.ndarray, desc: str) -> Any:
        recv.reshape(-1)[...] = send.reshape(-1)
        return DONE

    def reduce_scatter(self, send: np.ndarray, recv: np.ndarray, op: str, desc: str) -> Any:
        return self.allgather(send, recv, desc)

    def gather(self, send: np.ndarray, recv: Any, root: int, desc: str) -> Any:
        return self.allgather(send, recv, desc)

    def scatter(self, send: Any, recv: np.ndarray, root: int, desc: str) -> Any:
        return self.allgather(send, recv, desc)

    def alltoallv(self, send: np.ndarray, send_counts: list, recv: np.ndarray,
                  recv_counts: list, desc: str) -> Any:
        return self.allgather(send, recv, desc)

    def allgatherv(self, send: np.ndarray, recv: np.ndarray, counts: list, desc: str) -> Any:
        return self.allgather(send, recv, desc)

    def gatherv(self, send: np.ndarray, recv: Any, counts: list, root: int, desc: str) -> Any:
        return self.allgather(send, recv, desc)

    def scatterv(self, send: Any, counts: list, recv: np.ndarray, root: int, desc: str) -> Any:
        return self.allgather(send, recv, desc)

    def barrier(self, desc: str) -> Any:
        return DONE

    def split(self, ranks: list[int]) -> "LocalComm | None":
        return self if 0 in ranks else None

    def free(self) -> None:
        pass


class ProcessGroup:
    """A set of ranks that run collectives together (torch.distributed.ProcessGroup)."""

    def __init__(self, comm: Any, ranks: list[int], timeout: timedelta, backend: str) -> None:
        self.comm, self.ranks, self.timeout, self.backend = comm, ranks, timeout, backend

    def rank(self) -> int:
        return self.comm.rank

    def size(self) -> int:
        return self.comm.size

    def name(self) -> str:
        return self.backend.upper()

    def __repr__(self) -> str:
        return f"<ProcessGroup {self.backend} ranks={self.ranks}>"


class group:
    """torch.distributed.group: `group.WORLD` is the default group once initialized."""

    WORLD: ProcessGroup | None = None


class GroupMember(group):
    NON_GROUP_MEMBER = -100


def collective_error(group: ProcessGroup, desc: str, why: str) -> RuntimeError:
    return RuntimeError(f"ndgrad.distributed: {desc} on rank {group.rank()} of {group.size()} "
                        f"{why}")


class Work:
    """The handle an `async_op=True` call returns: wait(), is_completed(), result()."""

    __slots__ = ("_group", "_desc", "_pending", "_finish", "_result", "_started", "_done",
                 "_error", "source")

    def __init__(self, group: ProcessGroup, desc: str, pending: Any,
                 finish: Callable | None = None, result: list | None = None) -> None:
        self._group, self._desc, self._pending, self._finish = group, desc, pending, finish
        self._result = result or []
        self._started = time.monotonic()
        self._done = False
        self._error: BaseException | None = None
        self.source = -1

    def source_rank(self) -> int:
        """The sender of a finished recv."""
        return self.source

    def _poll(self) -> bool:
        try:
            if not self._pending.poll():
                return False
        except Exception as exc:  # noqa: BLE001 - MPI's errors and fingerprint mismatches
            self._error = self._failure(exc)
            raise self._error from None
        self._done = True
        if self._finish is not None:
            self._finish()
        return True

    def _failure(self, exc: Exception) -> RuntimeError:
        if type(exc).__name__ == "MismatchError":
            return collective_error(self._group, self._desc, (
                "does not match what another rank of the group called at the same point (a "
                "different collective, shape, dtype, op or root): every rank must call the same "
                "collectives in the same order"))
        return collective_error(self._group, self._desc, f"failed in MPI: {exc}")

    def is_completed(self) -> bool:
        """True once the operation finished (checks without blocking)."""
        if self._error is not None:
            raise self._error
        return self._done or self._poll()

    def wait(self, timeout: timedelta | None = None) -> bool:
        """Block until done; RuntimeError naming the collective when the timeout passes first."""
        if self._done:
            return True
        if self._error is not None:
            raise self._error
        limit = (timeout or self._group.timeout).total_seconds()
        deadline = self._started + limit
        start = time.monotonic()
        pending, arrived = self._pending, None
        polls = 0
        while not self._poll():
            polls += 1
            if polls & 63:
                continue
            now = time.monotonic()
            if now > deadline:
                self._error = collective_error(self._group, self._desc, (
                    f"timed out after {limit:g} s (the timeout given to init_process_group): a "
                    "peer is hung, has died, or called a different collective"))
                raise self._error
            # MPI moves data only while each rank polls. Once every rank has posted (the
            # fingerprint check came back) only the transfer is left: keep polling, yielding the
            # core only every ~1000 polls (a yield on a busy core can cost a whole time slice),
            # for TRANSFER_SPIN_S; a transfer slower than that has a peer off its core, and naps
            # let it in. Before that a peer is still computing: spin (yielding) for SPIN_S,
            # then nap so ranks sharing busy cores let their peers run; 1 ms naps after a second
            if pending.arrived:
                if arrived is None:
                    arrived = now
                if now - arrived < TRANSFER_SPIN_S:
                    if not polls & 1023:
                        os.sched_yield()
                    continue
            waited = now - start
            if waited < SPIN_S:
                os.sched_yield()
            else:
                time.sleep(NAP_S if waited < 1.0 else 1e-3)
        return True

    synchronize = wait

    def is_success(self) -> bool:
        return self._done and self._error is None

    def exception(self) -> BaseException | None:
        return self._error

    def result(self) -> list:
        self.wait()
        return self._result
