"""torchrun's spelling on MPI: `python -m ndgrad.distributed.run --nproc-per-node N script.py ...`
starts N ranks under `mpiexec`; an uncaught exception on any rank ends the whole job."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ._mpi import INSTALL_HINT


def find_mpiexec(explicit: str | None = None) -> str:
    """The mpiexec beside this Python (the mpich wheel's), else the first one on PATH."""
    candidates = [explicit, os.environ.get("NDGRAD_MPIEXEC"),
                  str(Path(sys.executable).parent / "mpiexec"), shutil.which("mpiexec")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise SystemExit(f"ndgrad.distributed.run: mpiexec not found. {INSTALL_HINT}")


def _nproc(value: str) -> int:
    if value in ("auto", "cpu"):
        return os.cpu_count() or 1
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("--nproc-per-node must be at least 1")
    return n


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ndgrad.distributed.run", description=__doc__)
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=_nproc, default=1,
                   help="processes per machine (an int, or auto/cpu for one per CPU)")
    p.add_argument("--nnodes", type=int, default=1, help="machines, listed in --hostfile")
    p.add_argument("--hostfile", help="MPI hostfile naming the machines (one per line)")
    p.add_argument("--standalone", action="store_true", help="accepted for torchrun scripts")
    p.add_argument("--mpiexec", help="the mpiexec to use (default: beside python, then PATH)")
    p.add_argument("-m", "--module", action="store_true", help="run the target as a module")
    p.add_argument("script", help="the training script (or module with -m)")
    p.add_argument("script_args", nargs=argparse.REMAINDER)
    return p.parse_args(argv)


def command(args: argparse.Namespace) -> list[str]:
    """The mpiexec command line that starts every rank under ndgrad's bootstrap."""
    mpiexec = find_mpiexec(args.mpiexec)
    total = args.nproc_per_node * args.nnodes
    cmd = [mpiexec, "-n", str(total)]
    if args.hostfile:
        flavor = subprocess.run([mpiexec, "--version"], capture_output=True, text=True).stdout
        per_node = (["--npernode", str(args.nproc_per_node)] if "Open MPI" in flavor
                    else ["-ppn", str(args.nproc_per_node)])
        cmd += ["-hostfile", args.hostfile, *per_node]
    elif args.nnodes > 1:
        raise SystemExit("ndgrad.distributed.run: --nnodes > 1 needs --hostfile listing the "
                         "machines (MPI starts the ranks on them over ssh)")
    target = ["-m", args.script] if args.module else [args.script]
    return [*cmd, sys.executable, "-m", "ndgrad.distributed._bootstrap", *target,
            *args.script_args]


def main(argv: list[str] | None = None) -> None:
    cmd = command(parse_args(sys.argv[1:] if argv is None else argv))
    os.execv(cmd[0], cmd)  # mpiexec takes over: its exit status is the job's


if __name__ == "__main__":
    main()
