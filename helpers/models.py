"""Notebooks 05 and 06: why layers need a nonlinearity (05), how both nets are fed (05), and
the small CNN with its training recipe (06).

Each def and class here is defined, and explained, in a notebook cell tagged
``saved:helpers.models`` (``make export`` writes it
here); tests/test_shared_code.py checks the two are the same code.
benchmarks/cnn_vs_resnet.py trains ``small_cnn`` with ``CnnRecipe``, exactly as the notebook does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["CnnRecipe", "collapse_linears", "conv_block", "make_dls", "small_cnn"]


def collapse_linears(first: nn.Linear, second: nn.Linear) -> nn.Linear:
    """The single Linear layer that computes ``second(first(x))``.

    second(first(x)) = W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2): one weight matrix,
    one bias. nn.Linear stores its weight as (out_features, in_features).
    """
    if first.out_features != second.in_features:
        raise ValueError(f"first gives {first.out_features} features, second reads "
                         f"{second.in_features}: they cannot be chained")
    if first.bias is None or second.bias is None:
        raise ValueError("both layers need a bias (nn.Linear's default)")
    merged = nn.Linear(first.in_features, second.out_features)
    with torch.no_grad():
        merged.weight.copy_(second.weight @ first.weight)
        merged.bias.copy_(second.weight @ first.bias + second.bias)
    return merged


def conv_block(n_in: int, n_out: int) -> nn.Sequential:
    """3x3 convolution with stride 2 (halves height and width), batch norm, then ReLU."""
    return nn.Sequential(
        nn.Conv2d(n_in, n_out, kernel_size=3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(n_out),
        nn.ReLU(),
    )


def small_cnn(channels: Sequence[int] = (16, 32, 64)) -> nn.Sequential:
    """Three stride-2 conv blocks (28 -> 14 -> 7 -> 4 pixels), then one linear layer to a logit.

    Input: a batch of greyscale digits, shape (n, 1, 28, 28). Output: one score per image,
    shape (n, 1); score > 0 means the first digit of the pair.
    """
    c1, c2, c3 = channels
    return nn.Sequential(
        conv_block(1, c1),   # (n, c1, 14, 14)
        conv_block(c1, c2),  # (n, c2, 7, 7)
        conv_block(c2, c3),  # (n, c3, 4, 4)
        nn.Flatten(),        # (n, c3 * 16)
        nn.Linear(c3 * 4 * 4, 1),
    )


@dataclass(frozen=True)
class CnnRecipe:
    """How small_cnn is trained: fastai's Learner (Adam), fit_one_cycle, BCE on one logit."""

    epochs: int = 2
    lr: float = 0.03
    batch_size: int = 128


def make_dls(train: tuple[torch.Tensor, torch.Tensor], valid: tuple[torch.Tensor, torch.Tensor],
             batch_size: int, device: torch.device | None = None):
    """fastai loaders of (x, y) pairs on ``device``: training shuffled, validation in order."""
    from fastai.data.core import DataLoaders
    from fastai.data.load import DataLoader

    return DataLoaders(DataLoader(list(zip(*train, strict=True)), bs=batch_size, shuffle=True),
                       DataLoader(list(zip(*valid, strict=True)), bs=batch_size), device=device)
