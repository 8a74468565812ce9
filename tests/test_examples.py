"""examples/train_digits.py runs unchanged with ndgrad and with torch; from the same seed the
loss curves agree over 100 steps."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import ndgrad

pytest.importorskip("sklearn")

PATH = Path(__file__).resolve().parents[1] / "examples" / "train_digits.py"


def _example():
    spec = importlib.util.spec_from_file_location("train_digits", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_loss_curves_agree_with_torch_over_100_steps(model, torch):
    import ndgrad.utils.data  # noqa: F401
    import torch.utils.data  # noqa: F401

    example = _example()
    ours = example.train(ndgrad, model, steps=100)
    theirs = example.train(torch, model, steps=100)
    assert len(ours["losses"]) == len(theirs["losses"]) == 100
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=2e-3, atol=2e-4)
    assert abs(ours["accuracy"] - theirs["accuracy"]) <= 0.01


@pytest.mark.slow
def test_digits_cnn_reaches_97_percent():
    import ndgrad.utils.data  # noqa: F401

    result = _example().train(ndgrad, "cnn")
    assert result["accuracy"] >= 0.97
