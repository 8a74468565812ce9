"""OpNode, a recorded op: its saved values and their version checks, torch's `_saved_*`
introspection, and where user code saved them (found without resolving a line number)."""
from __future__ import annotations

import inspect
import re
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from .._tensor import Tensor
from ..autograd import saved_hooks as _saved_hooks
from ..autograd.graph import Node, conform

if TYPE_CHECKING:
    from ._registry import OpDef

REGISTRY: Any = None  # the op registry module, bound when it loads (the profiler hook is there)
_PACKED = object()  # marks a saved entry that went through saved_tensors_hooks

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward.")


# *** saved values ***
# A VJP's parameters name what it needs: an input by its forward name (saved as the Tensor),
# `result` (the output, saved without a reference cycle), `<input>_shape` / `<input>_dtype`
# (metadata only), `needs_input_grad`; keyword-only parameters receive the op's attributes.

_PKG = __file__.rsplit("/", 2)[0] + "/"


_INTERNAL = (_PKG, "<ndgrad")  # frames of ndgrad itself (its files and generated wrappers)
_getframe = sys._getframe


def site(frame: Any) -> tuple | None:
    """(code, offset) of the first frame at or above `frame` outside ndgrad: where user code
    called in. O(1) when user code called the op directly; the line number is worked out only
    when a message needs it (site_location)."""
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame = frame.f_back
    return (frame.f_code, frame.f_lasti) if frame is not None else None


def site_location(where: Any) -> tuple[str, int] | None:
    """(file, line) of a site; None stays None."""
    if where is None:
        return None
    code, offset = where
    for start, end, line in code.co_lines():
        if start <= offset < end and line is not None:
            return code.co_filename, line
    return code.co_filename, code.co_firstlineno


def user_site(depth: int = 1) -> tuple | None:
    """The site of the innermost user frame above the caller's frame `depth` levels up."""
    return site(_getframe(depth + 1))


def _version_error(t: Tensor, version: int, expected: int, fn: Any, node: "OpNode") -> str:
    kind = {"float16": "Half", "float32": "Float", "float64": "Double"}.get(t.dtype.name, "")
    head = f"[torch.{kind}Tensor {list(t._data.shape)}]"
    if fn is not None:
        head += f", which is output {t._output_nr} of {re.sub(r'Backward[0-9]*$', '', fn.name())},"
    msg = (f"one of the variables needed for gradient computation has been modified by an "
           f"inplace operation: {head} is at version {version}; expected version {expected} "
           "instead. Hint: enable anomaly detection to find the operation that failed to compute "
           "its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
    saved_at = node._where
    modified_at = site_location(t._vc[1]) if len(t._vc) > 1 else None
    if saved_at is not None:
        msg += f"\nThe tensor was saved for {node.name()} at {saved_at[0]}:{saved_at[1]}"
        msg += (f" and modified in place at {modified_at[0]}:{modified_at[1]}." if modified_at
                else ".")
    return msg


class OpNode(Node):
    """A recorded application of an OpDef; `apply` runs its VJP on the saved values."""

    __slots__ = ("_saved", "_attrs", "_keep", "_site")
    _op: "OpDef"

    @property
    def _where(self) -> tuple[str, int] | None:
        """(file, line) of the user code whose op saved this node's tensors."""
        return site_location(self._site)

    def apply(self, grads: list) -> tuple:
        return self._backward(grads, False)

    def _backward(self, grads: list, validate: bool = True) -> tuple:
        """Run the VJP on the saved values; with validate (the engine's call), sum each
        gradient to its input's shape and cast it to its dtype (graph.validate, fused)."""
        op = self._op
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED_MSG)
        args = []
        for kind, val in zip(op.save_kinds, saved):
            if kind == 0:
                x, version = val
                if version is None:  # a Python number, or an input saved as not needed
                    args.append(x)
                elif x is not _PACKED and x._vc[0] == version:
                    args.append(x)
                elif x is _PACKED:
                    args.append(_saved_hooks.unpack(*version))
                else:
                    raise RuntimeError(_version_error(x, x._vc[0], version, x._grad_fn, self))
            elif kind == 1:
                arr, vc, version, nr, live = val
                if arr is _PACKED:
                    args.append(_saved_hooks.unpack(*vc))
                    continue
                if live is not None:  # forward mode: the output itself, with its tangent
                    t = live
                else:
                    floating = arr.dtype.kind in "fc"
                    t = Tensor._make(arr, floating, self if floating else None, nr)
                    t._vc = vc
                if vc[0] != version:
                    raise RuntimeError(_version_error(t, vc[0], version, self, self))
                args.append(t)
            else:
                args.append(val)
        fn = op.vjp_fn
        if op.n_outputs == 1:
            g = grads[0]
            holo = op.holomorphic
            if holo is not None and holo[0] is fn and g is not None and g._data.dtype.kind != "c":
                fn = holo[1]  # what the wrapper would call: a real gradient passes as it is
        else:
            g = _materialize(grads, saved, op)
        if REGISTRY.PROFILER is not None:  # the node's backward as one event, its ops inside
            out = REGISTRY.PROFILER.run(self.name(), fn, (g, *args), self._attrs, node=True)
        else:
            out = fn(g, *args, **self._attrs)
        if type(out) is not tuple:
            out = (out,)
        if self._keep is not None:
            out = tuple(out[i] for i in self._keep)
        if len(out) != len(self.next_functions):  # one gradient per input, in order
            raise RuntimeError(f"the VJP of '{op.name}' returned {len(out)} gradients for "
                               f"{len(self.next_functions)} inputs")
        if validate:
            i = 0
            for m in self._meta:
                if m is not None:
                    g = out[i]
                    if g is not None:
                        d = g._data
                        if d.shape != m[0] or d.dtype != m[1]:
                            out = list(out)
                            out[i] = conform(self, i, g, m)
                i += 1
        return out

    def _release(self) -> None:
        if self._op.saves_tensors:
            self._saved = None

    def _rerun(self, inputs: tuple, attrs: dict) -> Any:
        """Run this node's op again on other inputs (gradcheck's diagnosis of a wrong rule)."""
        return self._op.run(inputs, attrs)



def saved_properties(op: "OpDef") -> dict[str, property]:
    """torch's introspection of a node (grad_fn._saved_self, _saved_other, _saved_result,
    _saved_self_sym_sizes, _saved_dim ...) as properties of the op's node class. (A __getattr__
    on OpNode would do it in one place, but it makes every attribute read of every node slow.)"""
    keys = set()
    for kind, idx in op.save_specs:
        if kind == "result":
            keys.add(f"result{idx}" if idx else "result")
        elif kind in ("input", "shape"):
            name = op.inputs[idx]
            aliases = (name, "self") if name == "input" else (name,)
            for a in aliases:
                keys.update((a,) if kind == "input" else (a + "_shape", a + "_sym_sizes"))
    keys.update(p for p in inspect.signature(op.forward).parameters if p not in op.inputs)
    return {"_saved_" + k: property(lambda node, k=k: _saved_attribute(node, k)) for k in keys}


def _saved_attribute(node: "OpNode", key: str) -> Any:
    op = node._op
    key = "input" + key[4:] if key.startswith("self") else key
    if key.endswith("_sym_sizes"):
        key = key[:-10] + "_shape"
    for (kind, idx), val in zip(op.save_specs, node._saved or ()):
        name = {"input": op.inputs[idx] if idx is not None else None,
                "result": f"result{idx or ''}" if idx else "result",
                "shape": f"{op.inputs[idx]}_shape" if idx is not None else None,
                "dtype": None, "needs": None}[kind]
        if name == key:
            if kind == "input":
                x = val[0]
                return _saved_hooks.unpack(*val[1]) if x is _PACKED else x
            if kind == "result":
                if val[0] is _PACKED:
                    return _saved_hooks.unpack(*val[1])
                t = Tensor._make(val[0], val[0].dtype.kind in "fc", node, val[3])
                t._vc = val[1]
                return t
            return tuple(val)
    if key in node._attrs:
        return node._attrs[key]
    if node._saved is None and op.saves_tensors:
        raise RuntimeError(_FREED_MSG)
    raise AttributeError(f"'{type(node).__name__}' object has no attribute '_saved_{key}'")


def _materialize(grads: list, saved: Any, op: "OpDef") -> tuple:
    # multi-output ops get zeros for floating outputs that received no gradient
    out_meta = saved[-1]
    return tuple(g if g is not None or meta is None else Tensor._make(np.zeros(*meta))
                 for g, meta in zip(grads, out_meta))
