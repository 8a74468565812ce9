"""torch.nn: functional now; Modules, layers and init arrive with the training stack."""
from . import functional

__all__ = ["functional"]
