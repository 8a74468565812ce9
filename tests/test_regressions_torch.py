"""Defects found by trying claimed features as a new user would, each pinned against torch:
layouts (contiguous/stride), flip(dims=), torch's view + in-place rules (split/unbind outputs,
views made in no_grad mode), in-place broadcasting errors, view_as and friends."""
import subprocess
import sys

import numpy as np
import pytest

import ndgrad


def outcome(fn):
    """('ok', value) or (exception type name, message) of fn()."""
    try:
        return ("ok", fn())
    except Exception as e:  # the comparison is the point: any exception type is data here
        return (type(e).__name__, str(e))


def _approx(v):
    """Floats compared to float32 rounding (ndgrad and torch may differ in the last ulp)."""
    if isinstance(v, float):
        return pytest.approx(v, rel=1e-6, abs=1e-12, nan_ok=True)
    if isinstance(v, (list, tuple)):
        return type(v)(_approx(x) for x in v)
    return v


def same_outcome(a, b):
    """Both ran and gave equal results, or both raised the same exception type and message."""
    assert a[0] == b[0], (a, b)
    assert a[1] == _approx(b[1]), (a, b)


# *** layouts: stride, is_contiguous, contiguous(), clone() ***

def _sized(t):
    """Strides of the dims that have more than one element (torch and NumPy may disagree on
    the stride of a size-1 dim, which never addresses memory)."""
    return tuple(s if n != 1 else None for s, n in zip(t.stride(), t.shape))


LAYOUTS = {
    "plain": lambda x: x,
    "t": lambda x: x.transpose(0, 1),
    "permute": lambda x: x.permute(2, 0, 1),
    "slice": lambda x: x[:, 1:],
    "step": lambda x: x[..., ::2],
    "select": lambda x: x[:, 1],
    "expand": lambda x: x[:, :1].expand(2, 5, 4),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "t_slice": lambda x: x.transpose(1, 2)[:, 1:],
    "narrow": lambda x: x.narrow(2, 1, 2),
    "diagonal": lambda x: x[0].diagonal(),
    "t_add": lambda x: x.transpose(0, 1) + 1,
    "t_exp": lambda x: x.transpose(0, 1).exp(),
    "t_reshape": lambda x: x.transpose(0, 1).reshape(6, 4),
    "empty": lambda x: x[:0],
}
FOLLOW = {
    "self": lambda v: v,
    "contiguous": lambda v: v.contiguous(),
    "clone": lambda v: v.clone(),
    "contiguous_view": lambda v: v.contiguous().view(-1),
    "neg_contiguous": lambda v: (-v).contiguous(),
}


@pytest.mark.parametrize("follow", FOLLOW)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_like_torch(torch, layout, follow):
    def run(L):
        x = L.arange(24.0).reshape(2, 3, 4)
        v = FOLLOW[follow](LAYOUTS[layout](x))
        return tuple(v.shape), _sized(v), v.is_contiguous(), v.tolist()

    same_outcome(outcome(lambda: run(ndgrad)), outcome(lambda: run(torch)))


def test_transposed_contiguous_views_flat():
    x = ndgrad.arange(12.0).reshape(3, 4)
    y = x.t().contiguous()
    assert y.is_contiguous() and y.stride() == (3, 1)
    assert y.view(-1).tolist() == x.t().reshape(-1).tolist()
    assert ndgrad.zeros(0, 3).stride() == (3, 1)


# *** flip(dims=...) ***

FLIPS = {
    "kw": lambda L, x: L.flip(x, dims=(0,)),
    "kw_list": lambda L, x: L.flip(input=x, dims=[0, 1]),
    "method_kw": lambda L, x: x.flip(dims=[1]),
    "method_var": lambda L, x: x.flip(0, 1),
    "method_list": lambda L, x: x.flip([1]),
    "func_tuple": lambda L, x: L.flip(x, (0, 1)),
    "empty_dims": lambda L, x: L.flip(x, []),
    "method_none": lambda L, x: x.flip(),
    "kw_int": lambda L, x: x.flip(dims=1),
    "dup": lambda L, x: x.flip(0, 0),
    "out_of_range": lambda L, x: x.flip(2),
}


@pytest.mark.parametrize("case", FLIPS)
def test_flip_arguments_like_torch(torch, case):
    def run(L):
        x = L.arange(6.0).reshape(2, 3)
        return FLIPS[case](L, x).tolist()

    same_outcome(outcome(lambda: run(ndgrad)), outcome(lambda: run(torch)))


def test_flip_dims_gradient():
    x = ndgrad.arange(6.0, dtype=ndgrad.float64).reshape(2, 3).requires_grad_()
    assert ndgrad.autograd.gradcheck(lambda t: t.flip(dims=(0, 1)), (x,))


# *** views and in-place writes: torch's rules ***

VIEWS = {
    "split": lambda t: t.split(2)[0],
    "split_sizes": lambda t: t.split([1, 3])[1],
    "unbind": lambda t: t.unbind()[1],
    "chunk": lambda t: t.chunk(2)[1],
    "slice": lambda t: t[:2],
    "view_of_split": lambda t: t.split(2)[0][:1],
    "split_of_view": lambda t: t[:4].split(2)[0],
    "view_of_view": lambda t: t[1:].view(6),
}


@pytest.mark.parametrize("other_rg", [True, False], ids=["other_rg", "other_plain"])
@pytest.mark.parametrize("write_mode", [True, False], ids=["write_grad", "write_nograd"])
@pytest.mark.parametrize("view_mode", [True, False], ids=["view_grad", "view_nograd"])
@pytest.mark.parametrize("base_kind", ["leaf", "nonleaf", "plain"])
@pytest.mark.parametrize("view", VIEWS)
def test_inplace_on_views_like_torch(torch, view, base_kind, view_mode, write_mode, other_rg):
    def run(L):
        leaf = L.tensor(np.arange(8.0).reshape(4, 2) / 7, requires_grad=True)
        base = {"leaf": leaf, "nonleaf": leaf * 1, "plain": L.tensor(np.ones((4, 2)))}[base_kind]
        with L.set_grad_enabled(view_mode):
            v = VIEWS[view](base)
        other = L.tensor([0.5, 2.0], requires_grad=other_rg)
        if v.dim() == 1 and v.shape[0] != 2:
            other = L.tensor(2.0, requires_grad=other_rg)
        with L.set_grad_enabled(write_mode):
            v.mul_(other)
        result = [v.requires_grad, type(v.grad_fn).__name__, type(base.grad_fn).__name__,
                  base.tolist()]
        if base.requires_grad and base.grad_fn is not None:
            base.sum().backward()
            result.append(None if leaf.grad is None else leaf.grad.tolist())
        return result

    same_outcome(outcome(lambda: run(ndgrad)), outcome(lambda: run(torch)))


REBASES = {
    # views whose base (or a sibling view) is written after the view was made
    "nograd_view_written_nograd": lambda L, leaf: _nograd_write_then(L, leaf, "grad_fn"),
    "nograd_view_is_leaf": lambda L, leaf: _nograd_write_then(L, leaf, "is_leaf"),
    "nograd_view_used": lambda L, leaf: _nograd_write_then(L, leaf, "use"),
    "split_base_written": lambda L, leaf: _split_base_written(L, leaf, grad=True),
    "split_base_written_nograd": lambda L, leaf: _split_base_written(L, leaf, grad=False),
    "split_sibling_written_nograd": lambda L, leaf: _split_sibling(L, leaf),
    "slice_base_written_nograd": lambda L, leaf: _slice_base_written_nograd(L, leaf),
    "view_of_nograd_view": lambda L, leaf: _view_of_nograd_view(L, leaf),
    "split_of_plain_base_gets_grad": lambda L, leaf: _split_of_plain(L, leaf),
    "split_of_detached": lambda L, leaf: _split_of_detached(L, leaf),
}


def _nograd_write_then(L, leaf, what):
    with L.no_grad():
        v = leaf[:3]
        v.mul_(2)
    if what == "grad_fn":
        return type(v.grad_fn).__name__
    if what == "is_leaf":
        return v.is_leaf
    return (v * 2).tolist()


def _split_base_written(L, leaf, grad):
    x = leaf * 1
    p = x.split(2)
    with L.set_grad_enabled(grad):
        x.mul_(2)
    return type(p[0].grad_fn).__name__


def _split_sibling(L, leaf):
    x = leaf * 1
    p = x.split(2)
    with L.no_grad():
        p[0].add_(1)
    (p[1] * 2).sum().backward()
    return leaf.grad.tolist()


def _slice_base_written_nograd(L, leaf):
    x = leaf * 1
    p = x[:2]
    with L.no_grad():
        x.mul_(2)
    out = (p * 3).sum()
    out.backward()
    return type(p.grad_fn).__name__, leaf.grad.tolist()


def _view_of_nograd_view(L, leaf):
    with L.no_grad():
        v = leaf[:3]
    w = v[:2]
    return type(w.grad_fn).__name__, w.requires_grad, outcome(lambda: w.mul_(2))


def _split_of_plain(L, leaf):
    x = L.tensor([1.0, 2.0, 3.0, 4.0])
    p = x.split(2)
    x.mul_(leaf)
    return type(p[0].grad_fn).__name__


def _split_of_detached(L, leaf):
    x = leaf * 1
    v = x.detach().split(2)
    v[0].add_(1)
    return x.tolist()


@pytest.mark.parametrize("case", REBASES)
def test_view_rebase_like_torch(torch, case):
    def run(L):
        return REBASES[case](L, L.tensor([0.5, -1.0, 2.0, 3.0], requires_grad=True))

    same_outcome(outcome(lambda: run(ndgrad)), outcome(lambda: run(torch)))


NOGRAD_VIEWS = {
    "slice": lambda t: t[1:], "view": lambda t: t.view(2, 2), "t": lambda t: t.view(2, 2).t(),
    "expand": lambda t: t[:1].expand(3), "split": lambda t: t.split(2)[1],
    "unbind": lambda t: t.unbind()[0], "select": lambda t: t[0], "unsqueeze": lambda t: t[None],
}


@pytest.mark.parametrize("base_kind", ["leaf", "nonleaf", "plain", "int"])
@pytest.mark.parametrize("view", NOGRAD_VIEWS)
def test_view_made_in_no_grad_like_torch(torch, view, base_kind):
    def run(L):
        leaf = L.tensor([0.5, -1.0, 2.0, 3.0], requires_grad=True)
        base = {"leaf": leaf, "nonleaf": leaf * 2, "plain": L.ones(4),
                "int": L.arange(4)}[base_kind]
        with L.no_grad():
            v = NOGRAD_VIEWS[view](base)
        facts = [v._is_view(), v._base is base, v.requires_grad, v.is_leaf, v.grad_fn]
        if v.is_floating_point():
            y = v * 3.0
            facts += [y.requires_grad, [e[0] for e in getattr(y.grad_fn, "next_functions", ())]]
            facts.append(outcome(lambda: y.sum().backward()) if y.requires_grad else None)
            facts.append(leaf.grad)
            facts.append(outcome(lambda: v.backward(L.ones_like(v))))
        return repr(facts).replace("torch.", "").replace("ndgrad.", "")

    same_outcome(outcome(lambda: run(ndgrad)), outcome(lambda: run(torch)))


# *** in-place ops whose other operand does not broadcast into self ***

INPLACE_BROADCAST = {
    "add_": lambda a, b, m: a.add_(b), "sub_": lambda a, b, m: a.sub_(b, alpha=2),
    "mul_": lambda a, b, m: a.mul_(b), "div_": lambda a, b, m: a.div_(b),
    "true_divide_": lambda a, b, m: a.true_divide_(b), "pow_": lambda a, b, m: a.pow_(b),
    "atan2_": lambda a, b, m: a.atan2_(b), "fmod_": lambda a, b, m: a.fmod_(b),
    "remainder_": lambda a, b, m: a.remainder_(b), "hypot_": lambda a, b, m: a.hypot_(b),
    "copysign_": lambda a, b, m: a.copysign_(b), "xlogy_": lambda a, b, m: a.xlogy_(b),
    "floor_divide_": lambda a, b, m: a.floor_divide_(b), "lerp_": lambda a, b, m: a.lerp_(b, 0.5),
    "lerp_weight": lambda a, b, m: a.lerp_(a.clone(), b),
    "addcmul_": lambda a, b, m: a.addcmul_(b, b), "addcdiv_": lambda a, b, m: a.addcdiv_(b, b),
    "clamp_": lambda a, b, m: a.clamp_(min=b), "clamp_max_": lambda a, b, m: a.clamp_max_(b),
    "masked_fill_": lambda a, b, m: a.masked_fill_(m, 1.0), "eq_": lambda a, b, m: a.eq_(b),
    "lt_": lambda a, b, m: a.lt_(b), "ge_": lambda a, b, m: a.ge_(b),
    "logical_and_": lambda a, b, m: a.logical_and_(b), "copy_": lambda a, b, m: a.copy_(b),
    "copy_mismatch": lambda a, b, m: a.copy_(b[:, :2]), "add_mismatch": lambda a, b, m: a.add_(
        b[:, :2]),
    "add_ok": lambda a, b, m: a.add_(b[0]),
}


@pytest.mark.parametrize("rg", [False, True], ids=["plain", "requires_grad"])
@pytest.mark.parametrize("case", INPLACE_BROADCAST)
def test_inplace_broadcast_error_like_torch(torch, case, rg):
    def run(L):
        a = L.tensor([1.5, 2.0, 3.0]) * 1
        b = L.tensor([[0.5, 1.0, 2.0], [1.5, 2.5, 3.5]], requires_grad=rg)
        m = L.tensor([[True, False, True], [False, True, False]])
        out = INPLACE_BROADCAST[case](a, b, m)
        return out.tolist(), a.tolist()

    same_outcome(outcome(lambda: run(ndgrad)), outcome(lambda: run(torch)))


def test_failed_inplace_loses_nothing():
    a = ndgrad.tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        a.add_(ndgrad.ones(2, 3))
    assert a.tolist() == [1.0, 2.0, 3.0] and a._version == 0


# *** view_as, reshape_as, expand_as, type_as ***

AS_METHODS = {
    "view_as": lambda L, x: x.view_as(L.zeros(3, 2)),
    "view_as_bad": lambda L, x: x.view_as(L.zeros(4)),
    "view_as_t": lambda L, x: x.t().view_as(L.zeros(6)),
    "reshape_as": lambda L, x: x.reshape_as(L.zeros(6)),
    "reshape_as_t": lambda L, x: x.t().reshape_as(L.zeros(6)),
    "expand_as": lambda L, x: x[:1].expand_as(L.zeros(4, 3)),
    "type_as": lambda L, x: x.type_as(L.zeros(1, dtype=L.float64)),
    "type_as_int": lambda L, x: x.type_as(L.zeros(1, dtype=L.int64)),
}


@pytest.mark.parametrize("case", AS_METHODS)
def test_as_methods_like_torch(torch, case):
    def run(L):
        x = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = AS_METHODS[case](L, x)
        grad = None
        if y.requires_grad:
            (y * L.arange(float(y.numel())).view(y.shape).to(y.dtype)).sum().backward()
            grad = x.grad.tolist()
        return (tuple(y.shape), str(y.dtype).replace("torch.", ""), y._is_view(),
                type(y.grad_fn).__name__, y.tolist(), grad)

    same_outcome(outcome(lambda: run(ndgrad)), outcome(lambda: run(torch)))


# *** submodules reachable as attributes after a bare import ***

SUBMODULES = ["utils.checkpoint", "utils.data", "nn.functional", "nn.init", "nn.utils",
              "autograd.functional", "autograd.forward_ad", "autograd.graph", "optim.lr_scheduler",
              "func", "linalg", "nn.parameter", "nn.modules"]


def test_submodules_are_attributes_after_bare_import(torch):
    probe = ("import importlib, sys\nm = importlib.import_module(sys.argv[1])\n"
             "for name in sys.argv[2:]:\n    o = m\n    for p in name.split('.'):\n"
             "        o = getattr(o, p, None)\n    print(name, o is not None)\n")
    found = {}
    for lib in ("ndgrad", "torch"):
        out = subprocess.run([sys.executable, "-c", probe, lib] + SUBMODULES, capture_output=True,
                             text=True, check=True).stdout
        found[lib] = out.split("\n")
    assert found["ndgrad"] == found["torch"]
    assert all(line.endswith("True") for line in found["torch"] if line)


def test_anomaly_mode_queries_like_torch(torch):
    for L in (ndgrad, torch):
        assert (L.is_anomaly_enabled(), L.is_anomaly_check_nan_enabled()) == (False, True)
        L.set_anomaly_enabled(True, check_nan=False)
        try:
            assert (L.is_anomaly_enabled(), L.is_anomaly_check_nan_enabled()) == (True, False)
        finally:
            L.set_anomaly_enabled(False)
        assert (L.is_anomaly_enabled(), L.is_anomaly_check_nan_enabled()) == (False, True)
        with pytest.warns(UserWarning):
            with L.autograd.detect_anomaly(check_nan=False):
                assert (L.is_anomaly_enabled(), L.is_anomaly_check_nan_enabled()) == (True, False)
        assert not L.is_anomaly_enabled()



# *** more things a new user tries ***

def _zero_grad_after_create_graph(L):
    x = L.ones(2, 2, requires_grad=True)
    (x.view(4).exp()).sum().backward(create_graph=True)
    opt = L.optim.SGD([x], lr=0.1)
    opt.zero_grad(set_to_none=False)
    return x.grad._is_view(), x.grad.tolist()


NEW_USER = {
    "detach_view_inplace": lambda L, a: (a * 1)[:2].detach_(),
    "detach_nonleaf_inplace": lambda L, a: (lambda y: (y.detach_(), y.requires_grad))(a * 1)[1],
    "requires_grad__true_nonleaf": lambda L, a: (a * 2).requires_grad_(True).requires_grad,
    "requires_grad__false_nonleaf": lambda L, a: (a * 2).requires_grad_(False),
    "requires_grad__int": lambda L, a: L.tensor([1, 2]).requires_grad_(),
    "set_requires_grad_nonleaf": lambda L, a: setattr(a * 2, "requires_grad", True),
    "nograd_view_requires_grad_false": lambda L, a: (lambda v: (
        v.requires_grad_(False), v.requires_grad))(_nograd_view(L, a))[1],
    "view_of_plain_made_leaf": lambda L, a: (lambda w: (
        w.requires_grad_(), (w * 2).sum().backward(), w.grad.tolist()))(L.ones(3)[:2])[2],
    "zero_grad_after_create_graph": lambda L, a: _zero_grad_after_create_graph(L),
    "version_through_detach": lambda L, a: (lambda t: (t.detach().add_(1), t._version))(
        L.ones(3))[1],
    "version_through_view": lambda L, a: (lambda t: (t[1:].add_(1), t._version))(L.ones(3))[1],
    "empty_inplace": lambda L, a: L.zeros(0, 3).exp_().shape,
    "empty_expanded_inplace": lambda L, a: L.zeros(0, 1).expand(0, 3).add_(1).shape,
}


def _nograd_view(L, a):
    with L.no_grad():
        return a[:2]


@pytest.mark.parametrize("case", NEW_USER)
def test_new_user_semantics_like_torch(torch, case):
    def run(L):
        return NEW_USER[case](L, L.tensor([0.5, -1.0, 2.0], requires_grad=True))

    same_outcome(outcome(lambda: run(ndgrad)), outcome(lambda: run(torch)))


# *** in-place matrix products on a self of another shape: addbmm_ resizes, the rest refuse ***

INPLACE_PRODUCTS = {
    "addbmm_": lambda s, m: s.addbmm_(m.reshape(2, 3, 2), m.reshape(2, 2, 3)),
    "addmm_": lambda s, m: s.addmm_(m.reshape(3, 4), m.reshape(4, 3)),
    "baddbmm_": lambda s, m: s.baddbmm_(m.reshape(2, 3, 2), m.reshape(2, 2, 3)),
    "addmv_": lambda s, m: s.addmv_(m.reshape(3, 4), m[:4]),
    "addr_": lambda s, m: s.addr_(m[:3], m[:3]),
}


@pytest.mark.parametrize("self_shape", [(1,), (3,), (1, 1), (1, 3)])
@pytest.mark.parametrize("rg", [False, True], ids=["plain", "requires_grad"])
@pytest.mark.parametrize("case", INPLACE_PRODUCTS)
def test_inplace_product_self_shape_like_torch(torch, case, rg, self_shape):
    def run(L):
        leaf = L.linspace(0.5, 1.5, int(np.prod(self_shape)), dtype=L.float64).reshape(
            self_shape).requires_grad_(rg)
        s = leaf * 1
        m = L.linspace(-1.0, 2.0, 12, dtype=L.float64)
        out = INPLACE_PRODUCTS[case](s, m)
        grads = None
        if rg:
            out.pow(2).sum().backward()
            grads = leaf.grad.tolist()
        return out is s, list(s.shape), out.tolist(), grads

    same_outcome(outcome(lambda: run(ndgrad)), outcome(lambda: run(torch)))


@pytest.mark.parametrize("self_shape", [(2, 4), (2, 3, 3), (3, 1), (1,)])
@pytest.mark.parametrize("op", ["addr", "addmm", "baddbmm"])
def test_product_input_expand_error_like_torch(torch, op, self_shape):
    def run(L):
        m = L.linspace(-1.0, 2.0, 12, dtype=L.float64)
        args = {"addr": (m[:3], m[:3]), "addmm": (m.reshape(3, 4), m.reshape(4, 3)),
                "baddbmm": (m.reshape(2, 3, 2), m.reshape(2, 2, 3))}[op]
        return getattr(L, op)(L.ones(self_shape, dtype=L.float64), *args).tolist()

    same_outcome(outcome(lambda: run(ndgrad)), outcome(lambda: run(torch)))


# *** in-place ops whose input shares part of the written memory (torch: an error) ***

OVERLAPS = {
    "row_into_all": lambda x: x.add_(x[0]), "other_row": lambda x: x[0].add_(x[1]),
    "self": lambda x: x.add_(x), "transpose": lambda x: x.add_(x.t()),
    "same_row": lambda x: x[0].add_(x[0]), "strided_too_hard": lambda x: x[:, 0].mul_(x[0]),
    "same_memory_other_view": lambda x: x.add_(x.view(9).view(3, 3)),
    "shifted": lambda x: x.view(9)[1:].sub_(x.view(9)[:-1]),
    "shifted_copy": lambda x: x[1:].copy_(x[:-1]),
    "disjoint_halves": lambda x: x.view(9)[:4].mul_(x.view(9)[4:8]),
    "transposed_self": lambda x: x.t().add_(x), "rows_shifted": lambda x: x[:2].add_(x[1:]),
    "keyword_tensor": lambda x: x.clamp_(min=x[0]),
    "three_inputs": lambda x: x.view(9)[3:].addcmul_(x.view(9)[:6], x.view(9)[:6]),
}


@pytest.mark.parametrize("grad_mode", [False, True], ids=["no_grad", "grad"])
@pytest.mark.parametrize("case", OVERLAPS)
def test_inplace_partial_overlap_like_torch(torch, case, grad_mode):
    def run(L):
        x = L.arange(9.).reshape(3, 3)
        with L.set_grad_enabled(grad_mode):
            OVERLAPS[case](x)
        return x.tolist()

    same_outcome(outcome(lambda: run(ndgrad)), outcome(lambda: run(torch)))
