"""Public op functions generated from each declaration (fast to call and to import).

Each is `call(op, tensors, attrs)` (the registry's single call path) with the forward's exact
signature. Where the declaration allows (one output, a promotion rule the template knows), the
function also carries that path's common case inline: no vmap and no forward AD anywhere,
operands whose dtypes already agree, then the forward, one grad-mode read when an input
requires grad, and the Tensor built in place. Anything else goes through `call` unchanged."""
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


# what a generated function reads besides its arguments (the registry passes them: LEAN_ENV)
_ENV = ("_op", "_call", "_call_out", "_fwd", "_record", "_mark_views", "_ferr", "_T", "_new",
        "_nd", "_asarray", "_STATE", "_reg", "_fwad", "_NO", "_missing", "_cx", "_gm", "_ufunc")
# what a non-differentiable op's inline case reads for grad mode: it never records
_NEVER_RECORDS = type("NeverRecords", (), {"enabled": False})()


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


def _lean_case(op: Any, names: list[str], tensor_pos: tuple, attr_pos: list) -> tuple | None:
    """(conditions, arrays, requires-grad expression) of the inline common case, or None."""
    if op.n_outputs != 1 or not (op.view is False or op.view is True):
        return None
    t = [names[i] for i in tensor_pos]
    kind = op.promote
    if kind == "binary" and len(t) == 2:
        a, b = t
        # the arrays are bound once (walrus); complex input is checked only where the op
        # refuses it (op.complex is part of the template key)
        return ([f"isinstance({a}, _T)", f"isinstance({b}, _T)",
                 f"(_da := {a}._data).dtype == (_db := {b}._data).dtype"]
                + ([] if op.complex else ["_da.dtype.kind != 'c'"]),
                ["_da", "_db"], f"{a}._requires_grad or {b}._requires_grad",
                # a float tensor and a Python float / int: the number goes to the forward as is
                ([f"isinstance({a}, _T)", f"(type({b}) is float or type({b}) is int)",
                  f"{a}._data.dtype.kind == 'f'"], [f"{a}._data", b], f"{a}._requires_grad"))
    if kind == "float" and len(t) == 1:
        (a,) = t
        return ([f"isinstance({a}, _T)", f"{a}._data.dtype.kind == 'f'"], [f"{a}._data"],
                f"{a}._requires_grad", None)
    if kind in ("same", None) and t:
        return ([f"isinstance({x}, _T)" for x in t] + [f"{x}._data.dtype.kind != _cx" for x in t],
                [f"{x}._data" for x in t],
                " or ".join(f"{x}._requires_grad" for x in t), None)
    if kind == "scalar" and len(t) == 1:
        attr_names = {op_name: names[i] for i, op_name in attr_pos}
        s = next((attr_names[k] for k in ("other", "exponent", "base") if k in attr_names), None)
        if s is None:
            return None
        (a,) = t
        return ([f"isinstance({a}, _T)", f"{a}._data.dtype.kind == 'f'",
                 f"not isinstance({s}, complex)"], [f"{a}._data"], f"{a}._requires_grad", None)
    return None


def _ufunc_condition(op: Any, names: list[str], attr_pos: list) -> str | None:
    """When a declaration names the NumPy ufunc its forward reduces to (ufunc=): the condition,
    besides real floating operands, under which it does: every attribute at its default."""
    if op.ufunc is None:
        return None
    params = list(inspect.signature(op.forward).parameters.values())
    conds = []
    for i, _ in attr_pos:
        d = params[i].default
        if d is None or type(d) is bool:
            conds.append(f"{names[i]} is {d!r}")
        elif type(d) in (int, float):
            conds.append(f"{names[i]} == {d!r}")
        else:
            return None
    return " and ".join(conds) or "True"


def _lean_source(op: Any, names: list[str], case: tuple, tensors: str, attrs: str,
                 fwd_attrs: str, fast: str | None = None) -> list[str]:
    """The inline common case: the lines of the generated function before its `call`."""
    lines = ["    if _reg.VMAP_DISPATCH is None and _reg.PROFILER is None and "
             "not _fwad.ACTIVE_LEVELS and not _gm.INFERENCE_ACTIVE:"]
    branches = [case[:3]] + ([case[3]] if case[3] is not None else [])
    for n, (conds, arrays, rg) in enumerate(branches):
        args = ", ".join(arrays + ([fwd_attrs] if fwd_attrs else []))
        call_fwd = [f"                out = _fwd({args})"]
        if fast is not None:  # the declared ufunc itself (first branch: operands of one dtype)
            cond = " and ".join(c for c in (("_da.dtype.kind == 'f'" if n == 0 else ""),
                                            fast if fast != "True" else "") if c)
            ufunc = f"_ufunc({', '.join(arrays)})"
            call_fwd = ([f"                out = {ufunc}"] if not cond else
                        [f"                if {cond}:", f"                    out = {ufunc}",
                         "                else:", f"                    out = _fwd({args})"])
        lines += [f"        if {' and '.join(conds)}:",
                  "            try:",
                  *call_fwd,
                  "            except ValueError as e:",
                  f"                raise _ferr(_op, ({', '.join(arrays)},), e) from None"]
        lines += [f"            if ({rg}) and _STATE.enabled:",
                  f"                result = _record(_op, ({tensors}), {{{attrs}}}, out, 2)",
                  "            else:"]
        ind = "                "
        lines += [f"{ind}result = _new(_T)",
                  f"{ind}result._data = out if type(out) is _nd else _asarray(out)",
                  f"{ind}result._requires_grad = False", f"{ind}result._grad_fn = None",
                  f"{ind}result._output_nr = 0", f"{ind}result._grad = None",
                  f"{ind}result._vc = [0]", f"{ind}result._view = None"]
        if op.view is True:
            lines.append(f"            _mark_views(_op, {names[0]}, {{{attrs}}}, result)")
        lines.append("            return result")
    return lines


def _make_public(op: Any, call: Callable, call_out: Callable, env: dict | None = None) -> Callable:
    """Build ndgrad.<op>: a function with the forward's exact signature that calls
    `call(op, tensors, attrs)`, or `call_out(op, tensors, attrs, out)` when the op takes torch's
    out= and one is given; with the inline common case when `env` (LEAN_ENV) is given.

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
    names = [f"a{i}" for i in range(len(params))]
    attr_pos = [(i, p.name) for i, p in enumerate(params) if i not in tensor_pos]
    case = _lean_case(op, names, tensor_pos, attr_pos) if env else None
    # one template serves ops that differ only in what the closure tells (complex input taken,
    # differentiable): each template compiled costs import time
    fast = _ufunc_condition(op, names, attr_pos) if case is not None and \
        op.promote == "binary" else None
    lean = None if case is None else (op.promote or "same", op.view is True, bool(op.complex),
                                      fast)
    aliases = _numpy_aliases(params)
    takes_out = op.name in OUT_OPS  # torch's out=: a keyword-only `out`, checked only when given
    key = (pattern, tensor_pos, lean, takes_out, tuple(i for i, _ in aliases))
    factory = _TEMPLATES.get(key)
    if factory is None:
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
        attrs = ", ".join(f"'{names[i]}': {names[i]}" for i, _ in attr_pos)
        lines = [f"    def f({', '.join(heads)}):"]
        for j, (i, _) in enumerate(aliases):  # a NumPy name given: it replaces torch's
            lines += [f"        if n{j} is not _NO:", f"            {names[i]} = n{j}",
                      f"        elif {names[i]} is _NO:", f"            _missing({j})"]
        if takes_out:
            lines += ["        if out is not None:",
                      f"            return _call_out(_op, ({tensors}), {{{attrs}}}, out)"]
        if case is not None:
            fwd_attrs = ", ".join(f"{names[i]}={names[i]}" for i, _ in attr_pos)
            lines += ["    " + ln for ln in _lean_source(op, names, case, tensors, attrs,
                                                          fwd_attrs, fast)]
        lines.append(f"        return _call(_op, ({tensors}), {{{attrs}}})")
        src = (f"def make({', '.join(_ENV)}):\n" + "\n".join(lines) + "\n    return f\n")
        ns: dict[str, Any] = {}
        exec(compile(src, "<ndgrad op wrapper>", "exec"), ns)
        factory = _TEMPLATES[key] = ns["make"]

    def missing(j: int) -> None:
        raise TypeError(f"{op.name}() missing required argument '{params[aliases[j][0]].name}'")

    values = dict(env or {}, _op=op, _call=call, _call_out=call_out, _fwd=op.forward, _NO=_NO,
                  _missing=missing, _cx=None if op.complex else "c",  # "c": complex goes to call
                  _ufunc=op.ufunc)
    if not op.differentiable:
        values["_STATE"] = _NEVER_RECORDS
    fn = factory(*(values.get(k) for k in _ENV))
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
        co_cellvars=tuple(real.get(v, v) for v in code.co_cellvars),
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
