"""torch.nn.parallel: DistributedDataParallel (one replica per process, gradients averaged)."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
