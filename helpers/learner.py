"""The optimiser and the Learner written by hand in notebook 04, reused after it.

Each class here is defined, and explained, in a notebook cell tagged
``saved:helpers.learner`` (``make export`` writes it
here); tests/test_shared_code.py checks the two are the same code.
``PlainSGD`` takes exactly the steps of fastai's ``SGD`` (and ``torch.optim.SGD``) without
momentum or weight decay; ``MiniLearner`` reproduces the figures fastai's ``Learner`` reports.
Both are taught code: they check nothing, as a learner would write them.
"""

from __future__ import annotations

import torch

__all__ = ["MiniLearner", "PlainSGD"]


class PlainSGD:
    """Stochastic gradient descent: each step moves every parameter by -lr * its gradient."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        with torch.no_grad():  # the update is not part of the model: autograd must not record it
            for p in self.params:
                if p.grad is not None:  # a parameter the loss did not use has no gradient
                    p.add_(p.grad, alpha=-self.lr)  # p - lr * grad, in place, as fastai does it

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()


class MiniLearner:
    """fastai's Learner loop for a plain model: train, smooth the loss, validate, record."""

    def __init__(self, dls, model, loss_func, opt_func=PlainSGD, metric=None, beta=0.98):
        self.dls, self.model, self.loss_func = dls, model, loss_func
        self.opt_func, self.metric, self.beta = opt_func, metric, beta
        self.history, self.losses = [], []  # one row per epoch; every batch's loss

    def fit(self, n_epochs, lr):
        opt = self.opt_func(self.model.parameters(), lr)
        smooth = torch.tensor(0.0)  # runs on across epochs, as fastai's does
        for epoch in range(1, n_epochs + 1):
            self.model.train()
            for xb, yb in self.dls.train:
                loss = self.loss_func(self.model(xb), yb)  # predict, loss
                loss.backward()  # gradient
                opt.step()  # step
                opt.zero_grad()
                self.losses.append(loss.item())
                # the smoothed loss: beta * smooth + (1 - beta) * loss (see the aside below)
                smooth = torch.lerp(loss.detach().cpu(), smooth, self.beta)
            debiased = smooth / (1 - self.beta ** len(self.losses))
            self.history.append({"epoch": epoch, "train_loss": debiased.item(), **self.evaluate()})
        return self.history

    def evaluate(self):
        """Loss and metric on the validation set, each batch weighted by its size."""
        self.model.eval()
        loss_sum, metric_sum, n = 0.0, 0.0, 0
        with torch.no_grad():
            for xb, yb in self.dls.valid:
                preds = self.model(xb)
                loss_sum += self.loss_func(preds, yb) * len(yb)
                if self.metric is not None:
                    metric_sum += self.metric(preds, yb) * len(yb)
                n += len(yb)
        row = {"valid_loss": (loss_sum / n).item()}
        if self.metric is not None:
            row[self.metric.__name__] = (metric_sum / n).item()
        return row
