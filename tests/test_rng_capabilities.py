"""torch picks its CPU kernels by capability (ATEN_CPU_CAPABILITY=default|avx2|avx512, else the
CPU's best) and some random streams depend on that choice. The parity table (tests/rng_table.py)
runs once per capability in a subprocess, torch and ndgrad under the same setting, so this machine's
CPU decides nothing but which capabilities it can execute."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ndgrad import _random_kernels as K

ROOT = Path(__file__).resolve().parents[1]
TABLE = Path(__file__).with_name("rng_table.py")
CAPABILITIES = ["default", "avx2", "avx512"]
HARDWARE = K.detect_cpu_capability(env=None)   # the best level this CPU executes


_RUNS: dict = {}


@pytest.fixture(scope="module", autouse=True)
def _reap_runs():
    yield
    for proc in _RUNS.values():  # runs whose test was deselected
        proc.communicate(timeout=600)


def _supported(capability: str) -> bool:
    return CAPABILITIES.index(capability) <= CAPABILITIES.index(HARDWARE)


def _run_table(capability: str) -> dict:
    """The table's result under `capability` (the runs for every capability start together)."""
    if not _RUNS:
        for cap in filter(_supported, CAPABILITIES):
            env = dict(os.environ, ATEN_CPU_CAPABILITY=cap, PYTHONPATH=os.pathsep.join(
                [str(ROOT), os.environ.get("PYTHONPATH", "")]))
            _RUNS[cap] = subprocess.Popen([sys.executable, str(TABLE)], env=env, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = _RUNS[capability].communicate(timeout=600)
    assert _RUNS[capability].returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_streams_match_torch_under_capability(capability, torch):
    if not _supported(capability):
        pytest.skip(f"this CPU cannot execute torch's {capability} kernels (best: {HARDWARE})")
    result = _run_table(capability)
    assert result["torch_capability"] == capability == result["ndgrad_capability"]
    assert result["cases"] > 400
    failures = "\n".join(f"  {k}: {v}" for k, v in result["failures"].items())
    assert not failures, f"{len(result['failures'])} cases differ from torch under " \
                         f"ATEN_CPU_CAPABILITY={capability}:\n{failures}"


# *** the decision itself (pure logic: flags, environment and machine are arguments) ***

AVX512 = {"avx2", "fma", "avx512f", "avx512vl", "avx512bw", "avx512dq"}


@pytest.mark.parametrize("env,flags,machine,expected", [
    (None, AVX512, "x86_64", "avx512"),
    (None, AVX512 - {"avx512bw"}, "x86_64", "avx2"),      # torch's AVX512 needs VL, BW and DQ
    (None, {"avx2", "fma"}, "x86_64", "avx2"),
    (None, {"avx2"}, "x86_64", "default"),                 # AVX2 without FMA
    (None, {"avx", "sse4_2"}, "AMD64", "default"),
    (None, set(), "x86_64", "default"),                    # no features known
    ("default", AVX512, "x86_64", "default"),
    ("avx2", AVX512, "x86_64", "avx2"),
    ("avx512", {"avx2", "fma"}, "x86_64", "avx512"),       # torch honours the variable as given
    (None, AVX512, "aarch64", "default"),                  # non-x86: torch's generic kernels
    ("avx2", set(), "arm64", "default"),
])
def test_capability_decision(env, flags, machine, expected, recwarn):
    assert K.detect_cpu_capability(env, flags, machine) == expected
    invalid = env is not None and expected != env
    assert bool(recwarn.list) == invalid


@pytest.mark.parametrize("env", ["AVX2", "avx", "sse"])
def test_invalid_environment_value_warns_as_torch_and_is_ignored(env):
    with pytest.warns(UserWarning, match=f"ignoring invalid value for ATEN_CPU_CAPABILITY: {env}"):
        assert K.detect_cpu_capability(env, {"avx2", "fma"}, "x86_64") == "avx2"


def test_this_process_agrees_with_torch(torch):
    # the in-process parity tests (test_random_streams.py, ...) rely on this
    cap = torch.backends.cpu.get_cpu_capability().lower()
    assert K.CPU_CAPABILITY == (cap if cap in CAPABILITIES else "default")
