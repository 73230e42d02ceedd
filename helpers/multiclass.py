"""From one output to ten: softmax, cross-entropy and the tools to judge a k-class model.

Each function here is defined, and explained, in a notebook 07 cell tagged
``saved:helpers.multiclass`` (``make export`` writes it
here); tests/test_shared_code.py checks the two are the same code, and
tests/test_multiclass.py checks them against PyTorch's own functions.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = [
    "confusion_matrix",
    "cross_entropy",
    "log_softmax",
    "most_confused",
    "multiclass_accuracy",
    "pad_crop",
    "softmax",
]


def softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Scores to probabilities along ``dim``: exponentiate, then divide by the sum.

    The largest score is subtracted first. That changes no result (the common factor cancels
    in the division) but keeps ``exp`` from overflowing to ``inf`` on large scores.
    """
    shifted = logits - logits.amax(dim=dim, keepdim=True).detach()  # a constant shift
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)


def log_softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``log(softmax(logits))`` computed without ever taking the log of a rounded-off 0.

    log(e^x_i / sum_j e^x_j) = x_i - log(sum_j e^x_j); the sum is taken after subtracting the
    largest score (the log-sum-exp trick), so it lies between 1 and k and its log is safe.
    """
    shifted = logits - logits.amax(dim=dim, keepdim=True).detach()
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of -log(probability the model gives the right class).

    ``logits``: shape (n, k), one raw score per class for each of n items; ``targets``: shape
    (n,), the right class of each item as an integer from 0 to k-1.
    """
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (n, classes), not {tuple(logits.shape)}")
    n, k = logits.shape
    if targets.shape != (n,):
        raise ValueError(f"targets must have shape ({n},), one class per row of logits "
                         f"{tuple(logits.shape)}; got {tuple(targets.shape)}")
    if targets.dtype.is_floating_point or targets.dtype == torch.bool:
        raise TypeError(f"targets must be integer class numbers, not {targets.dtype}")
    if n == 0:
        raise ValueError("cross_entropy of an empty batch is undefined")
    if targets.min() < 0 or targets.max() >= k:
        raise ValueError(f"targets must lie in 0..{k - 1} for {k} classes; got "
                         f"{int(targets.min())}..{int(targets.max())}")
    picked = log_softmax(logits)[torch.arange(n, device=logits.device), targets]
    return -picked.mean()


def multiclass_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Share of items whose highest score is at the right class."""
    return (logits.argmax(dim=-1) == targets).float().mean()


def pad_crop(images: torch.Tensor, pad: int, generator: torch.Generator | None = None,
             ) -> torch.Tensor:
    """Shift each image of a batch (n, c, h, w) by up to ``pad`` pixels in each direction.

    Pads with ``pad`` zeros on every side, then cuts a window of the original size at a
    random offset drawn for each image: same shape out, content moved, blank edges filled in.
    """
    if images.ndim != 4:
        raise ValueError(f"images must have shape (n, channels, h, w), not {tuple(images.shape)}")
    if pad < 0:
        raise ValueError(f"pad must be >= 0, not {pad}")
    n, _, h, w = images.shape
    padded = torch.nn.functional.pad(images, (pad, pad, pad, pad))
    dev = images.device
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=dev)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=dev)
    rows = (dy[:, None] + torch.arange(h, device=dev))[:, None, :, None]  # (n, 1, h, 1)
    cols = (dx[:, None] + torch.arange(w, device=dev))[:, None, None, :]  # (n, 1, 1, w)
    item = torch.arange(n, device=dev)[:, None, None, None]
    chan = torch.arange(images.shape[1], device=dev)[None, :, None, None]
    return padded[item, chan, rows, cols]


def confusion_matrix(predicted: torch.Tensor, actual: torch.Tensor, n_classes: int,
                     ) -> torch.Tensor:
    """Counts (n_classes, n_classes): row = actual class, column = predicted class."""
    if predicted.shape != actual.shape or predicted.ndim != 1:
        raise ValueError(f"predicted {tuple(predicted.shape)} and actual "
                         f"{tuple(actual.shape)} must be 1-D and of the same length")
    both = torch.cat([predicted, actual]).long().cpu()
    if len(both) and (both.min() < 0 or both.max() >= n_classes):
        raise ValueError(f"class numbers must lie in 0..{n_classes - 1}; got "
                         f"{int(both.min())}..{int(both.max())}")
    pairs = actual.long().cpu() * n_classes + predicted.long().cpu()
    return torch.bincount(pairs, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def most_confused(cm: torch.Tensor, labels: Sequence, top: int = 5,
                  ) -> list[tuple[object, object, int]]:
    """The largest off-diagonal counts of a confusion matrix, as (actual, predicted, count).

    ``labels[i]`` names class i (e.g. the digit it stands for). Pairs never confused are left
    out; equal counts keep row-major order (Python's sort is stable).
    """
    k = len(labels)
    if tuple(cm.shape) != (k, k):
        raise ValueError(f"need a ({k}, {k}) matrix for {k} labels, not {tuple(cm.shape)}")
    counts = cm.tolist()
    cells = [(counts[i][j], i, j) for i in range(k) for j in range(k)
             if i != j and counts[i][j] > 0]
    cells.sort(key=lambda cell: -cell[0])
    return [(labels[i], labels[j], count) for count, i, j in cells[:top]]
