"""Flatten parameters into one vector and back."""
from __future__ import annotations

from typing import Iterable

from ..._ops.join import cat
from ..._tensor import Tensor
from ..modules.utils import _typename

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenate the flattened parameters into one 1-D tensor (differentiable).

    Example::
        >>> nn.utils.parameters_to_vector(nn.Linear(2, 3).parameters()).shape
        torch.Size([9])
    """
    return cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Point each parameter's data at consecutive slices of vec."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view(param.shape).data
        pointer += n
