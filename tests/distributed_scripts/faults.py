"""Fault cases for the multi-rank tests: `mpiexec -n 2 python faults.py MODE`; rank 1 misbehaves.
Every mode must end the whole job with a non-zero exit and a message, never hang."""
from __future__ import annotations

import os
import signal
import sys
import time
from datetime import timedelta

import ndgrad as torch
import ndgrad.distributed as dist
from ndgrad.nn.parallel import DistributedDataParallel as DDP


class TwoHeads(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.used, self.unused = torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.used(x)


def main() -> None:
    mode = sys.argv[1]
    if mode == "raise_before_init" and os.environ.get("PMI_RANK") == "1":
        raise ValueError("rank 1 failed before init_process_group")
    dist.init_process_group("mpi", timeout=timedelta(seconds=2))
    rank = dist.get_rank()
    t = torch.ones(10)

    if mode == "raise":
        if rank == 1:
            raise ValueError("rank 1 failed on purpose")
        dist.all_reduce(t)
    elif mode == "raise_before_init":
        dist.all_reduce(t)
    elif mode == "exit":
        if rank == 1:
            sys.exit(3)
        dist.all_reduce(t)
    elif mode == "die":
        if rank == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        dist.all_reduce(t)
    elif mode == "hang":
        if rank == 1:
            time.sleep(60)
        dist.all_reduce(t)
    elif mode == "hang_in_ddp":  # the bucket's exchange through shared memory waits for rank 1
        model = DDP(torch.nn.Linear(4, 4))
        if rank == 1:
            time.sleep(60)
        model(torch.ones(2, 4)).sum().backward()
    elif mode == "ddp_against_all_reduce":  # rank 1 calls a collective instead of the step
        model = DDP(torch.nn.Linear(4, 4))
        if rank == 0:
            model(torch.ones(2, 4)).sum().backward()
        else:
            dist.all_reduce(t)
    elif mode == "mismatch_shape":
        dist.all_reduce(torch.ones(10 if rank == 0 else 20))
    elif mode == "mismatch_collective":
        if rank == 0:
            dist.all_reduce(t)
        else:
            dist.broadcast(t, src=1)
    elif mode == "mismatch_dtype":
        dist.all_reduce(torch.ones(10, dtype=torch.float32 if rank == 0 else torch.int32))
    elif mode == "mismatch_model":
        DDP(torch.nn.Linear(4, 3 if rank == 0 else 2))
    elif mode == "unused_parameter":
        model = DDP(TwoHeads())  # without find_unused_parameters=True
        model(torch.ones(2, 4)).sum().backward()
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(f"rank {rank}: finished without an error", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
