"""The layers added for issue 11 (padding, 3-d / LP / fractional pooling, unpooling, lazy modules,
instance and local response norms, the Transformer decoder, EmbeddingBag, ...) against PyTorch:
same seed -> same parameters, reprs and state_dict keys; torch's weights -> same outputs and
gradients of inputs and parameters."""
import copy
import warnings

import numpy as np
import pytest

import ndgrad
import ndgrad.nn as nn


def build(torch, ctor, seed=0):
    torch.manual_seed(seed)
    ndgrad.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(ctor, dict(vars(torch.nn))), eval(ctor, dict(vars(nn)))


def run_both(torch, tm, nm, arrays, kwargs=None, seed=1):
    """Outputs and gradients (inputs, then parameters) of both modules on the same inputs."""
    kwargs = kwargs or {}
    t_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    n_in = [ndgrad.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    torch.manual_seed(seed)
    ndgrad.manual_seed(seed)
    t_out, n_out = tm(*t_in, **kwargs), nm(*n_in, **kwargs)
    t_out = t_out if isinstance(t_out, tuple) else (t_out,)
    n_out = n_out if isinstance(n_out, tuple) else (n_out,)
    out = []
    for t, n in zip(t_out, n_out):
        out.append((t.detach().numpy(), n.detach().numpy()))
    t_leaves = [x for x in t_in if x.requires_grad] + list(tm.parameters())
    n_leaves = [x for x in n_in if x.requires_grad] + list(nm.parameters())
    floating = [i for i, t in enumerate(t_out) if t.requires_grad]
    if floating and t_leaves:
        rng = np.random.default_rng(2)
        ws = [rng.standard_normal(tuple(t_out[i].shape)) for i in floating]
        t_g = torch.autograd.grad([t_out[i] for i in floating], t_leaves,
                                  [torch.tensor(w, dtype=t_out[i].dtype)
                                   for w, i in zip(ws, floating)], allow_unused=True)
        n_g = ndgrad.autograd.grad([n_out[i] for i in floating], n_leaves,
                                   [ndgrad.tensor(w, dtype=n_out[i].dtype)
                                    for w, i in zip(ws, floating)], allow_unused=True)
        for t, n in zip(t_g, n_g):
            assert (t is None) == (n is None)
            if t is not None:
                out.append((t.numpy(), n.numpy()))
    return out


def assert_pairs(pairs, rtol=1e-5, atol=1e-6):
    for t, n in pairs:
        assert t.shape == n.shape and t.dtype == n.dtype
        np.testing.assert_allclose(n, t, rtol=rtol, atol=atol)


def copy_state(tm, nm):
    nm.load_state_dict({k: ndgrad.tensor(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})


# *** one table: constructor, input shapes (float64 unless int), forward keyword arguments ***

LAYERS = [
    ("ConstantPad1d((1, 2), 3.5)", [(2, 3, 4)]), ("ConstantPad2d(1, -1.0)", [(3, 4, 5)]),
    ("ConstantPad3d((1, 0, 2, 1, 0, 1), 2.0)", [(1, 2, 2, 3, 2)]),
    ("ZeroPad1d(2)", [(3, 4)]), ("ZeroPad2d((1, 2, 0, 1))", [(1, 2, 3, 4)]),
    ("ZeroPad3d(1)", [(2, 2, 3, 2)]), ("ReflectionPad1d((2, 1))", [(2, 3, 4)]),
    ("ReflectionPad2d(1)", [(1, 2, 3, 4)]), ("ReflectionPad3d((1, 0, 1, 1, 0, 1))", [(1, 1, 3, 3, 3)]),
    ("ReplicationPad1d(3)", [(2, 3)]), ("ReplicationPad2d((0, 2, 1, 0))", [(2, 3, 3)]),
    ("ReplicationPad3d(1)", [(1, 2, 2, 2, 3)]), ("CircularPad1d((3, 1))", [(1, 2, 3)]),
    ("CircularPad2d(1)", [(2, 3, 4)]), ("CircularPad3d((1, 2, 0, 1, 1, 0))", [(1, 1, 2, 3, 3)]),
    ("ConvTranspose3d(2, 4, (2, 3, 2), stride=(2, 1, 1), padding=1, output_padding=(1, 0, 0))",
     [(1, 2, 3, 3, 3)]),
    ("ConvTranspose3d(4, 2, 2, groups=2, bias=False, dilation=2)", [(4, 2, 2, 2)]),
    ("InstanceNorm1d(3)", [(2, 3, 5)]), ("InstanceNorm2d(3, affine=True)", [(2, 3, 3, 4)]),
    ("InstanceNorm3d(2, momentum=0.3, track_running_stats=True)", [(2, 2, 2, 3, 2)]),
    ("InstanceNorm1d(3, affine=True, bias=False)", [(3, 5)]),
    ("MaxPool3d(2, stride=1, padding=1, dilation=(1, 2, 1), ceil_mode=True)", [(1, 2, 3, 4, 4)]),
    ("MaxPool3d((2, 1, 2), return_indices=True)", [(2, 4, 3, 4)]),
    ("AvgPool3d((2, 3, 2), stride=(1, 2, 1), padding=1, count_include_pad=False)",
     [(1, 2, 3, 4, 3)]),
    ("AvgPool3d(2, ceil_mode=True, divisor_override=3)", [(2, 3, 3, 3)]),
    ("AdaptiveAvgPool3d((2, None, 3))", [(1, 2, 3, 4, 5)]), ("AdaptiveAvgPool3d(1)", [(2, 2, 3, 3)]),
    ("AdaptiveMaxPool3d((2, 3, 1), return_indices=True)", [(1, 2, 3, 5, 4)]),
    ("LPPool1d(2, 3, stride=2)", [(1, 3, 7)]), ("LPPool2d(1.5, (2, 3))", [(1, 2, 4, 6)]),
    ("LPPool3d(3, 2, ceil_mode=True)", [(1, 2, 3, 3, 5)]),
    ("LPPool2d(float('inf'), 2)", [(1, 2, 4, 4)]),
    ("FractionalMaxPool2d(2, output_ratio=0.5)", [(2, 3, 7, 6)]),
    ("FractionalMaxPool2d((2, 3), output_size=(4, 3), return_indices=True)", [(3, 7, 6)]),
    ("FractionalMaxPool3d(2, output_size=(2, 3, 2))", [(1, 2, 5, 6, 5)]),
    ("LocalResponseNorm(3)", [(2, 5, 4)]), ("LocalResponseNorm(2, 1e-2, 0.5, 2.0)", [(1, 5, 3, 3)]),
    ("LocalResponseNorm(4)", [(1, 6, 2, 3, 2)]),
    ("ChannelShuffle(3)", [(2, 6, 2)]), ("PixelShuffle(2)", [(1, 8, 2, 3)]),
    ("PixelUnshuffle(2)", [(1, 2, 4, 6)]), ("Upsample(scale_factor=2, mode='bilinear')",
                                            [(1, 2, 3, 3)]),
    ("UpsamplingNearest2d(size=(5, 3))", [(1, 2, 2, 2)]),
    ("UpsamplingBilinear2d(scale_factor=(1.5, 2))", [(1, 1, 2, 3)]),
    ("Upsample(size=(3, 5), mode='bicubic', align_corners=True)", [(1, 2, 4, 4)]),
    ("Fold((4, 5), 2)", [(1, 8, 12)]), ("Unfold((2, 3), padding=1, stride=2)", [(1, 2, 4, 5)]),
    ("RReLU(0.1, 0.3)", [(3, 4)]),
    ("TransformerDecoderLayer(8, 2, 16, dropout=0.0)", [(5, 2, 8), (3, 2, 8)]),
    ("TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=True, "
     "activation='gelu', bias=False)", [(2, 5, 8), (2, 3, 8)]),
    ("TransformerDecoder(TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2, LayerNorm(8))",
     [(5, 2, 8), (3, 2, 8)]),
    ("Transformer(8, 2, 1, 2, 16, dropout=0.0)", [(4, 2, 8), (3, 2, 8)]),
    ("Transformer(8, 2, 2, 1, 16, dropout=0.0, batch_first=True, norm_first=True)",
     [(3, 8), (5, 8)]),
]


@pytest.mark.parametrize("ctor, shapes", LAYERS, ids=[c for c, _ in LAYERS])
def test_layer_matches_torch(torch, ctor, shapes):
    tm, nm = build(torch, ctor)
    assert repr(nm) == repr(tm)
    assert list(nm.state_dict()) == list(tm.state_dict())
    for (k, t), n in zip(tm.state_dict().items(), nm.state_dict().values()):
        assert n.dtype == ndgrad.float32 if t.dtype == torch.float32 else True
        np.testing.assert_array_equal(n.numpy(), t.numpy(), err_msg=f"initial {k}")  # the draws
    tm.double()
    nm.double()
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    assert_pairs(run_both(torch, tm, nm, arrays))
    for (k, t), n in zip(tm.state_dict().items(), nm.state_dict().values()):
        np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=1e-7, err_msg=f"after {k}")
    tm.eval()
    nm.eval()
    assert_pairs(run_both(torch, tm, nm, arrays)[:1])


def test_cross_map_lrn2d(torch):
    # torch's forward (with its legacy windows); its backward fails torch's own gradcheck, so
    # ndgrad's exact gradient is checked against finite differences instead
    for size, channels in ((3, 6), (4, 7), (5, 2)):
        tm, nm = build(torch, f"CrossMapLRN2d({size}, 0.1, 0.7, 2)")
        assert repr(nm) == repr(tm)
        x = np.random.default_rng(size).standard_normal((2, channels, 2, 3))
        np.testing.assert_allclose(nm(ndgrad.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(),
                                   rtol=1e-12)
        assert ndgrad.autograd.gradcheck(nm, (ndgrad.tensor(x, requires_grad=True),))
    with pytest.raises(ValueError, match="Expected input to be 4D"):
        nn.CrossMapLRN2d(3)(ndgrad.ones(2, 3, 4))


def test_transformer_masks_and_causal_detection(torch):
    tm, nm = build(torch, "Transformer(8, 2, 1, 1, 16, dropout=0.0)")
    tm.double()
    nm.double()
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((4, 2, 8)), rng.standard_normal((3, 2, 8))]
    t_mask = torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64)
    n_mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=ndgrad.float64)
    np.testing.assert_array_equal(n_mask.numpy(), t_mask.numpy())
    pad = np.array([[False, False, False, True], [False, True, False, False]])
    kwargs_t = {"tgt_mask": t_mask, "src_key_padding_mask": torch.tensor(pad),
                "memory_key_padding_mask": torch.tensor(pad)}
    kwargs_n = {"tgt_mask": n_mask, "src_key_padding_mask": ndgrad.tensor(pad),
                "memory_key_padding_mask": ndgrad.tensor(pad)}
    t = tm(*[torch.tensor(a) for a in arrays], **kwargs_t)
    n = nm(*[ndgrad.tensor(a) for a in arrays], **kwargs_n)
    np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-9)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        nm(ndgrad.zeros(4, 2, 8), ndgrad.zeros(3, 1, 8))
    with pytest.raises(RuntimeError, match="feature number of src and tgt"):
        nm(ndgrad.zeros(4, 2, 8), ndgrad.zeros(3, 2, 6))


# *** lazy modules ***

LAZY = [
    ("LazyLinear(3)", (4, 5)), ("LazyLinear(2, bias=False)", (2, 3, 4)),
    ("LazyConv1d(4, 3, padding='same')", (2, 3, 6)), ("LazyConv2d(3, 2, stride=2)", (1, 2, 5, 5)),
    ("LazyConv3d(2, 2, groups=2)", (2, 4, 3, 3, 3)), ("LazyConvTranspose1d(3, 2)", (3, 4)),
    ("LazyConvTranspose2d(2, 3, stride=2, output_padding=1)", (1, 2, 3, 3)),
    ("LazyConvTranspose3d(2, 2, bias=False)", (1, 3, 2, 2, 2)),
    ("LazyBatchNorm1d()", (4, 3)), ("LazyBatchNorm2d(affine=False)", (2, 3, 2, 2)),
    ("LazyBatchNorm3d(momentum=None)", (2, 2, 2, 2, 2)),
    ("LazyInstanceNorm1d(affine=True)", (2, 3, 4)),
    ("LazyInstanceNorm2d(track_running_stats=True)", (2, 3, 4, 3)),
    ("LazyInstanceNorm3d()", (2, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("ctor, shape", LAZY, ids=[c for c, _ in LAZY])
def test_lazy_module_materializes_as_torch(torch, ctor, shape):
    tm, nm = build(torch, ctor)
    assert repr(nm) == repr(tm)
    assert [(k, repr(v)) for k, v in nm.state_dict().items()] == [
        (k, repr(v)) for k, v in tm.state_dict().items()]
    assert nm.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    torch.manual_seed(5)
    ndgrad.manual_seed(5)  # the first call draws the initial parameters, as torch does
    t, n = tm(torch.tensor(x)), nm(ndgrad.tensor(x))
    assert type(nm).__name__ == type(tm).__name__ and repr(nm) == repr(tm)
    assert not any(nn.parameter.is_lazy(t) for t in nm.state_dict().values())
    for (k, tv), nv in zip(tm.named_parameters(), nm.parameters()):
        np.testing.assert_array_equal(nv.detach().numpy(), tv.detach().numpy(), err_msg=k)
    for (k, tv), nv in zip(tm.named_buffers(), nm.buffers()):  # running stats: float32 sums
        np.testing.assert_allclose(nv.numpy(), tv.numpy(), rtol=1e-6, err_msg=k)
    np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert all(type(p) is nn.Parameter for p in nm.parameters())


def test_lazy_module_placeholders(torch):
    lin = nn.LazyLinear(3)
    assert nn.parameter.is_lazy(lin.weight) and repr(lin.weight) == "<UninitializedParameter>"
    assert str(nn.LazyBatchNorm1d().running_mean) == "<UninitializedBuffer>"
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        lin.weight.shape
    lin.to(ndgrad.float64)  # a cast keeps the placeholder, with the new dtype
    assert nn.parameter.is_lazy(lin.weight) and lin.weight.dtype == ndgrad.float64
    lin(ndgrad.ones(2, 4, dtype=ndgrad.float64))
    assert lin.weight.dtype == ndgrad.float64 and type(lin) is nn.Linear
    # a state dict with real tensors materializes the placeholders
    src = torch.nn.Linear(4, 3)
    fresh = nn.LazyLinear(3)
    fresh.load_state_dict({k: ndgrad.tensor(v.detach().numpy()) for k, v in
                           src.state_dict().items()})
    assert tuple(fresh.weight.shape) == (3, 4)
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), src.weight.detach().numpy())
    copied = copy.deepcopy(nn.LazyConv2d(2, 3))
    assert nn.parameter.is_lazy(copied.weight)
    copied(ndgrad.ones(1, 2, 4, 4))
    assert tuple(copied.weight.shape) == (2, 2, 3, 3)
    with pytest.raises(RuntimeError, match=r"Expected 2D \(unbatched\) or 3D \(batched\)"):
        nn.LazyConv1d(2, 2)(ndgrad.ones(2, 3, 4, 5))


# *** layers whose inputs include indices ***

def test_max_unpool_layers(torch):
    rng = np.random.default_rng(4)
    for nd, shape in ((1, (2, 3, 8)), (2, (1, 2, 4, 6)), (3, (1, 2, 4, 6, 4))):
        x = rng.standard_normal(shape)
        pool_t = getattr(torch.nn, f"MaxPool{nd}d")(2, stride=2, return_indices=True)
        y, idx = pool_t(torch.tensor(x))
        tm, nm = build(torch, f"MaxUnpool{nd}d(2)")
        assert repr(nm) == repr(tm)
        args = [y.numpy(), idx.numpy()]
        assert_pairs(run_both(torch, tm, nm, args, {"output_size": shape}))
        assert_pairs(run_both(torch, tm, nm, args))


def test_embedding_bag_layer(torch):
    tm, nm = build(torch, "EmbeddingBag(10, 3, mode='max', padding_idx=2)")
    assert repr(nm) == repr(tm)
    np.testing.assert_array_equal(nm.weight.detach().numpy(), tm.weight.detach().numpy())
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 9])
    offsets = np.array([0, 2, 2, 5])
    t = tm(torch.tensor(idx), torch.tensor(offsets))
    n = nm(ndgrad.tensor(idx), ndgrad.tensor(offsets))
    np.testing.assert_array_equal(n.detach().numpy(), t.detach().numpy())
    t.sum().backward()
    n.sum().backward()
    np.testing.assert_array_equal(nm.weight.grad.numpy(), tm.weight.grad.numpy())
    bag = nn.EmbeddingBag.from_pretrained(ndgrad.ones(3, 2), mode="sum")
    assert not bag.weight.requires_grad and repr(bag) == "EmbeddingBag(3, 2, mode='sum')"


def test_loss_layers_with_class_targets(torch):
    rng = np.random.default_rng(6)
    cases = [("MultiMarginLoss(p=2, margin=0.5, weight=torch.rand(5))", (4, 5), (4,), 5),
             ("MultiLabelMarginLoss(reduction='sum')", (3, 5), (3, 5), 5),
             ("LinearCrossEntropyLoss(4, 5, bias=True, label_smoothing=0.1)", (3, 4), (3,), 5),
             ("LinearCrossEntropyLoss(4, 3, out_features=(2,), reduction='none')", (3, 4),
              (3, 2), 3)]
    for ctor, x_shape, t_shape, classes in cases:
        torch.manual_seed(0)
        weight = torch.rand(classes) if "weight" in ctor else None
        tm = eval(ctor.replace("torch.rand(5)", "weight"), {**vars(torch.nn), "weight": weight})
        ndgrad.manual_seed(0)
        nm = eval(ctor.replace("torch.rand(5)", "weight"),
                  {**vars(nn), "weight": None if weight is None else ndgrad.tensor(weight.numpy())})
        assert repr(nm) == repr(tm)
        copy_state(tm, nm)
        tm.double()
        nm.double()
        target = rng.integers(-1 if "Label" in ctor else 0, classes, t_shape)
        assert_pairs(run_both(torch, tm, nm, [rng.standard_normal(x_shape), target]))


def test_adaptive_log_softmax_with_loss(torch):
    tm, nm = build(torch, "AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, "
                          "head_bias=True)")
    assert repr(nm) == repr(tm) and list(nm.state_dict()) == list(tm.state_dict())
    for (k, t), n in zip(tm.state_dict().items(), nm.state_dict().values()):
        np.testing.assert_array_equal(n.numpy(), t.numpy(), err_msg=k)
    tm.double()
    nm.double()
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((6, 8)), np.array([0, 4, 9, 2, 7, 5])
    t_out = tm(torch.tensor(x, requires_grad=True), torch.tensor(y))
    n_out = nm(ndgrad.tensor(x, requires_grad=True), ndgrad.tensor(y))
    np.testing.assert_allclose(n_out.output.detach().numpy(), t_out.output.detach().numpy(),
                               rtol=1e-10)
    t_out.loss.backward()
    n_out.loss.backward()
    for t, n in zip(tm.parameters(), nm.parameters()):
        np.testing.assert_allclose(n.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(nm.log_prob(ndgrad.tensor(x)).detach().numpy(),
                               tm.log_prob(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert nm.predict(ndgrad.tensor(x)).tolist() == tm.predict(torch.tensor(x)).tolist()
    single = nm(ndgrad.tensor(x[0]), ndgrad.tensor(3))
    assert single.output.shape == () and single.loss.shape == ()
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        nm(ndgrad.tensor(x[:2]), ndgrad.tensor([1, 10]))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3])


def test_sync_batch_norm_data_parallel_and_container(torch):
    tm, nm = build(torch, "SyncBatchNorm(3, momentum=None)")
    assert repr(nm) == repr(tm)
    x = np.random.default_rng(9).standard_normal((4, 3, 2, 5)).astype(np.float32)
    for _ in range(2):  # the cumulative average of two batches
        t, n = tm(torch.tensor(x)), nm(ndgrad.tensor(x))
    np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nm.running_var.numpy(), tm.running_var.numpy(), rtol=1e-6)
    seq_t = torch.nn.Sequential(torch.nn.BatchNorm2d(3), torch.nn.Sequential(
        torch.nn.BatchNorm1d(4, affine=False)))
    seq_n = nn.Sequential(nn.BatchNorm2d(3), nn.Sequential(nn.BatchNorm1d(4, affine=False)))
    conv_t = torch.nn.SyncBatchNorm.convert_sync_batchnorm(seq_t)
    conv_n = nn.SyncBatchNorm.convert_sync_batchnorm(seq_n)
    assert repr(conv_n) == repr(conv_t) and conv_n[0].weight is seq_n[0].weight
    with pytest.raises(ValueError, match="expected at least 2D input"):
        nm(ndgrad.ones(3))
    tdp, ndp = build(torch, "DataParallel(Linear(2, 3))")
    assert repr(ndp) == repr(tdp) and list(ndp.state_dict()) == list(tdp.state_dict())
    assert ndp.device_ids == tdp.device_ids == []
    np.testing.assert_allclose(ndp(ndgrad.ones(4, 2)).detach().numpy(),
                               tdp(torch.ones(4, 2)).detach().numpy(), rtol=1e-6)
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        c = nn.Container(a=nn.ReLU())
    with pytest.warns(FutureWarning):
        assert repr(c) == repr(torch.nn.Container(a=torch.nn.ReLU()))
