"""ndgrad.optim vs torch.optim: updates step by step, state_dict layout, errors, LR schedules."""
import math
import warnings

import numpy as np
import pytest

import ndgrad
import ndgrad.optim as optim

TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-11, atol=1e-13)}


def grad_of(x: np.ndarray) -> np.ndarray:
    """Gradient of a quadratic bowl plus a bounded Rosenbrock-like coupling, in float64."""
    x = x.astype(np.float64).ravel()
    g = 2 * (x - 0.5) * np.linspace(0.5, 2.0, x.size) + 0.3 * np.sin(3 * x)
    d = np.tanh(x[1:] - x[:-1] ** 2)
    g[1:] += 0.5 * d
    g[:-1] += -x[:-1] * d
    return g


def make_pair(torch, dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal(5).astype(dtype)]
    tp = [torch.tensor(a, requires_grad=True) for a in arrays]
    npar = [ndgrad.tensor(a, requires_grad=True) for a in arrays]
    return tp, npar


def feed_grads(tp, npar, dtype, sign=1.0):
    """The same gradient (computed from torch's parameters) for both frameworks."""
    import torch

    for t, n in zip(tp, npar):
        g = (sign * grad_of(t.detach().numpy())).reshape(t.shape).astype(dtype)
        t.grad = torch.tensor(g)
        n.grad = ndgrad.tensor(g)


def groups(params, lr):
    return [{"params": [params[0]]}, {"params": [params[1]], "lr": lr * 0.5}]


CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, maximize=True, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1, maximize=True)),
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2, weight_decay=0.1)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_optimizer_matches_torch_step_by_step(torch, name, kw, dtype):
    tp, npar = make_pair(torch, dtype)
    to = getattr(torch.optim, name)(groups(tp, kw["lr"]), **kw)
    no = getattr(optim, name)(groups(npar, kw["lr"]), **kw)
    sign = -1.0 if kw.get("maximize") else 1.0
    for _ in range(25):
        feed_grads(tp, npar, dtype, sign)
        to.step()
        no.step()
        for t, n in zip(tp, npar):
            assert n.dtype == ndgrad.float32 if dtype == np.float32 else ndgrad.float64
            np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), **TOL[dtype])
    ts, ns = to.state_dict(), no.state_dict()
    assert ns["param_groups"] == ts["param_groups"]
    assert list(ns["state"]) == list(ts["state"])
    for k in ts["state"]:
        assert list(ns["state"][k]) == list(ts["state"][k])
        for key, tv in ts["state"][k].items():
            nv = ns["state"][k][key]
            assert str(nv.dtype) == str(tv.dtype), key
            np.testing.assert_allclose(nv.numpy(), tv.numpy(), **TOL[dtype])


def test_end_to_end_with_autograd(torch):
    """A loss differentiated by each framework's own autograd."""
    def loss(m, w, b):
        r = w[1:] - w[:-1] ** 2
        return (100 * r * r).sum() + ((1 - w[:-1]) ** 2).sum() + (b * b).sum()

    init, b0 = np.array([-1.2, 1.0, 0.5, -0.3]), np.array([0.7, -0.2])
    tw, tb = torch.tensor(init, requires_grad=True), torch.tensor(b0, requires_grad=True)
    nw, nb = ndgrad.tensor(init, requires_grad=True), ndgrad.tensor(b0, requires_grad=True)
    to, no = torch.optim.Adam([tw, tb], lr=0.02), optim.Adam([nw, nb], lr=0.02)
    for _ in range(30):
        for opt, m, w, b in ((to, torch, tw, tb), (no, ndgrad, nw, nb)):
            opt.zero_grad()
            loss(m, w, b).backward()
            opt.step()
        np.testing.assert_allclose(nw.detach().numpy(), tw.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(nb.detach().numpy(), tb.detach().numpy(), rtol=1e-10)


def test_with_nn_modules(torch):
    nn = pytest.importorskip("ndgrad.nn")
    if not hasattr(nn, "Linear") or not hasattr(nn, "MSELoss"):
        pytest.skip("ndgrad.nn.Linear not available")
    torch.manual_seed(0)
    tm = torch.nn.Linear(3, 2)
    nm = nn.Linear(3, 2)
    with ndgrad.no_grad():
        nm.weight.copy_(ndgrad.tensor(tm.weight.detach().numpy()))
        nm.bias.copy_(ndgrad.tensor(tm.bias.detach().numpy()))
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal((8, 2)).astype(np.float32)
    to = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    no = optim.SGD(nm.parameters(), lr=0.1, momentum=0.9)
    for _ in range(10):
        to.zero_grad()
        torch.nn.MSELoss()(tm(torch.tensor(x)), torch.tensor(y)).backward()
        to.step()
        no.zero_grad()
        nn.MSELoss()(nm(ndgrad.tensor(x)), ndgrad.tensor(y)).backward()
        no.step()
    np.testing.assert_allclose(nm.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-4,
                               atol=1e-5)


# *** LBFGS ***

def rosen(x: np.ndarray) -> tuple[float, np.ndarray]:
    c = np.linspace(-1, 1, x.size)
    d = x[1:] - x[:-1] ** 2
    g = 2 * (x - c)
    g[1:] += 4 * d
    g[:-1] += -8 * d * x[:-1]
    return float(np.sum((x - c) ** 2) + 2 * np.sum(d**2)), g


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_matches_torch(torch, line_search_fn, dtype):
    x0 = np.random.default_rng(1).standard_normal(6).astype(dtype)
    tp, npm = torch.tensor(x0, requires_grad=True), ndgrad.tensor(x0, requires_grad=True)
    kw = dict(lr=0.5 if line_search_fn is None else 1.0, max_iter=4, history_size=3,
              line_search_fn=line_search_fn)
    to, no = torch.optim.LBFGS([tp], **kw), optim.LBFGS([npm], **kw)

    def closure_for(mod, p):
        def closure():
            f, g = rosen(p.detach().numpy().astype(np.float64))
            p.grad = mod.tensor(g.astype(dtype))
            return mod.tensor(np.asarray(f, dtype=dtype))
        return closure

    for _ in range(6):
        lt, ln = to.step(closure_for(torch, tp)), no.step(closure_for(ndgrad, npm))
        assert float(ln) == pytest.approx(float(lt), rel=1e-6)
        np.testing.assert_allclose(npm.detach().numpy(), tp.detach().numpy(), **TOL[dtype])
        for key in ("func_evals", "n_iter"):
            assert no.state[npm][key] == to.state[tp][key]
    assert list(no.state[npm]) == list(to.state[tp])
    assert len(no.state[npm]["old_dirs"]) == len(to.state[tp]["old_dirs"]) == 3


def test_lbfgs_with_autograd_closure():
    w = ndgrad.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.LBFGS([w], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((w - 3) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.detach().numpy(), [3.0, 3.0], atol=1e-5)
    with pytest.raises(ValueError, match="per-parameter options"):
        optim.LBFGS([{"params": [w]}, {"params": [ndgrad.zeros(1, requires_grad=True)]}])


# *** state_dict ***

def to_ndgrad(obj):
    import torch

    if isinstance(obj, torch.Tensor):
        return ndgrad.tensor(obj.detach().numpy())
    if isinstance(obj, dict):
        return {k: to_ndgrad(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_ndgrad(v) for v in obj)
    return obj


def to_torch(obj):
    import torch

    if isinstance(obj, ndgrad.Tensor):
        return torch.tensor(obj.detach().numpy())
    if isinstance(obj, dict):
        return {k: to_torch(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v) for v in obj)
    return obj


@pytest.mark.parametrize("name,kw", [("Adam", dict(lr=0.05, amsgrad=True)),
                                     ("SGD", dict(lr=0.05, momentum=0.9)),
                                     ("NAdam", dict(lr=0.05)), ("Adagrad", dict(lr=0.1))])
def test_state_dict_interchange_with_torch(torch, name, kw):
    dtype = np.float32
    tp, npar = make_pair(torch, dtype)
    to = getattr(torch.optim, name)(groups(tp, kw["lr"]), **kw)
    for _ in range(5):
        feed_grads(tp, npar, dtype)
        to.step()
    # torch's state -> a fresh ndgrad optimizer on torch's current parameters
    for t, n in zip(tp, npar):
        with ndgrad.no_grad():
            n.copy_(ndgrad.tensor(t.detach().numpy()))
    no = getattr(optim, name)(groups(npar, kw["lr"]), **kw)
    no.load_state_dict(to_ndgrad(to.state_dict()))
    for _ in range(5):
        feed_grads(tp, npar, dtype)
        to.step()
        no.step()
    for t, n in zip(tp, npar):
        np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), **TOL[dtype])
    # and back: ndgrad's state into a fresh torch optimizer
    to2 = getattr(torch.optim, name)(groups(tp, kw["lr"]), **kw)
    to2.load_state_dict(to_torch(no.state_dict()))
    for key, value in to.state_dict()["state"][0].items():
        np.testing.assert_allclose(to2.state_dict()["state"][0][key].numpy(), value.numpy(),
                                   **TOL[dtype])


def test_state_dict_roundtrip_and_casts():
    p = ndgrad.zeros(3, dtype=ndgrad.float64, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = ndgrad.ones(3, dtype=ndgrad.float64)
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = ndgrad.ones(3)  # float32 state is cast to the param's dtype
    opt2 = optim.Adam([p], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.state[p]["exp_avg"].dtype == ndgrad.float64
    assert opt2.state[p]["step"].dtype == ndgrad.float32  # `step` is never cast
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["params"][0] is p
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt2.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt2.load_state_dict({"state": {}, "param_groups": [{"params": [0, 1]}]})


# *** the Optimizer surface ***

def messages(fn):
    try:
        fn()
    except Exception as e:
        return type(e), str(e)
    return None


def test_errors_match_torch(torch):
    cases = [
        lambda m: m.optim.SGD([]),
        lambda m: m.optim.SGD(m.zeros(2, requires_grad=True)),
        lambda m: m.optim.SGD([1.0]),
        lambda m: m.optim.SGD([m.zeros(2, requires_grad=True) * 2]),
        lambda m: m.optim.SGD([m.zeros(1, requires_grad=True)], lr=-1),
        lambda m: m.optim.SGD([m.zeros(1, requires_grad=True)], nesterov=True),
        lambda m: m.optim.Adam([m.zeros(1, requires_grad=True)], betas=(1.0, 0.9)),
        lambda m: m.optim.Adam([m.zeros(1, requires_grad=True)], eps=-1.0),
        lambda m: m.optim.RMSprop([m.zeros(1, requires_grad=True)], alpha=-1.0),
        lambda m: m.optim.Adagrad([m.zeros(1, requires_grad=True)], lr_decay=-1.0),
        lambda m: m.optim.Adadelta([m.zeros(1, requires_grad=True)], rho=1.5),
        lambda m: m.optim.NAdam([m.zeros(1, requires_grad=True)], momentum_decay=-1.0),
        lambda m: m.optim.SGD({m.zeros(1, requires_grad=True)}),
    ]
    for case in cases:
        assert messages(lambda c=case: c(ndgrad)) == messages(lambda c=case: c(torch))
    a = ndgrad.zeros(1, requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([a, a], lr=0.1)


def test_repr_defaults_and_groups_match_torch(torch):
    t, n = torch.zeros(2, requires_grad=True), ndgrad.zeros(2, requires_grad=True)
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adadelta", "Adagrad", "Adamax", "NAdam", "RAdam", "LBFGS"]:
        to, no = getattr(torch.optim, name)([t]), getattr(optim, name)([n])
        assert repr(no) == repr(to)
        assert no.defaults == to.defaults


def test_zero_grad_skip_and_add_param_group(torch):
    a, b = ndgrad.ones(2, requires_grad=True), ndgrad.ones(2, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = ndgrad.ones(2)
    opt.step()
    assert b.grad is None and len(opt.state) == 1 and b not in opt.state
    np.testing.assert_array_equal(b.detach().numpy(), [1.0, 1.0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert a.grad is None
    c = ndgrad.ones(1, requires_grad=True)
    opt.add_param_group({"params": c, "lr": 0.5})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.param_groups[1]["lr"] == 0.5
    sgd = optim.SGD([a], lr=0.1)
    a.grad = ndgrad.ones(2)
    sgd.step()
    assert len(sgd.state) == 0  # plain SGD keeps no state, as torch
    ada = optim.Adagrad([a, b])
    assert len(ada.state) == 2  # Adagrad's state is created eagerly, as torch
    named = optim.SGD([("w", a)], lr=0.1)
    assert named.state_dict()["param_groups"][0]["param_names"] == ["w"]


def test_step_closure_and_version_counter():
    w = ndgrad.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    version = w._version

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == 2.0 and w._version > version
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 0.8])


# *** learning-rate schedulers ***

def build(mod, opt_name, sched_name, **kw):
    p, q = mod.zeros(2, requires_grad=True), mod.zeros(3, requires_grad=True)
    extra = {"momentum": 0.9} if opt_name == "SGD" else {}
    opt = getattr(mod.optim, opt_name)([{"params": [p]}, {"params": [q], "lr": 0.05}], lr=0.1,
                                       **extra)
    return opt, getattr(mod.optim.lr_scheduler, sched_name)(opt, **kw)


SCHEDULES = [
    ("StepLR", dict(step_size=7, gamma=0.5), "SGD"),
    ("MultiStepLR", dict(milestones=[3, 10, 10, 25], gamma=0.3), "SGD"),
    ("ExponentialLR", dict(gamma=0.93), "SGD"),
    ("CosineAnnealingLR", dict(T_max=12, eta_min=0.001), "SGD"),
    ("LinearLR", dict(start_factor=0.2, end_factor=0.9, total_iters=11), "SGD"),
    ("LambdaLR", dict(lr_lambda=lambda e: 1 / (1 + e)), "SGD"),
    ("OneCycleLR", dict(max_lr=[1.0, 0.5], total_steps=40), "SGD"),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=40, three_phase=True, anneal_strategy="linear"),
     "Adam"),
    ("OneCycleLR", dict(max_lr=1.0, epochs=4, steps_per_epoch=10, pct_start=0.25), "Adam"),
]


@pytest.mark.parametrize("name,kw,opt_name", SCHEDULES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SCHEDULES)])
def test_scheduler_matches_torch(torch, name, kw, opt_name):
    ot, st = build(torch, opt_name, name, **kw)
    on, sn = build(ndgrad, opt_name, name, **kw)
    assert sn.get_last_lr() == st.get_last_lr()
    for _ in range(39):
        ot.step()
        on.step()
        st.step()
        sn.step()
        assert sn.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-14, abs=1e-16)
        for gt, gn in zip(ot.param_groups, on.param_groups):
            assert gn["lr"] == pytest.approx(gt["lr"], rel=1e-14, abs=1e-16)
            assert gn.get("momentum") == gt.get("momentum")
            assert gn.get("betas") == gt.get("betas")
    assert sorted(sn.state_dict()) == sorted(st.state_dict())
    if name == "OneCycleLR":
        sn.step()
        with pytest.raises(ValueError, match="Tried to step 41 times"):
            sn.step()


def test_sequential_lr_matches_torch(torch):
    out = {}
    for mod in (torch, ndgrad):
        opt, _ = build(mod, "SGD", "StepLR", step_size=1000)
        s1 = mod.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)
        s2 = mod.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
        seq = mod.optim.lr_scheduler.SequentialLR(opt, [s1, s2], milestones=[5])
        lrs = [seq.get_last_lr()]
        for _ in range(35):
            opt.step()
            seq.step()
            lrs.append(seq.get_last_lr())
        out[mod.__name__] = (lrs, sorted(seq.state_dict()))
    assert out["ndgrad"] == out["torch"]


@pytest.mark.parametrize("kw", [
    dict(patience=2, cooldown=3, factor=0.5, min_lr=[0.01, 0.02]),
    dict(mode="max", threshold_mode="abs", threshold=0.05, patience=1, factor=0.3),
    dict(mode="min", threshold_mode="abs", patience=0, cooldown=1, min_lr=0.004),
])
def test_reduce_lr_on_plateau_matches_torch(torch, kw):
    metrics = [5, 4, 4, 4, 4, 4, 3.9999, 3.9, 3.9, 4.2, 3.9, 3.8, 3.85, 3.9, 3.9, 3.9, 3.9, 2.0,
               2.0, 2.1, 2.2, 2.3, 2.0, 2.0, 2.0, 2.0, 1.9, 1.9, 1.9, 1.9, 1.9, 1.9, 1.9, 1.9]
    out = {}
    for mod in (torch, ndgrad):
        opt, _ = build(mod, "SGD", "StepLR", step_size=1000)
        s = mod.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
        lrs = []
        for m in metrics:
            opt.step()
            s.step(m)
            lrs.append((s.get_last_lr(), s.num_bad_epochs, s.cooldown_counter, s.best))
        out[mod.__name__] = lrs, sorted(s.state_dict())
    assert out["ndgrad"] == out["torch"]


def test_scheduler_state_dict_resume_and_warning():
    opt, sched = build(ndgrad, "SGD", "CosineAnnealingLR", T_max=10)
    for _ in range(4):
        opt.step()
        sched.step()
    saved = sched.state_dict()
    ref = []
    for _ in range(4):
        opt.step()
        sched.step()
        ref.append(sched.get_last_lr())
    opt2, sched2 = build(ndgrad, "SGD", "CosineAnnealingLR", T_max=10)
    sched2.load_state_dict(saved)
    for group, lr in zip(opt2.param_groups, saved["_last_lr"]):
        group["lr"] = lr
    got = []
    for _ in range(4):
        opt2.step()
        sched2.step()
        got.append(sched2.get_last_lr())
    assert got == ref
    opt3, sched3 = build(ndgrad, "SGD", "StepLR", step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched3.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt4, sched4 = build(ndgrad, "SGD", "StepLR", step_size=2)
        opt4.step()
        sched4.step()
    assert math.isclose(sched4.get_last_lr()[0], 0.1)
