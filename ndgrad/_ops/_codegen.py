"""Public op functions generated from each forward's signature (fast to call and to import)."""
from __future__ import annotations

import functools
import inspect
import sys
from typing import Any, Callable

from .._out import OUT_OPS

_TEMPLATES: dict[tuple, Callable] = {}  # compiled wrapper factories, by signature pattern
# torch's argument parser also takes NumPy's names for these parameters (x.sum(axis=0, keepdims=
# True)); a wrapper gets them as keyword-only parameters, checked with one `is` each
NUMPY_NAMES = (("dim", "axis"), ("keepdim", "keepdims"))
_NO = type("NotGiven", (), {"__repr__": lambda self: "<not given>"})()


def with_numpy_names(fn: Callable) -> Callable:
    """fn, also taking the NumPy names of its dim / keepdim parameters (composites)."""
    params = inspect.signature(fn).parameters
    aliases = {alias: target for target, alias in NUMPY_NAMES
               if target in params and alias not in params}
    if not aliases:
        return fn

    @functools.wraps(fn)
    def renamed(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            kwargs = {aliases.get(k, k): v for k, v in kwargs.items()}
        return fn(*args, **kwargs)

    return renamed


def _numpy_aliases(params: list) -> tuple:
    """(index of the parameter, its NumPy name) for the parameters that get one: a required one
    only when every positional parameter after it has a default (it then gets one too)."""
    names = [p.name for p in params]
    out = []
    for target, alias in NUMPY_NAMES:
        if target not in names or alias in names:
            continue
        i = names.index(target)
        p = params[i]
        if p.default is p.empty and p.kind is not p.KEYWORD_ONLY and any(
                q.default is q.empty for q in params[i + 1:] if q.kind is not q.KEYWORD_ONLY):
            continue
        out.append((i, alias))
    return tuple(out)
# code objects carry a qualified name from Python 3.11 on; 3.10 keeps it on the function only
_QUALNAME_IN_CODE = sys.version_info >= (3, 11)


def _make_public_by_source(op: Any, call: Callable, call_out: Callable) -> Callable:
    takes_out = op.name in OUT_OPS

    def fn(*args: Any, **kwargs: Any) -> Any:
        out = kwargs.pop("out", None) if takes_out else None
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        inputs = tuple(a.get(n) for n in op.inputs)
        attrs = {k: v for k, v in a.items() if k not in op.inputs}
        return call(op, inputs, attrs) if out is None else call_out(op, inputs, attrs, out)

    sig = inspect.signature(op.forward)
    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.forward.__doc__
    fn.__wrapped_op__ = op  # type: ignore[attr-defined]
    return fn


def _make_public(op: Any, call: Callable, call_out: Callable) -> Callable:
    """Build ndgrad.<op>: a function with the forward's exact signature that calls
    `call(op, tensors, attrs)` (the registry's single call path), or `call_out(op, tensors,
    attrs, out)` when the op takes torch's out= and one is given.

    One code object is compiled per signature pattern and renamed for each op (compiling a
    source string per op made `import ndgrad` several times slower)."""
    params = list(inspect.signature(op.forward).parameters.values())
    names_ = [p.name for p in params]
    if any(n not in names_ for n in op.inputs) or any(
            p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY) for p in params):
        # unusual signatures (the op overrides .public)
        return _make_public_by_source(op, call, call_out)
    pattern = tuple(p.kind is p.KEYWORD_ONLY for p in params)  # defaults are set afterwards
    tensor_pos = tuple(names_.index(n) for n in op.inputs)
    aliases = _numpy_aliases(params)
    takes_out = op.name in OUT_OPS  # torch's out=: a keyword-only `out`, checked only when given
    key = (pattern, tensor_pos, takes_out, tuple(i for i, _ in aliases))
    factory = _TEMPLATES.get(key)
    if factory is None:
        names = [f"a{i}" for i in range(len(params))]
        heads, star = [], False
        for i, kwonly in enumerate(pattern):
            if kwonly and not star:
                heads.append("*")
                star = True
            heads.append(names[i])
        if takes_out:
            heads += ["out"] if star else ["*", "out"]
            star = True
        if aliases:
            heads += ([] if star else ["*"]) + [f"n{j}" for j in range(len(aliases))]
        tensors = "".join(f"{names[i]}, " for i in tensor_pos)
        attrs = ", ".join(f"'{names[i]}': {names[i]}" for i in range(len(params))
                          if i not in tensor_pos)
        renames = "".join(f"        if n{j} is not _NO:\n            {names[i]} = n{j}\n"
                          f"        elif {names[i]} is _NO:\n            _missing({j})\n"
                          for j, (i, _) in enumerate(aliases))
        body = f"        return _call(_op, ({tensors}), {{{attrs}}})\n"
        if takes_out:
            body = ("        if out is None:\n    " + body +
                    f"        return _call_out(_op, ({tensors}), {{{attrs}}}, out)\n")
        src = (f"def make(_op, _call, _call_out, _NO, _missing):\n"
               f"    def f({', '.join(heads)}):\n{renames}{body}    return f\n")
        ns: dict[str, Any] = {}
        exec(compile(src, "<ndgrad op wrapper>", "exec"), ns)
        factory = _TEMPLATES[key] = ns["make"]

    def missing(j: int) -> None:
        raise TypeError(f"{op.name}() missing required argument '{params[aliases[j][0]].name}'")

    fn = factory(op, call, call_out, _NO, missing)
    real = {f"a{i}": p.name for i, p in enumerate(params)}
    real.update({f"n{j}": alias for j, (_, alias) in enumerate(aliases)})

    def rename(c: Any) -> Any:
        if isinstance(c, str):
            return real.get(c, c)
        if isinstance(c, tuple):
            return tuple(rename(x) for x in c)
        return c

    code = fn.__code__
    qualname: dict[str, Any] = {"co_qualname": op.name} if _QUALNAME_IN_CODE else {}
    fn.__code__ = code.replace(
        co_varnames=tuple(real.get(v, v) for v in code.co_varnames),
        co_consts=tuple(rename(c) for c in code.co_consts), co_name=op.name, **qualname)
    fn.__name__ = fn.__qualname__ = op.name
    required = {i for i, _ in aliases if params[i].default is params[i].empty}
    fn.__defaults__ = tuple(_NO if i in required else p.default for i, p in enumerate(params)
                            if (p.default is not p.empty or i in required)
                            and p.kind is not p.KEYWORD_ONLY) or None
    kwdefaults = {p.name: _NO if i in required else p.default for i, p in enumerate(params)
                  if (p.default is not p.empty or i in required) and p.kind is p.KEYWORD_ONLY}
    kwdefaults.update({alias: _NO for _, alias in aliases})
    if takes_out:
        kwdefaults["out"] = None
    fn.__kwdefaults__ = kwdefaults or None
    fn.__doc__ = op.forward.__doc__
    fn.__wrapped_op__ = op  # type: ignore[attr-defined]
    return fn
