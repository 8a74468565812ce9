"""The backward walk: reachability, dependency counts, a heap on sequence numbers; no recursion."""
from __future__ import annotations

import heapq
from typing import Any, Sequence

from .._broadcast import sum_to
from .._dtype import from_numpy_dtype
from .anomaly import STATE as _ANOMALY
from .anomaly import checked_apply
from .grad_mode import STATE
from .graph import CURRENT as _CURRENT
from .graph import AccumulateGrad, GraphTask, Node, accumulate_grad
from .graph import current_task  # noqa: F401  (read here by ndgrad.viz)


def _collect(roots: list[Node]) -> dict[Node, int]:
    """Count, for every node reachable from roots, how many edges point at it (iteratively)."""
    deps: dict[Node, int] = {}
    seen = set(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            deps[child] = deps.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    for r in roots:
        deps.setdefault(r, 0)
    return deps


def _needed(deps: dict[Node, int], targets: set[Node]) -> set[Node]:
    """Nodes with a path to a target; children always have smaller sequence numbers."""
    needed: set[Node] = set()
    for node in sorted(deps, key=lambda n: n._seq if type(n) is not AccumulateGrad else -1):
        if node in targets or any(c in needed for c, _ in node.next_functions if c is not None):
            needed.add(node)
    return needed


def _validate(node: Node, grads: Sequence[Any]) -> list:
    """Sum a broadcast gradient back to its input's shape and cast it to the input's dtype."""
    out = list(grads)
    if len(out) != len(node.next_functions):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(node.next_functions)}, got {len(out)})")
    for i, m in enumerate(node._meta):
        g = out[i]
        if g is None or m is None:
            continue
        d = g._data
        if d.shape != m[0] or d.dtype != m[1]:
            out[i] = _conform(node, i, g, m)
    return out


def _conform(node: Node, i: int, g: Any, meta: tuple) -> Any:
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


def _apply_validated(node: Node, grads: list) -> list:
    return _validate(node, node.apply(grads))


def _call_prehooks(node: Node, grads: list, seen: set) -> list:
    """Tensor hooks, then retain_grad, then node pre-hooks: torch's order. The arrays handed to
    user code go into `seen`: a hook may keep them, so AccumulateGrad must copy, not adopt them."""
    for nr in range(len(grads)):
        hooks = node._tensor_hooks(nr)
        if hooks:
            for h in list(hooks.values()):
                if grads[nr] is not None:
                    seen.add(id(grads[nr]._data))
                    r = h(grads[nr])
                    if r is not None:
                        grads[nr] = r
                        seen.add(id(r._data))
    extra = node._hooks
    if extra is None:
        return grads
    for nr, ref in extra.retains.items():
        t = ref()
        if t is not None and grads[nr] is not None:
            g = grads[nr]
            t._grad = g.detach().clone() if t._grad is None else t._grad + g
    for h in list(extra.pre.values()):
        seen.update(id(g._data) for g in grads if g is not None)
        r = h(tuple(grads))
        if r is not None:
            grads = list(r)
            seen.update(id(g._data) for g in grads if g is not None)
    return grads


# A read-only observer of the walk (ndgrad.viz sets it while recording; None costs one global
# read per node): OBSERVER(node, grads_in, grads_out) after each node that ran.
OBSERVER: Any = None


def queue_callback(callback: Any) -> None:
    """Run callback() when the running backward pass finishes (torch's
    Variable._execution_engine.queue_callback); DDP waits for its reductions there."""
    if _CURRENT.task is None:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _CURRENT.task.callbacks.append(callback)


def execute(roots: list[tuple[Node, int]], root_grads: list, retain_graph: bool,
            create_graph: bool, captures: dict | None = None, accumulate: bool = True) -> list:
    """Run backward from (node, output_nr) roots seeded with root_grads.

    captures maps (node, output_nr) edges to result slots (autograd.grad, backward(inputs=));
    with captures only the nodes on a path to a captured edge run. Returns the captured grads.
    """
    buffers: dict[Node, list] = {}
    owned: set[int] = set()
    for (node, nr), g in zip(roots, root_grads):
        buf = buffers.setdefault(node, [None] * node.n_outputs)
        buf[nr] = g if buf[nr] is None else buf[nr] + g
        owned.add(id(g._data))
    deps = _collect(list(buffers))
    captured: list = [None] * (len(set(captures.values())) if captures else 0)
    needed = None
    if captures is not None:
        needed = _needed(deps, {n for n, _ in captures})
    heap = [(-n._seq, id(n), n) for n in buffers if deps[n] == 0]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    prev_mode = STATE.enabled
    STATE.enabled = create_graph
    task, outer_task = GraphTask(deps, needed), _CURRENT.task
    _CURRENT.task = task
    try:
        while heap:
            node = pop(heap)[2]
            grads = buffers.pop(node, None) or [None] * node.n_outputs
            if node._hooks is not None or type(node) is AccumulateGrad:
                grads = _call_prehooks(node, grads, owned)
            if captures is not None:
                for nr, g in enumerate(grads):
                    slot = captures.get((node, nr))
                    if slot is not None and g is not None:
                        captured[slot] = g if captured[slot] is None else captured[slot] + g
            if type(node) is AccumulateGrad:
                if accumulate and captures is None:
                    accumulate_grad(node.variable, grads[0], create_graph, owned)
                if OBSERVER is not None:
                    OBSERVER(node, grads, ())
                continue
            if needed is not None and node not in needed:
                continue
            if grads.count(None) == len(grads):
                outs: list = [None] * len(node.next_functions)
            else:
                if _ANOMALY.enabled:
                    outs = checked_apply(node, grads, _apply_validated)
                else:
                    outs = _validate(node, node.apply(grads))
                if node._hooks is not None and node._hooks.post:
                    for h in list(node._hooks.post.values()):
                        owned.update(id(g._data) for g in outs if g is not None)
                        r = h(tuple(outs), tuple(grads))
                        if r is not None:
                            outs = list(r)
                            owned.update(id(g._data) for g in outs if g is not None)
            if OBSERVER is not None:
                OBSERVER(node, grads, outs)
            if not retain_graph:
                node._release()
            for (child, nr), g in zip(node.next_functions, outs):
                if child is None:
                    continue
                if g is not None:
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * child.n_outputs
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                left = deps[child] - 1
                deps[child] = left
                if left == 0 and (needed is None or child in needed):
                    push(heap, (-child._seq, id(child), child))
        for cb in task.callbacks:
            cb()
    finally:
        STATE.enabled = prev_mode
        _CURRENT.task = outer_task
    return captured
