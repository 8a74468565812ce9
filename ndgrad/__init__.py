"""ndgrad: PyTorch's autograd on NumPy. `import ndgrad as torch` runs torch autograd code."""

from . import _dtype
from ._dtype import (
    bool_ as bool, dtype, float16, float32, float64, get_default_dtype, int8, int16, int32,
    int64, promote_types, set_default_dtype, uint8,
)
from ._tensor import Size, Tensor, device
from .autograd.grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled,
)
from . import _ops
from ._ops._registry import PUBLIC as _PUBLIC
from ._creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, logspace,
    ones, ones_like, rand, randint, randn, randperm, tensor, zeros, zeros_like,
)
from ._random import (
    Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state,
)
from ._printing import set_printoptions
from . import autograd, func, nn
from .autograd.anomaly import (
    is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled,
)

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64


def _legacy_type(d: dtype):
    def make(*args: object) -> Tensor:
        return Tensor(*args, dtype=d)

    make.__name__ = {float32: "FloatTensor", float64: "DoubleTensor", int64: "LongTensor",
                     int32: "IntTensor", _dtype.bool_: "BoolTensor", uint8: "ByteTensor"}[d]
    return make


# torch.FloatTensor([1, 2]) and friends: legacy constructors of a fixed dtype
FloatTensor, DoubleTensor, LongTensor = (_legacy_type(float32), _legacy_type(float64),
                                         _legacy_type(int64))
IntTensor, BoolTensor, ByteTensor = (_legacy_type(int32), _legacy_type(_dtype.bool_),
                                     _legacy_type(uint8))
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
    from ._ops._registry import result_dtype

    return _dtype.from_numpy_dtype(result_dtype(tensor1, tensor2))


def is_floating_point(input: Tensor) -> "bool":
    return input.is_floating_point()

from . import distributed, linalg, optim, testing, utils  # noqa: E402
from ._ops.sorting import return_types  # noqa: E402
from .serialization import load, save  # noqa: E402
