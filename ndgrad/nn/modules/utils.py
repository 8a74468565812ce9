"""Helpers shared by the layers: n-tuples of sizes, indentation of nested reprs, type names."""
from __future__ import annotations

from typing import Any

from ..._tensor import Tensor


def _ntuple(n: int, x: Any) -> tuple:
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,) * n


def _single(x: Any) -> tuple:
    return _ntuple(1, x)


def _addindent(s_: str, num_spaces: int) -> str:
    lines = s_.split("\n")
    if len(lines) == 1:
        return s_
    first = lines.pop(0)
    rest = [(num_spaces * " ") + line if line.strip() else "" for line in lines]
    return first + "\n" + "\n".join(rest)


def _typename(obj: Any) -> str:
    """torch.typename, with ndgrad's module paths spelled as torch's."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(type(obj), "__module__", "") or ""
    name = type(obj).__qualname__
    if module in ("", "builtins"):
        return name
    if module == "ndgrad" or module.startswith("ndgrad."):
        module = "torch" + module[len("ndgrad"):]
    return module + "." + name
