"""The seven steps on two digits, as written in notebook 03 and reused after it.

Each function here is defined, and explained, in a notebook cell tagged
``saved:helpers.training`` (``make export`` writes it
here); tests/test_shared_code.py checks the two are the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch
from torch.utils.data import DataLoader, TensorDataset

__all__ = [
    "batch_accuracy",
    "gap_loss",
    "linear_model",
    "make_loaders",
    "random_params",
    "to_features",
    "train_epoch",
    "validate",
]


def to_features(images: torch.Tensor, labels: torch.Tensor, positive: int
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Flatten images to rows of 784 pixels; targets are 1.0 for ``positive``, else 0.0."""
    x = images.reshape(len(images), 28 * 28)
    y = (labels == positive).float().unsqueeze(1)
    return x, y


def make_loaders(train: tuple[torch.Tensor, torch.Tensor], valid: tuple[torch.Tensor, torch.Tensor],
                 batch_size: int = 256, seed: int = 42, drop_last: bool = False
                 ) -> tuple[DataLoader, DataLoader]:
    """Mini-batch loaders: training batches shuffled anew each epoch (seeded), valid in order.

    ``drop_last`` skips each epoch's incomplete last training batch, whose few items make a
    step as large as a full batch's but far noisier.
    """
    shuffler = torch.Generator().manual_seed(seed)
    train_dl = DataLoader(TensorDataset(*train), batch_size=batch_size, shuffle=True,
                          generator=shuffler, drop_last=drop_last)
    valid_dl = DataLoader(TensorDataset(*valid), batch_size=batch_size)
    return train_dl, valid_dl


def random_params(size: int | Sequence[int], std: float = 1.0) -> torch.Tensor:
    """Normal noise of the given size and spread ``std``, as a tensor autograd will track."""
    noise = torch.randn(size)
    return (std * noise).requires_grad_()


def linear_model(xb: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """One score per image: a weighted sum of its pixels plus a bias."""
    return xb @ weights + bias


def gap_loss(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The mean gap between each squashed score, sigmoid(prediction), and its 0/1 target."""
    return (predictions.sigmoid() - targets).abs().mean()


def batch_accuracy(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Share of images on the right side of the boundary: score > 0 means sigmoid > 0.5."""
    return ((predictions > 0).float() == targets).float().mean()


def train_epoch(model: Callable[[torch.Tensor], torch.Tensor], loader: Iterable,
                params: Sequence[torch.Tensor], lr: float,
                loss_fn: Callable = gap_loss) -> float:
    """One pass over the loader: predict, loss, gradient, step, zero. Returns the mean loss."""
    total, count = 0.0, 0
    for xb, yb in loader:
        loss = loss_fn(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= p.grad * lr
                p.grad.zero_()
        total += loss.item() * len(xb)
        count += len(xb)
    return total / count


def validate(model: Callable[[torch.Tensor], torch.Tensor], loader: Iterable,
             metric: Callable = batch_accuracy) -> float:
    """The metric over a whole loader, each batch weighted by its size."""
    total, count = 0.0, 0
    with torch.no_grad():
        for xb, yb in loader:
            total += metric(model(xb), yb).item() * len(xb)
            count += len(xb)
    return round(total / count, 4)
