"""ndgrad: PyTorch's autograd on NumPy. `import ndgrad as torch` runs torch autograd code.

`import ndgrad` loads the tensor, autograd and the core ops; the namespaces nn, optim, utils,
func, linalg, serialization and the rarely used ops load on first use (PEP 562 `__getattr__`),
so `ndgrad.nn`, `from ndgrad import topk` and `import ndgrad.nn as nn` all work as in torch."""

import importlib as _importlib

from . import _dtype
from ._dtype import (
    bool_ as bool, dtype, float16, float32, float64, get_default_dtype, int8, int16, int32,
    int64, promote_types, set_default_dtype, uint8, uint16, uint32, uint64,
)
from ._tensor import Size, Tensor, device
from .autograd.grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled,
)
from . import _ops
from ._ops._registry import PUBLIC as _PUBLIC
from ._ops._registry import result_dtype as _result_dtype
from ._creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, logspace,
    ones, ones_like, rand, randint, randn, randperm, tensor, zeros, zeros_like,
)
from ._printing import set_printoptions
from . import autograd
from .autograd.anomaly import (
    is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled,
)
from ._ops import _lazy_index

half, float, double = float16, float32, float64
from ._dtype import complex32, complex64, complex128  # noqa: E402
cfloat, cdouble, chalf = complex64, complex128, complex32
short, int, long = int16, int32, int64

# torch.FloatTensor([1, 2]) and friends: legacy constructors of a fixed dtype
from ._legacy_types import (  # noqa: E402
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
    LongTensor, ShortTensor,
)

__version__ = "0.1.0"

# every registered op and composite: ndgrad.add, ndgrad.matmul, ndgrad.sum, ...
globals().update(_PUBLIC)


def is_tensor(obj: object) -> "bool":
    """True if obj is an ndgrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> "int":
    return input.numel()


def result_type(tensor1: object, tensor2: object) -> dtype:
    """torch.result_type of two tensors or numbers."""
    return _dtype.from_numpy_dtype(_result_dtype(tensor1, tensor2))


def is_floating_point(input: Tensor) -> "bool":
    return input.is_floating_point()

# *** the non-op surface: devices, memory formats, process-wide switches (the namespaces cuda,
# backends, amp, profiler, ... load on first use, with the others below) ***
from . import _inplace_functions  # noqa: E402
from ._device import get_default_device, set_default_device  # noqa: E402
from ._memory_format import (  # noqa: E402
    channels_last, channels_last_3d, contiguous_format, jagged, layout, legacy_contiguous_format,
    memory_format, preserve_format, sparse_bsc, sparse_bsr, sparse_coo, sparse_csc, sparse_csr,
    strided,
)
from ._runtime import (  # noqa: E402
    are_deterministic_algorithms_enabled, bfloat16, compile, get_deterministic_debug_mode,
    get_float32_matmul_precision, get_num_interop_threads, get_num_threads, is_nonzero,
    is_deterministic_algorithms_warn_only_enabled, set_deterministic_debug_mode,
    set_float32_matmul_precision, set_num_interop_threads, set_num_threads,
    use_deterministic_algorithms,
)

from math import e, inf, nan, pi  # noqa: E402  (torch.e, torch.inf, torch.nan, torch.pi)
newaxis = None

_SUBMODULES = {"nn", "optim", "utils", "func", "linalg", "serialization", "testing", "viz",
               "distributed", "accelerator", "amp", "backends", "cpu", "cuda", "functional", "jit",
               "mps", "profiler", "fft", "special", "masked", "signal"}
_ATTRIBUTES = {"load": "serialization", "save": "serialization", "return_types": "_ops.sorting",
               "autocast": "amp", "vmap": "func", "finfo": "_type_info", "iinfo": "_type_info",
               **dict.fromkeys(("Generator", "default_generator", "get_rng_state", "initial_seed",
                                "manual_seed", "seed", "set_rng_state"), "_random")}


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        return _importlib.import_module(f".{name}", __name__)
    if name in _ATTRIBUTES:
        value = getattr(_importlib.import_module(f".{_ATTRIBUTES[name]}", __name__), name)
    elif name in _lazy_index.PUBLIC:
        value = _PUBLIC[name]  # loads the op module that defines it
    elif name in _lazy_index.LIBRARIES:  # torch.batch_norm & co., declared in ndgrad.nn
        _importlib.import_module(f".{_lazy_index.LIBRARIES[name]}", __name__)
        value = _PUBLIC[name]
    elif name in _inplace_functions.TORCH_NAMES:  # torch.sin_(x) is x.sin_()
        value = _inplace_functions.function(name)
    else:
        raise AttributeError(f"module 'ndgrad' has no attribute '{name}'")
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | _SUBMODULES | set(_ATTRIBUTES) | set(_lazy_index.PUBLIC)
                  | set(_lazy_index.LIBRARIES) | _inplace_functions.available())
