"""torch.backends.cpu: the CPU capability ATen dispatches its kernels to."""
from __future__ import annotations

import os

from .. import _random

_LEVELS = ("default", "avx2", "avx512")


def _detect() -> str:
    # as ATen: avx512 needs avx512f/vl/bw/dq, avx2 needs avx2 and fma; ATEN_CPU_CAPABILITY lowers it
    try:
        with open("/proc/cpuinfo") as fh:
            line = next((ln for ln in fh if ln.startswith("flags")), "flags:")
        flags = set(line.split(":", 1)[1].split())
    except OSError:
        flags = set()
    level = (2 if {"avx512f", "avx512vl", "avx512bw", "avx512dq"} <= flags
             else 1 if {"avx2", "fma"} <= flags else 0)
    env = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    return _LEVELS[min(level, _LEVELS.index(env))] if env in _LEVELS else _LEVELS[level]


def get_cpu_capability() -> str:
    """"DEFAULT", "AVX2" or "AVX512": what torch would pick on this machine.

    Example::
        >>> ndgrad.backends.cpu.get_cpu_capability() in ("DEFAULT", "AVX2", "AVX512")
        True
    """
    return (getattr(_random, "CPU_CAPABILITY", None) or _detect()).upper()
