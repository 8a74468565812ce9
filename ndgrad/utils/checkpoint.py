"""Activation checkpointing: drop what a block saves for backward and recompute it there."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import _random
from .._tensor import Tensor
from ..autograd.engine import current_task
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..autograd.graph import saved_tensors_hooks


class _Frame:
    """State of one checkpointed call: how to rerun it, and what the rerun saved."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict, rng_state: Any) -> None:
        self.fn, self.args, self.kwargs, self.rng_state = fn, args, kwargs, rng_state
        self.count = 0
        self.recomputed: dict[bool, list] = {}  # by create_graph

    def unpack(self, index: int) -> Tensor:
        # a create_graph backward (grad mode on) needs the recomputed values in the graph of the
        # real inputs, so that they can be differentiated again; a plain one does not
        create_graph = is_grad_enabled()
        if create_graph not in self.recomputed:
            self.recompute(create_graph)
        return self.recomputed[create_graph][index]

    def recompute(self, create_graph: bool) -> None:
        saved: list = []

        def pack(t: Tensor) -> Tensor:
            saved.append(t)
            return t

        detached = self.args if create_graph else tuple(
            a.detach().requires_grad_(a._requires_grad) if isinstance(a, Tensor) else a
            for a in self.args)
        state = _random.default_generator.get_state() if self.rng_state is not None else None
        try:
            if self.rng_state is not None:
                _random.default_generator.set_state(self.rng_state)
            with enable_grad(), saved_tensors_hooks(pack, lambda t: t):
                self.fn(*detached, **self.kwargs)
        finally:
            if state is not None:
                _random.default_generator.set_state(state)
        self.recomputed[create_graph] = saved


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Any = None, determinism_check: str = "default", debug: bool = False,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """Run function(*args) without keeping its saved activations; backward recomputes them
    (replaying the random state, so dropout masks are identical).

    Example::
        >>> x = ndgrad.randn(4, requires_grad=True)
        >>> y = checkpoint(lambda t: t.sin().exp(), x, use_reentrant=False)
        >>> y.sum().backward()
    """
    rng = _random.default_generator.get_state() if preserve_rng_state else None
    if use_reentrant is None:
        import warnings

        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. use_reentrant=False is recommended, but if you need to "
                      "preserve the current default behavior, you can pass use_reentrant=True.",
                      UserWarning, stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return CheckpointFunction.apply(function, rng, *args)
    frame = _Frame(function, args, kwargs, rng)

    def pack(t: Tensor) -> int:
        index = frame.count
        frame.count += 1
        return index  # a placeholder instead of the activation

    with saved_tensors_hooks(pack, frame.unpack):
        return function(*args, **kwargs)


class CheckpointFunction(Function):
    """use_reentrant=True: forward under no_grad, backward reruns the block and backprops it."""

    @staticmethod
    def forward(ctx: Any, run: Callable, rng: Any, *args: Any) -> Any:
        ctx.run, ctx.rng = run, rng
        ctx.inputs = args
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        return run(*args)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        from .. import autograd

        task = current_task()
        if task is not None and task.needed is not None:
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or "
                "passing an `inputs` parameter to .backward(). To resolve this error, you can "
                "either set use_reentrant=False, or call .backward() without passing the `inputs` "
                "argument.")
        ctx.saved_tensors  # raises if the graph was freed
        detached = [a.detach().requires_grad_(a._requires_grad) if isinstance(a, Tensor) else a
                    for a in ctx.inputs]
        state = _random.default_generator.get_state()
        try:
            if ctx.rng is not None:
                _random.default_generator.set_state(ctx.rng)
            with enable_grad():
                outs = ctx.run(*detached)
        finally:
            _random.default_generator.set_state(state)
        outs = outs if isinstance(outs, tuple) else (outs,)
        pairs = [(o, g) for o, g in zip(outs, grads) if isinstance(o, Tensor) and o._requires_grad]
        autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(a.grad if isinstance(a, Tensor) else None for a in detached)


def checkpoint_sequential(functions: Any, segments: int, input: Tensor,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Tensor:
    """Checkpoint a Sequential (or list of functions) in `segments` chunks; the last chunk runs
    normally.

    Example::
        >>> fns = [lambda t: t * 2, lambda t: t.sin(), lambda t: t.exp()]
        >>> checkpoint_sequential(fns, 2, ndgrad.ones(2, requires_grad=True), use_reentrant=False)
        ... # doctest: +SKIP
    """
    fns = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = len(fns) // segments if segments else len(fns)
    end = -1

    def run(start: int, stop: int) -> Callable:
        def forward(x: Tensor) -> Tensor:
            for f in fns[start:stop + 1]:
                x = f(x)
            return x

        return forward

    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(fns) - 1)(input)
