"""Benchmarks: every workload run with ndgrad, PyTorch and a hand-written NumPy floor.

    python bench/run.py                  # all workloads, default threads and one thread
    python bench/run.py mlp chain_5000   # a selection
    python bench/run.py --quick          # fewer, shorter repeats (a rough look)
    python bench/run.py --profile tutorial   # where ndgrad's time goes (cProfile, trimmed)
    python bench/run.py vmap_vs_loop     # per-sample gradients: vmap(grad) vs a Python loop

The three versions of a workload are timed in interleaved repeats (their order rotating), and
each reports its median. The first column set runs with every library's default threads, as
users run; the second in a subprocess pinned to one thread (OMP/OpenBLAS/MKL and torch). Then
`import ndgrad` (fresh processes, bytecode cached, median of 7) and the peak RSS of 50 MLP steps.
Ratios below 1 mean ndgrad is faster. Not a test.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import numpy as np  # noqa: E402

from workloads import WORKLOADS, check_floors  # noqa: E402

_ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
LIBS = ("ndgrad", "torch", "numpy")


def _import_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _calibrate(step: Callable, block: float) -> int:
    """Iterations per timed block: enough for the block to last about `block` seconds."""
    step()
    step()  # warm up (first calls build caches)
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        dt = time.perf_counter() - t0
        if dt >= block or n >= 1 << 20:
            return n
        n = max(n * 2, int(n * block / max(dt, 1e-9) * 1.1))


def measure(name: str, repeats: int, block: float, libs: dict) -> dict:
    """Median seconds per unit of work for each library, timed in interleaved repeats."""
    w = WORKLOADS[name]
    steps = {}
    for key, lib in libs.items():
        if key == "numpy":
            if w.floor is not None:
                steps[key] = w.floor()
        elif lib is not None:
            steps[key] = w.make(lib)
    # Both libraries live in this one process, so a full collection of Python's cyclic garbage
    # collector would walk torch's ~1.6 x 10^5 objects and ndgrad's and NumPy's alike: in a user's
    # process only one of them is loaded. What exists before timing goes to the permanent
    # generation; the collector still runs on what each workload makes, for every library.
    gc.collect()
    gc.freeze()
    counts = {k: _calibrate(s, block) for k, s in steps.items()}
    times: dict[str, list] = {k: [] for k in steps}
    order = list(steps)
    for r in range(repeats):
        for k in order[r % len(order):] + order[:r % len(order)]:
            step, n = steps[k], counts[k]
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            times[k].append((time.perf_counter() - t0) / n / w.per)
    out = {}
    for k, ts in times.items():
        med = statistics.median(ts)
        out[k] = {"median": med, "spread": (max(ts) - min(ts)) / med}
    return out


def run_all(names: list[str], repeats: int, block: float) -> dict:
    import ndgrad

    libs = {"ndgrad": ndgrad, "torch": _import_torch(), "numpy": np}
    return {name: measure(name, repeats, block, libs) for name in names}


def thread_settings() -> str:
    torch = _import_torch()
    parts = [f"torch {torch.get_num_threads()}" if torch is not None else "torch absent"]
    try:
        from threadpoolctl import threadpool_info

        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        parts += [f"{i['internal_api']} {i['num_threads']}" for i in blas]
    except ImportError:
        env = {k: os.environ[k] for k in _ONE_THREAD_ENV if k in os.environ}
        parts.append(f"BLAS from env {env or '(library default)'}")
    return ", ".join(parts)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _subprocess_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.update(extra or {})
    return env


def run_one_thread(names: list[str], repeats: int, block: float) -> tuple[dict, str]:
    cmd = [sys.executable, __file__, "--worker", "--repeats", str(repeats), "--block",
           str(block), *names]
    out = subprocess.run(cmd, capture_output=True, text=True, env=_subprocess_env(_ONE_THREAD_ENV))
    if out.returncode != 0:
        raise RuntimeError(f"one-thread run failed:\n{out.stderr}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["results"], data["threads"]


def import_times(runs: int = 7) -> dict:
    """Median wall time of the `import` statement in fresh processes, .pyc files cached."""
    env = _subprocess_env()
    code = "import time; t = time.perf_counter(); import {}; print(time.perf_counter() - t)"
    subprocess.run([sys.executable, "-c", "import ndgrad, torch"], env=env, capture_output=True)
    res = {}
    for mod in ("numpy", "ndgrad", "torch"):
        ts = []
        for _ in range(runs):
            out = subprocess.run([sys.executable, "-c", code.format(mod)], env=env,
                                 capture_output=True, text=True)
            if out.returncode != 0:
                break
            ts.append(float(out.stdout))
        if ts:
            res[mod] = (statistics.median(ts), min(ts), max(ts))
    return res


_RSS_CODE = """
import resource, sys
sys.path[:0] = [{root!r}]
from workloads import WORKLOADS
w = WORKLOADS["mlp"]
if {lib!r} == "numpy":
    step = w.floor()
else:
    step = w.make(__import__({lib!r}))
for _ in range(50):
    step()
try:  # VmHWM: this process image's peak (ru_maxrss would include the parent's, before exec)
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    print(int(status.split()[0]) / 1024)
except (OSError, IndexError):
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak_rss() -> dict:
    """Peak resident memory (MB) of a fresh process that runs 50 MLP steps."""
    res = {}
    for lib in LIBS:
        out = subprocess.run([sys.executable, "-c", _RSS_CODE.format(root=str(ROOT / "bench"),
                                                                     lib=lib)],
                             env=_subprocess_env(), capture_output=True, text=True)
        if out.returncode == 0:
            res[lib] = float(out.stdout)
    return res


def _fmt(sec: float | None) -> str:
    if sec is None:
        return "-"
    if sec < 1e-3:
        return f"{sec * 1e6:.1f}us"
    return f"{sec * 1e3:.2f}ms"


def _ratio(a: dict, b: dict, key_a: str, key_b: str) -> str:
    if key_a not in a or key_b not in b:
        return "-"
    return f"{a[key_a]['median'] / b[key_b]['median']:.2f}"


def print_table(default: dict, one: dict | None, threads: tuple[str, str]) -> None:
    print(f"default threads: {threads[0]}" + (f"; one thread: {threads[1]}" if one else ""))
    head = (f"{'workload':<14}{'ndgrad':>10}{'torch':>10}{'numpy':>10}{'nd/torch':>10}"
            f"{'np/torch':>10}{'nd/np':>7}{'noise':>7}")
    if one:
        head += f" |{'nd/torch':>9}{'np/torch':>9}{'nd/np':>7}{'noise':>7}"
    print(head + f"{'target':>8}")
    for name, r in default.items():
        w = WORKLOADS[name]
        noise = max(v["spread"] for v in r.values())
        line = (f"{name:<14}{_fmt(r['ndgrad']['median']):>10}"
                f"{_fmt(r.get('torch', {}).get('median')):>10}"
                f"{_fmt(r.get('numpy', {}).get('median')):>10}"
                f"{_ratio(r, r, 'ndgrad', 'torch'):>10}{_ratio(r, r, 'numpy', 'torch'):>10}"
                f"{_ratio(r, r, 'ndgrad', 'numpy'):>7}{noise:>6.0%} ")
        if one:
            o = one[name]
            noise1 = max(v["spread"] for v in o.values())
            line += (f"|{_ratio(o, o, 'ndgrad', 'torch'):>9}{_ratio(o, o, 'numpy', 'torch'):>9}"
                     f"{_ratio(o, o, 'ndgrad', 'numpy'):>7}{noise1:>6.0%} ")
        target = "" if w.target is None else f"<={w.target:g}"
        print(line + f"{target:>8}")
    print("times: default threads, per step (chain_5000: per node); noise: (max - min) / median "
          "of the repeats, worst of the three libraries")


def profile(name: str, seconds: float = 2.0, top: int = 30) -> None:
    """Run the ndgrad version of a workload under cProfile and print where the time goes."""
    import ndgrad

    step = WORKLOADS[name].make(ndgrad)
    n = _calibrate(step, seconds / 4)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(4 * n):
        step()
    prof.disable()
    stats = pstats.Stats(prof)
    rows = []
    for (file, line, func), (_, calls, tottime, cumtime, _) in stats.stats.items():
        where = _short(file) + (f":{line}" if line else "")
        rows.append((tottime, cumtime, calls, f"{where}({func})"))
    total = sum(r[0] for r in rows)
    steps = 4 * n
    print(f"{name}: {steps} steps under cProfile, {total / steps * 1e6:.1f}us per step "
          "(profiling inflates short calls)")
    for title, key in (("by own time", 0), ("by cumulative time", 1)):
        print(f"\n{title}:\n{'own us/step':>12}{'cum us/step':>12}{'calls/step':>11}  function")
        for tt, ct, calls, where in sorted(rows, key=lambda r: -r[key])[:top]:
            print(f"{tt / steps * 1e6:12.1f}{ct / steps * 1e6:12.1f}{calls / steps:11.1f}  {where}")


def _short(file: str) -> str:
    for prefix in (str(ROOT) + os.sep, os.path.dirname(np.__path__[0]) + os.sep):
        if file.startswith(prefix):
            return file[len(prefix):]
    return file


def vmap_vs_loop() -> None:
    """Issue 6's bar: vmap(grad) at least 10x faster than a loop of 64 grad calls."""
    import ndgrad

    rng = np.random.default_rng(0)
    shapes = [(10, 32), (32,), (32, 32), (32,), (32, 1), (1,)]
    params = tuple(ndgrad.tensor((rng.standard_normal(s) * 0.3).astype(np.float32))
                   for s in shapes)
    x = ndgrad.tensor(rng.standard_normal((64, 10)).astype(np.float32))
    y = ndgrad.tensor(rng.standard_normal((64, 1)).astype(np.float32))

    def loss(p, xb, yb):
        w1, b1, w2, b2, w3, b3 = p
        h = (xb @ w1 + b1).tanh()
        h = (h @ w2 + b2).tanh()
        return ((h @ w3 + b3 - yb) ** 2).mean()

    g = ndgrad.func.grad(loss)
    batched = ndgrad.func.vmap(g, in_dims=(None, 0, 0))
    times = {}
    for key, fn in (("vmap", lambda: batched(params, x, y)),
                    ("loop", lambda: [g(params, x[i], y[i]) for i in range(64)])):
        n = _calibrate(fn, 0.1)
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            ts.append((time.perf_counter() - t0) / n)
        times[key] = statistics.median(ts)
    print(f"per-sample grads, batch 64: vmap {_fmt(times['vmap'])}, loop {_fmt(times['loop'])}, "
          f"speed-up {times['loop'] / times['vmap']:.1f}x (target >= 10x)")


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help=f"workloads (default all): {', '.join(WORKLOADS)}")
    ap.add_argument("--profile", metavar="WORKLOAD", help="profile ndgrad on one workload")
    ap.add_argument("--repeats", type=int, default=7, help="interleaved repeats (median)")
    ap.add_argument("--block", type=float, default=0.1, help="seconds per timed block")
    ap.add_argument("--quick", action="store_true", help="5 repeats of 0.03 s blocks")
    ap.add_argument("--no-one-thread", action="store_true", help="skip the one-thread column")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.profile:
        return profile(args.profile)
    if args.names == ["vmap_vs_loop"]:
        return vmap_vs_loop()
    unknown = [n for n in args.names if n not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workloads {unknown}; choose from {list(WORKLOADS)}")
    names = args.names or list(WORKLOADS)
    if args.quick:
        args.repeats, args.block = 5, 0.03
    if args.worker:  # the one-thread subprocess: the environment pins BLAS and OpenMP
        torch = _import_torch()
        if torch is not None:
            torch.set_num_threads(1)
        res = run_all(names, args.repeats, args.block)
        print(json.dumps({"results": res, "threads": thread_settings()}))
        return
    torch = _import_torch()
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; Python {platform.python_version()},"
          f" NumPy {np.__version__}, torch {torch.__version__ if torch else 'absent'}")
    check_floors()
    default = run_all(names, args.repeats, args.block)
    threads = (thread_settings(), "")
    one = None
    if not args.no_one_thread:
        one, one_threads = run_one_thread(names, args.repeats, args.block)
        threads = (threads[0], one_threads)
    print_table(default, one, threads)
    if args.names:
        return
    imp = import_times()
    print("import (fresh process, .pyc cached, median of 7 [min-max]): " + ", ".join(
        f"{m} {v[0] * 1e3:.0f}ms [{v[1] * 1e3:.0f}-{v[2] * 1e3:.0f}]" for m, v in imp.items())
        + "  (target: ndgrad <= 150ms)")
    rss = peak_rss()
    print("peak RSS of 50 MLP steps (fresh process): " + ", ".join(
        f"{k} {v:.0f}MB" for k, v in rss.items()) + "  (target: ndgrad <= 60MB)")


if __name__ == "__main__":
    main(sys.argv[1:])
