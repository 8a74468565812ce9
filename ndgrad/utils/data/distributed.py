"""torch.utils.data.distributed.DistributedSampler: each rank's share of a dataset's indices."""
from __future__ import annotations

import math
from typing import Any, Iterator

from ... import distributed as dist
from ..._creation import randperm
from ..._random import Generator
from .sampler import Sampler


class DistributedSampler(Sampler):
    """Rank `rank`'s indices out of `num_replicas` equal shares; the same lists as torch's.

    With `shuffle` the order is a permutation seeded by `seed + epoch` (call `set_epoch` every
    epoch); without `drop_last` the list is padded by repeating its start so shares are equal.

    Example::
        >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
        [1, 3, 0]
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None:
            num_replicas = dist.get_world_size()
        if rank is None:
            rank = dist.get_rank()
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)  # drop the ragged tail
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        elif self.total_size > n:
            pad = self.total_size - n  # repeat the list's start until every rank has num_samples
            indices += (indices * math.ceil(pad / n))[:pad]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Reseed the shuffle for `epoch`; call it before each epoch's iterator."""
        self.epoch = epoch
