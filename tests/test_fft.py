"""ndgrad.fft and stft/istft beyond the op table: dtype rules, errors, the node chains torch
records, sample frequencies, and gradients of a spectral loss (the op table checks every
transform's values and gradients against torch and finite differences)."""
import warnings

import numpy as np
import pytest

import ndgrad

rng = np.random.default_rng(0)
ALL = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
       "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"}


def _chain(t):
    names, node = [], t.grad_fn
    while node is not None:
        names.append(node.name())
        nxt = [c for c, _ in node.next_functions if c is not None]
        node = nxt[0] if nxt else None
    return names


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64", "complex64", "complex128"])
def test_dtypes_values_and_recorded_nodes_match_torch(torch, name, dtype):
    data = rng.standard_normal((3, 4))
    if dtype.startswith("complex"):
        data = data + 1j * rng.standard_normal((3, 4))
    if dtype == "int64":
        data = (data * 3).round()
    x = ndgrad.tensor(data, dtype=getattr(ndgrad, dtype))
    tx = torch.tensor(data, dtype=getattr(torch, dtype))
    if dtype != "int64":
        x.requires_grad_()
        tx.requires_grad_()
    fn, tfn = getattr(ndgrad.fft, name), getattr(torch.fft, name)
    if name in REAL_ONLY and dtype.startswith("complex"):
        with pytest.raises(RuntimeError) as theirs:
            tfn(tx)
        with pytest.raises(RuntimeError, match=str(theirs.value).split(",")[0][:30]):
            fn(x)
        return
    ours, theirs = fn(x), tfn(tx)
    assert repr(ours.dtype) == repr(theirs.dtype)
    np.testing.assert_allclose(ours.detach().resolve_conj().numpy(),
                               theirs.detach().resolve_conj().numpy(), rtol=1e-5, atol=1e-5)
    assert _chain(ours)[:-1] == _chain(theirs)[:-1]  # the leaf's AccumulateGrad name differs
    assert ours.is_conj() == theirs.is_conj()


@pytest.mark.parametrize("call", [
    lambda lib: lib.fft.fft(lib.ones(())),
    lambda lib: lib.fft.fftn(lib.ones(()), dim=(0,)),
    lambda lib: lib.fft.fft(lib.ones(4), dim=2),
    lambda lib: lib.fft.fft(lib.ones(4), n=0),
    lambda lib: lib.fft.fft(lib.ones(4), norm="sideways"),
    lambda lib: lib.fft.fft(lib.ones(4, dtype=lib.float16)),
    lambda lib: lib.fft.rfft(lib.ones(4, dtype=lib.complex64)),
    lambda lib: lib.fft.fftn(lib.ones(3, 4), s=(2, 2), dim=(0,)),
    lambda lib: lib.fft.fftn(lib.ones(3, 4), dim=(0, 0)),
    lambda lib: lib.fft.fftn(lib.ones(4), s=(2, 2)),
    lambda lib: lib.fft.irfft(lib.ones(1, dtype=lib.complex64)),
    lambda lib: lib.fft.rfftn(lib.ones(3), dim=()),
])
def test_errors_match_torch(torch, call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(ndgrad)
    assert str(ours.value).split("(")[0][:25] == str(theirs.value).split("(")[0][:25]


def test_shifts_and_frequencies_match_torch(torch):
    for n, d in ((5, 1.0), (6, 0.1)):
        for fn in ("fftfreq", "rfftfreq"):
            np.testing.assert_allclose(getattr(ndgrad.fft, fn)(n, d).numpy(),
                                       getattr(torch.fft, fn)(n, d).numpy(), rtol=1e-6)
            assert repr(getattr(ndgrad.fft, fn)(n, dtype=ndgrad.float64).dtype) == "torch.float64"
    data = rng.standard_normal((3, 4))
    for fn in ("fftshift", "ifftshift"):
        for dim in (None, 0, (1,), (-1, 0)):
            ours = getattr(ndgrad.fft, fn)(ndgrad.tensor(data, requires_grad=True), dim=dim)
            theirs = getattr(torch.fft, fn)(torch.tensor(data, requires_grad=True), dim=dim)
            np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
            assert ours.grad_fn.name() == theirs.grad_fn.name() == "RollBackward0"


def test_spectral_loss_gradients_match_torch(torch):
    data = rng.standard_normal((2, 16))
    grads = []
    for lib in (ndgrad, torch):
        x = lib.tensor(data, requires_grad=True)
        spec = lib.fft.rfft(x * lib.tensor(np.hanning(16)), norm="ortho")
        power = (spec * spec.conj()).real
        back = lib.fft.irfft(spec * lib.exp(-power), n=16)
        loss = power.log1p().sum() + (back ** 2).mean() + lib.fft.fft2(x).abs().sum()
        loss.backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9, atol=1e-12)


def test_float32_in_complex64_out():
    x = ndgrad.randn(8)
    assert ndgrad.fft.fft(x).dtype == ndgrad.complex64
    assert ndgrad.fft.irfft(ndgrad.fft.rfft(x)).dtype == ndgrad.float32
    np.testing.assert_allclose(ndgrad.fft.irfft(ndgrad.fft.rfft(x), n=8).numpy(), x.numpy(),
                               atol=1e-6)


def test_out_argument_is_written():
    x = ndgrad.tensor([1.0, 2.0, 3.0, 4.0])
    out = ndgrad.zeros(3, dtype=ndgrad.complex64)
    assert ndgrad.fft.rfft(x, out=out) is out
    assert out.tolist() == [10 + 0j, -2 + 2j, -2 + 0j]


# *** stft / istft ***

def test_stft_round_trip_and_method(torch):
    data = rng.standard_normal(32)
    x, w = ndgrad.tensor(data), ndgrad.tensor(np.hanning(8) + 0.1)
    spec = x.stft(8, hop_length=2, window=w, return_complex=True)
    theirs = torch.tensor(data).stft(8, hop_length=2, window=torch.tensor(np.hanning(8) + 0.1),
                                     return_complex=True)
    np.testing.assert_allclose(spec.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)
    back = ndgrad.istft(spec, 8, hop_length=2, window=w, length=32)
    np.testing.assert_allclose(back.numpy(), data, atol=1e-12)
    assert _chain(spec) == _chain(theirs)[:len(_chain(spec))]


@pytest.mark.parametrize("call", [
    lambda lib: lib.stft(lib.ones(16), 4),  # return_complex is required for real input
    lambda lib: lib.stft(lib.ones(16), 20, center=False, return_complex=True),
    lambda lib: lib.stft(lib.ones(16, dtype=lib.int64), 4, center=False, return_complex=True),
    lambda lib: lib.stft(lib.ones(16), 4, hop_length=0, return_complex=True),
    lambda lib: lib.stft(lib.ones(16), 4, win_length=5, return_complex=True),
    lambda lib: lib.stft(lib.ones(16), 4, window=lib.ones(3), return_complex=True),
    lambda lib: lib.stft(lib.ones(2, 2, 16), 4, center=False, return_complex=True),
    lambda lib: lib.stft(lib.ones(16), 4, align_to_window=True, return_complex=True),
    lambda lib: lib.istft(lib.ones(3, 4), 4),
    lambda lib: lib.istft(lib.ones(3, 4, dtype=lib.complex64), 8),
    lambda lib: lib.istft(lib.ones(3, 4, dtype=lib.complex64), 4, window=lib.zeros(4)),
    lambda lib: lib.istft(lib.ones(3, 4, dtype=lib.complex64), 4, hop_length=5),
    lambda lib: lib.istft(lib.ones(3, 4, dtype=lib.complex64), 4, window=lib.ones(3)),
    lambda lib: lib.istft(lib.ones(0, 3, dtype=lib.complex64), 4),
    lambda lib: lib.istft(lib.ones(3, 4, dtype=lib.complex64), 4, return_complex=True),
])
def test_stft_errors_match_torch(torch, call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            call(torch)
        with pytest.raises(type(theirs.value)) as ours:
            call(ndgrad)
    assert str(ours.value) == str(theirs.value)


def test_stft_return_complex_false_warns_and_gives_pairs():
    with pytest.warns(UserWarning, match="return_complex=False is deprecated"):
        out = ndgrad.stft(ndgrad.ones(16), 4, return_complex=False)
    assert out.shape == (3, 17, 2) and out.dtype == ndgrad.float32
