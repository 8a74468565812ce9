"""torch.nn.DataParallel as a CPU-only torch build has it: no accelerator to split the batch
over, so the wrapped module runs on the whole input."""
from __future__ import annotations

from typing import Any, Sequence

from ..modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Wraps `module` (as `.module`, so state_dict keys gain the "module." prefix); with no
    accelerator, device_ids is empty and forward calls the module itself.

    Example::
        >>> dp = nn.DataParallel(nn.Linear(2, 3))
        >>> dp.device_ids, list(dp.state_dict())
        ([], ['module.weight', 'module.bias'])
    """

    def __init__(self, module: Module, device_ids: Sequence[Any] | None = None,
                 output_device: Any = None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.device_ids: list = []

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)
