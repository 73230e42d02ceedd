"""Notebook 03's exercises: plausible wrong answers fail with the message meant for them, and
right answers written differently pass (both run by tests/test_exercises.py)."""

from __future__ import annotations

import numpy as np
import torch

from helpers.exercises import nb03
from helpers.training import gap_loss, linear_model

# --- where_loss ----------------------------------------------------------------------------------


def no_sigmoid(scores, targets):
    return torch.where(targets == 1, 1 - scores, scores).mean()


def summed(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets == 1, 1 - probs, probs).sum()


def no_mean(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets == 1, 1 - probs, probs)


def flat_targets(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets.flatten() == 1, 1 - probs, probs).mean()


def flat_scores(scores, targets):
    probs = scores.sigmoid().flatten()
    return torch.where(targets == 1, 1 - probs, probs).mean()


def flat_targets_no_mean(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets.squeeze() == 1, 1 - probs, probs)


def swapped(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets == 1, probs, 1 - probs).mean()


def as_float(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets == 1, 1 - probs, probs).mean().item()


def detached(scores, targets):
    probs = scores.detach().sigmoid()
    return torch.where(targets == 1, 1 - probs, probs).mean()


def via_data(scores, targets):
    probs = scores.data.sigmoid()
    return torch.where(targets == 1, 1 - probs, probs).mean()


def squared(scores, targets):
    probs = scores.sigmoid()
    return (torch.where(targets == 1, 1 - probs, probs) ** 2).mean()


def cross_entropy(scores, targets):
    probs = scores.sigmoid()
    return -torch.where(targets == 1, probs.log(), (1 - probs).log()).mean()


def float_condition(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets, 1 - probs, probs).mean()


def squashed_in_place(scores, targets):
    probs = scores.sigmoid_()
    return torch.where(targets == 1, 1 - probs, probs).mean()


def one_minus_everywhere(scores, targets):
    return (1 - scores.sigmoid()).mean()


# --- prob_accuracy -------------------------------------------------------------------------------


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


def flat_table(probs, targets):
    return (probs > 0.5).float() == targets.flatten()


def bool_mean(probs, targets):
    return ((probs > 0.5).float() == targets).mean()


def per_image(probs, targets):
    return (probs > 0.5).float() == targets


def error_rate(probs, targets):
    return ((probs > 0.5).float() != targets).float().mean()


def percentage(probs, targets):
    return 100 * ((probs > 0.5).float() == targets).float().mean()


def compares_probs(probs, targets):
    return (probs == targets).float().mean()


def hard_coded(probs, targets):
    return torch.tensor(5 / 7)


# --- sgd_step ------------------------------------------------------------------------------------


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


def zero_grad_at_start(weights, bias, xb, yb, lr):
    for p in (weights, bias):
        p.grad.zero_()
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        for p in (weights, bias):
            p -= lr * p.grad
    return loss


def zero_grad_at_start_if_any(weights, bias, xb, yb, lr):
    for p in (weights, bias):
        if p.grad is not None:
            p.grad.zero_()
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        for p in (weights, bias):
            p -= lr * p.grad
    return loss


def backward_after_step(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    with torch.no_grad():
        for p in (weights, bias):
            p -= lr * p.grad
    loss.backward()
    return loss


def weights_only(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        weights -= lr * weights.grad
        weights.grad.zero_()
    return loss


def bias_only(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        bias -= lr * bias.grad
        bias.grad.zero_()
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


def fixed_rate(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        for p in (weights, bias):
            p -= 0.5 * p.grad
            p.grad.zero_()
    return loss


def no_rate(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        for p in (weights, bias):
            p -= p.grad
            p.grad.zero_()
    return loss


def _step_with(loss):
    def sgd_step(weights, bias, xb, yb, lr):
        loss(linear_model(xb, weights, bias), yb).backward()
        with torch.no_grad():
            for p in (weights, bias):
                p -= lr * p.grad
                p.grad.zero_()
    return sgd_step


WRONG_ANSWERS = {
    "where_loss": [
        (no_sigmoid, "squash them into (0, 1)"),
        (summed, "`.sum()`"),
        (no_mean, "one gap per image"),
        (flat_targets, "(n, n) table"),
        (flat_scores, "(n, n) table"),
        (flat_targets_no_mean, "(5, 5) table"),
        (swapped, "branches of `torch.where` are swapped"),
        (as_float, "leave out `.item()`"),
        (detached, "does not track gradients"),
        (via_data, "does not track gradients"),
        (squared, "you squared the gaps"),
        (cross_entropy, "binary cross-entropy"),
        (float_condition, "`targets == 1`"),
        (squashed_in_place, "changed `scores` in place"),
        (one_minus_everywhere, "you took 1 - p for every image"),
        (lambda scores, targets: torch.tensor(0.3, requires_grad=True),
         "cannot name the slip"),
        (lambda scores, targets: [gap_loss(scores, targets)], "as a tensor holding one number"),
    ],
    "prob_accuracy": [
        (threshold_at_zero, "the boundary for them is 0.5"),
        (sigmoid_again, "called every image positive"),
        (counted, "use `.mean()` rather than `.sum()`"),
        (flat_accuracy, "(n, n) table"),
        (flat_table, "(7, 7) table"),
        (at_or_above, "not `>= 0.5`"),
        (bool_mean, "`.float()` before `.mean()`"),
        (per_image, "one value per image"),
        (error_rate, "classified WRONG"),
        (percentage, "a percentage"),
        (compares_probs, "not the probability itself"),
        (hard_coded, "where 1 is expected"),
    ],
    "sgd_step": [
        (not_zeroed, "`.grad` is not zero afterwards"),
        (zero_grad_at_start_if_any, "`.grad` is not zero afterwards"),
        (zero_grad_at_start, "a `.grad` that is still None"),
        (tracked, "inside `with torch.no_grad():`"),
        (uphill, "stepped along the gradient"),
        (rebound, "`weights = weights - lr * weights.grad` makes a new local tensor"),
        (zeroed_first, "*after* the step"),
        (backward_after_step, "call `loss.backward()` before the update"),
        (weights_only, "the bias did not"),
        (bias_only, "the weights did not"),
        (no_backward, "call `loss.backward()`"),
        (fixed_rate, "with lr = 0.5 it made the same step"),
        (no_rate, "subtracted the whole gradient"),
        (_step_with(lambda s, y: (s.sigmoid() - y).abs().sum()), "8 times too long"),
        (_step_with(lambda s, y: ((s.sigmoid() - y) ** 2).mean()), "you squared the gaps"),
        (_step_with(lambda s, y: (s - y).abs().mean()), "forgot the sigmoid"),
        (_step_with(torch.nn.functional.binary_cross_entropy_with_logits),
         "binary cross-entropy"),
        (0.5, "wants a function"),
    ],
}


def where_by_arithmetic(scores, targets):
    probs = torch.sigmoid(scores)
    return (targets * (1 - probs) + (1 - targets) * probs).mean()


def where_in_float64(scores, targets):
    probs = scores.double().sigmoid()
    return torch.where(targets.bool(), 1 - probs, probs).mean()


def where_in_a_loop(scores, targets):
    gaps = [1 - p if t == 1 else p for p, t in zip(scores.sigmoid(), targets, strict=True)]
    return torch.stack(gaps).mean()


def accuracy_in_float64(probs, targets):
    return ((probs > 0.5).double() == targets.double()).double().mean()


def sgd_with_none(weights, bias, xb, yb, lr):
    loss = ((xb @ weights + bias).sigmoid() - yb).abs().mean()
    loss.backward()
    with torch.no_grad():
        weights -= lr * weights.grad
        bias -= lr * bias.grad
    weights.grad = None
    bias.grad = None
    return loss


def sgd_with_data(weights, bias, xb, yb, lr):
    nb03.where_loss.reference(linear_model(xb, weights, bias), yb).backward()
    for p in (weights, bias):
        p.data -= lr * p.grad.data
        p.grad.data.zero_()


def sgd_with_an_optimiser(weights, bias, xb, yb, lr):
    opt = torch.optim.SGD([weights, bias], lr=lr)
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    opt.step()
    opt.zero_grad()
    return loss.item()


RIGHT_ANSWERS = {
    "where_loss": [
        lambda scores, targets: (scores.sigmoid() - targets).abs().mean(),
        where_by_arithmetic,
        where_in_float64,
        where_in_a_loop,
        gap_loss,
    ],
    "prob_accuracy": [
        accuracy_in_float64,
        lambda probs, targets: (probs.round() == targets).float().mean(),
        lambda probs, targets: ((probs > 0.5) == targets.bool()).float().mean().item(),
        lambda probs, targets: ((probs > 0.5).float() == targets).sum() / len(targets),
        lambda probs, targets: np.float64((torch.where(probs > 0.5, 1.0, 0.0) == targets)
                                          .float().mean().item()),
    ],
    "sgd_step": [sgd_with_none, sgd_with_data, sgd_with_an_optimiser],
}


def test_where_loss_reference_passes_after_an_in_place_answer():
    def scribbles(scores, targets):
        targets.fill_(0.0)  # targets are not tracked, so PyTorch lets this through
        with torch.no_grad():
            scores.mul_(-3)
        return (scores.sigmoid() - targets).abs().mean()

    assert nb03.where_loss.verdict(scribbles).status == "incorrect"
    result = nb03.where_loss.verdict(nb03.where_loss.reference)
    assert result.status == "correct", result.message
    scores, targets = nb03._where_data()
    assert torch.equal(scores.detach(), torch.tensor([[0.3], [6.0], [-4.0], [-0.5], [2.0]]))
    assert torch.equal(targets, torch.tensor([[1.0], [1.0], [0.0], [1.0], [0.0]]))


def test_prob_accuracy_in_float64_passes():
    result = nb03.prob_accuracy.verdict(accuracy_in_float64)
    assert result.status == "correct", result.message
    assert accuracy_in_float64(*nb03._accuracy_data()).dtype == torch.float64


def test_the_where_form_equals_gap_loss():
    scores = torch.randn(50, 1) * 4
    targets = (torch.rand(50, 1) > 0.5).float()
    assert torch.allclose(nb03.where_loss.reference(scores, targets), gap_loss(scores, targets))
