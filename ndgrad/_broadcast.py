"""Un-broadcasting: sum a gradient back to an input's shape. A low module (it calls Tensor
methods, imports no op module) so the engine, forward AD and rules can all use it."""
from __future__ import annotations

from ._tensor import Tensor


def sum_to(grad: Tensor, shape: tuple) -> Tensor:
    """Sum grad over the dimensions that broadcasting added or expanded, so it has `shape`.

    Raises ValueError when grad's shape does not broadcast from `shape`.
    """
    gshape = grad._data.shape
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise ValueError(f"cannot sum {gshape} to {shape}")
    dims = list(range(lead))
    for i, s in enumerate(shape):
        g = gshape[lead + i]
        if s == 1 and g != 1:
            dims.append(lead + i)
        elif s != g:
            raise ValueError(f"cannot sum {gshape} to {shape}")
    if dims and len(dims) == lead:  # only leading dims (a broadcast bias): one plain sum
        return grad.sum(tuple(dims))
    out = grad.sum(tuple(dims), keepdim=True) if dims else grad
    return out.reshape(shape) if out._data.shape != shape else out
