"""torch.distributed on MPI: process groups, collectives and point-to-point on ndgrad tensors.

Start N processes with `mpiexec -n N python train.py` or `python -m ndgrad.distributed.run
--nproc-per-node N train.py`; without a launcher a script runs as a world of one.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import traceback
import warnings
from datetime import timedelta
from typing import Any

from . import _mpi
from ._collectives import (
    all_gather, all_gather_into_tensor, all_reduce, all_to_all_single, barrier, broadcast, gather,
    get_group, group_rank, reduce, reduce_scatter, reduce_scatter_tensor, scatter,
)
from ._group import (
    DEFAULT_TIMEOUT, Backend, GroupMember, LocalComm, ProcessGroup, ReduceOp, Work, group,
)
from ._p2p import (
    all_gather_object, broadcast_object_list, gather_object, irecv, isend, recv,
    scatter_object_list, send,
)

__all__ = [
    "Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather",
    "all_gather_into_tensor", "all_gather_object", "all_reduce", "all_to_all_single", "barrier",
    "broadcast", "broadcast_object_list", "destroy_process_group", "gather", "gather_object",
    "get_backend", "get_global_rank", "get_group_rank", "get_process_group_ranks", "get_rank",
    "get_world_size", "group", "init_process_group", "irecv", "is_available", "is_initialized",
    "is_mpi_available", "is_nccl_available", "is_gloo_available", "isend", "new_group", "recv",
    "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter", "scatter_object_list", "send",
]

_SUBGROUPS: list[ProcessGroup] = []


def is_available() -> bool:
    """True: a world of one always works; more processes need mpi4py (is_mpi_available())."""
    return True


def is_mpi_available() -> bool:
    """True when mpi4py is installed (`pip install 'ndgrad[distributed]'`)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_gloo_available() -> bool:
    """True: backend="gloo" is accepted and runs on MPI, so torch scripts run unchanged."""
    return True


def is_nccl_available() -> bool:
    return False


def is_initialized() -> bool:
    """Whether init_process_group has run (and destroy_process_group has not)."""
    return group.WORLD is not None


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Join the job's default process group.

    Under an MPI launcher the ranks come from MPI (as torch's "mpi" backend: `world_size` and
    `rank` are not needed); without one the script is a world of one. `backend` is "mpi" (the
    default) or "gloo" as its alias. `timeout` bounds every collective: a hung or mismatched peer
    makes the others raise RuntimeError naming the call instead of waiting forever.

    Example::
        >>> import ndgrad.distributed as dist
        >>> dist.init_process_group("gloo")
        >>> dist.get_rank(), dist.get_world_size()
        (0, 1)
        >>> dist.destroy_process_group()
    """
    if group.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    Backend(backend if backend is not None else "mpi")
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if not isinstance(timeout, timedelta):
        raise TypeError("Expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout)}")
    if device_id is not None and str(device_id).split(":")[0] != "cpu":
        raise ValueError(f"device_id {device_id} is not a CPU device: ndgrad runs on CPUs")
    if _mpi.launched_by_mpi():
        comm = _mpi.world()
        if (world_size not in (-1, comm.size)) or (rank not in (-1, comm.rank)):
            warnings.warn(f"For MPI backend, world_size ({world_size}) and rank ({rank}) are "
                          "ignored since they are assigned by the MPI runtime.", stacklevel=2)
        if comm.size > 1:
            _abort_on_uncaught_exception()
    else:
        wanted = world_size if world_size != -1 else int(os.environ.get("WORLD_SIZE", "1"))
        if wanted != 1:
            raise RuntimeError(
                f"init_process_group: world_size={wanted}, but this process was not started by an "
                f"MPI launcher. Start the ranks with `python -m ndgrad.distributed.run "
                f"--nproc-per-node {wanted} script.py` or `mpiexec -n {wanted} python script.py`"
                + ("" if is_mpi_available() else f" ({_mpi.INSTALL_HINT})"))
        if rank not in (-1, 0):
            raise ValueError(f"rank {rank} is out of range for a world of one process")
        comm = LocalComm()
    group.WORLD = ProcessGroup(comm, list(range(comm.size)), timeout, "mpi")


def _abort_on_uncaught_exception() -> None:
    """Under an MPI launcher an uncaught exception on any rank prints its traceback, then ends
    every rank (MPI_Abort), also before init_process_group: MPI alone would leave the peers
    waiting forever."""
    previous = sys.excepthook
    if getattr(previous, "_ndgrad_aborts", False):
        return
    rank, size = _mpi.launcher_rank_and_size()

    def hook(exc_type: type, exc: BaseException, tb: Any) -> None:
        note = (f"ndgrad.distributed: rank {rank} of {size} raised {exc_type.__name__}; ending "
                "the job (MPI_Abort)\n")
        sys.stdout.flush()
        if previous is sys.__excepthook__:
            # one write: the ranks share the launcher's stderr, and a traceback written line by
            # line comes out interleaved with the other ranks' (unreadable, and unmatchable)
            sys.stderr.flush()
            report = "".join(traceback.format_exception(exc_type, exc, tb)) + note
            os.write(sys.stderr.fileno(), report.encode(errors="replace"))
        else:
            previous(exc_type, exc, tb)
            sys.stderr.write(note)
            sys.stderr.flush()
        try:
            _mpi.load()
        except ImportError:
            return
        _mpi.abort(1)

    hook._ndgrad_aborts = True  # type: ignore[attr-defined]
    sys.excepthook = hook


if _mpi.launched_by_mpi() and _mpi.launcher_rank_and_size()[1] > 1:
    _abort_on_uncaught_exception()


def destroy_process_group(group: Any = None) -> None:
    """Leave the default group (None) and every group made from it, or free one group."""
    from ._group import group as _group

    if group is None or group is _group.WORLD:
        if _group.WORLD is None:
            raise ValueError("Default process group has not been initialized, please make sure "
                             "to call init_process_group.")
        for pg in _SUBGROUPS:
            pg.comm.free()
        _SUBGROUPS.clear()
        _group.WORLD.comm.free()
        _group.WORLD = None
    elif isinstance(group, ProcessGroup) and group in _SUBGROUPS:
        _SUBGROUPS.remove(group)
        group.comm.free()


def get_rank(group: Any = None) -> int:
    """This process's rank in `group` (the default group when None); -1 if not a member."""
    pg = get_group(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group: Any = None) -> int:
    """The number of ranks in `group`; -1 if this process is not a member."""
    pg = get_group(group)
    return -1 if pg is None else pg.size()


def get_backend(group: Any = None) -> str:
    get_group(group)
    return Backend.MPI


def get_process_group_ranks(group: Any) -> list[int]:
    """The global ranks of `group`'s members, in group-rank order."""
    pg = get_group(group)
    if pg is None:
        raise ValueError("this rank is not a member of the group")
    return list(pg.ranks)


def get_global_rank(group: Any, group_rank: int) -> int:
    pg = get_group(group)
    if pg is None or not 0 <= group_rank < len(pg.ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return pg.ranks[group_rank]


def get_group_rank(group: Any, global_rank: int) -> int:
    pg = get_group(group)
    return group_rank(pg, global_rank, None, "global")


def new_group(ranks: list[int] | None = None, timeout: timedelta | None = None,
              backend: str | None = None, pg_options: Any = None,
              use_local_synchronization: bool = False, group_desc: str | None = None,
              device_id: Any = None) -> Any:
    """A group of `ranks` (all ranks when None); every rank of the world must call it.

    Returns the ProcessGroup on members and GroupMember.NON_GROUP_MEMBER elsewhere.
    """
    world = get_group(None)
    if backend is not None:
        Backend(backend)
    ranks = sorted(range(world.size()) if ranks is None else {int(r) for r in ranks})
    bad = [r for r in ranks if not 0 <= r < world.size()]
    if bad:
        raise ValueError(f"new_group: ranks {bad} are not in the world of {world.size()} ranks")
    # the barrier honours the timeout, so the blocking split after it cannot hang
    barrier()
    comm = world.comm.split(ranks)
    if comm is None:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, ranks, timeout or world.timeout, "mpi")
    _SUBGROUPS.append(pg)
    return pg
