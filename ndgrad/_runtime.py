"""Process-wide switches torch scripts set: threads (NumPy's BLAS through threadpoolctl), the
deterministic-algorithms and matmul-precision flags, torch.compile, and the bfloat16 refusal."""
from __future__ import annotations

import numbers
import os
import warnings
from typing import Any, Callable

from ._dtype import dtype as _DType
from ._tensor import Tensor

_THREADS: dict[str, Any] = {"intra": None, "interop": None, "limiter": None}


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_num_threads(int: int) -> None:
    """Use `int` threads for intra-op work: ndgrad's is NumPy's BLAS (and any OpenMP pool),
    limited through threadpoolctl, an optional dependency (without it this only warns).

    Example::
        >>> ndgrad.set_num_threads(1); ndgrad.get_num_threads()
        1
    """
    n = int  # torch names the parameter `int`
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    try:
        import threadpoolctl  # optional: imported on first use only
    except ImportError:
        if not _THREADS.get("warned"):
            _THREADS["warned"] = True
            warnings.warn("set_num_threads: threadpoolctl is not installed, so NumPy's BLAS keeps "
                          "its thread count (pip install threadpoolctl)", UserWarning, stacklevel=2)
    else:
        _THREADS["limiter"] = threadpoolctl.threadpool_limits(limits=n)
    _THREADS["intra"] = n


def get_num_threads() -> int:
    """The intra-op thread count: what set_num_threads set, else the BLAS pool's size (one per
    usable core without threadpoolctl)."""
    if _THREADS["intra"] is not None:
        return _THREADS["intra"]
    try:
        import threadpoolctl
    except ImportError:
        return _cores()
    pools = [p["num_threads"] for p in threadpoolctl.threadpool_info()]
    return max(pools) if pools else _cores()


def set_num_interop_threads(int: int) -> None:
    """Size of the inter-op pool (ndgrad has none: recorded, and like torch settable once)."""
    if _THREADS["interop"] is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has "
                           "started or set_num_interop_threads called")
    if int <= 0:
        raise RuntimeError("Expected positive number of threads")
    _THREADS["interop"] = int


def get_num_interop_threads() -> int:
    return _THREADS["interop"] or _cores()


# *** determinism and precision flags (ndgrad's kernels are deterministic and full precision) ***

_FLAGS: dict[str, Any] = {"deterministic": False, "warn_only": False, "matmul": "highest"}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms: every ndgrad op already is, so this records the flag."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms expects a bool, but got {type(mode).__name__}")
    _FLAGS["deterministic"], _FLAGS["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _FLAGS["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _FLAGS["warn_only"]


def set_deterministic_debug_mode(debug_mode: Any) -> None:
    modes = {"default": 0, "warn": 1, "error": 2}
    mode = modes.get(debug_mode, debug_mode) if isinstance(debug_mode, str) else debug_mode
    if mode not in (0, 1, 2):
        raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, "
                           f"`error`, but got {debug_mode}")
    use_deterministic_algorithms(mode != 0, warn_only=mode == 1)


def get_deterministic_debug_mode() -> int:
    if not _FLAGS["deterministic"]:
        return 0
    return 1 if _FLAGS["warn_only"] else 2


def set_float32_matmul_precision(precision: str) -> None:
    """'highest', 'high' or 'medium' (recorded: NumPy's float32 matmul has no TF32 mode)."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _FLAGS["matmul"] = precision


def get_float32_matmul_precision() -> str:
    return _FLAGS["matmul"]


def is_nonzero(input: Tensor) -> bool:
    """bool(input) for a one-element tensor, with torch's errors otherwise.

    Example::
        >>> ndgrad.is_nonzero(ndgrad.tensor([0.5]))
        True
    """
    n = input._data.size
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(()))


# *** torch.compile: a documented no-op ***

def compile(model: Callable | None = None, *, fullgraph: bool = False, dynamic: bool | None = None,
            backend: Any = "inductor", mode: str | None = None, options: dict | None = None,
            disable: bool = False) -> Any:
    """torch.compile: returns `model` itself (or, used as @compile(...), a decorator that does).

    ndgrad has no compiler: compiled torch code and eager torch code compute the same values, so
    running the eager function unchanged keeps the script's results; only its speed differs.

    Example::
        >>> f = ndgrad.compile(lambda x: x * 2)
        >>> f(ndgrad.ones(1))
        tensor([2.])
    """
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError("The torch.compile function expects a callable or an nn.Module, got "
                           f"{type(model).__name__}")
    return model


# *** bfloat16: a name that refuses to make tensors ***

class _UnsupportedDtype(_DType):
    """A torch dtype NumPy cannot hold: its name exists (so scripts can mention it), using it to
    make a tensor raises."""

    def __init__(self, name: str, itemsize: int, reason: str) -> None:
        self.name, self._cat, self.itemsize = name, 2, itemsize
        self.is_floating_point, self.is_complex, self.is_signed = True, False, True
        self._reason = reason

    @property
    def np(self) -> Any:  # every tensor-making path asks for the NumPy dtype
        raise TypeError(self._reason)

    def __reduce__(self) -> str:
        return self.name


bfloat16 = _UnsupportedDtype(
    "bfloat16", 2, "ndgrad does not support torch.bfloat16: NumPy has no bfloat16 type, and "
    "emulating torch's bfloat16 rounding in every op would not give torch's numbers. Use "
    "torch.float32 (or torch.float16).")
