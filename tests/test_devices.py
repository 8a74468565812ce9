"""Devices: the CPU in every spelling is accepted; every other device is refused exactly as a
CPU-only torch build refuses it (exception type and message), never silently put on the CPU."""
import pickle

import pytest

import ndgrad

DEVICE_STRINGS = ["cpu", "cpu:0", "cpu:3", "cuda", "cuda:0", "cuda:1", "mps", "xpu", "meta",
                  "xla", "hip", "ipu", "vulkan", "lazy", "hpu", "mtia", "privateuseone", "mkldnn",
                  "foo", "CPU", "gpu:1", "cuda:-1", "cuda:x", "cpu:00", " cpu", "cuda:0 ", ""]


def _outcome(fn):
    try:
        value = fn()
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return type(e).__name__, str(e).split("\n")[0][:120]
    return "ok", repr(value)


@pytest.mark.parametrize("spec", DEVICE_STRINGS + [("cuda", 1), ("cpu", 0), ("cuda", -1), 0, -1])
def test_device_objects_parse_as_torch(spec, torch):
    make = (lambda lib: lib.device(*spec)) if isinstance(spec, tuple) else (
        lambda lib: lib.device(spec))
    assert _outcome(lambda: make(ndgrad)) == _outcome(lambda: make(torch))


def test_device_str_eq_hash_pickle(torch):
    for spec in ["cpu", "cpu:0", "cuda:1", "meta"]:
        ours, theirs = ndgrad.device(spec), torch.device(spec)
        assert (str(ours), repr(ours), ours.type, ours.index) == (
            str(theirs), repr(theirs), theirs.type, theirs.index)
        assert pickle.loads(pickle.dumps(ours)) == ours
    # torch: a device equals only a device, and cpu differs from cpu:0
    assert (ndgrad.device("cpu") == "cpu") is (torch.device("cpu") == "cpu") is False
    assert (ndgrad.device("cpu") == ndgrad.device("cpu:0")) is False
    assert ndgrad.device("cuda", 1) == ndgrad.device("cuda:1")
    assert hash(ndgrad.device("cuda:1")) == hash(ndgrad.device("cuda", 1))
    assert ndgrad.device("cuda").index is torch.device("cuda").index is None


FACTORIES = {
    "zeros": lambda L, d: L.zeros(2, device=d),
    "ones": lambda L, d: L.ones(2, 3, device=d),
    "empty": lambda L, d: L.empty(2, device=d),
    "full": lambda L, d: L.full((2,), 1.0, device=d),
    "arange": lambda L, d: L.arange(3, device=d),
    "linspace": lambda L, d: L.linspace(0, 1, 3, device=d),
    "logspace": lambda L, d: L.logspace(0, 1, 3, device=d),
    "eye": lambda L, d: L.eye(2, device=d),
    "rand": lambda L, d: L.rand(2, device=d),
    "randn": lambda L, d: L.randn(2, device=d),
    "randint": lambda L, d: L.randint(0, 3, (2,), device=d),
    "randperm": lambda L, d: L.randperm(3, device=d),
    "normal": lambda L, d: L.normal(0.0, 1.0, (2,), device=d),
    "tensor": lambda L, d: L.tensor([1.0], device=d),
    "as_tensor": lambda L, d: L.as_tensor([1.0], device=d),
    "zeros_like": lambda L, d: L.zeros_like(L.ones(2), device=d),
    "ones_like": lambda L, d: L.ones_like(L.ones(2), device=d),
    "empty_like": lambda L, d: L.empty_like(L.ones(2), device=d),
    "full_like": lambda L, d: L.full_like(L.ones(2), 3.0, device=d),
    "rand_like": lambda L, d: L.rand_like(L.ones(2), device=d),
    "randn_like": lambda L, d: L.randn_like(L.ones(2), device=d),
    "randint_like": lambda L, d: L.randint_like(L.ones(2), 3, device=d),
    "new_zeros": lambda L, d: L.ones(2).new_zeros(2, device=d),
    "new_ones": lambda L, d: L.ones(2).new_ones(2, device=d),
    "new_empty": lambda L, d: L.ones(2).new_empty(2, device=d),
    "new_full": lambda L, d: L.ones(2).new_full((2,), 1.0, device=d),
    "new_tensor": lambda L, d: L.ones(2).new_tensor([1.0], device=d),
    "Tensor.to": lambda L, d: L.ones(2).to(d),
    "Tensor.to(device=)": lambda L, d: L.ones(2).to(device=d),
    "Tensor.to(d, dtype)": lambda L, d: L.ones(2).to(d, L.float64),
    "Linear(device=)": lambda L, d: L.nn.Linear(2, 2, device=d),
    "Module.to": lambda L, d: L.nn.Linear(2, 2).to(d),
}
REFUSED = ["cuda", "cuda:1", "mps", "xpu", "xla", "ipu", "hip", "lazy", "vulkan", "hpu", "mtia",
           "opengl", 0, 1, "foo"]


@pytest.mark.parametrize("device", REFUSED, ids=str)
@pytest.mark.parametrize("factory", FACTORIES)
def test_unusable_devices_are_refused_as_torch_refuses_them(factory, device, torch):
    ours = _outcome(lambda: FACTORIES[factory](ndgrad, device))
    theirs = _outcome(lambda: FACTORIES[factory](torch, device))
    assert ours[0] == theirs[0] != "ok"
    n = min(len(theirs[1]), 60)  # the message head: torch's build-specific tails differ
    if ours[0] != "RuntimeError" or "Caffe2" not in ours[1]:
        assert ours[1][:n] == theirs[1][:n]


@pytest.mark.parametrize("device", ["cpu", "cpu:0", "cpu:1", None, "device('cpu')",
                                    "device('cpu', 0)"])
@pytest.mark.parametrize("factory", FACTORIES)
def test_the_cpu_in_every_spelling_is_accepted(factory, device):
    dev = eval(device, {"device": ndgrad.device}) if isinstance(device, str) and "(" in device \
        else device
    out = FACTORIES[factory](ndgrad, dev)
    target = out.weight if isinstance(out, ndgrad.nn.Module) else out
    assert target.device == ndgrad.device("cpu") and target.device.type == "cpu"


@pytest.mark.parametrize("call", [
    "x.cuda()", "x.cuda(0)", "x.cuda('cuda:1')", "x.cuda(device='cpu')", "x.xpu()", "x.ipu()",
    "x.mtia()", "m.cuda()", "m.cuda(0)", "m.xpu()", "m.ipu()", "m.to('cuda', torch.float64)",
    "m.to(device='mps')", "m.to_empty(device='cuda')", "x.pin_memory()",
    "torch.zeros(2, pin_memory=True)", "torch.tensor([1.], pin_memory=True)",
    "torch.zeros(2, device=1.5)", "torch.zeros(2, device=[1])",
    "torch.tensor([1.], torch.float64, 'cuda')", "torch.as_tensor([1.], None, 'cuda')",
])
def test_accelerator_methods_are_refused_as_torch(call, torch):
    def run(lib):
        return eval(call, {"torch": lib, "x": lib.ones(2), "m": lib.nn.Linear(2, 2)})

    ours, theirs = _outcome(lambda: run(ndgrad)), _outcome(lambda: run(torch))
    assert ours[0] == theirs[0] != "ok"
    assert ours[1][:50] == theirs[1][:50]


def test_tensor_device_attributes_match_torch(torch):
    for attr in ["is_cpu", "is_cuda", "is_mps", "is_xpu", "is_meta", "is_ipu"]:
        assert getattr(ndgrad.ones(1), attr) == getattr(torch.ones(1), attr), attr
    assert ndgrad.ones(1).get_device() == torch.ones(1).get_device() == -1
    assert ndgrad.ones(1).is_pinned() is torch.ones(1).is_pinned() is False
    assert repr(ndgrad.ones(1).device) == repr(torch.ones(1).device)
    assert str(ndgrad.zeros(1, device="cpu:1").device) == "cpu"


def test_meta_device_is_a_clear_error_never_a_silent_allocation():
    with pytest.raises(NotImplementedError, match="no 'meta' device.*shape-only"):
        ndgrad.zeros(10 ** 12, device="meta")
    with pytest.raises(NotImplementedError, match="no 'meta' device"):
        ndgrad.ones(2).to("meta")
    with pytest.raises(NotImplementedError, match="no 'meta' device"):
        with ndgrad.device("meta"):
            ndgrad.nn.Linear(2, 2)
    assert ndgrad.device("meta").type == "meta"  # the device object itself is describable


def test_default_device_as_torch(torch):
    assert repr(ndgrad.get_default_device()) == repr(torch.get_default_device())
    try:
        ndgrad.set_default_device("cpu:0")
        assert repr(ndgrad.get_default_device()) == "device(type='cpu', index=0)"
        assert ndgrad.zeros(1).device == ndgrad.device("cpu")
        ndgrad.set_default_device("cuda")  # settable, as in torch; creating then raises
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            ndgrad.zeros(2)
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            ndgrad.tensor([1.0])
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            ndgrad.get_default_device()
        assert ndgrad.zeros(2, device="cpu").device.type == "cpu"  # an explicit device wins
    finally:
        ndgrad.set_default_device(None)
    assert ndgrad.get_default_device() == ndgrad.device("cpu")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        ndgrad.set_default_device("foo")


def test_device_as_context_manager(torch):
    with ndgrad.device("cpu"):
        assert ndgrad.zeros(1).device.type == "cpu"
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        with ndgrad.device("cuda"):
            ndgrad.randn(2)
    assert ndgrad.zeros(1).device.type == "cpu"  # restored after the block


def test_legacy_constructor_refuses_other_devices(torch):
    for lib in (ndgrad, torch):
        with pytest.raises(RuntimeError, match="legacy constructor expects device type: cpu but "
                                               "device type: cuda was passed"):
            lib.Tensor(2, device="cuda")
    assert ndgrad.Tensor(2, device="cpu").shape == (2,)
