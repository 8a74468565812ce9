"""Random sampling on tensors: the in-place fills (normal_, uniform_, cauchy_, ...), torch.normal,
torch.bernoulli, multinomial and the *_like draws, on torch's CPU streams (ndgrad._random). A fill
draws in its tensor's memory order, as ATen's TensorIterator does, and is recorded as torch records
it (NormalBackward0, ...: a zero gradient)."""
from __future__ import annotations

import math
from typing import Any, Callable, Optional

import numpy as np

from .. import _random
from .._creation import _sizes
from .._dtype import _Default
from .._tensor import Tensor
from .._factory import factory
from ._promote import _broadcast_error
from ._registry import composite, primitive
from .inplace import check_inplace, inplace


def _gen(generator: Any) -> _random.Generator:
    if generator is None:
        return _random.default_generator
    if not isinstance(generator, _random.Generator):
        raise TypeError(f"expected a torch.Generator as generator, got {type(generator).__name__}")
    return generator


# *** element order: ATen writes a tensor's elements in memory order ***

def _memory_axes(arr: np.ndarray) -> list[int]:
    """arr's axes from outermost to innermost in memory (TensorIterator's order for a tensor it
    writes: by stride, so `zeros(5, 4).t()` is filled down its columns)."""
    ones = [d for d in range(arr.ndim) if arr.shape[d] == 1]
    rest = sorted((d for d in range(arr.ndim) if arr.shape[d] != 1),
                  key=lambda d: -abs(arr.strides[d]))
    return ones + rest


def draw(arr: np.ndarray, sample: Callable[..., np.ndarray], *aligned: np.ndarray) -> np.ndarray:
    """Values for arr's elements from sample(shape, *aligned), drawn in arr's memory order; the
    `aligned` arrays (broadcast to arr's shape) are passed in that order too."""
    axes = _memory_axes(arr)
    shape = tuple(arr.shape[a] for a in axes)
    moved = [np.broadcast_to(a, arr.shape).transpose(axes) for a in aligned]
    return sample(shape, *moved).reshape(shape).transpose(np.argsort(axes))


def _is_dense(arr: np.ndarray) -> bool:
    """Non-overlapping and dense (a permutation of a contiguous block), as torch defines it."""
    size = arr.itemsize
    for d in reversed(_memory_axes(arr)):
        if arr.shape[d] == 1:
            continue
        if abs(arr.strides[d]) != size:
            return False
        size *= arr.shape[d]
    return True


def empty_like(arr: np.ndarray, dtype: Any = None) -> np.ndarray:
    """torch's empty_like(arr): arr's layout if it is dense, else C order."""
    if _is_dense(arr):
        return np.empty_like(arr, dtype=dtype)
    return np.empty(arr.shape, dtype or arr.dtype)


def draw_like(arr: np.ndarray, sample: Callable[..., np.ndarray],
              *aligned: np.ndarray) -> np.ndarray:
    """empty_like(arr) filled with sample(shape, *aligned) drawn in its memory order."""
    out = empty_like(arr)
    out[...] = draw(out, sample, *aligned)
    return out


# *** the node of a draw: no gradient flows through a sample ***

class _Drawn:
    """The values of one draw, handed once to the op's forward (so the node keeps no copy)."""

    __slots__ = ("values",)

    def __init__(self, values: np.ndarray) -> None:
        self.values = values

    def take(self) -> np.ndarray:
        values, self.values = self.values, None
        return values

    def __repr__(self) -> str:
        return "<drawn values>"


@primitive("random_draw", complex=True, grad_fn=lambda node, drawn: node, export=False,
           inputs=("input", "other"), samples=[((3,), {"node": "NormalBackward0", "drawn": None}),
                                               (((2, 3), (3,)), {"node": "NormalBackward3",
                                                                 "drawn": None})],
           skips=("torch", "gradgrad"), complex_samples=False)
def _random_draw(input, other=None, *, node, drawn=None):
    # `node`: torch's name for the sampler's grad_fn; without `drawn` (the op table) zeros
    shape = np.broadcast_shapes(np.shape(input), np.shape(other)) if other is not None else None
    return drawn.take() if drawn is not None else np.zeros(shape or np.shape(input))


@_random_draw.vjp
def _(grad, *, node, drawn):
    if node == "NotImplemented":
        raise RuntimeError("derivative for aten::bernoulli is not implemented")
    zero = Tensor._make(np.zeros(grad._data.shape, grad._data.dtype))  # torch: zeros_like(grad)
    return zero, zero


@_random_draw.jvp
def _(input_t, other_t, *, node, drawn):
    t = input_t if input_t is not None else other_t
    return Tensor._make(np.zeros(t._data.shape, t._data.dtype))


def _fill(self: Tensor, node: str, sample: Callable[..., np.ndarray],
          p: Optional[Tensor] = None) -> Tensor:
    """Write sample(shape[, p]) into self in memory order, recorded as torch's `node`."""
    check_inplace(self)  # refused before drawing: a refused call leaves the generator alone
    if p is None:
        values = draw(self._data, sample)
    else:
        values = draw(self._data, sample, _expand_to(p._data, self._data.shape))
    return inplace(_random_draw.public, self, p, node=node, drawn=_Drawn(values))


def _expand_to(p: np.ndarray, shape: tuple) -> np.ndarray:
    try:
        return np.broadcast_to(p, shape)
    except ValueError:
        k = next(k for k in range(1, p.ndim + 1) if k > len(shape) or
                 p.shape[-k] not in (1, shape[-k]))
        raise RuntimeError(
            f"The expanded size of the tensor ({shape[-k] if k <= len(shape) else -1}) must match "
            f"the existing size ({p.shape[-k]}) at non-singleton dimension {len(shape) - k}.  "
            f"Target sizes: {list(shape)}.  Tensor sizes: {list(p.shape)}") from None


# *** the in-place family ***

def _from_to(args: tuple, kwargs: dict, name: str, defaults: tuple) -> tuple:
    """(from, to) of `name(from, to)`; Python spells the keyword `from` only through **kwargs."""
    names = ("from", "to")
    extra = sorted(set(kwargs) - set(names))
    if extra:
        raise TypeError(f"{name}() got an unexpected keyword argument '{extra[0]}'")
    if len(args) > 2:
        raise TypeError(f"{name}() takes at most 2 positional arguments ({len(args)} given)")
    values = dict(zip(names, defaults))
    values.update(zip(names, args))
    for key, value in kwargs.items():
        if key in names[:len(args)]:
            raise TypeError(f"{name}() got multiple values for argument '{key}'")
        values[key] = value
    return values["from"], values["to"]


@composite("uniform_", export=False)
def uniform_(self: Tensor, *args: float, generator: Any = None, **kwargs: float) -> Tensor:
    """Fill with samples from U[from, to) in place (uniform_(from=0, to=1)).

    Example::
        >>> ndgrad.empty(3).uniform_(-1, 1).shape
        torch.Size([3])
    """
    low, high = _from_to(args, kwargs, "uniform_", (0.0, 1.0))
    gen = _gen(generator)
    return _fill(self, "UniformBackward0", _pairs_if_complex(
        self._data.dtype, lambda shape, dt: gen.uniform(shape, dt, low, high)))


def _pairs_if_complex(dt: np.dtype, sample: Callable) -> Callable:
    """sample(shape, dtype); for a complex dtype, its real and imaginary parts drawn as pairs of
    reals (torch fills view_as_real(self))."""
    if dt.kind != "c":
        return lambda shape: sample(shape, dt)
    real = np.finfo(dt).dtype
    return lambda shape: np.ascontiguousarray(sample(tuple(shape) + (2,), real)).view(dt)[..., 0]


@composite("normal_", export=False)
def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from N(mean, std²) in place, torch's numbers for torch's CPU kernel
    (bit for bit; float32 within 4 ulp on non-glibc C libraries, see README "Random numbers").

    Example::
        >>> ndgrad.zeros(5, 4).t().normal_().shape
        torch.Size([4, 5])
    """
    gen, arr = _gen(generator), self._data
    if arr.dtype.kind == "c":
        std = std / math.sqrt(2)  # each of the real and imaginary parts: half the variance
    return _fill(self, "NormalBackward0", _pairs_if_complex(arr.dtype, lambda shape, dt: gen.normal(
        shape, dt, mean, std, contiguous=arr.flags.c_contiguous)))


@composite("cauchy_", export=False)
def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator: Any = None) -> Tensor:
    """Fill with samples from Cauchy(median, sigma) in place.

    Example::
        >>> ndgrad.empty(2).cauchy_().shape
        torch.Size([2])
    """
    gen = _gen(generator)
    return _fill(self, "CauchyBackward0",
                 lambda shape: gen.cauchy(shape, self._data.dtype, median, sigma))


@composite("log_normal_", export=False)
def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator: Any = None) -> Tensor:
    """Fill with exp of N(mean, std²) samples in place.

    Example::
        >>> bool((ndgrad.empty(4).log_normal_() > 0).all())
        True
    """
    gen = _gen(generator)
    return _fill(self, "LogNormalBackward0",
                 lambda shape: gen.log_normal(shape, self._data.dtype, mean, std))


@composite("exponential_", export=False)
def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from Exp(lambd) in place.

    Example::
        >>> bool((ndgrad.empty(4).exponential_(2.0) >= 0).all())
        True
    """
    gen = _gen(generator)
    return _fill(self, "ExponentialBackward0",
                 lambda shape: gen.exponential(shape, self._data.dtype, lambd))


@composite("geometric_", export=False)
def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success, in place.

    Example::
        >>> bool((ndgrad.empty(4, dtype=ndgrad.int64).geometric_(0.5) >= 1).all())
        True
    """
    gen = _gen(generator)
    return _fill(self, "GeometricBackward0",
                 lambda shape: gen.geometric(shape, self._data.dtype, p))


@composite("random_", export=False)
def random_(self: Tensor, *args: Optional[int], generator: Any = None,
            **kwargs: Optional[int]) -> Tensor:
    """Fill with integers: random_() on [0, 2**mantissa] (floats) or [0, max] (integers),
    random_(to) on [0, to), random_(from, to) on [from, to), random_(from, None) on [from, max].

    Example::
        >>> ndgrad.empty(3, dtype=ndgrad.int64).random_(5, 6).tolist()
        [5, 5, 5]
    """
    gen, dt = _gen(generator), self._data.dtype
    if not args and not kwargs:
        return _fill(self, "RandomBackward2", lambda shape: gen.random(shape, dt))
    if (len(args) == 1 and not kwargs) or (not args and set(kwargs) == {"to"}):
        to = args[0] if args else kwargs["to"]
        return _fill(self, "RandomBackward1", lambda shape: gen.randint(0, _int(to), shape, dt))
    if not args and "to" not in kwargs:
        raise TypeError("random_() received an invalid combination of arguments: 'from' needs "
                        "'to' (random_(from, to))")
    low, high = _from_to(args, kwargs, "random_", (None, None))
    if high is None:
        return _fill(self, "RandomBackward0", lambda shape: gen.random_from(_int(low), shape, dt))
    return _fill(self, "RandomBackward0",
                 lambda shape: gen.randint(_int(low), _int(high), shape, dt))


def _int(x: Any) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        if not (isinstance(x, Tensor) and x._data.dtype.kind in "iu" and x._data.ndim == 0):
            raise TypeError(f"random_(): argument must be int, not {type(x).__name__}")
    return int(x)


@composite("bernoulli_", export=False)
def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 0/1 draws that are 1 with probability p (a number, or a tensor broadcast to self).

    Example::
        >>> ndgrad.empty(3).bernoulli_(1.0).tolist()
        [1.0, 1.0, 1.0]
    """
    gen, dt = _gen(generator), self._data.dtype
    if isinstance(p, Tensor):
        return _fill(self, "BernoulliBackward1", lambda shape, pt: gen.bernoulli(pt, shape, dt), p)
    return _fill(self, "BernoulliBackward2", lambda shape: gen.bernoulli(float(p), shape, dt))


# *** sampling functions ***

def _sampled(inputs: tuple, node: str, values: np.ndarray) -> Tensor:
    """A fresh tensor of drawn values; recorded as torch's `node` when an input requires grad
    (and given a zero tangent when one is dual)."""
    return _random_draw.public(*inputs, node=node, drawn=_Drawn(values))


@composite("bernoulli")
def bernoulli(input: Tensor, p: Optional[float] = None, *, generator: Any = None) -> Tensor:
    """0/1 draws: 1 with probability input (elementwise), or with probability p.

    Example::
        >>> ndgrad.bernoulli(ndgrad.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """
    gen, arr = _gen(generator), input._data        # a fresh contiguous tensor, C order
    if p is None:
        return _sampled((input,), "BernoulliBackward0", gen.bernoulli(arr, arr.shape, arr.dtype))
    return _sampled((input,), "NotImplemented", gen.bernoulli(float(p), arr.shape, arr.dtype))


@composite("normal", method=False)
@factory("normal")
def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples with the given mean and std (numbers or tensors; numbers need `size`).

    Example::
        >>> ndgrad.normal(0.0, 1.0, size=(2, 3)).shape
        torch.Size([2, 3])
    """
    gen = _gen(generator)
    m_t, s_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if m_t or s_t:
        if size is not None:
            raise TypeError("normal(): `size` is only accepted when mean and std are numbers")
        if m_t and s_t:
            err = _broadcast_error([mean._data.shape, std._data.shape])
            if err:
                raise RuntimeError(err)
        # scalars stay Python floats: torch samples normal(T, s) and normal(s, T) differently
        values = gen.normal_tensor(mean._data if m_t else float(mean),
                                   std._data if s_t else float(std),
                                   (mean if m_t else std)._data.dtype)
        node = "NormalBackward3" if m_t and s_t else "NormalBackward1" if m_t else "NormalBackward2"
        return _sampled((mean if m_t else None, std if s_t else None), node, values)
    if size is None:
        raise TypeError("normal() missing required argument 'size' when mean and std are numbers")
    dt = (dtype or _Default.float).np
    out = Tensor._make(gen.normal(_sizes((size,)), dt, float(mean), float(std)))
    return out.requires_grad_() if requires_grad else out


@composite("multinomial")
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Any = None) -> Tensor:
    """Indices drawn from the categorical distributions in the rows of input.

    Example::
        >>> ndgrad.multinomial(ndgrad.tensor([0., 1.]), 1).tolist()
        [1]
    """
    return Tensor._make(_gen(generator).multinomial(input._data, int(num_samples), replacement))


# *** *_like: torch's empty_like(input) (input's layout when dense) filled in memory order ***

def _like(input: Tensor, dtype: Any, memory_format: Any) -> np.ndarray:
    dt = dtype.np if dtype is not None else input._data.dtype
    if memory_format is not None and "contiguous" in str(memory_format):
        return np.empty(input._data.shape, dt)
    return empty_like(input._data, dt)


def _finish_like(out: np.ndarray, values: np.ndarray, requires_grad: bool) -> Tensor:
    out[...] = values
    t = Tensor._make(out)
    return t.requires_grad_() if requires_grad else t


@composite("rand_like", method=False)
@factory("rand_like", takes_out=False, allocating="aten::empty_strided")
def rand_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
              generator: Any = None, memory_format: Any = None, **_: Any) -> Tensor:
    """U[0, 1) samples with input's shape and dtype.

    Example::
        >>> ndgrad.rand_like(ndgrad.zeros(2, 3)).shape
        torch.Size([2, 3])
    """
    gen, out = _gen(generator), _like(input, dtype, memory_format)
    sample = _pairs_if_complex(out.dtype, lambda shape, dt: gen.uniform(shape, dt))
    return _finish_like(out, draw(out, sample), requires_grad)


@composite("randn_like", method=False)
@factory("randn_like", takes_out=False, allocating="aten::empty_strided")
def randn_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
               generator: Any = None, memory_format: Any = None, **_: Any) -> Tensor:
    """N(0, 1) samples with input's shape and dtype.

    Example::
        >>> ndgrad.randn_like(ndgrad.zeros(2, 3)).shape
        torch.Size([2, 3])
    """
    gen, out = _gen(generator), _like(input, dtype, memory_format)
    std = 1 / math.sqrt(2) if out.dtype.kind == "c" else 1.0  # complex: half the variance each
    values = draw(out, _pairs_if_complex(out.dtype, lambda shape, dt: gen.normal(
        shape, dt, 0.0, std, contiguous=out.flags.c_contiguous)))
    return _finish_like(out, values, requires_grad)


@composite("randint_like", method=False)
@factory("randint_like", takes_out=False, allocating="aten::empty_strided")
def randint_like(input: Tensor, low: int = 0, high: Optional[int] = None, *, dtype: Any = None,
                 requires_grad: bool = False, generator: Any = None, memory_format: Any = None,
                 **_: Any) -> Tensor:
    """Integers uniform on [low, high) with input's shape and dtype (randint_like(x, high) too).

    Example::
        >>> ndgrad.randint_like(ndgrad.zeros(3), 4, 5).tolist()
        [4.0, 4.0, 4.0]
    """
    if high is None:
        low, high = 0, low
    gen, out = _gen(generator), _like(input, dtype, memory_format)
    values = draw(out, lambda shape: gen.randint(int(low), int(high), shape, out.dtype))
    return _finish_like(out, values, requires_grad)
