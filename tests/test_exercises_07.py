"""Notebook 07's exercises: plausible wrong answers fail with the message meant for them."""

from __future__ import annotations

import torch


def _softmax_no_shift(x):
    return x.exp() / x.exp().sum(dim=1, keepdim=True)


def _softmax_wrong_dim(x):
    exps = (x - x.amax(dim=0, keepdim=True)).exp()
    return exps / exps.sum(dim=0, keepdim=True)


def _softmax_no_keepdim(x):
    exps = (x - x.amax(dim=1, keepdim=True)).exp()
    return exps / exps.sum(dim=1)  # (n, k) / (n,): broadcasts along the wrong axis


def _ce_sum(logits, targets):
    return -torch.log_softmax(logits, dim=1)[torch.arange(len(targets)), targets].sum()


def _ce_wrong_index(logits, targets):
    return -torch.log_softmax(logits, dim=1)[:, targets].mean()


def _ce_diagonal(logits, targets):
    return -torch.log_softmax(logits, dim=1)[torch.arange(len(targets)), torch.arange(
        len(targets)) % logits.shape[1]].mean()


def _ce_log_of_logits(logits, targets):
    return -logits.clamp_min(1e-12).log()[torch.arange(len(targets)), targets].mean()


def _ce_naive(logits, targets):
    probs = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
    return -probs.log()[torch.arange(len(targets)), targets].mean()


def _ce_no_minus(logits, targets):
    return torch.log_softmax(logits, dim=1)[torch.arange(len(targets)), targets].mean()


def _ce_item(logits, targets):
    return torch.tensor(torch.nn.functional.cross_entropy(logits, targets).item())


WRONG_ANSWERS = {
    "softmax": [
        (_softmax_no_shift, "Subtract each row's largest score"),
        (_softmax_wrong_dim, "each COLUMN of your result sums to 1"),
        (_softmax_no_keepdim, "divide each exponential by the sum of its own row"),
        (lambda x: (x - x.amax(dim=1, keepdim=True)).exp().sum(dim=1), "summed something away"),
    ],
    "cross_entropy": [
        (_ce_sum, "SUM over the batch"),
        (_ce_wrong_index, "log_probs[torch.arange(n), targets]"),
        (_ce_diagonal, "you picked the diagonal"),
        (_ce_log_of_logits, "you took the log of the raw scores"),
        (lambda lg, t: -lg[torch.arange(len(t)), t].mean(), "you used the raw scores"),
        (_ce_naive, "inf or nan"),
        (_ce_no_minus, "your loss is negative"),
        (_ce_item, "does not track gradients"),
    ],
    "per_digit": [
        (lambda cm: cm.diag() / cm.sum(dim=0), "you divided by the COLUMN sums"),
        (lambda cm: cm.diag() / cm.sum(), "divided by the total number of images"),
        (lambda cm: cm.diag().sum() / cm.sum(), "you returned one number"),
    ],
}
