"""The optimiser and the Learner written by hand in notebook 04, reused after it.

Each class here is defined, and explained, in a notebook cell tagged
``saved:helpers.learner`` (``make export`` writes it
here); tests/test_shared_code.py checks the two are the same code.
``PlainSGD`` takes exactly the steps of fastai's ``SGD`` (and ``torch.optim.SGD``) without
momentum or weight decay; ``MiniLearner`` reproduces the figures fastai's ``Learner`` reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch import nn

__all__ = ["MiniLearner", "PlainSGD", "check_lr"]


def check_lr(lr: float) -> float:
    """The learning rate as a float, or a clear error if it is not a positive finite number."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0 \
            or not math.isfinite(lr):
        raise ValueError(f"lr must be a positive finite number, not {lr!r}")
    return float(lr)


class PlainSGD:
    """Stochastic gradient descent: each step moves every parameter by ``-lr * gradient``."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("no parameters to optimise: pass model.parameters()")
        if not all(isinstance(p, torch.Tensor) and p.requires_grad for p in self.params):
            raise ValueError("every parameter must be a tensor with requires_grad=True")
        self.lr = check_lr(lr)

    def step(self) -> None:
        """Move each parameter that has a gradient one step downhill."""
        with torch.no_grad():  # the update itself must not become part of the graph
            for p in self.params:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-self.lr)  # p - lr * grad, computed as fastai does

    def zero_grad(self) -> None:
        """Reset the gradients: ``backward`` adds to them, so old ones must go first."""
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()


class MiniLearner:
    """fastai's ``Learner`` training loop, reduced to what it does for a plain model.

    ``dls`` holds a training and a validation loader: a fastai ``DataLoaders`` (or anything with
    ``.train`` and ``.valid``) or a pair ``(train, valid)``. After ``fit``, ``history`` holds one
    row per epoch with the figures fastai prints: the smoothed training loss, and the
    validation loss and ``metric`` averaged over the validation set.
    """

    def __init__(self, dls, model: nn.Module, loss_func: Callable, opt_func: Callable = PlainSGD,
                 metric: Callable | None = None, beta: float = 0.98) -> None:
        if hasattr(dls, "train") and hasattr(dls, "valid"):
            dls = (dls.train, dls.valid)
        if not isinstance(dls, (tuple, list)) or len(dls) != 2:
            raise TypeError("dls must be a fastai DataLoaders or a (train, valid) pair of loaders")
        self.train_dl, self.valid_dl = dls
        if not isinstance(model, nn.Module) or not list(model.parameters()):
            raise TypeError("model must be a torch nn.Module with parameters, e.g. nn.Linear")
        if not callable(loss_func) or (metric is not None and not callable(metric)):
            raise TypeError("loss_func (and metric, if given) must be functions of (preds, y)")
        if not 0 <= beta < 1:
            raise ValueError(f"beta must be in [0, 1), not {beta!r}")
        self.model, self.loss_func, self.opt_func = model, loss_func, opt_func
        self.metric, self.beta = metric, beta
        self.history: list[dict[str, float]] = []

    def fit(self, n_epochs: int, lr: float) -> list[dict[str, float]]:
        """Train for ``n_epochs`` epochs at learning rate ``lr``; returns ``history``."""
        if isinstance(n_epochs, bool) or not isinstance(n_epochs, int) or n_epochs < 1:
            raise ValueError(f"n_epochs must be a positive int, not {n_epochs!r}")
        check_lr(lr)
        opt = self.opt_func(self.model.parameters(), lr)
        device = next(self.model.parameters()).device
        smooth, count = torch.tensor(0.0), 0  # the smoothed loss runs on across epochs
        for epoch in range(n_epochs):
            self.model.train()
            for xb, yb in self.train_dl:
                loss = self.loss_func(self.model(xb.to(device)), yb.to(device))
                loss.backward()
                opt.step()
                opt.zero_grad()
                # Exponential moving average: smooth = beta * smooth + (1 - beta) * loss.
                smooth = torch.lerp(loss.detach().cpu(), smooth, self.beta)
                count += 1
            if count == 0:
                raise ValueError("the training loader yielded no batches")
            row = {"epoch": epoch, "train_loss": (smooth / (1 - self.beta**count)).item()}
            row.update(self.evaluate())
            self.history.append(row)
        return self.history

    def evaluate(self) -> dict[str, float]:
        """Loss (and metric) on the validation loader, each batch weighted by its size."""
        self.model.eval()
        device = next(self.model.parameters()).device
        loss_sum, metric_sum, n = 0.0, 0.0, 0
        with torch.no_grad():
            for xb, yb in self.valid_dl:
                xb, yb = xb.to(device), yb.to(device)
                preds = self.model(xb)
                loss_sum += self.loss_func(preds, yb).cpu() * len(yb)
                if self.metric is not None:
                    metric_sum += self.metric(preds, yb).cpu() * len(yb)
                n += len(yb)
        if n == 0:
            raise ValueError("the validation loader yielded no batches")
        row = {"valid_loss": (loss_sum / n).item()}
        if self.metric is not None:
            row[getattr(self.metric, "__name__", "metric")] = (metric_sum / n).item()
        return row
