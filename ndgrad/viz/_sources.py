"""Where each graph node was created (file:line, source text, enclosing nn.Modules): captured for
every node while ndgrad.viz records, otherwise what anomaly mode or the registry kept."""
from __future__ import annotations

import linecache
import os
import re
import sys
import weakref
from typing import Any, Iterator

from .._ops import _registry
from ..nn.modules.module import Module

_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
# ndgrad's own files that are user code as far as a learner is concerned (the demo's tutorial)
_USER_FILES = {os.path.join(_PKG, "demo.py")}
_CALL_IMPL = Module._call_impl.__code__
_TRACEBACK_LINE = re.compile(r'File "(.+)", line (\d+)')

# node -> (file, line, modules outermost first); weak keys: viewing never keeps a graph alive
_CAPTURED: "weakref.WeakKeyDictionary[Any, tuple]" = weakref.WeakKeyDictionary()
_DEPTH = [0]


def _internal(filename: str) -> bool:
    return (filename.startswith(_PKG) and filename not in _USER_FILES) or filename.startswith(
        "<ndgrad")


def _capture(node: Any) -> None:
    """The registry's SOURCE_HOOK: remember the user's frame and the modules being called."""
    where = None
    modules = []
    f = sys._getframe(1)
    while f is not None:
        code = f.f_code
        if code is _CALL_IMPL:
            module = f.f_locals.get("self")
            if isinstance(module, Module):
                modules.append(module)
        elif where is None and not _internal(code.co_filename):
            where = (code.co_filename, f.f_lineno)
        f = f.f_back
    if where is not None:
        _CAPTURED[node] = (where[0], where[1], tuple(reversed(modules)))


class capturing:
    """While active, every node recorded by an op keeps its creating file:line (nestable)."""

    def __enter__(self) -> "capturing":
        if _DEPTH[0] == 0:
            _registry.SOURCE_HOOK = _capture
        _DEPTH[0] += 1
        return self

    def __exit__(self, *exc: object) -> None:
        _DEPTH[0] -= 1
        if _DEPTH[0] == 0:
            _registry.SOURCE_HOOK = None


def location(node: Any) -> tuple[str, int] | None:
    """(file, line) where node was created, if anything recorded it."""
    got = _CAPTURED.get(node)
    if got is not None:
        return got[0], got[1]
    hooks = getattr(node, "_hooks", None)
    tb = hooks.metadata.get("traceback_") if hooks is not None else None
    if tb:  # anomaly mode kept the forward traceback: its last user frame
        for entry in reversed(tb):
            m = _TRACEBACK_LINE.search(entry)
            if m and not _internal(m.group(1)):
                return m.group(1), int(m.group(2))
    where = getattr(node, "_where", None)
    if isinstance(where, tuple) and len(where) == 2:
        try:
            return str(where[0]), int(where[1])
        except (TypeError, ValueError):
            return None
    f_code = getattr(where, "f_code", None)  # a lazily kept frame
    if f_code is not None:
        return f_code.co_filename, int(where.f_lineno)
    return None


def modules_of(node: Any) -> tuple:
    """The nn.Modules whose forward created node (outermost first), if captured."""
    got = _CAPTURED.get(node)
    return got[2] if got is not None else ()


def display_path(filename: str) -> str:
    """A path as people read it: relative to the working directory when inside it."""
    if filename.startswith("<"):
        return filename
    try:
        rel = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel


def describe(node: Any) -> tuple[str, str]:
    """('file:line', source text) of node's creation, or ('', '') when unknown."""
    loc = location(node)
    if loc is None:
        return "", ""
    text = linecache.getline(loc[0], loc[1]).strip()
    return f"{display_path(loc[0])}:{loc[1]}", text


def module_names(roots: Iterator[Module]) -> dict[int, str]:
    """id(module) -> its qualified name inside the outermost module that contains it."""
    names: dict[int, str] = {}
    for root in roots:
        for name, m in root.named_modules():
            names.setdefault(id(m), name or type(root).__name__)
    return names
