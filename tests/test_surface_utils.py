"""utils.benchmark, nn.utils.parametrize and prune, utils.swap_tensors, gradcheck's mode flags and
AccumulateGrad.variable, each against torch."""
import gc
import re
import weakref

import numpy as np
import pytest

import ndgrad


# *** torch.utils.benchmark ***

def test_timer_measurements_print_as_torch(torch):
    import torch.utils.benchmark as tb

    from ndgrad.utils.benchmark import Timer

    kw = dict(stmt="x * 2", setup="x = torch.ones(8)", label="lbl", sub_label="sub",
              description="desc")
    ours = repr(Timer(**kw).timeit(50)).splitlines()
    theirs = repr(tb.Timer(**kw).timeit(50)).splitlines()
    assert len(ours) == len(theirs)
    assert ours[1:4] == theirs[1:4]  # title, description, setup
    assert re.fullmatch(r"  \d+\.\d\d (ns|us|ms|s)", ours[4])
    assert ours[5] == theirs[5] == "  1 measurement, 50 runs , 1 thread"
    m = Timer("x + 1", setup="x = torch.zeros(4)").blocked_autorange(min_run_time=0.05)
    lines = repr(m).splitlines()
    assert lines[1:3] == ["x + 1", "setup: x = torch.zeros(4)"]
    assert lines[3].startswith("  Median: ") and lines[4].startswith("  IQR:    ")
    assert re.fullmatch(r"  \d+ measurements, \d+ runs per measurement, 1 thread", lines[5])
    assert sum(m.raw_times) >= 0.05 and m.median > 0 and len(m.times) == len(m.raw_times)
    assert m.number_per_run >= 1 and m.mean > 0 and m.iqr >= 0


def test_timer_globals_and_statistics_as_torch(torch):
    import torch.utils.benchmark as tb

    from ndgrad.utils.benchmark import Measurement, TaskSpec, Timer, select_unit, trim_sigfig

    m = Timer("f(3)", globals={"f": lambda a: a + 1}).timeit(10)
    assert m.number_per_run == 10 and m.stmt == "f(3)" and m.title == "f(3)"
    raw = [4e-6, 1e-6, 3e-6, 2e-6, 9e-6]
    ours = Measurement(2, raw, TaskSpec("s", "pass"))
    theirs = tb.Measurement(2, raw, tb.TaskSpec("s", "pass"))
    for attr in ("median", "mean", "iqr", "times", "has_warnings"):
        assert getattr(ours, attr) == pytest.approx(getattr(theirs, attr)), attr
    assert repr(ours).splitlines()[1:] == repr(theirs).splitlines()[1:]
    for t in (3e-9, 4.5e-6, 0.02, 3.0):
        assert select_unit(t) == tb.select_unit(t)
    assert trim_sigfig(3.14159, 2) == pytest.approx(tb.trim_sigfig(3.14159, 2))
    with pytest.raises(ValueError, match="only a `str` stmt"):
        Timer(lambda: 1)
    with pytest.raises(NotImplementedError):
        Timer().repeat()


# *** nn.utils.parametrize ***

class _Symmetric:
    @staticmethod
    def make(lib):
        class Symmetric(lib.nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(-1, -2)

            def right_inverse(self, A):
                return A.triu()

        return Symmetric()


def _parametrize_story(lib):
    P = lib.nn.utils.parametrize
    lib.manual_seed(0)
    m = lib.nn.Linear(3, 3)
    P.register_parametrization(m, "weight", _Symmetric.make(lib))
    out = [type(m).__name__, P.is_parametrized(m), P.is_parametrized(m, "bias"),
           sorted(n for n, _ in m.named_parameters()), sorted(m.state_dict())]
    out.append(m.weight.tolist())
    m.weight = lib.eye(3) * 2
    out.append(m.parametrizations.weight.original.tolist())
    m(lib.ones(1, 3)).sum().backward()
    out.append(m.parametrizations.weight.original.grad.tolist())
    with P.cached():
        out.append(m.weight is m.weight)
    out.append(m.weight is m.weight)
    P.register_parametrization(m, "weight", _Symmetric.make(lib))  # a second one, chained
    out.append(len(m.parametrizations.weight))
    P.remove_parametrizations(m, "weight", leave_parametrized=False)
    out += [type(m).__name__, sorted(n for n, _ in m.named_parameters()), m.weight.tolist()]
    return out


def test_parametrize_matches_torch(torch):
    assert _parametrize_story(ndgrad) == _parametrize_story(torch)


def test_parametrize_errors_match_torch(torch):
    for lib in (ndgrad, torch):
        P = lib.nn.utils.parametrize
        with pytest.raises(ValueError, match="may not change the shape"):
            P.register_parametrization(lib.nn.Linear(2, 2), "weight", lib.nn.Flatten(0))
        with pytest.raises(ValueError, match="does not have a parameter"):
            P.register_parametrization(lib.nn.Linear(2, 2), "nope", lib.nn.Identity())
        with pytest.raises(ValueError, match="does not have a parametrization"):
            P.remove_parametrizations(lib.nn.Linear(2, 2), "weight")
        m = P.register_parametrization(lib.nn.Linear(2, 2), "weight", lib.nn.Identity())
        with pytest.raises(RuntimeError, match="does not implement right_inverse"):
            m.weight = lib.zeros(2, 2)
        assert P.type_before_parametrizations(m) is lib.nn.Linear


# *** nn.utils.prune ***

def _prune_story(lib):
    import importlib

    prune = importlib.import_module(lib.__name__ + ".nn.utils.prune")
    lib.manual_seed(0)
    m = lib.nn.Linear(5, 4)
    out = []
    prune.random_unstructured(m, "weight", amount=0.3)
    out.append(m.weight_mask.tolist())
    prune.l1_unstructured(m, "weight", amount=3)
    out += [m.weight_mask.tolist(), sorted(n for n, _ in m.named_parameters()),
            sorted(n for n, _ in m.named_buffers())]
    prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
    prune.random_structured(m, "weight", amount=0.4, dim=1)
    out += [m.weight_mask.tolist(), prune.is_pruned(m),
            [type(h).__name__ for h in m._forward_pre_hooks.values()]]
    m(lib.ones(2, 5)).sum().backward()
    out.append(np.round(m.weight_orig.grad.numpy(), 5).tolist())
    prune.remove(m, "weight")
    out += [sorted(n for n, _ in m.named_parameters()), np.round(m.weight.detach().numpy(), 5)
            .tolist(), prune.is_pruned(m)]
    m1, m2 = lib.nn.Linear(3, 2), lib.nn.Linear(2, 2)
    prune.global_unstructured([(m1, "weight"), (m2, "weight")],
                              pruning_method=prune.L1Unstructured, amount=0.4)
    out += [m1.weight_mask.tolist(), m2.weight_mask.tolist()]
    prune.custom_from_mask(m1, "bias", mask=lib.tensor([0.0, 1.0]))
    out.append(m1.bias.tolist())
    t = lib.arange(6.0).view(2, 3)
    out.append(prune.L1Unstructured(amount=2).prune(t).tolist())
    return out


def test_prune_matches_torch_including_random_draws(torch):
    assert _prune_story(ndgrad) == _prune_story(torch)


@pytest.mark.parametrize("call", [
    "prune.l1_unstructured(m, 'weight', amount=-1)", "prune.l1_unstructured(m, 'weight', 1.5)",
    "prune.l1_unstructured(m, 'weight', amount=99)", "prune.l1_unstructured(m, 'weight', '1')",
    "prune.ln_structured(m, 'bias', amount=1, n=1, dim=0)",
    "prune.random_structured(m, 'weight', 1, dim=5)", "prune.remove(m, 'weight')",
])
def test_prune_errors_match_torch(call, torch):
    import importlib

    outcomes = []
    for lib in (ndgrad, torch):
        env = {"prune": importlib.import_module(lib.__name__ + ".nn.utils.prune"),
               "m": lib.nn.Linear(3, 2)}
        try:
            eval(call, env)
            outcomes.append(("ok",))
        except Exception as e:  # noqa: BLE001
            outcomes.append((type(e).__name__, str(e).split(" of module")[0][:70]))
        outcomes[-1] += (sorted(n for n, _ in env["m"].named_parameters()),)
    assert outcomes[0] == outcomes[1] and outcomes[0][0] != "ok"


# *** utils.swap_tensors ***

def test_swap_tensors_as_torch(torch):
    for lib in (ndgrad, torch):
        a, b = lib.zeros(2, requires_grad=True), lib.ones(3, dtype=lib.float64)
        ida, idb = id(a), id(b)
        lib.utils.swap_tensors(a, b)
        assert (id(a), id(b)) == (ida, idb)
        assert a.tolist() == [1.0, 1.0, 1.0] and a.dtype == lib.float64 and not a.requires_grad
        assert b.tolist() == [0.0, 0.0] and b.requires_grad
        p, q = lib.nn.Parameter(lib.zeros(2)), lib.ones(2)
        lib.utils.swap_tensors(p, q)
        assert type(p) is lib.Tensor and type(q) is lib.nn.Parameter
        x = lib.zeros(2, requires_grad=True)
        y = (x * 2).sum()
        lib.utils.swap_tensors(x, lib.ones(2))
        with pytest.raises(RuntimeError, match="poisoned by swap_tensors"):
            y.backward()
        keep = lib.zeros(1)
        ref = weakref.ref(keep)
        with pytest.raises(RuntimeError, match="Cannot swap t1 because it has weakref"):
            lib.utils.swap_tensors(keep, lib.ones(1))
        del ref


# *** gradcheck modes ***

class _WrongBackward(ndgrad.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 3

    @staticmethod
    def jvp(ctx, t):
        return t * 2


def test_gradcheck_honours_its_mode_flags(torch):
    x = ndgrad.randn(3, dtype=ndgrad.float64, requires_grad=True)
    gc_ = ndgrad.autograd.gradcheck
    for lib in (ndgrad, torch):
        with pytest.raises(AssertionError, match="Expected at least one of check_forward_ad"):
            lib.autograd.gradcheck(lambda t: t.sin(), (lib.ones(2, dtype=lib.float64,
                                                                requires_grad=True),),
                                   check_backward_ad=False)
    assert gc_(lambda t: t.sin() * t, (x,), check_backward_ad=False, check_forward_ad=True)
    # the wrong backward is not looked at without check_backward_ad, its right jvp passes
    assert gc_(_WrongBackward.apply, (x,), check_backward_ad=False, check_forward_ad=True)
    with pytest.raises(ndgrad.autograd.GradcheckError, match="Jacobian mismatch"):
        gc_(_WrongBackward.apply, (x,))
    assert gc_(_WrongBackward.apply, (x,), raise_exception=False) is False


# *** AccumulateGrad.variable ***

def test_accumulate_grad_variable_lives_as_long_as_the_graph(torch):
    for lib in (ndgrad, torch):
        y = (lib.randn(3, requires_grad=True) * 2).sum()
        acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
        leaf = acc.variable  # the leaf has no other reference: the graph keeps it alive
        assert leaf is not None and leaf.shape == (3,) and leaf.requires_grad
        del leaf
    x = ndgrad.randn(3, requires_grad=True)
    ref = weakref.ref(x)
    z = (x * 2).sum()
    del x
    gc.collect()
    assert ref() is not None  # held by the graph (torchviz reads it)
    acc = weakref.ref(z.grad_fn.next_functions[0][0].next_functions[0][0])
    del z
    assert ref() is None and acc() is None  # freed with the graph, without a gc cycle
    w = ndgrad.ones(2, requires_grad=True)
    a1 = (w * 2).grad_fn.next_functions[0][0]
    a2 = (w * 3).grad_fn.next_functions[0][0]
    assert a1 is a2 and a1.variable is w  # one accumulator per leaf while a graph holds it
