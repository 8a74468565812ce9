"""torch.nn.parallel: DistributedDataParallel (one replica per process, gradients averaged) and
DataParallel (a CPU pass-through, as in a CPU-only torch build)."""
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
