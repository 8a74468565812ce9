"""Graph nodes: the Node base, AccumulateGrad for leaves, hook handles, sequence numbers."""
from __future__ import annotations

import itertools
import weakref
from typing import Any, Callable

_seq = itertools.count()
next_sequence_nr = _seq.__next__


class RemovableHandle:
    """Returned by every register_*hook; `.remove()` unregisters the hook."""

    _ids = itertools.count()
    __slots__ = ("_store", "id")

    def __init__(self, store: dict, hook: Callable) -> None:
        self.id = next(RemovableHandle._ids)
        self._store = store
        store[self.id] = hook

    def remove(self) -> None:
        self._store.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class NodeHooks:
    """Hooks and metadata of a node, created on first use (most nodes never have any)."""

    __slots__ = ("pre", "post", "tensor_pre", "retains", "metadata")

    def __init__(self) -> None:
        self.pre: dict = {}
        self.post: dict = {}
        self.tensor_pre: dict = {}  # output_nr -> {id: hook}
        self.retains: dict = {}  # output_nr -> weakref of a tensor that retains its grad
        self.metadata: dict = {}


class Node:
    """A backward function in the graph (torch.autograd.graph.Node).

    `next_functions` holds one `(node, output_nr)` edge per differentiable input, `(None, 0)`
    for inputs that need no gradient. Subclasses implement `apply(grads) -> grads`.
    """

    __slots__ = ("next_functions", "_seq", "_meta", "_hooks", "__weakref__")
    n_outputs = 1

    def __init__(self) -> None:
        self.next_functions: tuple = ()
        self._seq = next_sequence_nr()
        self._meta: tuple = ()  # per input: (shape, numpy dtype) or None
        self._hooks: NodeHooks | None = None

    def name(self) -> str:
        return type(self).__name__

    def _extra(self) -> NodeHooks:
        if self._hooks is None:
            self._hooks = NodeHooks()
        return self._hooks

    @property
    def metadata(self) -> dict:
        return self._extra().metadata

    def apply(self, grads: list) -> tuple:
        raise NotImplementedError

    def _release(self) -> None:
        """Free saved tensors after a backward that did not ask to retain the graph."""

    def __call__(self, *grads: Any) -> Any:
        out = self.apply(list(grads))
        return out[0] if len(out) == 1 else tuple(out)

    # *** hooks ***

    def register_hook(self, fn: Callable) -> RemovableHandle:
        """fn(grad_inputs, grad_outputs) after this node ran; may return new grad_inputs."""
        return RemovableHandle(self._extra().post, fn)

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """fn(grad_outputs) before this node runs; may return new grad_outputs."""
        return RemovableHandle(self._extra().pre, fn)

    def _register_tensor_prehook(self, output_nr: int, fn: Callable) -> RemovableHandle:
        return RemovableHandle(self._extra().tensor_pre.setdefault(output_nr, {}), fn)

    def _retain_grad(self, output_nr: int, tensor_ref: Any) -> None:
        self._extra().retains[output_nr] = tensor_ref

    def _tensor_hooks(self, output_nr: int) -> Any:
        return self._hooks.tensor_pre.get(output_nr) if self._hooks is not None else None

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


class AccumulateGrad(Node):
    """The node at a leaf: adds the incoming gradient to `variable.grad`.

    The leaf owns its accumulator and the accumulator refers back weakly, so there is no cycle.
    """

    __slots__ = ("_variable",)

    def __init__(self, variable: Any) -> None:
        self.next_functions = ()
        self._seq = 1 << 62  # run as soon as ready, as torch does
        self._hooks = None
        self._variable = weakref.ref(variable)
        self._meta = ((variable._data.shape, variable._data.dtype),)

    @property
    def variable(self) -> Any:
        return self._variable()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def _tensor_hooks(self, output_nr: int) -> Any:
        var = self._variable()
        return var._hooks if var is not None else None

    def apply(self, grads: list) -> tuple:
        var = self._variable()
        if var is not None:
            accumulate_grad(var, grads[0], False, set())
        return ()


def accumulate_grad(var: Any, grad: Any, create_graph: bool, owned: set) -> None:
    """var.grad += grad, as torch's AccumulateGrad: in place unless create_graph.

    `owned` holds ids of arrays already handed to some .grad in this pass (or given by the user),
    which must be copied rather than adopted.
    """
    from .._tensor import Tensor

    if grad is None:
        return
    old = var._grad
    if old is None:
        if create_graph:
            var._grad = grad
        else:
            arr = grad._data
            if arr.base is not None or id(arr) in owned or not arr.flags.writeable:
                arr = arr.copy()
            owned.add(id(arr))
            var._grad = Tensor._make(arr)
    elif create_graph or old._requires_grad:
        var._grad = old + grad
    else:
        if old._data.flags.writeable and old._data.base is None:
            old._data += grad._data
        else:
            old._data = old._data + grad._data
        old._vc[0] += 1
    hooks = var._post_acc_hooks
    if hooks:
        for h in list(hooks.values()):
            h(var)
