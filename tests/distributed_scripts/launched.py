"""Run by the launcher test: the rank variables torchrun sets, and one collective."""
import json
import os
import sys

import ndgrad as torch
import ndgrad.distributed as dist


def main() -> None:
    dist.init_process_group("gloo")
    t = torch.tensor([float(dist.get_rank())])
    dist.all_reduce(t)
    mine = ({k: os.environ[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")}
            | {"rank": dist.get_rank(), "sum": t.item(), "argv": sys.argv[1:]})
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, mine)
    if dist.get_rank() == 0:  # one line from one rank: the ranks' outputs may interleave
        print(json.dumps(everyone), flush=True)
    if sys.argv[1:2] == ["raise"] and dist.get_rank() == 1:
        raise KeyError("raised on rank 1 under the launcher")
    if sys.argv[1:2] == ["exit"] and dist.get_rank() == 1:
        sys.exit(3)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
