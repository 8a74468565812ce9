"""DDP's buckets on 2 ranks, under whichever transport the environment picks (shared memory on
one machine; MPI's allreduce with NDGRAD_DDP_SHARED_MEMORY=0): run under mpiexec -n 2.

Checks that the averaged grads equal the mean of every rank's plain grads bit for bit (several
buckets, two dtypes), that grads a user holds on to are never overwritten by later steps, that
a .grad that existed before backward keeps its memory, and that gradient_as_bucket_view keeps
grads in the bucket. Prints one line per rank: "rank R of 2: buckets ok (<transport>) N".
"""
from __future__ import annotations

import gc
import sys
from datetime import timedelta

import numpy as np

import ndgrad as torch
import ndgrad.distributed as dist
from ndgrad.distributed import _mpi
from ndgrad.nn.parallel import DistributedDataParallel as DDP

CHECKS = 0


def check(ok: bool, what: str) -> None:
    global CHECKS
    if not ok:
        raise AssertionError(f"rank {dist.get_rank()}: {what}")
    CHECKS += 1


class Mixed(torch.nn.Module):
    """Float32 and float64 parameters: one bucket chain per dtype."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = torch.nn.Linear(4, 8), torch.nn.Linear(8, 3)
        self.c = torch.nn.Linear(4, 3).double()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x).tanh()).sum() + self.c(x.double()).square().sum()


def inputs(rank: int, step: int) -> torch.Tensor:
    return torch.tensor(np.random.default_rng(10 * step + rank).standard_normal((5, 4)),
                        dtype=torch.float32)


def expected_grads(step: int) -> list[np.ndarray]:
    """The mean over the ranks of the plain model's grads, summed in rank order like DDP."""
    torch.manual_seed(0)
    plain = Mixed()
    total = None
    for r in range(dist.get_world_size()):
        plain.zero_grad()
        plain(inputs(r, step)).backward()
        grads = [p.grad.numpy() * np.asarray(0.5, p.grad.numpy().dtype)
                 for p in plain.parameters()]
        total = grads if total is None else [t + g for t, g in zip(total, grads)]
    return total


def main() -> None:
    dist.init_process_group("mpi", timeout=timedelta(seconds=60))
    rank = dist.get_rank()
    torch.manual_seed(0)
    ddp = DDP(Mixed(), bucket_cap_mb=0.0001)  # a bucket per parameter or two
    check(len(ddp.reducer.buckets) >= 3, "several buckets")
    transport = "shared memory" if ddp.reducer.shared is not None else "mpi"
    held = []
    for step in range(4):
        ddp.zero_grad()
        ddp(inputs(rank, step)).backward()
        for p, want in zip(ddp.parameters(), expected_grads(step)):
            check(np.array_equal(p.grad.numpy(), want), f"step {step}: averaged grad")
        if step < 2:  # the user holds these grads: later steps must not write into them
            held.append([(p.grad, p.grad.clone()) for p in ddp.parameters()])
    for grads in held:
        for grad, value in grads:
            check(np.array_equal(grad.numpy(), value.numpy()), "held grads unchanged")
    del held, grads, grad, value
    for step in range(2):  # nothing held any more: the averaged grads are views of the bucket
        ddp.zero_grad()
        ddp(inputs(rank, step)).backward()
    # (with shared memory: the lendable slot, not a private copy of the scratch slot)
    buffers = [b.buffer if b.shared is None else b.lendable[0] for b in ddp.reducer.buckets]
    for p in ddp.parameters():
        check(any(np.shares_memory(p.grad.numpy(), b) for b in buffers), "bucket reused")

    ddp.zero_grad(set_to_none=False)  # a .grad made before backward keeps its memory
    before = [(p.grad, p.grad.numpy()) for p in ddp.parameters()]
    ddp(inputs(rank, 9)).backward()
    for (grad, memory), p, want in zip(before, ddp.parameters(), expected_grads(9)):
        check(p.grad is grad and np.shares_memory(p.grad.numpy(), memory), "grad kept memory")
        check(np.array_equal(memory, want), "zeroed grad holds the average")

    torch.manual_seed(0)
    viewed = DDP(Mixed(), gradient_as_bucket_view=True)
    buffers = [b.buffer for b in viewed.reducer.buckets]
    for step in range(3):
        viewed.zero_grad(set_to_none=step == 0)
        viewed(inputs(rank, step)).backward()
        for p, want in zip(viewed.parameters(), expected_grads(step)):
            check(any(np.shares_memory(p.grad.numpy(), b) for b in buffers), "grad in bucket")
            check(np.array_equal(p.grad.numpy(), want), "bucket-view grad")
    # the group goes while grads still view the buckets: their memory must stay readable
    kept = len(_mpi.KEPT_WINDOWS)
    torch.manual_seed(0)
    dropped = DDP(Mixed())  # a model (and window) nobody refers to by then
    dropped(inputs(rank, 0)).backward()
    del dropped
    gc.collect()
    grads = [p.grad for p in list(ddp.parameters()) + list(viewed.parameters())]
    values = [g.clone() for g in grads]
    dist.destroy_process_group()
    for grad, value in zip(grads, values):
        check(np.array_equal(grad.numpy(), value.numpy()), "grads readable after destroy")
    if transport == "shared memory":
        # ddp's and viewed's windows are kept; the dropped model's was freed
        check(len(_mpi.KEPT_WINDOWS) == kept + 2, "windows still viewed are kept, no other")
    print(f"rank {rank} of 2: buckets ok ({transport}) {CHECKS}", flush=True)


if __name__ == "__main__":
    main()
    sys.exit(0)
