"""ndgrad.fft: the torch.fft namespace (the transforms and their rules live in ndgrad._ops)."""
from __future__ import annotations

from ._ops.fft import fft, hfft, ifft, ihfft, irfft, rfft
from ._ops.fftn import (
    fft2, fftfreq, fftn, fftshift, hfft2, hfftn, ifft2, ifftn, ifftshift, ihfft2, ihfftn, irfft2,
    irfftn, rfft2, rfftfreq, rfftn,
)

__all__ = ["fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "hfft2", "hfftn", "ifft", "ifft2",
           "ifftn", "ifftshift", "ihfft", "ihfft2", "ihfftn", "irfft", "irfft2", "irfftn", "rfft",
           "rfft2", "rfftfreq", "rfftn"]
