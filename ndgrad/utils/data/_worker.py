"""Fetching samples, and the worker processes' loop and seeding (torch's _utils/worker.py)."""
from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ... import _random
from .sampler import Sampler

MP_STATUS_CHECK_INTERVAL = 5.0  # seconds between liveness checks while waiting on workers


class _Fetcher:
    """Turn an index (or a list of indices) into a collated sample."""

    def __init__(self, dataset: Any, iterable: bool, auto_collation: bool,
                 collate_fn: Callable, drop_last: bool) -> None:
        self.dataset, self.iterable, self.auto_collation = dataset, iterable, auto_collation
        self.collate_fn, self.drop_last = collate_fn, drop_last
        self.it = iter(dataset) if iterable else None
        self.ended = False

    def fetch(self, index: Any) -> Any:
        if self.iterable:
            if self.ended:
                raise StopIteration
            if not self.auto_collation:
                return self.collate_fn(next(self.it))
            data = []
            for _ in index:
                try:
                    data.append(next(self.it))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
            return self.collate_fn(data)
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(index) if getitems else [self.dataset[i] for i in index]
        return self.collate_fn(data)


class _InfiniteConstantSampler(Sampler):
    def __iter__(self) -> Any:
        while True:
            yield None


# *** workers ***

@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker process."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The current worker's id, worker count, seed and dataset copy; None in the main process."""
    return _worker_info


@dataclass(frozen=True)
class _IterationEnd:
    worker_id: int


@dataclass(frozen=True)
class _Resume:
    pass


class _WorkerError:
    """An exception raised in a worker, carried to the main process and re-raised there."""

    def __init__(self, where: str) -> None:
        exc_type, exc, tb = sys.exc_info()
        self.exc_type = exc_type
        self.msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self) -> None:
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.msg}"
        if self.exc_type is KeyError:
            raise KeyError(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


def _seed_numpy(base_seed: int, worker_id: int) -> list[int]:
    """torch's _generate_state: a SeedSequence-like mix of (worker_id, base_seed) for NumPy."""
    mask, xshift = 0xFFFFFFFF, 16
    mult_a, mult_b = 0x931E8875, 0x58F38DED
    hash_a = [0x43B0D7E5]

    def hash_(value: int) -> int:
        value = (value ^ hash_a[0]) & mask
        hash_a[0] = (hash_a[0] * mult_a) & mask
        value = (value * hash_a[0]) & mask
        return (value ^ (value >> xshift)) & mask

    def mix(x: int, y: int) -> int:
        r = (((0xCA01F9DD * x) & mask) - ((0x4973F715 * y) & mask)) & mask
        return (r ^ (r >> xshift)) & mask

    pool = [hash_(v) for v in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hash_(pool[src]))
    hash_b, state = 0x8B51F9DD, []
    for v in pool:
        v = (v ^ hash_b) & mask
        hash_b = (hash_b * mult_b) & mask
        v = (v * hash_b) & mask
        state.append((v ^ (v >> xshift)) & mask)
    return state


def _worker_loop(dataset: Any, iterable: bool, index_queue: Any, data_queue: Any, done: Any,
                 auto_collation: bool, collate_fn: Callable, drop_last: bool, base_seed: int,
                 init_fn: Callable | None, worker_id: int, num_workers: int) -> None:
    global _worker_info
    try:
        seed = base_seed + worker_id
        random.seed(seed)
        _random.manual_seed(seed)
        np.random.seed(_seed_numpy(base_seed, worker_id))
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        init_error = fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _Fetcher(dataset, iterable, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = _WorkerError(f"in DataLoader worker process {worker_id}")
        ended, parent = False, os.getppid()
        while True:
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent:  # orphaned: the main process died
                    break
                continue
            if r is None:
                break
            if isinstance(r, _Resume):
                data_queue.put((r, None))
                ended = False
                fetcher = _Fetcher(dataset, iterable, auto_collation, collate_fn, drop_last)
                continue
            if done.is_set() or ended:
                continue
            idx, index = r
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    data, ended = _IterationEnd(worker_id), True
                except Exception:
                    data = _WorkerError(f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, data))
            del data, r
    except KeyboardInterrupt:
        pass
    if done.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
