"""Statistics and norms: var / std / var_mean / std_mean with torch's correction rules, and the
vector, matrix and torch.norm / torch.linalg.norm norms."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import call, composite, primitive
from .pointwise import where
from .reduction import (
    SCALAR_TYPE_NAMES,
    INF,
    _axes,
    _dims,
    _mean_grad,
    _torch_name,
    _unreduce,
    amax,
    amin,
)

# *** statistics ***


def _check_float(name: str, x: np.ndarray) -> None:
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{name} only support floating point and complex dtypes")


def _var(x: np.ndarray, dim, correction, keepdim: bool, name: str) -> tuple:
    """(var, mean) with torch's divisor max(0, N - correction) and its warning when it is <= 0."""
    _check_float("std and var", x)
    axes = _axes(dim, x.ndim)
    dof = _count(x.shape, axes) - (1 if correction is None else correction)
    m = np.mean(x, axis=axes, keepdims=True)
    d = x - m
    ss = np.sum((d * d.conj()).real if d.dtype.kind == "c" else d * d, axis=axes, keepdims=keepdim)
    if dof > 0:
        v = ss / dof
    else:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
            "than the reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=4,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            v = ss / 0.0
    v = np.asarray(v, dtype=x.real.dtype)  # complex input: a real variance, E|x - mean|²
    return v, (m if keepdim else m.reshape(v.shape))


def _count(shape: tuple, axes: tuple | None) -> int:
    """How many elements a reduction over axes combines."""
    return math.prod(shape) if axes is None else math.prod([shape[a] for a in axes])


def _var_backward(grad: Tensor, input: Tensor, dim, correction, keepdim: bool) -> Tensor:
    """2 (x - mean) / (N - correction), with torch's inf / NaN where N <= correction (complex
    x: the gradient of |x - mean|² is 2 (x - mean) too, in torch's convention)."""
    shape = input._data.shape
    axes = _axes(dim, len(shape))
    dof = _count(shape, axes) - (1 if correction is None else correction)
    centred = input - input.mean(axes, True)
    grad = _unreduce(grad, shape, dim, keepdim)
    if axes is not None or dof > 0:
        return grad * centred * (2.0 / dof if dof else INF)
    # 2 / 0 is infinite: inf * 0 is NaN where x equals the mean, inf elsewhere
    return grad * Tensor._make(
        np.where(centred._data == 0, np.nan, np.inf).astype(centred._data.dtype)
    )


def _std_grad(grad: Tensor, result: Tensor) -> Tensor:
    # d std = d var / (2 std); torch masks the std == 0 points to 0
    return where(Tensor._make(result._data == 0), 0.0, grad / (result * 2))


_VAR_SAMPLES = [
    ((2, 3), {}),
    ((2, 3), {"dim": 1, "correction": 0}),
    ((2, 3), {"dim": (0, 1), "keepdim": True}),
    ((3, 2), {"dim": 0, "correction": 2}),
]


@primitive("var", complex=True, grad_fn="VarBackward0", export=False, promote="same",
           samples=_VAR_SAMPLES)
def _var_op(input, dim=None, *, correction=None, keepdim=False):
    return _var(input, dim, correction, keepdim, "var")[0]


@_var_op.vjp
def _(grad, input, *, dim, correction, keepdim):
    return _var_backward(grad, input, dim, correction, keepdim)


@primitive("std", complex=True, grad_fn="StdBackward0", export=False, promote="same",
           samples=_VAR_SAMPLES)
def _std_op(input, dim=None, *, correction=None, keepdim=False):
    return np.sqrt(_var(input, dim, correction, keepdim, "std")[0])


@_std_op.vjp
def _(grad, input, result, *, dim, correction, keepdim):
    return _var_backward(_std_grad(grad, result), input, dim, correction, keepdim)


@primitive(
    "var_mean",
    complex=True,
    grad_fn="VarMeanBackward0",
    export=False,
    n_outputs=2,
    promote="same",
    samples=_VAR_SAMPLES[:3],
)
def _var_mean_op(input, dim=None, *, correction=None, keepdim=False):
    return _var(input, dim, correction, keepdim, "var_mean")


@_var_mean_op.vjp
def _(grads, input, *, dim, correction, keepdim):
    shape = input._data.shape
    return _var_backward(grads[0], input, dim, correction, keepdim) + _mean_grad(
        grads[1], shape, dim, keepdim
    )


@primitive(
    "std_mean",
    complex=True,
    grad_fn="StdMeanBackward0",
    export=False,
    n_outputs=2,
    promote="same",
    samples=_VAR_SAMPLES[:3],
)
def _std_mean_op(input, dim=None, *, correction=None, keepdim=False):
    v, m = _var(input, dim, correction, keepdim, "std_mean")
    return np.sqrt(v), m


@_std_mean_op.vjp
def _(grads, input, result, *, dim, correction, keepdim):
    shape = input._data.shape
    gv = _std_grad(grads[0], result)
    return _var_backward(gv, input, dim, correction, keepdim) + _mean_grad(
        grads[1], shape, dim, keepdim
    )


def _var_args(dim, unbiased, correction) -> tuple:
    """Resolve torch's overloads: (dim, unbiased, keepdim), (unbiased,), (dim, *, correction)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(
                "var() received an invalid combination of arguments - got both "
                "'unbiased' and 'correction'"
            )
        correction = int(unbiased)
    return dim, correction


def _stat(op, input: Tensor, dim, unbiased, keepdim, correction) -> Any:
    dim, correction = _var_args(dim, unbiased, correction)
    return call(op, (input,), {"dim": dim, "correction": correction, "keepdim": keepdim})


_STAT_SAMPLES = [((2, 3), {}), ((2, 3), {"dim": 1, "unbiased": False, "keepdim": True})]


@composite("var", samples=_STAT_SAMPLES, complex=True)
def var(
    input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None
) -> Tensor:
    """Variance over `dim` with Bessel's correction (correction=1) unless told otherwise.

    Example::
        >>> ndgrad.tensor([1., 2., 3., 4.]).var()
        tensor(1.6667)
    """
    return _stat(_var_op, input, dim, unbiased, keepdim, correction)


@composite("std", samples=_STAT_SAMPLES, complex=True)
def std(
    input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None
) -> Tensor:
    """Standard deviation: the square root of var (same arguments).

    Example::
        >>> ndgrad.tensor([1., 2., 3., 4.]).std(correction=0)
        tensor(1.1180)
    """
    return _stat(_std_op, input, dim, unbiased, keepdim, correction)


@composite("var_mean", method=False, samples=_STAT_SAMPLES, complex=True)
def var_mean(
    input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None
) -> tuple:
    """(var, mean) in one pass; arguments as var.

    Example::
        >>> ndgrad.var_mean(ndgrad.tensor([1., 3.]))
        (tensor(2.), tensor(2.))
    """
    return _stat(_var_mean_op, input, dim, unbiased, keepdim, correction)


@composite("std_mean", method=False, samples=_STAT_SAMPLES, complex=True)
def std_mean(
    input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None
) -> tuple:
    """(std, mean) in one pass; arguments as var.

    Example::
        >>> ndgrad.std_mean(ndgrad.tensor([1., 3.]), correction=0)
        (tensor(1.), tensor(2.))
    """
    return _stat(_std_mean_op, input, dim, unbiased, keepdim, correction)


# *** norms ***


def _vnorm(x: np.ndarray, ord: float, axes: tuple | None, keepdim: bool) -> np.ndarray:
    a = np.abs(x)
    if ord == INF or ord == -INF:
        if x.size == 0:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor "
                "because the operation does not have an identity"
            )
        return (np.amax if ord > 0 else np.amin)(a, axis=axes, keepdims=keepdim)
    if ord == 0:
        return np.sum(a != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
    if ord == 1:
        return np.sum(a, axis=axes, keepdims=keepdim)
    if ord == 2:
        return np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
    with np.errstate(divide="ignore"):
        return np.power(np.sum(np.power(a, ord), axis=axes, keepdims=keepdim), 1.0 / ord)


@primitive(
    "linalg_vector_norm",
    complex=True,
    grad_fn="LinalgVectorNormBackward0",
    export=False,
    promote="same",
    samples=[
        ((2, 3), {}),
        ((2, 3), {"ord": 1, "dim": 1}),
        ((2, 3), {"ord": INF}),
        ((2, 3), {"ord": -INF, "dim": 0}),
        ((2, 3), {"ord": 3, "dim": (0, 1), "keepdim": True}),
        ((2, 3), {"ord": 0.5, "dim": -1}),
        ((3,), {"ord": 1.5}),
        ((), {}),
    ],
    kinks=(0.0,),
    torch_fn=lambda torch, x, **kw: torch.linalg.vector_norm(x, **kw),
)
def _vector_norm(input, ord=2, dim=None, keepdim=False, *, dtype=None):
    if input.dtype.kind not in "fc":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as "
            f"input. Got {_torch_name(input)}"
        )
    if dtype is not None:
        if np.promote_types(input.dtype, dtype.np) != dtype.np:
            raise RuntimeError(
                f"linalg.vector_norm: the dtype of the input ({_torch_name(input)}) "
                "should be convertible without narrowing to the specified dtype "
                f"({SCALAR_TYPE_NAMES.get(dtype.name, dtype.name)})"
            )
        input = input.astype(dtype.np)
    return _vnorm(input, float(ord), _axes(dim, input.ndim), keepdim)


@_vector_norm.vjp
def _(grad, input, result, *, ord, dim, keepdim, dtype):
    shape = input._data.shape
    p = float(ord)
    g, norm = _unreduce(grad, shape, dim, keepdim), _unreduce(result, shape, dim, keepdim)
    if p == 0:
        return None
    # sgn: for complex input, d|z| = Re(conj(sgn z) dz), so |z| has the gradient g sgn(z)
    if p == 1:
        return input.sgn() * g
    if p == 2:
        return g * where(Tensor._make(norm._data == 0), 0.0, input / norm)
    a = input.abs()
    if p in (INF, -INF):
        mask = (a._data == norm._data) | np.isnan(a._data)
        scale = mask / mask.sum(axis=_axes(dim, len(shape)), keepdims=True)
        return input.sgn() * (g * Tensor._make(scale.astype(g._data.dtype)))
    zero = Tensor._make(norm._data == 0)
    if p < 1:
        scaled = input.sgn() * where(Tensor._make(input._data == 0), 0.0, a ** (p - 1))
        return scaled * g * norm ** (1 - p)
    if p < 2:
        return input.sgn() * a ** (p - 1) * where(zero, 0.0, g / norm ** (p - 1))
    return input * a ** (p - 2) * where(zero, 0.0, g / norm ** (p - 1))


@_vector_norm.jvp
def _(input_t, input, result, *, ord, dim, keepdim, dtype):
    # torch's own forward-mode formula (norm_jvp): it masks the zero norms after dividing, where
    # the double backward of the rule above keeps their nan (as torch's does)
    p = float(ord)
    axes = _axes(dim, input._data.ndim)
    if dtype is not None and input._data.dtype != dtype.np:
        input, input_t = input.to(dtype), input_t.to(dtype)

    every = tuple(range(input._data.ndim)) if axes is None else axes

    def total(x: Tensor) -> Tensor:
        return x.sum(every, keepdim) if every else x

    zero = Tensor._make(result._data == 0)
    if p == 0:
        return result * 0
    if p == 1:
        return total((input.sgn() * input_t.conj()).real)
    if p == 2:
        return where(zero, 0.0, total((input * input_t.conj()).real) / result)
    a = input.abs()
    if p in (INF, -INF):
        norm = _unreduce(result, input._data.shape, dim, keepdim)
        hit = (a._data == norm._data) | (np.isnan(input._data) & np.isnan(norm._data))
        count = hit.sum(axis=every, keepdims=True)
        share = Tensor._make((hit / count).astype(a._data.dtype))
        return total((input.sgn() * input_t.conj()).real * share)
    if p < 1:
        nonzero = where(Tensor._make(input._data == 0), 0.0, a ** (p - 1))
        return total(nonzero * (input.sgn() * input_t.conj()).real) * result ** (1 - p)
    if p < 2:
        out = total(a ** (p - 1) * (input.sgn() * input_t.conj()).real) / result ** (p - 1)
    else:
        out = total(a ** (p - 2) * (input * input_t.conj()).real) / result ** (p - 1)
    return where(zero, 0.0, out)


_NORM_KW = {"kinks": (0.0,)}


@composite(
    "vector_norm",
    export=False,
    method=False,
    samples=[((2, 3), {}), ((2, 3), {"ord": INF, "dim": 1, "keepdim": True})],
    complex=True,
    torch_fn=lambda torch, x, **kw: torch.linalg.vector_norm(x, **kw),
    **_NORM_KW,
)
def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector ord-norm of x over `dim` (all elements by default): sum(|x|^ord)^(1/ord),
    max|x| for inf, min|x| for -inf, the count of non-zeros for 0.

    Example::
        >>> ndgrad.linalg.vector_norm(ndgrad.tensor([3., 4.]))
        tensor(5.)
    """
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not str")
    if isinstance(dim, list):
        dim = tuple(dim)
    return call(_vector_norm, (x,), {"ord": ord, "dim": dim, "keepdim": keepdim, "dtype": dtype})


@composite(
    "matrix_norm",
    complex=True,
    export=False,
    method=False,
    samples=[
        ((2, 3), {}),
        ((2, 3), {"ord": 1}),
        ((3, 2), {"ord": -1, "keepdim": True}),
        ((2, 3, 2), {"ord": INF, "dim": (2, 0)}),
        ((3, 2), {"ord": -INF}),
        ((3, 2), {"ord": 2}),
        ((2, 3, 2), {"ord": -2, "dim": (0, 2), "keepdim": True}),
        ((2, 3), {"ord": "nuc"}),
    ],
    torch_fn=lambda torch, x, **kw: torch.linalg.matrix_norm(x, **kw),
    **_NORM_KW,
)
def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The matrix norm over the two dims `dim`: 'fro', 'nuc', 1 / -1 (max / min column abs-sum),
    inf / -inf (max / min row abs-sum), 2 / -2 (largest / smallest singular value).

    Example::
        >>> ndgrad.linalg.matrix_norm(ndgrad.tensor([[1., -2.], [3., 4.]]), 1)
        tensor(6.)
    """
    x = A._data
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            "linalg.matrix_norm: Expected a floating point or complex tensor as "
            f"input. Got {_torch_name(x)}"
        )
    if x.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    dim = tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}"
        )
    d0, d1 = _dims(dim, x.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if ord == "nuc" or ord in (2, -2):
        from .spectral import svdvals  # loaded on first use (a rarely used op module)

        # singular values of the matrices moved to the end; torch records the same chain
        perm = [i for i in range(x.ndim) if i not in (d0, d1)] + [d0, d1]
        s = svdvals((A if dtype is None else A.to(dtype)).permute(*perm))
        out = s.sum(-1, keepdim) if ord == "nuc" else _max_min(s, -1, keepdim, ord)
        return out.unsqueeze(-1).permute(*np.argsort(perm)) if keepdim else out
    if isinstance(ord, str) or abs(ord) not in (1, INF):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if abs(ord) == INF:
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1  # the first reduction removed a dim in front of d1
    col = vector_norm(A, 1.0, d0, keepdim, dtype=dtype)
    return _max_min(col, d1, keepdim, ord)


def _max_min(t: Tensor, dim: int, keepdim: bool, ord: float) -> Tensor:
    if ord > 0 and t._data.shape[dim] == 0:
        # torch's short cut: the largest of no values is 0 here (a new tensor, outside the graph)
        shape = list(t._data.shape)
        shape[dim] = 1
        return Tensor._make(np.zeros(shape if keepdim else np.delete(shape, dim), t._data.dtype))
    return (amax if ord > 0 else amin)(t, dim, keepdim)


@composite(
    "linalg_norm",
    complex=True,
    export=False,
    method=False,
    samples=[
        ((2, 3), {}),
        ((3,), {"ord": INF}),
        ((2, 3), {"ord": -1}),
        ((2, 3, 2), {"ord": 3, "dim": 1}),
        ((2, 3, 2), {"ord": "fro", "dim": (0, 2)}),
    ],
    torch_fn=lambda torch, x, **kw: torch.linalg.norm(x, **kw),
    **_NORM_KW,
)
def linalg_norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """torch.linalg.norm: a matrix norm for a string ord or a 2-tuple dim, else a vector norm
    (of all elements when ord and dim are both None).

    Example::
        >>> ndgrad.linalg.norm(ndgrad.tensor([[1., 2.], [3., 4.]]), 1)
        tensor(6.)
    """
    if dim is not None:
        dim = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError(
                "linalg.norm: If dim is not specified but ord is, the input must be "
                f"1D or 2D. Got {A.ndim}D."
            )
        dim = tuple(range(A.ndim))
    if isinstance(ord, str) or len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


@composite(
    "norm",
    complex=True,
    samples=[
        ((2, 3), {}),
        ((2, 3), {"p": 1, "dim": 1}),
        ((2, 3), {"p": INF}),
        ((2, 3), {"p": "fro", "dim": (0, 1), "keepdim": True}),
        ((2, 3), {"p": "nuc"}),
    ],
    **_NORM_KW,
)
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """torch.norm: the Frobenius / vector p-norm over `dim` (all elements by default), or a
    matrix norm ('nuc', or 'fro' over more than two dims).

    Example::
        >>> ndgrad.tensor([3., 4.]).norm()
        tensor(5.)
    """
    d = None if dim is None else ((dim,) if isinstance(dim, (int, np.integer)) else tuple(dim))
    if isinstance(p, str):
        if p == "fro" and (d is None or len(d) <= 2):
            return vector_norm(input, 2, d, keepdim, dtype=dtype)
        return matrix_norm(
            input, p, d if d is not None else tuple(range(input.ndim)), keepdim, dtype=dtype
        )
    return vector_norm(input, 2.0 if p is None else p, d, keepdim, dtype=dtype)
