"""Graph nodes: the Node base, AccumulateGrad for leaves, hook handles, sequence numbers."""
from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from .._broadcast import sum_to
from .._dtype import from_numpy_dtype
from .._hooks import RemovableHandle
from .._tensor import Tensor
from . import saved_hooks

_seq = itertools.count()
next_sequence_nr = _seq.__next__
ACCUMULATE_SEQ = 1 << 62  # added to an AccumulateGrad's sequence number: it runs once ready


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

    def _backward(self, grads: list) -> Any:
        """apply, then the engine's checks of what it returned (OpNode fuses the two)."""
        return validate(self, self.apply(grads))

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

    def __repr__(self) -> str:  # the class name: AccumulateGrad, not its name() (as torch)
        return f"<{type(self).__name__} object at {hex(id(self))}>"


def validate(node: Node, grads: Sequence[Any]) -> Sequence[Any]:
    """Sum a broadcast gradient back to its input's shape and cast it to the input's dtype."""
    if len(grads) != len(node.next_functions):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(node.next_functions)}, got {len(grads)})")
    i = 0
    for m in node._meta:
        g = grads[i]
        if g is not None and m is not None:
            d = g._data
            if d.shape != m[0] or d.dtype != m[1]:
                if type(grads) is not list:
                    grads = list(grads)
                grads[i] = conform(node, i, g, m)
        i += 1
    return grads


def conform(node: Node, i: int, g: Any, meta: tuple) -> Any:
    shape, dt = meta
    if g._data.shape != shape:
        try:
            g = sum_to(g, shape)
        except ValueError:
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{list(g._data.shape)} but expected shape compatible with {list(shape)}"
            ) from None
    if g._data.dtype != dt:
        if g._data.dtype.kind == "c" and dt.kind != "c":
            g = g.real  # a real input of a complex computation: torch's handle_r_to_c
        if g._data.dtype != dt:
            g = g.to(from_numpy_dtype(dt))
    return g


class AccumulateGrad(Node):
    """The node at a leaf: adds the incoming gradient to `variable.grad`.

    As in torch, the accumulator holds its leaf and the leaf refers to its accumulator weakly:
    `variable` is the leaf for as long as a graph uses it (torchviz reads it), and no cycle forms.
    """

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        self.next_functions = ()
        self._seq = ACCUMULATE_SEQ + next_sequence_nr()  # run as soon as ready, as torch does
        self._hooks = None
        self.variable = variable
        self._meta = ((variable._data.shape, variable._data.dtype),)

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def _tensor_hooks(self, output_nr: int) -> Any:
        return self.variable._hooks

    def apply(self, grads: list) -> tuple:
        accumulate_grad(self.variable, grads[0], False, set())
        return ()


def accumulate_grad(var: Any, grad: Any, create_graph: bool, owned: set) -> None:
    """var.grad += grad, as torch's AccumulateGrad: in place unless create_graph.

    `owned` holds ids of arrays already handed to some .grad in this pass (or given by the user),
    which must be copied rather than adopted.
    """
    if grad is None:
        return
    old = var._grad
    if old is None:
        if create_graph:
            if grad._view is not None:  # .grad owns its memory and is not a view (as torch's)
                grad = Tensor._make(grad._data.copy(), grad._requires_grad, grad.grad_fn,
                                    grad._output_nr)
            var._grad = grad
        else:
            arr = grad._data
            if id(arr) in owned or arr.base is not None or not arr.flags.writeable:
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


def gradient_edge(t: Any) -> tuple:
    """(node, output_nr) where t's gradient enters the graph: its grad_fn, or its AccumulateGrad;
    (None, 0) for a view made in no_grad mode of a base that requires grad (as torch, such a
    view requires grad but no gradient flows from it)."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._view is not None and t._view.base._requires_grad:
        return (None, 0)
    return (t._get_accumulator(), 0)


def _get_accumulator(self: Tensor) -> AccumulateGrad:
    """The AccumulateGrad node of a leaf: the same one while any graph holds it (the leaf
    refers to it weakly, the node holds the leaf)."""
    ref = self._accumulator
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(self)
        self._accumulator = weakref.ref(acc)
    return acc


Tensor._get_accumulator = _get_accumulator  # the graph gives leaves their node


class GraphTask:
    """One backward pass: callbacks queued during it run when it finishes; the nodes it reaches
    (deps) and, when it captures gradients, the ones it runs (needed)."""

    __slots__ = ("callbacks", "deps", "needed", "__weakref__")

    def __init__(self, deps: dict, needed: set | None) -> None:
        self.callbacks: list = []
        self.deps, self.needed = deps, needed


class _Current(threading.local):
    task: GraphTask | None = None


CURRENT = _Current()


def current_task() -> GraphTask | None:
    """The backward pass running on this thread (None outside backward)."""
    return CURRENT.task


def will_execute(node: Node) -> bool:
    """Whether the backward pass running on this thread runs `node` (torch's
    _will_engine_execute_node)."""
    task = CURRENT.task
    if task is None:
        raise RuntimeError("_will_engine_execute_node should only be called during the backward "
                           "pass")
    return node in task.deps and (task.needed is None or node in task.needed)


# *** public graph utilities (torch.autograd.graph) ***

class GradientEdge(tuple):
    """(node, output_nr): where the gradient of a tensor enters the graph."""

    def __new__(cls, node: Any, output_nr: int) -> "GradientEdge":
        return super().__new__(cls, (node, output_nr))

    @property
    def node(self) -> Any:
        return self[0]

    @property
    def output_nr(self) -> int:
        return self[1]


def get_gradient_edge(tensor: Any) -> GradientEdge:
    """The edge a tensor's gradient flows into (its grad_fn, or its AccumulateGrad).

    Example::
        >>> x = ndgrad.ones(2, requires_grad=True)
        >>> get_gradient_edge(x).node.name()
        'torch::autograd::AccumulateGrad'
    """
    if not tensor._requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    fn = tensor.grad_fn
    return GradientEdge(fn, tensor._output_nr) if fn is not None else GradientEdge(
        tensor._get_accumulator(), 0)


class saved_tensors_hooks:
    """Pack tensors when the graph saves them and unpack them when backward needs them.

    Example::
        >>> with saved_tensors_hooks(lambda t: t.detach().numpy().copy(), ndgrad.from_numpy):
        ...     y = ndgrad.ones(2, requires_grad=True).exp()
    """

    def __init__(self, pack_hook: Callable, unpack_hook: Callable) -> None:
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self) -> "saved_tensors_hooks":
        saved_hooks.push(self.pack_hook, self.unpack_hook)
        return self

    def __exit__(self, *exc: object) -> None:
        saved_hooks.pop()


class save_on_cpu(saved_tensors_hooks):
    """Keep saved tensors in (pinned) host memory; on CPU-only ndgrad a copy on the host."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack(t: Any) -> Any:
            return (t._data.copy(), t._requires_grad)

        def unpack(packed: Any) -> Any:
            return Tensor._make(packed[0])

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Make any use of saved_tensors_hooks inside this block raise RuntimeError(error_message)."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message
        self.prev: str | None = None

    def __enter__(self) -> None:
        stack = saved_hooks.STACK
        self.prev, stack.disabled = stack.disabled, self.error_message

    def __exit__(self, *exc: object) -> None:
        saved_hooks.STACK.disabled = self.prev


def register_multi_grad_hook(tensors: Any, fn: Callable, *, mode: str = "all") -> RemovableHandle:
    """Call fn once per backward pass. "all": with the list of the gradients of `tensors`, as
    soon as every one of them that this pass computes has arrived (None for the others); "any":
    with the first of them to arrive.

    Example::
        >>> a, b = ndgrad.ones(2, requires_grad=True), ndgrad.ones(2, requires_grad=True)
        >>> h = register_multi_grad_hook((a, b), lambda gs: print([g is None for g in gs]))
        >>> (a * 2).sum().backward()
        [False, True]
    """
    tensors = list(tensors)
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    per_task: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    if mode == "any":
        def any_hook(grad: Any) -> None:
            task = current_task()
            if task not in per_task:
                per_task[task] = True
                fn(grad)

        handles = [t.register_hook(any_hook) for t in tensors if t._requires_grad]
        return _MultiHandle(handles)
    nodes = []  # where each tensor's gradient arrives: its grad_fn, or a leaf's AccumulateGrad
    for t in tensors:
        node = t.grad_fn
        if node is None and t._requires_grad:
            node = t._get_accumulator()
        if node is None:
            raise AssertionError("Expected gradient function to be set")
        nodes.append(node)

    def all_hook(i: int) -> Callable:
        def hook(grad: Any) -> None:
            task = current_task()
            state = per_task.get(task)
            if state is None:  # [calls so far, calls expected, gradients]
                expected = sum(will_execute(n) for n in nodes)
                state = per_task[task] = [0, expected, [None] * len(tensors)]
            state[2][i] = grad
            state[0] += 1
            if state[0] == state[1]:
                del per_task[task]
                fn(state[2])

        return hook

    return _MultiHandle([t.register_hook(all_hook(i)) for i, t in enumerate(tensors)])


class _MultiHandle(RemovableHandle):
    """The handle of a multi-grad hook: removes the hook from every tensor."""

    def __init__(self, handles: list) -> None:  # noqa: D401 - a handle over several handles
        self.id = -1
        self._store = {}
        self._handles = handles

    def remove(self) -> None:
        for h in self._handles:
            h.remove()


def summary(tensor: Any) -> "GraphSummary":
    """A report of the graph behind `tensor`: every node, the arrays it saved and their bytes,
    what backward() frees and what retain_graph=True keeps alive.

    Example::
        >>> x = ndgrad.ones(1000, requires_grad=True)
        >>> print(summary((x.exp() * x).sum()))  # doctest: +SKIP
    """
    return GraphSummary(tensor)


class GraphSummary:
    """The rows of `summary`, and totals; `str()` gives a table."""

    def __init__(self, tensor: Any) -> None:
        self.rows: list[tuple[str, int, int, bool]] = []  # name, arrays, bytes, freed by backward
        root = tensor.grad_fn
        seen, stack = set(), [root] if root is not None else []
        counted: set = set()  # an array saved by two nodes is counted once, at the first
        while stack:
            node = stack.pop()
            if node is None or node in seen:
                continue
            seen.add(node)
            arrays = [a for a in _saved_arrays(node) if id(a) not in counted]
            counted.update(id(a) for a in arrays)
            nbytes = sum(a.nbytes for a in arrays)
            frees = bool(arrays) and type(node).__name__ != "AccumulateGrad"
            self.rows.append((node.name(), len(arrays), nbytes, frees))
            stack.extend(c for c, _ in node.next_functions if c is not None)
        self.saved_bytes = sum(r[2] for r in self.rows)
        self.freed_by_backward = sum(r[2] for r in self.rows if r[3])

    def __str__(self) -> str:
        lines = [f"{'node':<40}{'saved arrays':>14}{'bytes':>12}"]
        for name, n, b, _ in self.rows:
            lines.append(f"{name:<40}{n:>14}{b:>12}")
        lines.append(f"{len(self.rows)} nodes; {self.saved_bytes} bytes saved for backward: "
                     f"backward() frees {self.freed_by_backward} bytes, retain_graph=True keeps "
                     f"all {self.saved_bytes}")
        return "\n".join(lines)

    __repr__ = __str__


def _saved_arrays(node: Any) -> list:
    saved = getattr(node, "_saved", None)
    out, seen = [], set()
    for entry in saved or ():
        items = entry if isinstance(entry, tuple) else (entry,)
        for v in items:
            arr = v._data if isinstance(v, Tensor) else v
            if isinstance(arr, np.ndarray) and id(arr) not in seen:
                seen.add(id(arr))
                out.append(arr)
    return out
