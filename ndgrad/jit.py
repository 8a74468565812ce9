"""torch.jit without TorchScript: script and trace return what they are given (documented no-ops:
a scripted or traced torch module computes what the eager one computes), saving a TorchScript
archive raises."""
from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

from .nn.modules.module import Module

_T = TypeVar("_T")
_NO_TORCHSCRIPT = ("ndgrad has no TorchScript, so it cannot {}: save the model's state_dict with "
                   "ndgrad.save and rebuild the module in Python.")


class Final(Generic[_T]):
    """torch.jit.Final[T]: an annotation for constant module attributes (no effect)."""


def script(obj: Any, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None,
           example_inputs: Any = None) -> Any:
    """torch.jit.script: returns obj unchanged (ndgrad runs Python eagerly).

    Example::
        >>> f = ndgrad.jit.script(lambda x: x + 1)
        >>> f(ndgrad.zeros(1))
        tensor([1.])
    """
    return obj


def trace(func: Any, example_inputs: Any = None, *args: Any, **kwargs: Any) -> Any:
    """torch.jit.trace: returns func unchanged. Unlike a real trace, Python control flow is not
    frozen to the example's path: for code whose path does not depend on the data (what tracing
    supports) the results are the same."""
    return func


def trace_module(mod: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
    return mod


def freeze(mod: Any, preserved_attrs: Any = None, optimize_numerics: bool = True) -> Any:
    return mod


def optimize_for_inference(mod: Any, other_methods: Any = None) -> Any:
    return mod


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """Decorator (with or without arguments) that leaves the function as it is."""
    return drop if callable(drop) else (lambda fn: fn)


def unused(fn: Callable) -> Callable:
    return fn


def export(fn: Callable) -> Callable:
    return fn


def interface(obj: Any) -> Any:
    return obj


def script_method(fn: Callable) -> Callable:
    return fn


def script_if_tracing(fn: Callable) -> Callable:
    return fn


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def annotate(the_type: Any, the_value: Any) -> Any:
    return the_value


def isinstance(obj: Any, target_type: Any) -> bool:  # noqa: A001  (torch's name)
    import builtins

    return builtins.isinstance(obj, target_type)


class _Done:
    """What fork() returns: the call already ran (ndgrad has no inter-op thread pool)."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def wait(self) -> Any:
        return self._value


def fork(func: Callable, *args: Any, **kwargs: Any) -> _Done:
    return _Done(func(*args, **kwargs))


def wait(future: _Done) -> Any:
    return future.wait()


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    raise RuntimeError(_NO_TORCHSCRIPT.format("write a TorchScript archive (torch.jit.save)"))


def load(f: Any, map_location: Any = None, _extra_files: Any = None, **kwargs: Any) -> Any:
    raise RuntimeError(_NO_TORCHSCRIPT.format("read a TorchScript archive (torch.jit.load)"))


class ScriptModule(Module):
    """torch.jit.ScriptModule: a plain nn.Module in ndgrad (subclasses run eagerly); ndgrad
    never produces one, so isinstance(m, ScriptModule) is False for scripted models."""


ScriptFunction = RecursiveScriptModule = TracedModule = TopLevelTracedModule = ScriptModule
