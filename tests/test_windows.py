"""Window functions against PyTorch: torch.signal.windows and the torch-level *_window factories
(every length from 0, symmetric and periodic, float32 and float64), requires_grad and errors."""
import numpy as np
import pytest

import ndgrad
import ndgrad.signal.windows as W

NAMES = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
         "general_hamming", "hamming", "hann", "kaiser", "nuttall"]
EXTRA = {"general_cosine": {"a": [0.46, 0.23, 0.31]}, "general_hamming": {"alpha": 0.6},
         "kaiser": {"beta": 5.0}, "gaussian": {"std": 1.7}, "exponential": {"tau": 2.5}}
FACTORIES = {"hann_window": {}, "hamming_window": {"alpha": 0.6, "beta": 0.3},
             "blackman_window": {}, "bartlett_window": {}, "kaiser_window": {"beta": 3.0}}


def test_namespace_is_complete(torch):
    assert sorted(n for n in dir(torch.signal.windows) if not n.startswith("_")
                  and n != "windows") == sorted(W.__all__)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_windows_match_torch(torch, name, dtype):
    for M in range(0, 12):
        for sym in (True, False):
            kw = dict(EXTRA.get(name, {}), sym=sym)
            ours = getattr(W, name)(M, dtype=getattr(ndgrad, dtype), **kw)
            theirs = getattr(torch.signal.windows, name)(M, dtype=getattr(torch, dtype), **kw)
            assert ours.dtype == getattr(ndgrad, dtype) and tuple(ours.shape) == (M,)
            # float32 to within torch's own float32 rounding of the same formula (torch's float32
            # i0, inside kaiser, is accurate to a few ulp only)
            rtol = 2e-6 if name == "kaiser" and dtype == "float32" else 1e-7
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=rtol, atol=2e-7)


def test_kaiser_with_a_large_beta_overflows_as_torch(torch):
    # float32 I0(beta) is infinite for beta > 88.72 in torch: NaN where I0 of the argument is too
    for beta in (30.0, 89.0, 100.0):
        ours = W.kaiser(64, beta=beta, sym=False).numpy()
        theirs = torch.signal.windows.kaiser(64, beta=beta, sym=False).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=3e-6, atol=1e-7, equal_nan=True)


def test_window_defaults_and_grad(torch):
    assert W.hann(5).dtype == ndgrad.float32
    ndgrad.set_default_dtype(ndgrad.float64)
    assert W.hann(5).dtype == ndgrad.float64
    w = W.gaussian(4, requires_grad=True)
    assert w.requires_grad and w.grad_fn is not None
    assert W.kaiser(1, requires_grad=True).requires_grad


def test_window_errors(torch):
    with pytest.raises(ValueError, match="requires non-negative window length, got M=-1"):
        W.hann(-1)
    with pytest.raises(ValueError, match="expects float32 or float64 dtypes, got: torch.int64"):
        W.cosine(3, dtype=ndgrad.int64)
    with pytest.raises(ValueError, match="Center must be None for symmetric windows"):
        W.exponential(3, center=1.0)
    with pytest.raises(ValueError, match="Tau must be positive"):
        W.exponential(3, tau=0.0)
    with pytest.raises(ValueError, match="Standard deviation must be positive"):
        W.gaussian(3, std=-1.0)
    with pytest.raises(ValueError, match="beta must be non-negative"):
        W.kaiser(3, beta=-1.0)
    with pytest.raises(TypeError, match="Coefficients must be a list/tuple"):
        W.general_cosine(3, a=None)
    with pytest.raises(ValueError, match="Coefficients cannot be empty"):
        W.general_cosine(3, a=[])


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_match_torch(torch, name):
    for M in range(0, 12):
        for periodic in (True, False):
            for dtype in ("float32", "float64"):
                ours = getattr(ndgrad, name)(M, periodic, **FACTORIES[name],
                                             dtype=getattr(ndgrad, dtype))
                theirs = getattr(torch, name)(M, periodic, **FACTORIES[name],
                                              dtype=getattr(torch, dtype))
                assert str(ours.dtype) == str(theirs.dtype)
                np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    w = getattr(ndgrad, name)(4, requires_grad=True)
    assert w.requires_grad and w.is_leaf


def test_factory_errors():
    with pytest.raises(RuntimeError, match="hann_window requires non-negative window_length, got "
                                           "window_length=-1"):
        ndgrad.hann_window(-1)
    with pytest.raises(RuntimeError, match="kaiser_window expects floating point dtypes, got: "
                                           "TensorOptions\\(dtype=long int"):
        ndgrad.kaiser_window(3, dtype=ndgrad.int64)
