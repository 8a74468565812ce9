"""Each rank's entry under the launcher: set torchrun's rank variables, run the script, and end the
whole job (with the traceback) when the script raises or exits with an error on any rank."""
from __future__ import annotations

import os
import runpy
import sys
import traceback

from . import _mpi

# (rank, size, local rank, local size) as MPICH/Intel MPI's hydra, Open MPI and PMIx publish them
_RANK_VARS = (
    ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
     "OMPI_COMM_WORLD_LOCAL_SIZE"),
)


_LAUNCH_FILES = (__file__, runpy.__file__, "<frozen runpy>")


def set_rank_variables() -> None:
    """RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE from the MPI launcher's environment."""
    env = os.environ
    for names in _RANK_VARS:
        if names[0] in env and names[1] in env:
            values = [env.get(n) for n in names]
            break
    else:  # a launcher we do not know: ask MPI itself
        _mpi.load()
        values = [_mpi.MPI.COMM_WORLD.Get_rank(), _mpi.MPI.COMM_WORLD.Get_size(),
                  *_mpi.local_rank_and_size()]
    rank, size, local_rank, local_size = values
    env.setdefault("RANK", str(rank))
    env.setdefault("WORLD_SIZE", str(size))
    env.setdefault("LOCAL_RANK", str(local_rank if local_rank is not None else rank))
    env.setdefault("LOCAL_WORLD_SIZE", str(local_size if local_size is not None else size))


def _end_job(code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        _mpi.load()
        _mpi.abort(code)
    finally:
        os._exit(code)


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m ndgrad.distributed._bootstrap [-m module | script] ...")
    set_rank_variables()
    as_module = argv[0] == "-m"
    target = argv[1] if as_module else argv[0]
    sys.argv = argv[1:] if as_module else list(argv)
    rank = os.environ["RANK"]
    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path[0] = os.path.dirname(os.path.abspath(target))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
        if code in (None, 0):
            return
        if not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        print(f"ndgrad.distributed.run: rank {rank} exited with code {code}; ending the job",
              file=sys.stderr)
        _end_job(code)
    except BaseException as exc:  # noqa: BLE001 - any uncaught error ends every rank
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename in _LAUNCH_FILES:
            tb = tb.tb_next  # start the traceback at the user's code
        traceback.print_exception(type(exc), exc, tb)
        print(f"ndgrad.distributed.run: rank {rank} raised {type(exc).__name__}; ending the job",
              file=sys.stderr)
        _end_job(1)


if __name__ == "__main__":
    main(sys.argv[1:])
