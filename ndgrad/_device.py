"""torch.device, the default device, and the refusals a CPU-only torch build gives for devices it
cannot use (ndgrad computes on the CPU only: a tensor is never silently put anywhere else)."""
from __future__ import annotations

import re
from typing import Any

# every device type torch's parser knows, in torch's order (its error message lists them)
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
          "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_UNKNOWN = "Expected one of " + ", ".join(_TYPES) + " device type at start of device string: {}"
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::(0|[1-9][0-9]*))?\Z")
NO_ACCELERATOR = "Cannot access accelerator device when none is available."


class device:
    """Where a tensor lives: `device("cpu")`, `device("cuda", 0)`, `device("cuda:1")`.

    Any device torch names can be described; only the CPU holds tensors (others are refused
    where a tensor would be created, with the error a CPU-only torch build gives).

    Example::
        >>> ndgrad.device("cuda:1")
        device(type='cuda', index=1)
    """

    __slots__ = ("type", "index", "_saved")

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            # a bare ordinal means "the accelerator": a CPU-only build has none
            raise RuntimeError("Device index must not be negative" if type < 0 else NO_ACCELERATOR)
        elif not isinstance(type, str):
            raise TypeError("device() received an invalid combination of arguments - got "
                            f"({_typename(type)}), but expected one of:\n * (torch.device device)\n"
                            " * (str type, int index = -1)\n")
        else:
            match = _DEVICE_STRING.match(type)
            if not type:
                raise RuntimeError("Device string must not be empty")
            if match is None:
                raise RuntimeError(f"Invalid device string: '{type}'")
            if match.group(1) not in _TYPES:
                raise RuntimeError(_UNKNOWN.format(match.group(1)))
            if match.group(2) is not None:
                if index is not None:
                    raise RuntimeError(f"type (string) must not include an index because index was "
                                       f"passed explicitly: {type}")
                index = int(match.group(2))
            type = match.group(1)
        if index is not None:
            index = int(index)
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        self.type, self.index = type, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        # as torch: a device equals only a device (torch.device("cpu") == "cpu" is False)
        return isinstance(other, device) and (other.type, other.index) == (self.type, self.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self) -> Any:
        return (device, (str(self),))

    # `with ndgrad.device("cpu"):` makes it the default device of the factories inside
    def __enter__(self) -> "device":
        self._saved = _DEFAULT[0]
        _DEFAULT[0] = self
        return self

    def __exit__(self, *exc: object) -> None:
        _DEFAULT[0] = self._saved


def _typename(x: Any) -> str:
    return "NoneType" if x is None else type(x).__name__


CPU = device("cpu")
_DEFAULT: list = [None]  # None: the CPU (the fast path of every factory)

# what torch's CPU-only build raises when a tensor would be created on / moved to a device
_NOT_COMPILED = {
    "cuda": "Torch not compiled with CUDA enabled",
    "xpu": "Torch not compiled with XPU enabled",
    "mtia": "Torch not compiled with MTIA enabled. Ensure you have `import "
            "mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and include "
            "`//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!",
}
_BACKEND = {"ipu": "IPU", "hip": "HIP", "ve": "VE", "fpga": "FPGA", "maia": "MAIA", "xla": "XLA",
            "lazy": "Lazy", "vulkan": "Vulkan", "mps": "MPS"}
_META = ("ndgrad has no 'meta' device: every ndgrad tensor holds its values in a NumPy array, so "
         "shape-only tensors cannot be made (and ndgrad never allocates them silently on the CPU "
         "instead). Create the tensor on 'cpu'.")


def refuse(dev: device, allocating: bool | str) -> None:
    """Raise what a CPU-only torch raises for a tensor on `dev`: `allocating` for factories
    (torch.zeros(..., device=); a string names the allocating ATen op, as torch's message does),
    otherwise for a copy (.to(device), torch.tensor(device=))."""
    kind = dev.type
    if kind in _NOT_COMPILED:
        raise AssertionError(_NOT_COMPILED[kind])
    if kind == "meta":
        raise NotImplementedError(_META)
    if kind in ("hpu", "privateuseone"):
        raise ModuleNotFoundError(f"No module named 'torch.{kind}'", name=f"torch.{kind}")
    if kind in _BACKEND and (allocating or kind == "lazy"):
        op = allocating if isinstance(allocating, str) else "aten::empty.memory_format"
        raise NotImplementedError(
            f"Could not run '{op}' with arguments from the '{_BACKEND[kind]}' "
            "backend. This could be because the operator doesn't exist for this backend, or was "
            "omitted during the selective/custom build process (if using custom build). ndgrad "
            "computes on the CPU only: use device='cpu'.")
    if allocating and kind not in _BACKEND:  # Caffe2-era names (mkldnn, opengl, opencl, ideep)
        raise RuntimeError(f"This is a grandfathered Caffe2 device type {kind}, it shouldn't ever "
                           "convert to a DispatchKey.")
    raise RuntimeError(f"PyTorch is not linked with support for {kind} devices")


def as_device(dev: Any, fname: str = "device") -> device:
    """`dev` (str, int or device) as a device object; TypeError for anything else."""
    if type(dev) is device:
        return dev
    if isinstance(dev, (str, int)) and not isinstance(dev, bool):
        return device(dev)
    raise TypeError(f"{fname}(): argument 'device' must be torch.device, not {_typename(dev)}")


def check(dev: Any, allocating: bool | str = True, fname: str = "device") -> None:
    """Accept None (the default device), 'cpu', 'cpu:N' or a CPU device; refuse anything else."""
    if dev is None:
        dev = _DEFAULT[0]
        if dev is None:
            return
    elif dev == "cpu" or dev is CPU:
        return
    else:
        dev = as_device(dev, fname)
    if dev.type != "cpu":
        refuse(dev, allocating)


def set_default_device(device: Any) -> None:
    """Make `device` the device of tensors created without device= (None: back to the CPU).

    As in a CPU-only torch build, a device other than the CPU can be set, but creating a tensor
    there then raises.

    Example::
        >>> ndgrad.set_default_device("cpu"); ndgrad.zeros(1).device
        device(type='cpu')
    """
    _DEFAULT[0] = None if device is None else as_device(device, "set_default_device")


def get_default_device() -> device:
    """The device new tensors go to (the CPU unless set_default_device chose another).

    Example::
        >>> ndgrad.get_default_device()
        device(type='cpu')
    """
    dev = _DEFAULT[0]
    if dev is None:
        return CPU
    if dev.type != "cpu":
        refuse(dev, True)
    return dev


def move(kind: str, dev: Any) -> None:
    """Tensor.cuda() / .xpu() / .ipu() / .mtia() (and Module's): always refused on the CPU."""
    if dev is None:
        refuse(device(kind), False)
    if isinstance(dev, int) and not isinstance(dev, bool):
        raise RuntimeError("Device index must not be negative" if dev < 0 else NO_ACCELERATOR)
    target = as_device(dev, kind)
    if target.type != kind:
        raise RuntimeError(f"Invalid device, must be {kind} device")
    refuse(target, False)
