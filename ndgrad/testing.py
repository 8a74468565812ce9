"""torch.testing for ndgrad: `assert_close` with torch's semantics and messages, and
`assert_matches_torch`, which runs one function under ndgrad and under PyTorch and compares."""
from __future__ import annotations

import collections.abc
import cmath
import importlib
import inspect
import types
import warnings
from typing import Any, Callable

import numpy as np

from ._dtype import from_numpy_dtype
from ._tensor import Tensor

__all__ = ["assert_close", "assert_matches_torch"]

# torch.testing's default (rtol, atol) by dtype; other dtypes compare exactly
_PRECISIONS = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex32": (1e-3, 1e-5), "complex64": (1.3e-6, 1e-5),
               "complex128": (1e-7, 1e-7)}
_NUMBER_DTYPE = {int: "int64", float: "float64", complex: "complex128"}


class _Mismatch(Exception):
    def __init__(self, kind: type, msg: str, path: tuple) -> None:
        super().__init__(msg)
        self.kind, self.msg, self.path = kind, msg, path


def _torch_tensor(x: Any) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "detach") and hasattr(x, "dtype")


def _tensor_like(x: Any) -> bool:
    return isinstance(x, (Tensor, np.ndarray)) or _torch_tensor(x)


def _as_array(x: Any) -> tuple[np.ndarray, str]:
    """(values, torch dtype name) of a tensor-like."""
    if isinstance(x, Tensor):
        return x._data, x.dtype.name
    if isinstance(x, np.ndarray):
        return x, from_numpy_dtype(x.dtype).name
    t = x.detach().cpu().resolve_conj().resolve_neg()
    return t.numpy(), str(t.dtype).replace("torch.", "")


def _tolerances(names: list[str], rtol: float | None, atol: float | None) -> tuple[float, float]:
    if rtol is not None and atol is not None:
        return rtol, atol
    pairs = [_PRECISIONS.get(n, (0.0, 0.0)) for n in names]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _mismatch_text(identifier: Any, default: str, extra: str | None, abs_diff: Any,
                   abs_idx: Any, atol: float, rel_diff: Any, rel_idx: Any, rtol: float) -> str:
    equality = rtol == 0 and atol == 0

    def diff(kind: str, value: Any, idx: Any, tol: float) -> str:
        text = (f"{kind.title()} difference: {value}" if idx is None else
                f"Greatest {kind} difference: {value} at index {idx}")
        return text + ("" if equality else f" (up to {tol} allowed)") + "\n"

    if identifier is None:
        identifier = default
    elif callable(identifier):
        identifier = identifier(default)
    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += extra.strip() + "\n"
    msg += diff("absolute", abs_diff, abs_idx, atol) + diff("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _compare_numbers(a: Any, e: Any, rtol: Any, atol: Any, equal_nan: bool, check_dtype: bool,
                     path: tuple) -> None:
    a = a.item() if isinstance(a, np.generic) else a
    e = e.item() if isinstance(e, np.generic) else e
    if check_dtype and type(a) is not type(e):
        raise _Mismatch(AssertionError, f"The (d)types do not match: {type(a)} != {type(e)}.",
                        path)
    rtol, atol = _tolerances([_NUMBER_DTYPE[type(v)] for v in (a, e)], rtol, atol)
    if a == e or (equal_nan and cmath.isnan(a) and cmath.isnan(e)):
        return
    abs_diff = abs(a - e)
    if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(e):
        return
    rel = float("inf") if e == 0 else abs_diff / abs(e)
    raise _Mismatch(AssertionError, _mismatch_text(None, "Scalars", f"Expected {e} but got {a}.",
                                                   abs_diff, None, atol, rel, None, rtol), path)


def _compare_tensors(actual: Any, expected: Any, rtol: Any, atol: Any, equal_nan: bool,
                     check_dtype: bool, check_stride: bool, path: tuple) -> None:
    a, a_dt = _as_array(actual)
    e, e_dt = _as_array(expected)

    def fail(attr: str, x: Any, y: Any) -> None:
        raise _Mismatch(AssertionError,
                        f"The values for attribute '{attr}' do not match: {x} != {y}.", path)

    if a.shape != e.shape:
        fail("shape", f"torch.Size({list(a.shape)})", f"torch.Size({list(e.shape)})")
    if check_stride and a.size > 1:
        sa = tuple(s // a.itemsize for s in a.strides)
        se = tuple(s // e.itemsize for s in e.strides)
        if sa != se:
            fail("stride()", sa, se)
    if check_dtype and a_dt != e_dt:
        fail("dtype", f"torch.{a_dt}", f"torch.{e_dt}")
    rtol, atol = _tolerances([a_dt, e_dt], rtol, atol)
    common = np.result_type(a.dtype, e.dtype)
    a, e = a.astype(common, copy=False), e.astype(common, copy=False)
    if common.kind == "b":
        matches = a == e
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            matches = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if matches.all():
        return
    if a.ndim == 0:
        raise _Mismatch(AssertionError, _scalar_text(a.item(), e.item(), rtol, atol), path)
    if common.kind in "biu":
        a, e = a.astype(np.int64), e.astype(np.int64)
    af, ef, mf = a.ravel(), e.ravel(), matches.ravel()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(af - ef)
        abs_diff[mf] = 0
        rel_diff = abs_diff / np.abs(ef)
        if common.kind in "biu":  # torch divides integers into its default float dtype
            rel_diff = rel_diff.astype(np.float32)
        rel_diff[mf] = 0
    ai, ri = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))
    wrong = int(mf.size - mf.sum())
    extra = f"Mismatched elements: {wrong} / {mf.size} ({wrong / mf.size:.1%})"
    raise _Mismatch(AssertionError, _mismatch_text(
        None, "Tensor-likes", extra, abs_diff[ai].item(), _index(ai, a.shape), atol,
        rel_diff[ri].item(), _index(ri, a.shape), rtol), path)


def _index(flat: int, shape: tuple) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def _scalar_text(a: Any, e: Any, rtol: float, atol: float) -> str:
    abs_diff = abs(a - e)
    rel = float("inf") if e == 0 else abs_diff / abs(e)
    return _mismatch_text(None, "Scalars", f"Expected {e} but got {a}.", abs_diff, None, atol,
                          rel, None, rtol)


def _compare(a: Any, e: Any, path: tuple, opts: dict) -> None:
    seq = collections.abc.Sequence
    if isinstance(a, seq) and not isinstance(a, str) and isinstance(e, seq) and not isinstance(
            e, str):
        if len(a) != len(e):
            raise _Mismatch(AssertionError,
                            f"The length of the sequences mismatch: {len(a)} != {len(e)}", path)
        for i in range(len(a)):
            _compare(a[i], e[i], path + (i,), opts)
        return
    if isinstance(a, collections.abc.Mapping) and isinstance(e, collections.abc.Mapping):
        ka, ke = set(a.keys()), set(e.keys())
        if ka != ke:
            raise _Mismatch(AssertionError, "The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: {sorted(ke - ka)}\n"
                            f"Additional keys in the actual mapping: {sorted(ka - ke)}", path)
        try:
            keys = sorted(ka)
        except TypeError:
            keys = list(ka)
        for k in keys:
            _compare(a[k], e[k], path + (k,), opts)
        return
    if a is None or e is None:
        if not (a is None and e is None):
            raise _Mismatch(AssertionError, f"None mismatch: {a} is not {e}", path)
        return
    if isinstance(a, (bool, np.bool_)) and isinstance(e, (bool, np.bool_)):
        if bool(a) is not bool(e):
            raise _Mismatch(AssertionError, f"Booleans mismatch: {a} is not {e}", path)
        return
    numbers = (int, float, complex, np.number)
    if isinstance(a, numbers) and isinstance(e, numbers):
        _compare_numbers(a, e, opts["rtol"], opts["atol"], opts["equal_nan"],
                         opts["check_dtype"], path)
        return
    if _tensor_like(a) and _tensor_like(e):
        _compare_tensors(a, e, opts["rtol"], opts["atol"], opts["equal_nan"],
                         opts["check_dtype"], opts["check_stride"], path)
        return
    raise _Mismatch(TypeError, "No comparison pair was able to handle inputs of type "
                    f"{type(a)} and {type(e)}.", path)


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg: str | Callable[[str], str] | None = None) -> None:
    """Assert that actual and expected are close, as torch.testing.assert_close: per-dtype default
    tolerances, nested sequences and mappings, torch's messages. Tensor-likes may be ndgrad
    tensors, NumPy arrays or real torch tensors, on either side.

    Example::
        >>> assert_close(ndgrad.tensor([1.0, 2.0]), ndgrad.tensor([1.0, 2.0 + 1e-7]))
        >>> assert_close(1.0, 1.5)
        Traceback (most recent call last):
        ...
        AssertionError: Scalars are not close!
        <BLANKLINE>
        Expected 1.5 but got 1.0.
        Absolute difference: 0.5 (up to 1e-07 allowed)
        Relative difference: 0.3333333333333333 (up to 1e-07 allowed)
    """
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'atol' if atol is None else 'rtol'}.")
    opts = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype,
                check_stride=check_stride)
    try:
        _compare(actual, expected, (), opts)
    except _Mismatch as m:
        if isinstance(msg, str):
            raise m.kind(msg) from None
        text = m.msg
        if m.path:
            text += ("\n\nThe failure occurred for item "
                     + "".join(str([item]) for item in m.path))
        raise m.kind(msg(text) if callable(msg) else text) from None


# *** one function, two libraries ***

def _library_twin(module: types.ModuleType, to: str) -> types.ModuleType | None:
    """ndgrad.nn.functional <-> torch.nn.functional (None when the other side lacks it)."""
    name = module.__name__
    src = "ndgrad" if to == "torch" else "torch"
    if name != src and not name.startswith(src + "."):
        return None
    try:
        return importlib.import_module(to + name[len(src):])
    except ImportError:
        return None


def _rebind(fn: Callable, to: str) -> Callable:
    """fn with the torch/ndgrad modules it names (globals, closure) swapped for the other
    library's, so code written against `torch` runs under either."""
    if not isinstance(fn, types.FunctionType):
        return fn
    new_globals = dict(fn.__globals__)
    for key, value in fn.__globals__.items():
        if isinstance(value, types.ModuleType):
            twin = _library_twin(value, to)
            if twin is not None:
                new_globals[key] = twin
    closure = None
    if fn.__closure__:
        cells = []
        for cell in fn.__closure__:
            try:
                value = cell.cell_contents
            except ValueError:
                cells.append(cell)
                continue
            twin = _library_twin(value, to) if isinstance(value, types.ModuleType) else None
            cells.append(types.CellType(twin) if twin is not None else cell)
        closure = tuple(cells)
    out = types.FunctionType(fn.__code__, new_globals, fn.__name__, fn.__defaults__, closure)
    out.__kwdefaults__ = fn.__kwdefaults__
    return out


def _takes_library(fn: Callable) -> bool:
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] == "torch"


def _convert(x: Any, make: Callable, leaves: list) -> Any:
    """Copy inputs for one library: tensors become fresh leaves (same values, dtype and
    requires_grad), containers are rebuilt, anything else is passed as it is."""
    if isinstance(x, (Tensor, np.ndarray)) or _torch_tensor(x):
        arr, dtype = _as_array(x)
        requires = bool(getattr(x, "requires_grad", False))
        t = make(np.array(arr, copy=True), dtype, requires)
        if requires:
            leaves.append(t)
        return t
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return type(x)(_convert(v, make, leaves) for v in x)
    if isinstance(x, dict):
        return {k: _convert(v, make, leaves) for k, v in x.items()}
    return x


def _flat_outputs(out: Any) -> list:
    if isinstance(out, (list, tuple)):
        return [y for v in out for y in _flat_outputs(v)]
    if isinstance(out, dict):
        return [y for k in sorted(out) for y in _flat_outputs(out[k])]
    return [out]


def _run(fn: Callable, lib: Any, inputs: tuple, kwargs: dict, make: Callable) -> tuple:
    leaves: list = []
    args = tuple(_convert(x, make, leaves) for x in inputs)
    call = _rebind(fn, lib.__name__)
    out = call(lib, *args, **kwargs) if _takes_library(fn) else call(*args, **kwargs)
    return out, leaves


def _gradients(lib: Any, out: Any, leaves: list, seed: int) -> list:
    """Gradients of the outputs, contracted with the same random cotangents in both libraries."""
    outs = [o for o in _flat_outputs(out) if getattr(o, "requires_grad", False)]
    if not outs or not leaves:
        return []
    rng = np.random.default_rng(seed)
    cots = []
    for o in outs:
        arr, dtype = _as_array(o)
        cots.append(lib.from_numpy(rng.standard_normal(arr.shape).astype(arr.dtype)))
    grads = lib.autograd.grad(outs, leaves, grad_outputs=cots, allow_unused=True)
    return [g if g is not None else lib.zeros_like(x) for g, x in zip(grads, leaves)]


def assert_matches_torch(fn: Callable, *inputs: Any, rtol: float | None = None,
                         atol: float | None = None, check_grad: bool = True, seed: int = 0,
                         **kwargs: Any) -> None:
    """Run `fn(*inputs, **kwargs)`, written against the torch API, under ndgrad and under PyTorch
    from the same input values; assert that outputs and gradients (of every input that requires
    grad, for a random output cotangent) are close. fn reaches the library through the `torch`
    module it names (rebound for each run) or, if its first parameter is named `torch`, through
    that argument. Without PyTorch installed, ndgrad's gradients are checked against finite
    differences instead (with a warning).

    Example::
        >>> import ndgrad as torch
        >>> def f(x, w):
        ...     return torch.tanh(x @ w).sum(dim=0)
        >>> x, w = torch.randn(4, 3), torch.randn(3, 2, requires_grad=True)
        >>> assert_matches_torch(f, x, w)  # doctest: +SKIP
    """
    import ndgrad

    try:
        import torch
    except ImportError:
        warnings.warn("assert_matches_torch: PyTorch is not installed, so ndgrad's gradients are "
                      "checked against finite differences only", UserWarning, stacklevel=2)
        _finite_difference_check(fn, inputs, kwargs)
        return

    def make_nd(arr: np.ndarray, dtype: str, requires: bool) -> Any:
        return ndgrad.from_numpy(arr).requires_grad_(requires)

    def make_torch(arr: np.ndarray, dtype: str, requires: bool) -> Any:
        return torch.from_numpy(arr).requires_grad_(requires)

    ours, our_leaves = _run(fn, ndgrad, inputs, kwargs, make_nd)
    theirs, their_leaves = _run(fn, torch, inputs, kwargs, make_torch)
    tol = dict(rtol=rtol, atol=atol)
    try:
        assert_close(_detached(ours), _detached(theirs), **tol)
    except (AssertionError, TypeError) as e:
        raise AssertionError(f"the outputs of {getattr(fn, '__name__', fn)} differ between "
                             f"ndgrad and PyTorch:\n{e}") from None
    if not check_grad:
        return
    g_ours = _gradients(ndgrad, ours, our_leaves, seed)
    g_theirs = _gradients(torch, theirs, their_leaves, seed)
    for i, (a, b) in enumerate(zip(g_ours, g_theirs)):
        try:
            assert_close(a.detach(), b.detach(), **tol)
        except AssertionError as e:
            raise AssertionError(f"the gradient of input {i} that requires grad differs between "
                                 f"ndgrad and PyTorch:\n{e}") from None


def _detached(out: Any) -> Any:
    if isinstance(out, (list, tuple)):
        return [_detached(v) for v in out]
    if isinstance(out, dict):
        return {k: _detached(v) for k, v in out.items()}
    return out.detach() if hasattr(out, "detach") else out


def _finite_difference_check(fn: Callable, inputs: tuple, kwargs: dict) -> None:
    import ndgrad

    def make64(arr: np.ndarray, dtype: str, requires: bool) -> Any:
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float64)
        return ndgrad.from_numpy(arr).requires_grad_(requires)

    leaves: list = []
    args = tuple(_convert(x, make64, leaves) for x in inputs)
    if not leaves:
        _run(fn, ndgrad, inputs, kwargs, make64)
        return
    call = _rebind(fn, "ndgrad")
    positions = [i for i, a in enumerate(args) if any(a is leaf for leaf in leaves)]

    def on_leaves(*xs: Any) -> Any:
        full = list(args)
        for i, x in zip(positions, xs):
            full[i] = x
        out = call(ndgrad, *full, **kwargs) if _takes_library(fn) else call(*full, **kwargs)
        return tuple(o for o in _flat_outputs(out) if isinstance(o, Tensor))

    ndgrad.autograd.gradcheck(on_leaves, tuple(args[i] for i in positions))
