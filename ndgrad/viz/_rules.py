"""The local derivative rule of a node, for people: the op's backward rule as one line
`grad_<input> = <expr>`, specialised to the node (its attributes, which inputs need a gradient,
which are None), or where the rule lives when it is not a straight line of code."""
from __future__ import annotations

import ast
import copy
import functools
import inspect
import textwrap
from typing import Any, Callable

from ..autograd.function import BackwardCFunction
from ..autograd.graph import AccumulateGrad
from ._sources import display_path

MAX_CHARS = 160


class _Present:
    """Stands for a saved tensor: `x is None` is decidable, arithmetic on it is not."""

    def __repr__(self) -> str:
        return "<tensor>"


PRESENT = _Present()


@functools.lru_cache(maxsize=None)
def _source(fn: Callable) -> tuple[str, str, int]:
    """(dedented source, file, first line) of a function, or empty strings when unavailable."""
    try:
        lines, start = inspect.getsourcelines(fn)
        return textwrap.dedent("".join(lines)), inspect.getsourcefile(fn) or "", start
    except (OSError, TypeError):
        return "", "", 0


@functools.lru_cache(maxsize=None)
def _function(fn: Callable) -> ast.FunctionDef | None:
    src = _source(fn)[0]
    try:
        tree = ast.parse(src) if src else None
    except SyntaxError:
        return None
    func = tree.body[0] if tree is not None and tree.body else None
    return func if isinstance(func, ast.FunctionDef) else None


def _literal(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


class _Substitute(ast.NodeTransformer):
    """Names -> what they stand for: earlier assignments, literal attributes and None inputs;
    `a if <decidable> else b` -> the branch taken."""

    def __init__(self, symbols: dict, env: dict) -> None:
        self.symbols, self.env = symbols, env

    def visit_Name(self, node: ast.Name) -> Any:
        if isinstance(node.ctx, ast.Load):
            if node.id in self.symbols:
                return copy.deepcopy(self.symbols[node.id])
            if node.id in self.env and _literal(self.env[node.id]):
                return ast.Constant(self.env[node.id])
        return node

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        chosen = _decide(node.test, self.env)
        if chosen is None:
            return self.generic_visit(node)
        return self.visit(node.body if chosen else node.orelse)


def _decide(test: ast.expr, env: dict) -> bool | None:
    """The value of a condition over known names only (attributes, needs_input_grad, inputs
    known to be None or present); None when it depends on anything else."""
    names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
    if not names <= set(env):
        return None
    try:
        code = compile(ast.Expression(test), "<rule>", "eval")
        return bool(eval(code, {"__builtins__": {}}, dict(env)))  # known values only
    except Exception:
        return None


def _inline(func: ast.FunctionDef, env: dict) -> ast.expr | None:
    """Follow the rule's straight-line code for this node; the returned expression with every
    intermediate name substituted, or None when the code is not that simple."""
    symbols: dict[str, ast.expr] = {}
    todo = list(reversed(func.body))
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)) or (
                isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        if isinstance(stmt, ast.Assign):
            value = _Substitute(symbols, env).visit(copy.deepcopy(stmt.value))
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    symbols[target.id] = value
                elif (isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
                      and len(target.elts) == len(value.elts)
                      and all(isinstance(t, ast.Name) for t in target.elts)):
                    for t, v in zip(target.elts, value.elts):
                        symbols[t.id] = v
                else:
                    return None
            continue
        if isinstance(stmt, ast.If):
            chosen = _decide(stmt.test, env)
            if chosen is None:
                return None
            todo.extend(reversed(stmt.body if chosen else stmt.orelse))
            continue
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            return _Substitute(symbols, env).visit(copy.deepcopy(stmt.value))
        return None
    return None


def _env(node: Any) -> dict:
    """What is known about a node before backward frees it: attributes, needs_input_grad, and
    which tensor inputs were None or present."""
    op = getattr(type(node), "_op", None)
    env = dict(getattr(node, "_attrs", None) or {})
    saved = getattr(node, "_saved", None)
    if op is None or saved is None:
        return env
    for (kind, idx), val in zip(op.save_specs, saved):
        if kind == "needs":
            env["needs_input_grad"] = tuple(val)
        elif kind == "input" and idx not in op.save_if:
            env[op.inputs[idx]] = None if val[0] is None else PRESENT
    return env


def _one_line(fn: Callable, names: tuple, env: dict) -> str:
    src, file, start = _source(fn)
    if not src:
        return ""
    func = _function(fn)
    where = f"{display_path(file)}:{start}"
    value = _inline(func, env) if func is not None else None
    if value is None:
        return f"{len(src.splitlines())}-line rule at {where}"
    parts = value.elts if isinstance(value, ast.Tuple) else [value]
    if len(parts) == len(names):
        text = "; ".join(f"grad_{n} = {ast.unparse(p)}" for n, p in zip(names, parts)
                         if not (isinstance(p, ast.Constant) and p.value is None))
    else:
        text = "return " + ast.unparse(value)
    return text if len(text) <= MAX_CHARS else f"rule at {where}"


def capture(node: Any) -> dict:
    """Call while the node still holds its saved values (before backward releases them)."""
    return _env(node)


def rule(node: Any, leaf_name: str = "", env: dict | None = None) -> tuple[str, str]:
    """(one readable line, full source) of the rule node runs in backward."""
    if type(node) is AccumulateGrad:
        return f"{leaf_name or 'leaf'}.grad += grad", ""
    op = getattr(type(node), "_op", None)
    if op is not None and op.vjp_fn is not None:
        env = env if env is not None else _env(node)
        return _one_line(op.vjp_fn, tuple(op.inputs), env), _source(op.vjp_fn)[0]
    if isinstance(node, BackwardCFunction):
        backward = getattr(node._forward_cls, "backward", None)
        if backward is None:
            return "", ""
        src, file, start = _source(backward)
        name = node._forward_cls.__name__
        func = _function(backward)
        value = _inline(func, {}) if func is not None else None
        if value is not None and len(ast.unparse(value)) <= MAX_CHARS:
            return f"{name}.backward returns {ast.unparse(value)}", src
        where = f"{display_path(file)}:{start}" if file else ""
        return f"{name}.backward at {where}", src
    return "", ""
