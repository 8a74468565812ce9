"""The conformance harness itself: a broken op, gradient, name or module must be caught at the
right stage, and a result that differs from the committed report must fail its test."""
import pytest

import ndgrad
from conformance.report import verdict
from conformance.result import FAIL, NOT_IMPLEMENTED, PASS, Result


@pytest.fixture
def check(torch):
    from conformance.db import opinfos
    from conformance.ops import check_opinfo

    return lambda name: check_opinfo(opinfos()[name])


def _sin_function(backward):
    class Sin(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return backward(grad, x)

    return Sin.apply


def test_intact_op_passes(check):
    assert check("sin").status == PASS


def test_wrong_values_fail_forward(check, monkeypatch):
    monkeypatch.setattr(ndgrad, "sin", ndgrad.cos)
    result = check("sin")
    assert (result.status, result.stage, result.category) == (FAIL, "forward", "values differ")
    assert "sample 0" in result.detail


def test_wrong_gradient_fails_backward(check, monkeypatch):
    monkeypatch.setattr(ndgrad, "sin", _sin_function(lambda g, x: 2 * g * x.cos()))
    result = check("sin")
    assert (result.status, result.stage, result.category) == (FAIL, "backward", "values differ")


def test_wrong_second_derivative_fails_gradgrad(check, monkeypatch):
    monkeypatch.setattr(ndgrad, "sin", _sin_function(lambda g, x: g * x.detach().cos()))
    result = check("sin")
    assert (result.status, result.stage) == (FAIL, "gradgrad")


def test_gradient_off_by_a_millionth_fails(check, monkeypatch):
    # sin's derivative is well-conditioned: torch's rounding spread cannot excuse 1e-6
    monkeypatch.setattr(ndgrad, "sin", _sin_function(lambda g, x: g * x.cos() * (1 + 1e-6)))
    result = check("sin")
    assert (result.status, result.stage, result.category) == (FAIL, "backward", "values differ")


@pytest.mark.parametrize("offset, verdict", [(0.0, True), (5e-6, True), (1e-4, False)])
def test_torch_rounding_spread_bounds_the_tolerance(torch, offset, verdict):
    import numpy as np
    from conformance.compare import Tolerance
    from conformance.oracle_noise import within_torch_noise

    def ill_conditioned(rng):  # torch's value moves by ~1e-6 under a few-ulp input change
        return [np.array([1.0 + (0.0 if rng is None else 1e-6 * rng.standard_normal())])]

    nd = [np.array([1.0 + offset])]
    assert within_torch_noise(ill_conditioned, nd, Tolerance(1e-7, 1e-7), seed=0) is verdict


def test_output_that_should_require_grad(check, monkeypatch):
    monkeypatch.setattr(ndgrad, "sin", lambda x: x.detach().sin())
    result = check("sin")
    assert (result.status, result.stage, result.category) == (FAIL, "forward", "requires_grad")


def test_crash_is_a_failure_with_the_exception(check, monkeypatch):
    def broken(x):
        raise ValueError("boom")

    monkeypatch.setattr(ndgrad.Tensor, "sin_", broken)
    result = check("sin")
    assert (result.status, result.stage, result.category) == (FAIL, "inplace forward",
                                                               "raises ValueError")
    assert "boom" in result.reason


def test_missing_names_are_not_implemented(check, monkeypatch):
    monkeypatch.delattr(ndgrad, "sin")
    monkeypatch.delattr(ndgrad.Tensor, "sin_")
    result = check("sin")
    assert result.status == NOT_IMPLEMENTED
    assert result.missing == ["torch.sin", "Tensor.sin_"]
    assert result.samples > 0  # the method variant still ran


def test_missing_method_called_by_test_code_is_named(torch):
    from conformance.names import missing_name

    def user_code(x):
        return x.no_such_method()

    with pytest.raises(AttributeError) as err:
        user_code(ndgrad.ones(2))
    assert missing_name(err.value) == "Tensor.no_such_method"


def test_torch_error_must_be_matched(torch):
    from conformance.harness import Failure, run_pair

    def torch_call():
        raise RuntimeError("output with shape [5, 1] doesn't match the broadcast shape [5, 5]")

    def nd_call():
        raise ValueError("could not broadcast")

    with pytest.raises(Failure) as err:
        run_pair("inplace forward", torch_call, nd_call)
    assert err.value.category == "torch raises RuntimeError, ndgrad raises ValueError"
    assert run_pair("forward", torch_call, lambda: torch_call())[2] is True


def test_broken_module_fails(torch, monkeypatch):
    from conformance.db import moduleinfos
    from conformance.modules import check_moduleinfo

    monkeypatch.setattr(ndgrad.nn.ReLU, "forward", lambda self, x: x * 2)
    result = check_moduleinfo(moduleinfos()["nn.ReLU"])
    assert (result.status, result.stage, result.category) == (FAIL, "forward", "values differ")


def test_module_parameters_are_copied_from_torch(torch):
    from conformance.db import moduleinfos
    from conformance.modules import check_moduleinfo

    assert check_moduleinfo(moduleinfos()["nn.Linear"]).status == PASS


def test_sample_objects_are_rebuilt_in_ndgrad(torch):
    # an options dataclass maps field by field to ndgrad's class at torch's path; a module made
    # while samples are drawn (a distance_function) is rebuilt from its recorded constructor
    from conformance.modules import record_constructors
    from conformance.names import map_value

    options = map_value(torch.nn.LinearCrossEntropyOptions(batch_chunk_size=3))
    assert isinstance(options, ndgrad.nn.LinearCrossEntropyOptions)
    assert options.batch_chunk_size == 3
    with record_constructors():
        distance = torch.nn.PairwiseDistance(p=3.0)
    rebuilt = map_value(distance)
    assert isinstance(rebuilt, ndgrad.nn.PairwiseDistance) and rebuilt.norm == 3.0


def test_no_second_order_check_where_torch_marks_its_own_failing(torch):
    from conformance.db import opinfos
    from conformance.sample_checks import _expected_failure

    chunked = opinfos()["nn.functional.linear_cross_entropy.chunked"]
    assert _expected_failure(chunked, "TestBwdGradients", "test_fn_gradgrad")
    assert not _expected_failure(opinfos()["sin"], "TestBwdGradients", "test_fn_gradgrad")


@pytest.mark.parametrize("now, recorded, outcome", [
    (Result("a", "op", PASS), {"status": "pass"}, "pass"),
    (Result("a", "op", PASS), {"status": "fail", "stage": "forward"}, "stale"),
    (Result("a", "op", FAIL, stage="forward"), {"status": "fail", "stage": "forward"}, "xfail"),
    (Result("a", "op", FAIL, stage="backward"), {"status": "fail", "stage": "forward"}, "stale"),
    (Result("a", "op", FAIL, stage="forward"), {"status": "pass"}, "stale"),
    (Result("a", "op", NOT_IMPLEMENTED, missing=["torch.a"]),
     {"status": "not implemented", "missing": ["torch.a"]}, "skip"),
    (Result("a", "op", NOT_IMPLEMENTED, missing=["Tensor.a_"]),
     {"status": "not implemented", "missing": ["torch.a", "Tensor.a_"]}, "stale"),
    (Result("a", "op", PASS), None, "stale"),
])
def test_verdict_against_the_report(now, recorded, outcome):
    assert verdict(now, recorded)[0] == outcome


def test_loading_the_databases_leaves_torch_as_it_was(torch):
    from conformance.db import opinfos

    assert opinfos()
    assert not torch.backends.flags_frozen()  # common_utils freezes them on import
    assert type(torch._C.ScriptFunction.__call__).__name__ == "instancemethod"
