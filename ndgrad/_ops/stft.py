"""Short-time Fourier transforms (torch.stft / torch.istft): framing and overlap-add as a pair of
mutually adjoint ops, with the FFTs of fft.py in between, in torch's order of operations."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._tensor import _TORCH_TYPE_NAMES, Tensor
from ._registry import composite, primitive
from .complex import view_as_complex, view_as_real
from .fft import _BY_N, _BY_ROOT_N, _NONE, _fft_c2c, _fft_c2r, _fft_r2c
from .nn import constant_pad_nd  # nn first: it imports nn_norm itself
from .nn_norm import _pad_nonconstant
from .shape import _squeeze_dim_
from .view_ops import _transpose_  # the node of torch's in-place transpose_ (TransposeBackward1)

# *** framing and overlap-add (each the adjoint of the other) ***


@primitive("_stft_frames", grad_fn="AsStridedBackward0", export=False, complex=True,
           samples=[((2, 10), {"n_fft": 4, "hop": 3}), ((1, 7), {"n_fft": 7, "hop": 2})],
           skips=("torch",))
def _frames(input, *, n_fft, hop):
    """(batch, length) -> (batch, frames, n_fft): windows of n_fft samples every hop samples."""
    n = 1 + (input.shape[-1] - n_fft) // hop
    idx = np.arange(n)[:, None] * hop + np.arange(n_fft)
    return input[..., idx]


@_frames.vjp
def _(grad, input_shape, *, n_fft, hop):
    return _overlap_add.public(grad, length=input_shape[-1], hop=hop)


@primitive("_overlap_add", grad_fn="UnfoldBackwardBackward0", export=False, complex=True,
           samples=[((2, 3, 4), {"length": 11, "hop": 3}), ((1, 2, 5), {"length": 7, "hop": 2})],
           skips=("torch",))
def _overlap_add(input, *, length, hop):
    """(batch, frames, n_fft) -> (batch, length): frames summed back at every hop samples."""
    n, n_fft = input.shape[-2:]
    out = np.zeros(input.shape[:-2] + (length,), input.dtype)
    for k in range(n):  # one slice-add per frame: frames are few, each a contiguous run
        out[..., k * hop:k * hop + n_fft] += input[..., k, :]
    return out


@_overlap_add.vjp
def _(grad, input_shape, *, length, hop):
    return _frames.public(grad, n_fft=input_shape[-1], hop=hop)


# *** stft ***

def _window_to_n_fft(window: Tensor | None, win_length: int, n_fft: int, like: Tensor) -> Any:
    """The window zero-padded on both sides to n_fft (None: no window, i.e. all ones)."""
    if win_length >= n_fft:
        return window
    if window is None:
        window = Tensor._make(np.ones(win_length, np.finfo(like._data.dtype).dtype))
    left = (n_fft - win_length) // 2
    return constant_pad_nd(window, (left, n_fft - win_length - left))


def _type(t: Tensor, istft: bool = False) -> str:
    name = _TORCH_TYPE_NAMES[t._data.dtype.name]
    return f"CPU{name}Type" if istft else f"torch.{name}Tensor"


def _window_repr(window: Any) -> str:
    return "None" if window is None else f"{_type(window)}{{{list(window.shape)}}}"


def _flag(v: Any) -> str:
    return "None" if v is None else str(int(v))


def _stft_repr(x: Tensor, n_fft: int, hop: int, win: int, window: Any, normalized: bool,
               onesided: Any, return_complex: Any, align: Any) -> str:
    """The call torch's stft errors start with."""
    return (f"stft({_type(x)}{list(x.shape)}, n_fft={n_fft}, hop_length={hop}, win_length={win}, "
            f"window={_window_repr(window)}, normalized={int(normalized)}, "
            f"onesided={_flag(onesided)}, "
            f"return_complex={_flag(return_complex)}, align_to_window={_flag(align)})")


def _center(input: Tensor, n_fft: int, pad_mode: str) -> Tensor:
    # torch.functional.stft: pad n_fft // 2 on both ends of the signal (as a 3-D tensor)
    signal_dim = input.ndim
    shape = input.shape
    x = input.view(*([1] * (3 - signal_dim) + list(shape)))
    p = n_fft // 2
    if pad_mode == "constant":
        x = constant_pad_nd(x, (p, p))
    else:
        if pad_mode not in ("reflect", "replicate", "circular"):
            raise NotImplementedError(f"Unrecognised padding mode {pad_mode}")
        if pad_mode == "reflect" and p >= shape[-1]:
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({p}, {p}) at dimension 2 of "
                               f"input {list(x.shape)}")
        x = _pad_nonconstant.public(x, pad=(p, p), mode=pad_mode)
    return x.view(*x.shape[3 - signal_dim:])


@composite("stft")
def stft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
         window: Tensor | None = None, center: bool = True, pad_mode: str = "reflect",
         normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None, align_to_window: bool | None = None) -> Tensor:
    """Short-time Fourier transform of a 1-D signal or a batch of them: (..., freq, frames).

    Example::
        >>> ndgrad.stft(ndgrad.ones(8), 4, return_complex=True).shape
        torch.Size([3, 9])
    """
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if center:
        input = _center(input, n_fft, pad_mode)
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    cplx = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not cplx:
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in a "
                               "future PyTorch release.")
        return_complex = True
    elif not return_complex:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, "
                      "stft will return complex tensors for all inputs, and return_complex=False "
                      "will raise an error.\nNote: you can still call torch.view_as_real on the "
                      "complex output to recover the old return format.", UserWarning,
                      stacklevel=3)
    call = _stft_repr(input, n_fft, hop, win, window, normalized, onesided, return_complex,
                      align_to_window)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"{call} : expected a tensor of floating point or complex values")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"{call} : expected a 1D or 2D tensor")
    x = input.unsqueeze(0) if input.ndim == 1 else input
    length = x.shape[1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(f"{call} : expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"{call} : expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(f"{call} : expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(f"{call} : expected a 1D window tensor of size equal to win_length="
                           f"{win}, but got window with size {list(window.shape)}")
    if align_to_window and win < n_fft:  # frames start where their window does
        left = (n_fft - win) // 2
        x = constant_pad_nd(x, (left, n_fft - win - left))
    frames = _frames.public(x, n_fft=n_fft, hop=hop)
    w = _window_to_n_fft(window, win, n_fft, x)
    if w is not None:
        frames = frames * w
    mode = _BY_ROOT_N if normalized else _NONE
    if frames.is_complex():
        if onesided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        out = _fft_c2c.public(frames, dim=(2,), normalization=mode, forward=True)
    else:
        out = _fft_r2c.public(frames, dim=(2,), normalization=mode,
                              onesided=True if onesided is None else onesided)
    out = _transpose_.public(out, dim0=1, dim1=2)
    if input.ndim == 1:
        out = _squeeze_dim_.public(out, dim=0)  # torch squeezes in place: SqueezeBackward4
    return out if return_complex else view_as_real(out)


# *** istft ***

@composite("istft")
def istft(input: Tensor, n_fft: int, hop_length: int | None = None,
          win_length: int | None = None, window: Tensor | None = None, center: bool = True,
          normalized: bool = False, onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False) -> Tensor:
    """Inverse of stft: overlap-add of the inverse FFTs of the frames, divided by the summed
    squared window.

    Example::
        >>> x = ndgrad.arange(8.)
        >>> ndgrad.istft(ndgrad.stft(x, 4, window=ndgrad.ones(4), return_complex=True), 4,
        ...              window=ndgrad.ones(4), length=8)
        tensor([0., 1., 2., 3., 4., 5., 6., 7.])
    """
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from "
                           "stft with return_complex=True.")
    call = (f"istft({_type(input, True)}{list(input.shape)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={_window_repr(window)}, "
            f"center={int(center)}, normalized={int(normalized)}, onesided={_flag(onesided)}, "
            f"length={length}, return_complex={int(return_complex)})")
    x = view_as_real(input.resolve_conj())
    dims = x.ndim
    if x.numel() == 0:
        raise RuntimeError(f"{call} : input tensor cannot be empty.")
    if dims not in (3, 4):
        raise RuntimeError(f"{call} : expected a tensor with {dims - 1} dimensions of complex "
                           "dtype")
    n_frames, fft_size = x.shape[-2], x.shape[-3]
    expected = n_fft + hop * (n_frames - 1)
    onesided = fft_size != n_fft if onesided is None else onesided
    if onesided and n_fft // 2 + 1 != fft_size:
        raise RuntimeError(f"{call} : expected the frequency dimension (3rd to the last) of the "
                           "input tensor to match n_fft / 2 + 1 when onesided=True, but got "
                           f"{fft_size}")
    if not onesided and n_fft != fft_size:
        raise RuntimeError(f"{call} : expected the frequency dimension (3rd to the last) of the "
                           f"input tensor to match n_fft when onesided=False, but got {fft_size}")
    if not 0 < hop <= win:
        raise RuntimeError(f"{call} : expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"{call} : expected 0 < win_length <= n_fft")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(f"{call} : Invalid window shape. window has to be 1D and length of "
                           "`win_length`")
    w = window if window is not None else Tensor._make(np.ones(win, x._data.dtype))
    if win != n_fft:
        left = (n_fft - win) // 2
        w = constant_pad_nd(w, (left, n_fft - win - left))
    if dims == 3:
        x = x.unsqueeze(0)
    frames = view_as_complex(x.transpose(1, 2))  # (channel, frames, fft_size)
    mode = _BY_ROOT_N if normalized else _BY_N
    if return_complex:
        if onesided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        frames = _fft_c2c.public(frames, dim=(2,), normalization=mode, forward=False)
    else:
        if window is not None and window.is_complex():
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not onesided:
            frames = frames.narrow(-1, 0, n_fft // 2 + 1)
        frames = _fft_c2r.public(frames, dim=(2,), normalization=mode, last_dim_size=n_fft)
    y = _overlap_add.public(frames * w.view(1, 1, n_fft), length=expected, hop=hop)
    envelope = _overlap_add.public((w * w).expand(1, n_frames, n_fft), length=expected, hop=hop)
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (-(n_fft // 2) if center else expected)
    y, envelope = y[:, start:end], envelope[:, start:end]
    if (envelope.detach().abs() < 1e-11).any():
        raise RuntimeError(f"{call} window overlap add min: 1\n[ CPUBoolType{{}} ]")
    y = y / envelope
    if dims == 3:
        y = y.squeeze(0)
    if end > expected:
        warnings.warn("The length of signal is shorter than the length parameter. Result is being "
                      "padded with zeros in the tail. Please check your center and hop_length "
                      "settings.", UserWarning, stacklevel=3)
        y = constant_pad_nd(y, (0, end - expected))
    return y


# *** test-table entries (a window as a differentiable input) ***

def _enrol(name: str, fn: Any, torch_fn: Any, samples: list, **kw: Any) -> None:
    composite(name, export=False, method=False, samples=samples, torch_fn=torch_fn, complex=True,
              **kw)(fn)


_enrol("stft", lambda x, **kw: stft(x, **kw),
       lambda torch, x, **kw: torch.stft(x, **kw),
       [((12,), {"n_fft": 4, "return_complex": True}),
        ((12,), {"n_fft": 4, "return_complex": False}),
        ((7,), {"n_fft": 5, "center": False, "return_complex": True}),
        ((2, 9), {"n_fft": 4, "hop_length": 3, "pad_mode": "constant", "return_complex": True}),
        ((10,), {"n_fft": 6, "hop_length": 2, "win_length": 4, "center": False,
                 "align_to_window": True, "normalized": True, "return_complex": True})],
       complex_samples=lambda attrs: attrs["return_complex"] or False)
_enrol("stft_window", lambda x, w, **kw: stft(x, window=w, **kw),
       lambda torch, x, w, **kw: torch.stft(x, window=w, **kw),
       [(((2, 10), (4,)), {"n_fft": 4, "return_complex": True}),
        (((9,), (3,)), {"n_fft": 4, "hop_length": 2, "win_length": 3, "center": False,
                        "return_complex": True}),
        (((10,), (4,)), {"n_fft": 4, "onesided": False, "return_complex": True})],
       domain={"x": (-2.0, 2.0), "w": (0.5, 2.0)}, inputs=("x", "w"))
_enrol("istft", lambda z, **kw: istft(z, **kw),
       lambda torch, z, **kw: torch.istft(z, **kw),
       [((3, 4), {"n_fft": 4}), ((4, 3), {"n_fft": 4, "onesided": False}),
        ((3, 4), {"n_fft": 5, "onesided": True, "center": False, "hop_length": 2}),
        ((2, 3, 5), {"n_fft": 4, "length": 9})],
       complex_only=True)
_enrol("istft_window", lambda z, w, **kw: istft(z, window=w, **kw),
       lambda torch, z, w, **kw: torch.istft(z, window=w, **kw),
       [(((3, 5), (4,)), {"n_fft": 4, "hop_length": 2}),
        (((4, 4), (3,)), {"n_fft": 4, "win_length": 3, "hop_length": 1, "return_complex": True,
                          "onesided": False})],
       domain={"z": (-2.0, 2.0), "w": (0.5, 2.0)}, inputs=("z", "w"), complex_only=True,
       complex_inputs=("z",))
