"""Random sampling on tensors: in-place fills (uniform_, normal_, ...) and sampling functions.
The streams are torch's CPU streams (ndgrad._random); no gradient flows through a draw."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .._factory import factory
from ._registry import composite


def _gen(generator: Any) -> Any:
    from .. import _random

    return generator if generator is not None else _random.default_generator


def _fill(self: Tensor, values: np.ndarray) -> Tensor:
    self._check_inplace()
    self._data[...] = values
    self._vc[0] += 1
    return self


@composite("uniform_", export=False)
def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from U[a, b) in place.

    Example::
        >>> ndgrad.empty(3).uniform_(-1, 1).shape
        torch.Size([3])
    """
    return _fill(self, _gen(generator).uniform(self._data.shape, self._data.dtype, a, b))


@composite("normal_", export=False)
def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from N(mean, std²) in place."""
    return _fill(self, _gen(generator).normal(self._data.shape, self._data.dtype, mean, std))


@composite("random_", export=False)
def random_(self: Tensor, from_: int = 0, to: int | None = None, *, generator: Any = None) -> Tensor:
    """Fill with integers uniform on [from, to) (to defaults to 2**mantissa for floats)."""
    if to is None:
        from_, to = 0, from_ if from_ else (2 ** 24 if self._data.dtype == np.float32 else 2 ** 53
                                            if self._data.dtype.kind == "f" else
                                            int(np.iinfo(self._data.dtype).max) + 1)
    return _fill(self, _gen(generator).randint(int(from_), int(to), self._data.shape, self._data.dtype))


@composite("bernoulli_", export=False)
def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 0/1 draws that are 1 with probability p (a number or a tensor)."""
    prob = p._data if isinstance(p, Tensor) else float(p)
    return _fill(self, _gen(generator).bernoulli(prob, self._data.shape, self._data.dtype))


@composite("exponential_", export=False)
def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from Exp(lambd) in place."""
    return _fill(self, _gen(generator).exponential(self._data.shape, self._data.dtype, lambd))


@composite("bernoulli")
def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:
    """0/1 draws, 1 with probability input (elementwise).

    Example::
        >>> ndgrad.bernoulli(ndgrad.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """
    prob = input._data if p is None else float(p)
    return Tensor._make(_gen(generator).bernoulli(prob, input._data.shape, input._data.dtype))


@composite("multinomial")
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Any = None) -> Tensor:
    """Indices drawn from the categorical distributions in the rows of input.

    Example::
        >>> ndgrad.multinomial(ndgrad.tensor([0., 1.]), 1).tolist()
        [1]
    """
    return Tensor._make(_gen(generator).multinomial(input._data, int(num_samples), replacement))


@composite("rand_like", method=False)
@factory("rand_like", takes_out=False, allocating="aten::empty_strided")
def rand_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
              generator: Any = None, **_: Any) -> Tensor:
    """U[0, 1) samples with input's shape and dtype."""
    dt = dtype.np if dtype is not None else input._data.dtype
    return Tensor._make(_gen(generator).uniform(input._data.shape, dt), requires_grad)


@composite("randn_like", method=False)
@factory("randn_like", takes_out=False, allocating="aten::empty_strided")
def randn_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
               generator: Any = None, **_: Any) -> Tensor:
    """N(0, 1) samples with input's shape and dtype."""
    dt = dtype.np if dtype is not None else input._data.dtype
    return Tensor._make(_gen(generator).normal(input._data.shape, dt), requires_grad)


@composite("randint_like", method=False)
@factory("randint_like", takes_out=False, allocating="aten::empty_strided")
def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: Any = None,
                 generator: Any = None, **_: Any) -> Tensor:
    """Integers uniform on [low, high) with input's shape and dtype."""
    if high is None:
        low, high = 0, low
    dt = dtype.np if dtype is not None else input._data.dtype
    return Tensor._make(_gen(generator).randint(int(low), int(high), input._data.shape, dt))
