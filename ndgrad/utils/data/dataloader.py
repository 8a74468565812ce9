"""DataLoader: batching and in-order multi-process loading (torch.utils.data.DataLoader)."""
from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import queue
import warnings
from typing import Any, Callable, Iterable

import numpy as np

from ... import _random
from ._collate import default_collate, default_convert
from ._worker import (
    MP_STATUS_CHECK_INTERVAL,
    _Fetcher,
    _InfiniteConstantSampler,
    _IterationEnd,
    _Resume,
    _worker_loop,
    _WorkerError,
    get_worker_info,
)
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]


# *** iterators ***

class _BaseIter:
    def __init__(self, loader: "DataLoader") -> None:
        self._loader = loader
        self._dataset = loader.dataset
        self._iterable = isinstance(loader.dataset, IterableDataset)
        self._auto_collation = loader._auto_collation
        self._index_sampler = loader._index_sampler
        self._sampler_iter = iter(self._index_sampler)
        # torch draws a base seed for the workers from loader.generator on every new iterator
        gen = loader.generator if loader.generator is not None else _random.default_generator
        self._base_seed = int(gen.random((), np.int64))
        self._num_yielded = 0

    def __iter__(self) -> "_BaseIter":
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        reported = self._loader._IterableDataset_len_called
        if self._iterable and reported is not None and self._num_yielded > reported:
            warnings.warn(f"Length of IterableDataset {self._dataset} was reported to be "
                          f"{reported}(when accessing len(dataloader)), but {self._num_yielded} "
                          "samples have been fetched. ", stacklevel=2)
        return data

    def _next_data(self) -> Any:
        raise NotImplementedError


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: "DataLoader") -> None:
        super().__init__(loader)
        self._fetcher = _Fetcher(self._dataset, self._iterable, self._auto_collation,
                                 loader.collate_fn, loader.drop_last)

    def _next_data(self) -> Any:
        return self._fetcher.fetch(next(self._sampler_iter))


class _MultiProcessIter(_BaseIter):
    """Round-robin tasks to worker processes, ``prefetch_factor`` per worker in flight, and
    hand results back in sampler order (or as they arrive with ``in_order=False``)."""

    def __init__(self, loader: "DataLoader") -> None:
        super().__init__(loader)
        ctx = loader.multiprocessing_context or multiprocessing
        self._n = loader.num_workers
        self._timeout, self._in_order = loader.timeout, loader.in_order
        self._prefetch = loader.prefetch_factor
        self._persistent = loader.persistent_workers
        self._result_queue = ctx.Queue()
        self._done = ctx.Event()
        self._index_queues, self._workers = [], []
        self._shutdown, self._owner = False, os.getpid()
        for i in range(self._n):
            q = ctx.Queue()
            q.cancel_join_thread()
            w = ctx.Process(target=_worker_loop, daemon=True, args=(
                self._dataset, self._iterable, q, self._result_queue, self._done,
                self._auto_collation, loader.collate_fn, loader.drop_last, self._base_seed,
                loader.worker_init_fn, i, self._n))
            w.start()
            self._index_queues.append(q)
            self._workers.append(w)
        self._reset(first=True)

    def _reset(self, first: bool = False) -> None:
        if not first:
            self._sampler_iter = iter(self._index_sampler)
            self._num_yielded = 0
        self._send_idx = self._rcvd_idx = 0
        self._task_info: dict[int, tuple] = {}
        self._outstanding = 0
        self._active = [True] * self._n
        self._cycle = itertools.cycle(range(self._n))
        if not first:  # persistent workers: restart their fetchers, wait for every ack
            for q in self._index_queues:
                q.put(_Resume())
            pending = self._n
            while pending:
                idx, _ = self._get()
                pending -= isinstance(idx, _Resume)
        for _ in range(self._prefetch * self._n):
            self._put_index()

    def _put_index(self) -> None:
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._n):
            wid = next(self._cycle)
            if self._active[wid]:
                break
        else:
            return
        self._index_queues[wid].put((self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._outstanding += 1
        self._send_idx += 1

    def _get(self) -> Any:
        waited = 0.0
        while True:
            interval = MP_STATUS_CHECK_INTERVAL
            if self._timeout > 0:
                interval = min(interval, self._timeout - waited)
            try:
                return self._result_queue.get(timeout=interval)
            except queue.Empty:
                waited += interval
                dead = [w for i, w in enumerate(self._workers)
                        if self._active[i] and not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    pids = ", ".join(str(w.pid) for w in dead)
                    raise RuntimeError(
                        f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from None
                if self._timeout > 0 and waited >= self._timeout:
                    raise RuntimeError(
                        f"DataLoader timed out after {self._timeout} seconds") from None

    def _next_data(self) -> Any:
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info and (len(info) == 2 or self._active[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                data = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process(data)
            idx, data = self._get()
            self._outstanding -= 1
            if isinstance(data, _IterationEnd):
                self._active[data.worker_id] = False
                self._task_info.pop(idx, None)
                self._put_index()
                continue
            if idx != self._rcvd_idx and self._in_order:
                self._task_info[idx] += (data,)
                continue
            self._task_info.pop(idx)
            if idx == self._rcvd_idx:
                self._rcvd_idx += 1
            return self._process(data)

    def _process(self, data: Any) -> Any:
        self._put_index()
        if isinstance(data, _WorkerError):
            self._shutdown_workers()
            data.reraise()
        return data

    def _shutdown_workers(self) -> None:
        if not getattr(self, "_workers", None) or self._shutdown or os.getpid() != self._owner:
            return
        self._shutdown = True
        self._done.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except (ValueError, OSError):
                pass
        for w in self._workers:
            w.join(timeout=MP_STATUS_CHECK_INTERVAL)
        for q in self._index_queues:
            q.cancel_join_thread()
            q.close()
        for w in self._workers:
            if w.is_alive():
                w.terminate()
                w.join(timeout=MP_STATUS_CHECK_INTERVAL)

    def __del__(self) -> None:
        try:
            self._shutdown_workers()
        except Exception:  # NOTE: may run at interpreter exit, with modules half torn down
            pass


# *** the loader ***

class DataLoader:
    """Iterate over a dataset in (optionally shuffled) batches, like torch.utils.data.DataLoader.

    With the same ``manual_seed`` (or generator) it yields the same batches as torch: the
    shuffle is torch's RandomSampler and the per-iterator base seed is drawn the same way.

    Args:
        dataset: a map-style or iterable dataset.
        batch_size: samples per batch, or None to disable batching (default: 1).
        shuffle: reshuffle every epoch (default: False).
        sampler / batch_sampler: custom index orders (exclusive with shuffle / batch_size).
        num_workers: worker processes (0 loads in the main process).
        collate_fn: merges a list of samples (default: :func:`default_collate`).
        drop_last: drop the last incomplete batch (default: False).
        timeout: seconds to wait for a worker's batch (0: forever).
        worker_init_fn: called with the worker id in each worker after seeding.
        generator: the generator for shuffling and the workers' base seed.
        prefetch_factor: batches in flight per worker (default: 2 with workers).
        persistent_workers: keep workers alive between epochs (default: False).
        in_order: return batches in sampler order (default: True).

    Example::
        >>> ds = ndgrad.utils.data.TensorDataset(ndgrad.arange(6.0).reshape(3, 2), ndgrad.arange(3))
        >>> [y.tolist() for _, y in ndgrad.utils.data.DataLoader(ds, batch_size=2)]
        [[0, 1], [2]]
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if isinstance(dataset, IterableDataset):
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if isinstance(dataset, IterableDataset):
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
            else:
                sampler = SequentialSampler(dataset)  # type: ignore[arg-type]
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if multiprocessing_context is not None:
            if num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got num_workers={num_workers}")
            if isinstance(multiprocessing_context, str):
                multiprocessing_context = multiprocessing.get_context(multiprocessing_context)
        if pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=2)
        d = self.__dict__
        d.update(dataset=dataset, batch_size=batch_size, drop_last=drop_last, sampler=sampler,
                 batch_sampler=batch_sampler, num_workers=num_workers,
                 prefetch_factor=prefetch_factor, pin_memory=pin_memory, timeout=timeout,
                 worker_init_fn=worker_init_fn, multiprocessing_context=multiprocessing_context,
                 generator=generator, persistent_workers=persistent_workers, in_order=in_order,
                 pin_memory_device=pin_memory_device, _IterableDataset_len_called=None,
                 _iterator=None)
        d["collate_fn"] = collate_fn or (default_collate if batch_sampler is not None
                                         else default_convert)
        d["_DataLoader__initialized"] = True
        self._check_worker_number()

    def __setattr__(self, attr: str, val: Any) -> None:
        if self.__dict__.get("_DataLoader__initialized") and attr in (
                "batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> _BaseIter:
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if not self.persistent_workers:
            return _MultiProcessIter(self)
        if self._iterator is None:
            self.__dict__["_iterator"] = _MultiProcessIter(self)
        else:
            self._iterator._reset()  # torch draws no new base seed for persistent workers
        return self._iterator

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # type: ignore[arg-type]
            self.__dict__["_IterableDataset_len_called"] = n
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)

    def _check_worker_number(self) -> None:
        if not self.num_workers:
            return
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if cpus is None or self.num_workers > cpus:
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                          f"total. Our suggested max number of worker in current system is {cpus}, "
                          "which is smaller than what this DataLoader is going to create. Please "
                          "be aware that excessive worker creation might get DataLoader running "
                          "slow or even freeze, lower the worker number to avoid potential "
                          "slowness/freeze if necessary.", stacklevel=3)
