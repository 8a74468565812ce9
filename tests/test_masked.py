"""torch.masked's function API against PyTorch: every reduction and normalization with and without
a mask (broadcast masks, fully masked rows, dims, keepdim, dtype), gradients against torch and
finite differences (first and second order), and the mask helpers torch's own tests use."""
import numpy as np
import pytest

import ndgrad
import ndgrad.masked as M
from ndgrad.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(5)
X = RNG.standard_normal((3, 4))
MASK = RNG.random((3, 4)) > 0.4
MASK[1] = False  # a fully masked-out row
ROW_MASK = np.array([True, False, True, True])  # broadcasts over dim 0

# name -> (call(lib_masked, x, mask), differentiable)
CASES = {
    "sum": (lambda L, x, m: L.sum(x, 1, mask=m), True),
    "sum_all_keepdim": (lambda L, x, m: L.sum(x, None, keepdim=True, mask=m), True),
    "prod": (lambda L, x, m: L.prod(x, 0, mask=m), True),
    "cumsum": (lambda L, x, m: L.cumsum(x, 1, mask=m), True),
    "cumprod": (lambda L, x, m: L.cumprod(x, 0, mask=m), True),
    "amax": (lambda L, x, m: L.amax(x, (0, 1), mask=m), True),
    "amin": (lambda L, x, m: L.amin(x, 1, keepdim=True, mask=m), True),
    "argmax": (lambda L, x, m: L.argmax(x, 1, mask=m), False),
    "argmin": (lambda L, x, m: L.argmin(x, 0, keepdim=True, mask=m), False),
    "mean": (lambda L, x, m: L.mean(x, 1, mask=m), True),
    "median": (lambda L, x, m: L.median(x, 1, mask=m), True),
    "logsumexp": (lambda L, x, m: L.logsumexp(x, 1, mask=m), True),
    "norm": (lambda L, x, m: L.norm(x, 2.0, 1, mask=m), True),
    "norm_inf": (lambda L, x, m: L.norm(x, float("inf"), 0, mask=m), True),
    "var": (lambda L, x, m: L.var(x, 1, mask=m), True),
    "std": (lambda L, x, m: L.std(x, 0, unbiased=False, mask=m), True),
    "var_correction": (lambda L, x, m: L.var(x, None, correction=2, keepdim=True, mask=m), True),
    "softmax": (lambda L, x, m: L.softmax(x, 1, mask=m), True),
    "log_softmax": (lambda L, x, m: L.log_softmax(x, 0, mask=m), True),
    "softmin": (lambda L, x, m: L.softmin(x, -1, mask=m), True),
    "normalize": (lambda L, x, m: L.normalize(x, 2.0, 1, mask=m), True),
    "logaddexp": (lambda L, x, m: L.logaddexp(x, x.flip(0), input_mask=m, other_mask=m), True),
}


def _finite(t):
    return t.detach().numpy()


@pytest.mark.parametrize("mask", ["none", "full", "row"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(torch, name, mask):
    fn, diff = CASES[name]
    m = {"none": None, "full": MASK, "row": ROW_MASK}[mask]
    nx = ndgrad.tensor(X, dtype=ndgrad.float32, requires_grad=diff)
    tx = torch.tensor(X, dtype=torch.float32, requires_grad=diff)
    nm = None if m is None else ndgrad.tensor(m)
    tm = None if m is None else torch.tensor(m)
    ours, theirs = fn(M, nx, nm), fn(torch.masked, tx, tm)
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(_finite(ours), _finite(theirs), rtol=1e-5, atol=1e-6)
    if not diff:
        return
    w = RNG.standard_normal(tuple(theirs.shape))
    keep = np.isfinite(_finite(theirs))  # no cotangent on -inf / nan outputs (fully masked)
    (ours * ndgrad.tensor(np.where(keep, w, 0.0))).sum().backward()
    (theirs * torch.tensor(np.where(keep, w, 0.0), dtype=torch.float32)).sum().backward()
    # rows with nothing unmasked have no gradient: nan in both, compared as 0
    np.testing.assert_allclose(np.nan_to_num(nx.grad.numpy()), np.nan_to_num(tx.grad.numpy()),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", [n for n, (_, d) in sorted(CASES.items()) if d])
def test_gradients_against_finite_differences(name):
    fn, _ = CASES[name]
    # at least two unmasked elements in every row and column (var divides by count - 1)
    keep = (RNG.random((3, 4)) > 0.3) | np.eye(3, 4, dtype=bool) | np.eye(3, 4, 1, dtype=bool)
    mask = ndgrad.tensor(keep | np.eye(3, 4, -1, dtype=bool) | np.eye(3, 4, 2, dtype=bool))
    x = ndgrad.tensor(RNG.uniform(0.5, 1.5, (3, 4)), dtype=ndgrad.float64, requires_grad=True)

    def f(t):  # -inf where everything is masked out (log_softmax, logaddexp) has no derivative
        out = fn(M, t, mask)
        return out.masked_fill(~out.isfinite(), 0.0)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_dtypes_follow_torch(torch):
    ints = np.arange(6).reshape(2, 3)
    for name in ("sum", "prod", "cumsum", "amax", "argmax"):
        ours = getattr(M, name)(ndgrad.tensor(ints, dtype=ndgrad.int32), 1)
        theirs = getattr(torch.masked, name)(torch.tensor(ints, dtype=torch.int32), 1)
        assert str(ours.dtype) == str(theirs.dtype)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="mean\\(\\): Could not infer output dtype"):
        M.mean(ndgrad.tensor(ints))
    ours = M.var(ndgrad.tensor(ints), 1)
    assert ours.dtype == ndgrad.float32


def test_mask_errors_and_helpers(torch):
    x = ndgrad.tensor(X, dtype=ndgrad.float32)
    with pytest.raises(IndexError, match="Dimension out of range"):
        M.sum(x, 2, mask=ndgrad.tensor(MASK))
    with pytest.raises(IndexError, match="expected broadcastable mask"):
        M.sum(x, 1, mask=ndgrad.ones(2, 3, 4, dtype=ndgrad.bool))
    with pytest.raises(RuntimeError, match="appears multiple times"):
        M.sum(x, (1, 1), mask=ndgrad.tensor(MASK))
    out = M._output_mask(M.sum, x, 1, mask=ndgrad.tensor(MASK))
    ref = torch.masked._output_mask(torch.masked.sum, torch.tensor(X), 1, mask=torch.tensor(MASK))
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    ints = ndgrad.tensor([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="no fully masked out rows"):
        M.median(ints, 1, mask=ndgrad.tensor([[False, False], [True, True]]))
