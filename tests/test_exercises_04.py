"""Notebook 04's exercises fail plausible wrong answers with the message meant for them."""

from __future__ import annotations

import torch

from helpers.exercises import nb04
from helpers.training import batch_accuracy, gap_loss


class NoNoGrad:
    """Updates in place while autograd records."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        for p in self.params:
            p -= self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad.zero_()


class NoZero(NoNoGrad):
    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= self.lr * p.grad

    def zero_grad(self):
        pass


class Uphill(NoZero):
    def step(self):
        with torch.no_grad():
            for p in self.params:
                p += self.lr * p.grad


class Replaces(NoZero):
    def step(self):
        with torch.no_grad():
            self.params = [p - self.lr * p.grad for p in self.params]


class NoLr(NoZero):
    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= p.grad


class NoSkip(NoNoGrad):
    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= self.lr * p.grad


def no_zero_grad(model, opt, train_batches, valid_batches):
    model.train()
    for xb, yb in train_batches:
        gap_loss(model(xb), yb).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return sum(batch_accuracy(model(xb), yb) for xb, yb in valid_batches) / len(valid_batches)


def _train(model, opt, train_batches):
    model.train()
    for xb, yb in train_batches:
        gap_loss(model(xb), yb).backward()
        opt.step()
        opt.zero_grad()


def grad_in_validation(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)
    model.eval()
    return sum(batch_accuracy(model(xb), yb) for xb, yb in valid_batches) / len(valid_batches)


def train_accuracy(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)
    model.eval()
    with torch.no_grad():
        return sum(batch_accuracy(model(xb), yb) for xb, yb in train_batches) / len(train_batches)


def no_eval(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)
    with torch.no_grad():
        return sum(batch_accuracy(model(xb), yb) for xb, yb in valid_batches) / len(valid_batches)


def no_train_mode(model, opt, train_batches, valid_batches):
    for xb, yb in train_batches:
        gap_loss(model(xb), yb).backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    with torch.no_grad():
        return sum(batch_accuracy(model(xb), yb) for xb, yb in valid_batches) / len(valid_batches)


def no_return(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)


WRONG_ANSWERS = {
    "linear_params": [
        (7840, "counts the weights only"),
        (7841, "one bias per output"),
        (785, "every one of the 10 outputs"),
        (794, "every one of the 10 outputs"),
        (784 * 784, "(10, 784), not 784 by 784"),
        ("7850", "whole number"),
    ],
    "optimiser": [
        (NoNoGrad, "inside `with torch.no_grad():`"),
        (NoZero, "left the old gradients in place"),
        (Uphill, "moved the parameters uphill"),
        (Replaces, "new tensors the model never sees"),
        (NoLr, "multiply by the learning rate"),
        (NoSkip, "whose .grad is None"),
        (NoNoGrad(torch.zeros(1, requires_grad=True)[None], 0.1), "pass the class itself"),
    ],
    "fit_epoch": [
        (no_zero_grad, "without opt.zero_grad()"),
        (grad_in_validation, "gradient tracking on"),
        (train_accuracy, "accuracy on the training batches"),
        (no_eval, "still in training mode during validation"),
        (no_train_mode, "call model.train()"),
        (no_return, "returned None"),
    ],
}


def test_the_answers_pass():
    assert nb04.param_count.evaluate(7850).status == "correct"
    assert nb04.optimiser.evaluate(nb04._ReferenceSGD).status == "correct"
    assert nb04.fit_epoch.evaluate(nb04.one_epoch).status == "correct"
