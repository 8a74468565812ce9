"""The 3-4 rank smoke run: every collective, then DDP against one process, on N ranks."""
from __future__ import annotations

import json
from datetime import timedelta

import collectives
import ddp_equivalence

import ndgrad as torch
import ndgrad.distributed as dist

def main() -> None:
    dist.init_process_group("mpi", timeout=timedelta(seconds=60))
    count = collectives.run_all()
    result = ddp_equivalence.run_case("adam", torch.float64, "no_sync")
    if dist.get_rank() == 0:
        print(json.dumps({"world": dist.get_world_size(), "checks": count, **result}), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
