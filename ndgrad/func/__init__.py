"""torch.func: composable transforms (grad, vjp, jvp, jacrev, jacfwd, hessian, vmap, ...)."""
from __future__ import annotations

import functools
from typing import Any, Callable

from .._tensor import Tensor
from ..autograd import forward_ad
from ..autograd.grad_mode import enable_grad

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian",
           "vmap", "functional_call", "stack_module_state"]


# *** pytrees (tuples, lists, dicts of tensors) ***

def _flatten(tree: Any) -> tuple[list, Callable]:
    if isinstance(tree, Tensor):
        return [tree], lambda leaves: leaves[0]
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(t) for t in tree]
        sizes = [len(p[0]) for p in parts]

        def unflatten(leaves: list, _parts=parts, _sizes=sizes, _type=type(tree)) -> Any:
            out, i = [], 0
            for (_, un), n in zip(_parts, _sizes):
                out.append(un(leaves[i:i + n]))
                i += n
            return _type(out) if _type in (tuple, list) else _type(*out)

        return [leaf for p in parts for leaf in p[0]], unflatten
    if isinstance(tree, dict):
        keys = list(tree)
        flat, un = _flatten([tree[k] for k in keys])
        return flat, lambda leaves: dict(zip(keys, un(leaves)))
    return [], lambda leaves: tree


def _tree_map(fn: Callable, tree: Any) -> Any:
    leaves, un = _flatten(tree)
    return un([fn(x) for x in leaves])


def _argnums(argnums: Any, n: int) -> tuple[tuple, bool]:
    if isinstance(argnums, int):
        return ((argnums % n if n else argnums),), False
    return tuple(a % n for a in argnums), True


# *** reverse mode ***

class _Depth:
    value = 0  # how many differentiating transforms are running


def _fresh(x: Any) -> Any:
    """A leaf to differentiate at; stays connected when an outer transform differentiates x,
    and keeps x's forward-mode tangent when jacfwd/jvp is outside."""
    if not isinstance(x, Tensor):
        return x
    if x.requires_grad:
        return x.view(*x.shape)
    leaf = x.detach().requires_grad_()
    leaf._func_level = _Depth.value  # created by this transform
    if forward_ad.LEVELS.stack:
        t = forward_ad.get_tangent(x)
        if t is not None:
            forward_ad.set_tangent(leaf, t)
    return leaf


class _enter:
    def __enter__(self) -> None:
        _Depth.value += 1

    def __exit__(self, *exc: object) -> None:
        _Depth.value -= 1


def grad_and_value(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """A function returning (gradient of func w.r.t. args[argnums], func's value).

    Example::
        >>> grad_and_value(lambda x: (x ** 2).sum())(ndgrad.tensor([1.0, 2.0]))
        (tensor([2., 4.]), tensor(5.))
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .. import autograd

        nums, many = _argnums(argnums, len(args))
        args = list(args)
        with enable_grad(), _enter():
            trees = {}
            for a in nums:
                leaves, un = _flatten(args[a])
                fresh = [_fresh(x) for x in leaves]
                trees[a] = (fresh, un)
                args[a] = un(fresh)
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be "
                                       "a tuple: (output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor) or out.dim() != 0:
                shape = "tensor with {} dims".format(out.dim()) if isinstance(out, Tensor) \
                    else type(out).__name__
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got {shape}. Maybe you wanted to use the vjp "
                                   "or jacrev APIs instead?")
            flat = [x for a in nums for x in trees[a][0]]
            gs = autograd.grad(out, flat, create_graph=True, allow_unused=True,
                               materialize_grads=True) if out.requires_grad else \
                [x.detach() * 0 for x in flat]
            gs = [_settle(g) for g in gs]
            results, i = [], 0
            for a in nums:
                fresh, un = trees[a]
                results.append(un(gs[i:i + len(fresh)]))
                i += len(fresh)
            g = tuple(results) if many else results[0]
            value = _settle(out)
            aux = _tree_map(_settle, aux)
        return (g, (value, aux)) if has_aux else (g, value)

    return wrapper


def _settle(t: Any, like: Any = None) -> Any:
    """Results that depend only on this transform's own leaves are returned detached, as
    torch.func returns them; those an outer transform or the caller differentiates stay
    attached."""
    if isinstance(t, Tensor) and t.requires_grad and not _connected(t):
        detached = t.detach()
        if forward_ad.LEVELS.stack:
            tangent = forward_ad.get_tangent(t)
            if tangent is not None:
                forward_ad.set_tangent(detached, tangent)
        return detached
    return t


def _connected(t: Tensor) -> bool:
    """Does t depend on a leaf created outside the running transform?"""
    depth = _Depth.value
    stack, seen = [t.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if type(node).__name__ == "AccumulateGrad":
            var = node.variable
            if var is not None and getattr(var, "_func_level", -1) < depth:
                return True
        stack.extend(c for c, _ in node.next_functions)
    return False


def grad(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar function, as a function.

    Example::
        >>> grad(lambda x: (x ** 3).sum())(ndgrad.tensor([1.0, 2.0]))
        tensor([ 3., 12.])
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """(func(*primals), vjp_fn) where vjp_fn(cotangents) returns one gradient per primal.

    Example::
        >>> out, fn = vjp(lambda x: x * 2, ndgrad.ones(2))
        >>> fn(ndgrad.ones(2))
        (tensor([2., 2.]),)
    """
    from .. import autograd

    with enable_grad(), _enter():
        trees = [_flatten(p) for p in primals]
        fresh = [[_fresh(x) for x in leaves] for leaves, _ in trees]
        args = [un(f) for (_, un), f in zip(trees, fresh)]
        out = func(*args)
        aux = None
        if has_aux:
            out, aux = out
    out_leaves, _ = _flatten(out)
    flat_in = [x for f in fresh for x in f]

    def vjp_fn(cotangents: Any, retain_graph: bool = True, create_graph: bool | None = None) -> tuple:
        cts, _ = _flatten(cotangents)
        with enable_grad(), _enter():
            pairs = [(o, c) for o, c in zip(out_leaves, cts) if o.requires_grad]
            if pairs:
                gs = autograd.grad([o for o, _ in pairs], flat_in, [c for _, c in pairs],
                                   retain_graph=True, create_graph=True, allow_unused=True,
                                   materialize_grads=True)
            else:
                gs = [x.detach() * 0 for x in flat_in]
            gs = [_settle(g) for g in gs]
        res, i = [], 0
        for (leaves, un) in trees:
            res.append(un(gs[i:i + len(leaves)]))
            i += len(leaves)
        return tuple(res)

    with _enter():
        out = _tree_map(_settle, out)
        aux = _tree_map(_settle, aux)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def _jacobian_rows(output: Tensor, inputs: list) -> list:
    """For each input, the stacked gradients of output's elements: (output.numel(), *input.shape)."""
    from .. import autograd
    from .._ops._registry import PUBLIC

    flat = output.reshape(-1)
    rows: list = [[] for _ in inputs]
    for k in range(flat.numel()):
        gs = autograd.grad(flat[k], inputs, retain_graph=True, create_graph=True,
                           allow_unused=True, materialize_grads=True) \
            if flat.requires_grad else [x.detach() * 0 for x in inputs]
        for j, g in enumerate(gs):
            rows[j].append(g)
    return [PUBLIC["stack"](r) if r else (x.detach() * 0).reshape(0, *x.shape)
            for r, x in zip(rows, inputs)]


def jacrev(func: Callable, argnums: Any = 0, *, has_aux: bool = False, chunk_size: Any = None,
           _preallocate_and_copy: bool = False) -> Callable:
    """The Jacobian by reverse mode: one backward per output element.

    Example::
        >>> jacrev(lambda x: x.sin())(ndgrad.zeros(2))
        tensor([[1., 0.],
                [0., 1.]])
    """

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums, many = _argnums(argnums, len(args))
        args = list(args)
        with enable_grad(), _enter():
            trees = []  # (fresh leaves, unflatten) of each differentiated argument (a pytree)
            for a in nums:
                leaves, un = _flatten(args[a])
                fresh = [_fresh(x) for x in leaves]
                trees.append((fresh, un))
                args[a] = un(fresh)
            out = func(*args)
            aux = None
            if has_aux:
                out, aux = out
            flat_in = [x for fresh, _ in trees for x in fresh]
            out_leaves, out_un = _flatten(out)
            per_output = []
            for o in out_leaves:
                blocks = [_settle(b.reshape(*o.shape, *x.shape))
                          for b, x in zip(_jacobian_rows(o, flat_in), flat_in)]
                res, i = [], 0
                for fresh, un in trees:
                    res.append(un(blocks[i:i + len(fresh)]))
                    i += len(fresh)
                per_output.append(tuple(res) if many else res[0])
            aux = _tree_map(_settle, aux)
        res = out_un(per_output)
        return (res, aux) if has_aux else res

    return wrapper


# *** forward mode ***

def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """(func(*primals), J·tangents) by forward-mode AD.

    Example::
        >>> jvp(lambda x: x * x, (ndgrad.tensor([3.0]),), (ndgrad.tensor([1.0]),))
        (tensor([9.]), tensor([6.]))
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
                           "should be valid to call f(*primals).")
    with forward_ad.transform_level():
        duals = []
        for p, t in zip(primals, tangents):
            pl, un = _flatten(p)
            tl, _ = _flatten(t)
            duals.append(un([forward_ad.make_dual(x, v) for x, v in zip(pl, tl)]))
        out = func(*duals)
        aux = None
        if has_aux:
            out, aux = out
        leaves, un = _flatten(out)
        prim = [forward_ad.unpack_dual(o) for o in leaves]
        primal_out = un([_settle(p.primal) for p in prim])
        tangent_out = un([_settle(p.tangent) if p.tangent is not None else p.primal.detach() * 0
                          for p in prim])
    return (primal_out, tangent_out, aux) if has_aux else (primal_out, tangent_out)


def linearize(func: Callable, *primals: Any) -> tuple:
    """(func(*primals), jvp_fn): jvp_fn(*tangents) evaluates J·tangents at primals."""
    out = func(*primals)

    def jvp_fn(*tangents: Any) -> Any:
        return jvp(func, primals, tangents)[1]

    return out, jvp_fn


def jacfwd(func: Callable, argnums: Any = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """The Jacobian by forward mode: one JVP per input element.

    Example::
        >>> jacfwd(lambda x: x.sin())(ndgrad.zeros(2))
        tensor([[1., 0.],
                [0., 1.]])
    """

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        from .._creation import zeros_like
        from .._ops._registry import PUBLIC

        nums, many = _argnums(argnums, len(args))
        trees = [_flatten(args[a]) for a in nums]  # each differentiated argument is a pytree
        zero_tangents = [_tree_map(zeros_like, v) for v in args]
        columns, out, aux = [], None, None  # columns: (input leaf, [output tangent leaves])
        for (leaves, un), a in zip(trees, nums):
            for m, x in enumerate(leaves):
                cols = []
                for k in range(x.numel()):
                    basis = zeros_like(x).reshape(-1)
                    basis._data[k] = 1
                    tangents = list(zero_tangents)
                    tangents[a] = un([basis.reshape(*x.shape) if i == m else zeros_like(y)
                                      for i, y in enumerate(leaves)])
                    res = jvp(func, tuple(args), tuple(tangents), has_aux=has_aux)
                    out, aux = res[0], (res[2] if has_aux else None)
                    cols.append(_flatten(res[1])[0])
                columns.append((x, cols))
        if out is None:
            out = func(*args)
            if has_aux:
                out, aux = out
        out_leaves, out_un = _flatten(out)
        per_output = []
        for n, o in enumerate(out_leaves):
            blocks = [_settle((PUBLIC["stack"]([c[n] for c in cols], dim=-1) if cols else
                               (o * 0).unsqueeze(-1)[..., :0]).reshape(*o.shape, *x.shape))
                      for x, cols in columns]
            res, i = [], 0
            for leaves, un in trees:
                res.append(un(blocks[i:i + len(leaves)]))
                i += len(leaves)
            per_output.append(tuple(res) if many else res[0])
        res = out_un(per_output)
        return (res, aux) if has_aux else res

    return wrapper


def hessian(func: Callable, argnums: Any = 0) -> Callable:
    """jacfwd(jacrev(func)): the matrix of second derivatives.

    Example::
        >>> hessian(lambda x: (x ** 3).sum())(ndgrad.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


# *** modules as functions ***

def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """Call module with some parameters/buffers replaced by the given tensors (by dotted name).

    Example::
        >>> lin = ndgrad.nn.Linear(2, 1)
        >>> functional_call(lin, {"weight": ndgrad.ones(1, 2), "bias": ndgrad.zeros(1)},
        ...                 (ndgrad.ones(2),))
        tensor([2.])
    """
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, (list, tuple)):
        merged: dict = {}
        for d in dicts:
            for k in d:
                if k in merged:
                    raise ValueError(f"{k} appeared in multiple dictionaries; behavior of "
                                     "functional call is ambiguous")
            merged.update(d)
        dicts = merged
    if strict:
        expected = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing, unexpected = expected - set(dicts), set(dicts) - expected
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in functional_call: missing keys {sorted(missing)}, "
                               f"unexpected keys {sorted(unexpected)}")
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    saved = []
    try:
        for name, value in dicts.items():
            owner, attr = _owner(module, name)
            table = owner._parameters if attr in owner._parameters else (
                owner._buffers if attr in owner._buffers else None)
            saved.append((owner, attr, table, table[attr] if table is not None else
                          getattr(owner, attr, None)))
            if table is not None:
                table[attr] = value
            else:
                object.__setattr__(owner, attr, value)
        return module(*args, **(kwargs or {}))
    finally:
        for owner, attr, table, old in reversed(saved):
            if table is not None:
                table[attr] = old
            else:
                object.__setattr__(owner, attr, old)


def _owner(module: Any, name: str) -> tuple:
    *path, attr = name.split(".")
    for p in path:
        module = getattr(module, p)
    return module, attr


def stack_module_state(models: Any) -> tuple[dict, dict]:
    """Stack the parameters and buffers of identical models along a new leading dim
    (for vmap over an ensemble)."""
    from .._ops._registry import PUBLIC

    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    params = {n: PUBLIC["stack"]([dict(m.named_parameters())[n].detach() for m in models])
              .requires_grad_() for n, _ in models[0].named_parameters()}
    buffers = {n: PUBLIC["stack"]([dict(m.named_buffers())[n] for m in models])
               for n, _ in models[0].named_buffers()}
    return params, buffers


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """Vectorize func over a batch dimension of its inputs (see ndgrad.func._vmap)."""
    from ._vmap import vmap as _vmap

    return _vmap(func, in_dims, out_dims, randomness, chunk_size=chunk_size)
