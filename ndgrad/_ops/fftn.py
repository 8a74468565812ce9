"""Multi-dimensional Fourier transforms (fftn, rfftn, hfftn and the 2-D forms), fftshift and the
sample frequencies, built on the primitives of fft.py as torch builds them."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import _TORCH_TYPE_NAMES, Tensor
from ._registry import composite
from .fft import (
    _c2r_shape, _fft_c2c, _fft_c2r, _fft_r2c, _norm_mode, _out, _promote, _resize,
    _shape_and_dims, _th, _wrap,
)


def _c2c_nd(input: Tensor, s: Any, dim: Any, norm: Any, forward: bool) -> Tensor:
    x = _promote(input, require_complex=True)
    shape, dims = _shape_and_dims(x, s, dim)
    x = _resize(x, dims, shape)
    return _fft_c2c.public(x, dim=tuple(dims), normalization=_norm_mode(norm, forward),
                           forward=forward)


def _real_input(name: str, x: Tensor) -> None:
    if x._data.dtype.kind == "c":
        raise RuntimeError(f"{name} expects a real-valued input tensor, but got "
                           f"{_TORCH_TYPE_NAMES[x._data.dtype.name]}")


def _rfftn(input: Tensor, s: Any, dim: Any, norm: Any) -> Tensor:
    _real_input("rfftn", input)
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError("rfftn must transform at least one axis")
    x = _resize(_promote(input), dims, shape)
    return _fft_r2c.public(x, dim=tuple(dims), normalization=_norm_mode(norm, True), onesided=True)


def _irfftn(input: Tensor, s: Any, dim: Any, norm: Any) -> Tensor:
    shape, dims, last = _c2r_shape("irfftn", input, s, dim)
    x = _resize(_promote(input, require_complex=True), dims, shape)
    return _fft_c2r.public(x, dim=tuple(dims), normalization=_norm_mode(norm, False),
                           last_dim_size=last)


def _hfftn(input: Tensor, s: Any, dim: Any, norm: Any) -> Tensor:
    shape, dims, last = _c2r_shape("hfftn", input, s, dim)
    x = _resize(_promote(input, require_complex=True), dims, shape)
    mode = _norm_mode(norm, True)
    if len(dims) > 1:  # full transforms over the other dims, then the Hermitian one
        x = _fft_c2c.public(x, dim=tuple(dims[:-1]), normalization=mode, forward=True)
    return _fft_r2c_conj_c2r(x, dims[-1], mode, last)


def _fft_r2c_conj_c2r(x: Tensor, last_dim: int, mode: int, size: int) -> Tensor:
    return _fft_c2r.public(x.conj(), dim=(last_dim,), normalization=mode, last_dim_size=size)


def _ihfftn(input: Tensor, s: Any, dim: Any, norm: Any) -> Tensor:
    if input._data.dtype.kind == "c":
        raise RuntimeError(f"Only supports floating-point dtypes, but found: "
                           f"{_TORCH_TYPE_NAMES[input._data.dtype.name]}")
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError("ihfftn must transform at least one axis")
    x = _resize(_promote(input), dims, shape)
    mode = _norm_mode(norm, False)
    x = _fft_r2c.public(x, dim=(dims[-1],), normalization=mode, onesided=True)
    if len(dims) == 1:
        return x.conj()
    return _fft_c2c.public(x.conj_physical(), dim=tuple(dims[:-1]), normalization=mode,
                           forward=False)


_N_D = [((3, 4), {}), ((2, 3, 4), {"dim": (0, 2)}), ((3, 4), {"s": (4, 2), "norm": "ortho"}),
        ((2, 3, 2), {"s": (-1, 5), "dim": (2, 1), "norm": "forward"})]
_TWO_D = [((3, 4), {}), ((2, 3, 4), {"dim": (0, 2)}), ((3, 4), {"s": (4, 2), "norm": "ortho"})]
_C2R_N_D = [((3, 4), {}), ((2, 3, 3), {"dim": (0, 2)}), ((3, 4), {"s": (4, 5), "norm": "ortho"}),
            ((3, 2), {"s": (-1, 3), "dim": (1, 0), "norm": "forward"})]
_C2R_TWO_D = [((3, 4), {}), ((3, 4), {"s": (4, 5), "norm": "ortho"})]
_N = {"export": False, "method": False}


@composite("fft.fftn", samples=_N_D, complex=True, torch_fn=_th("fftn"), **_N)
def fftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,
         out: Tensor | None = None) -> Tensor:
    """N-dimensional fft over dim (all dims by default), each cropped or zero-padded to s.

    Example::
        >>> ndgrad.fft.fftn(ndgrad.ones(2, 2))
        tensor([[4.+0.j, 0.+0.j],
                [0.+0.j, 0.+0.j]])
    """
    return _out(_c2c_nd(input, s, dim, norm, True), out)


@composite("fft.ifftn", samples=_N_D, complex=True, torch_fn=_th("ifftn"), **_N)
def ifftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """Inverse of fftn.

    Example::
        >>> ndgrad.fft.ifftn(ndgrad.tensor([[4., 0.], [0., 0.]]))
        tensor([[1.+0.j, 1.+0.j],
                [1.+0.j, 1.+0.j]])
    """
    return _out(_c2c_nd(input, s, dim, norm, False), out)


@composite("fft.rfftn", samples=_N_D, torch_fn=_th("rfftn"), **_N)
def rfftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """fftn of a real input, one-sided in the last transformed dim.

    Example::
        >>> ndgrad.fft.rfftn(ndgrad.ones(2, 2)).shape
        torch.Size([2, 2])
    """
    return _out(_rfftn(input, s, dim, norm), out)


@composite("fft.irfftn", samples=_C2R_N_D, complex=True, torch_fn=_th("irfftn"), **_N)
def irfftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,
           out: Tensor | None = None) -> Tensor:
    """Inverse of rfftn: a real result (last transformed dim of size s[-1] or 2 * (size - 1)).

    Example::
        >>> ndgrad.fft.irfftn(ndgrad.tensor([[4., 0.], [0., 0.]]))
        tensor([[1., 1.],
                [1., 1.]])
    """
    return _out(_irfftn(input, s, dim, norm), out)


@composite("fft.hfftn", samples=_C2R_N_D, complex=True, torch_fn=_th("hfftn"), **_N)
def hfftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """fftn of a Hermitian-symmetric signal given by the first half of its last dim.

    Example::
        >>> ndgrad.fft.hfftn(ndgrad.tensor([[1., 0.], [0., 0.]]))
        tensor([[1., 1.],
                [1., 1.]])
    """
    return _out(_hfftn(input, s, dim, norm), out)


@composite("fft.ihfftn", samples=_N_D, torch_fn=_th("ihfftn"), **_N)
def ihfftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,
           out: Tensor | None = None) -> Tensor:
    """Inverse of hfftn: one-sided ifftn of a real input.

    Example::
        >>> ndgrad.fft.ihfftn(ndgrad.ones(2, 2)).real
        tensor([[1., 0.],
                [0., 0.]])
    """
    return _out(_ihfftn(input, s, dim, norm), out)


@composite("fft.fft2", samples=_TWO_D, complex=True, torch_fn=_th("fft2"), **_N)
def fft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,
         out: Tensor | None = None) -> Tensor:
    """fftn over two dims (the last two by default).

    Example::
        >>> ndgrad.fft.fft2(ndgrad.ones(2, 2))[0, 0]
        tensor(4.+0.j)
    """
    return _out(_c2c_nd(input, s, dim, norm, True), out)


@composite("fft.ifft2", samples=_TWO_D, complex=True, torch_fn=_th("ifft2"), **_N)
def ifft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """ifftn over two dims (the last two by default).

    Example::
        >>> ndgrad.fft.ifft2(ndgrad.tensor([[4., 0.], [0., 0.]]))[1, 1]
        tensor(1.+0.j)
    """
    return _out(_c2c_nd(input, s, dim, norm, False), out)


@composite("fft.rfft2", samples=_TWO_D, torch_fn=_th("rfft2"), **_N)
def rfft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """rfftn over two dims (the last two by default).

    Example::
        >>> ndgrad.fft.rfft2(ndgrad.ones(2, 4)).shape
        torch.Size([2, 3])
    """
    return _out(_rfftn(input, s, dim, norm), out)


@composite("fft.irfft2", samples=_C2R_TWO_D, complex=True, torch_fn=_th("irfft2"), **_N)
def irfft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,
           out: Tensor | None = None) -> Tensor:
    """irfftn over two dims (the last two by default).

    Example::
        >>> ndgrad.fft.irfft2(ndgrad.ones(2, 3)).shape
        torch.Size([2, 4])
    """
    return _out(_irfftn(input, s, dim, norm), out)


@composite("fft.hfft2", samples=_C2R_TWO_D, complex=True, torch_fn=_th("hfft2"), **_N)
def hfft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """hfftn over two dims (the last two by default).

    Example::
        >>> ndgrad.fft.hfft2(ndgrad.ones(2, 3)).shape
        torch.Size([2, 4])
    """
    return _out(_hfftn(input, s, dim, norm), out)


@composite("fft.ihfft2", samples=_TWO_D, torch_fn=_th("ihfft2"), **_N)
def ihfft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,
           out: Tensor | None = None) -> Tensor:
    """ihfftn over two dims (the last two by default).

    Example::
        >>> ndgrad.fft.ihfft2(ndgrad.ones(2, 4)).shape
        torch.Size([2, 3])
    """
    return _out(_ihfftn(input, s, dim, norm), out)


# *** shifts and sample frequencies ***

_SHIFT = [((9, 10), {}), ((7,), {"dim": 0}), ((5, 6), {"dim": (1,)}), ((5, 6, 2), {"dim": (0, 2)})]


def _shift(input: Tensor, dim: Any, sign: int) -> Tensor:
    ndim = input._data.ndim
    dims = list(range(ndim)) if dim is None else [
        _wrap(int(d), ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
    shifts = [sign * (input._data.shape[d] // 2) for d in dims]
    return input.roll(shifts, dims)


@composite("fft.fftshift", samples=_SHIFT, complex=True, torch_fn=_th("fftshift"), **_N)
def fftshift(input: Tensor, dim: Any = None) -> Tensor:
    """Move the zero frequency to the middle (a roll by n // 2 along each dim).

    Example::
        >>> ndgrad.fft.fftshift(ndgrad.fft.fftfreq(4))
        tensor([-0.5000, -0.2500,  0.0000,  0.2500])
    """
    return _shift(input, dim, 1)


@composite("fft.ifftshift", samples=_SHIFT, complex=True, torch_fn=_th("ifftshift"), **_N)
def ifftshift(input: Tensor, dim: Any = None) -> Tensor:
    """Inverse of fftshift (a roll by -(n // 2) along each dim).

    Example::
        >>> ndgrad.fft.ifftshift(ndgrad.tensor([-0.5, -0.25, 0., 0.25]))
        tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    return _shift(input, dim, -1)


def _freq(values: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    dt = dtype or _dtype.get_default_dtype()
    if not dt.is_floating_point and not dt.is_complex:
        raise RuntimeError(f"fftfreq requires a floating point or complex dtype, got {dt}")
    out = Tensor._make(values.astype(dt.np))
    return out.requires_grad_() if requires_grad else out


def fftfreq(n: int, d: float = 1.0, *, dtype: Any = None, layout: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an n-point fft with sample spacing d.

    Example::
        >>> ndgrad.fft.fftfreq(4)
        tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    k = np.concatenate((np.arange((n + 1) // 2), np.arange(-(n // 2), 0)))
    return _freq(k / (d * n), dtype, requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, dtype: Any = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an n-point rfft with sample spacing d.

    Example::
        >>> ndgrad.fft.rfftfreq(4)
        tensor([0.0000, 0.2500, 0.5000])
    """
    return _freq(np.arange(n // 2 + 1) / (d * n), dtype, requires_grad)
