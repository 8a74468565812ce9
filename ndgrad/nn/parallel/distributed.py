"""torch.nn.parallel.DistributedDataParallel: one model replica per process, gradients averaged."""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from ...distributed import all_gather_object
from ...distributed._collectives import get_group
from ...distributed._group import Work
from ...autograd.grad_mode import is_grad_enabled
from ..modules.module import Module
from ._reducer import Reducer

_MB = 1024 * 1024
_DEFAULT_BUCKET_CAP_MB = 25
_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES


def _broadcast_coalesced(tensors: list, group: Any, src: int = 0) -> None:
    """Broadcast tensors from group rank `src`, one flat message per dtype."""
    by_dtype: dict[Any, list] = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    for dtype, ts in by_dtype.items():
        flat = np.concatenate([t._data.reshape(-1) for t in ts]) if ts else np.zeros(0, dtype)
        desc = f"DDP broadcast of {len(ts)} tensors ({dtype}[{flat.size}])"
        Work(group, desc, group.comm.bcast(flat, src, desc)).wait()
        offset = 0
        for t in ts:
            n = t._data.size
            np.copyto(t._data, flat[offset:offset + n].reshape(t._data.shape))
            offset += n


class DistributedDataParallel(Module):
    """Data parallelism across processes: wrap the model, and each backward pass averages the
    gradients of every rank (reverse-order buckets, non-blocking allreduce) before it returns.

    Example::
        >>> import ndgrad, ndgrad.distributed as dist
        >>> from ndgrad.nn.parallel import DistributedDataParallel as DDP
        >>> dist.init_process_group("mpi")
        >>> model = DDP(ndgrad.nn.Linear(3, 1))
        >>> model(ndgrad.ones(4, 3)).sum().backward()
        >>> model.module.weight.grad.shape
        torch.Size([1, 3])
        >>> dist.destroy_process_group()
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool | None = None, init_sync: bool = True,
                 process_group: Any = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 delay_all_reduce_named_params: Any = None, param_to_hook_all_reduce: Any = None,
                 mixed_precision: Any = None, device_mesh: Any = None,
                 skip_all_reduce_unused_params: bool = False,
                 bucket_cap_mb_list: list | None = None, batched_grad_copy: bool = False,
                 forward_sync_buffers: bool | None = None) -> None:
        super().__init__()
        unsupported = {"delay_all_reduce_named_params": delay_all_reduce_named_params,
                       "param_to_hook_all_reduce": param_to_hook_all_reduce,
                       "mixed_precision": mixed_precision, "device_mesh": device_mesh}
        for name, value in unsupported.items():
            if value is not None:
                raise NotImplementedError(f"DistributedDataParallel({name}=...) is not supported "
                                          "by ndgrad")
        if device_ids is not None or output_device is not None:
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                f"{device_ids}, output_device {output_device}, and module parameters "
                "{device(type='cpu')}.")
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        if broadcast_buffers is not None:
            warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead.",
                          FutureWarning, stacklevel=2)
        if forward_sync_buffers is not None:
            self.forward_sync_buffers, init_sync_buffers = forward_sync_buffers, True
        else:
            effective = broadcast_buffers if broadcast_buffers is not None else True
            self.forward_sync_buffers, init_sync_buffers = effective, effective
        self.module = module
        self.process_group = get_group(process_group)
        self.dim, self.device_ids, self.output_device = dim, None, None
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view, self.static_graph = gradient_as_bucket_view, static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        cap_mb = _DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        self.bucket_bytes_cap = int(cap_mb * _MB)
        if bucket_cap_mb_list:
            limits = [int(mb * _MB) for mb in bucket_cap_mb_list]
        elif bucket_cap_mb is None:
            limits = [_DEFAULT_FIRST_BUCKET_BYTES, self.bucket_bytes_cap]
        else:
            limits = [self.bucket_bytes_cap]
        self.modules_buffers = [b for b in module.buffers()]
        if init_sync:
            self._verify_params_across_processes(named)
            states = [p for _, p in named] + (self.modules_buffers if init_sync_buffers else [])
            _broadcast_coalesced(states, self.process_group)
        self.reducer = Reducer([p for _, p in named], [n for n, _ in named], self.process_group,
                               limits, find_unused_parameters, gradient_as_bucket_view)

    @property
    def broadcast_buffers(self) -> bool:
        return self.forward_sync_buffers

    @broadcast_buffers.setter
    def broadcast_buffers(self, value: bool) -> None:
        self.forward_sync_buffers = value

    def _verify_params_across_processes(self, named: list) -> None:
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in named]
        everyone: list = [None] * self.process_group.size()
        all_gather_object(everyone, mine, group=self.process_group)
        for rank, theirs in enumerate(everyone):
            if theirs != mine:
                diff = next(((a, b) for a, b in zip(mine, theirs) if a != b),
                            (f"{len(mine)} parameters", f"{len(theirs)} parameters"))
                raise RuntimeError(
                    f"DDP expects same model across all ranks, but rank {self.process_group.rank()}"
                    f" has {diff[0]} where rank {self.process_group.ranks[rank]} has {diff[1]}")

    def will_sync_module_buffers(self) -> bool:
        return (self.require_forward_param_sync and self.forward_sync_buffers
                and len(self.modules_buffers) > 0)

    def _sync_buffers(self) -> None:
        _broadcast_coalesced(self.modules_buffers, self.process_group, src=0)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self.will_sync_module_buffers():
            self._sync_buffers()
        output = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            self.reducer.prepare()
        else:
            self.require_forward_param_sync = False
        return output

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Accumulate gradients locally; the first backward after the block averages them."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def extra_repr(self) -> str:
        return ""
