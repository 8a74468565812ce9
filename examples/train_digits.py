"""Train an MLP and a small CNN on scikit-learn's 8x8 digits, PyTorch style.

Runs unchanged with real PyTorch: `python examples/train_digits.py --lib torch`.
Default: `--lib ndgrad` (this file imports it as `torch`).
"""
from __future__ import annotations

import argparse
import importlib
from typing import Any

import numpy as np


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)  # (1797, 8, 8) in [0, 1]
    return x, digits.target.astype(np.int64)


def split(x: np.ndarray, y: np.ndarray, test_fraction: float = 0.2) -> tuple:
    order = np.random.default_rng(0).permutation(len(x))
    n_test = int(len(x) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def make_mlp(torch: Any) -> Any:
    nn = torch.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def make_cnn(torch: Any) -> Any:
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 32 x 2 x 2
        nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def train(torch: Any, model_name: str = "cnn", steps: int | None = None, epochs: int = 25,
          seed: int = 0, progress: bool = False) -> dict:
    """Train and return the loss curve and test accuracy; same seed -> same numbers in torch."""
    torch.manual_seed(seed)
    x, y = load_digits_arrays()
    xtr, ytr, xte, yte = split(x, y)
    if model_name == "cnn":
        xtr, xte = xtr[:, None], xte[:, None]
    data = torch.utils.data.TensorDataset(torch.tensor(xtr), torch.tensor(ytr))
    loader = torch.utils.data.DataLoader(data, batch_size=64, shuffle=True)
    model = make_mlp(torch) if model_name == "mlp" else make_cnn(torch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2 if model_name == "mlp" else 3e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    losses: list[float] = []
    bar = None
    if progress:
        try:
            from tqdm import tqdm

            bar = tqdm(total=steps or epochs * len(loader), desc=f"{model_name}", leave=False)
        except ImportError:
            bar = None
    done = False
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
            if steps is not None and len(losses) >= steps:
                done = True
                break
        if done:
            break
    if bar is not None:
        bar.close()
    model.eval()
    with torch.no_grad():
        pred = model(torch.tensor(xte)).argmax(1)
    accuracy = float((pred == torch.tensor(yte)).float().mean().item())
    return {"losses": losses, "accuracy": accuracy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lib", default="ndgrad", choices=["ndgrad", "torch"])
    parser.add_argument("--model", default="cnn", choices=["mlp", "cnn"])
    parser.add_argument("--epochs", type=int, default=25)
    args = parser.parse_args()
    torch = importlib.import_module(args.lib)
    importlib.import_module(args.lib + ".utils.data")
    result = train(torch, args.model, epochs=args.epochs, progress=True)
    print(f"{args.lib} {args.model}: final loss {result['losses'][-1]:.4f}, "
          f"test accuracy {result['accuracy']:.2%}")


if __name__ == "__main__":
    main()
