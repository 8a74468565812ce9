"""torch.func and torch.autograd.functional transforms against torch on the same functions."""
import numpy as np
import pytest

import ndgrad

X = np.array([0.3, -0.7, 1.1])
W = np.array([[0.2, -0.4, 0.1], [0.5, 0.3, -0.2]])


def f_scalar(L, x):
    return (x.sin() * x * x).sum() + x[0] * x[2]


def f_vector(L, x):
    return L.tanh(L.tensor(W, dtype=x.dtype) @ x) * x[:2]


def close(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            close(u, v)
        return
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(np.asarray(a.detach().tolist()), np.asarray(b.detach().tolist()),
                               rtol=1e-5, atol=1e-8)


TRANSFORMS = {
    "grad": lambda L, F: F.grad(lambda x: f_scalar(L, x)),
    "grad_grad_sum": lambda L, F: F.grad(lambda x: F.grad(lambda y: f_scalar(L, y))(x).sum()),
    "jacrev": lambda L, F: F.jacrev(lambda x: f_vector(L, x)),
    "jacfwd": lambda L, F: F.jacfwd(lambda x: f_vector(L, x)),
    "hessian": lambda L, F: F.hessian(lambda x: f_scalar(L, x)),
    "jacfwd_jacrev": lambda L, F: F.jacfwd(F.jacrev(lambda x: f_vector(L, x))),
    "jacrev_jacrev": lambda L, F: F.jacrev(F.jacrev(lambda x: f_vector(L, x))),
    "vmap_grad": lambda L, F: (lambda x: F.vmap(F.grad(lambda r: f_scalar(L, r)))(
        L.stack([x, x * 2, x - 1]))),
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_transform_matches_torch_func(name, torch):
    import torch.func  # noqa: F401

    ours = TRANSFORMS[name](ndgrad, ndgrad.func)(ndgrad.tensor(X, dtype=ndgrad.float64))
    theirs = TRANSFORMS[name](torch, torch.func)(torch.tensor(X, dtype=torch.float64))
    close(ours, theirs)
    assert not ours.requires_grad


def test_grad_argnums_has_aux_and_value(torch):
    import torch.func  # noqa: F401

    def run(L):
        f = lambda a, b: ((a * b).sum(), a + b)  # noqa: E731
        g, aux = L.func.grad(f, argnums=(0, 1), has_aux=True)(L.tensor(X), L.tensor(X * 2))
        gv = L.func.grad_and_value(lambda a: (a ** 2).sum())(L.tensor(X))
        return (*g, aux, *gv)

    close(run(ndgrad), run(torch))


def test_vjp_jvp_linearize(torch):
    import torch.func  # noqa: F401

    def run(L):
        x, t = L.tensor(X, dtype=L.float64), L.tensor([1.0, 0.5, -2.0], dtype=L.float64)
        out, fn = L.func.vjp(lambda a: f_vector(L, a), x)
        (ct,) = fn(L.ones(2, dtype=L.float64))
        p, tan = L.func.jvp(lambda a: f_vector(L, a), (x,), (t,))
        _, lin = L.func.linearize(lambda a: f_vector(L, a), x)
        return out, ct, p, tan, lin(t)

    close(run(ndgrad), run(torch))


def test_grad_error_for_non_scalar(torch):
    import torch.func  # noqa: F401

    for L in (ndgrad, torch):
        with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar"):
            L.func.grad(lambda x: x * 2)(L.ones(2))


@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp",
                                  "jacobian_fwd"])
def test_autograd_functional_matches_torch(name, torch):
    def run(L):
        F = L.autograd.functional
        x = L.tensor(X, dtype=L.float64)
        v2, v3 = L.tensor([1.0, -1.0], dtype=L.float64), L.tensor([0.5, 1.0, 2.0], dtype=L.float64)
        vec = lambda a: f_vector(L, a)  # noqa: E731
        sca = lambda a: f_scalar(L, a)  # noqa: E731
        return {
            "jacobian": lambda: F.jacobian(vec, x),
            "jacobian_fwd": lambda: F.jacobian(vec, x, vectorize=True, strategy="forward-mode"),
            "hessian": lambda: F.hessian(sca, x),
            "vjp": lambda: F.vjp(vec, x, v2),
            "jvp": lambda: F.jvp(vec, x, v3),
            "hvp": lambda: F.hvp(sca, x, v3),
            "vhp": lambda: F.vhp(sca, x, v3),
        }[name]()

    close(run(ndgrad), run(torch))


def test_per_sample_gradients_of_a_model_batched(torch):
    import torch.func  # noqa: F401

    def run(L):
        L.manual_seed(0)
        model = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), L.nn.Linear(8, 1))
        params = {k: v.detach() for k, v in model.named_parameters()}
        x, y = L.randn(6, 4), L.randn(6, 1)

        def loss(p, xb, yb):
            out = L.func.functional_call(model, p, (xb.unsqueeze(0),))
            return ((out - yb.unsqueeze(0)) ** 2).mean()

        grads = L.func.vmap(L.func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
        return [grads[k] for k in sorted(grads)]

    close(run(ndgrad), run(torch))
