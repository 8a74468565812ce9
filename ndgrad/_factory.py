"""What every tensor factory shares: device= (only the CPU), pin_memory=, layout=, and out=."""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from . import _device, _out
from ._device import _DEFAULT
from ._memory_format import strided
from ._tensor import Tensor

_PINNED = ("pin_memory=True requires a CUDA or other accelerator backend; no pinned memory "
           "allocator is available on this system.")
_ARANGE_RESIZED = ("The number of elements in the out tensor of shape {} is {} which does not match "
                   "the computed number of elements {}. Note that this may occur as a result of "
                   "rounding error. The out tensor will be resized to a tensor of shape ({},).")


def factory(name: str, *, takes_out: bool = True, allocating: bool | str = True) -> Callable:
    """Wrap a creation function: refuse devices other than the CPU (torch's CPU-only errors),
    refuse pin_memory=True, accept layout=torch.strided, and (takes_out) write into out=.

    allocating: the error torch gives for factories that allocate (zeros, randn, ...; a string
    names the ATen op its message quotes) rather than copy (tensor, as_tensor)."""

    def deco(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def make(*args: Any, device: Any = None, pin_memory: bool = False, layout: Any = None,
                 **kwargs: Any) -> Any:
            if device is not None or _DEFAULT[0] is not None:
                _device.check(device, allocating, name)
            if pin_memory:
                raise RuntimeError(_PINNED)
            if layout is not None and layout is not strided:
                raise RuntimeError(f"{name}(): ndgrad has only the torch.strided layout, got "
                                   f"{layout}")
            out = kwargs.pop("out", None) if takes_out else None
            if out is not None:
                return _into(name, fn, args, kwargs, out)
            result = fn(*args, **kwargs)
            mode = _out.GRAD_MODE  # (autograd's grad-mode state, bound by the op registry)
            if mode is not None and mode.inference and isinstance(result, Tensor):
                result._is_inference = True  # a new tensor made in inference_mode
            return result

        make._handles_out = takes_out  # type: ignore[attr-defined]  (composite() leaves it be)
        return make

    return deco


def _into(name: str, fn: Callable, args: tuple, kwargs: dict, out: Any) -> Tensor:
    """torch.zeros(..., out=t): made in out's dtype (a different dtype= is an error), written
    into out, resized silently (arange warns), requires_grad applied to out."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    dtype = kwargs.get("dtype")
    if dtype is not None and dtype.np != out._data.dtype:
        raise RuntimeError(f"dtype {_out.type_name_of(dtype.np)} does not match dtype of out "
                           f"parameter ({_out.type_name(out._data)})")
    _out.check_grad(f"aten::{name}", (), out)
    requires_grad = kwargs.pop("requires_grad", False)
    kwargs["dtype"] = out.dtype
    result = fn(*args, **kwargs)
    if name == "arange" and 0 < out._data.size != result._data.size:
        n = result._data.size
        warnings.warn(_ARANGE_RESIZED.format(list(out._data.shape), out._data.size, n, n),
                      UserWarning, stacklevel=3)
    _out.write(name, result, out, warn_resize=False)
    if requires_grad:
        out.requires_grad_()
    return out
