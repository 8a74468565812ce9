"""torch.autograd.Function: user-defined forward/backward pairs recorded as graph nodes."""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from .. import _creation
from .._dtype import from_numpy_dtype
from .._ops._registry import _FREED_MSG, _version_error
from .._ops.inplace import rebase_view, user_location
from .._tensor import Tensor
from . import forward_ad, saved_hooks
from .anomaly import STATE as _ANOMALY
from .anomaly import on_record
from .grad_mode import STATE, no_grad
from .graph import Node, gradient_edge


class FunctionCtx:
    """The `ctx` of a custom Function (in ndgrad, as in torch, it is the backward node itself)."""

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (or None) for backward; they are checked against in-place changes."""
        self._to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        self._saved_for_forward = tensors

    def mark_dirty(self, *tensors: Any) -> None:
        """Declare inputs that forward modified in place (and returns)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Declare outputs that get no gradient."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """If False, backward receives None (not zeros) for outputs without a gradient."""
        self.materialize_grads = value

    @property
    def saved_tensors(self) -> tuple:
        in_jvp = getattr(self, "_in_jvp", None)
        if in_jvp is not None:  # inside jvp, as torch: the tensors given to save_for_forward
            return in_jvp
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED_MSG)
        out = []
        for entry in saved:
            if entry is None:
                out.append(None)
                continue
            kind, a, b, c = entry
            if kind == "packed":
                out.append(saved_hooks.unpack(a, b))
                continue
            if kind == "output":  # ((output array, output_nr), version counter, version)
                t = Tensor._make(a[0], True, self, a[1])
                t._vc = b
                if b[0] != c:
                    raise RuntimeError(_version_error(t, b[0], c, self, self))
            else:
                t = a
                if t._vc[0] != b:
                    raise RuntimeError(_version_error(t, t._vc[0], b, t._grad_fn, self))
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors


class BackwardCFunction(FunctionCtx, Node):
    """The node of one application of a custom Function; named `<ClassName>Backward`."""

    _forward_cls: type

    def __init__(self) -> None:
        Node.__init__(self)
        self._to_save: tuple = ()
        self._saved: tuple | None = ()
        self._dirty: tuple = ()
        self._non_differentiable: tuple = ()
        self.materialize_grads = True
        self.needs_input_grad: tuple = ()
        self._where = None
        self._out_meta: list = []
        self._tensor_arg_positions: list = []
        self._n_args = 0

    def apply(self, grads: list) -> tuple:
        if self.materialize_grads:
            grads = [g if g is not None or meta is None else
                     _creation.zeros(*meta[0], dtype=from_numpy_dtype(meta[1]))
                     for g, meta in zip(grads, self._out_meta)]
        cls = self._forward_cls
        out = cls.backward(self, *grads)
        if not isinstance(out, tuple):
            out = (out,)
        n = self._n_args
        if len(out) < n or any(g is not None for g in out[n:]):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(out)})")
        positions = set(self._tensor_arg_positions)
        for i, g in enumerate(out[:n]):
            if g is not None and i not in positions:
                raise RuntimeError(f"function {self.name()} returned a gradient different than "
                                   f"None at position {i + 1}, but the corresponding forward input "
                                   "was not a Variable")
        return tuple(out[i] for i in self._tensor_arg_positions)

    def _release(self) -> None:
        self._saved = None

    def __repr__(self) -> str:  # a Python class in torch too: printed with its module
        return f"<{type(self).__module__}.{type(self).__qualname__} object at {hex(id(self))}>"

    def _rerun(self, inputs: tuple, attrs: dict) -> Any:
        """Apply this node's Function again on other inputs (gradcheck's diagnosis)."""
        return self._forward_cls.apply(*inputs, **attrs)


class FunctionMeta(type):
    """Creates `<Name>Backward`, the node class of each Function subclass."""

    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        cls._backward_cls = backward_cls
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Base class of custom differentiable operations (torch.autograd.Function).

    Example::
        >>> class Exp(ndgrad.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, i):
        ...         result = i.exp()
        ...         ctx.save_for_backward(result)
        ...         return result
        ...     @staticmethod
        ...     def backward(ctx, grad_output):
        ...         (result,) = ctx.saved_tensors
        ...         return grad_output * result
        >>> Exp.apply(ndgrad.zeros(2, requires_grad=True)).grad_fn.name()
        'ExpBackward'
    """

    generate_vmap_rule = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions "
                      "are all static, so you should invoke them on the class itself.",
                      DeprecationWarning, stacklevel=2)

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = cls._backward_cls()
        tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx._tensor_arg_positions = tensor_pos
        ctx._n_args = len(args)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        recording = STATE.enabled and any(ctx.needs_input_grad)
        edges = []
        for i in tensor_pos:
            edges.append(gradient_edge(args[i]) if args[i]._requires_grad else (None, 0))
        custom_setup = cls.setup_context is not Function.setup_context
        with no_grad():
            if custom_setup:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        dirty = {id(d) for d in ctx._dirty}
        inputs = {id(a) for a in args if isinstance(a, Tensor)}
        if recording and any(id(o) in inputs and id(o) not in dirty for o in outs):
            # an input returned unchanged becomes a new tensor object (torch returns a view)
            outs = tuple(o.detach() if isinstance(o, Tensor) and id(o) in inputs
                         and id(o) not in dirty else o for o in outs)
            outputs = outs[0] if single else outs
        for d in ctx._dirty:
            if d._requires_grad and d._grad_fn is None and recording:
                raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                   "in-place operation.")
            d._vc[0] += 1
        if recording:
            file, _, line = user_location().rpartition(":")
            ctx._where = (file, line)
            ctx.n_outputs = len(outs)
            ctx.next_functions = tuple(edges)
            ctx._meta = tuple((args[i]._data.shape, args[i]._data.dtype)
                              if args[i]._requires_grad else None for i in tensor_pos)
            nondiff = {id(t) for t in ctx._non_differentiable}
            for nr, o in enumerate(outs):
                if not isinstance(o, Tensor):
                    ctx._out_meta.append(None)
                    continue
                ctx._out_meta.append((o._data.shape, o._data.dtype))
                if id(o) in nondiff or o._data.dtype.kind not in "fc":
                    continue
                o._grad_fn, o._output_nr, o._requires_grad = ctx, nr, True
                if o._view is not None:  # its grad_fn is current as of now (torch's attr_version)
                    o._view.version = o._vc[0]
            for d in ctx._dirty:  # a view written by forward: its base records CopySlices
                if d._view is not None and d._grad_fn is ctx:
                    rebase_view(d, d)
        _save(ctx, outs, recording)
        if forward_ad.LEVELS.stack:
            _forward_ad_jvp(cls, ctx, args, outs)
        if recording and (_ANOMALY.enabled or _ANOMALY.keep_inputs):
            on_record(ctx, args, kwargs)
        return outputs


def _save(ctx: BackwardCFunction, outs: tuple, recording: bool) -> None:
    """Store ctx.save_for_backward's tensors; outputs without a reference back to the node."""
    if not recording:
        ctx._saved = None if not ctx._to_save else ()
        ctx._to_save = ()
        return
    saved = []
    out_ids = {id(o): nr for nr, o in enumerate(outs)}
    for t in ctx._to_save:
        if t is None:
            saved.append(None)
        elif saved_hooks.active():
            saved.append(("packed",) + saved_hooks.pack(t) + (None,))
        elif id(t) in out_ids and t._grad_fn is ctx:
            saved.append(("output", (t._data, out_ids[id(t)]), t._vc, t._vc[0]))
        else:
            saved.append(("input", t, t._vc[0], None))
    ctx._saved = tuple(saved)
    ctx._to_save = ()


def _forward_ad_jvp(cls: type, ctx: Any, args: tuple, outs: tuple) -> None:
    """Give the outputs of a custom Function their tangents from its jvp (torch's contract: one
    tangent per forward argument, zeros for a tensor without one, None for a non-tensor; inside
    jvp, ctx.saved_tensors holds what forward passed to save_for_forward)."""
    tangents = [forward_ad.get_tangent(a) if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in tangents):
        return
    tangents = [_creation.zeros_like(a) if t is None and isinstance(a, Tensor) else t
                for a, t in zip(args, tangents)]
    ctx._in_jvp = tuple(getattr(ctx, "_saved_for_forward", ()))
    try:
        out_t = cls.jvp(ctx, *tangents)
    finally:
        ctx._in_jvp = None
    out_t = out_t if isinstance(out_t, tuple) else (out_t,)
    for o, t in zip(outs, out_t):
        if isinstance(o, Tensor) and t is not None:
            forward_ad.set_tangent(o, t)


class Error(Node):
    """The grad_fn of what a @once_differentiable backward returns when it could be
    differentiated again: running it raises (torch's DelayedError)."""

    __slots__ = ("n_outputs",)

    def __init__(self, n_outputs: int) -> None:
        Node.__init__(self)
        self.n_outputs = n_outputs
        self.next_functions = ((None, 0),) * n_outputs
        self._meta = (None,) * n_outputs

    def name(self) -> str:
        return "torch::autograd::Error"

    def apply(self, grads: list) -> tuple:
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def once_differentiable(fn: Callable) -> Callable:
    """Run a backward with grad disabled. If it could be differentiated again (grad mode on and
    a gradient argument requires grad), its results get a grad_fn that raises when reached."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with no_grad():
            outputs = fn(ctx, *args)
        if not STATE.enabled or not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        err = Error(len(outs))
        outs = tuple(Tensor._make(o._data, True, err, nr) if isinstance(o, Tensor) else o
                     for nr, o in enumerate(outs))
        return outs[0] if single else outs

    return wrapper


class InplaceFunction(Function):
    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace


class NestedIOFunction(Function):
    pass
