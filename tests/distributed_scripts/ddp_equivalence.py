"""DDP on N ranks x batch B/N equals one process on batch B: run under mpiexec -n 2.

Rank 0 also trains the single-process reference and prints one JSON line: for each case the
largest |param - reference param| (and buffers) after the steps, and whether the ranks agree.
"""
from __future__ import annotations

import json
import sys
from datetime import timedelta

import numpy as np

import ndgrad as torch
import ndgrad.distributed as dist
from ndgrad.nn.parallel import DistributedDataParallel as DDP

STEPS, BATCH = 20, 64


def make_model(batchnorm: bool) -> torch.nn.Module:
    nn = torch.nn
    layers = [nn.Linear(8, 16), nn.Tanh()]
    if batchnorm:
        layers += [nn.BatchNorm1d(16)]
    layers += [nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3)]
    return nn.Sequential(*layers)


def batch(step: int, dtype: object) -> tuple:
    rng = np.random.default_rng(1000 + step)
    x = torch.tensor(rng.standard_normal((BATCH, 8)), dtype=dtype)
    y = torch.tensor(rng.integers(0, 3, BATCH))
    return x, y


def make_optimizer(name: str, params: object) -> object:
    if name == "sgd":
        return torch.optim.SGD(params, lr=0.1, momentum=0.9)
    return torch.optim.Adam(params, lr=1e-2)


def state(model: torch.nn.Module) -> dict:
    return {k: v.numpy().astype(np.float64) for k, v in model.state_dict().items()}


def run_case(opt_name: str, dtype: object, mode: str) -> dict:
    rank, n = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)  # different initial weights per rank: DDP must broadcast rank 0's
    model = make_model(mode == "batchnorm").to(dtype)
    torch.manual_seed(0)
    reference = make_model(mode == "batchnorm").to(dtype)
    ddp = DDP(model)
    opt = make_optimizer(opt_name, ddp.parameters())
    ref_opt = make_optimizer(opt_name, reference.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    share = BATCH // n
    for step in range(STEPS):
        x, y = batch(step, dtype)
        mine = slice(rank * share, (rank + 1) * share)
        xs, ys = x[mine], y[mine]
        opt.zero_grad()
        if mode == "no_sync":  # two micro-batches: the first accumulates locally
            half = share // 2
            with ddp.no_sync():
                (loss_fn(ddp(xs[:half]), ys[:half]) / 2).backward()
            (loss_fn(ddp(xs[half:]), ys[half:]) / 2).backward()
        else:
            loss_fn(ddp(xs), ys).backward()
        opt.step()

        ref_opt.zero_grad()
        if mode == "batchnorm":
            # each rank normalizes its own share; rank 0's running statistics are the ones kept
            bn = reference[2]
            names = ("running_mean", "running_var", "num_batches_tracked")
            saved = [getattr(bn, name).clone() for name in names]
            losses = []
            for r in reversed(range(n)):
                if r == 0:  # fresh tensors: the old ones are saved for backward
                    for name, s in zip(names, saved):
                        setattr(bn, name, s)
                part = slice(r * share, (r + 1) * share)
                losses.append(loss_fn(reference(x[part]), y[part]))
            sum(losses[::-1]).div(n).backward()
        else:
            loss_fn(reference(x), y).backward()
        ref_opt.step()
    ddp.eval()
    with torch.no_grad():  # this forward first broadcasts rank 0's buffers to every rank
        ddp(x[:4])
    mine, ref = state(model), state(reference)
    everyone = [None] * n
    dist.all_gather_object(everyone, mine)
    return {
        "param": max(float(np.abs(mine[k] - ref[k]).max()) for k in ref),
        "ranks": max(float(np.abs(everyone[r][k] - mine[k]).max())
                     for r in range(n) for k in mine),
        "buffers_moved": float(max([np.abs(v - (k.endswith("var"))).max() for k, v in mine.items()
                                    if "running" in k] or [0.0])),
    }


def main() -> None:
    dist.init_process_group("mpi", timeout=timedelta(seconds=120))
    results = {}
    for opt_name in ("sgd", "adam"):
        for dtype in (torch.float32, torch.float64):
            for mode in ("plain", "no_sync", "batchnorm"):
                key = f"{opt_name}-{str(dtype).split('.')[-1]}-{mode}"
                results[key] = run_case(opt_name, dtype, mode)
    if dist.get_rank() == 0:
        print(json.dumps(results), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
    sys.exit(0)
