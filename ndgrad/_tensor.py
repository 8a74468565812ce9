"""class Tensor: a NumPy array plus autograd metadata; its math lives in ndgrad._ops.

This module imports nothing from autograd or the ops (they import it): the layers above bind
what Tensor's own methods call: `_get_accumulator` (autograd.graph), `backward` (autograd), and
the ops with `_to_copy`, `_alias`, `_sync_view`, `_check_inplace`, `_bump` (ndgrad._ops)."""
from __future__ import annotations

import warnings
import weakref
from typing import Any, Iterator

import numpy as np

from . import _device, _dtype, _memory_format
from ._device import CPU as _CPU
from ._device import device
from ._dtype import dtype as _DType
from ._hooks import RemovableHandle
from ._printing import format_tensor

_NP_TO_DTYPE = _dtype._FROM_NP


class Size(tuple):
    """torch.Size: a tuple of ints that prints as `torch.Size([2, 3])`."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


_NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)
_GRAD_DTYPE_NAMES = {"float16": "Half", "float32": "float", "float64": "double"}
_TORCH_TYPE_NAMES = _dtype.SCALAR_TYPE_NAMES
_TYPE_BY_NAME = {f"torch.{v}Tensor": _dtype._NAMES[k] for k, v in _TORCH_TYPE_NAMES.items()}
_NO_CUDA_LIBRARY = (
    "Cannot initialize CUDA without ATen_cuda library. PyTorch splits its backend into two shared "
    "libraries: a CPU library and a CUDA library; this error has occurred because you are trying "
    "to use some CUDA functionality, but the CUDA library has not been loaded by the dynamic "
    "linker for some reason.  The CUDA library MUST be loaded, EVEN IF you don't directly use any "
    "symbols from the CUDA library! One common culprit is a lack of -Wl,--no-as-needed in your "
    "link arguments; many dynamic linkers will delete dynamic library dependencies if you don't "
    "depend on any of their symbols.  You can check if this has occurred by using ldd on your "
    "binary to see if there is a dependency on *_cuda.so library.")


def _check_floating(arr: np.ndarray) -> None:
    if arr.dtype.kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


class ViewInfo:
    """What a view shares with its base: the base tensor, how to replay the view from it, how it
    was made (torch's CreationMeta: "default", "no_grad" for a view made in no_grad mode, "multi"
    for an output of split/unbind), and the version at which the view's grad_fn was last set
    (a write to the base or to another view since then makes the view refresh its grad_fn)."""

    __slots__ = ("base", "chain", "creation", "version")

    def __init__(self, base: "Tensor", chain: tuple, creation: str, version: int) -> None:
        self.base, self.chain, self.creation, self.version = base, chain, creation, version


class _Storage:
    """What untyped_storage() returns: identity of the memory a tensor views."""

    __slots__ = ("_root",)

    def __init__(self, arr: np.ndarray) -> None:
        while isinstance(arr.base, np.ndarray):
            arr = arr.base
        self._root = arr

    def data_ptr(self) -> int:
        return self._root.__array_interface__["data"][0]

    def nbytes(self) -> int:
        return self._root.nbytes

    def size(self) -> int:
        return self._root.nbytes


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Example::
        >>> x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.])
    """

    __slots__ = (
        "_data", "_requires_grad", "_grad_fn", "_output_nr", "_grad", "_vc", "_view",
        "__weakref__", "__dict__",
    )
    __array_priority__ = 1000  # numpy defers `ndarray <op> Tensor` to the Tensor's reflected op
    # rarely set: class-level defaults, so creating a tensor does not pay for them
    _hooks: dict | None = None
    _accumulator: Any = None
    _retains_grad = False
    _post_acc_hooks: dict | None = None
    _is_conj = False  # torch's conjugate bit (set by conj(); see _ops/complex.py)
    _is_inference = False  # made inside inference_mode (set by the op registry and factories)

    # *** construction ***

    def __init__(self, *args: Any, dtype: _DType | None = None, device: Any = None) -> None:
        # legacy torch.Tensor(...) constructor: sizes -> uninitialised float, data -> float copy
        if device is not None and _device.as_device(device, "Tensor").type != "cpu":
            raise RuntimeError("legacy constructor expects device type: cpu but device type: "
                               f"{_device.as_device(device).type} was passed")
        d = dtype or _dtype.get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            arr = np.array(args[0]._data if isinstance(args[0], Tensor) else args[0], dtype=d.np)
        else:
            arr = np.empty(tuple(int(a) for a in args), dtype=d.np)
        Tensor._init(self, arr, False, None)

    def _init(self, arr: np.ndarray, requires_grad: bool, grad_fn: Any, output_nr: int = 0) -> None:
        self._data = arr
        self._requires_grad = requires_grad
        self._grad_fn = grad_fn
        self._output_nr = output_nr
        self._grad = None
        self._vc = [0]
        self._view = None

    @classmethod
    def _make(cls, arr: np.ndarray, requires_grad: bool = False, grad_fn: Any = None,
              output_nr: int = 0) -> "Tensor":
        t = object.__new__(cls)
        t._data = arr
        t._requires_grad = requires_grad
        t._grad_fn = grad_fn
        t._output_nr = output_nr
        t._grad = None
        t._vc = [0]
        t._view = None
        return t

    # *** metadata ***

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> _DType:
        return _NP_TO_DTYPE[self._data.dtype]

    @property
    def device(self) -> device:
        return _CPU

    is_cpu = True
    is_cuda = is_xpu = is_mps = is_ipu = is_mtia = is_xla = is_vulkan = is_maia = False
    is_mkldnn = is_sparse = is_quantized = is_meta = False
    layout = _memory_format.strided

    def get_device(self) -> int:
        return -1  # torch's answer for a CPU tensor

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        arr = self._data
        if arr.size:
            st = tuple(s // arr.itemsize for s in arr.strides)
        else:  # NumPy gives empty arrays zero strides; torch keeps contiguous ones
            st, step = [], 1
            for n in reversed(arr.shape):
                st.insert(0, step)
                step *= max(n, 1)
            st = tuple(st)
        return st if dim is None else st[_wrap_dim(dim, arr.ndim)]

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return _memory_format.is_contiguous(self._data, memory_format)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def is_signed(self) -> bool:
        return self._data.dtype.kind not in "bu"

    def is_conj(self) -> bool:
        return self._is_conj

    def is_inference(self) -> bool:
        return self._is_inference

    def type(self, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
        """The legacy type name ("torch.FloatTensor"), or self converted to a dtype, a legacy
        type or its name (CUDA types raise, as in a CPU-only torch build)."""
        if dtype is None:
            return "torch." + _TORCH_TYPE_NAMES[self.dtype.name] + "Tensor"
        name = dtype if isinstance(dtype, str) else repr(dtype).split("'")[1] \
            if getattr(dtype, "is_cuda", False) else None
        if name is not None:
            if name.startswith("torch.cuda."):
                raise RuntimeError(_NO_CUDA_LIBRARY)
            target = _TYPE_BY_NAME.get(name)
            if target is None:
                raise ValueError(f"invalid type: '{name}'")
            dtype = target
        dtype = getattr(dtype, "dtype", dtype)  # torch.FloatTensor -> float32
        return self if dtype is self.dtype else self.to(dtype)

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def _base(self) -> "Tensor | None":
        return self._view.base if self._view is not None else None

    def _is_view(self) -> bool:
        return self._view is not None

    def untyped_storage(self) -> _Storage:
        return _Storage(self._data)

    # *** autograd attributes ***

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._grad_fn is not None:
            msg = "you can only change requires_grad flags of leaf variables."
            if not value:
                msg += (" If you want to use a computed variable in a subgraph that doesn't "
                        "require differentiation use var_no_grad = var.detach().")
            raise RuntimeError(msg)
        if value:
            _check_floating(self._data)
        elif self._view is not None and self._view.base._requires_grad:
            return  # a view made in no_grad mode: it requires grad as long as its base does
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set requires_grad in place (leaves only; a no-op True on a non-leaf) and return self."""
        if requires_grad and self._grad_fn is not None:
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self) -> Any:
        if self._view is not None and self._view.version != self._vc[0]:
            self._sync_view()  # written since its grad_fn was set: a fresh AsStridedBackward0
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def grad(self) -> "Tensor | None":
        if self._grad_fn is not None and not self._retains_grad:
            warnings.warn(_NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                    f"tensor of size '{list(self._data.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype "
                    f"'{_GRAD_DTYPE_NAMES.get(value.dtype.name, value.dtype.name)}' to a tensor "
                    f"with grad_dtype '{_TORCH_TYPE_NAMES[self.dtype.name]}'. The gradient must "
                    "match the tensor's grad_dtype (defaults to the tensor's dtype).")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        """Make backward() fill .grad of this non-leaf tensor too."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self._grad_fn._retain_grad(self._output_nr, weakref.ref(self))

    def register_hook(self, hook: Any) -> Any:
        """Call hook(grad) when the gradient w.r.t. this tensor is computed; a non-None return
        value replaces the gradient.

        Example::
            >>> x = ndgrad.ones(2, requires_grad=True)
            >>> h = x.register_hook(lambda g: g * 2)
            >>> x.sum().backward(); x.grad
            tensor([2., 2.])
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._register_tensor_prehook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = {}
        return RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Call hook(tensor) on a leaf after its .grad has been accumulated."""
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        return RemovableHandle(self._post_acc_hooks, hook)

    def detach(self) -> "Tensor":
        """A tensor sharing this one's data and version counter, cut from the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        if self._is_conj:
            t._is_conj = True
        return t

    def detach_(self) -> "Tensor":
        if self._view is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be called "
                "on these gradients. To fix this error, please refer to the Optimizer.zero_grad() "
                "function in torch/optim/optimizer.py as the solution.")
        self._grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    @property
    def data(self) -> "Tensor":
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data

    # *** conversion ***

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if self._is_conj and not force:
            raise RuntimeError("Can't call numpy() on Tensor that has conjugate bit set. Use "
                               "tensor.resolve_conj().numpy() instead.")
        return self._data.copy() if force else self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def cpu(self, memory_format: Any = None) -> "Tensor":
        return self

    # a CPU-only build refuses every accelerator, with torch's errors
    def cuda(self, device: Any = None, non_blocking: bool = False, memory_format: Any = None) -> Any:
        _device.move("cuda", device)

    def xpu(self, device: Any = None, non_blocking: bool = False, memory_format: Any = None) -> Any:
        _device.move("xpu", device)

    def ipu(self, device: Any = None, non_blocking: bool = False, memory_format: Any = None) -> Any:
        _device.move("ipu", device)

    def mtia(self, device: Any = None, non_blocking: bool = False, memory_format: Any = None) -> Any:
        _device.move("mtia", device)

    def pin_memory(self, device: Any = None) -> "Tensor":
        raise RuntimeError(_device.NO_ACCELERATOR)

    def is_pinned(self, device: Any = None) -> bool:
        return False

    def float(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.float32, memory_format=memory_format)

    def double(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.float64, memory_format=memory_format)

    def half(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.float16, memory_format=memory_format)

    def cfloat(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.complex64, memory_format=memory_format)

    def cdouble(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.complex128, memory_format=memory_format)

    def chalf(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.complex32, memory_format=memory_format)

    def long(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.int64, memory_format=memory_format)

    def int(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.int32, memory_format=memory_format)

    def short(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.int16, memory_format=memory_format)

    def char(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.int8, memory_format=memory_format)

    def byte(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.uint8, memory_format=memory_format)

    def bool(self, memory_format: Any = None) -> "Tensor":
        return self.to(_dtype.bool_, memory_format=memory_format)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """Convert dtype; the CPU is the only device (others raise as a CPU-only torch does);
        returns self if nothing changes.

        Example::
            >>> ndgrad.tensor([1, 2]).to("cpu", ndgrad.float64)
            tensor([1., 2.], dtype=torch.float64)
        """
        target = kwargs.get("dtype")
        copy = kwargs.get("copy", False)
        dev = kwargs.get("device")
        flags = 0  # positional bools are non_blocking, then copy
        for a in args:
            if isinstance(a, _DType):
                target = a
            elif isinstance(a, Tensor):
                target = a.dtype
            elif isinstance(a, bool):
                copy = a if flags == 1 else copy
                flags += 1
            elif a is not None:
                dev = a
        if dev is not None:
            _device.check(dev, False, "to")
        src, fmt = self, kwargs.get("memory_format")
        if fmt is not None and fmt is not _memory_format.preserve_format and \
                not _memory_format.is_contiguous(self._data, fmt):
            src, copy = self.clone(memory_format=fmt), False
        if target is None or target.np == src._data.dtype:
            return src.clone() if copy else src
        return src._to_copy(dtype=target)

    # *** Python protocol ***

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data)

    def __float__(self) -> float:
        return float(_real_item(self.item(), "double"))

    def __int__(self) -> int:
        return int(_real_item(self.item(), "int64_t"))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and type(self) is Tensor:  # as torch: a Parameter prints whole
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        if self._grad_fn is not None:
            suffixes = [f"grad_fn=<{type(self._grad_fn).__name__}>"]
        elif self._requires_grad:
            suffixes = ["requires_grad=True"]
        else:
            suffixes = []
        return format_tensor(self._data, self.dtype.name, _dtype.get_default_dtype().name, suffixes)

    __str__ = __repr__

    def __reduce_ex__(self, protocol: int) -> Any:
        return (_rebuild, (self._data, self._requires_grad))

    def __deepcopy__(self, memo: dict) -> "Tensor":
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        t = type(self)._make(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

def _real_item(v: Any, ctype: str) -> Any:
    """A complex value with no imaginary part converts to a real number, as in torch."""
    if isinstance(v, complex):
        if v.imag:
            raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
        return v.real
    return v


def _rebuild(arr: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor._make(arr, requires_grad)


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim
