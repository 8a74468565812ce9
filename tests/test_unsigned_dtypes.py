"""torch's barebones unsigned dtypes (uint16, uint32, uint64) and hash_tensor, against torch.

torch gives these dtypes storage, conversion, promotion with floating types only, and a few
kernels; where torch has a kernel, ndgrad gives its result. (ndgrad's NumPy kernels also run
ops torch has not written for them yet, e.g. uint32 + uint32: the values are exact.)"""
import io

import numpy as np
import pytest

import ndgrad

UNSIGNED = ["uint16", "uint32", "uint64"]
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "complex64", "complex128", *UNSIGNED]


def outcome(fn):
    try:
        return ("ok", repr(fn()).replace("torch.", "").replace("ndgrad.", ""))
    except Exception as e:  # the exception type and message are compared
        return (type(e).__name__, str(e))


@pytest.mark.parametrize("a", UNSIGNED)
def test_promotion_like_torch(torch, a):
    for b in DTYPES:
        ours = outcome(lambda: ndgrad.promote_types(getattr(ndgrad, a), getattr(ndgrad, b)))
        theirs = outcome(lambda: torch.promote_types(getattr(torch, a), getattr(torch, b)))
        assert ours == theirs, (a, b)
        swapped = outcome(lambda: ndgrad.promote_types(getattr(ndgrad, b), getattr(ndgrad, a)))
        assert swapped == outcome(
            lambda: torch.promote_types(getattr(torch, b), getattr(torch, a))), (b, a)


EXPRESSIONS = {
    "repr": lambda L, x: x,
    "tolist": lambda L, x: x.tolist(),
    "item": lambda L, x: x[1].item(),
    "attributes": lambda L, x: (x.dtype, x.dtype.is_signed, x.dtype.itemsize,
                                x.dtype.is_floating_point, x.element_size(), x.is_signed()),
    "iinfo": lambda L, x: (L.iinfo(x.dtype).min, L.iinfo(x.dtype).max, L.iinfo(x.dtype).bits),
    "max_value": lambda L, x: L.tensor([L.iinfo(x.dtype).max], dtype=x.dtype).tolist(),
    "from_numpy": lambda L, x: L.from_numpy(np.array([1, 7], dtype=str(x.dtype)[6:])),
    "to_float": lambda L, x: x.float(),
    "to_int64": lambda L, x: x.to(L.int64),
    "from_int64": lambda L, x: L.tensor([3, 4]).to(x.dtype),
    "cat": lambda L, x: L.cat([x, x]),
    "index": lambda L, x: x[L.tensor([2, 0])],
    "setitem": lambda L, x: (x.__setitem__(0, 9), x)[1],
    "mul_scalar": lambda L, x: x * 2,
    "mul_0d": lambda L, x: x * L.tensor(3),
    "mul_bool": lambda L, x: x * True,
    "add_float": lambda L, x: x + 1.5,
    "div": lambda L, x: x / 2,
    "eq": lambda L, x: x == 2,
    "sum": lambda L, x: x.sum(),
    "cumsum": lambda L, x: x.cumsum(0),
    "xor": lambda L, x: x ^ x,
    "and": lambda L, x: x & L.tensor([1, 1, 1], dtype=x.dtype),
    "add_int_tensor": lambda L, x: x + L.tensor([1, 2, 3]),
    "sort": lambda L, x: x.sort().values,
    "full": lambda L, x: L.full((2,), 5, dtype=x.dtype),
    "requires_grad": lambda L, x: x.requires_grad_(),
    "type": lambda L, x: x.type(),
    "save_load": lambda L, x: _round_trip(L, x),
    "view_dtype": lambda L, x: (x.view(L.uint8).shape, L.tensor([1, -1]).view(x.dtype).shape),
    "mean_message": lambda L, x: x.mean(),
    "nbytes": lambda L, x: (x.nbytes, x.itemsize),
}


def _round_trip(L, x):
    buffer = io.BytesIO()
    L.save({"x": x}, buffer)
    buffer.seek(0)
    return L.load(buffer)["x"]


@pytest.mark.parametrize("expr", EXPRESSIONS)
@pytest.mark.parametrize("name", UNSIGNED)
def test_unsigned_tensors_like_torch(torch, name, expr):
    def run(L):
        return EXPRESSIONS[expr](L, L.tensor([3, 2, 1], dtype=getattr(L, name)))

    assert outcome(lambda: run(ndgrad)) == outcome(lambda: run(torch))


HASH_CASES = {
    "all": lambda L, x: L.hash_tensor(x),
    "dim": lambda L, x: L.hash_tensor(x, 1),
    "dims_keepdim": lambda L, x: L.hash_tensor(x, dim=(0, 1), keepdim=True),
    "method": lambda L, x: x.hash_tensor(-1),
    "empty_dim_list": lambda L, x: L.hash_tensor(x, dim=[]),
    "bad_mode": lambda L, x: L.hash_tensor(x, mode=1),
    "bad_dim": lambda L, x: L.hash_tensor(x, 3),
    "empty": lambda L, x: L.hash_tensor(x[:0]),
    "empty_dim": lambda L, x: L.hash_tensor(x[:, :0], dim=0),
    "empty_reduced": lambda L, x: L.hash_tensor(x[:, :0], dim=1),
    "zero_d": lambda L, x: L.hash_tensor(x[0, 0], dim=0, keepdim=True),
    "no_grad_fn": lambda L, x: L.hash_tensor(x.double().requires_grad_()).requires_grad,
}


@pytest.mark.parametrize("case", HASH_CASES)
@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int8", "int64", "uint8",
                                  "bool", "complex64", "uint32", "uint64"])
def test_hash_tensor_like_torch(torch, name, case):
    def run(L):
        values = L.tensor([[1.5, -2.0, 0.1], [float("nan"), -0.0, 3.0]])
        if not name.startswith(("float", "complex")):  # NaN and negatives have no cast
            values = values.nan_to_num().abs()
        return HASH_CASES[case](L, values.to(getattr(L, name)))

    assert outcome(lambda: run(ndgrad)) == outcome(lambda: run(torch))
