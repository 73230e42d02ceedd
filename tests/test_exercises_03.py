"""Notebook 03's exercises: plausible wrong answers fail with the message meant for them."""

from __future__ import annotations

import pytest
import torch

from helpers.exercises import nb03
from helpers.training import gap_loss, linear_model


def no_sigmoid(scores, targets):
    return torch.where(targets == 1, 1 - scores, scores).mean()


def summed(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets == 1, 1 - probs, probs).sum()


def flat_targets(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets.flatten() == 1, 1 - probs, probs).mean()


def swapped(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets == 1, probs, 1 - probs).mean()


def as_float(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets == 1, 1 - probs, probs).mean().item()


def threshold_at_zero(probs, targets):
    return ((probs > 0).float() == targets).float().mean()


def sigmoid_again(probs, targets):
    return ((probs.sigmoid() > 0.5).float() == targets).float().mean()


def counted(probs, targets):
    return ((probs > 0.5).float() == targets).float().sum()


def at_or_above(probs, targets):
    return ((probs >= 0.5).float() == targets).float().mean()


def flat_accuracy(probs, targets):
    return ((probs > 0.5).float() == targets.flatten()).float().mean()


def not_zeroed(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        for p in (weights, bias):
            p -= lr * p.grad
    return loss


def zeroed_first(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        for p in (weights, bias):
            p.grad.zero_()
            p -= lr * p.grad
    return loss


def weights_only(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        weights -= lr * weights.grad
        weights.grad.zero_()
    return loss


def tracked(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    for p in (weights, bias):
        p -= lr * p.grad
        p.grad.zero_()
    return loss


def uphill(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        for p in (weights, bias):
            p += lr * p.grad
            p.grad.zero_()
    return loss


def rebound(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        weights = weights - lr * weights.grad
        bias = bias - lr * bias.grad
    return loss


def no_backward(weights, bias, xb, yb, lr):
    with torch.no_grad():
        for p in (weights, bias):
            p -= lr * p.grad
    return None


WRONG_ANSWERS = {
    "where_loss": [
        (no_sigmoid, "squash them into (0, 1)"),
        (summed, "`.sum()`"),
        (flat_targets, "(n, n) table"),
        (swapped, "branches of `torch.where` are swapped"),
        (as_float, "leave out `.item()`"),
    ],
    "prob_accuracy": [
        (threshold_at_zero, "the boundary for them is 0.5"),
        (sigmoid_again, "called every image positive"),
        (counted, "use `.mean()` rather than `.sum()`"),
        (flat_accuracy, "(n, n) table"),
        (at_or_above, "not `>= 0.5`"),
    ],
    "sgd_step": [
        (not_zeroed, "zero it after each step"),
        (tracked, "inside `with torch.no_grad():`"),
        (uphill, "stepped along the gradient"),
        (rebound, "the weights did not change"),
        (zeroed_first, "*after* the step"),
        (weights_only, "the bias did not"),
        (no_backward, "call `loss.backward()`"),
    ],
}


@pytest.mark.parametrize("name", list(WRONG_ANSWERS))
def test_reference_and_placeholder(name):
    exercise = getattr(nb03, name)
    assert exercise.evaluate(exercise.reference).status == "correct"

    def stub(*args):
        ...

    assert exercise.evaluate(stub).status == "unattempted"


def test_the_where_form_equals_gap_loss():
    scores = torch.randn(50, 1) * 4
    targets = (torch.rand(50, 1) > 0.5).float()
    assert torch.equal(nb03.where_loss.reference(scores, targets), gap_loss(scores, targets))
