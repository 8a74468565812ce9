"""Discrete Fourier transforms: torch's three primitives (_fft_c2c, _fft_r2c, _fft_c2r, each with
its FftXXXBackward0 node) on numpy.fft, and the torch.fft functions built from them as torch
builds them. Public under ndgrad.fft."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import _dtype
from .._tensor import _TORCH_TYPE_NAMES, Tensor
from ._registry import composite, primitive
from .complex import real
from .join import cat
from .nn import constant_pad_nd

# torch's fft_norm_mode: how a transform scales, and numpy's name for it per direction
_NONE, _BY_ROOT_N, _BY_N = 0, 1, 2
_NP_NORM = {(_NONE, True): "backward", (_NONE, False): "forward", (_BY_N, True): "forward",
            (_BY_N, False): "backward", (_BY_ROOT_N, True): "ortho", (_BY_ROOT_N, False): "ortho"}


def _complex_of(dt: np.dtype) -> np.dtype:
    return np.dtype(np.complex64 if dt in (np.float32, np.complex64) else np.complex128)


# *** the primitives: every transform ends in one of these ***

_C2C = [((4,), {"dim": (0,), "normalization": _NONE, "forward": True}),
        ((3, 4), {"dim": (0, 1), "normalization": _BY_N, "forward": False}),
        ((2, 3, 4), {"dim": (2, 0), "normalization": _BY_ROOT_N, "forward": True})]


@primitive("_fft_c2c", grad_fn="FftC2CBackward0", export=False, complex=True, samples=_C2C,
           complex_only=True, torch_fn=lambda torch, x, **k: torch._fft_c2c(
               x, list(k["dim"]), k["normalization"], k["forward"]))
def _fft_c2c(input, *, dim, normalization, forward):
    fn = np.fft.fftn if forward else np.fft.ifftn
    return fn(input, axes=dim, norm=_NP_NORM[normalization, forward]).astype(input.dtype,
                                                                             copy=False)


@_fft_c2c.vjp
def _(grad, *, dim, normalization, forward):
    # the DFT matrix is symmetric, so its adjoint is the transform the other way, same scale
    return _fft_c2c.public(grad, dim=dim, normalization=normalization, forward=not forward)


_R2C = [((5,), {"dim": (0,), "normalization": _NONE, "onesided": True}),
        ((4, 3), {"dim": (0,), "normalization": _BY_N, "onesided": True}),
        ((3, 4), {"dim": (0, 1), "normalization": _BY_ROOT_N, "onesided": True}),
        ((3, 4), {"dim": (1,), "normalization": _NONE, "onesided": False})]


@primitive("_fft_r2c", grad_fn="FftR2CBackward0", export=False, complex=True, samples=_R2C,
           complex_samples=False, torch_fn=lambda torch, x, **k: torch._fft_r2c(
               x, list(k["dim"]), k["normalization"], k["onesided"]))
def _fft_r2c(input, *, dim, normalization, onesided):
    fn = np.fft.rfftn if onesided else np.fft.fftn
    return fn(input, axes=dim, norm=_NP_NORM[normalization, True]).astype(
        _complex_of(input.dtype), copy=False)


@_fft_r2c.vjp
def _(grad, input_shape, *, dim, normalization, onesided):
    # a one-sided result is the first half of the full transform: pad the other half with zeros,
    # apply the adjoint of the full transform, keep the real part (the input was real)
    last = dim[-1]
    missing = input_shape[last] - grad._data.shape[last]
    if onesided and missing > 0:
        shape = list(grad._data.shape)
        shape[last] = missing
        grad = cat([grad, Tensor._make(np.zeros(shape, grad._data.dtype))], last)
    return real(_fft_c2c.public(grad, dim=dim, normalization=normalization, forward=False))


_C2R = [((3,), {"dim": (0,), "normalization": _BY_N, "last_dim_size": 4}),
        ((4,), {"dim": (0,), "normalization": _NONE, "last_dim_size": 7}),
        ((3, 4), {"dim": (0, 1), "normalization": _BY_ROOT_N, "last_dim_size": 6}),
        ((3, 2), {"dim": (1, 0), "normalization": _BY_N, "last_dim_size": 5})]


@primitive("_fft_c2r", grad_fn="FftC2RBackward0", export=False, complex=True, samples=_C2R,
           complex_only=True, torch_fn=lambda torch, x, **k: torch._fft_c2r(
               x, list(k["dim"]), k["normalization"], k["last_dim_size"]))
def _fft_c2r(input, *, dim, normalization, last_dim_size):
    sizes = [input.shape[d] for d in dim[:-1]] + [last_dim_size]
    out = np.fft.irfftn(input, s=sizes, axes=dim, norm=_NP_NORM[normalization, False])
    return out.astype(input.real.dtype, copy=False)


@_fft_c2r.vjp
def _(grad, input_shape, *, dim, normalization, last_dim_size):
    # c2r fills the missing half by conjugate symmetry: bins 1 .. n - (n//2 + 1) are read twice
    g = _fft_r2c.public(grad, dim=dim, normalization=normalization, onesided=True)
    last = dim[-1]
    twice = last_dim_size - input_shape[last]
    if twice <= 0:
        return g
    scale = np.ones(input_shape[last], np.finfo(g._data.dtype).dtype)
    scale[1:1 + twice] = 2
    line = [1] * len(input_shape)
    line[last] = input_shape[last]
    return g * Tensor._make(scale.reshape(line))


# *** argument handling, as torch's SpectralOps ***

def _wrap(dim: int, ndim: int) -> int:
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim})")
    return dim % ndim


def _promote(x: Tensor, require_complex: bool = False) -> Tensor:
    """torch's promote_tensor_fft: integers become the default float; float16 is refused."""
    if not isinstance(x, Tensor):
        raise TypeError(f"fft(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    dt = x._data.dtype
    if dt.kind == "c":
        return x
    target = dt if dt.kind == "f" else _dtype._Default.float.np
    if target == np.float16:
        raise RuntimeError("Unsupported dtype Half")
    if require_complex:
        target = _complex_of(target)
    return x if target == dt else x.to(_dtype.from_numpy_dtype(target))


def _norm_mode(norm: str | None, forward: bool) -> int:
    if norm is None or norm == "backward":
        return _NONE if forward else _BY_N
    if norm == "forward":
        return _BY_N if forward else _NONE
    if norm == "ortho":
        return _BY_ROOT_N
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _check_n(n: int) -> int:
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return n


def _resize(x: Tensor, dims: Sequence[int], sizes: Sequence[int]) -> Tensor:
    """Crop (a slice) or zero-pad (one constant_pad_nd) x to sizes along dims."""
    shape = x._data.shape
    pad = [0] * (2 * len(shape))
    padded = False
    for d, n in zip(dims, sizes):
        if n == -1:
            continue
        if shape[d] < n:
            pad[len(pad) - 2 * d - 1] = n - shape[d]
            padded = True
        elif shape[d] > n:
            x = x.narrow(d, 0, n)
    return constant_pad_nd(x, tuple(pad)) if padded else x


def _shape_and_dims(x: Tensor, s: Any, dim: Any) -> tuple[list, list]:
    """torch's canonicalize_fft_shape_and_dim_args: the transformed dims and their sizes."""
    ndim, sizes = x._data.ndim, x._data.shape
    dims = None
    if dim is not None:
        dims = [_wrap(int(d), ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = [int(v) for v in ((s,) if isinstance(s, int) else s)]
        if dims is not None and len(dims) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} "
                               "dimensions.")
        if dims is None:
            dims = list(range(ndim - len(s), ndim))
        shape = [sizes[d] if n == -1 else n for d, n in zip(dims, s)]
    elif dims is None:
        dims, shape = list(range(ndim)), list(sizes)
    else:
        shape = [sizes[d] for d in dims]
    for n in shape:
        _check_n(n)
    return shape, dims


def _c2r_shape(name: str, x: Tensor, s: Any, dim: Any) -> tuple[list, list, int]:
    shape, dims = _shape_and_dims(x, s, dim)
    if not shape:
        raise RuntimeError(f"{name} must transform at least one axis")
    last = (2 * (x._data.shape[dims[-1]] - 1) if s is None or list(s)[-1] == -1
            else shape[-1])
    _check_n(last)
    shape[-1] = last // 2 + 1
    return shape, dims, last


def _out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape) or out.dtype != result.dtype:
        raise RuntimeError(f"out= must have the result's shape {list(result.shape)} and dtype "
                           f"{result.dtype}, got {list(out.shape)} and {out.dtype}")
    return out.copy_(result)


# *** one-dimensional transforms ***

def _c2c_1d(x: Tensor, n: Any, dim: int, norm: Any, forward: bool) -> Tensor:
    d = _wrap(dim, x._data.ndim)
    if n is not None:
        x = _resize(x, [d], [_check_n(n)])
    else:
        _check_n(x._data.shape[d])
    return _fft_c2c.public(x, dim=(d,), normalization=_norm_mode(norm, forward), forward=forward)


def _r2c_1d(name: str, x: Tensor, n: Any, dim: int, norm: Any, forward: bool,
            onesided: bool) -> Tensor:
    if x._data.dtype.kind == "c":
        raise RuntimeError(f"{name} expects a real input tensor, but got "
                           f"{_TORCH_TYPE_NAMES[x._data.dtype.name]}")
    x = _promote(x)
    d = _wrap(dim, x._data.ndim)
    if n is not None:
        x = _resize(x, [d], [_check_n(n)])
    else:
        _check_n(x._data.shape[d])
    out = _fft_r2c.public(x, dim=(d,), normalization=_norm_mode(norm, forward), onesided=onesided)
    return out if forward else out.conj()  # the inverse direction is the conjugate of the forward


def _c2r_1d(x: Tensor, n: Any, dim: int, norm: Any, forward: bool) -> Tensor:
    x = _promote(x, require_complex=True)
    d = _wrap(dim, x._data.ndim)
    last = _check_n(n if n is not None else 2 * (x._data.shape[d] - 1))
    if n is not None:
        x = _resize(x, [d], [last // 2 + 1])
    if forward:  # hfft: the forward transform of Hermitian data, the c2r of its conjugate
        x = x.conj()
    return _fft_c2r.public(x, dim=(d,), normalization=_norm_mode(norm, forward),
                           last_dim_size=last)


def _th(name: str) -> Any:
    return lambda torch, x, **kw: getattr(torch.fft, name)(x, **kw)


_ONE_D = [((6,), {}), ((3, 4), {"dim": 0}), ((5,), {"n": 8, "norm": "ortho"}),
          ((2, 6), {"n": 4, "norm": "forward"})]
_C2R_1D = [((4,), {}), ((3, 4), {"dim": 0}), ((4,), {"n": 5, "norm": "ortho"}),
           ((2, 5), {"n": 4, "norm": "forward"})]


@composite("fft.fft", export=False, method=False, samples=_ONE_D, complex=True, torch_fn=_th("fft"))
def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
        out: Tensor | None = None) -> Tensor:
    """One-dimensional discrete Fourier transform along dim (input cropped or zero-padded to n).

    Example::
        >>> ndgrad.fft.fft(ndgrad.tensor([1., 0., 0., 0.]))
        tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
    """
    if input._data.dtype.kind == "c":
        return _out(_c2c_1d(input, n, dim, norm, True), out)
    return _out(_r2c_1d("fft", input, n, dim, norm, True, False), out)


@composite("fft.ifft", export=False, method=False, samples=_ONE_D, complex=True,
           torch_fn=_th("ifft"))
def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out: Tensor | None = None) -> Tensor:
    """Inverse of fft (scaled by 1/n with the default norm='backward').

    Example::
        >>> ndgrad.fft.ifft(ndgrad.fft.fft(ndgrad.tensor([1., 2., 3.]))).real
        tensor([1., 2., 3.])
    """
    if input._data.dtype.kind == "c":
        return _out(_c2c_1d(input, n, dim, norm, False), out)
    return _out(_r2c_1d("ifft", input, n, dim, norm, False, False), out)


@composite("fft.rfft", export=False, method=False, samples=_ONE_D, torch_fn=_th("rfft"))
def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out: Tensor | None = None) -> Tensor:
    """fft of a real input, keeping the n // 2 + 1 non-redundant frequencies.

    Example::
        >>> ndgrad.fft.rfft(ndgrad.tensor([1., 2., 3., 4.]))
        tensor([10.+0.j, -2.+2.j, -2.+0.j])
    """
    return _out(_r2c_1d("rfft", input, n, dim, norm, True, True), out)


@composite("fft.irfft", export=False, method=False, samples=_C2R_1D, complex=True,
           torch_fn=_th("irfft"))
def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """Inverse of rfft: a real signal of length n (default 2 * (size - 1)).

    Example::
        >>> ndgrad.fft.irfft(ndgrad.tensor([10., -2 + 2j, -2.]))
        tensor([1., 2., 3., 4.])
    """
    return _out(_c2r_1d(input, n, dim, norm, False), out)


@composite("fft.hfft", export=False, method=False, samples=_C2R_1D, complex=True,
           torch_fn=_th("hfft"))
def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out: Tensor | None = None) -> Tensor:
    """fft of a Hermitian-symmetric signal given by its first half: a real result of length n.

    Example::
        >>> ndgrad.fft.hfft(ndgrad.tensor([1., 0., 0.]))
        tensor([1., 1., 1., 1.])
    """
    return _out(_c2r_1d(input, n, dim, norm, True), out)


@composite("fft.ihfft", export=False, method=False, samples=_ONE_D, torch_fn=_th("ihfft"))
def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """Inverse of hfft: the n // 2 + 1 first frequencies of the ifft of a real signal.

    Example::
        >>> ndgrad.fft.ihfft(ndgrad.tensor([4., 0., 0., 0.]))
        tensor([1.-0.j, 1.-0.j, 1.-0.j])
    """
    return _out(_r2c_1d("ihfft", input, n, dim, norm, False, True), out)
