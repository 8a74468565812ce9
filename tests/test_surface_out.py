"""The out= keyword, against torch: which functions take it, values and dtypes written into out,
torch's casting rule, the resize warning, the autograd refusal, and factories with out=."""
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import ndgrad
from ndgrad._out import OUT_OPS
from ndgrad._ops._registry import PUBLIC


def _torch_out_names(torch):
    """Names whose torch binding has an out= overload, read from torch's own stubs."""
    root = Path(torch.__file__).parent
    src = (root / "_C" / "_VariableFunctions.pyi").read_text()
    names = {n for n, params in re.findall(r"def (\w+)\((.*?)\) ->", src, re.S)
             if re.search(r"\bout: ", params) and not n.startswith("_")}
    import inspect

    import torch.functional as F

    for n in F.__all__:
        try:
            if "out" in inspect.signature(getattr(F, n)).parameters:
                names.add(n)
        except ValueError:
            pass
    for ns, prefix in ((torch.linalg, "linalg_"), (torch.special, "special_"),
                       (torch.fft, "fft_")):
        for n in dir(ns):
            doc = (getattr(getattr(ns, n), "__doc__", None) or "").strip().split("\n")[0]
            if not n.startswith("_") and "out=" in doc:
                names.add(prefix + n)
    return names


def test_out_ops_is_torchs_list(torch):
    assert OUT_OPS == _torch_out_names(torch)


def _first_samples():
    from op_db import SAMPLES, to_ndgrad

    seen = {}
    for sample in SAMPLES:  # samples that call the user-facing function itself
        if sample.fn is PUBLIC.get(sample.name) and sample.name not in seen:
            seen[sample.name] = sample
    return [(s, to_ndgrad) for s in seen.values()]


@pytest.mark.parametrize("sample", [s for s, _ in _first_samples()], ids=lambda s: s.name)
def test_a_function_takes_out_exactly_when_torch_does(sample, torch):
    from op_db import to_ndgrad

    fn = sample.fn  # the public function (or its composite wrapper), as the op table calls it
    args = to_ndgrad(sample, ndgrad.float64, requires_grad=False)
    plain = fn(*args, **sample.attrs)
    outs = [ndgrad.empty(0, dtype=r.dtype) for r in plain] if isinstance(plain, tuple) else \
        ndgrad.empty(0, dtype=plain.dtype)
    if sample.name in _torch_out_names(torch):
        got = fn(*args, **sample.attrs, out=outs)
        for r, o in zip(plain if isinstance(plain, tuple) else (plain,),
                        got if isinstance(got, tuple) else (got,)):
            np.testing.assert_array_equal(r.numpy(), o.numpy())
    else:
        with pytest.raises(TypeError, match="out"):
            fn(*args, **sample.attrs, out=outs)


F = ndgrad.ones(2, 3)
CASES = {  # name: (call, out dtypes)
    "add": (lambda L, a, o: L.add(a, a, alpha=2, out=o), ["float32"]),
    "add_cast_up": (lambda L, a, o: L.add(a, a, out=o), ["float64"]),
    "sub_int_to_float": (lambda L, a, o: L.sub(a.long(), 1, out=o), ["float32"]),
    "mul": (lambda L, a, o: L.mul(a, 3, out=o), ["float32"]),
    "div": (lambda L, a, o: L.div(a, 4, out=o), ["float32"]),
    "sin": (lambda L, a, o: L.sin(a, out=o), ["float32"]),
    "exp_float64": (lambda L, a, o: L.exp(a, out=o), ["float64"]),
    "eq_to_float": (lambda L, a, o: L.eq(a, a * 2, out=o), ["float32"]),
    "gt_to_long": (lambda L, a, o: L.gt(a, 0.5, out=o), ["int64"]),
    "matmul": (lambda L, a, o: L.matmul(a, a.T, out=o), ["float32"]),
    "mm": (lambda L, a, o: L.mm(a, a.T, out=o), ["float32"]),
    "cat": (lambda L, a, o: L.cat([a, a], dim=1, out=o), ["float32", "float64"]),
    "stack": (lambda L, a, o: L.stack([a, a], out=o), ["float32"]),
    "sum_dim": (lambda L, a, o: L.sum(a, 0, out=o), ["float32", "float64"]),
    "mean_dim": (lambda L, a, o: L.mean(a, 1, out=o), ["float32"]),
    "cumsum": (lambda L, a, o: L.cumsum(a, 1, out=o), ["float32"]),
    "clamp": (lambda L, a, o: L.clamp(a, 0.2, 0.8, out=o), ["float32"]),
    "where": (lambda L, a, o: L.where(a > 0.5, a, -a, out=o), ["float32"]),
    "pow": (lambda L, a, o: L.pow(a, 2, out=o), ["float32", "float64"]),
    "sigmoid": (lambda L, a, o: L.sigmoid(a, out=o), ["float32"]),
    "softmax": (lambda L, a, o: L.softmax(a, 1, out=o), ["float32"]),
    "tril": (lambda L, a, o: L.tril(a, out=o), ["float32"]),
    "logsumexp": (lambda L, a, o: L.logsumexp(a, 1, out=o), ["float32", "float64"]),
}


def _data(lib):
    return lib.tensor(np.random.default_rng(0).random((2, 3)), dtype=lib.float32)


@pytest.mark.parametrize("shape", [(0,), (2, 3), (5,)], ids=["empty", "same", "resized"])
@pytest.mark.parametrize("case", CASES)
def test_out_values_dtypes_and_identity_match_torch(case, shape, torch):
    call, dtypes = CASES[case]
    for dt in dtypes:
        res = []
        for lib in (ndgrad, torch):
            out = lib.zeros(shape, dtype=getattr(lib, dt))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                r = call(lib, _data(lib), out)
            assert r is out
            res.append((out.numpy().copy(), str(out.dtype), out._version,
                        [str(w.message)[:60] for w in caught]))
        (a, da, va, wa), (b, db, vb, wb) = res
        assert da == db and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        # the resize warning, only for a non-empty out of another shape (torch repeats it when
        # it also casts)
        assert sorted(set(wa)) == sorted(set(wb))
        assert va >= 1 and vb >= 1


def test_multi_output_out_returns_torch_return_types(torch):
    for lib in (ndgrad, torch):
        v, i = lib.empty(0), lib.empty(0, dtype=lib.int64)
        r = lib.max(_data(lib), 1, out=(v, i))
        assert r.values is v and r.indices is i
        assert type(r).__name__ in ("max", "max_out")
    a = ndgrad.max(_data(ndgrad), 1, out=(ndgrad.empty(0), ndgrad.empty(0, dtype=ndgrad.int64)))
    b = torch.max(_data(torch), 1)
    np.testing.assert_allclose(a.values.numpy(), b.values.numpy())
    np.testing.assert_array_equal(a.indices.numpy(), b.indices.numpy())


@pytest.mark.parametrize("call", [
    "torch.add(f, f, out=torch.empty(0, dtype=torch.long))",
    "torch.add(f, f, out=torch.empty(0, dtype=torch.bool))",
    "torch.sin(f.long(), out=torch.empty(0, dtype=torch.long))",
    "torch.div(f.long(), f.long(), out=torch.empty(0, dtype=torch.long))",
    "torch.add(x, 1, out=torch.empty(2))",
    "torch.add(torch.ones(2), 1, out=x)",
    "torch.mul(x, 2, out=torch.empty(2))",
    "torch.matmul(x[None], x[:, None], out=torch.empty(0))",
    "torch.zeros(2, out=x)",
    "torch.zeros(2, dtype=torch.float64, out=torch.empty(0, dtype=torch.long))",
    "torch.arange(3, dtype=torch.long, out=torch.empty(0))",
    "torch.relu(f, out=torch.empty(0))",
    "torch.clone(f, out=torch.empty(0))",
    "torch.tensor([1.], out=torch.empty(0))",
    "torch.zeros_like(f, out=torch.empty(0))",
])
def test_out_errors_match_torch(call, torch):
    def run(lib):
        env = {"torch": lib, "f": lib.ones(2, 3), "x": lib.ones(2, requires_grad=True)}
        try:
            eval(call, env)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e).split("\n")[0]
        return "ok", ""

    ours, theirs = run(ndgrad), run(torch)
    assert ours[0] == theirs[0] != "ok"
    if ours[0] == "RuntimeError":
        assert ours[1] == theirs[1]


def test_out_must_be_a_tensor():
    with pytest.raises(TypeError, match=r"add\(\): argument 'out' must be Tensor, not int"):
        ndgrad.add(ndgrad.ones(2), 1, out=7)
    with pytest.raises(TypeError, match="must be tuple of 2 Tensors"):
        ndgrad.max(ndgrad.ones(2, 2), 1, out=ndgrad.empty(0))


def test_out_without_grad_mode_writes_into_leaves_that_require_grad(torch):
    for lib in (ndgrad, torch):
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            r = lib.add(lib.ones(2), 2, out=x)
        assert r is x and x.requires_grad and x.grad_fn is None and x._version == 1
        assert x.tolist() == [3.0, 3.0]


def test_out_writes_through_views_of_its_base():
    base = ndgrad.zeros(4)
    ndgrad.add(ndgrad.ones(2), 1, out=base[:2])
    assert base.tolist() == [2.0, 2.0, 0.0, 0.0]


@pytest.mark.parametrize("call", [
    "torch.zeros(2, out=o)", "torch.ones(2, 2, out=o)", "torch.full((2,), 7, out=o)",
    "torch.arange(3, out=o)", "torch.linspace(0, 1, 4, out=o)", "torch.eye(2, 3, out=o)",
    "torch.empty(3, out=o).shape", "torch.logspace(0, 1, 3, out=o)",
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_factories_with_out_match_torch(call, dtype, torch):
    res = []
    for lib in (ndgrad, torch):
        o = lib.empty(5, dtype=getattr(lib, dtype))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = eval(call, {"torch": lib, "o": o})
        if not call.endswith(".shape"):
            assert r is o
            res.append((o.numpy().copy(), str(o.dtype), len(caught)))
    if res:
        assert res[0][1] == res[1][1] and res[0][2] == res[1][2]
        np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-6)


def test_random_factories_with_out_draw_torchs_numbers(torch):
    for name, call in [("rand", lambda L, o: L.rand(3, out=o)),
                       ("randint", lambda L, o: L.randint(0, 9, (3,), out=o)),
                       ("randperm", lambda L, o: L.randperm(4, out=o))]:
        res = []
        for lib in (ndgrad, torch):
            lib.manual_seed(3)
            o = lib.empty(0, dtype=lib.float64 if name == "rand" else lib.int64)
            call(lib, o)
            res.append(o.numpy().copy())
        np.testing.assert_array_equal(res[0], res[1], err_msg=name)
    o = ndgrad.empty(0)
    r = ndgrad.zeros(2, requires_grad=True, out=o)
    assert r is o and o.requires_grad


def test_inplace_functions_match_torch(torch):
    from ndgrad._inplace_functions import TORCH_NAMES

    torch_names = {n for n in dir(torch) if n.endswith("_") and not n.startswith("_")
                   and callable(getattr(torch, n))}
    assert set(TORCH_NAMES) == torch_names
    for name in ["sin_", "exp_", "relu_", "sigmoid_", "abs_", "neg_", "zero_", "clamp_",
                 "sqrt_", "tanh_", "round_", "fill_", "dropout_"]:
        assert hasattr(ndgrad, name), name
        args = {"clamp_": (0.1, 0.5), "fill_": (2.0,), "dropout_": (0.0, True)}.get(name, ())
        for lib in (ndgrad, torch):
            x = lib.tensor([0.25, 0.5, 1.5])
            r = getattr(lib, name)(x, *args)
            assert r is x and (x._version == 1 or name == "dropout_")
        np.testing.assert_allclose(
            getattr(ndgrad, name)(ndgrad.tensor([0.25, 0.5, 1.5]), *args).numpy(),
            getattr(torch, name)(torch.tensor([0.25, 0.5, 1.5]), *args).numpy(), rtol=1e-6)
