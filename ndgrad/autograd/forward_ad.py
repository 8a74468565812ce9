"""Forward-mode AD (torch.autograd.forward_ad): dual tensors carry a tangent through every op.

This module holds the levels and the tangents; the op registry propagates tangents through ops
(ndgrad/_ops/_forward.py), so nothing here imports an op module."""
from __future__ import annotations

import threading
import weakref
from collections import namedtuple
from typing import Any


UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class _Level:
    """One forward-AD level: the tensors that received a tangent in it (to clear them on exit)."""

    __slots__ = ("tensors", "public")

    def __init__(self, public: bool) -> None:
        self.tensors: list = []
        self.public = public  # entered by dual_level (not nestable), not by torch.func.jvp


class _Levels(threading.local):
    stack: list = []


LEVELS = _Levels()


def active() -> bool:
    return bool(LEVELS.stack)


_NESTED = "Nested forward mode AD is not supported at the moment"


def enter_dual_level() -> int:
    if LEVELS.stack:  # torch's forward AD has one level; only torch.func.jvp nests
        raise RuntimeError(_NESTED)
    return _enter(public=True)


def _enter(public: bool) -> int:
    LEVELS.stack = LEVELS.stack + [_Level(public)]
    return len(LEVELS.stack) - 1


class transform_level:
    """The level of one torch.func.jvp: these nest (jvp of jvp, jacfwd of jacfwd), but not
    inside a dual_level, as in torch."""

    def __enter__(self) -> int:
        if any(level.public for level in LEVELS.stack):
            raise RuntimeError(_NESTED)
        return _enter(public=False)

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()


def exit_dual_level(*, level: int | None = None) -> None:
    if level is not None and level != len(LEVELS.stack) - 1:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    lv = LEVELS.stack[-1]
    for ref in lv.tensors:
        t = ref()
        if t is not None:
            t.__dict__.get("_fw", {}).pop(lv, None)
    LEVELS.stack = LEVELS.stack[:-1]


class dual_level:
    """Context manager for a forward-AD level: tangents live until the block ends.

    Example::
        >>> import ndgrad.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     x = fwAD.make_dual(ndgrad.tensor([1.0]), ndgrad.tensor([2.0]))
        ...     fwAD.unpack_dual(x * x).tangent
        tensor([4.])
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()


def _level(level: int | None) -> Any:
    if not LEVELS.stack:
        return None
    return LEVELS.stack[-1 if level is None else level]


def get_tangent(t: Any, level: int | None = None) -> Any:
    lv = _level(level)
    fw = t.__dict__.get("_fw") if lv is not None else None
    return fw.get(lv) if fw else None


def set_tangent(t: Any, tangent: Any, level: int | None = None) -> None:
    lv = _level(level)
    if lv is not None:
        fw = t.__dict__.setdefault("_fw", {})
        if lv not in fw:
            lv.tensors.append(weakref.ref(t))
        fw[lv] = tangent


def make_dual(tensor: Any, tangent: Any, *, level: int | None = None) -> Any:
    """A view of tensor that carries `tangent` as its forward gradient."""
    if not LEVELS.stack:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than "
                           "that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    dual = tensor.view(tuple(tensor.shape))
    set_tangent(dual, tangent.to(tensor.dtype), level)
    return dual


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent): the primal as a view without tangent, and the tangent (or None)."""
    tangent = get_tangent(tensor, level)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(tensor._alias(), tangent)
