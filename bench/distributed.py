"""Data-parallel benchmark on 2 ranks: ndgrad.distributed (MPI) against raw mpi4py and torch's gloo.

    python bench/distributed.py          # starts the MPI job and the torch job itself
    python bench/distributed.py --phases # only the DDP step and where its time goes
Prints, from interleaved rounds (medians; 2 shared vCPUs make absolute numbers move):
  all_reduce time and bandwidth vs raw mpi4py in-place Allreduce, 4 B to 16 MiB of float32;
  a DDP step of the MLP 784-256-256-10 at 2 x batch 64 vs one process's batch-64 step, and vs
  the floor: 2 ranks stepping at the same time that exchange nothing; and the same DDP step
  with its buckets on MPI's allreduce instead of shared memory (NDGRAD_DDP_SHARED_MEMORY=0);
  where a DDP step's time goes, phase by phase on each rank (clock shared by the ranks);
  DDP samples/s vs torch's gloo DDP on the same shapes (each against its own floor).
A benchmark, never a timed test.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, os.environ.get("NDGRAD_BENCH_THREADS", "1"))

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZES = [4, 64, 1024, 4096, 1 << 20, 4 << 20, 16 << 20]  # bytes
ROUNDS, STEPS, BATCH = 7, 30, 64


def _median_rounds(fns: dict, reps: int, barrier) -> dict:
    """Interleave the candidates round by round; median seconds per call of each."""
    times: dict = {name: [] for name in fns}
    for _ in range(ROUNDS):
        for name, fn in fns.items():
            barrier()
            start = time.perf_counter()
            for _ in range(reps):
                fn()
            times[name].append((time.perf_counter() - start) / reps)
    return {name: statistics.median(ts) for name, ts in times.items()}


def _mlp_step(lib, model, opt, x, y):
    opt.zero_grad()
    lib.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()


def _make_mlp(lib):
    lib.manual_seed(0)
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def _data(lib, rank):
    rng = np.random.default_rng(rank)
    return (lib.tensor(rng.standard_normal((BATCH, 784)).astype(np.float32)),
            lib.tensor(rng.integers(0, 10, BATCH)))


def _step_rounds(lib, dist, ddp_cls, rank, barrier, over_mpi: bool = False) -> dict:
    """Per-step seconds: DDP on both ranks, both ranks without exchange (the floor), rank 0 alone;
    with over_mpi also ndgrad's DDP with its buckets on MPI's allreduce instead of shared memory."""
    plain, wrapped = _make_mlp(lib), ddp_cls(_make_mlp(lib))
    models = {"ddp": (wrapped, lib.optim.SGD(wrapped.parameters(), lr=0.01)),
              "floor": (plain, lib.optim.SGD(plain.parameters(), lr=0.01))}
    if over_mpi:
        os.environ["NDGRAD_DDP_SHARED_MEMORY"] = "0"  # read once, when DDP makes its buckets
        on_mpi = ddp_cls(_make_mlp(lib))
        del os.environ["NDGRAD_DDP_SHARED_MEMORY"]
        models["ddp_mpi"] = (on_mpi, lib.optim.SGD(on_mpi.parameters(), lr=0.01))
    x, y = _data(lib, rank)
    steps = {name: (lambda m=m, o=o: _mlp_step(lib, m, o, x, y)) for name, (m, o) in models.items()}
    for _ in range(5):
        for step in steps.values():
            step()
    steps["alone"] = steps["floor"] if rank == 0 else (lambda: None)
    return _median_rounds(steps, STEPS, barrier)


def _traced(cls, name: str, events: list) -> None:
    """Wrap cls.name so that each call appends (name + '>', t) and (name + '<', t) to events."""
    fn = getattr(cls, name)

    def traced(*args, **kwargs):
        events.append((name + ">", time.perf_counter()))
        try:
            return fn(*args, **kwargs)
        finally:
            events.append((name + "<", time.perf_counter()))

    setattr(cls, name, traced)


# (phase, from event, to event) of one rank's DDP step; "post<" is the end of the last bucket's
# launch, "peer" the later of the two ranks' "post<" (the collective can only finish after it)
PHASES = [("zero_grad", "start", "zeroed"), ("forward", "zeroed", "forward"),
          ("backward compute + hooks", "forward", "post>"), ("allreduce post", "post>", "post<"),
          ("wait for the other rank", "wait>", "peer"), ("transfer after both posted", "peer",
                                                         "wait<"),
          ("write-back", "write_back>", "write_back<"), ("backward to return", "write_back<",
                                                         "backward"),
          ("optimizer step", "backward", "end"), ("whole step", "start", "end")]


def _phase_profile(ndgrad, dist, ddp_cls, rank: int, steps: int = 200) -> dict | None:
    """Median milliseconds of each phase of a DDP step per rank, and of the same phases of a
    plain model's step stepping in between (the floor); rank 0 returns them."""
    from ndgrad.distributed._group import Work
    from ndgrad.nn.parallel._reducer import Reducer

    events: list = []
    _traced(Reducer, "_launch_ready", events)
    _traced(Reducer, "_write_back", events)
    _traced(Work, "wait", events)
    models = {"ddp": ddp_cls(_make_mlp(ndgrad)), "floor": _make_mlp(ndgrad)}
    opts = {k: ndgrad.optim.SGD(m.parameters(), lr=0.01) for k, m in models.items()}
    x, y = _data(ndgrad, rank)
    loss_fn = ndgrad.nn.functional.cross_entropy
    renames = {"_launch_ready>": "post>", "_launch_ready<": "post<", "_write_back>":
               "write_back>", "_write_back<": "write_back<"}
    traces: dict = {k: [] for k in models}
    for i in range(steps + 20):
        for kind, model in models.items():
            del events[:]
            events.append(("start", time.perf_counter()))
            opts[kind].zero_grad()
            events.append(("zeroed", time.perf_counter()))
            loss = loss_fn(model(x), y)
            events.append(("forward", time.perf_counter()))
            loss.backward()
            events.append(("backward", time.perf_counter()))
            opts[kind].step()
            events.append(("end", time.perf_counter()))
            trace: dict = {}
            for name, t in events:  # the first wait> and the last post and wait< of the step
                key = renames.get(name, name)
                if key not in trace or key in ("post>", "post<", "wait<"):
                    trace[key] = t
            if i >= 20:
                traces[kind].append(trace)
    everyone: list = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, traces)
    if rank:
        return None
    table: dict = {}
    for r, rank_traces in enumerate(everyone):
        for kind, kind_traces in rank_traces.items():
            rows = []
            for i, tr in enumerate(kind_traces):
                if kind == "ddp":
                    tr = dict(tr, peer=max(other["ddp"][i]["post<"] for other in everyone))
                else:  # the floor's backward is all compute
                    tr = dict(tr, **{"post>": tr["backward"]})
                rows.append({ph: max(0.0, tr[b] - tr[a]) for ph, a, b in PHASES
                             if a in tr and b in tr})
            table[f"{kind} {r}"] = {ph: statistics.median(row[ph] for row in rows)
                                    for ph in rows[0]}
    return table


def _print_phases(table: dict) -> None:
    print("\nWhere a DDP step's time goes, and a plain model's stepping in between on the same "
          "ranks\n(ms, medians of 200 steps; the ranks share one clock)")
    print(f"{'phase':>28}" + "".join(f"{col.replace(' ', ', rank '):>16}" for col in table))
    for ph, _, _ in PHASES:
        print(f"{ph:>28}" + "".join(f"{t[ph] * 1e3:>16.3f}" if ph in t else f"{'':>16}"
                                    for t in table.values()))


def run_ndgrad(phases_only: bool = False) -> None:
    """One rank of the MPI job (under mpiexec -n 2)."""
    import ndgrad
    import ndgrad.distributed as dist
    from ndgrad.distributed import _mpi
    from ndgrad.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, mpi = dist.get_rank(), _mpi.MPI
    comm = mpi.COMM_WORLD
    report: dict = {"allreduce": {}}
    if phases_only:
        report["step"] = _step_rounds(ndgrad, dist, DistributedDataParallel, rank, dist.barrier,
                                      over_mpi=True)
        report["phases"] = _phase_profile(ndgrad, dist, DistributedDataParallel, rank)
        if rank == 0:
            print("RESULT " + json.dumps(report), flush=True)
        dist.destroy_process_group()
        return
    for nbytes in SIZES:
        arr = np.ones(nbytes // 4, np.float32)
        tensor = ndgrad.ones(nbytes // 4)
        reps = 2000 if nbytes <= 4096 else max(5, int(2e8 // nbytes) // 10)
        t = _median_rounds({"raw": lambda: comm.Allreduce(mpi.IN_PLACE, arr, mpi.SUM),
                            "ndgrad": lambda: dist.all_reduce(tensor)}, reps, dist.barrier)
        report["allreduce"][nbytes] = t
    report["step"] = _step_rounds(ndgrad, dist, DistributedDataParallel, rank, dist.barrier,
                                      over_mpi=True)
    report["phases"] = _phase_profile(ndgrad, dist, DistributedDataParallel, rank)
    if rank == 0:
        print("RESULT " + json.dumps(report), flush=True)
    dist.destroy_process_group()


def _torch_rank(rank: int, port: int, queue) -> None:
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    step = _step_rounds(torch, dist, DistributedDataParallel, rank, dist.barrier)
    if rank == 0:
        queue.put(step)
    dist.destroy_process_group()


def run_torch() -> dict:
    import torch.multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    port = 29500 + os.getpid() % 1000
    procs = [ctx.Process(target=_torch_rank, args=(r, port, queue)) for r in range(2)]
    for p in procs:
        p.start()
    result = queue.get(timeout=600)
    for p in procs:
        p.join(timeout=60)
    return result


def _ndgrad_job(phases_only: bool = False) -> dict:
    from ndgrad.distributed.run import find_mpiexec

    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    flag = "--phases-rank" if phases_only else "--rank"
    out = subprocess.run([find_mpiexec(), "-n", "2", sys.executable, __file__, flag],
                         capture_output=True, text=True, timeout=900, env=env)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if out.returncode or line is None:
        raise SystemExit(f"the MPI job failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(line[len("RESULT "):])


def _size(nbytes: int) -> str:
    return f"{nbytes >> 20} MiB" if nbytes >= 1 << 20 else f"{nbytes} B"


def _print_step(s: dict) -> None:
    print("\nMLP 784-256-256-10, SGD step, batch 64 per rank (ms per step)")
    print(f"  ndgrad: DDP 2 ranks {s['ddp'] * 1e3:.2f}, floor (2 ranks, no exchange) "
          f"{s['floor'] * 1e3:.2f}, one process alone {s['alone'] * 1e3:.2f}")
    print(f"     DDP / one process = {s['ddp'] / s['alone']:.2f}x (target <= 1.35), "
          f"DDP / floor = {s['ddp'] / s['floor']:.2f}x")
    if "ddp_mpi" in s:
        print(f"  ndgrad DDP with its buckets on MPI's allreduce (NDGRAD_DDP_SHARED_MEMORY=0): "
              f"{s['ddp_mpi'] * 1e3:.2f} = {s['ddp_mpi'] / s['alone']:.2f}x one process")


def main() -> None:
    if sys.argv[1:] == ["--phases"]:
        ours = _ndgrad_job(phases_only=True)
        _print_step(ours["step"])
        _print_phases(ours["phases"])
        return
    ours = _ndgrad_job()
    theirs = run_torch()
    print("all_reduce, 2 ranks, float32 (median of interleaved rounds)")
    print(f"{'size':>8} {'raw mpi4py':>12} {'ndgrad':>12} {'extra':>10} {'ndgrad/raw bw':>14}")
    for nbytes, t in ours["allreduce"].items():
        raw, nd = t["raw"], t["ndgrad"]
        print(f"{_size(int(nbytes)):>8} {raw * 1e6:>10.1f}us {nd * 1e6:>10.1f}us "
              f"{(nd - raw) * 1e6:>8.1f}us {raw / nd:>13.0%}")
    s, ts = ours["step"], theirs
    _print_step(s)
    print(f"  torch gloo: DDP 2 ranks {ts['ddp'] * 1e3:.2f}, floor {ts['floor'] * 1e3:.2f}, "
          f"one process alone {ts['alone'] * 1e3:.2f}; DDP / floor = "
          f"{ts['ddp'] / ts['floor']:.2f}x")
    ours_sps, theirs_sps = 2 * BATCH / s["ddp"], 2 * BATCH / ts["ddp"]
    print(f"  samples/s: ndgrad {ours_sps:,.0f} vs torch gloo {theirs_sps:,.0f} = "
          f"{ours_sps / theirs_sps:.2f}x (target >= 1.3); floors: ndgrad "
          f"{2 * BATCH / s['floor']:,.0f}, torch {2 * BATCH / ts['floor']:,.0f}")
    _print_phases(ours["phases"])


if __name__ == "__main__":
    if sys.argv[1:] in (["--rank"], ["--phases-rank"]):
        run_ndgrad(phases_only=sys.argv[1] == "--phases-rank")
    else:
        main()
