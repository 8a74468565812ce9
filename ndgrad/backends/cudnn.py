"""torch.backends.cudnn on a CPU-only build: the flags exist (scripts set them), cuDNN does not."""
from __future__ import annotations

import sys
from typing import Any

from ._flags import flags as _flags

enabled = True
benchmark = False
benchmark_limit = None
deterministic = False
allow_tf32 = True
fp32_precision = "none"


def is_available() -> bool:
    """False: no cuDNN in a CPU-only build.

    Example::
        >>> ndgrad.backends.cudnn.is_available()
        False
    """
    return False


def version() -> None:
    return None


def is_acceptable(tensor: Any) -> bool:
    return False


def flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int | None = 10,
          deterministic: bool = False, allow_tf32: bool = True) -> Any:
    """Context manager setting the cuDNN flags inside a block."""
    return _flags(sys.modules[__name__], enabled=enabled, benchmark=benchmark,
                  deterministic=deterministic, allow_tf32=allow_tf32)
