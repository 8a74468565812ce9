"""torch.cuda as a CPU-only torch build answers it: no device, seeding accepted, everything that
needs a GPU raises torch's AssertionError."""
from __future__ import annotations

import collections
import warnings
from types import SimpleNamespace
from typing import Any, Callable

from . import amp as _amp
from ._legacy_types import CUDA_TYPES as _CUDA_TYPES
from ._device import device as _device

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


def _needs_cuda(name: str) -> Callable:
    def fn(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(_NOT_COMPILED)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.cuda.{name}: needs a CUDA build (raises AssertionError, as torch's CPU build)."
    return fn


def is_available() -> bool:
    """False: ndgrad computes on the CPU.

    Example::
        >>> ndgrad.cuda.is_available()
        False
    """
    return False


def device_count() -> int:
    """0 CUDA devices."""
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def is_tf32_supported() -> bool:
    return False


def get_arch_list() -> list:
    return []


# seeding is accepted and does nothing, as in a CPU build (scripts seed every device)
def manual_seed(seed: int) -> None:
    """Accepted (no CUDA generator exists); seed the CPU with ndgrad.manual_seed."""
    int(seed)


def manual_seed_all(seed: int) -> None:
    int(seed)


def seed() -> None:
    return None


def seed_all() -> None:
    return None


def get_rng_state_all() -> list:
    return []


def set_rng_state(new_state: Any, device: Any = "cuda") -> None:
    return None


def set_rng_state_all(new_states: Any) -> None:
    return None


def empty_cache() -> None:
    """Nothing to free: no CUDA caching allocator."""
    return None


def memory_allocated(device: Any = None) -> int:
    return 0


def max_memory_allocated(device: Any = None) -> int:
    return 0


def memory_reserved(device: Any = None) -> int:
    return 0


def max_memory_reserved(device: Any = None) -> int:
    return 0


def memory_cached(device: Any = None) -> int:
    warnings.warn("`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`",
                  FutureWarning, stacklevel=2)
    return 0


def max_memory_cached(device: Any = None) -> int:
    warnings.warn("`torch.cuda.max_memory_cached` has been renamed to "
                  "`torch.cuda.max_memory_reserved`", FutureWarning, stacklevel=2)
    return 0


def memory_stats(device: Any = None) -> dict:
    return collections.OrderedDict()


def set_device(device: Any) -> None:
    if isinstance(device, (str, _device)) and _device(device).type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {device}")
    raise AssertionError(_NOT_COMPILED)


(initial_seed, synchronize, current_device, get_device_name, get_device_properties,
 get_device_capability, init, mem_get_info, set_per_process_memory_fraction, get_rng_state,
 current_stream, default_stream, ipc_collect, reset_peak_memory_stats, reset_max_memory_allocated,
 memory_summary, get_sync_debug_mode, set_sync_debug_mode, reset_accumulated_memory_stats) = (
    _needs_cuda(n) for n in (
        "initial_seed", "synchronize", "current_device", "get_device_name",
        "get_device_properties", "get_device_capability", "init", "mem_get_info",
        "set_per_process_memory_fraction", "get_rng_state", "current_stream", "default_stream",
        "ipc_collect", "reset_peak_memory_stats", "reset_max_memory_allocated", "memory_summary",
        "get_sync_debug_mode", "set_sync_debug_mode", "reset_accumulated_memory_stats"))


class device:
    """Context manager selecting a CUDA device: entering it needs CUDA (index -1/None: no-op)."""

    def __init__(self, device: Any) -> None:
        self.idx = -1 if device is None else (device.index if isinstance(device, _device)
                                               else int(device) if not isinstance(device, str)
                                               else _device(device).index)

    def __enter__(self) -> None:
        if self.idx is not None and self.idx >= 0:
            raise RuntimeError("PyTorch was compiled without CUDA support")

    def __exit__(self, *exc: object) -> None:
        return None


class device_of(device):
    """torch.cuda.device_of(tensor): a CPU tensor selects no device."""

    def __init__(self, obj: Any) -> None:
        super().__init__(-1)


class Stream:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("torch.cuda.Stream requires CUDA support")


class Event:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Tried to instantiate dummy base class Event")


class StreamContext:
    """torch.cuda.stream(None): a no-op context manager on a CPU build."""

    def __init__(self, stream: Any) -> None:
        if stream is not None:
            raise AssertionError(_NOT_COMPILED)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def stream(stream: Any) -> StreamContext:
    return StreamContext(stream)


def _cuda_autocast(enabled: bool = True, dtype: Any = None, cache_enabled: bool = True) -> Any:
    warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                  "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning, stacklevel=2)
    return _amp.autocast("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


def _cuda_grad_scaler(*args: Any, **kwargs: Any) -> Any:
    warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                  "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning, stacklevel=2)
    return _amp.GradScaler("cuda", *args, **kwargs)


# torch.cuda.FloatTensor and friends exist and refuse to make tensors
(FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor,
 ByteTensor, BoolTensor) = _CUDA_TYPES.values()

# torch.cuda.amp: the deprecated spellings of torch.amp for device 'cuda'
amp = SimpleNamespace(autocast=_cuda_autocast, GradScaler=_cuda_grad_scaler,
                      custom_fwd=_amp.custom_fwd, custom_bwd=_amp.custom_bwd)

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize",
           "empty_cache", "amp", "device"]
