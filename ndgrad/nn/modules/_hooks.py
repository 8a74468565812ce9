"""Module.__call__ when hooks are registered: forward pre/post hooks and full backward hooks
(identity autograd Functions around the inputs and outputs, as torch.utils.hooks.BackwardHook)."""
from __future__ import annotations

import warnings
from typing import Any

from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled

_BackwardHookFunction: Any = None


def _identity_function() -> Any:
    """The identity autograd.Function whose node captures a set of gradients at once."""
    global _BackwardHookFunction
    if _BackwardHookFunction is None:
        from ...autograd import Function  # noqa: F401  (needs ndgrad.autograd.Function)

        class BackwardHookFunction(Function):
            @staticmethod
            def forward(ctx: Any, *args: Tensor) -> tuple:
                outs = tuple(a.detach() for a in args)
                ctx.mark_non_differentiable(*[o for o, a in zip(outs, args)
                                              if not a.requires_grad])
                return outs

            @staticmethod
            def backward(ctx: Any, *grads: Any) -> tuple:
                return grads

        _BackwardHookFunction = BackwardHookFunction
    return _BackwardHookFunction


class _BackwardHook:
    """Links the gradients captured at a module's outputs with those at its inputs, then calls
    the user's full backward (pre-)hooks."""

    def __init__(self, module: Any, user_hooks: list, user_pre_hooks: list) -> None:
        self.module, self.user_hooks, self.user_pre_hooks = module, user_hooks, user_pre_hooks
        self.grad_outputs: Any = None
        self.n_outputs = self.n_inputs = -1
        self.output_tensors_index: Any = None
        self.input_tensors_index: Any = None

    @staticmethod
    def _pack(indices: list, values: Any, size: int) -> tuple:
        res: list = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    def _apply_on_tensors(self, fn: Any, args: tuple) -> tuple:
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in idx]
        if not (any(t.requires_grad for t in tensors) and is_grad_enabled()):
            return args, None
        new = _identity_function().apply(*tensors)
        if isinstance(new, Tensor):
            new = (new,)
        grad_fns = [t.grad_fn for t in new if t.grad_fn is not None]
        if not grad_fns:
            raise RuntimeError("Error while setting up backward hooks. Please open an issue with "
                               "a code sample to reproduce this.")
        fn(grad_fns[0])
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return tuple(out), idx

    def setup_input_hook(self, args: tuple) -> tuple:
        def on_node(grad_fn: Any) -> None:
            def hook(grad_input: Any, _: Any) -> Any:
                if self.grad_outputs is None:
                    return None  # the outputs did not take part in this backward
                res = self._pack(self.input_tensors_index, grad_input, self.n_inputs)
                for user_hook in self.user_hooks:
                    out = user_hook(self.module, res, self.grad_outputs)
                    if out is None:
                        continue
                    if len(out) != len(res):
                        raise RuntimeError("Backward hook returned an invalid number of "
                                           f"grad_input, got {len(out)}, but expected {len(res)}")
                    res = out
                self.grad_outputs = None
                return tuple(res[i] for i in self.input_tensors_index)

            grad_fn.register_hook(hook)

        res, idx = self._apply_on_tensors(on_node, args)
        self.n_inputs, self.input_tensors_index = len(args), idx
        return res

    def setup_output_hook(self, result: Any) -> Any:
        def on_node(grad_fn: Any) -> None:
            def hook(_: Any, grad_output: Any) -> Any:
                self.grad_outputs = self._pack(self.output_tensors_index, grad_output,
                                               self.n_outputs)
                for pre_hook in self.user_pre_hooks:
                    new = pre_hook(self.module, self.grad_outputs)
                    if new is None:
                        continue
                    if len(new) != len(self.grad_outputs):
                        raise RuntimeError("Backward pre hook returned an invalid number of "
                                           f"grad_output, got {len(new)}, but expected "
                                           f"{len(self.grad_outputs)}")
                    self.grad_outputs = new
                local = self.grad_outputs
                if self.input_tensors_index is None:
                    warnings.warn("Full backward hook is firing when gradients are computed with "
                                  "respect to module outputs since no inputs require gradients. "
                                  "See https://docs.pytorch.org/docs/main/generated/torch.nn."
                                  "Module.html#torch.nn.Module.register_full_backward_hook for "
                                  "more details.", stacklevel=5)
                    grad_inputs = self._pack([], [], self.n_inputs)
                    for user_hook in self.user_hooks:
                        res = user_hook(self.module, grad_inputs, self.grad_outputs)
                        if res is not None and not (isinstance(res, tuple)
                                                    and all(r is None for r in res)):
                            raise RuntimeError("Backward hook for Modules where no input "
                                               "requires gradient should always return None or "
                                               "None for all gradients.")
                    self.grad_outputs = None
                if local is not None:
                    return tuple(local[i] for i in self.output_tensors_index)
                return None

            grad_fn.register_hook(hook)

        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, idx = self._apply_on_tensors(on_node, args)
        self.n_outputs, self.output_tensors_index = len(args), idx
        return res if is_tuple else res[0]


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """Module._call_impl's slow path, in torch's order: pre-hooks, input backward hooks,
    forward, forward hooks, output backward hooks."""
    result = None
    called_always: set = set()
    try:
        hooks = list(module._backward_hooks.values())
        full_hooks = hooks if module._is_full_backward_hook else []
        old_hooks = hooks if module._is_full_backward_hook is False else []
        pre_bw_hooks = list(module._backward_pre_hooks.values())
        for hook_id, hook in list(module._forward_pre_hooks.items()):
            if hook_id in module._forward_pre_hooks_with_kwargs:
                out = hook(module, args, kwargs)
                if out is not None:
                    if isinstance(out, tuple) and len(out) == 2:
                        args, kwargs = out
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {out}.")
            else:
                out = hook(module, args)
                if out is not None:
                    args = out if isinstance(out, tuple) else (out,)
        bw_hook = None
        if full_hooks or pre_bw_hooks:
            bw_hook = _BackwardHook(module, full_hooks, pre_bw_hooks)
            args = bw_hook.setup_input_hook(args)
        result = module.forward(*args, **kwargs)
        for hook_id, hook in list(module._forward_hooks.items()):
            if hook_id in module._forward_hooks_always_called:
                called_always.add(hook_id)
            if hook_id in module._forward_hooks_with_kwargs:
                out = hook(module, args, kwargs, result)
            else:
                out = hook(module, args, result)
            if out is not None:
                result = out
        if bw_hook is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a Tensor "
                              f"or a tuple of Tensors but received {type(result)}", stacklevel=2)
            result = bw_hook.setup_output_hook(result)
        if old_hooks:
            var = result
            while not isinstance(var, Tensor):
                var = (next(v for v in var.values() if isinstance(v, Tensor))
                       if isinstance(var, dict) else var[0])
            if var.grad_fn is not None:
                for hook in old_hooks:
                    var.grad_fn.register_hook(
                        lambda gi, go, hook=hook: hook(module, gi, go))
        return result
    except Exception:
        for hook_id, hook in module._forward_hooks.items():
            if hook_id in module._forward_hooks_always_called and hook_id not in called_always:
                try:
                    if hook_id in module._forward_hooks_with_kwargs:
                        out = hook(module, args, kwargs, result)
                    else:
                        out = hook(module, args, result)
                    if out is not None:
                        result = out
                except Exception as e:
                    warnings.warn("module forward hook with ``always_call=True`` raised an "
                                  "exception that was silenced as another error was raised in "
                                  f"forward: {e}", stacklevel=2)
        raise
