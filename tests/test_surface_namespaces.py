"""torch.cuda, torch.backends, torch.accelerator, torch.mps, torch.cpu, torch.amp, torch.jit,
torch.compile, torch.functional, Variable, the runtime switches, new_*, memory formats and
bfloat16: each answers as a CPU-only torch build answers (checked against the installed one)."""
import pickle
import warnings

import numpy as np
import pytest

import ndgrad


def _outcome(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn()
        except Exception as e:  # noqa: BLE001 - the exception is what is compared
            return type(e).__name__, str(e).split("\n")[0][:80]
    kinds = sorted({w.category.__name__ for w in caught})
    if value is None or isinstance(value, (bool, int, float, str, list, tuple)):
        return "ok", value, kinds
    return "ok", type(value).__name__, kinds


SAME_AS_TORCH = [
    "cuda.is_available()", "cuda.device_count()", "cuda.is_initialized()", "cuda.manual_seed(0)",
    "cuda.manual_seed_all(1)", "cuda.seed()", "cuda.seed_all()", "cuda.empty_cache()",
    "cuda.synchronize()", "cuda.initial_seed()", "cuda.current_device()",
    "cuda.get_device_name()", "cuda.get_device_name(0)", "cuda.get_device_capability()",
    "cuda.get_device_properties(0)", "cuda.init()", "cuda.get_rng_state()",
    "cuda.get_rng_state_all()", "cuda.memory_allocated()", "cuda.max_memory_allocated()",
    "cuda.memory_reserved()", "cuda.max_memory_reserved()", "cuda.memory_cached()",
    "cuda.mem_get_info()", "cuda.is_bf16_supported()", "cuda.get_arch_list()",
    "cuda.set_device('cpu')", "cuda.Stream()", "cuda.current_stream()", "cuda.ipc_collect()",
    "cuda.set_rng_state(lib.ones(2))", "cuda.is_tf32_supported()",
    "backends.cudnn.is_available()", "backends.cudnn.enabled", "backends.cudnn.benchmark",
    "backends.cudnn.deterministic", "backends.cudnn.allow_tf32", "backends.cudnn.version()",
    "backends.cudnn.benchmark_limit", "backends.mps.is_available()", "backends.mps.is_built()",
    "backends.mps.is_macos13_or_newer()", "backends.cuda.is_built()",
    "backends.cuda.matmul.allow_tf32",
    "backends.cuda.matmul.allow_fp16_reduced_precision_reduction",
    "backends.cuda.flash_sdp_enabled()", "backends.cuda.math_sdp_enabled()",
    "backends.mkldnn.is_available()", "backends.mkldnn.enabled", "backends.mkl.is_available()",
    "backends.openmp.is_available()", "backends.opt_einsum.is_available()",
    "backends.opt_einsum.enabled", "backends.mha.get_fastpath_enabled()",
    "backends.nnpack.is_available()", "backends.flags_frozen()",
    "backends.cpu.get_cpu_capability()",
    "accelerator.is_available()", "accelerator.device_count()",
    "accelerator.current_accelerator()", "accelerator.current_accelerator(True)",
    "accelerator.current_device_index()", "accelerator.synchronize()",
    "accelerator.set_device_index(0)", "accelerator.empty_cache()",
    "mps.is_available()", "mps.device_count()", "mps.manual_seed(0)", "mps.synchronize()",
    "mps.empty_cache()", "mps.seed()",
    "cpu.is_available()", "cpu.device_count()", "cpu.synchronize()", "cpu.current_device()",
    "cpu.is_initialized()",
    "amp.is_autocast_available('cpu')", "amp.GradScaler('cuda').is_enabled()",
    "amp.GradScaler('cuda').get_scale()", "amp.GradScaler('cpu').get_scale()",
    "amp.GradScaler('cuda').state_dict()", "cuda.amp.GradScaler().is_enabled()",
    "jit.is_scripting()", "jit.is_tracing()",
    "is_nonzero(lib.tensor([1]))", "is_nonzero(lib.tensor([0.]))",
    "is_nonzero(lib.tensor([1, 2]))", "is_nonzero(lib.tensor([]))",
    "are_deterministic_algorithms_enabled()", "is_deterministic_algorithms_warn_only_enabled()",
    "get_float32_matmul_precision()", "get_deterministic_debug_mode()",
    "autograd.Variable(lib.ones(2)).requires_grad",
    "autograd.Variable(lib.ones(2), requires_grad=True).requires_grad",
    "autograd.Variable(lib.ones(2), volatile=True).requires_grad",
    "autograd.Variable([1, 2])", "autograd.Variable().shape",
    "isinstance(lib.ones(1), lib.autograd.Variable)", "isinstance(3, lib.autograd.Variable)",
    "ones(2).new_zeros(2, 3).tolist()", "ones(2, dtype=lib.int32).new_ones(2).dtype",
    "ones(2, dtype=lib.float64).new_full((2,), 3).tolist()",
    "ones(2, dtype=lib.float64).new_tensor([1, 2]).dtype",
    "ones(2).new_empty((3,), dtype=lib.int64).dtype", "ones(2).new_zeros((2,), "
    "requires_grad=True).requires_grad",
    "repr(lib.contiguous_format)", "repr(lib.channels_last)", "repr(lib.preserve_format)",
    "repr(lib.channels_last_3d)", "repr(lib.strided)", "repr(lib.sparse_coo)",
    "ones(1).layout == lib.strided", "zeros(2, layout=lib.strided).shape",
    "randn(2, 3, 4, 5).contiguous(memory_format=lib.channels_last).stride()",
    "randn(2, 3, 4, 5).contiguous(memory_format=lib.channels_last).is_contiguous()",
    "randn(2, 3, 4, 5).contiguous(memory_format=lib.channels_last).is_contiguous("
    "memory_format=lib.channels_last)",
    "randn(2, 3).is_contiguous(memory_format=lib.channels_last)",
    "randn(2, 3).contiguous(memory_format=lib.channels_last)",
    "randn(2, 3, 4, 5, 6).contiguous(memory_format=lib.channels_last_3d).stride()",
    "empty(2, 3, 4, 5, memory_format=lib.channels_last).stride()",
    "empty(2, 3, memory_format=lib.channels_last)",
    "empty(2, 3, 4, 5, memory_format=lib.preserve_format)",
    "randn(2, 3, 4, 5).to(memory_format=lib.channels_last).stride()",
    "randn(2, 3, 4, 5).to(lib.float64, memory_format=lib.channels_last).stride()",
    "randn(2, 3, 4, 5).clone(memory_format=lib.channels_last).stride()",
    "zeros_like(randn(2, 3, 4, 5).contiguous(memory_format=lib.channels_last)).stride()",
    "empty_like(randn(2, 3, 4, 5), memory_format=lib.channels_last).stride()",
    "zeros_like(randn(2, 3, 4, 5), memory_format=lib.channels_last_3d)",
    "randn(2, 3, 4, 5).contiguous(memory_format=lib.contiguous_format).stride()",
    "nn.Conv2d(2, 3, 3).to(memory_format=lib.channels_last).weight.stride()",
    "cuda.FloatTensor([1.])", "cuda.LongTensor(2)", "ones(2).type(lib.cuda.FloatTensor)",
    "ones(2).type('torch.cuda.FloatTensor')", "ones(2).type('torch.DoubleTensor').dtype",
    "ones(2).type(lib.DoubleTensor).dtype", "ones(2).type(lib.IntTensor).tolist()",
    "ones(2).type('torch.Foo')", "ones(2).type()", "ones(2, dtype=lib.int8).type()",
    "isinstance(lib.ones(2), lib.FloatTensor)", "isinstance(lib.ones(2), lib.cuda.FloatTensor)",
    "isinstance(lib.ones(2).long(), lib.LongTensor)", "isinstance(lib.ones(2), lib.LongTensor)",
    "FloatTensor(2, 3).shape", "LongTensor([1, 2]).tolist()", "BoolTensor([1, 0]).tolist()",
    "ShortTensor([1]).dtype", "CharTensor([1]).dtype", "HalfTensor([1]).dtype",
    "ByteTensor([1]).dtype", "IntTensor([1]).dtype", "DoubleTensor([1]).dtype",
    "repr(lib.cuda.FloatTensor)", "repr(lib.FloatTensor)",
    "nn.Linear(2, 2).type(lib.DoubleTensor).weight.dtype",
    "promote_types(lib.bfloat16, lib.float32)", "repr(lib.bfloat16)",
    "lib.bfloat16.is_floating_point", "lib.bfloat16.itemsize",
]


@pytest.mark.parametrize("expr", SAME_AS_TORCH)
def test_answers_as_a_cpu_only_torch_build(expr, torch):
    def run(lib):
        return eval(expr, {"lib": lib, **{n: getattr(lib, n) for n in dir(lib)
                                          if not n.startswith("_")}})

    assert _outcome(lambda: run(ndgrad)) == _outcome(lambda: run(torch))


def test_backend_flags_are_settable_and_scoped(torch):
    cudnn = ndgrad.backends.cudnn
    try:
        cudnn.benchmark = True
        cudnn.deterministic = True
        assert cudnn.benchmark and cudnn.deterministic
        with cudnn.flags(enabled=False, benchmark=False):
            assert not cudnn.enabled and not cudnn.benchmark
        assert cudnn.enabled and cudnn.benchmark
    finally:
        cudnn.benchmark = cudnn.deterministic = False
    import ndgrad.backends.cudnn as imported  # `import torch.backends.cudnn as cudnn` works

    assert imported is cudnn
    with ndgrad.backends.cuda.sdp_kernel(enable_flash=False):
        assert not ndgrad.backends.cuda.flash_sdp_enabled()
    assert ndgrad.backends.cuda.flash_sdp_enabled()
    assert ndgrad.backends.cpu.get_cpu_capability() in ("DEFAULT", "AVX2", "AVX512")


@pytest.mark.slow  # four fresh interpreters, two of them importing torch
def test_cpu_capability_follows_aten_cpu_capability(torch):
    import os
    import subprocess
    import sys

    for level in ("default", "avx2"):
        env = dict(os.environ, ATEN_CPU_CAPABILITY=level)
        code = "import {0}; print({0}.backends.cpu.get_cpu_capability())"
        got = [subprocess.run([sys.executable, "-c", code.format(lib)], env=env,
                              capture_output=True, text=True, check=True).stdout.split()[-1]
               for lib in ("ndgrad", "torch")]
        assert got[0] == got[1], level


def test_cuda_device_context_and_streams(torch):
    with ndgrad.cuda.device(None):
        pass
    with ndgrad.cuda.device(-1):
        pass
    for lib in (ndgrad, torch):
        with pytest.raises(RuntimeError, match="compiled without CUDA support"):
            with lib.cuda.device(0):
                pass
        with lib.cuda.stream(None):
            pass


def test_autocast_and_grad_scaler(torch):
    with pytest.warns(UserWarning, match="Disabling autocast"):
        with ndgrad.autocast("cuda"):
            y = ndgrad.ones(2) * 2
    assert y.dtype == ndgrad.float32
    with ndgrad.autocast("cpu", enabled=False):
        pass
    with pytest.raises(RuntimeError, match="does not implement autocast on the CPU"):
        with ndgrad.autocast("cpu"):
            pass
    with pytest.warns(FutureWarning):
        ndgrad.cuda.amp.autocast(enabled=False)
    # a CPU GradScaler scales, unscales, skips steps with inf gradients, adapts its scale
    results = []
    for lib in (ndgrad, torch):
        w = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
        opt = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler("cpu", init_scale=4.0, growth_interval=1)
        for step in range(3):
            loss = (w * (float("inf") if step == 1 else 1.0)).sum()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            opt.zero_grad()
            results.append((lib.__name__, w.tolist(), scaler.get_scale()))
    ours, theirs = results[:3], results[3:]
    assert [r[1:] for r in ours] == [r[1:] for r in theirs]


def test_variable_shares_data_and_version():
    x = ndgrad.ones(2)
    v = ndgrad.autograd.Variable(x, requires_grad=True)
    assert v is not x and v.is_leaf and v.requires_grad and not x.requires_grad
    with ndgrad.no_grad():
        v[0] = 5
    assert x.tolist() == [5.0, 1.0] and x._version == v._version == 1
    from ndgrad.autograd import Variable

    assert Variable is ndgrad.autograd.Variable


def test_execution_engine_queue_callback():
    calls = []
    engine = ndgrad.autograd.Variable._execution_engine
    x = ndgrad.ones(2, requires_grad=True)
    x.register_hook(lambda g: engine.queue_callback(lambda: calls.append(g.sum().item())))
    (x * 3).sum().backward()
    assert calls == [6.0]
    with pytest.raises(RuntimeError, match="during backward pass"):
        engine.queue_callback(lambda: None)


def test_compile_and_jit_are_documented_no_ops(torch):
    model = ndgrad.nn.Linear(2, 2)
    assert ndgrad.compile(model) is model
    assert ndgrad.compile(mode="max-autotune")(model) is model
    f = ndgrad.jit.script(lambda x: x + 1)
    assert f(ndgrad.zeros(1)).tolist() == [1.0]
    assert ndgrad.jit.trace(model, ndgrad.ones(1, 2)) is model
    assert ndgrad.jit.ignore(f) is f and ndgrad.jit.unused(f) is f
    assert ndgrad.jit.wait(ndgrad.jit.fork(lambda a: a * 2, 3)) == 6
    with pytest.raises(RuntimeError, match="no TorchScript"):
        ndgrad.jit.save(model, "/nonexistent/m.pt")
    with pytest.raises(RuntimeError, match="no TorchScript"):
        ndgrad.jit.load("/nonexistent/m.pt")
    with pytest.raises(RuntimeError, match="expects a callable"):
        ndgrad.compile(3)

    class Scripted(ndgrad.jit.ScriptModule):
        def forward(self, x):
            return x * 2

    assert Scripted()(ndgrad.ones(1)).tolist() == [2.0]
    assert not isinstance(model, ndgrad.jit.ScriptModule)


def test_functional_namespace_reexports_what_ndgrad_has(torch):
    import ndgrad.functional as F

    for name in dir(F):
        assert name in torch.functional.__all__ and getattr(F, name) is getattr(ndgrad, name)
    assert F.einsum is ndgrad.einsum
    with pytest.raises(AttributeError):
        F.not_a_function  # noqa: B018


def test_threads_are_controlled_through_threadpoolctl(monkeypatch):
    import sys

    import threadpoolctl  # in the test extra: without it this test must fail, not skip

    before = ndgrad.get_num_threads()
    try:
        ndgrad.set_num_threads(1)
        assert ndgrad.get_num_threads() == 1
        blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)
    finally:
        ndgrad.set_num_threads(before)
    # without threadpoolctl (an optional dependency): a warning, once, and the count recorded
    from ndgrad import _runtime

    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    monkeypatch.setitem(_runtime._THREADS, "warned", False)
    monkeypatch.setitem(_runtime._THREADS, "intra", None)
    with pytest.warns(UserWarning, match="threadpoolctl is not installed"):
        ndgrad.set_num_threads(3)
    assert ndgrad.get_num_threads() == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ndgrad.set_num_threads(2)
    for bad in (0, -2):
        with pytest.raises(RuntimeError, match="positive integer"):
            ndgrad.set_num_threads(bad)
    assert ndgrad.get_num_interop_threads() >= 1


def test_runtime_flags_round_trip(torch):
    try:
        ndgrad.use_deterministic_algorithms(True, warn_only=True)
        assert ndgrad.are_deterministic_algorithms_enabled()
        assert ndgrad.is_deterministic_algorithms_warn_only_enabled()
        assert ndgrad.get_deterministic_debug_mode() == 1
        ndgrad.set_float32_matmul_precision("high")
        assert ndgrad.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
            ndgrad.set_float32_matmul_precision("fast")
        assert ndgrad.get_float32_matmul_precision() == "high"
    finally:
        ndgrad.use_deterministic_algorithms(False)
        ndgrad.set_float32_matmul_precision("highest")


@pytest.mark.parametrize("make", [
    lambda: ndgrad.zeros(2, dtype=ndgrad.bfloat16), lambda: ndgrad.ones(2).to(ndgrad.bfloat16),
    lambda: ndgrad.tensor([1.0], dtype=ndgrad.bfloat16), lambda: ndgrad.nn.Linear(2, 2).to(
        ndgrad.bfloat16), lambda: ndgrad.randn(2, dtype=ndgrad.bfloat16)])
def test_bfloat16_is_a_clear_error(make):
    with pytest.raises(TypeError, match="does not support torch.bfloat16"):
        make()
    assert pickle.loads(pickle.dumps(ndgrad.bfloat16)) is ndgrad.bfloat16
    assert (ndgrad.ones(1).dtype == ndgrad.bfloat16) is False


def test_channels_last_values_and_gradients_are_unchanged(torch):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    t = ndgrad.tensor(x, requires_grad=True)
    y = t.contiguous(memory_format=ndgrad.channels_last)
    assert type(y.grad_fn).__name__ == "CloneBackward0"
    np.testing.assert_array_equal(y.detach().numpy(), x)
    (y * y).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), 2 * x)
    assert y.contiguous(memory_format=ndgrad.channels_last) is y
