"""The backward walk: reachability, dependency counts, a heap on sequence numbers; no recursion."""
from __future__ import annotations

from heapq import heapify, heappop, heappush
from typing import Any, Sequence

from .anomaly import STATE as _ANOMALY
from .anomaly import checked_apply
from .grad_mode import STATE
from .graph import CURRENT as _CURRENT
from .graph import AccumulateGrad, GraphTask, Node, accumulate_grad
from .graph import current_task  # noqa: F401  (read here by ndgrad.viz)


def _collect(roots: Any) -> dict[Node, int]:
    """Count, for every node reachable from roots, how many edges point at it (iteratively;
    the dict doubles as the visited set)."""
    deps = dict.fromkeys(roots, 0)
    stack = list(deps)
    get = deps.get
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None:
                n = get(child)
                if n is None:
                    deps[child] = 1
                    stack.append(child)
                else:
                    deps[child] = n + 1
    return deps


def _needed(deps: dict[Node, int], targets: set[Node]) -> set[Node]:
    """Nodes with a path to a target; children always have smaller sequence numbers."""
    needed: set[Node] = set()
    for node in sorted(deps, key=lambda n: n._seq if type(n) is not AccumulateGrad else -1):
        if node in targets or any(c in needed for c, _ in node.next_functions if c is not None):
            needed.add(node)
    return needed


def _apply_validated(node: Node, grads: list) -> Any:
    return node._backward(grads)


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
    owned: set[int] = set()  # arrays that some .grad may not adopt (the seeds, adopted ones)
    if len(roots) == 1:
        node, nr = roots[0]
        g = root_grads[0]
        buf = buffers[node] = [None] * node.n_outputs
        buf[nr] = g
        owned.add(id(g._data))
    else:
        for (node, nr), g in zip(roots, root_grads):
            buf = buffers.get(node)
            if buf is None:
                buf = buffers[node] = [None] * node.n_outputs
            buf[nr] = g if buf[nr] is None else buf[nr] + g
            owned.add(id(g._data))
    deps = _collect(buffers)
    captured: list = [None] * len(set(captures.values())) if captures else []
    needed = None
    nxt, ready = None, None
    if captures is not None:
        needed = _needed(deps, {n for n, _ in captures})
        heap = [(-n._seq, n) for n in buffers if deps[n] == 0]
        heapify(heap)
    elif len(buffers) == 1:  # one root: it runs first, no heap needed yet
        heap = []
        nxt, ready = node, buffers.pop(node)
    else:
        heap = [(-n._seq, n) for n in buffers if deps[n] == 0]
        heapify(heap)
    prev_mode = STATE.enabled
    STATE.enabled = create_graph
    task, outer_task = GraphTask(deps, needed), _CURRENT.task
    _CURRENT.task = task
    # `nxt`: the next node to run when it is the only one ready (a chain, the root): it skips
    # the heap and the buffer dict; `ready` holds its gradients
    try:
        while True:
            if nxt is not None:
                node, grads, nxt = nxt, ready, None
            elif heap:
                node = heappop(heap)[1]
                grads = buffers.pop(node, None) or [None] * node.n_outputs
            else:
                break
            if type(node) is AccumulateGrad:
                var = node.variable
                if node._hooks is not None or var._hooks:
                    grads = _call_prehooks(node, grads, owned)
                if captures is not None:
                    _capture(node, grads, captures, captured)
                elif accumulate:
                    accumulate_grad(var, grads[0], create_graph, owned)
                if OBSERVER is not None:
                    OBSERVER(node, grads, ())
                continue
            hooks = node._hooks
            if hooks is not None:
                grads = _call_prehooks(node, grads, owned)
            if captures is not None:
                _capture(node, grads, captures, captured)
                if node not in needed:
                    continue
            edges = node.next_functions
            if grads[0] is None if len(grads) == 1 else grads.count(None) == len(grads):
                outs: Sequence = [None] * len(edges)
            else:
                if _ANOMALY.enabled:
                    outs = checked_apply(node, grads, _apply_validated)
                else:
                    outs = node._backward(grads)
                if hooks is not None and hooks.post:
                    for h in list(hooks.post.values()):
                        owned.update(id(g._data) for g in outs if g is not None)
                        r = h(tuple(outs), tuple(grads))
                        if r is not None:
                            outs = list(r)
                            owned.update(id(g._data) for g in outs if g is not None)
            if OBSERVER is not None:
                OBSERVER(node, grads, outs)
            if not retain_graph:
                node._release()
            i = 0
            for child, nr in edges:
                if child is not None:
                    g = outs[i]
                    left = deps[child] - 1
                    deps[child] = left
                    if left == 0:  # its last gradient: it is ready
                        buf = buffers.pop(child, None)
                        if g is not None:
                            if buf is None:
                                buf = [None] * child.n_outputs
                                buf[nr] = g
                            else:
                                old = buf[nr]
                                buf[nr] = g if old is None else old + g
                        if needed is None or child in needed:
                            if buf is None:
                                buf = [None] * child.n_outputs
                            if nxt is None and not heap:
                                nxt, ready = child, buf
                            else:
                                if nxt is not None:  # two ready: both go through the heap
                                    buffers[nxt] = ready
                                    heappush(heap, (-nxt._seq, nxt))
                                    nxt = None
                                buffers[child] = buf
                                heappush(heap, (-child._seq, child))
                        elif buf is not None:
                            buffers[child] = buf
                    elif g is not None:
                        buf = buffers.get(child)
                        if buf is None:
                            buf = buffers[child] = [None] * child.n_outputs
                            buf[nr] = g
                        else:
                            old = buf[nr]
                            buf[nr] = g if old is None else old + g
                i += 1
        for cb in task.callbacks:
            cb()
    finally:
        STATE.enabled = prev_mode
        _CURRENT.task = outer_task
    return captured


def _capture(node: Node, grads: list, captures: dict, captured: list) -> None:
    for nr, g in enumerate(grads):
        slot = captures.get((node, nr))
        if slot is not None and g is not None:
            captured[slot] = g if captured[slot] is None else captured[slot] + g
