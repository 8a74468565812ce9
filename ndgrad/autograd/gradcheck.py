"""gradcheck / gradgradcheck: analytic gradients against float64 central differences."""
from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .. import _creation
from .._dtype import from_numpy_dtype
from .._tensor import Tensor
from . import forward_ad
from ._backward import grad
from .anomaly import STATE as _ANOMALY


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytic gradient disagrees with the numeric one."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func: Callable, inputs: tuple) -> tuple:
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


# Complex numbers are checked as torch's gradcheck does, as pairs of real numbers: every complex
# input element gives two columns (perturbing its real, then its imaginary part) and every
# complex output element two rows (the real part, seeded with grad_output 1; the imaginary part,
# seeded with 1j). In torch's convention the gradient a backward pass returns for z is
# dL/dRe(z) + i dL/dIm(z), so its real and imaginary parts are the two columns.

def _real_coords(a: np.ndarray) -> np.ndarray:
    """The values of a as float64 real coordinates: (re, im) pairs for complex arrays."""
    a = np.ascontiguousarray(a)
    if a.dtype.kind == "c":
        return a.astype(np.complex128).reshape(-1).view(np.float64)
    return a.astype(np.float64).ravel()


def _numeric_jacobian(func: Callable, inputs: tuple, i: int, eps: float) -> list[np.ndarray]:
    """d(outputs)/d(inputs[i]) by central differences, one column per real input coordinate
    (re, then im, for each complex element). func runs in the caller's grad mode, as torch's
    does: a func that differentiates inside (as gradgradcheck's does) must still be able to."""
    x = inputs[i]._data
    flat = x.flat  # C-order positions, written in place whatever the strides
    steps = (eps, eps * 1j) if x.dtype.kind == "c" else (eps,)
    cols: list[list] = []
    for k in range(x.size):
        orig = flat[k]
        for step in steps:
            flat[k] = orig + step
            plus = [_real_coords(o._data).copy() for o in _outputs(func, inputs)]
            flat[k] = orig - step
            minus = [_real_coords(o._data).copy() for o in _outputs(func, inputs)]
            flat[k] = orig
            cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    n_out = len(cols[0]) if cols else len(_outputs(func, inputs))
    outs = _outputs(func, inputs)
    return [np.stack([c[j] for c in cols], axis=1) if cols
            else np.zeros((_real_coords(outs[j]._data).size, 0)) for j in range(n_out)]


def _analytic_jacobian(func: Callable, inputs: tuple, i: int) -> list[np.ndarray]:
    outs = _outputs(func, inputs)
    width = _real_coords(inputs[i]._data).size
    jacs = []
    for out in outs:
        rows = []
        seeds = (1, 1j) if out._data.dtype.kind == "c" else (1,)
        for k in range(out.numel()):
            for seed in seeds:
                if not out._requires_grad:
                    rows.append(np.zeros(width))
                    continue
                g = _creation.zeros_like(out)
                g._data.flat[k] = seed  # (reshape(-1) of a strided array would be a copy)
                (gi,) = grad(out, inputs[i], g, retain_graph=True, allow_unused=True)
                rows.append(np.zeros(width) if gi is None else _real_coords(gi._data))
        jacs.append(np.stack(rows) if rows else np.zeros((0, width)))
    return jacs


def _table(analytic: np.ndarray, numeric: np.ndarray, shape_in: tuple, limit: int = 10) -> str:
    err = np.abs(analytic - numeric)
    order = np.argsort(-err, axis=None)[:limit]
    lines = [f"{'output idx':>10} {'input idx':>12} {'analytic':>14} {'numeric':>14} {'error':>11}"]
    for flat in order:
        r, c = np.unravel_index(flat, err.shape)
        in_idx = tuple(int(v) for v in np.unravel_index(c, shape_in)) if shape_in else ()
        lines.append(f"{int(r):>10} {str(in_idx):>12} {analytic[r, c]:>14.6g} "
                     f"{numeric[r, c]:>14.6g} {err[r, c]:>11.3g}")
    return "\n".join(lines)


def gradcheck(func: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: Any = None) -> bool:
    """Check the gradients of func at inputs against central finite differences.

    On failure the error shows the worst elements (index, analytic, numeric, error).

    Example::
        >>> x = ndgrad.randn(3, dtype=ndgrad.float64, requires_grad=True)
        >>> ndgrad.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
        True
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to "
                             "be True")
    inputs = _as_tuple(inputs)
    for k, t in enumerate(inputs):
        if isinstance(t, Tensor) and t._requires_grad and t._data.dtype not in (np.float64,
                                                                                 np.complex128):
            warnings.warn(f"Input #{k} requires gradient and is not a double precision floating "
                          "point. This check will likely fail if all the inputs are not of "
                          "double precision floating point.", UserWarning, stacklevel=2)
    if not any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")
    for i, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t._requires_grad):
            continue
        numeric = _numeric_jacobian(func, inputs, i, eps)
        modes = [m for m, on in (("backward", check_backward_ad),
                                 ("forward", check_forward_ad)) if on]
        for mode in modes:
            analytic = (_analytic_jacobian(func, inputs, i) if mode == "backward"
                        else _forward_jacobian(func, inputs, i))
            for j, (a, n) in enumerate(zip(analytic, numeric)):
                if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=False):
                    if not raise_exception:
                        return False
                    head = "Jacobian" if mode == "backward" else "Jacobian computed with forward mode"
                    shape = tuple(t._data.shape) + ((2,) if t._data.dtype.kind == "c" else ())
                    raise GradcheckError(
                        f"{head} mismatch for output {j} with respect to input {i},\n"
                        + _table(a, n, shape) + _complex_note(t, _outputs(func, inputs)[j])
                        + (_blame(func, inputs, eps, atol, rtol) if mode == "backward" else ""))
    return True


def _forward_jacobian(func: Callable, inputs: tuple, i: int) -> list[np.ndarray]:
    """d(outputs)/d(inputs[i]) by forward-mode AD: one unit tangent per real input coordinate
    (1, then 1j, for each complex element), outputs as real coordinates."""
    x = inputs[i]
    seeds = (1, 1j) if x._data.dtype.kind == "c" else (1,)
    cols = []
    for k in range(x.numel()):
        for seed in seeds:
            tangent = _creation.zeros_like(x)
            tangent._data.flat[k] = seed
            with forward_ad.dual_level():
                args = list(inputs)
                args[i] = forward_ad.make_dual(x, tangent)
                outs = _outputs(func, tuple(args))
                cols.append([np.zeros(_real_coords(o._data).size)
                             if forward_ad.unpack_dual(o).tangent is None else
                             _real_coords(forward_ad.unpack_dual(o).tangent._data) for o in outs])
    outs = _outputs(func, inputs)
    return [np.stack([c[j] for c in cols], axis=1) if cols
            else np.zeros((_real_coords(o._data).size, 0)) for j, o in enumerate(outs)]


def gradgradcheck(func: Callable, inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: Any = None) -> bool:
    """Check second derivatives: gradcheck of (inputs, v) -> vjp(func, inputs, v).

    Example::
        >>> x = ndgrad.randn(3, dtype=ndgrad.float64, requires_grad=True)
        >>> ndgrad.autograd.gradgradcheck(lambda t: (t ** 3).sum(), (x,))
        True
    """
    inputs = _as_tuple(inputs)
    if grad_outputs is None:  # torch's draws: make_tensor(low=-1, high=1) from the global generator
        grad_outputs = tuple(_random_grad_output(o) for o in _outputs(func, inputs)
                             if o._requires_grad)
    grad_outputs = _as_tuple(grad_outputs)
    diff_idx = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]
    n_in = len(inputs)

    def first_order(*args: Any) -> tuple:
        ins, gos = args[:n_in], args[n_in:]
        outs = [o for o in _outputs(func, ins) if o._requires_grad]  # grad_outputs pair with these
        grads = grad(outs, [ins[k] for k in diff_idx], list(gos[:len(outs)]),
                     create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_order, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


def _random_grad_output(out: Tensor) -> Tensor:
    """Uniform in [-1, 1) like `out` (float64 for integer outputs), drawn as torch's gradgradcheck
    draws it, so the global random stream stays in step with torch's."""
    dt = out._data.dtype if out._data.dtype.kind in "fc" else np.dtype(np.float64)
    if dt.kind == "c":  # the real view of a complex tensor: (re, im) pairs, drawn in that order
        pairs = _creation.empty(*out.shape, 2, dtype=from_numpy_dtype(dt.type(0).real.dtype))
        # (reshape, not [..., 0]: for a 0-d output that would be a NumPy scalar, not an array)
        return Tensor._make(pairs.uniform_(-1, 1)._data.view(dt).reshape(out._data.shape), True)
    return _creation.empty(*out.shape, dtype=from_numpy_dtype(dt)).uniform_(-1, 1).requires_grad_()


def _complex_note(inp: Any, out: Any) -> str:
    if inp._data.dtype.kind != "c" and out._data.dtype.kind != "c":
        return ""
    return ("\n(complex numbers are compared as (real, imaginary) pairs: the last input index "
            "picks the part perturbed; output rows run over (real, imaginary) of each element)")


def _blame(func: Callable, inputs: tuple, eps: float, atol: float, rtol: float) -> str:
    """Re-run func recording every node's inputs, then check each node's backward on its own;
    name the first one that disagrees with finite differences. Nodes that can re-run their own
    forward (ops and custom Functions: `_rerun(inputs, attrs)`) are checked."""
    prev = _ANOMALY.keep_inputs
    _ANOMALY.keep_inputs = True
    try:
        outs = _outputs(func, inputs)
    finally:
        _ANOMALY.keep_inputs = prev
    seen: set = set()
    stack = [o.grad_fn for o in outs if o.grad_fn is not None]
    order = []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(c for c, _ in node.next_functions if c is not None)
    for node in sorted(order, key=lambda n: n._seq):  # inputs first: blame the earliest node
        recorded = node._hooks.metadata.get("inputs_") if node._hooks is not None else None
        if recorded is None:
            continue
        args, attrs = recorded
        pos = [k for k, a in enumerate(args) if isinstance(a, Tensor) and a._requires_grad]
        if not pos:
            continue
        leaves = [Tensor._make(args[k]._data.astype(
            np.complex128 if args[k]._data.dtype.kind == "c" else np.float64), True) for k in pos]

        def local(*xs: Tensor, _args=args, _attrs=attrs, _pos=pos, _node=node) -> Any:
            full = list(_args)
            for k, x in zip(_pos, xs):
                full[k] = x
            return _node._rerun(tuple(full), _attrs)

        if not hasattr(node, "_rerun"):
            continue
        try:
            ok = gradcheck(local, tuple(leaves), eps=eps, atol=atol, rtol=rtol,
                           raise_exception=False)
        except Exception:  # a node that cannot run in float64 on its own is not blamed
            continue
        if not ok:
            where = getattr(node, "_where", None)
            at = f" (created at {where[0]}:{where[1]})" if where else ""
            return (f"\nThe backward of {node.name()}{at} disagrees with finite differences of "
                    "its forward: that node's gradient formula is wrong.")
    return ""
