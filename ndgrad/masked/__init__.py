"""ndgrad.masked: torch.masked's functions on strided tensors with a boolean `mask` (computed in
ndgrad._ops.masked). MaskedTensor is not provided."""
from .._ops.masked import _input_mask, _output_mask  # noqa: F401  (used by torch's tests)
from .._ops.masked import (
    amax, amin, argmax, argmin, cumprod, cumsum, log_softmax, logaddexp, logsumexp, mean, median,
    norm, normalize, prod, softmax, softmin, std, sum, var,
)

__all__ = ["amax", "amin", "argmax", "argmin", "cumprod", "cumsum", "log_softmax", "logaddexp",
           "logsumexp", "mean", "median", "norm", "normalize", "prod", "softmax", "softmin", "std",
           "sum", "var"]
