"""ndgrad.distributed, DistributedDataParallel and DistributedSampler.

In-process cases run as a world of one; multi-rank cases run the scripts in
tests/distributed_scripts/ as subprocesses under `mpiexec -n N` with a hard timeout each.
Without mpi4py/mpiexec those skip, unless NDGRAD_REQUIRE_MPI=1 (set by CI) makes them fail.
"""
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

import ndgrad
import ndgrad.distributed as dist
from ndgrad.nn.parallel import DistributedDataParallel as DDP
from ndgrad.nn.parallel._reducer import assign_buckets
from ndgrad.utils.data import DistributedSampler

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "tests" / "distributed_scripts"
REQUIRE_MPI = os.environ.get("NDGRAD_REQUIRE_MPI") == "1"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"ndgrad_test_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def world():
    """A world of one (no launcher), torn down after the test."""
    dist.init_process_group("mpi")
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


# *** a world of one, in process ***

def test_every_collective_in_a_world_of_one(world):
    assert _load("collectives").run_all() > 40


def test_group_queries(world):
    assert dist.is_available() and dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "mpi")
    assert dist.get_process_group_ranks(dist.group.WORLD) == [0]
    work = dist.all_reduce(ndgrad.ones(2), async_op=True)
    assert work.is_completed() and work.wait() and work.is_success()


def test_reduce_op_members_are_torchs(torch):
    ours = list(dist.ReduceOp.RedOpType.__members__)
    assert ours == list(torch.distributed.ReduceOp.RedOpType.__members__)
    assert repr(dist.ReduceOp.SUM) == repr(torch.distributed.ReduceOp.SUM)


NOT_INIT = "Default process group has not been initialized"


@pytest.mark.parametrize("call, error, message", [
    (lambda: dist.get_rank(), ValueError, NOT_INIT),
    (lambda: dist.all_reduce(ndgrad.ones(2)), ValueError, NOT_INIT),
    (lambda: dist.init_process_group("nccl"), RuntimeError, "doesn't have NCCL built in"),
    (lambda: dist.init_process_group("smoke-signals"), ValueError, "Invalid backend"),
    (lambda: dist.init_process_group(timeout=5), TypeError, "datetime.timedelta"),
    (lambda: dist.init_process_group(world_size=2), RuntimeError,
     r"not started by an MPI launcher.*--nproc-per-node 2"),
])
def test_errors_before_init(call, error, message):
    with pytest.raises(error, match=message):
        call()
    assert not dist.is_initialized()


@pytest.mark.parametrize("call, error, message", [
    (lambda: dist.init_process_group(), ValueError, "twice"),
    (lambda: dist.all_reduce(np.ones(2)), TypeError, "Expected parameter `tensor` of type"),
    (lambda: dist.all_reduce(ndgrad.ones(2), op=dist.ReduceOp.BAND), RuntimeError,
     "needs an integer or bool tensor, got float32"),
    (lambda: dist.all_reduce(ndgrad.ones(2, dtype=ndgrad.int64), op=dist.ReduceOp.AVG),
     RuntimeError, "needs a floating point tensor"),
    (lambda: dist.all_gather([ndgrad.ones(2), ndgrad.ones(2)], ndgrad.ones(2)), ValueError,
     r"one tensor per rank of the group \(1\), got 2"),
    (lambda: dist.all_gather([ndgrad.ones(3)], ndgrad.ones(2)), RuntimeError,
     r"expected float32\[2\], got float32\[3\]"),
    (lambda: dist.send(ndgrad.ones(2), dst=0), ValueError, "should not be the same"),
    (lambda: dist.broadcast(ndgrad.ones(2)), ValueError, "Must specify global_rank"),
    (lambda: dist.broadcast(ndgrad.ones(2), src=3), ValueError, "not part of group"),
    (lambda: dist.all_to_all_single(ndgrad.ones(2), ndgrad.ones(3)), ValueError,
     r"expects \[2\] elements from the ranks but they send \[3\]"),
    (lambda: dist.all_to_all_single(ndgrad.ones(2, 2), ndgrad.ones(2, 3)), ValueError,
     "must share the dtype"),
])
def test_errors_after_init(world, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_world_of_one_needs_no_mpi4py():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import ndgrad, ndgrad.distributed as dist\n"
            "dist.init_process_group(); t = ndgrad.ones(2); dist.all_reduce(t)\n"
            "print(dist.get_world_size(), t.tolist())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env=_env(), check=True)
    assert out.stdout.split() == ["1", "[1.0,", "1.0]"]


def test_missing_mpi4py_under_a_launcher_says_how_to_install():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import ndgrad.distributed as dist\n"
            "try:\n    dist.init_process_group()\n"
            "except ImportError as e:\n    print(e)")
    env = _env() | {"PMI_SIZE": "1", "PMI_RANK": "0"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env=env, check=True)
    assert "pip install 'ndgrad[distributed]'" in out.stdout


# *** DistributedSampler: torch's index lists ***

SAMPLER_CASES = [  # (dataset size, replicas, shuffle, drop_last, seed, epoch)
    (size, replicas, *flags) for size in (0, 1, 7, 10, 23) for replicas in (1, 2, 3, 4)
    for flags in ((True, False, 0, 0), (True, False, 5, 3), (True, True, 1, 2),
                  (False, False, 0, 0), (False, True, 0, 1))
    if size or flags[1]  # padding an empty dataset divides by zero in torch too
]


@pytest.mark.parametrize("size, replicas, shuffle, drop_last, seed, epoch", SAMPLER_CASES)
def test_sampler_index_lists_equal_torchs(torch, size, replicas, shuffle, drop_last, seed, epoch):
    import torch.utils.data.distributed as tdist

    data = list(range(size))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=shuffle, seed=seed,
                                  drop_last=drop_last)
        theirs = tdist.DistributedSampler(data, replicas, rank, shuffle=shuffle, seed=seed,
                                          drop_last=drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


def test_sampler_rank_checks_and_default_group(world):
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    sampler = DistributedSampler(range(4), shuffle=False)
    assert (sampler.num_replicas, sampler.rank, list(sampler)) == (1, 0, [0, 1, 2, 3])


# *** DistributedDataParallel in a world of one ***

def _mlp():
    ndgrad.manual_seed(0)
    nn = ndgrad.nn
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def test_ddp_grads_equal_the_plain_model(world):
    plain, wrapped = _mlp(), _mlp()
    ddp = DDP(wrapped, bucket_cap_mb=0.0001)  # several buckets
    assert len(ddp.reducer.buckets) > 1
    x = ndgrad.randn(5, 4)
    plain(x).square().sum().backward()
    ddp(x).square().sum().backward()
    for p, q in zip(plain.parameters(), wrapped.parameters()):
        assert np.array_equal(p.grad.numpy(), q.grad.numpy())
    assert list(ddp.state_dict()) == ["module." + k for k in plain.state_dict()]
    assert ddp.module is wrapped


def test_ddp_no_sync_accumulates(world):
    plain, wrapped = _mlp(), _mlp()
    ddp = DDP(wrapped)
    x = ndgrad.randn(6, 4)
    plain(x).sum().backward()
    with ddp.no_sync():
        ddp(x[:3]).sum().backward()
    ddp(x[3:]).sum().backward()
    for p, q in zip(plain.parameters(), wrapped.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_ddp_grads_belong_to_their_owner(world):
    """Averaged grads come back as views of a bucket, which is reused only when no gradient of
    an earlier step still refers to it; a .grad that existed before backward keeps its memory
    (torch's grad.copy_), and gradient_as_bucket_view=True keeps grads in the bucket."""
    ddp, plain = DDP(_mlp()), _mlp()
    weight = ddp.module[0].weight
    x = ndgrad.randn(5, 4)
    plain(x * 2).sum().backward()
    ddp(x).sum().backward()
    kept, values = weight.grad, weight.grad.clone()
    for _ in range(2):
        ddp.zero_grad()
        ddp(x * 2).sum().backward()
        assert np.array_equal(kept.numpy(), values.numpy())  # not overwritten by later steps
    assert np.array_equal(weight.grad.numpy(), plain[0].weight.grad.numpy())
    del kept
    buffers = set()
    for _ in range(3):  # no gradient held on to: the one buffer serves every step
        ddp.zero_grad()
        ddp(x).sum().backward()
        buffers.add(id(ddp.reducer.buckets[0].buffer))
    assert len(buffers) == 1
    ddp.zero_grad(set_to_none=False)
    grad = weight.grad
    memory = grad.numpy()
    ddp(x).sum().backward()
    assert weight.grad is grad and np.array_equal(memory, values.numpy())

    viewed = DDP(_mlp(), gradient_as_bucket_view=True)
    bucket = viewed.reducer.buckets[0].buffer
    for step in range(3):
        viewed.zero_grad(set_to_none=step == 0)
        viewed(x).sum().backward()
        assert all(np.shares_memory(p.grad.numpy(), bucket) for p in viewed.parameters())
        assert np.array_equal(viewed.module[0].weight.grad.numpy(), values.numpy())


class _TwoHeads(ndgrad.nn.Module):
    def __init__(self):
        super().__init__()
        self.used, self.unused = ndgrad.nn.Linear(3, 3), ndgrad.nn.Linear(3, 3)

    def forward(self, x):
        return self.used(x)


def test_ddp_unused_parameters(world):
    ddp = DDP(_TwoHeads(), find_unused_parameters=True)
    ddp(ndgrad.ones(2, 3)).sum().backward()
    assert ddp.module.used.weight.grad is not None and ddp.module.unused.weight.grad is None
    strict = DDP(_TwoHeads())
    with pytest.raises(RuntimeError, match="did not receive grad for rank 0: unused.weight"):
        strict(ndgrad.ones(2, 3)).sum().backward()


@pytest.mark.parametrize("kwargs, error, message", [
    ({"device_ids": [0]}, ValueError, "device_ids and output_device"),
    ({"mixed_precision": object()}, NotImplementedError, "mixed_precision"),
])
def test_ddp_argument_errors(world, kwargs, error, message):
    with pytest.raises(error, match=message):
        DDP(_mlp(), **kwargs)


def test_ddp_needs_parameters(world):
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires a gradient"):
        DDP(ndgrad.nn.ReLU())


def test_bucket_assignment_is_torchs_on_reversed_parameters(torch):
    sizes = [(200704, "float32"), (256, "float32"), (65536, "float32"), (3, "float64"),
             (256, "float32"), (2560, "float32"), (10, "float32"), (5, "float64")]
    limits = [1024 * 1024, 300 * 1024]
    ours = assign_buckets([ndgrad.zeros(n, dtype=getattr(ndgrad, d)) for n, d in sizes], limits)
    reversed_params = [torch.zeros(n, dtype=getattr(torch, d)) for n, d in sizes][::-1]
    theirs, _ = torch.distributed._compute_bucket_assignment_by_size(
        reversed_params, limits, [False] * len(sizes))
    last = len(sizes) - 1
    assert ours == [[last - i for i in bucket] for bucket in theirs]


def test_queue_callback_runs_when_backward_finishes():
    from ndgrad.autograd.engine import queue_callback

    order = []
    x = ndgrad.ones(2, requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda p: (order.append("hook"),
                                                    queue_callback(lambda: order.append("end"))))
    (x * 2).sum().backward()
    assert order == ["hook", "end"]
    with pytest.raises(RuntimeError, match="only be installed during backward"):
        queue_callback(lambda: None)


# *** several ranks: subprocesses under mpiexec ***

def _env():
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=str(ROOT) + (os.pathsep + path if path else ""))


@pytest.fixture(scope="module")
def mpiexec():
    from ndgrad.distributed.run import find_mpiexec

    missing = importlib.util.find_spec("mpi4py") is None
    try:
        path = find_mpiexec()
    except SystemExit:
        missing = True
    if missing:
        why = "mpi4py and mpiexec are needed: pip install -e '.[distributed]'"
        if REQUIRE_MPI:
            pytest.fail(why + " (NDGRAD_REQUIRE_MPI=1)")
        pytest.skip(why)
    return path


def launch(mpiexec, n, *args, timeout=120, env=None):
    """Run `mpiexec -n n python args...`; (completed process, seconds it took)."""
    start = time.monotonic()
    out = subprocess.run([mpiexec, "-n", str(n), sys.executable, *map(str, args)],
                         capture_output=True, text=True, timeout=timeout,
                         env=dict(_env(), **(env or {})), stdin=subprocess.DEVNULL)
    return out, time.monotonic() - start


def _json_line(text):
    return json.loads(next(line for line in text.splitlines() if line.startswith("{")))


def test_every_collective_on_two_ranks(mpiexec):
    out, _ = launch(mpiexec, 2, SCRIPTS / "collectives.py")
    assert out.returncode == 0, out.stderr
    assert len(re.findall(r"of 2: collectives ok \d+", out.stdout)) == 2


def test_ddp_two_ranks_equal_one_process(mpiexec):
    out, _ = launch(mpiexec, 2, SCRIPTS / "ddp_equivalence.py")
    assert out.returncode == 0, out.stderr
    results = _json_line(out.stdout)
    assert len(results) == 12
    for case, r in results.items():
        tolerance = 1e-6 if "float32" in case else 1e-12
        assert r["param"] <= tolerance, (case, r)
        assert r["ranks"] == 0.0, (case, r)  # every rank holds the same weights and buffers
        if "batchnorm" in case:
            assert r["buffers_moved"] > 0.1, (case, r)  # the running statistics were exercised


@pytest.mark.parametrize("transport, switch", [("shared memory", "1"), ("mpi", "0")])
def test_ddp_buckets_on_two_ranks(mpiexec, transport, switch):
    """Averaged grads bit for bit, held grads never overwritten, memory kept, buckets reused:
    through shared memory (one machine, the default) and through MPI's allreduce."""
    out, _ = launch(mpiexec, 2, SCRIPTS / "ddp_buckets.py",
                    env={"NDGRAD_DDP_SHARED_MEMORY": switch})
    assert out.returncode == 0, out.stderr
    assert len(re.findall(rf"of 2: buckets ok \({transport}\) \d+", out.stdout)) == 2, out.stdout


@pytest.mark.slow
def test_smoke_four_ranks(mpiexec):
    out, _ = launch(mpiexec, 4, SCRIPTS / "smoke.py", timeout=240)
    assert out.returncode == 0, out.stderr
    result = _json_line(out.stdout)
    assert result["world"] == 4 and result["checks"] > 40
    assert result["param"] <= 1e-12 and result["ranks"] == 0.0


def test_smoke_three_ranks(mpiexec):
    out, _ = launch(mpiexec, 3, SCRIPTS / "collectives.py")
    assert out.returncode == 0, out.stderr
    assert len(re.findall(r"of 3: collectives ok \d+", out.stdout)) == 3


FAULTS = [  # mode, what the output must say
    ("raise", r"ValueError: rank 1 failed on purpose[\s\S]*rank 1 of 2 raised ValueError"),
    ("raise_before_init", r"ValueError: rank 1 failed before init_process_group"),
    ("die", r"BAD TERMINATION|Killed"),
    ("hang", r"all_reduce\(float32\[10\], SUM\) on rank 0 of 2 timed out after 2 s"),
    ("exit", r"timed out after 2 s"),
    ("hang_in_ddp", r"DDP gradient bucket 0 \(float32\[20\]\) on rank 0 of 2 timed out after 2 s"),
    ("ddp_against_all_reduce", r"rank \d of 2 (timed out|does not match)"),
    ("mismatch_shape", r"all_reduce\(float32\[\d+\], SUM\) on rank \d of 2 does not match"),
    ("mismatch_collective", r"does not match what another rank of the group called|timed out"),
    ("mismatch_dtype", r"does not match what another rank|timed out"),
    ("mismatch_model", r"DDP expects same model across all ranks"),
    ("unused_parameter", r"Parameters which did not receive grad for rank \d: unused.weight"),
]
LAUNCHER_FAILURES = [  # how rank 1 fails, the job's exit code, what stderr must say
    ("raise", 1, r"KeyError: 'raised on rank 1 under the launcher'[\s\S]*rank 1 raised KeyError"),
    ("exit", 3, r"rank 1 exited with code 3"),
]


def _run_launcher(*args, timeout=90):
    cmd = [sys.executable, "-m", "ndgrad.distributed.run", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(),
                          stdin=subprocess.DEVNULL)


def _timed(run, *args):
    start = time.monotonic()
    out = run(*args)
    return out, time.monotonic() - start


SHM = Path("/dev/shm")


def _orphaned_mpich_files(before: set) -> set:
    """MPICH's /dev/shm files made since `before` that no live process maps (a job's leftovers)."""
    if not SHM.is_dir():
        return set()
    new = {p.name for p in SHM.glob("mpich_*")} - before
    for maps in Path("/proc").glob("[0-9]*/maps"):
        try:
            new -= {line.rsplit("/", 1)[-1].strip() for line in maps.read_text().splitlines()
                    if "/dev/shm/mpich_" in line}
        except OSError:  # the process ended meanwhile
            continue
    return new


def _mpich_files() -> set:
    return {p.name for p in SHM.glob("mpich_*")} if SHM.is_dir() else set()


def test_shared_memory_buckets_only_where_they_fit():
    from ndgrad.distributed import _shm

    offsets, nbytes = _shm._layout([(10, np.dtype("float32")), (3, np.dtype("float64"))])
    assert offsets == [(64, 128), (192, 256)] and nbytes == 320  # cache-line aligned slots
    assert _shm._room_for(nbytes)
    assert not _shm._room_for(1 << 62) or not SHM.is_dir()  # a model /dev/shm cannot hold


def test_an_aborted_job_leaves_no_shared_memory_files(mpiexec):
    before = _mpich_files()
    out, _ = launch(mpiexec, 2, SCRIPTS / "faults.py", "raise", timeout=90)
    assert out.returncode != 0
    assert not _orphaned_mpich_files(before)  # MPI_Abort skips MPICH's own clean-up


@pytest.fixture(scope="module")
def failing_jobs(mpiexec):
    """Every fault job, four at a time (each is mostly start-up and waiting): name -> (out, s).
    A killed rank (mode "die") ends its job without any clean-up: its /dev/shm files go after."""
    from concurrent.futures import ThreadPoolExecutor

    before = _mpich_files()

    jobs = {mode: (lambda m=mode: launch(mpiexec, 2, SCRIPTS / "faults.py", m, timeout=90))
            for mode, _ in FAULTS}
    jobs.update({f"launcher-{how}": (lambda h=how: _timed(
        _run_launcher, "--nproc-per-node", 2, SCRIPTS / "launched.py", h))
        for how, _, _ in LAUNCHER_FAILURES})
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        results = {name: f.result() for name, f in futures.items()}
    for name in _orphaned_mpich_files(before):
        (SHM / name).unlink(missing_ok=True)
    return results


@pytest.mark.parametrize("mode, message", FAULTS, ids=[f[0] for f in FAULTS])
def test_faults_end_the_job_with_the_reason(failing_jobs, mode, message):
    out, seconds = failing_jobs[mode]
    print(f"fault case {mode}: job ended in {seconds:.2f} s with exit code {out.returncode}")
    assert out.returncode != 0
    assert re.search(message, out.stdout + out.stderr), out.stdout + out.stderr
    assert "finished without an error" not in out.stdout
    assert seconds < 45  # seconds in practice (the hung-peer timeout is 2 s); never a hang


@pytest.mark.parametrize("how, code, message", LAUNCHER_FAILURES,
                         ids=[f[0] for f in LAUNCHER_FAILURES])
def test_launcher_ends_the_job_when_a_rank_fails(failing_jobs, how, code, message):
    out, seconds = failing_jobs[f"launcher-{how}"]
    assert out.returncode == code, out.stderr
    assert re.search(message, out.stderr), out.stderr
    if how == "raise":  # the traceback starts at the user's script, not at the launcher
        tail = out.stderr.split("Traceback")[-1]
        assert "launched.py" in tail and "_bootstrap" not in tail and "runpy" not in tail
    assert seconds < 45


def test_launcher_sets_torchruns_variables(mpiexec):
    out = _run_launcher("--nproc-per-node", 2, SCRIPTS / "launched.py", "a", "--flag")
    assert out.returncode == 0, out.stderr
    ranks = json.loads(next(ln for ln in out.stdout.splitlines() if ln.startswith("[{")))
    assert [r["RANK"] for r in ranks] == ["0", "1"]
    assert all(r["WORLD_SIZE"] == r["LOCAL_WORLD_SIZE"] == "2" for r in ranks)
    assert [r["LOCAL_RANK"] for r in ranks] == ["0", "1"]
    assert all(r["sum"] == 1.0 and r["argv"] == ["a", "--flag"] for r in ranks)


def test_launcher_without_a_hostfile_refuses_several_nodes():
    out = _run_launcher("--nnodes", 2, "--nproc-per-node", 1, "x.py")
    assert out.returncode != 0 and "--hostfile" in out.stderr


@pytest.mark.slow
def test_digits_trains_to_the_same_accuracy_on_two_processes(mpiexec):
    pytest.importorskip("sklearn")
    import ndgrad.utils.data  # noqa: F401

    example = _load_example()
    alone = example.train(ndgrad, "mlp", epochs=3)
    out, _ = launch(mpiexec, 2, ROOT / "examples" / "train_digits.py", "--model", "mlp",
                    "--epochs", 3, timeout=300)
    assert out.returncode == 0, out.stderr
    accuracy = float(re.search(r"on 2 processes: .*test accuracy ([\d.]+)%", out.stdout)[1])
    assert abs(accuracy - 100 * alone["accuracy"]) <= 100 / 359 + 1e-9  # at most one test sample


def _load_example():
    spec = importlib.util.spec_from_file_location("train_digits_ddp",
                                                  ROOT / "examples" / "train_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ddp_world_size_is_torch_compatible_under_mpi(mpiexec):
    out, _ = launch(mpiexec, 1, SCRIPTS / "collectives.py")  # MPI itself, one rank
    assert out.returncode == 0, out.stderr
    assert "rank 0 of 1: collectives ok" in out.stdout


def test_timeout_default_is_torchs():
    assert dist.DEFAULT_TIMEOUT == timedelta(minutes=30)
