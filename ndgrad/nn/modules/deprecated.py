"""nn.Container: torch's deprecated module holder (keyword arguments become submodules)."""
from __future__ import annotations

import warnings
from typing import Any

from .module import Module

__all__ = ["Container"]


class Container(Module):
    """Deprecated: a Module with the given submodules; subclass Module instead.

    Example::
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     list(nn.Container(a=nn.ReLU()).named_children())
        [('a', ReLU())]
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented "
                      "in `nn.Module`. Subclass that instead.", FutureWarning, stacklevel=2)
        for key, value in kwargs.items():
            self.add_module(key, value)
