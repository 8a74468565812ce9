"""Window functions: torch's factories (hann_window, hamming_window, blackman_window,
bartlett_window, kaiser_window) and torch.signal.windows (public as ndgrad.signal.windows),
computed as torch computes them so that requires_grad=True records the same graph."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import _dtype
from .._creation import empty, linspace, ones, tensor
from .._tensor import Tensor
from ._registry import PUBLIC, composite
from .special_fns import i0

_LEGACY_NAMES = {"float16": "c10::Half", "int64": "long int", "int32": "int", "int16": "short int",
                 "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


# *** torch-level factories: hann_window(window_length, periodic=True, ...) ***

def _factory_checks(name: str, window_length: int, dtype: Any) -> Any:
    dtype = _dtype.get_default_dtype() if dtype is None else dtype
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype="
                           f"{_LEGACY_NAMES.get(dtype.np.name, dtype.np.name)}, device=cpu, "
                           "layout=Strided (default), requires_grad=false (default), "
                           "pinned_memory=false, memory_format=(nullopt))")
    return dtype


def _leaf(values: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    return tensor(values, dtype=dtype, requires_grad=requires_grad)


def _cosine_sum(window_length: int, periodic: bool, coefficients: tuple) -> np.ndarray:
    """Σ_k (-1)^k a_k cos(2πkn / N) with N = length (periodic) or length - 1 (symmetric)."""
    n = np.arange(window_length, dtype=np.float64)
    denom = window_length if periodic else window_length - 1
    return sum((-1) ** k * a * np.cos(2 * math.pi * k * n / denom)
               for k, a in enumerate(coefficients))


def _factory(name: str, window_length: int, periodic: bool, dtype: Any, requires_grad: bool,
             values: Any) -> Tensor:
    dtype = _factory_checks(name, window_length, dtype)
    if window_length <= 1:
        return _leaf(np.ones(window_length), dtype, requires_grad)
    return _leaf(values(), dtype, requires_grad)


@composite("hann_window", method=False)
def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None, layout: Any = None,
                device: Any = None, pin_memory: bool = False,
                requires_grad: bool = False) -> Tensor:
    """The Hann window 0.5 - 0.5 cos(2πn / N) (N = length if periodic, else length - 1).

    Example::
        >>> ndgrad.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _factory("hann_window", window_length, periodic, dtype, requires_grad,
                    lambda: _cosine_sum(window_length, periodic, (0.5, 0.5)))


@composite("hamming_window", method=False)
def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: Any = None, layout: Any = None,
                   device: Any = None, pin_memory: bool = False,
                   requires_grad: bool = False) -> Tensor:
    """The Hamming window alpha - beta cos(2πn / N).

    Example::
        >>> ndgrad.hamming_window(3, periodic=False)
        tensor([0.0800, 1.0000, 0.0800])
    """
    return _factory("hamming_window", window_length, periodic, dtype, requires_grad,
                    lambda: _cosine_sum(window_length, periodic, (alpha, beta)))


@composite("blackman_window", method=False)
def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, pin_memory: bool = False,
                    requires_grad: bool = False) -> Tensor:
    """The Blackman window 0.42 - 0.5 cos(2πn / N) + 0.08 cos(4πn / N).

    Example::
        >>> ndgrad.blackman_window(3, periodic=False, dtype=ndgrad.float64)
        tensor([-1.3878e-17,  1.0000e+00, -1.3878e-17], dtype=torch.float64)
    """
    return _factory("blackman_window", window_length, periodic, dtype, requires_grad,
                    lambda: _cosine_sum(window_length, periodic, (0.42, 0.5, 0.08)))


@composite("bartlett_window", method=False)
def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, pin_memory: bool = False,
                    requires_grad: bool = False) -> Tensor:
    """The triangular Bartlett window 1 - |2n / N - 1|.

    Example::
        >>> ndgrad.bartlett_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    def values() -> np.ndarray:
        denom = window_length if periodic else window_length - 1
        return 1 - np.abs(2 * np.arange(window_length) / denom - 1)

    return _factory("bartlett_window", window_length, periodic, dtype, requires_grad, values)


@composite("kaiser_window", method=False)
def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype: Any = None, layout: Any = None, device: Any = None,
                  pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """The Kaiser window I0(beta sqrt(1 - (2n / N - 1)²)) / I0(beta).

    Example::
        >>> ndgrad.kaiser_window(3, periodic=False, beta=1.0)
        tensor([0.7898, 1.0000, 0.7898])
    """
    def values() -> np.ndarray:
        import scipy.special

        denom = window_length if periodic else window_length - 1
        ratio = 2 * np.arange(window_length) / denom - 1
        return scipy.special.i0(beta * np.sqrt(np.maximum(1 - ratio * ratio, 0))) / \
            scipy.special.i0(beta)

    return _factory("kaiser_window", window_length, periodic, dtype, requires_grad, values)


# *** torch.signal.windows: M points, sym=True by default, built from linspace ***

def _window_checks(name: str, M: int, dtype: Any, layout: Any) -> Any:
    dtype = _dtype.get_default_dtype() if dtype is None else dtype
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not None and str(layout) != "torch.strided":
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dtype not in (_dtype.float32, _dtype.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")
    return dtype


# torch evaluates these windows in the requested dtype. ndgrad builds the same float32 grid
# (linspace, products of the grid) and evaluates the transcendental functions in float64, rounding
# once at the end: within an ulp or two of torch's float32 kernels.

def _span(start: Any, end: Any, M: int, dtype: Any, requires_grad: bool) -> Tensor:
    """torch's linspace in dtype, held in float64."""
    return linspace(start, end, M, dtype=dtype, requires_grad=requires_grad).to(_dtype.float64)


def _rounded(t: Tensor, dtype: Any) -> Tensor:
    """t rounded to dtype as torch's dtype arithmetic would leave it, held in float64."""
    return t if dtype == _dtype.float64 else t.to(dtype).to(_dtype.float64)


def _trivial(M: int, dtype: Any, requires_grad: bool) -> Tensor | None:
    """Windows of length 0 and 1 (empty, and [1.])."""
    if M == 0:
        return empty((0,), dtype=dtype, requires_grad=requires_grad)
    if M == 1:
        return ones((1,), dtype=dtype, requires_grad=requires_grad)
    return None


def exponential(M: int, *, center: float | None = None, tau: float = 1.0, sym: bool = True,
                dtype: Any = None, layout: Any = None, device: Any = None,
                requires_grad: bool = False) -> Tensor:
    """The exponential (Poisson) window exp(-|n - center| / tau).

    Example::
        >>> ndgrad.signal.windows.exponential(3)
        tensor([0.3679, 1.0000, 0.3679])
    """
    dtype = _window_checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return empty((0,), dtype=dtype, requires_grad=requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    k = _span(-center / tau, (-center + (M - 1)) / tau, M, dtype, requires_grad)
    return (-k.abs()).exp().to(dtype)


def cosine(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """The cosine (sine) window sin(π(n + 1/2) / M).

    Example::
        >>> ndgrad.signal.windows.cosine(3)
        tensor([0.5000, 1.0000, 0.5000])
    """
    dtype = _window_checks("cosine", M, dtype, layout)
    if M == 0:
        return empty((0,), dtype=dtype, requires_grad=requires_grad)
    step = math.pi / (M + 1 if not sym and M > 1 else M)
    return _span(0.5 * step, (0.5 + (M - 1)) * step, M, dtype, requires_grad).sin().to(dtype)


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype: Any = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Gaussian window exp(-(n - center)² / (2 std²)).

    Example::
        >>> ndgrad.signal.windows.gaussian(3)
        tensor([0.6065, 1.0000, 0.6065])
    """
    dtype = _window_checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return empty((0,), dtype=dtype, requires_grad=requires_grad)
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    scale = 1 / (std * math.sqrt(2))
    k = _span(start * scale, (start + (M - 1)) * scale, M, dtype, requires_grad)
    return (-_rounded(k * k, dtype)).exp().to(dtype)


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype: Any = None,
           layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Kaiser window I0(sqrt(beta² - k²)) / I0(beta), k spanning [-beta, beta].

    Example::
        >>> ndgrad.signal.windows.kaiser(3, beta=1.0)
        tensor([0.7898, 1.0000, 0.7898])
    """
    dtype = _window_checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    trivial = _trivial(M, dtype, requires_grad)
    if trivial is not None:
        return trivial
    b = tensor(beta, dtype=dtype)
    step = 2.0 * beta / (M if not sym else M - 1)
    end = PUBLIC["minimum"](b, -b + (M - 1) * step)  # in dtype, as torch forms it
    k = _span(-b.item(), end.item(), M, dtype, requires_grad)
    b = b.to(_dtype.float64)
    arg = _rounded(_rounded(_rounded(b * b, dtype) - _rounded(k * k, dtype), dtype).sqrt(), dtype)
    # i0 in dtype: torch's float32 kernel overflows early (see special._scipy_bessel_i)
    return (i0(arg.to(dtype)).to(_dtype.float64) / i0(b.to(dtype)).to(_dtype.float64)).to(dtype)


def general_cosine(M: int, *, a: Iterable, sym: bool = True, dtype: Any = None,
                   layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A sum of cosines Σ_i (-1)^i a_i cos(2πin / N).

    Example::
        >>> ndgrad.signal.windows.general_cosine(3, a=[0.5, 0.5])
        tensor([0., 1., 0.])
    """
    dtype = _window_checks("general_cosine", M, dtype, layout)
    trivial = _trivial(M, dtype, requires_grad)
    if trivial is not None:
        return trivial
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    step = 2 * math.pi / (M if not sym else M - 1)
    k = _span(0, (M - 1) * step, M, dtype, requires_grad)
    a_i = tensor([(-1) ** i * w for i, w in enumerate(a)], dtype=dtype,
                 requires_grad=requires_grad)
    i = tensor(np.arange(a_i.shape[0]), dtype=dtype, requires_grad=requires_grad)
    angles = _rounded(i.to(_dtype.float64).unsqueeze(-1) * k, dtype)
    return (a_i.unsqueeze(-1) * angles.cos().to(dtype)).sum(0)


def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True, dtype: Any = None,
                    layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The generalized Hamming window alpha - (1 - alpha) cos(2πn / N).

    Example::
        >>> ndgrad.signal.windows.general_hamming(3, alpha=0.5)
        tensor([0., 1., 0.])
    """
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def hamming(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Hamming window (general_hamming with alpha = 0.54).

    Example::
        >>> ndgrad.signal.windows.hamming(3)
        tensor([0.0800, 1.0000, 0.0800])
    """
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hann(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Hann window (general_hamming with alpha = 0.5).

    Example::
        >>> ndgrad.signal.windows.hann(3)
        tensor([0., 1., 0.])
    """
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Blackman window (general_cosine with a = [0.42, 0.5, 0.08]).

    Example::
        >>> ndgrad.signal.windows.blackman(3, dtype=ndgrad.float64)
        tensor([-1.3878e-17,  1.0000e+00, -1.3878e-17], dtype=torch.float64)
    """
    dtype = _window_checks("blackman", M, dtype, layout)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def bartlett(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """The triangular Bartlett window 1 - |k|, k spanning [-1, 1].

    Example::
        >>> ndgrad.signal.windows.bartlett(3)
        tensor([0., 1., 0.])
    """
    dtype = _window_checks("bartlett", M, dtype, layout)
    trivial = _trivial(M, dtype, requires_grad)
    if trivial is not None:
        return trivial
    step = 2 / (M if not sym else M - 1)
    return (1 - _span(-1, -1 + (M - 1) * step, M, dtype, requires_grad).abs()).to(dtype)


def nuttall(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """The minimum 4-term Blackman-Harris window of Nuttall.

    Example::
        >>> ndgrad.signal.windows.nuttall(3)
        tensor([3.6280e-04, 1.0000e+00, 3.6280e-04])
    """
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)
