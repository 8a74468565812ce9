"""Convolution, pooling, fold/unfold, interpolate and pixel shuffle through torch.nn.functional's
surface: values, dtypes, grad_fn names and gradients against torch; second order against finite
differences; error types and messages; the exact index arithmetic of pools and upsampling."""
import itertools

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F
from ndgrad.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def _arrays(shapes, kind=None):
    out = []
    for s in shapes:
        if s is None:
            out.append(None)
        elif kind == "ties":  # small integers: many equal maxima inside a window
            out.append(RNG.integers(-2, 3, s).astype(np.float64))
        else:
            out.append(RNG.standard_normal(s))
    return out


def _outs(o):
    return list(o) if isinstance(o, (tuple, list)) else [o]


def _compare(torch, name, args, kwargs, shapes, dtype="float32", torch_name=None, kind=None):
    """Run F.<name> and torch.nn.functional.<name> on the same data; compare everything."""
    arrays = _arrays(shapes, kind)
    nd_in = [ndgrad.tensor(a, dtype=getattr(ndgrad, dtype), requires_grad=True)
             if a is not None else None for a in arrays]
    th_in = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True)
             if a is not None else None for a in arrays]
    fn = getattr(F, name)
    th_fn = getattr(torch.nn.functional, torch_name or name)
    nd_out, th_out = _outs(fn(*nd_in, *args, **kwargs)), _outs(th_fn(*th_in, *args, **kwargs))
    assert len(nd_out) == len(th_out)
    rtol, atol = (1e-4, 1e-5) if dtype == "float32" else (1e-10, 1e-12)
    terms_nd, terms_th = [], []
    for n, t in zip(nd_out, th_out):
        assert tuple(n.shape) == tuple(t.shape)
        assert str(n.dtype) == str(t.dtype)
        np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
        assert (type(n.grad_fn).__name__ if n.grad_fn else None) == \
            (type(t.grad_fn).__name__ if t.grad_fn else None)
        if t.requires_grad:
            w = RNG.standard_normal(tuple(t.shape))
            terms_nd.append((n * ndgrad.tensor(w, dtype=n.dtype)).sum())
            terms_th.append((t * torch.tensor(w, dtype=t.dtype)).sum())
    sum(terms_nd).backward()
    sum(terms_th).backward()
    for a, b in zip(nd_in, th_in):
        if a is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol * 10,
                                       atol=atol * 10)


# *** parity with torch: (function, positional args, keyword args, input shapes) ***

CONV = [
    ("conv1d", (), {}, [(2, 4, 9), (6, 4, 3), (6,)]),
    ("conv1d", (), {"stride": 3, "padding": 2, "dilation": 2}, [(2, 4, 9), (6, 4, 3), None]),
    ("conv1d", (), {"padding": "same"}, [(4, 9), (6, 4, 3), None]),
    ("conv1d", (), {"padding": "valid", "groups": 2}, [(1, 4, 7), (6, 2, 2), (6,)]),
    ("conv2d", (), {}, [(2, 3, 6, 5), (4, 3, 3, 3), (4,)]),
    ("conv2d", (), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2},
     [(2, 4, 7, 6), (6, 2, 3, 2), (6,)]),
    ("conv2d", (), {"padding": "same", "dilation": 2}, [(1, 2, 6, 6), (3, 2, 3, 3), None]),
    ("conv2d", (), {"padding": 1}, [(3, 6, 5), (2, 3, 3, 3), (2,)]),
    ("conv2d", (), {"groups": 4}, [(1, 4, 5, 5), (8, 1, 3, 3), None]),  # depthwise
    ("conv3d", (), {"stride": (1, 2, 2), "padding": 1}, [(1, 2, 4, 5, 6), (3, 2, 2, 3, 2), (3,)]),
    ("conv3d", (), {}, [(2, 4, 4, 4), (2, 2, 3, 3, 3), None]),
    ("conv_transpose1d", (), {"stride": 2, "output_padding": 1}, [(2, 3, 5), (3, 2, 3), (2,)]),
    ("conv_transpose1d", (), {"dilation": 3, "stride": 2, "output_padding": 2, "groups": 2},
     [(4, 5), (4, 3, 3), None]),
    ("conv_transpose2d", (), {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2),
                              "groups": 2, "dilation": (1, 2)}, [(2, 4, 3, 4), (4, 3, 3, 2), (6,)]),
    ("conv_transpose2d", (), {"stride": 2}, [(2, 3, 3), (2, 1, 2, 2), None]),
]

POOL = [
    ("max_pool1d", (3,), {"stride": 2, "padding": 1}, [(2, 3, 9)]),
    ("max_pool1d", (2,), {"dilation": 2, "ceil_mode": True, "return_indices": True}, [(3, 8)]),
    ("max_pool2d", (2,), {}, [(2, 3, 6, 6)]),
    ("max_pool2d", ((3, 2),), {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2),
                               "ceil_mode": True, "return_indices": True}, [(2, 3, 7, 6)]),
    ("max_pool2d", (3,), {"stride": 1, "return_indices": True}, [(3, 5, 5)]),
    ("avg_pool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, [(2, 3, 8)]),
    ("avg_pool1d", (4,), {"stride": 3, "ceil_mode": True}, [(3, 9)]),
    ("avg_pool2d", (2,), {}, [(2, 3, 6, 6)]),
    ("avg_pool2d", ((3, 2),), {"stride": (2, 1), "padding": 1, "ceil_mode": True,
                               "count_include_pad": False}, [(2, 3, 6, 5)]),
    ("avg_pool2d", (3,), {"padding": 1, "divisor_override": 2}, [(3, 5, 5)]),
    ("adaptive_avg_pool1d", (3,), {}, [(2, 3, 7)]),
    ("adaptive_avg_pool1d", (1,), {}, [(3, 7)]),
    ("adaptive_avg_pool2d", ((3, 4),), {}, [(2, 3, 7, 9)]),
    ("adaptive_avg_pool2d", (1,), {}, [(2, 3, 5, 4)]),
    ("adaptive_avg_pool2d", ((None, 2),), {}, [(3, 5, 4)]),
    ("adaptive_max_pool1d", (3,), {"return_indices": True}, [(2, 3, 7)]),
    ("adaptive_max_pool2d", ((3, 2),), {}, [(2, 3, 7, 5)]),
    ("adaptive_max_pool2d", (4,), {"return_indices": True}, [(3, 9, 6)]),
]

RESHAPE = [
    ("unfold", ((2, 3),), {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}, [(2, 3, 5, 6)]),
    ("unfold", (2,), {}, [(3, 4, 4)]),
    ("fold", ((4, 5), (2, 3)), {"padding": (1, 0), "stride": (2, 1)}, [(2, 12, 9)]),
    ("fold", (4, 2), {"dilation": 2, "padding": 1}, [(8, 16)]),
    ("pixel_shuffle", (2,), {}, [(2, 8, 3, 2)]),
    ("pixel_unshuffle", (3,), {}, [(1, 2, 6, 3)]),
    ("interpolate", (), {"scale_factor": 2}, [(2, 3, 4)]),
    ("interpolate", (), {"size": (5, 7)}, [(2, 3, 4, 3)]),
    ("interpolate", (), {"scale_factor": (1.7, 0.6, 2), "mode": "nearest"}, [(1, 2, 3, 5, 2)]),
    ("interpolate", (), {"size": 7, "mode": "nearest-exact"}, [(2, 3, 4, 3)]),
    ("interpolate", (), {"scale_factor": 2.5, "mode": "linear"}, [(2, 3, 4)]),
    ("interpolate", (), {"size": 3, "mode": "linear", "align_corners": True}, [(2, 3, 7)]),
    ("interpolate", (), {"size": (7, 5), "mode": "bilinear"}, [(2, 3, 4, 6)]),
    ("interpolate", (), {"scale_factor": (2, 1.5), "mode": "bilinear", "align_corners": True},
     [(1, 2, 3, 4)]),
    ("interpolate", (), {"scale_factor": 1.3, "mode": "bilinear",
                         "recompute_scale_factor": True}, [(1, 2, 5, 4)]),
    ("interpolate", (), {"size": (3, 4, 2), "mode": "trilinear"}, [(1, 2, 2, 3, 4)]),
    ("interpolate", (), {"size": (2, 3), "mode": "area"}, [(1, 2, 5, 7)]),
]

CASES = CONV + POOL + RESHAPE


def _id(case):
    name, _, kwargs, shapes = case
    extra = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{name}[{'/'.join('x'.join(map(str, s)) if s else '-' for s in shapes)}]({extra})"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_matches_torch(torch, case, dtype):
    name, args, kwargs, shapes = case
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch and ndgrad both warn on even 'same' kernels
        _compare(torch, name, args, kwargs, shapes, dtype)


def test_max_pool_ties_pick_torchs_index(torch):
    # the first maximum in row-major window order; ReLU outputs are full of such ties
    _compare(torch, "max_pool2d", ((3, 3),), {"stride": 1, "return_indices": True},
             [(2, 3, 6, 6)], "float64", kind="ties")


def test_max_pool_nan_and_inf_indices(torch):
    x = RNG.standard_normal((2, 3, 7, 8))
    x[RNG.random(x.shape) < 0.15] = np.nan
    x[RNG.random(x.shape) < 0.3] = -np.inf
    for k, s, p, d, ceil in itertools.product([2, 3], [1, 2], [0, 1], [1, 2], [False, True]):
        if p > ((k - 1) * d + 1) // 2:
            continue
        v, i = F.max_pool2d(ndgrad.tensor(x), k, s, p, d, ceil, return_indices=True)
        tv, ti = torch.nn.functional.max_pool2d(torch.tensor(x), k, s, p, d, ceil,
                                                return_indices=True)
        np.testing.assert_array_equal(v.numpy(), tv.numpy())
        np.testing.assert_array_equal(i.numpy(), ti.numpy())
    for size in [(3, 4), (7, 8), (2, 5)]:
        v, i = F.adaptive_max_pool2d(ndgrad.tensor(x), size, return_indices=True)
        tv, ti = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), size,
                                                         return_indices=True)
        np.testing.assert_array_equal(v.numpy(), tv.numpy())
        np.testing.assert_array_equal(i.numpy(), ti.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "linear-ac"])
def test_interpolate_index_arithmetic(torch, mode, dtype):
    # sizes and scales where float32 index arithmetic or torch's size shortcuts decide the index
    align = True if mode == "linear-ac" else (False if mode == "linear" else None)
    mode = mode.replace("-ac", "")
    for n_in, spec in itertools.product([1, 2, 3, 5, 7, 13], [1, 2, 3, 5, 9, 14, 26, 0.3, 0.5,
                                                              1.3, 2.0, 2.3, 1 / 3, 4.1]):
        x = RNG.standard_normal((1, 2, n_in))
        kw = {"size": spec} if isinstance(spec, int) else {"scale_factor": spec}
        if isinstance(spec, float) and int(n_in * spec) < 1:
            continue
        y = F.interpolate(ndgrad.tensor(x, dtype=getattr(ndgrad, dtype)), mode=mode,
                          align_corners=align, **kw)
        t = torch.nn.functional.interpolate(torch.tensor(x, dtype=getattr(torch, dtype)),
                                            mode=mode, align_corners=align, **kw)
        np.testing.assert_allclose(y.numpy(), t.numpy(), rtol=1e-6, atol=1e-6, err_msg=str(kw))


def test_nearest_2d_copies_equal_and_doubled_sizes(torch):
    # torch's 2-D nearest kernel ignores the scale when a size is kept or doubled
    x = RNG.standard_normal((1, 1, 3, 2))
    for sf in [(1.3, 2.3), (1.0, 2.0), (2.1, 1.4)]:
        y = F.interpolate(ndgrad.tensor(x), scale_factor=sf)
        t = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=sf)
        np.testing.assert_array_equal(y.numpy(), t.numpy())


@pytest.mark.parametrize("name,shapes,kwargs", [
    ("conv2d", [(0, 2, 5, 5), (3, 2, 3, 3)], {}),
    ("conv2d", [(0, 2, 5, 5), (3, 2, 3, 3)], {"stride": 2}),
    ("conv_transpose2d", [(0, 2, 5, 5), (2, 3, 3, 3)], {}),
    ("max_pool2d", [(0, 2, 5, 5)], {"kernel_size": 2}),
    ("avg_pool2d", [(0, 2, 5, 5)], {"kernel_size": 2}),
    ("adaptive_max_pool2d", [(0, 2, 5, 5)], {"output_size": 2}),
    ("interpolate", [(0, 2, 5, 5)], {"scale_factor": 2, "mode": "bilinear"}),
    ("unfold", [(0, 2, 5, 5)], {"kernel_size": 2}),
])
def test_empty_batch(torch, name, shapes, kwargs):
    _compare(torch, name, (), kwargs, shapes)


def test_integer_inputs(torch):
    x, w = RNG.integers(-3, 4, (1, 2, 5, 5)), RNG.integers(-3, 4, (3, 2, 3, 3))
    for f, args in [("conv2d", (w,)), ("max_pool2d", (2,)), ("avg_pool2d", (2,))]:
        ours = getattr(F, f)(ndgrad.tensor(x), *[ndgrad.tensor(a) if isinstance(a, np.ndarray)
                                                  else a for a in args])
        theirs = getattr(torch.nn.functional, f)(
            torch.tensor(x), *[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args])
        assert str(ours.dtype) == str(theirs.dtype)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# *** second order against finite differences (float64) ***

def _gg(fn, *shapes):
    xs = [ndgrad.tensor(a, dtype=ndgrad.float64, requires_grad=True) for a in _arrays(shapes)]
    assert gradcheck(fn, xs)
    assert gradgradcheck(fn, xs)


def test_double_backward_conv_stack():
    _gg(lambda x, w, w2: F.conv_transpose2d(F.conv2d(x, w, stride=2, padding=1), w2, stride=2),
        (1, 2, 5, 5), (3, 2, 3, 3), (3, 2, 2, 2))


def test_double_backward_pools():
    _gg(lambda x: F.avg_pool2d(F.max_pool2d(x, 2, stride=1) ** 2, 2, ceil_mode=True),
        (1, 2, 5, 5))
    _gg(lambda x: F.adaptive_max_pool2d(x, (2, 3)) * F.adaptive_avg_pool2d(x, (2, 3)),
        (2, 5, 6))


def test_double_backward_interpolate_fold():
    _gg(lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear") ** 2, (1, 1, 3, 4))
    _gg(lambda x: F.fold(F.unfold(x, 2, padding=1) ** 2, (4, 3), 2, padding=1), (1, 2, 4, 3))
    _gg(lambda x: F.pixel_unshuffle(F.pixel_shuffle(x, 2) ** 2, 2), (1, 4, 2, 3))


def test_grad_dtype_follows_input_float32():
    x = ndgrad.randn(2, 3, 6, 6, requires_grad=True)
    w = ndgrad.randn(4, 3, 3, 3, requires_grad=True)
    F.max_pool2d(F.conv2d(x, w, padding=1), 2).sum().backward()
    assert x.grad.dtype == ndgrad.float32 and w.grad.dtype == ndgrad.float32


def test_top_level_aliases(torch):
    for name in ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "convolution", "max_pool1d", "max_pool2d",
                 "max_pool1d_with_indices", "avg_pool1d", "adaptive_avg_pool1d",
                 "adaptive_max_pool1d", "pixel_shuffle", "pixel_unshuffle"]:
        assert hasattr(torch, name) and callable(getattr(ndgrad, name)), name
    x = RNG.standard_normal((2, 3, 8))
    _, b = ndgrad.adaptive_max_pool1d(ndgrad.tensor(x), 3)  # torch's returns both
    _, tb = torch.adaptive_max_pool1d(torch.tensor(x), 3)
    np.testing.assert_array_equal(b.numpy(), tb.numpy())
    assert ndgrad.max_pool2d(ndgrad.tensor(x[None]), 2).shape == (1, 2, 1, 4)
    assert not hasattr(ndgrad.Tensor, "conv2d")


# *** errors: same type and message as torch ***

ERRORS = [
    ("conv2d", [(1, 2, 5, 5), (3, 3, 3, 3)], {}),
    ("conv2d", [(1, 2, 5, 5), (3, 2, 7, 7)], {}),
    ("conv2d", [(5, 5), (3, 2, 3, 3)], {}),
    ("conv2d", [(1, 2, 5, 5), (3, 2, 3, 3)], {"stride": 2, "padding": "same"}),
    ("conv2d", [(1, 2, 5, 5), (3, 2, 3, 3)], {"padding": "full"}),
    ("conv2d", [(1, 2, 5, 5), (3, 2, 3, 3)], {"groups": 2}),
    ("conv2d", [(1, 2, 5, 5), (3, 2, 3, 3)], {"stride": 0}),
    ("conv2d", [(1, 2, 5, 5), (3, 2, 3, 3)], {"padding": -1}),
    ("conv_transpose2d", [(1, 2, 5, 5), (2, 3, 3, 3)], {"stride": 2, "output_padding": 2}),
    ("conv_transpose2d", [(1, 2, 5, 5), (3, 3, 3, 3)], {}),
    ("max_pool2d", [(1, 2, 5, 5)], {"kernel_size": 3, "padding": 2}),
    ("max_pool2d", [(1, 2, 5, 5)], {"kernel_size": 7}),
    ("max_pool2d", [(5, 5)], {"kernel_size": 2}),
    ("max_pool2d", [(1, 2, 5, 5)], {"kernel_size": (2, 2, 2)}),
    ("max_pool2d", [(1, 2, 5, 5)], {"kernel_size": 2, "dilation": 0}),
    ("max_pool1d", [(5,)], {"kernel_size": 2}),
    ("max_pool1d", [(2, 5)], {"kernel_size": 2, "padding": 2}),
    ("max_pool1d", [(2, 5)], {"kernel_size": (2, 2)}),
    ("avg_pool2d", [(1, 2, 5, 5)], {"kernel_size": 7}),
    ("avg_pool2d", [(1, 2, 5, 5)], {"kernel_size": 2, "divisor_override": 0}),
    ("avg_pool1d", [(5,)], {"kernel_size": 2}),
    ("avg_pool1d", [(1, 2, 5)], {"kernel_size": (2, 2)}),
    ("adaptive_avg_pool2d", [(5, 5)], {"output_size": 2}),
    ("adaptive_avg_pool2d", [(1, 2, 5, 5)], {"output_size": (2, 3, 4)}),
    ("adaptive_max_pool2d", [(5, 5)], {"output_size": 2}),
    ("adaptive_avg_pool1d", [(1, 2, 5)], {"output_size": (2, 2)}),
    ("unfold", [(1, 2, 5, 5)], {"kernel_size": 6}),
    ("fold", [(1, 7, 16)], {"output_size": (5, 5), "kernel_size": 2}),
    ("fold", [(1, 8, 15)], {"output_size": (5, 5), "kernel_size": 2}),
    ("pixel_shuffle", [(1, 3, 2, 2)], {"upscale_factor": 2}),
    ("pixel_shuffle", [(3, 2)], {"upscale_factor": 2}),
    ("pixel_unshuffle", [(1, 1, 3, 4)], {"downscale_factor": 2}),
    ("interpolate", [(1, 2, 5, 5)], {"scale_factor": 2, "mode": "linear"}),
    ("interpolate", [(1, 2, 5, 5)], {"scale_factor": 2, "align_corners": True}),
    ("interpolate", [(1, 2, 5, 5)], {"scale_factor": 2, "mode": "cubic"}),
    ("interpolate", [(1, 2, 5, 5)], {}),
    ("interpolate", [(1, 2, 5, 5)], {"size": 3, "scale_factor": 2}),
    ("interpolate", [(1, 2, 5, 5)], {"size": (3, 4, 5)}),
    ("interpolate", [(1, 2, 5, 5)], {"scale_factor": 0.1}),
]


@pytest.mark.parametrize("name,shapes,kwargs", ERRORS,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(ERRORS)])
def test_errors_match_torch(torch, name, shapes, kwargs):
    arrays = _arrays(shapes)
    with pytest.raises(Exception) as theirs:
        getattr(torch.nn.functional, name)(*[torch.tensor(a) for a in arrays], **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        getattr(F, name)(*[ndgrad.tensor(a) for a in arrays], **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_dtype_mismatch_messages(torch):
    x, w, b = _arrays([(1, 2, 5, 5), (3, 2, 3, 3), (3,)])
    for args in [(x, np.float64, w, np.float32, None), (x, np.float32, w, np.float64, None),
                 (x, np.float32, w, np.float32, b)]:
        xa, xd, wa, wd, ba = args
        th = [torch.tensor(xa.astype(xd)), torch.tensor(wa.astype(wd)),
              None if ba is None else torch.tensor(ba)]
        nd = [ndgrad.tensor(xa.astype(xd)), ndgrad.tensor(wa.astype(wd)),
              None if ba is None else ndgrad.tensor(ba)]
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.functional.conv2d(*th)
        with pytest.raises(RuntimeError) as ours:
            F.conv2d(*nd)
        assert str(ours.value) == str(theirs.value)
