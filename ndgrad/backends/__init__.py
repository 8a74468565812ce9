"""torch.backends: the flags and availability answers of a CPU-only torch build."""
from __future__ import annotations

from . import cpu, cuda, cudnn, mha, mkl, mkldnn, mps, nnpack, openmp, opt_einsum

fp32_precision = "none"
_FROZEN = [False]

__all__ = ["cpu", "cuda", "cudnn", "mha", "mkl", "mkldnn", "mps", "nnpack", "openmp",
           "opt_einsum", "disable_global_flags", "flags_frozen"]


def disable_global_flags() -> None:
    """Forbid changing the backend flags outside their `flags()` context managers (as torch)."""
    _FROZEN[0] = True


def flags_frozen() -> bool:
    return _FROZEN[0]
