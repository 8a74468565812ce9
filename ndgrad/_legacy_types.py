"""The legacy tensor types (torch.FloatTensor, torch.cuda.LongTensor, ...): constructors of a
fixed dtype, usable with isinstance and Tensor.type; the CUDA ones exist and refuse, as in a
CPU-only torch build."""
from __future__ import annotations

from typing import Any

from . import _dtype
from ._tensor import Tensor

_DTYPES = {"FloatTensor": _dtype.float32, "DoubleTensor": _dtype.float64,
           "HalfTensor": _dtype.float16, "LongTensor": _dtype.int64, "IntTensor": _dtype.int32,
           "ShortTensor": _dtype.int16, "CharTensor": _dtype.int8, "ByteTensor": _dtype.uint8,
           "BoolTensor": _dtype.bool_}


class tensortype(type):
    """The class of torch.FloatTensor and friends: calling one makes a tensor of its dtype,
    isinstance(t, torch.FloatTensor) checks t's dtype."""

    dtype: Any
    is_cuda: bool

    def __call__(cls, *args: Any, **kwargs: Any) -> Tensor:
        if cls.is_cuda:
            raise TypeError(f"type torch.cuda.{cls.__name__} not available. Torch not compiled "
                            "with CUDA enabled.")
        return Tensor(*args, dtype=cls.dtype, **kwargs)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and not cls.is_cuda and obj.dtype is cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'torch.{'cuda.' if cls.is_cuda else ''}{cls.__name__}'>"


def _make(name: str, cuda: bool) -> tensortype:
    return tensortype(name, (), {"dtype": _DTYPES[name], "is_cuda": cuda, "is_sparse": False,
                                 "__module__": "ndgrad.cuda" if cuda else "ndgrad"})


CPU_TYPES = {name: _make(name, False) for name in _DTYPES}
CUDA_TYPES = {name: _make(name, True) for name in _DTYPES}
(FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor,
 ByteTensor, BoolTensor) = CPU_TYPES.values()
