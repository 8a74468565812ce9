"""Mutation semantics against torch: views, in-place ops, version counters, refusals.

Each scenario is written once against a library `L` (ndgrad or torch) and returns what a user
can observe; the test runs it with both and compares (values, grads, grad_fn names, versions,
and for refusals the exception type and message)."""
import numpy as np
import pytest

import ndgrad

A = np.arange(12, dtype=np.float32).reshape(3, 4) / 10 - 0.5


def leaf(L, shape=(3, 4)):
    return L.tensor(A[: shape[0], : shape[1]] if len(shape) == 2 else A.ravel()[: shape[0]],
                    requires_grad=True)


def name(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


def obs(**kw):
    out = {}
    for k, v in kw.items():
        if hasattr(v, "detach"):
            v = np.asarray(v.detach().tolist())
        out[k] = v
    return out


def backprop(out, *leaves):
    out.sum().backward()
    return [None if x.grad is None else np.asarray(x.grad.tolist()) for x in leaves]


SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


# *** views share memory and version counters ***

@scenario
def view_shares_memory(L):
    x = L.zeros(3, 4)
    v = x.view(12)
    v[0] = 5.0
    x[2, 3] = 7.0
    return obs(x=x, v=v, xv=x._version, vv=v._version, is_view=v._is_view(), base=v._base is x)


@scenario
def views_of_many_kinds(L):
    x = L.zeros(3, 4)
    views = [x.t(), x.T, x.transpose(0, 1), x.reshape(12), x.flatten(), x.unsqueeze(0),
             x[None].squeeze(0), x.narrow(1, 1, 2), x.select(0, 1), x[1], x[:, 1:3], x[..., 0],
             x[None, 1], x.permute(1, 0), x[0:1].expand(5, 4)]
    flags = [(v._is_view(), v._base is x) for v in views]
    for i, v in enumerate(views[:12]):
        v.add_(1) if i < 12 and not v.stride().__contains__(0) else None
    return obs(flags=flags, x=x, version=x._version)


@scenario
def advanced_indexing_copies(L):
    x = L.zeros(3, 4)
    y = x[[0, 2]]
    y.fill_(1.0)
    m = x[x == 0]
    return obs(x=x, is_view=y._is_view(), mview=m._is_view(), y=y)


@scenario
def reshape_of_non_contiguous_copies(L):
    x = L.zeros(3, 4)
    y = x.t().reshape(12)
    y.fill_(2.0)
    return obs(x=x, is_view=y._is_view())


@scenario
def detach_shares_version_counter(L):
    x = leaf(L)
    d = x.detach()
    with L.no_grad():
        d.mul_(2)
    return obs(x=x, xv=x._version, dv=d._version)


@scenario
def data_mul_changes_leaf(L):
    w = leaf(L)
    w.data.mul_(0.5)
    out = (w * 3).sum()
    out.backward()
    return obs(w=w, grad=w.grad, requires=w.requires_grad)


# *** in-place on non-leaves, recorded ***

@scenario
def add_inplace_on_non_leaf(L):
    x = leaf(L)
    y = x * 2
    y.add_(1)
    g, = backprop(y * y, x)
    return obs(y=y, name=name(y), version=y._version, g=g)


@scenario
def augmented_operators(L):
    x = leaf(L)
    y = x * 1
    y += 1
    y *= x
    y -= 0.5
    y /= 2
    g, = backprop(y, x)
    return obs(y=y, name=name(y), version=y._version, g=g)


@scenario
def matmul_assign_rebinds(L):
    x = L.ones(2, 2)
    ref = x
    x @= L.ones(2, 2)
    return obs(rebinds=x is not ref, ref=ref)


@scenario
def exp_inplace_saves_result(L):
    x = leaf(L)
    y = (x * 1).exp_()
    g, = backprop(y, x)
    return obs(name=name(y), g=g)


@scenario
def sigmoid_inplace(L):
    x = leaf(L)
    y = (x * 2).sigmoid_()
    g, = backprop(y * 3, x)
    return obs(name=name(y), g=g, y=y)


@scenario
def tanh_inplace_then_modified_again(L):
    x = leaf(L)
    y = (x * 2).tanh_()
    y.mul_(2)
    g, = backprop(y, x)
    return obs(name=name(y), g=g)


@scenario
def relu_inplace_then_reuse(L):
    x = leaf(L)
    h = (x * 2).relu_()
    out = (h * h).sum()
    g, = backprop(out, x)
    return obs(name=name(h), g=g)


@scenario
def mul_inplace_by_tensor_requiring_grad(L):
    x = leaf(L)
    w = leaf(L) * 0 + 0.3
    y = x * 1
    y.mul_(w)
    g, = backprop(y, x)
    return obs(name=name(y), g=g)


@scenario
def inplace_on_tensor_without_grad_by_tensor_with_grad(L):
    w = leaf(L)
    y = L.zeros(3, 4)
    y.add_(w * 2)
    g, = backprop(y, w)
    return obs(name=name(y), leaf=y.is_leaf, requires=y.requires_grad, g=g)


@scenario
def zero_and_fill_on_non_leaf(L):
    x = leaf(L)
    y, z = x * 2, x * 3
    y.zero_()
    z.fill_(2.0)
    g, = backprop(y + z + x, x)
    return obs(ny=name(y), nz=name(z), g=g)


@scenario
def copy_into_non_leaf(L):
    x = leaf(L)
    s = leaf(L)
    y = x * 2
    y.copy_(s * 3)
    gx, gs = backprop(y, x, s)
    return obs(name=name(y), gx=gx, gs=gs)


@scenario
def copy_broadcasts_and_casts(L):
    y = L.zeros(3, 4, dtype=L.float64)
    y.copy_(L.tensor([1, 2, 3, 4]))
    return obs(y=y, dtype=str(y.dtype), version=y._version)


@scenario
def clamp_inplace(L):
    x = leaf(L)
    y = (x * 3).clamp_(-0.5, 0.5)
    g, = backprop(y, x)
    return obs(name=name(y), g=g)


# *** writes through views ***

@scenario
def setitem_value_requires_grad(L):
    x = L.zeros(3, 4)
    y = leaf(L)[0] * 2
    x[1] = y
    g = L.autograd.grad(x.sum(), y)[0]
    return obs(name=name(x), x=x, g=g, version=x._version)


@scenario
def setitem_on_slice_of_non_leaf(L):
    a = leaf(L)
    b = a * 2
    b[:, 1] = 0.0
    g, = backprop(b * b, a)
    return obs(name=name(b), g=g, version=b._version)


@scenario
def inplace_on_view_of_non_leaf(L):
    a = leaf(L)
    b = a * 2
    v = b[0]
    v.mul_(3)
    g, = backprop(b, a)
    return obs(nb=name(b), nv=name(v), g=g, bv=b._version, vv=v._version, b=b)


@scenario
def inplace_on_transposed_view(L):
    a = leaf(L)
    b = a * 1
    b.t()[1:3].add_(10)
    g, = backprop(b * b, a)
    return obs(nb=name(b), g=g, b=b)


@scenario
def two_views_one_modified(L):
    a = leaf(L)
    b = a * 2
    v1, v2 = b[0], b[1]
    v1.mul_(2)
    out = (v2 * 3).sum() + (v1 * v1).sum()
    g, = backprop(out, a)
    return obs(n1=name(v1), n2=name(v2), g=g)


@scenario
def view_used_after_base_modified(L):
    a = leaf(L)
    b = a * 1
    v = b[1:]
    b.add_(1)
    g, = backprop(v * v, a)
    return obs(nv=name(v), g=g, v=v)


@scenario
def mask_assignment(L):
    a = leaf(L)
    b = a * 1
    b[b > 0] = 0.0
    g, = backprop(b * 2, a)
    return obs(name=name(b), g=g, b=b)


@scenario
def index_list_assignment(L):
    a = leaf(L)
    b = a * 1
    b[[0, 2]] = L.ones(2, 4)
    g, = backprop(b * 2, a)
    return obs(name=name(b), g=g)


@scenario
def view_of_view_modified(L):
    a = leaf(L)
    b = a * 2
    v = b[1:][:, :2]
    v.zero_()
    g, = backprop(b * b, a)
    return obs(nb=name(b), g=g, b=b)


# *** version counters and saved tensors ***

@scenario
def versions_count_every_inplace(L):
    x = L.zeros(3)
    versions = [x._version]
    x.add_(1); versions.append(x._version)
    x[0] = 2.0; versions.append(x._version)
    x.mul_(2).sub_(1); versions.append(x._version)
    x += 1; versions.append(x._version)
    v = x[1:]
    v.zero_(); versions.append((x._version, v._version))
    return obs(versions=versions, x=x)


@scenario
def modified_saved_input_raises(L):
    x = leaf(L)
    h = x * 1
    out = h * h
    h.add_(1)
    out.sum().backward()


@scenario
def modified_saved_output_raises(L):
    x = leaf(L)
    y = x.exp()
    y.add_(1)
    y.sum().backward()


@scenario
def relu_inplace_after_saved_tensor_raises(L):
    x = leaf(L)
    h = x * 1
    s = h.sigmoid()
    out = (s * h).sum()
    h.relu_()
    out.backward()


@scenario
def sigmoid_inplace_whose_output_is_saved_raises(L):
    x = leaf(L)
    y = (x * 1).sigmoid_()
    z = y * 2
    y.mul_(3)
    (z + y).sum().backward()


@scenario
def leaf_modified_under_no_grad_after_save_raises(L):
    w = leaf(L)
    out = (w * w).sum()
    with L.no_grad():
        w.add_(1)
    out.backward()


@scenario
def modification_not_needed_by_backward_is_fine(L):
    x = leaf(L)
    h = x * 2
    out = h + 1  # add saves nothing
    h.mul_(5)
    g, = backprop(out, x)
    return obs(g=g, version=h._version)


# *** refusals ***

@scenario
def leaf_inplace_refused(L):
    w = leaf(L)
    w.add_(1)


@scenario
def leaf_augmented_refused(L):
    w = leaf(L)
    w += 1


@scenario
def view_of_leaf_refused(L):
    w = leaf(L)
    w[0].mul_(2)


@scenario
def setitem_on_leaf_refused(L):
    w = leaf(L)
    w[0] = 1.0


@scenario
def no_grad_view_modified_in_grad_mode_refused(L):
    a = leaf(L) * 1
    with L.no_grad():
        v = a[0]
    v.mul_(2)


@scenario
def expanded_inplace_refused(L):
    c = leaf(L, (3,)) * 1
    e = c[None].expand(4, 3)
    e.mul_(2)


@scenario
def expanded_fill_allowed(L):
    c = L.zeros(3)
    e = c[None].expand(4, 3)
    e.fill_(1.0)
    e.zero_()
    f = L.zeros(1).expand(3)
    f.fill_(2.0)
    return obs(c=c, f=f, version=c._version)


@scenario
def int_inplace_with_float_refused(L):
    x = L.ones(3, dtype=L.int64)
    x.add_(1.5)


# *** allowed idioms ***

@scenario
def optimizer_update_under_no_grad(L):
    w = leaf(L)
    (w * w).sum().backward()
    with L.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
    (w * 3).sum().backward()
    return obs(w=w, grad=w.grad, version=w._version, leaf=w.is_leaf)


@scenario
def no_grad_setitem_on_leaf(L):
    w = leaf(L)
    with L.no_grad():
        w[0] = 0.0
        w[:, 1].fill_(3.0)
    (w * w).sum().backward()
    return obs(w=w, grad=w.grad, version=w._version)


@scenario
def requires_grad_after_inplace_on_plain_tensor(L):
    x = L.zeros(3)
    x.add_(1)
    x.requires_grad_()
    (x * 2).sum().backward()
    return obs(grad=x.grad, version=x._version)


@scenario
def inplace_returns_self(L):
    x = L.zeros(3)
    return obs(same=[x.add_(1) is x, x.mul_(2) is x, x.zero_() is x, x.fill_(1) is x,
                     x.copy_(L.ones(3)) is x, x.clamp_(0, 1) is x])


@pytest.mark.parametrize("scenario_name", list(SCENARIOS))
def test_scenario_matches_torch(scenario_name, torch):
    fn = SCENARIOS[scenario_name]

    def run(L):
        try:
            return "ok", fn(L)
        except Exception as e:  # the refusals are part of what is compared
            return "raised", (type(e).__name__, str(e).split("\n")[0])

    ours, theirs = run(ndgrad), run(torch)
    assert ours[0] == theirs[0], f"ndgrad {ours} vs torch {theirs}"
    if ours[0] == "raised":
        assert ours[1] == theirs[1]
        return
    assert ours[1].keys() == theirs[1].keys()
    for k in theirs[1]:
        a, b = ours[1][k], theirs[1][k]
        if isinstance(b, np.ndarray) or isinstance(a, np.ndarray):
            np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                       rtol=1e-5, atol=1e-6, err_msg=k)
        else:
            assert a == b, f"{k}: ndgrad {a!r} vs torch {b!r}"


def test_scenario_count():
    assert len(SCENARIOS) >= 40


def test_version_error_names_both_source_lines():
    x = ndgrad.randn(3, requires_grad=True)
    h = x * 1
    out = (h * h).sum()  # SAVED_HERE
    h.add_(1)  # MODIFIED_HERE
    with pytest.raises(RuntimeError) as info:
        out.backward()
    msg = str(info.value)
    import inspect

    src = inspect.getsource(test_version_error_names_both_source_lines).splitlines()
    first = inspect.getsourcelines(test_version_error_names_both_source_lines)[1]
    saved_line = first + next(i for i, s in enumerate(src) if "SAVED_HERE" in s)
    modified_line = first + next(i for i, s in enumerate(src) if "MODIFIED_HERE" in s)
    assert f"test_mutation.py:{saved_line}" in msg
    assert f"test_mutation.py:{modified_line}" in msg
