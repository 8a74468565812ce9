"""torch.finfo and torch.iinfo: the numerical limits of a dtype, as torch reports them."""
from __future__ import annotations

import numpy as np

from . import _dtype

# bfloat16 has no NumPy type; its limits are fixed by the format (8 exponent bits, 7 mantissa)
_BFLOAT16 = {"bits": 16, "eps": 0.0078125, "max": 3.3895313892515355e+38,
             "min": -3.3895313892515355e+38, "tiny": 1.1754943508222875e-38,
             "smallest_normal": 1.1754943508222875e-38, "resolution": 0.01}


def _checked(type: object, caller: str) -> "_dtype.dtype":
    if type is None:
        return _dtype.get_default_dtype()
    if not isinstance(type, _dtype.dtype):
        raise TypeError(f"{caller}(): argument 'type' (position 1) must be torch.dtype, not "
                        f"{type.__class__.__name__}")
    return type


class finfo:
    """The limits of a floating point (or complex: its real part's) dtype.

    Example::
        >>> ndgrad.finfo(ndgrad.float32).eps
        1.1920928955078125e-07
    """

    __hash__ = None  # type: ignore[assignment]  (as torch's: unhashable)

    def __init__(self, type: "_dtype.dtype | None" = None) -> None:
        dt = _checked(type, "finfo")
        if not (dt.is_floating_point or dt.is_complex):
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        dt = dt.to_real()
        self.dtype = dt.name
        if dt.name == "bfloat16":
            values = _BFLOAT16
        else:
            info = np.finfo(dt.np)
            values = {"bits": int(info.bits), "eps": float(info.eps), "max": float(info.max),
                      "min": float(info.min), "tiny": float(info.smallest_normal),
                      "smallest_normal": float(info.smallest_normal),
                      "resolution": 10.0 ** -int(info.precision)}
        for name, value in values.items():
            setattr(self, name, value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """The limits of an integer dtype.

    Example::
        >>> ndgrad.iinfo(ndgrad.uint8).max
        255
    """

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, type: "_dtype.dtype") -> None:
        dt = _checked(type, "iinfo")
        if dt.name == "bool":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if dt.is_floating_point or dt.is_complex:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        info = np.iinfo(dt.np)
        self.bits, self.max, self.min, self.dtype = int(info.bits), int(info.max), int(info.min), \
            dt.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
