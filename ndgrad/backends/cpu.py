"""torch.backends.cpu: the CPU capability ATen dispatches its kernels to."""
from __future__ import annotations

from .._random_kernels import CPU_CAPABILITY


def get_cpu_capability() -> str:
    """"DEFAULT", "AVX2" or "AVX512": what torch picks on this machine (ATEN_CPU_CAPABILITY
    included); ndgrad's random streams follow the same choice.

    Example::
        >>> ndgrad.backends.cpu.get_cpu_capability() in ("DEFAULT", "AVX2", "AVX512")
        True
    """
    return CPU_CAPABILITY.upper()
