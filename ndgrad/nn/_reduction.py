"""Loss reductions as torch.nn._reduction does them: 'none' | 'mean' | 'sum', and the deprecated
size_average / reduce pair."""
from __future__ import annotations

import warnings
from typing import Any

from .._tensor import Tensor

REDUCTIONS = ("none", "mean", "sum")


def legacy_get_string(size_average: Any, reduce: Any, emit_warning: bool = True) -> str:
    """The reduction named by the deprecated size_average / reduce arguments."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "none" if not reduce else ("mean" if size_average else "sum")
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", UserWarning, stacklevel=4)
    return ret


def resolve(size_average: Any, reduce: Any, reduction: str) -> str:
    """reduction, or the legacy pair's meaning; an unknown reduction raises torch's ValueError."""
    if size_average is None and reduce is None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"{reduction} is not a valid value for reduction")
        return reduction
    return legacy_get_string(size_average, reduce)


def apply(loss: Tensor, reduction: str) -> Tensor:
    """Reduce an elementwise loss."""
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss
