"""nn.Module, containers, layers, nn.init and nn.utils against PyTorch: same seed -> same
parameters, same state_dict keys and reprs, same outputs and gradients with torch's weights."""
import copy
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import ndgrad
import ndgrad.nn as nn
from ndgrad.nn import functional as F


def to_nd(t):
    return ndgrad.tensor(t.detach().numpy().copy())


def load_from_torch(m_nd, m_t):
    return m_nd.load_state_dict({k: to_nd(v) for k, v in m_t.state_dict().items()})


def need(*names):
    """Skip when the functional ops a layer is built on have not landed yet."""
    missing = [n for n in names
               if not (hasattr(ndgrad, n) if n in ("stack", "cat") else hasattr(F, n))]
    if missing:
        pytest.skip(f"ndgrad lacks {', '.join(missing)}")


def build(torch, ctor, seed=0):
    """The module `ctor` (e.g. "Linear(4, 3)") from torch.nn and from ndgrad.nn, same seed."""
    torch.manual_seed(seed)
    ndgrad.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(ctor, dict(vars(torch.nn))), eval(ctor, dict(vars(nn)))


# *** Parameter ***

def test_parameter_basics(torch):
    p = nn.Parameter(ndgrad.tensor([1.0, 2.0]))
    assert isinstance(p, ndgrad.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    assert repr(nn.Parameter(ndgrad.ones(2), requires_grad=False)) == repr(
        torch.nn.Parameter(torch.ones(2), requires_grad=False))
    assert type(p * 2) is ndgrad.Tensor and type(p.detach()) is ndgrad.Tensor
    base = ndgrad.zeros(3)
    q = nn.Parameter(base)
    base.add_(1)
    assert q.tolist() == [1.0, 1.0, 1.0]
    c = copy.deepcopy(q)
    assert type(c) is nn.Parameter and c.requires_grad and c._data is not q._data
    r = pickle.loads(pickle.dumps(q))
    assert type(r) is nn.Parameter and r.tolist() == q.tolist()
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(ndgrad.tensor([1, 2]))
    assert isinstance(nn.Buffer(ndgrad.ones(1)), nn.Buffer)
    assert not isinstance(ndgrad.ones(1), nn.Buffer)


# *** same seed, same parameters, same keys, same repr ***

CTORS = [
    "Linear(4, 3)", "Linear(4, 3, bias=False)", "Bilinear(2, 3, 4)", "Conv1d(2, 4, 3)",
    "Conv2d(3, 4, 3, stride=2, padding=1)", "Conv2d(4, 4, (3, 2), groups=2, bias=False)",
    "Conv2d(2, 3, 3, padding='same', padding_mode='reflect')",
    "ConvTranspose2d(3, 2, 3, stride=2, output_padding=1)", "BatchNorm1d(3)",
    "BatchNorm2d(3, affine=False, track_running_stats=False)", "LayerNorm((2, 3))",
    "LayerNorm(4, bias=False)", "GroupNorm(2, 4)", "RMSNorm(4, eps=1e-6)", "Embedding(7, 3)",
    "Embedding(7, 3, padding_idx=-1, max_norm=1.0)", "RNN(3, 5, 2, bidirectional=True)",
    "RNN(3, 4, nonlinearity='relu', batch_first=True)", "LSTM(3, 5, proj_size=2)",
    "GRU(3, 4, bias=False, dropout=0.5, num_layers=2)", "RNNCell(3, 4, nonlinearity='relu')",
    "LSTMCell(3, 4)", "GRUCell(3, 4, bias=False)", "MultiheadAttention(8, 2)",
    "MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True, bias=False)",
    "TransformerEncoderLayer(8, 2, 16)", "PReLU(3)", "Dropout(0.2)", "Flatten()",
    "Unflatten(1, (2, 3))", "Identity(3, x=1)", "MaxPool2d(2)", "AvgPool2d(3, 2, 1)",
    "AdaptiveAvgPool2d((3, None))", "MaxPool1d(2, return_indices=True)", "AvgPool1d(2)",
    "Sequential(Linear(2, 3), ReLU(), Sequential(Tanh()))",
    "ModuleList([Linear(2, 2), Linear(2, 2), ReLU(), ReLU(), ReLU()])",
]


@pytest.mark.parametrize("ctor", CTORS)
def test_same_seed_same_parameters_keys_and_repr(torch, ctor):
    mt, mn = build(torch, ctor)
    assert repr(mn) == repr(mt)
    st, sn = mt.state_dict(), mn.state_dict()
    assert list(sn) == list(st)
    for k in st:
        assert tuple(sn[k].shape) == tuple(st[k].shape), k
        np.testing.assert_array_equal(sn[k].numpy(), st[k].numpy(), err_msg=k)
    assert [n for n, _ in mn.named_parameters()] == [n for n, _ in mt.named_parameters()]
    assert [n for n, _ in mn.named_buffers()] == [n for n, _ in mt.named_buffers()]
    assert [n for n, _ in mn.named_modules()] == [n for n, _ in mt.named_modules()]
    assert torch.rand(3).tolist() == ndgrad.rand(3).tolist()  # the streams stayed in step


ACTIVATIONS = [
    "ReLU()", "ReLU(inplace=True)", "ReLU6(True)", "LeakyReLU(0.2, True)", "ELU()", "CELU(2.0)",
    "SELU()", "GELU()", "GELU('tanh')", "SiLU()", "Mish()", "Hardswish(True)", "Hardsigmoid()",
    "Hardtanh(-2.0, 3.0)", "Threshold(0.1, 20)", "Softplus(2.0, 10.0)", "Softshrink()",
    "Hardshrink(0.3)", "Tanhshrink()", "Softsign()", "LogSigmoid()", "Sigmoid()", "Tanh()",
    "GLU()", "Softmax(dim=1)", "Softmax()", "LogSoftmax(-1)", "Softmin(0)", "Softmax2d()",
    "RReLU()", "MSELoss()", "L1Loss(reduction='sum')", "CrossEntropyLoss(label_smoothing=0.1)",
    "NLLLoss(ignore_index=1)", "BCELoss()", "BCEWithLogitsLoss()", "SmoothL1Loss(beta=0.5)",
    "HuberLoss(delta=2.0)", "KLDivLoss(log_target=True)", "PoissonNLLLoss()",
    "GaussianNLLLoss()", "HingeEmbeddingLoss()", "MultiLabelMarginLoss()", "SoftMarginLoss()",
    "MultiLabelSoftMarginLoss()", "CosineEmbeddingLoss()", "MarginRankingLoss()",
    "MultiMarginLoss()", "TripletMarginLoss()", "TripletMarginWithDistanceLoss()", "CTCLoss()",
    "PairwiseDistance()", "CosineSimilarity()", "Dropout2d()", "AlphaDropout(0.1)",
]


@pytest.mark.parametrize("ctor", ACTIVATIONS)
def test_parameterless_module_repr(torch, ctor):
    mt, mn = build(torch, ctor)
    assert repr(mn) == repr(mt)
    assert list(mn.state_dict()) == list(mt.state_dict())


def test_weighted_loss_buffers(torch):
    w = [1.0, 2.0, 3.0]
    for name in ("CrossEntropyLoss", "NLLLoss", "BCELoss"):
        mt = getattr(torch.nn, name)(weight=torch.tensor(w))
        mn = getattr(nn, name)(weight=ndgrad.tensor(w))
        assert list(mn.state_dict()) == list(mt.state_dict()) == ["weight"]
    mt = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w))
    mn = nn.BCEWithLogitsLoss(pos_weight=ndgrad.tensor(w))
    assert list(mn.state_dict()) == list(mt.state_dict())
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MSELoss(size_average=False).reduction == "sum"


# *** the Module API, run on both libraries and compared ***

def _module_api(T):
    nn_ = T.nn
    out = []

    class Net(nn_.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn_.Linear(3, 4)
            self.seq = nn_.Sequential(nn_.Linear(4, 4), nn_.ReLU(), nn_.Linear(4, 2))
            self.register_buffer("steps", T.zeros(1))
            self.register_buffer("tmp", T.ones(2), persistent=False)
            self.shared = self.fc
            self.plist = nn_.ParameterList([nn_.Parameter(T.ones(2)), T.zeros(3)])
            self.pdict = nn_.ParameterDict({"b": nn_.Parameter(T.ones(1)), "a": T.zeros(2, 2)})
            self.mlist = nn_.ModuleList([nn_.Linear(2, 2), nn_.Linear(2, 2), nn_.Tanh()])
            self.mdict = nn_.ModuleDict({"act": nn_.GELU(), "norm": nn_.LayerNorm(4)})

    m = Net()
    out.append(repr(m))
    out.append([n for n, _ in m.named_parameters()])
    out.append([n for n, _ in m.named_parameters(remove_duplicate=False)])
    out.append([n for n, _ in m.named_parameters(prefix="root", recurse=False)])
    out.append([n for n, _ in m.named_buffers()])
    out.append([n for n, _ in m.named_modules()])
    out.append([n for n, _ in m.named_modules(remove_duplicate=False)])
    out.append([n for n, _ in m.named_children()])
    out.append(len(list(m.parameters())) + 100 * len(list(m.buffers())))
    sd = m.state_dict()
    out.append([(k, tuple(v.shape), v.requires_grad) for k, v in sd.items()])
    out.append(dict(sd._metadata))
    out.append([v.requires_grad for v in m.state_dict(keep_vars=True).values()])
    out.append(repr(m.load_state_dict(sd)))
    bad = dict(sd)
    bad["fc.weight"] = T.zeros(5, 3)
    bad["seq.0.bias"] = T.zeros(7)
    del bad["steps"]
    bad["extra"] = T.zeros(1)
    bad["seq.9.weight"] = T.zeros(1)
    bad["mlist.0.weight"] = 3
    try:
        m.load_state_dict(bad)
    except RuntimeError as e:
        out.append(str(e))
    partial = {k: v for k, v in sd.items() if k != "steps"}
    partial["zzz"] = T.zeros(1)
    r = m.load_state_dict(partial, strict=False)
    out.append((repr(r), r.missing_keys, r.unexpected_keys))
    try:
        m.load_state_dict([1])
    except TypeError as e:
        out.append(str(e))
    out.append(m.get_submodule("seq.2").out_features)
    for target in ("seq.5", "fc.weight"):
        try:
            m.get_submodule(target)
        except AttributeError as e:
            out.append(str(e))
    try:
        m.get_parameter("fc.nope")
    except AttributeError as e:
        out.append(str(e))
    try:
        m.get_buffer("fc.weight")
    except AttributeError as e:
        out.append(str(e))
    out.append(tuple(m.get_buffer("steps").shape))
    m.eval()
    out.append([x.training for x in m.modules()][:4])
    m.train()
    try:
        m.train("yes")
    except ValueError as e:
        out.append(str(e))
    errors = (
        lambda: m.register_buffer("a.b", None), lambda: m.register_buffer("fc", T.zeros(1)),
        lambda: m.register_buffer("q", 3), lambda: m.register_buffer("", None),
        lambda: m.register_parameter("w", T.zeros(1)), lambda: m.add_module("x.y", nn_.ReLU()),
        lambda: m.add_module("z", 3), lambda: setattr(m, "fc", 3),
        lambda: setattr(m.fc, "weight", T.zeros(1)), lambda: m.register_parameter("", None),
        lambda: m.register_parameter("nl", nn_.Parameter(T.ones(2)) * 2),
        lambda: setattr(m, "steps", "x"), lambda: nn_.Module()(1), lambda: m.nothing,
        lambda: nn_.Module(1), lambda: nn_.Module(a=1),
    )
    for f in errors:
        try:
            f()
            out.append("ok")
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    m.fc.weight = None
    out.append(([n for n, _ in m.fc.named_parameters()], list(m.fc.state_dict())))
    m.fc.weight = nn_.Parameter(T.ones(4, 3))
    del m.fc.bias
    out.append("bias" in m.fc._parameters)
    m.newbuf = T.zeros(1)
    out.append("newbuf" in m._buffers)
    m.tmp = T.ones(3)
    out.append(("tmp" in m._buffers, "tmp" in m.state_dict()))
    m.marked = T.nn.Buffer(T.ones(1), persistent=False)
    out.append(("marked" in m._buffers, "marked" in m.state_dict()))
    m.steps = None
    out.append(list(m.state_dict())[:3])
    out.append([d for d in dir(m) if d in ("fc", "seq", "steps", "plist", "training", "forward")])
    out.append(m.to(T.float64) is m and m.fc.weight.dtype == T.float64 and
               m.plist[0].dtype == T.float64)
    try:
        m.to(T.int64)
    except TypeError as e:
        out.append(str(e))
    m.float()
    out.append(str(m.fc.weight.dtype))
    lin = nn_.Linear(2, 2)
    lin.weight.grad = T.ones(2, 2)
    lin.to(T.float64)
    out.append((str(lin.weight.dtype), str(lin.weight.grad.dtype), type(lin.weight).__name__))
    lin.zero_grad(set_to_none=False)
    out.append(lin.weight.grad.tolist())
    lin.zero_grad()
    out.append(lin.weight.grad)
    lin.requires_grad_(False)
    out.append([p.requires_grad for p in lin.parameters()])
    seen = []
    nn_.Sequential(nn_.Linear(1, 1), nn_.Sequential(nn_.ReLU())).apply(
        lambda mm: seen.append(type(mm).__name__))
    out.append(seen)
    s = nn_.Sequential(nn_.Linear(1, 1), nn_.Sequential(nn_.ReLU()))
    s.set_submodule("1.0", nn_.Tanh())
    s.set_submodule("2", nn_.GELU())
    out.append(repr(s))
    for args in (("", nn_.ReLU()), ("0.weight", nn_.ReLU()), ("1.x", nn_.ReLU(), True), ("0", 3)):
        try:
            s.set_submodule(*args)
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    out.append(str(s.to("cpu", T.float64, False)[0].weight.dtype))
    return out


def test_module_api_matches_torch(torch):
    torch.manual_seed(0)
    ndgrad.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, got = _module_api(torch), _module_api(ndgrad)
    assert len(got) == len(expected)
    for e, g in zip(expected, got):
        assert g == e


def _containers(T):
    nn_ = T.nn
    out = []
    s = nn_.Sequential(nn_.Linear(1, 2), nn_.ReLU(), nn_.Linear(2, 3), nn_.Sigmoid())
    out += [repr(s[1:3]), repr(s[-1]), len(s)]
    del s[1]
    out.append(list(s._modules))
    s.append(nn_.Tanh())
    s.insert(0, nn_.Identity())
    s[1] = nn_.ReLU()
    out.append(repr(s))
    for f in (lambda: s[10], lambda: s + 1, lambda: s * 0, lambda: s.insert(9, nn_.ReLU())):
        try:
            f()
        except Exception as e:
            msg = str(e).replace("torch.nn", "nn").replace("ndgrad.nn", "nn")
            out.append((type(e).__name__, msg))
    out += [repr(s + s), repr(s * 2), repr(s.pop(0)), len(s)]
    s *= 2
    out.append(repr(s))
    out.append(repr(nn_.Sequential(OrderedDict([("a", nn_.ReLU()), ("b", nn_.Flatten())]))))
    out.append([d for d in dir(s) if d.isdigit()])
    ml = nn_.ModuleList([nn_.ReLU(), nn_.ReLU(), nn_.Linear(1, 1), nn_.ReLU()])
    out += [repr(ml), repr(ml[1:]), repr(ml[-1])]
    ml.insert(1, nn_.Tanh())
    out.append(repr(ml))
    del ml[0]
    out.append(list(ml._modules))
    ml += [nn_.GELU()]
    out += [repr(ml + ml), repr(nn_.ModuleList()), repr(nn_.Sequential()), repr(ml.pop(-1))]
    md = nn_.ModuleDict([("x", nn_.ReLU()), ("y", nn_.Tanh())])
    md["z"] = nn_.Sigmoid()
    out += [repr(md), list(md), "x" in md, list(md.keys()), repr(md.pop("x")), len(md)]
    pl = nn_.ParameterList([T.zeros(2, 3), nn_.Parameter(T.ones(1)), "x"])
    pl.append(T.ones(4).double())
    out += [repr(pl), [type(p).__name__ for p in pl], len(pl), repr(pl[1:])]
    pd = nn_.ParameterDict({"b": T.zeros(2, 3), "a": nn_.Parameter(T.ones(1).double())})
    pd["c"] = T.ones(1)
    out += [repr(pd), list(pd.keys()), list(pd.state_dict()), "c" in pd, pd.get("q", 5)]
    out.append(pd.popitem()[0])
    for f in (lambda: pl(), lambda: pd(1), lambda: pd[1]):
        try:
            f()
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    return out


def test_containers_match_torch(torch):
    expected, got = _containers(torch), _containers(ndgrad)
    for e, g in zip(expected, got):
        assert g == e
    assert len(got) == len(expected)


def test_load_state_dict_assign_and_scalar_and_int_buffers(torch):
    bn = nn.BatchNorm1d(3)
    sd = bn.state_dict()
    assert sd["num_batches_tracked"].dtype == ndgrad.int64
    new = {k: v.clone() + 1 for k, v in sd.items()}
    bn.load_state_dict(new)
    assert bn.num_batches_tracked.item() == 1 and bn.weight.tolist() == [2.0] * 3
    lin = nn.Linear(2, 2)
    w = ndgrad.ones(2, 2)
    lin.load_state_dict({"weight": w, "bias": ndgrad.zeros(2)}, assign=True)
    assert type(lin.weight) is nn.Parameter and lin.weight.requires_grad
    assert lin.weight._data is w._data
    # a checkpoint without num_batches_tracked (old BatchNorm) still loads strictly
    old = OrderedDict((k, v) for k, v in bn.state_dict().items() if k != "num_batches_tracked")
    assert repr(nn.BatchNorm1d(3).load_state_dict(old)) == "<All keys matched successfully>"


def test_hooks_order_and_removal(torch):
    need("linear")
    log = []
    for T in (torch, ndgrad):
        calls = []
        lin = T.nn.Linear(2, 2)
        h1 = lin.register_forward_pre_hook(lambda m, a: calls.append("pre"))
        lin.register_forward_pre_hook(lambda m, a: calls.append("pre0"), prepend=True)
        lin.register_forward_pre_hook(lambda m, a, k: calls.append(sorted(k)) or (a, k),
                                      with_kwargs=True)
        lin.register_forward_hook(lambda m, a, o: calls.append("post"))
        lin.register_forward_hook(lambda m, a, k, o: calls.append("kw"), with_kwargs=True)
        lin.register_forward_hook(lambda m, a, o: o * 0)
        r = lin(T.ones(1, 2))
        h1.remove()
        lin(T.ones(1, 2))
        calls.append(r.tolist())
        log.append(calls)
    assert log[1] == log[0]


def test_forward_hook_always_call(torch):
    calls = []

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    m.register_forward_hook(lambda mod, a, o: calls.append(o), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert calls == [None]


def _rounded(obj):
    if isinstance(obj, float):
        return round(obj, 5)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_rounded(o) for o in obj)
    return obj


def _backward_hooks(T):
    out, rec = [], []
    T.manual_seed(0)
    lin = T.nn.Linear(3, 2)
    lin.register_full_backward_pre_hook(lambda m, go: rec.append(("pre", len(go), go[0].tolist())))
    lin.register_full_backward_hook(
        lambda m, gi, go: rec.append(("post", len(gi), gi[0] is None or gi[0].tolist(),
                                      go[0].tolist())) or (None if gi[0] is None else (gi[0] * 2,)))
    x = T.ones(1, 3, requires_grad=True)
    y = lin(x)
    out.append(type(y.grad_fn).__name__)
    (y * T.tensor([[1.0, 2.0]])).sum().backward()
    out += [list(rec), x.grad.tolist()]
    rec.clear()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        lin(T.ones(1, 3)).sum().backward()  # no input requires grad: fires at the outputs
    out += [list(rec), [str(x.message)[:40] for x in w]]
    rec.clear()

    class Two(T.nn.Module):
        def forward(self, a, k, b):
            return a * b, a + k

    t = Two()
    t.register_full_backward_hook(lambda m, gi, go: rec.append(
        (len(gi), [g is None or g.tolist() for g in gi], [g is None or g.tolist() for g in go])))
    a = T.tensor([1.0, 2.0], requires_grad=True)
    p, _ = t(a, 3.0, T.tensor([3.0, 4.0]))
    (p.sum() * 2).backward()
    out += [list(rec), a.grad.tolist()]
    rec.clear()
    old = T.nn.Linear(3, 2)
    old.register_backward_hook(lambda m, gi, go: rec.append(
        [g is None or tuple(g.shape) for g in gi] + [tuple(g.shape) for g in go]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old(T.ones(4, 3, requires_grad=True)).sum().backward()
        try:
            old.register_full_backward_hook(lambda *a: None)
        except RuntimeError as e:
            rec.append(str(e))
    out.append(list(rec))
    return _rounded(out)


def test_full_backward_hooks_match_torch(torch):
    need("linear")
    assert _backward_hooks(ndgrad) == _backward_hooks(torch)
    lin = nn.Linear(2, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        lin(ndgrad.ones(1, 2, requires_grad=True)).sum().backward()


# *** forward parity with torch's weights loaded ***

def _compare(torch, mt, mn, *inputs, rtol=1e-5, atol=1e-5, grad=True, n_grad=None):
    """Same outputs, parameter grads and input grads (for the first n_grad float inputs)."""
    needs = [grad and x.dtype.kind == "f" and (n_grad is None or i < n_grad)
             for i, x in enumerate(inputs)]
    ins_t = [torch.tensor(x, requires_grad=r) for x, r in zip(inputs, needs)]
    ins_n = [ndgrad.tensor(x, requires_grad=r) for x, r in zip(inputs, needs)]
    ot, on = mt(*ins_t), mn(*ins_n)

    def flat(o):
        if isinstance(o, (tuple, list)):
            return [z for y in o for z in flat(y)]
        return [] if o is None else [o]

    ft, fn = flat(ot), flat(on)
    assert len(ft) == len(fn)
    for a, b in zip(ft, fn):
        assert tuple(b.shape) == tuple(a.shape)
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=rtol, atol=atol)
    if not grad:
        return
    sum((f.float() * (i + 1)).sum() for i, f in enumerate(ft) if f.is_floating_point()).backward()
    sum((f.float() * (i + 1)).sum() for i, f in enumerate(fn) if f.is_floating_point()).backward()
    for (name, pt), pn in zip(mt.named_parameters(), mn.parameters()):
        if pt.grad is not None:
            np.testing.assert_allclose(pn.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=name)
    for a, b in zip(ins_t, ins_n):
        if isinstance(a, torch.Tensor) and a.requires_grad:
            np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=rtol, atol=atol)


R = np.random.default_rng(0)


def randn(*shape):
    return R.standard_normal(shape).astype(np.float32)


LAYER_CASES = [
    # (constructor, functional ops needed, inputs)
    ("Linear(4, 3)", ("linear",), lambda: [randn(2, 4)]),
    ("Bilinear(2, 3, 4)", ("bilinear",), lambda: [randn(5, 2), randn(5, 3)]),
    ("Conv1d(2, 4, 3, padding=1)", ("conv1d",), lambda: [randn(2, 2, 7)]),
    ("Conv2d(4, 6, 3, stride=2, padding=1, groups=2)", ("conv2d",), lambda: [randn(2, 4, 7, 6)]),
    ("Conv2d(2, 3, 3, padding='same', padding_mode='reflect')", ("conv2d", "pad"),
     lambda: [randn(1, 2, 5, 5)]),
    ("ConvTranspose2d(3, 2, 3, stride=2, output_padding=1)", ("conv_transpose2d",),
     lambda: [randn(1, 3, 4, 4)]),
    ("MaxPool2d(2)", ("max_pool2d",), lambda: [randn(2, 3, 6, 6)]),
    ("AvgPool2d(3, 2, 1)", ("avg_pool2d",), lambda: [randn(2, 3, 7, 7)]),
    ("AdaptiveAvgPool2d((3, 2))", ("adaptive_avg_pool2d",), lambda: [randn(2, 3, 7, 5)]),
    ("BatchNorm1d(3)", ("batch_norm",), lambda: [randn(4, 3)]),
    ("BatchNorm2d(3)", ("batch_norm",), lambda: [randn(4, 3, 2, 2)]),
    ("LayerNorm((2, 3))", ("layer_norm",), lambda: [randn(4, 2, 3)]),
    ("GroupNorm(2, 4)", ("group_norm",), lambda: [randn(3, 4, 5)]),
    ("RMSNorm(3)", ("rms_norm",), lambda: [randn(4, 3)]),
    ("Embedding(7, 3, padding_idx=0)", ("embedding",),
     lambda: [np.array([[0, 2, 6], [1, 1, 3]])]),
    ("PReLU(3)", ("prelu",), lambda: [randn(2, 3, 4)]),
    ("Flatten()", (), lambda: [randn(2, 3, 4)]),
    ("Unflatten(1, (2, -1))", (), lambda: [randn(3, 6)]),
    ("RNN(3, 5, 2, bidirectional=True)", ("linear", "stack", "cat"), lambda: [randn(4, 2, 3)]),
    ("RNN(3, 5, nonlinearity='relu', batch_first=True)", ("linear", "stack"),
     lambda: [randn(2, 4, 3)]),
    ("LSTM(3, 5, 2, proj_size=2, bidirectional=True)", ("linear", "stack", "cat"),
     lambda: [randn(4, 2, 3)]),
    ("GRU(3, 4, 2)", ("linear", "stack"), lambda: [randn(4, 2, 3)]),
    ("GRU(3, 4)", ("linear", "stack"), lambda: [randn(4, 3)]),
    ("RNNCell(3, 4)", ("linear",), lambda: [randn(2, 3), randn(2, 4)]),
    ("LSTMCell(3, 4)", ("linear",), lambda: [randn(3)]),
    ("GRUCell(3, 4, bias=False)", ("linear",), lambda: [randn(2, 3)]),
    ("MultiheadAttention(8, 2)", ("multi_head_attention_forward",),
     lambda: [randn(5, 2, 8)] * 3),
    ("MultiheadAttention(8, 2, kdim=3, vdim=5, batch_first=True)",
     ("multi_head_attention_forward",), lambda: [randn(2, 4, 8), randn(2, 6, 3), randn(2, 6, 5)]),
    ("TransformerEncoderLayer(8, 2, 16, dropout=0.0)",
     ("multi_head_attention_forward", "layer_norm", "linear", "dropout"),
     lambda: [randn(5, 2, 8)]),
]


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("ctor,ops,inputs", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_forward_backward_with_torch_weights(torch, ctor, ops, inputs):
    need(*ops)
    mt, mn = build(torch, ctor, seed=1)
    load_from_torch(mn, mt)
    args = inputs()
    if ctor.startswith("MultiheadAttention(8, 2)"):
        args = [args[0]] * 3  # self-attention: the same tensor three times
    _compare(torch, mt, mn, *args)
    for bt, bn in zip(mt.buffers(), mn.buffers()):  # running statistics updated alike
        np.testing.assert_allclose(bn.numpy(), bt.numpy(), rtol=1e-5, atol=1e-6)
    mt.eval()
    mn.eval()
    _compare(torch, mt, mn, *args, grad=False)


LOSS_CASES = [
    ("MSELoss()", ("mse_loss",), lambda: [randn(3, 4), randn(3, 4)]),
    ("L1Loss(reduction='sum')", ("l1_loss",), lambda: [randn(3, 4), randn(3, 4)]),
    ("SmoothL1Loss(beta=0.5)", ("smooth_l1_loss",), lambda: [randn(5), randn(5)]),
    ("HuberLoss(delta=0.5)", ("huber_loss",), lambda: [randn(5), randn(5)]),
    ("CrossEntropyLoss(label_smoothing=0.1)", ("cross_entropy",),
     lambda: [randn(4, 5), np.array([0, 4, 2, 1])]),
    ("NLLLoss(reduction='none')", ("nll_loss",), lambda: [randn(4, 5), np.array([0, 4, 2, 1])]),
    ("BCEWithLogitsLoss()", ("binary_cross_entropy_with_logits",),
     lambda: [randn(3, 2), R.uniform(size=(3, 2)).astype(np.float32)]),
    ("BCELoss()", ("binary_cross_entropy",),
     lambda: [R.uniform(0.1, 0.9, (3, 2)).astype(np.float32),
              R.uniform(size=(3, 2)).astype(np.float32)]),
    ("CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5]))", ("cross_entropy",),
     lambda: [randn(4, 3), np.array([0, 2, 2, 1])]),
    ("BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 0.5]))",
     ("binary_cross_entropy_with_logits",),
     lambda: [randn(3, 2), R.uniform(size=(3, 2)).astype(np.float32)]),
    ("SoftMarginLoss()", ("soft_margin_loss",), lambda: [randn(5), np.sign(randn(5))]),
    ("HingeEmbeddingLoss(margin=0.5)", ("hinge_embedding_loss",),
     lambda: [randn(5), np.sign(randn(5))]),
    ("MultiLabelSoftMarginLoss()", ("multilabel_soft_margin_loss",),
     lambda: [randn(3, 4), (randn(3, 4) > 0).astype(np.float32)]),
    ("CosineEmbeddingLoss(margin=0.1)", ("cosine_embedding_loss",),
     lambda: [randn(3, 4), randn(3, 4), np.sign(randn(3))]),
    ("MarginRankingLoss(0.2)", ("margin_ranking_loss",),
     lambda: [randn(5), randn(5), np.sign(randn(5))]),
    ("TripletMarginLoss(swap=True)", ("triplet_margin_loss",),
     lambda: [randn(3, 4), randn(3, 4), randn(3, 4)]),
    ("PoissonNLLLoss()", ("poisson_nll_loss",),
     lambda: [randn(5), R.poisson(2.0, 5).astype(np.float32)]),
    ("GaussianNLLLoss()", ("gaussian_nll_loss",),
     lambda: [randn(4, 2), randn(4, 2), R.uniform(0.5, 2, (4, 2)).astype(np.float32)]),
    ("KLDivLoss(reduction='batchmean')", ("kl_div",),
     lambda: [np.log(R.dirichlet(np.ones(4), 3)).astype(np.float32),
              R.dirichlet(np.ones(4), 3).astype(np.float32)]),
]


@pytest.mark.parametrize("ctor,ops,inputs", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss_modules(torch, ctor, ops, inputs):
    need(*ops)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mt = eval(ctor, {**vars(torch.nn), "torch": torch})
        mn = eval(ctor, {**vars(nn), "torch": ndgrad})
    n_grad = 3 if "Triplet" in ctor else 2 if ctor.startswith(("Cosine", "MarginRanking")) else 1
    _compare(torch, mt, mn, *inputs(), n_grad=n_grad)


ACT_FORWARD = [
    ("ReLU()", "relu"), ("LeakyReLU(0.2)", "leaky_relu"), ("ELU()", "elu"), ("CELU(0.5)", "celu"),
    ("SELU()", "selu"), ("GELU()", "gelu"), ("GELU('tanh')", "gelu"), ("SiLU()", "silu"),
    ("Mish()", "mish"), ("Tanh()", "tanh"), ("Sigmoid()", "sigmoid"),
    ("Softplus(2.0, 1.0)", "softplus"),
    ("Softmax(dim=1)", "softmax"), ("LogSoftmax(dim=-1)", "log_softmax"), ("Softmin(1)", "softmin"),
    ("Hardtanh(-0.5, 0.5)", "hardtanh"), ("ReLU6()", "hardtanh"), ("Hardswish()", "hardswish"),
    ("Hardsigmoid()", "hardsigmoid"), ("Softsign()", "softsign"), ("Tanhshrink()", "tanhshrink"),
    ("Threshold(0.1, 2.0)", "threshold"), ("Hardshrink(0.3)", "hardshrink"),
    ("Softshrink(0.3)", "softshrink"), ("LogSigmoid()", "logsigmoid"), ("GLU()", "glu"),
    ("Softmax2d()", "softmax"),
]


@pytest.mark.parametrize("ctor,fn", ACT_FORWARD, ids=[c for c, _ in ACT_FORWARD])
def test_activation_modules_forward(torch, ctor, fn):
    need(fn)
    mt, mn = build(torch, ctor)
    _compare(torch, mt, mn, randn(2, 4, 3, 2))


def test_dropout_and_train_eval(torch):
    need("dropout")
    mt, mn = build(torch, "Dropout(0.3)")
    x = randn(4, 5)
    torch.manual_seed(2)
    ndgrad.manual_seed(2)
    np.testing.assert_array_equal(mn(ndgrad.tensor(x)).numpy(), mt(torch.tensor(x)).numpy())
    mn.eval()
    np.testing.assert_array_equal(mn(ndgrad.tensor(x)).numpy(), x)


def test_rnn_checks_match_torch(torch):
    for ctor, x, hx in (("RNN(3, 4)", (2, 5, 3), (1, 5, 4)), ("RNN(3, 4)", (2, 5, 3), (1, 2, 4)),
                        ("GRU(3, 4)", (2, 5, 2), None), ("RNN(3, 4)", (2, 1, 1, 3), None),
                        ("LSTM(3, 4)", (2, 5, 3), "bad")):
        mt, mn = build(torch, ctor)
        errs = []
        for T, m in ((torch, mt), (ndgrad, mn)):
            args = [T.zeros(*x)]
            if hx == "bad":
                args.append((T.zeros(1, 5, 4), T.zeros(1, 2, 4)))
            elif hx is not None:
                args.append(T.zeros(*hx))
            try:
                m(*args)
                errs.append(None)
            except Exception as e:
                errs.append((type(e).__name__, str(e)))
        if errs[0] is not None:  # ndgrad must raise the same error (it may still lack ops)
            assert errs[1] == errs[0]


# *** nn.init ***

INIT_CASES = [
    ("uniform_", (5, 7), {"a": -2.0, "b": 3.0}), ("normal_", (5, 7), {"mean": 1.0, "std": 2.0}),
    ("normal_", (3,), {}), ("trunc_normal_", (20, 30), {}),
    ("trunc_normal_", (20, 30), {"a": 0.5, "b": 0.6}), ("trunc_normal_", (5,), {"std": 0.02}),
    ("xavier_uniform_", (6, 4, 3), {"gain": 2.0}), ("xavier_normal_", (6, 4), {}),
    ("kaiming_uniform_", (6, 4, 3, 3), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", (6, 4), {"a": 0.1}), ("sparse_", (10, 4), {"sparsity": 0.3}),
    ("eye_", (3, 4), {}), ("dirac_", (4, 2, 3, 3), {"groups": 2}),
    ("constant_", (2, 3), {"val": 0.3}), ("ones_", (2,), {}), ("zeros_", (2,), {}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,shape,kwargs", INIT_CASES)
def test_init_draws_torch_numbers(torch, name, shape, kwargs, dtype):
    torch.manual_seed(3)
    ndgrad.manual_seed(3)
    t = getattr(torch.nn.init, name)(torch.empty(shape, dtype=getattr(torch, dtype)), **kwargs)
    n = nn.init.__dict__[name](ndgrad.empty(shape, dtype=getattr(ndgrad, dtype)), **kwargs)
    np.testing.assert_array_equal(n.numpy(), t.numpy())
    assert torch.rand(2).tolist() == ndgrad.rand(2).tolist()


@pytest.mark.parametrize("shape,gain", [((4, 6), 1.0), ((6, 4), 2.0), ((3, 2, 2), 1.0)])
def test_orthogonal_(torch, shape, gain):
    torch.manual_seed(3)
    ndgrad.manual_seed(3)
    t = torch.nn.init.orthogonal_(torch.empty(shape), gain)
    n = nn.init.orthogonal_(ndgrad.empty(shape), gain)
    # NumPy's QR runs in float64 where torch's runs in float32: equal to rounding
    np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=0, atol=1e-6)
    assert torch.rand(2).tolist() == ndgrad.rand(2).tolist()


def test_init_misc(torch):
    g_t, g_n = torch.Generator().manual_seed(5), ndgrad.Generator().manual_seed(5)
    np.testing.assert_array_equal(
        nn.init.kaiming_uniform_(ndgrad.empty(3, 4), generator=g_n).numpy(),
        torch.nn.init.kaiming_uniform_(torch.empty(3, 4), generator=g_t).numpy())
    for args in (("linear",), ("relu",), ("tanh",), ("leaky_relu",), ("leaky_relu", 0.2),
                 ("selu",), ("conv_transpose2d",)):
        assert nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    for bad in (("foo",), ("leaky_relu", "x")):
        with pytest.raises(ValueError) as e:
            nn.init.calculate_gain(*bad)
        with pytest.raises(ValueError) as e_t:
            torch.nn.init.calculate_gain(*bad)
        assert str(e.value) == str(e_t.value)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(ndgrad.empty(3))
    with pytest.raises(ValueError, match="Mode fan_x not supported"):
        nn.init.kaiming_normal_(ndgrad.empty(3, 3), mode="fan_x")
    p = nn.Parameter(ndgrad.empty(2, 2))
    v = p._version
    nn.init.ones_(p)
    assert p.requires_grad and p.is_leaf and p._version == v + 1
    with pytest.warns(FutureWarning, match="nn.init.uniform_"):
        nn.init.uniform(ndgrad.empty(2))


# *** nn.utils ***

def _grads(T, dtype):
    T.manual_seed(0)
    ps = [T.nn.Parameter(T.ones(3, 2, dtype=dtype)), T.nn.Parameter(T.ones(4, dtype=dtype)),
          T.nn.Parameter(T.ones(2, dtype=dtype))]
    np_dtype = np.float32 if dtype == T.float32 else np.float64
    ps[0].grad = T.from_numpy(np.array([[1.0, -2.0], [3.0, 0.5], [-0.25, 4.0]], np_dtype))
    ps[1].grad = T.from_numpy(np.array([0.1, -0.2, 0.3, 7.0], np_dtype))
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), 3.5, "inf"])
@pytest.mark.parametrize("max_norm", [1.0, 100.0])
def test_clip_grad_norm_(torch, norm_type, max_norm):
    pt, pn = _grads(torch, torch.float32), _grads(ndgrad, ndgrad.float32)
    tt = torch.nn.utils.clip_grad_norm_(pt, max_norm, norm_type)
    tn = nn.utils.clip_grad_norm_(pn, max_norm, norm_type)
    assert tn.dtype == ndgrad.float32 and tn.shape == ()
    np.testing.assert_allclose(tn.numpy(), tt.numpy(), rtol=1e-6)
    for a, b in zip(pt[:2], pn[:2]):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-6)
    assert pn[2].grad is None


def test_clip_grad_misc(torch):
    p = nn.Parameter(ndgrad.ones(3))
    p.grad = ndgrad.tensor([float("nan"), 1.0, 2.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    pt, pn = _grads(torch, torch.float64), _grads(ndgrad, ndgrad.float64)
    torch.nn.utils.clip_grad_value_(pt, 0.5)
    assert nn.utils.clip_grad_value_(pn, 0.5) is None
    for a, b in zip(pt[:2], pn[:2]):
        np.testing.assert_array_equal(b.grad.numpy(), a.grad.numpy())


def test_parameters_vector_roundtrip(torch):
    need("cat")
    lin = nn.Linear(2, 3)
    vec = nn.utils.parameters_to_vector(lin.parameters())
    assert vec.shape == (9,)
    np.testing.assert_array_equal(vec.detach().numpy()[:6], lin.weight.detach().numpy().ravel())
    nn.utils.vector_to_parameters(ndgrad.arange(9.0), lin.parameters())
    assert lin.bias.tolist() == [6.0, 7.0, 8.0] and type(lin.bias) is nn.Parameter
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1], lin.parameters())


# *** a small training step end to end ***

def test_mlp_training_step_matches_torch(torch):
    need("linear", "mse_loss")
    out = []
    for T in (torch, ndgrad):
        T.manual_seed(0)
        net = T.nn.Sequential(T.nn.Linear(3, 8), T.nn.Tanh(), T.nn.Linear(8, 1))
        x, y = T.randn(16, 3), T.randn(16, 1)
        for _ in range(3):
            net.zero_grad()
            loss = T.nn.MSELoss()(net(x), y)
            loss.backward()
            T.nn.utils.clip_grad_norm_(net.parameters(), 0.5)
            with T.no_grad():
                for p in net.parameters():
                    p -= 0.1 * p.grad
        out.append([loss.item()] + [p.detach().numpy().copy() for p in net.parameters()])
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-5)
    for a, b in zip(out[0][1:], out[1][1:]):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
