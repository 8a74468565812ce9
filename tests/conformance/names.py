"""From torch objects to the ndgrad objects a user would write in their place.

A torch public object (function, class, dtype, namespace) maps to the ndgrad object at the same
dotted path, or to a `Missing` error naming that path. Test code from torch's databases (lambdas,
helper functions, partials) is rebound: its globals and closure cells are mapped the same way, so
`lambda x: torch.foo(x)` calls `ndgrad.foo` and reports `torch.foo` when ndgrad lacks it.
"""
from __future__ import annotations

import dataclasses
import dis
import functools
import operator
import re
import types
import weakref
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

import ndgrad

NDGRAD_DIR = str(Path(ndgrad.__file__).resolve().parent)
# torch namespaces whose public names a user calls; the first to list an object names it
NAMESPACES = ("torch", "torch.nn.functional", "torch.linalg", "torch.special", "torch.fft",
              "torch.masked", "torch.signal.windows", "torch.nn.init", "torch.nn", "torch.functional",
              "torch.autograd", "torch.random")


class Missing(AttributeError):
    """ndgrad lacks something torch has (a name, a dtype, a memory format)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"ndgrad has no {name}")
        self.name = name


def _torch_module(path: str) -> Any:
    obj = torch
    for part in path.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def _build_index() -> dict[int, str]:
    index: dict[int, str] = {}
    for path in NAMESPACES:
        mod = _torch_module(path)
        for name in dir(mod):
            if name.startswith("_"):
                continue
            obj = getattr(mod, name, None)
            if obj is None or isinstance(obj, (int, float, str, bool, types.ModuleType)):
                continue
            index.setdefault(id(obj), f"{path}.{name}")
    for name in dir(torch.Tensor):
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
            continue
        obj = torch.Tensor.__dict__.get(name, getattr(torch.Tensor, name, None))
        if callable(obj):
            index.setdefault(id(obj), f"Tensor.{name}")
            index.setdefault(id(getattr(torch.Tensor, name)), f"Tensor.{name}")
    return index


_INDEX = _build_index()


def torch_path(obj: Any) -> str | None:
    """The public dotted path of a torch object (`torch.add`, `Tensor.add_`), or None."""
    return _INDEX.get(id(obj))


def resolve(path: str) -> Any:
    """The ndgrad object at a torch path (`torch.linalg.inv` -> ndgrad.linalg.inv)."""
    head, *parts = path.split(".")
    obj: Any = ndgrad.Tensor if head == "Tensor" else ndgrad
    for part in parts:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise Missing(path) from None
    return obj


def resolve_or_missing(path: str) -> Any:
    try:
        return resolve(path)
    except Missing as err:
        return err


class MissingCallable:
    """Stands for a torch callable ndgrad lacks; raises Missing only when called."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise Missing(self.name)

    def __getattr__(self, attr: str) -> Any:
        raise Missing(f"{self.name}.{attr}")


class Namespace:
    """A torch namespace as rebound test code sees it: attributes come from ndgrad."""

    def __init__(self, path: str, torch_mod: Any) -> None:
        self._path, self._torch = path, torch_mod
        try:
            self._nd = resolve(path)
        except Missing:
            self._nd = None

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._torch, name)  # AttributeError when torch lacks it too
        path = f"{self._path}.{name}"
        if isinstance(value, types.ModuleType):
            return Namespace(path, value)
        if self._nd is not None and hasattr(self._nd, name):
            return getattr(self._nd, name)
        try:
            mapped = map_value(value)
        except Missing:
            mapped = value
        if mapped is not value or not callable(value):
            return mapped
        return MissingCallable(path)

    def __repr__(self) -> str:
        return f"<ndgrad view of {self._path}>"


# *** values ***

_MEMORY_FORMATS = {torch.contiguous_format: "contiguous_format",
                   torch.preserve_format: "preserve_format", torch.channels_last: "channels_last",
                   torch.channels_last_3d: "channels_last_3d"}


def dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def map_dtype(dtype: torch.dtype) -> Any:
    name = str(dtype).removeprefix("torch.")
    nd = getattr(ndgrad, name, None)
    if not isinstance(nd, ndgrad.dtype):
        raise Missing(f"dtype torch.{name}")
    try:
        nd.np
    except TypeError:  # named only to be refused (bfloat16)
        raise Missing(f"dtype torch.{name}") from None
    return nd


def map_generator(gen: torch.Generator) -> Any:
    nd_gen = ndgrad.Generator()
    nd_gen.set_state(gen.get_state().numpy())
    return nd_gen


# keyed by the function itself: sample lambdas die young and their ids are reused
_REBOUND: "weakref.WeakKeyDictionary[types.FunctionType, types.FunctionType]" = \
    weakref.WeakKeyDictionary()
_SUBSTITUTES: dict[int, Callable] = {}


def substitute(torch_obj: Any) -> Callable:
    """Register the harness's stand-in for a torch testing helper (e.g. wrapper_set_seed)."""
    def register(fn: Callable) -> Callable:
        _SUBSTITUTES[id(torch_obj)] = fn
        return fn
    return register


def map_value(value: Any) -> Any:
    """The ndgrad counterpart of a non-tensor value found in torch test code or samples."""
    if isinstance(value, complex):
        map_dtype(torch.complex128)  # a complex scalar makes complex results
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, slice,
                                           type(Ellipsis), np.ndarray, np.generic)):
        return value
    if id(value) in _SUBSTITUTES:
        return _SUBSTITUTES[id(value)]
    if isinstance(value, torch.dtype):
        return map_dtype(value)
    if isinstance(value, torch.Size):
        return ndgrad.Size(value)
    if isinstance(value, torch.device):
        return ndgrad.device(str(value))
    if isinstance(value, torch.memory_format):
        return resolve(f"torch.{_MEMORY_FORMATS[value]}")
    if isinstance(value, torch.layout):
        return resolve(str(value))
    if isinstance(value, torch.Generator):
        return map_generator(value)
    if isinstance(value, types.ModuleType):
        return Namespace(value.__name__, value) if value.__name__.split(".")[0] == "torch" else value
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(map_value(v) for v in value)
    if isinstance(value, list):
        return [map_value(v) for v in value]
    if isinstance(value, dict):
        return {k: map_value(v) for k, v in value.items()}
    if isinstance(value, functools.partial):
        return functools.partial(map_value(value.func), *map_value(value.args),
                                 **map_value(value.keywords))
    path = _INDEX.get(id(value))
    if path is not None:
        found = resolve_or_missing(path)
        if isinstance(found, Missing):
            return MissingCallable(path) if callable(value) else _raise(found)
        return found
    if isinstance(value, types.FunctionType):
        module = value.__module__ or ""
        if module.startswith("torch.testing"):
            return rebind(value)
        return value
    if isinstance(value, torch.Tensor):  # a constant captured by test code
        return tensor_counterpart(value)
    if isinstance(value, torch.nn.Module):  # a module argument (TransformerEncoder's layer)
        return module_counterpart(value)
    if type(value).__module__.startswith("torch.testing"):  # test metadata (the OpInfo that
        return value                                         # a sample's out_fn closes over)
    if type(value).__module__.split(".")[0] == "torch" and not isinstance(value, type):
        path = f"{type(value).__module__}.{type(value).__qualname__}"
        if dataclasses.is_dataclass(value):  # an options record: ndgrad's class at torch's path
            nd_cls = resolve(path)
            return nd_cls(**{f.name: map_value(getattr(value, f.name))
                             for f in dataclasses.fields(value) if f.init})
        raise Missing(path)
    return value


# *** tensors and modules ***

def tensor_counterpart(t: torch.Tensor) -> Any:
    """A contiguous ndgrad copy of a torch tensor (parameters, constants in test code)."""
    map_dtype(t.dtype)
    return ndgrad.from_numpy(t.detach().numpy(force=True).copy())


def module_counterpart(module: torch.nn.Module) -> Any:
    """An ndgrad module built as the torch one was (see modules.record_constructors)."""
    ctor = getattr(module, "_conformance_ctor", None)
    if ctor is None:
        raise Missing(f"a way to rebuild {type(module).__name__} (constructor not recorded)")
    cls, args, kwargs = ctor
    nd_cls = resolve(f"torch.nn.{cls.__name__}")
    nd_module = nd_cls(*map_value(args), **map_value(kwargs))
    copy_state(module, nd_module)
    return nd_module


def copy_state(torch_module: torch.nn.Module, nd_module: Any) -> None:
    """Copy torch's parameters and buffers into the ndgrad module (names must match)."""
    t_state = dict(torch_module.named_parameters())
    t_state.update(torch_module.named_buffers())
    n_state = dict(nd_module.named_parameters())
    n_state.update(nd_module.named_buffers())
    if set(t_state) != set(n_state):
        only_t = sorted(set(t_state) - set(n_state))
        only_n = sorted(set(n_state) - set(t_state))
        raise StateMismatch(f"parameters/buffers differ: torch only {only_t}, ndgrad only {only_n}")
    for name, t in t_state.items():
        n = n_state[name]
        if tuple(t.shape) != tuple(n.shape):
            raise StateMismatch(f"{name}: torch shape {tuple(t.shape)}, ndgrad {tuple(n.shape)}")
        if dtype_name(t.dtype) != dtype_name(n.dtype):
            raise StateMismatch(f"{name}: torch dtype {t.dtype}, ndgrad {n.dtype}")
        with ndgrad.no_grad():
            n.copy_(tensor_counterpart(t))


class StateMismatch(AssertionError):
    """The ndgrad module's parameters or buffers do not line up with torch's."""


def _raise(err: Exception) -> Any:
    raise err


def _global_names(code: types.CodeType) -> set[str]:
    """The global names code (and the functions nested in it) reads."""
    names = {ins.argval for ins in dis.get_instructions(code)
             if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def rebind(fn: types.FunctionType) -> types.FunctionType:
    """fn with its torch globals, closure cells and defaults replaced by ndgrad's."""
    if fn in _REBOUND:
        return _REBOUND[fn]
    globals_ = dict(fn.__globals__)
    cells = None
    if fn.__closure__:
        cells = tuple(types.CellType() for _ in fn.__closure__)
    new = types.FunctionType(fn.__code__, globals_, fn.__name__, None, cells)
    _REBOUND[fn] = new
    new.__qualname__ = fn.__qualname__
    for name in _global_names(fn.__code__):
        if name in globals_:
            try:
                globals_[name] = map_value(globals_[name])
            except Missing as err:  # reported if the code gets to use it
                globals_[name] = MissingCallable(err.name)
    if fn.__closure__:
        for old, cell in zip(fn.__closure__, cells):
            try:
                cell.cell_contents = map_value(old.cell_contents)
            except ValueError:  # an empty cell (a name bound later)
                pass
    if fn.__defaults__:
        new.__defaults__ = tuple(map_value(d) for d in fn.__defaults__)
    if fn.__kwdefaults__:
        new.__kwdefaults__ = {k: map_value(v)
                              for k, v in fn.__kwdefaults__.items()}
    return new


def counterpart(fn: Any) -> Any:
    """The ndgrad callable for a torch callable from an OpInfo (or a Missing error)."""
    if id(fn) in _SUBSTITUTES:
        return _SUBSTITUTES[id(fn)]
    try:
        if isinstance(fn, types.FunctionType) and id(fn) not in _INDEX:
            return rebind(fn) if (fn.__module__ or "").startswith("torch.testing") else fn
        mapped = map_value(fn)
    except Missing as err:
        return err
    if isinstance(mapped, MissingCallable):
        return Missing(mapped.name)
    return mapped


# *** names ndgrad lacks, recognised in errors raised by test code ***

_OPERATOR_SYMBOLS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv",
                     "%": "mod", "** or pow()": "pow", "@": "matmul", "<<": "lshift",
                     ">>": "rshift", "&": "and", "|": "or", "^": "xor", "+=": "iadd",
                     "<<=": "ilshift", ">>=": "irshift", "&=": "iand", "|=": "ior", "^=": "ixor"}
_UNARY_SYMBOLS = {"~": "invert", "-": "neg", "+": "pos", "abs()": "abs"}
_ATTR_ERROR = re.compile(r"'Tensor' object has no attribute '(\w+)'|"
                         r"type object 'Tensor' has no attribute '(\w+)'")
_BINARY_ERROR = re.compile(r"unsupported operand type\(s\) for (.+?): '(\w+)' and '(\w+)'")
_UNARY_ERROR = re.compile(r"bad operand type for unary (.+?): 'Tensor'")


def _raised_in_ndgrad(err: BaseException) -> bool:
    tb = err.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last is not None and str(Path(last).resolve()).startswith(NDGRAD_DIR)


def missing_name(err: BaseException) -> str | None:
    """The name ndgrad lacks, when err says so (and was not raised from inside ndgrad)."""
    if isinstance(err, Missing):
        return err.name
    if _raised_in_ndgrad(err):
        return None
    msg = str(err)
    if isinstance(err, AttributeError):
        m = _ATTR_ERROR.search(msg)
        if m:
            name = m.group(1) or m.group(2)
            return None if hasattr(ndgrad.Tensor, name) else f"Tensor.{name}"
    if isinstance(err, TypeError):
        m = _BINARY_ERROR.search(msg)
        if m and "Tensor" in (m.group(2), m.group(3)):
            op = _OPERATOR_SYMBOLS.get(m.group(1))
            if op:
                reflected = m.group(2) != "Tensor"
                return f"Tensor.__{'r' if reflected else ''}{op}__"
        m = _UNARY_ERROR.search(msg)
        if m and m.group(1) in _UNARY_SYMBOLS:
            return f"Tensor.__{_UNARY_SYMBOLS[m.group(1)]}__"
    return None


def operator_dunder(fn: Callable) -> str | None:
    """`operator.iadd` -> 'Tensor.__iadd__' (the method ndgrad needs for it)."""
    name = getattr(fn, "__name__", "")
    if getattr(operator, name, None) is fn:
        return f"Tensor.__{name.strip('_')}__"
    return None
