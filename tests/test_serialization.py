"""ndgrad.save / ndgrad.load: safetensors round trips, atomic writes, corruption, .pt files."""
import collections
import io
import json
import math
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

import ndgrad
import ndgrad.optim as optim
from ndgrad import serialization
from ndgrad.serialization import load, save

DTYPES = [ndgrad.float16, ndgrad.float32, ndgrad.float64, ndgrad.int8, ndgrad.int16, ndgrad.int32,
          ndgrad.int64, ndgrad.uint8, ndgrad.bool]


def same(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, ndgrad.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def test_round_trip_nested_structures(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {str(d): ndgrad.tensor((rng.standard_normal((2, 3)) * 50).astype(d.np))
               for d in DTYPES}
    obj = {
        "model": collections.OrderedDict(weight=ndgrad.randn(3, 4), bias=ndgrad.zeros(4)),
        "all_dtypes": tensors,
        "scalars": [ndgrad.tensor(2.5), ndgrad.zeros(0, 3), ndgrad.ones(2, requires_grad=True)],
        "meta": {"epoch": 3, "best": math.inf, "worst": -math.inf, "nan": math.nan,
                 "name": "run.1", "flag": False, "none": None, 7: (1, 2.5, "x"), (1, 2): [[]]},
        "numpy": np.arange(6).reshape(2, 3),
        "shape": ndgrad.zeros(2, 3).shape,
    }
    path = tmp_path / "ckpt.pt"
    save(obj, path)
    out = load(path)
    for key in ("model", "all_dtypes", "scalars", "meta"):
        same(out[key], obj[key])
    np.testing.assert_array_equal(out["numpy"], obj["numpy"])
    assert isinstance(out["numpy"], np.ndarray) and out["shape"] == (2, 3)
    assert type(out["shape"]).__name__ == "Size"
    assert out["scalars"][2].requires_grad and out["scalars"][2].is_leaf
    w = out["model"]["weight"]
    w.add_(1.0)  # loaded tensors own writable memory


def test_shared_tensors_and_file_objects():
    w = ndgrad.randn(2, 2)
    buf = io.BytesIO()
    save({"a": w, "b": [w], "c": ndgrad.tensor(1)}, buf)
    buf.seek(0)
    out = load(buf)
    assert out["a"] is out["b"][0]
    same(out["a"], w)
    buf = io.BytesIO()
    save(ndgrad.arange(3), buf)
    same(load(io.BytesIO(buf.getvalue())), ndgrad.arange(3))


def test_optimizer_and_module_checkpoint(tmp_path):
    def run(params, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            (params[0] ** 2).sum().add((params[1] * 3).sum()).backward()
            opt.step()

    p = [ndgrad.tensor([1.0, -2.0, 3.0], requires_grad=True), ndgrad.ones(2, requires_grad=True)]
    opt = optim.Adam(p, lr=0.1, amsgrad=True)
    run(p, opt, 3)
    save({"params": [t.detach() for t in p], "optim": opt.state_dict()}, tmp_path / "c.pt")
    run(p, opt, 4)
    ck = load(tmp_path / "c.pt")
    q = [t.clone().requires_grad_(True) for t in ck["params"]]
    opt2 = optim.Adam(q, lr=0.5)
    opt2.load_state_dict(ck["optim"])
    assert opt2.param_groups[0]["lr"] == 0.1
    run(q, opt2, 4)
    for a, b in zip(p, q):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    nn = pytest.importorskip("ndgrad.nn")
    if hasattr(nn, "Linear"):
        m, m2 = nn.Linear(3, 2), nn.Linear(3, 2)
        save(m.state_dict(), tmp_path / "m.pt")
        m2.load_state_dict(load(tmp_path / "m.pt"))
        np.testing.assert_array_equal(m2.weight.detach().numpy(), m.weight.detach().numpy())


def test_unsupported_objects_and_devices(tmp_path):
    with pytest.raises(TypeError, match="can't store an object of type object"):
        save({"x": object()}, tmp_path / "x.pt")
    assert not (tmp_path / "x.pt").exists()
    save({"x": ndgrad.ones(1)}, tmp_path / "x.pt")
    load(tmp_path / "x.pt", map_location="cpu")
    with pytest.raises(RuntimeError, match="CPU only"):
        load(tmp_path / "x.pt", map_location="cuda:0")


def test_atomic_write_keeps_old_file_on_crash(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save({"w": ndgrad.zeros(1000)}, path)
    before = path.read_bytes()

    def crash_half_way(fh, buffers):
        fh.write(b"\0" * 100)
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(serialization, "_write_data", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        save({"w": ndgrad.ones(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # the temporary file is gone too
    np.testing.assert_array_equal(load(path)["w"].numpy(), np.zeros(1000))


def craft(header: dict, data: bytes = b"", length: int | None = None) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


@pytest.mark.parametrize("blob,message", [
    (b"\x01\x02", "too short"),
    (craft({}, length=10**6), "header length 1000000 is beyond the file size"),
    (struct.pack("<Q", 5) + b"{oops", "not valid JSON"),
    (craft({"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, b"\0" * 16),
     "unknown dtype 'F128'"),
    (craft({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4),
     r"data offsets \[0, 8\] out of range"),
    (craft({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
            "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12),
     "overlapping"),
    (craft({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8),
     "needs 12 bytes"),
    (craft({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 9),
     "truncated or corrupted"),
    (craft({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "invalid shape"),
    (craft({"__metadata__": {"ndgrad.structure": '{"T": "tensor", "key": "zz"}'}}),
     "refers to tensor 'zz'"),
    (craft({"__metadata__": {"ndgrad.structure": '{"T": "dict", "items": [[[], 1]]}'}}),
     "invalid ndgrad structure"),
    (craft({"__metadata__": {"ndgrad.structure": "[1, 2"}}), "structure in __metadata__ is not"),
    (craft({"__metadata__": {"k": 1}}), "must map strings to strings"),
    (pickle.dumps({"a": 1}), "looks like a pickle file"),
])
def test_corrupt_files_give_clear_errors(tmp_path, blob, message):
    path = tmp_path / "bad.pt"
    path.write_bytes(blob)
    with pytest.raises(ValueError, match=message) as e:
        load(path)
    assert str(path) in str(e.value)


def test_truncated_checkpoint(tmp_path):
    path = tmp_path / "t.pt"
    save({"w": ndgrad.ones(64), "b": ndgrad.ones(3)}, path)
    blob = path.read_bytes()
    for cut in (4, 20, len(blob) - 1):
        path.write_bytes(blob[:cut])
        with pytest.raises(ValueError, match=str(path)):
            load(path)


def test_safetensors_library_interop(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    save({"model": {"weight": ndgrad.ones(2, 3), "bias": ndgrad.arange(3)},
          "step": ndgrad.tensor(7.0), "flag": ndgrad.tensor([True]), "epoch": 4}, tmp_path / "a")
    arrays = st.load_file(str(tmp_path / "a"))
    assert sorted(arrays) == ["flag", "model.bias", "model.weight", "step"]
    np.testing.assert_array_equal(arrays["model.bias"], np.arange(3))
    assert arrays["step"].shape == () and arrays["flag"].dtype == np.bool_
    st.save_file({"x": np.arange(6, dtype=np.float16).reshape(2, 3), "y": np.array(3, np.int32)},
                 str(tmp_path / "b"), metadata={"format": "np"})
    out = load(tmp_path / "b")
    same(out["x"], ndgrad.tensor(np.arange(6, dtype=np.float16).reshape(2, 3)))
    same(out["y"], ndgrad.tensor(np.array(3, np.int32)))


# *** torch's .pt files ***

def test_load_torch_checkpoint(torch, tmp_path):
    torch.manual_seed(0)
    m = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    m(torch.ones(1, 3)).sum().backward()
    opt.step()
    ckpt = {"model": m.state_dict(), "optim": opt.state_dict(), "epoch": 3,
            "view": torch.arange(12.0).reshape(3, 4)[:, 1], "half": torch.ones(2).half(),
            "bf16": torch.tensor([1.5, -2.0]).bfloat16(), "int": torch.arange(3, dtype=torch.int16),
            "param": torch.nn.Parameter(torch.ones(2)), "t": (1, 2.5, None, "s", True),
            "u16": torch.tensor([[1, 65535], [7, 8]], dtype=torch.uint16).t(),
            "u64": torch.tensor([2**64 - 1, 3], dtype=torch.uint64)[1:]}
    torch.save(ckpt, tmp_path / "c.pt")
    out = load(tmp_path / "c.pt")
    assert isinstance(out["model"], collections.OrderedDict)
    np.testing.assert_array_equal(out["model"]["weight"].numpy(), m.weight.detach().numpy())
    np.testing.assert_array_equal(out["view"].numpy(), [1.0, 5.0, 9.0])
    assert out["half"].dtype == ndgrad.float16 and out["int"].dtype == ndgrad.int16
    np.testing.assert_array_equal(out["bf16"].numpy(), [1.5, -2.0])  # widened to float32
    assert out["param"].requires_grad and out["epoch"] == 3 and out["t"] == ckpt["t"]
    assert out["u16"].dtype == ndgrad.uint16 and out["u16"].tolist() == [[1, 7], [65535, 8]]
    assert out["u64"].dtype == ndgrad.uint64 and out["u64"].tolist() == [3]
    buf = out["optim"]["state"][0]["momentum_buffer"]
    np.testing.assert_array_equal(buf.numpy(), opt.state_dict()["state"][0]["momentum_buffer"])
    assert out["optim"]["param_groups"] == opt.state_dict()["param_groups"]


def zip_with_pickle(path, payload: bytes):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", "3\n")


class Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def test_malicious_pickles_are_refused(tmp_path):
    marker = tmp_path / "pwned"
    evil = pickle.dumps({"weight": Evil(marker)}, protocol=2)
    zip_with_pickle(tmp_path / "evil.pt", evil)
    with pytest.raises(ValueError, match=r"refusing to load global '(posix|os)\.system'"):
        load(tmp_path / "evil.pt")
    zip_with_pickle(tmp_path / "evil4.pt", pickle.dumps(Evil(marker), protocol=4))
    with pytest.raises(ValueError, match="refusing to load global"):
        load(tmp_path / "evil4.pt")
    (tmp_path / "raw.pt").write_bytes(evil)  # a bare pickle, not a zip
    with pytest.raises(ValueError, match="never unpickles"):
        load(tmp_path / "raw.pt")
    zip_with_pickle(tmp_path / "inst.pt", b"(S'x'\nios\nsystem\n.")  # INST opcode
    with pytest.raises(ValueError, match="unsupported pickle opcode"):
        load(tmp_path / "inst.pt")
    assert not marker.exists()


def test_scheduler_state_round_trip():
    p = ndgrad.zeros(2, requires_grad=True)
    opt = optim.SGD([p], lr=1.0, momentum=0.9)
    steps = optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 2, 5])
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt)
    for _ in range(3):
        opt.step()
        steps.step()
    buf = io.BytesIO()
    save({"steps": steps.state_dict(), "plateau": plateau.state_dict()}, buf)
    buf.seek(0)
    out = load(buf)
    assert out["steps"] == steps.state_dict() and out["plateau"] == plateau.state_dict()
    assert isinstance(out["steps"]["milestones"], collections.Counter)
    assert out["plateau"]["best"] == math.inf
