"""Complex numbers: dtypes and promotion, creation, printing, real/imag views, the conjugate bit,
torch's gradient convention, gradcheck on complex functions, forward AD, and the refusal of
complex input by real-only ops (the op table checks every complex-capable op's values and
gradients; this file checks the semantics around them)."""
import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import GradcheckError, gradcheck, gradgradcheck
from op_db import SAMPLES, to_ndgrad

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "complex64", "complex128"]
rng = np.random.default_rng(0)


def _c(*shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


# *** dtypes and promotion ***

def test_dtype_objects_match_torch(torch):
    for name in ("complex64", "complex128"):
        ours, theirs = getattr(ndgrad, name), getattr(torch, name)
        assert repr(ours) == repr(theirs)
        assert (ours.is_complex, ours.is_floating_point, ours.is_signed, ours.itemsize) == (
            theirs.is_complex, theirs.is_floating_point, theirs.is_signed, theirs.itemsize)
        assert repr(ours.to_real()) == repr(theirs.to_real())
    assert ndgrad.cfloat is ndgrad.complex64 and ndgrad.cdouble is ndgrad.complex128
    assert ndgrad.float64.to_complex() is ndgrad.complex128
    assert repr(ndgrad.chalf) == repr(torch.chalf) == "torch.complex32"


def test_complex32_is_named_but_refused_clearly():
    for make in (lambda: ndgrad.zeros(2, dtype=ndgrad.chalf),
                 lambda: ndgrad.ones(2).to(ndgrad.complex32),
                 lambda: ndgrad.ones(2, dtype=ndgrad.float16) + 1j):
        with pytest.raises(TypeError, match="complex32"):
            make()


@pytest.mark.parametrize("a", DTYPES)
def test_promote_types_matches_torch(torch, a):
    for b in DTYPES:
        assert repr(ndgrad.promote_types(getattr(ndgrad, a), getattr(ndgrad, b))) == repr(
            torch.promote_types(getattr(torch, a), getattr(torch, b))), (a, b)


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_result_type_with_python_and_0d_operands(torch, default):
    operands = [1, 2.5, 1j, True]
    for lib in (ndgrad, torch):
        lib.set_default_dtype(getattr(lib, default))
    try:
        for name in DTYPES:
            if name == "float16":
                continue  # float16 with a Python complex gives complex32 (refused, see above)
            for other in operands:
                t = ndgrad.ones(2, dtype=getattr(ndgrad, name))
                tt = torch.ones(2, dtype=getattr(torch, name))
                assert repr(ndgrad.result_type(t, other)) == repr(torch.result_type(tt, other))
                assert repr((t + other).dtype) == repr((tt + other).dtype), (name, other)
            for zero in ("complex64", "complex128"):
                z, tz = ndgrad.ones((), dtype=getattr(ndgrad, zero)), torch.ones(
                    (), dtype=getattr(torch, zero))
                t = ndgrad.ones(2, dtype=getattr(ndgrad, name))
                tt = torch.ones(2, dtype=getattr(torch, name))
                assert repr((t * z).dtype) == repr((tt * tz).dtype), (name, zero)
    finally:
        torch.set_default_dtype(torch.float32)


# *** creation ***

def test_creation_infers_the_default_complex_dtype(torch):
    cases = [lambda lib: lib.tensor([1j]), lambda lib: lib.tensor(1 + 2j),
             lambda lib: lib.tensor([[1, 2.5], [1j, 0]]), lambda lib: lib.full((2,), 1j),
             lambda lib: lib.tensor([np.complex128(1j)]),
             lambda lib: lib.zeros(2, dtype=lib.cfloat),
             lambda lib: lib.ones(2, 2, dtype=lib.cdouble),
             lambda lib: lib.eye(2, dtype=lib.cfloat),
             lambda lib: lib.from_numpy(np.array([1j], np.complex64))]
    for default in ("float32", "float64"):
        ndgrad.set_default_dtype(getattr(ndgrad, default))
        torch.set_default_dtype(getattr(torch, default))
        try:
            for make in cases:
                ours, theirs = make(ndgrad), make(torch)
                assert repr(ours.dtype) == repr(theirs.dtype)
                np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        finally:
            torch.set_default_dtype(torch.float32)


def test_complex_ranges_and_conversions_as_torch(torch):
    for make in (lambda lib: lib.linspace(0, 1j, 3), lambda lib: lib.linspace(1 + 1j, 2, 4),
                 lambda lib: lib.linspace(0.0, 1.0, 5, dtype=lib.complex128)):
        ours, theirs = make(ndgrad), make(torch)
        assert repr(ours.dtype) == repr(theirs.dtype)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    for lib in (ndgrad, torch):
        with pytest.raises(NotImplementedError, match="arange_cpu"):
            lib.arange(3, dtype=lib.complex64)
        with pytest.raises(RuntimeError, match="without overflow"):
            lib.full((2,), 1 + 2j, dtype=lib.float32)
        assert int(lib.tensor(2 + 0j)) == 2 and float(lib.tensor(1.5 + 0j)) == 1.5
        with pytest.raises(RuntimeError, match="without overflow"):
            float(lib.tensor(1 + 1j))


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_random_complex_draws_match_torch(torch, dtype):
    for fn in ("randn", "rand"):
        ndgrad.manual_seed(3)
        torch.manual_seed(3)
        ours = getattr(ndgrad, fn)(2, 3, dtype=getattr(ndgrad, dtype))
        theirs = getattr(torch, fn)(2, 3, dtype=getattr(torch, dtype))
        assert repr(ours.dtype) == repr(theirs.dtype)
        if dtype == "complex128":  # bit for bit, as float64 draws are
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        else:  # float32 draws: exact with glibc, within a few ulp elsewhere (README)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_random_fills_of_complex_tensors_match_torch(torch, dtype):
    for fill, args in (("normal_", ()), ("normal_", (0.5, 3.0)), ("uniform_", (-1.0, 2.0))):
        for transposed in (False, True):
            ndgrad.manual_seed(1)
            torch.manual_seed(1)
            ours = ndgrad.empty(5, 20, dtype=getattr(ndgrad, dtype))
            theirs = torch.empty(5, 20, dtype=getattr(torch, dtype))
            if transposed:  # filled in memory order: down the columns
                ours, theirs = ours.t(), theirs.t()
            getattr(ours, fill)(*args)
            getattr(theirs, fill)(*args)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)
    for like in ("randn_like", "rand_like"):
        ndgrad.manual_seed(2)
        torch.manual_seed(2)
        ours = getattr(ndgrad, like)(ndgrad.ones(3, 4, dtype=getattr(ndgrad, dtype)))
        theirs = getattr(torch, like)(torch.ones(3, 4, dtype=getattr(torch, dtype)))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_complex_tensors_require_grad_and_ints_do_not():
    z = ndgrad.tensor([1j], requires_grad=True)
    assert z.requires_grad and z.is_complex() and not z.is_floating_point()
    assert z.type() == "torch.ComplexFloatTensor"
    with pytest.raises(RuntimeError, match="floating point"):
        ndgrad.tensor([1]).requires_grad_()


# *** printing ***

_PRINTED = [
    "torch.tensor([1+2j, -3+0.5j])", "torch.tensor([[1.5+2j, -3.25e-5j], [1e10, 0]])",
    "torch.tensor(1j)", "torch.tensor(complex(0.0, -0.0))", "torch.tensor([1e-8j, 1+0j])",
    "torch.tensor([1j], dtype=torch.complex128, requires_grad=True)",
    "torch.tensor([float('nan') + 1j, complex(float('nan'), float('inf'))])",
    "torch.zeros(2, 0, dtype=torch.complex64)", "torch.zeros(0, dtype=torch.complex128)",
    "torch.arange(2000).to(torch.complex64)",
    "torch.tensor(np.arange(30).reshape(3, 10) * (1.1 + 0.37j))",
    "torch.tensor(np.linspace(-1, 1, 12).reshape(2, 2, 3) * (1 + 2j))",
    "torch.tensor([[1 + 2j, 3 - 1j]]).conj().T",
]


@pytest.mark.parametrize("expr", _PRINTED)
def test_printing_matches_torch(torch, expr):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = repr(eval(expr, {"torch": torch, "np": np}))
        ours = repr(eval(expr, {"torch": ndgrad, "np": np}))
    assert ours == theirs


def test_printing_follows_the_default_dtype(torch):
    ndgrad.set_default_dtype(ndgrad.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for expr in ("torch.tensor([1j])", "torch.tensor([1j], dtype=torch.complex64)"):
            assert repr(eval(expr, {"torch": ndgrad})) == repr(eval(expr, {"torch": torch}))
    finally:
        torch.set_default_dtype(torch.float32)


# *** real / imag views, view_as_real / view_as_complex ***

def test_real_and_imag_are_writable_views():
    z = ndgrad.tensor([1 + 2j, 3 - 4j])
    z.real[0] = 10.0
    z.imag.mul_(2)
    assert z.tolist() == [10 + 4j, 3 - 8j]
    z.real = ndgrad.tensor([0.0, 1.0])
    z.imag = ndgrad.tensor(5.0)
    assert z.tolist() == [5j, 1 + 5j]
    v = ndgrad.view_as_real(z)
    v[1, 1] = -1.0
    assert z.tolist() == [5j, 1 - 1j] and v._base is z


def test_real_of_a_real_tensor_is_itself_and_imag_refuses(torch):
    x = ndgrad.ones(2)
    assert x.real is x
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        x.imag
    with pytest.raises(RuntimeError, match="only supported for complex"):
        ndgrad.view_as_real(x)


def test_real_imag_gradients_and_nodes_match_torch(torch):
    data = _c(3)
    z, tz = ndgrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    w1, w2 = rng.standard_normal(3), rng.standard_normal(3)
    for lib, t in ((ndgrad, z), (torch, tz)):
        r, i = t.real, t.imag
        assert type(r.grad_fn).__name__ == "SelectBackward0"
        (r * lib.tensor(w1) + i * i * lib.tensor(w2)).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), tz.grad.numpy())


@pytest.mark.parametrize("make", [
    lambda lib: lib.randn(3, 3).t(), lambda lib: lib.randn(3, 3),
    lambda lib: lib.randn(3, 4)[:, ::2],
    lambda lib: lib.ones(3, 2, dtype=lib.int64)])
def test_view_as_complex_refuses_what_torch_refuses(torch, make):
    for lib in (ndgrad, torch):
        with pytest.raises(RuntimeError):
            lib.view_as_complex(make(lib))


# *** the conjugate bit ***

def test_conj_bit_semantics_match_torch(torch):
    data = _c(2, 2)
    for lib in (ndgrad, torch):
        z = lib.tensor(data, requires_grad=True)
        y = z.conj()
        assert y.is_conj() and lib.is_conj(y) and not z.is_conj()
        assert type(y.grad_fn).__name__ == "ConjBackward0"
        assert y[0].is_conj() and y.T.is_conj()  # views keep the bit
        assert not (y + 1).is_conj() and not y.clone().is_conj()
        assert type(y.resolve_conj().grad_fn).__name__ == "CloneBackward0"
        assert z.resolve_conj() is z
        assert type(z.conj_physical().grad_fn).__name__ == "ConjPhysicalBackward0"
        assert not z.conj_physical().is_conj()
        x = lib.ones(2)
        assert x.conj() is x and x.conj_physical() is x and x.resolve_conj() is x
        with pytest.raises(RuntimeError, match="conjugate bit"):
            y.detach().numpy()
        with pytest.raises(RuntimeError, match="view_as_real doesn't work on unresolved"):
            lib.view_as_real(y)
        np.testing.assert_allclose(y.detach().resolve_conj().numpy(), data.conj())
        np.testing.assert_allclose(y.imag.detach().resolve_neg().numpy(), -data.imag)


def test_conj_follows_in_place_changes_of_its_input(torch):
    for lib in (ndgrad, torch):
        z = lib.tensor([1 + 1j, 2 - 2j])
        y = z.conj()
        row = z[1:]
        z.mul_(2)
        row.add_(1j)  # through another view of the same storage
        assert y.resolve_conj().tolist() == [2 - 2j, 4 + 3j]


def test_conj_results_are_not_kept_alive():
    from ndgrad._ops.inplace import CONJ_VIEWS

    z = ndgrad.tensor([1 + 1j])
    before = len(CONJ_VIEWS.get(id(z), ()))
    for _ in range(50):
        (z.conj() * 2).sum()
    assert len(CONJ_VIEWS.get(id(z), ())) == before == 0
    kept = z.conj()
    assert len(CONJ_VIEWS[id(z)]) == 1
    del kept
    assert id(z) not in CONJ_VIEWS


def test_writing_into_a_conj_result_is_refused_not_lost():
    z = ndgrad.tensor([1 + 1j, 2 - 2j])
    y = z.conj()
    for write in (lambda: y.mul_(2), lambda: y.__setitem__(0, 0), lambda: y.real.zero_()):
        with pytest.raises(RuntimeError, match="conjugate bit"):
            write()
    assert z.tolist() == [1 + 1j, 2 - 2j]
    r = y.resolve_conj()
    r.mul_(2)
    assert r.tolist() == [2 - 2j, 4 + 4j]


def test_adjoint_and_mH(torch):
    data = _c(2, 3)
    for attr in ("mH", "H"):
        ours = getattr(ndgrad.tensor(data), attr)
        theirs = getattr(torch.tensor(data), attr)
        np.testing.assert_allclose(ours.resolve_conj().numpy(), theirs.resolve_conj().numpy())
        assert ours.is_conj() == theirs.is_conj()
    np.testing.assert_allclose(ndgrad.tensor(data).adjoint().resolve_conj().numpy(), data.conj().T)


# *** torch's gradient convention ***

def test_backward_of_a_complex_scalar_raises_torch_error(torch):
    for lib in (ndgrad, torch):
        z = lib.tensor([1 + 1j], requires_grad=True)
        with pytest.raises(RuntimeError, match="real scalar outputs"):
            (z * z).sum().backward()
        with pytest.raises(RuntimeError, match="both grad_output and output"):
            (z * z).backward(lib.ones(1))


def _loss(lib, z, x):
    # a real loss of complex and real leaves, through holomorphic and non-holomorphic ops
    y = (z * z.conj() + z.exp() * x).sin() / (z.abs() + 1) + z.angle() * x
    w = lib.tensor(np.linspace(0.5, 1.5, 3))
    return (y.real * w).sum() + (y.imag ** 2).sum() + lib.view_as_real(z.sqrt()).sum()


def test_real_loss_of_complex_leaves_gives_torch_gradients(torch):
    zd, xd = _c(3), rng.standard_normal(3)
    z, x = ndgrad.tensor(zd, requires_grad=True), ndgrad.tensor(xd, requires_grad=True)
    tz, tx = torch.tensor(zd, requires_grad=True), torch.tensor(xd, requires_grad=True)
    _loss(ndgrad, z, x).backward()
    _loss(torch, tz, tx).backward()
    np.testing.assert_allclose(z.grad.numpy(), tz.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    assert z.grad.dtype == ndgrad.complex128 and x.grad.dtype == ndgrad.float64


def test_gradient_of_abs_squared_is_twice_z():
    z = ndgrad.tensor([1 + 2j, -3 + 0.5j], dtype=ndgrad.complex128, requires_grad=True)
    (z.abs() ** 2).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * z.detach().numpy())


def test_second_order_through_complex_ops(torch):
    zd = _c(3)
    results = []
    for lib in (ndgrad, torch):
        z = lib.tensor(zd, requires_grad=True)
        loss = ((z * z).exp().abs() ** 2).sum()
        (g,) = lib.autograd.grad(loss, z, create_graph=True)
        (gg,) = lib.autograd.grad((g.conj() * g).real.sum(), z)
        results.append((g.detach().numpy(), gg.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9)


# *** gradcheck on complex functions ***

def test_gradcheck_and_gradgradcheck_on_complex_inputs_and_outputs():
    z = ndgrad.tensor(_c(3), requires_grad=True)
    x = ndgrad.tensor(rng.standard_normal(3), requires_grad=True)
    assert gradcheck(lambda z, x: (z * x).exp() * z.conj(), (z, x))
    assert gradcheck(lambda z: z.abs() + z.angle(), (z,))
    assert gradcheck(lambda x: ndgrad.polar(x.exp(), x), (x,))
    assert gradgradcheck(lambda z, x: (z * x).sin() * z.conj(), (z, x))


class _WrongConj(ndgrad.autograd.Function):
    """z * z with the real-convention gradient (g * 2z instead of g * conj(2z))."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return z * z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * 2 * z


def test_gradcheck_catches_a_gradient_missing_its_conjugate():
    z = ndgrad.tensor(_c(2), requires_grad=True)
    with pytest.raises(GradcheckError, match="complex numbers are compared"):
        gradcheck(_WrongConj.apply, (z,))
    assert not gradcheck(_WrongConj.apply, (z,), raise_exception=False)


# *** forward AD ***

def test_forward_ad_with_complex_tangents_matches_torch(torch):
    zd, td, xd, txd = _c(3), _c(3), rng.standard_normal(3), rng.standard_normal(3)
    out = []
    for lib in (ndgrad, torch):
        fw = lib.autograd.forward_ad
        with fw.dual_level():
            z = fw.make_dual(lib.tensor(zd), lib.tensor(td))
            x = fw.make_dual(lib.tensor(xd), lib.tensor(txd))
            y = (z * z.conj()).real * x + z.exp().abs() + (z * z).sin()
            out.append(fw.unpack_dual(y).tangent.numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-10)


# *** real-only ops refuse complex input ***

def _has_float_input(sample):
    return any(isinstance(a, np.ndarray) and not im and a.dtype.kind == "f"
               for a, im in zip(sample.inputs, sample.int_mask))


def _complex_version(sample):
    args = to_ndgrad(sample, ndgrad.float64, requires_grad=False)
    for i, (a, im) in enumerate(zip(args, sample.int_mask)):
        if isinstance(a, ndgrad.Tensor) and not im and a.is_floating_point():
            args[i] = a + 0.5j
    return args


def _real_only_samples():
    """One sample per op declared real-only (with a floating input to make complex)."""
    from ndgrad._ops._registry import REGISTRY

    chosen = {}
    for s in SAMPLES:
        op = REGISTRY.get(s.name)
        if op is not None and not op.complex and s.name not in chosen and _has_float_input(s):
            chosen[s.name] = s
    return list(chosen.values())


@pytest.mark.parametrize("sample", _real_only_samples(), ids=lambda s: s.name)
def test_real_only_ops_refuse_complex_input(sample):
    with pytest.raises((RuntimeError, TypeError)):
        sample.fn(*_complex_version(sample), **sample.attrs)


def test_refusals_use_torch_words(torch):
    z, tz = ndgrad.tensor([1j]), torch.tensor([1j])
    for fn in (lambda t: t.sign(), lambda t: t.relu(), lambda t: t.clamp(0, 1), lambda t: t < t,
               lambda t: t.floor(), lambda t: t.max(), lambda t: t.sort(),
               lambda t: t.maximum(t), lambda t: t.erf()):
        with pytest.raises(RuntimeError) as ours:
            fn(z)
        with pytest.raises(RuntimeError) as theirs:
            fn(tz)
        assert type(ours.value) is type(theirs.value)
    with pytest.raises(NotImplementedError, match="torch.sgn"):
        z.sign()


def test_casting_complex_to_real_warns_as_torch_and_keeps_the_real_part():
    z = ndgrad.tensor([1 + 2j], requires_grad=True)
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        r = z.to(ndgrad.float32)
    assert r.tolist() == [1.0]
    r.sum().backward()
    assert z.grad.tolist() == [1 + 0j]



# *** optimizers step complex parameters as pairs of reals, as torch's ***

@pytest.mark.parametrize("name,kw", [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
    ("Adam", dict(lr=0.1, amsgrad=True, weight_decay=0.1)), ("AdamW", dict(lr=0.1)),
    ("RMSprop", dict(lr=0.05, momentum=0.5, centered=True)), ("Adagrad", dict(lr=0.1)),
    ("Adamax", dict(lr=0.1)), ("NAdam", dict(lr=0.1)), ("RAdam", dict(lr=0.1)),
    ("Adadelta", dict(lr=0.5)), ("LBFGS", dict(lr=0.5))])
def test_optimizers_step_complex_parameters_as_torch(torch, name, kw):
    start = _c(4)
    results = []
    for lib in (ndgrad, torch):
        z = lib.tensor(start.copy(), requires_grad=True)
        opt = getattr(lib.optim, name)([z], **kw)

        def closure():
            opt.zero_grad()
            loss = ((z * z).abs() ** 2).sum() + (z.real * 3).sum()
            loss.backward()
            return loss

        for _ in range(4):
            opt.step(closure)
        results.append(z.detach().numpy())
        assert all(not isinstance(v, lib.Tensor) or v.dtype in (lib.complex128, lib.float32,
                                                                lib.float64, lib.int64)
                   for s in opt.state.values() for v in s.values())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_in_place_ops_on_complex_tensors_as_torch(torch):
    data = _c(3)
    for name, args in (("abs_", ()), ("sgn_", ()), ("exp_", ()), ("mul_", (2j,)),
                       ("add_", (1 - 1j,)), ("pow_", (2,))):
        outcomes = []
        for lib in (ndgrad, torch):
            z = lib.tensor(data)
            try:
                getattr(z, name)(*args)
                outcomes.append(z.numpy())
            except RuntimeError as e:
                outcomes.append(str(e))
        if isinstance(outcomes[1], str):
            assert outcomes[0] == outcomes[1]
        else:
            np.testing.assert_allclose(outcomes[0], outcomes[1], rtol=1e-6)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Float"):
        ndgrad.ones(2).mul_(1j)


@pytest.mark.parametrize("call", [
    lambda F, x, w: F.conv1d(x[:, :, 0], w[:, :, 0], stride=2, padding=1),
    lambda F, x, w: F.conv2d(x, w, padding=1, dilation=(1, 2)),
    lambda F, x, w: F.conv_transpose2d(x, w.transpose(0, 1), stride=2),
    lambda F, x, w: F.unfold(x, 2) + 0 * w.sum(),
])
def test_complex_convolutions_match_torch_values_and_gradients(torch, call):
    # torch decomposes complex convolutions into real ones (other nodes); values and gradients
    # are compared, node names are not
    xd, wd = _c(2, 2, 5, 6), _c(3, 2, 2, 3)
    res = []
    for lib in (ndgrad, torch):
        x, w = lib.tensor(xd, requires_grad=True), lib.tensor(wd, requires_grad=True)
        out = call(lib.nn.functional, x, w)
        weights = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)) * (1 - 2j))
        (out * weights).real.sum().backward()
        res.append((out.detach().numpy(), x.grad.numpy(), w.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
