"""Train an MLP and a small CNN on scikit-learn's 8x8 digits, PyTorch style, data-parallel.

Runs unchanged with real PyTorch: `python examples/train_digits.py --lib torch`.
Default: `--lib ndgrad` (this file imports it as `torch`).
The same script runs on N processes, each with 1/N of every batch (DistributedDataParallel):
`python -m ndgrad.distributed.run --nproc-per-node 2 examples/train_digits.py` or
`mpiexec -n 2 python examples/train_digits.py` (`torchrun` with `--lib torch`).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
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


def world(torch: Any) -> tuple[int, int]:
    """(rank, world size) of the process group, (0, 1) when there is none."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def train(torch: Any, model_name: str = "cnn", steps: int | None = None, epochs: int = 25,
          seed: int = 0, progress: bool = False, batch_size: int = 64) -> dict:
    """Train and return the loss curve and test accuracy; same seed -> same numbers in torch.

    In a process group of N ranks each rank takes batch_size / N samples of every batch (the
    sampler interleaves one permutation), so N ranks train the model 1 rank would.
    """
    torch.manual_seed(seed)
    rank, size = world(torch)
    if batch_size % size:
        raise ValueError(f"batch size {batch_size} does not split over {size} processes")
    x, y = load_digits_arrays()
    xtr, ytr, xte, yte = split(x, y)
    if model_name == "cnn":
        xtr, xte = xtr[:, None], xte[:, None]
    data = torch.utils.data.TensorDataset(torch.tensor(xtr), torch.tensor(ytr))
    sampler = torch.utils.data.DistributedSampler(data, num_replicas=size, rank=rank, seed=seed)
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size // size, sampler=sampler)
    model = make_mlp(torch) if model_name == "mlp" else make_cnn(torch)
    if size > 1:  # every rank starts from rank 0's weights; backward averages the gradients
        model = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2 if model_name == "mlp" else 3e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    losses: list[float] = []
    bar = None
    if progress and rank == 0:
        try:
            from tqdm import tqdm

            bar = tqdm(total=steps or epochs * len(loader), desc=f"{model_name}", leave=False)
        except ImportError:
            bar = None
    done = False
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
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
    importlib.import_module(args.lib + ".distributed")
    # ndgrad: one process, or as many as the launcher started; torch: as many as torchrun started
    if args.lib == "ndgrad" or "WORLD_SIZE" in os.environ:
        torch.distributed.init_process_group("gloo")
    rank, size = world(torch)
    result = train(torch, args.model, epochs=args.epochs, progress=sys.stderr.isatty())
    if rank == 0:
        print(f"{args.lib} {args.model} on {size} process{'es' if size > 1 else ''}: final loss "
              f"{result['losses'][-1]:.4f}, test accuracy {result['accuracy']:.2%}")
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
