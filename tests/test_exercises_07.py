"""Notebook 07's exercises: plausible wrong answers fail with the message meant for them, and
right answers written differently pass."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from helpers.exercises import nb07


def _rows(n):
    return torch.arange(n)


# --- my_softmax ---------------------------------------------------------------------------


def _softmax_no_shift(x):
    return x.exp() / x.exp().sum(dim=1, keepdim=True)


def _softmax_global_max(x):
    exps = (x - x.max()).exp()
    return exps / exps.sum(dim=1, keepdim=True)


def _softmax_global_max_eps(x):
    exps = (x - x.max()).exp()
    return exps / (exps.sum(dim=1, keepdim=True) + 1e-12)


def _softmax_wrong_dim(x):
    exps = (x - x.amax(dim=0, keepdim=True)).exp()
    return exps / exps.sum(dim=0, keepdim=True)


def _softmax_no_keepdim(x):
    exps = (x - x.amax(dim=1, keepdim=True)).exp()
    return exps / exps.sum(dim=1)  # (n, k) / (n,): broadcasts along the wrong axis


def _softmax_max_no_keepdim(x):
    exps = (x - x.amax(dim=1)).exp()
    return exps / exps.sum(dim=1, keepdim=True)


def _log_softmax(x):
    shifted = x - x.amax(dim=1, keepdim=True)
    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()


def _softmax_in_place(x):
    x -= x.amax(dim=1, keepdim=True)
    return x.exp() / x.exp().sum(dim=1, keepdim=True)


def _softmax_squeezed(x):
    exps = (x - x.amax(dim=1, keepdim=True)).exp()
    return (exps / exps.sum(dim=1, keepdim=True)).squeeze()


def _softmax_float64(x):
    x = x.double()
    exps = (x - x.max(dim=1, keepdim=True).values).exp()
    return exps / exps.sum(dim=1, keepdim=True)


def _softmax_loop(x):
    rows = []
    for row in x:
        exps = (row - row.max()).exp()
        rows.append(exps / exps.sum())
    return torch.stack(rows)


# --- my_cross_entropy ---------------------------------------------------------------------


def _ce_sum(logits, targets):
    return -torch.log_softmax(logits, dim=1)[_rows(len(targets)), targets].sum()


def _ce_wrong_index(logits, targets):
    return -torch.log_softmax(logits, dim=1)[:, targets].mean()


def _ce_diagonal(logits, targets):
    n = len(targets)
    return -torch.log_softmax(logits, dim=1)[_rows(n), _rows(n) % logits.shape[1]].mean()


def _ce_swapped_index(logits, targets):
    return -torch.log_softmax(logits, dim=1)[targets, _rows(len(targets))].mean()


def _ce_log_of_logits(logits, targets):
    return -logits.log()[_rows(len(targets)), targets].mean()


def _ce_naive(logits, targets):
    probs = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
    return -probs.log()[_rows(len(targets)), targets].mean()


def _ce_no_log(logits, targets):
    return -logits.softmax(dim=1)[_rows(len(targets)), targets].mean()


def _ce_no_minus(logits, targets):
    return torch.log_softmax(logits, dim=1)[_rows(len(targets)), targets].mean()


def _ce_dim0(logits, targets):
    return -torch.log_softmax(logits, dim=0)[_rows(len(targets)), targets].mean()


def _ce_item(logits, targets):
    return torch.tensor(F.cross_entropy(logits, targets).item())


def _ce_float(logits, targets):
    return F.cross_entropy(logits, targets).item()


def _ce_per_image(logits, targets):
    return -torch.log_softmax(logits, dim=1)[_rows(len(targets)), targets]


def _ce_one_hot_mean(logits, targets):
    one_hot = F.one_hot(targets, logits.shape[1])
    return -(one_hot * torch.log_softmax(logits, dim=1)).mean()


def _ce_one_hot_no_classes(logits, targets):
    return -(F.one_hot(targets) * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()


def _ce_twice_softmax(logits, targets):
    return F.cross_entropy(logits.softmax(dim=1), targets)


def _ce_fake_grad(logits, targets):
    return torch.tensor(F.cross_entropy(logits, targets).item(), requires_grad=True)


def _ce_logsumexp(logits, targets):
    picked = logits[_rows(len(targets)), targets]
    return (logits.logsumexp(dim=1) - picked).mean()


def _ce_loop(logits, targets):
    total = 0
    for row, t in zip(logits, targets, strict=True):
        total = total - torch.log_softmax(row, dim=0)[t]
    return total / len(targets)


def _ce_one_hot(logits, targets):
    one_hot = F.one_hot(targets, num_classes=logits.shape[1])
    return -(one_hot * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()


# --- per_digit_accuracy -------------------------------------------------------------------


def _per_digit_loop(cm):
    return [cm[i, i].item() / cm[i].sum().item() for i in range(len(cm))]


WRONG_ANSWERS = {
    "my_softmax": [
        (_softmax_no_shift, "exp(1000) overflows"),
        (_softmax_global_max, "underflows to 0"),
        (_softmax_global_max_eps, "each exp underflows"),
        (_softmax_wrong_dim, "each COLUMN of your result sums to 1"),
        (_softmax_no_keepdim, "without keepdim=True"),
        (_softmax_max_no_keepdim, "without keepdim=True"),
        (_log_softmax, "those are log-probabilities"),
        (lambda x: torch.log_softmax(x, dim=1), "those are log-probabilities"),
        (lambda x: (x - x.amax(dim=1, keepdim=True)).exp(), "you stopped at the exponentials"),
        (lambda x: x.sigmoid(), "that is the sigmoid"),
        (lambda x: (x - x.amax(dim=1, keepdim=True)).exp().sum(dim=1), "summed something away"),
        (_softmax_in_place, "changed its input number 1 in place"),
        (_softmax_squeezed, "no `.squeeze()`"),
        (lambda x: x.softmax(dim=0), "each COLUMN"),
        (lambda x: x / x.sum(dim=1, keepdim=True), "For the scores [[2.0, 1.0, 0.0]"),
    ],
    "my_cross_entropy": [
        (_ce_sum, "SUM over the batch"),
        (_ce_wrong_index, "log_probs[torch.arange(n), targets]"),
        (_ce_diagonal, "you picked the diagonal"),
        (_ce_swapped_index, "Index the rows first"),
        (_ce_log_of_logits, "you took the log of the raw scores"),
        (lambda lg, t: -lg[_rows(len(t)), t].mean(), "you used the raw scores"),
        (lambda lg, t: F.nll_loss(lg, t), "you used the raw scores"),
        (_ce_no_log, "you averaged the probabilities themselves"),
        (_ce_naive, "exp(-600) is 0"),
        (_ce_no_minus, "your loss is negative"),
        (_ce_dim0, "you normalised over the batch (dim=0)"),
        (_ce_item, "does not track gradients"),
        (_ce_float, "keep the loss a tensor"),
        (_ce_per_image, "one loss per image"),
        (_ce_one_hot_mean, "you averaged over all 4 x 3 entries"),
        (_ce_one_hot_no_classes, "num_classes=logits.shape[1]"),
        (_ce_twice_softmax, "you applied softmax twice"),
        (_ce_fake_grad, "not connected to the logits"),
    ],
    "per_digit_accuracy": [
        (lambda cm: cm.diag() / cm.sum(dim=0), "you divided by the COLUMN sums"),
        (lambda cm: cm.diag() / cm.sum(), "divided by the total number of images"),
        (lambda cm: cm.diag().sum() / cm.sum(), "that is the overall accuracy"),
        (lambda cm: cm.diag(), "those are counts of right answers"),
        (lambda cm: cm.diag() // cm.sum(dim=1), "integer division"),
        (lambda cm: 100 * cm.diag() / cm.sum(dim=1), "percentages"),
        (lambda cm: cm.diag() / cm.sum(dim=1, keepdim=True), "keepdim=True"),
        (lambda cm: cm / cm.sum(dim=1, keepdim=True), "the accuracies are on its diagonal"),
        (lambda cm: 1 - cm.diag() / cm.sum(dim=1), "share of mistakes"),
        (lambda cm: cm.diag() / (cm.sum(dim=1) - cm.diag()), "divided by the mistakes only"),
        (lambda cm: torch.stack([cm[i, i] / cm[i].sum() for i in range(3)]),
         "did you loop over a fixed range?"),
        (lambda cm: "0.8 0.8 0.4", "should be a tensor"),
    ],
}

RIGHT_ANSWERS = {
    "my_softmax": [
        _softmax_float64,
        _softmax_loop,
        lambda x: torch.softmax(x, dim=1),  # the task does not forbid PyTorch's own
        lambda x: F.softmax(x, dim=-1),
        lambda x: (x - x.logsumexp(dim=1, keepdim=True)).exp(),
    ],
    "my_cross_entropy": [
        lambda logits, targets: F.cross_entropy(logits, targets),
        lambda logits, targets: F.nll_loss(F.log_softmax(logits, dim=1), targets),
        lambda logits, targets: -torch.log_softmax(logits, 1).gather(1, targets[:, None]).mean(),
        _ce_logsumexp,
        _ce_loop,
        _ce_one_hot,
        lambda lg, t: F.cross_entropy(lg.double(), t),
        lambda lg, t: -torch.log_softmax(lg, 1)[F.one_hot(t, lg.shape[1]).bool()].mean(),
    ],
    "per_digit_accuracy": [
        lambda cm: cm.diagonal() / cm.sum(1),
        lambda cm: cm.diag().double() / cm.sum(dim=-1).double(),
        _per_digit_loop,
        lambda cm: np.diag(cm.numpy()) / cm.numpy().sum(axis=1),
        lambda cm: torch.stack([cm[i, i] / cm[i].sum() for i in range(len(cm))]),
        lambda cm: (cm.diag() / cm.sum(dim=1)).tolist(),
    ],
}


def test_my_softmax_in_float64_passes():
    result = nb07.my_softmax.verdict(_softmax_float64)
    assert result.status == "correct", result.message
    assert nb07.my_softmax.verdict(lambda x: nb07.my_softmax.reference(x.double())).status == (
        "correct")


def test_softmax_with_a_global_max_fails_about_underflow():
    result = nb07.my_softmax.verdict(_softmax_global_max)
    assert result.status == "incorrect"
    assert "underflows" in result.message and "each row's OWN largest score" in result.message
    assert "overflow" not in result.message


def test_softmax_without_a_shift_fails_about_overflow():
    result = nb07.my_softmax.verdict(_softmax_no_shift)
    assert result.status == "incorrect" and "overflows to inf" in result.message


def test_cross_entropy_gradient_is_the_closed_form():
    logits = torch.randn(6, 10, requires_grad=True)
    targets = torch.randint(0, 10, (6,))
    nb07.my_cross_entropy.reference(logits, targets).backward()
    by_formula = (logits.softmax(1) - F.one_hot(targets, 10)) / 6
    assert torch.allclose(logits.grad, by_formula, atol=1e-6)
