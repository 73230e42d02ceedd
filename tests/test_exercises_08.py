"""Notebook 08's exercises: plausible wrong answers fail with the message meant for them, and
right answers written differently pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.exercises import nb08

# --- sgd_update ------------------------------------------------------------------------------


def _step_no_zero(params, lr):
    with torch.no_grad():
        for p in params:
            p -= p.grad * lr


def _step_no_no_grad(params, lr):
    for p in params:
        p -= p.grad * lr
        p.grad.zero_()


def _step_rebinds(params, lr):
    with torch.no_grad():
        for p in params:
            p = p - p.grad * lr  # the bug under test
            p.grad.zero_()


def _step_rebinds_no_zero(params, lr):
    with torch.no_grad():
        for p in params:
            p = p - p.grad * lr  # the bug under test


def _step_uphill(params, lr):
    with torch.no_grad():
        for p in params:
            p += p.grad * lr
            p.grad.zero_()


def _step_zero_first(params, lr):
    with torch.no_grad():
        for p in params:
            p.grad.zero_()
            p -= p.grad * lr


def _step_no_lr(params, lr):
    with torch.no_grad():
        for p in params:
            p -= p.grad
            p.grad.zero_()


def _step_lr_fixed(params, lr):
    with torch.no_grad():
        for p in params:
            p -= p.grad * 0.1
            p.grad.zero_()


def _step_first_only(params, lr):
    with torch.no_grad():
        params[0] -= params[0].grad * lr
        for p in params:
            p.grad.zero_()


def _step_sign(params, lr):
    with torch.no_grad():
        for p in params:
            p -= p.grad.sign() * lr
            p.grad.zero_()


def _step_replaces(params, lr):
    with torch.no_grad():
        for i, p in enumerate(params):
            params[i] = (p - p.grad * lr).requires_grad_()


def _step_grad_none(params, lr):
    with torch.no_grad():
        for p in params:
            p -= p.grad * lr
            p.grad = None


def _step_sub_(params, lr):
    with torch.no_grad():
        for p in params:
            p.sub_(lr * p.grad)
    for p in params:
        p.grad.zero_()


def _step_data(params, lr):
    for p in params:
        p.data -= lr * p.grad.data
        p.grad.data.zero_()


def _step_optimizer(params, lr):
    optimizer = torch.optim.SGD(params, lr=lr)
    optimizer.step()
    optimizer.zero_grad()


WRONG_ANSWERS = {
    "make_targets": [
        (lambda labels, positive: (labels == positive).float(), "silently broadcasts"),
        (lambda labels, positive: (labels == positive).float().unsqueeze(0), "a row"),
        (lambda labels, positive: (labels == positive).unsqueeze(1), "refuses to subtract"),
        (lambda labels, positive: (labels == positive).long().unsqueeze(1), "integers (int64)"),
        (lambda labels, positive: (2 - (labels == positive).long()).float().unsqueeze(1),
         "take the values [1.0, 2.0]"),
        (lambda labels, positive: (labels != positive).float().unsqueeze(1), "reversed"),
        (lambda labels, positive: (labels == 3).float().unsqueeze(1),
         "make_targets(tensor([9, 2, 3, 2]), 2) returned [[0.0], [0.0], [1.0], [0.0]]"),
        (lambda labels, positive: (labels == positive).float().view(-1, 1).squeeze(),
         "silently broadcasts"),
        (lambda labels, positive: (labels == positive).tolist(), "should return a tensor"),
    ],
    "prepare": [
        (lambda x: x.reshape(len(x), -1).float(), "not divided by 255"),
        (lambda x: x.reshape(len(x), -1) // 255, "floors them"),
        (lambda x: (x.reshape(len(x), -1) / 255).byte(), "floors them"),
        (lambda x: x.reshape(len(x), -1), "integer pixels"),
        (lambda x: x.reshape(len(x), -1).float() / 255 / 255, "divided by 255 twice"),
        (lambda x: x.reshape(len(x), -1).float() / x.max(), "own maximum"),
        (lambda x: (x.float() / 255 - 0.5).reshape(len(x), -1), "no centring"),
        (lambda x: ((x.float() - x.float().mean()) / x.float().std()).reshape(len(x), -1),
         "no centring or standardising"),
        (lambda x: x.float() / 255, "one row of 784 pixels"),
        (lambda x: x.reshape(-1).float() / 255, "one row of 784 pixels"),
        (lambda x: x.reshape(784, -1).float() / 255, "one row of 784 pixels"),
        (lambda x: (x.reshape(len(x), -1).float() / 255).squeeze(), "a batch of one"),
        (lambda x: x.reshape(len(x), -1).half() / 255, "float16"),
        (lambda x: x.reshape(len(x), -1).float() / 256, "its byte value divided by 255"),
    ],
    "which_line": [
        (11, "zeroing the gradient after the step is right"),
        (2, "how often it happens"),
        ("7", "fills `.grad`"),
        (16, "there is no line 16"),
        ("b", "answer with a line number"),
        (5.5, "answer with a line number"),
        (np.int64(10), "moves the parameter against its gradient"),
    ],
    "sorted_share": [
        ("b", "natural guess"),
        ("(b)", "natural guess"),
        ("a", "tells the digits apart"),
        (0.5, "answer with one letter"),
        ("d", "answer with one letter"),
    ],
    "sgd_update": [
        (_step_no_zero, "still holds the gradient"),
        (_step_no_no_grad, "torch.no_grad()"),
        (_step_rebinds, "names a new tensor"),
        (_step_rebinds_no_zero, "only rebinds the name p"),
        (_step_uphill, "went up the gradient"),
        (_step_zero_first, "zero the gradient after using it, not before"),
        (_step_no_lr, "ignores the learning rate"),
        (_step_lr_fixed, "learning rate passed in as `lr`"),
        (_step_first_only, "moved only some of the parameters"),
        (_step_sign, "where [3.1, 2.2, -1.6] and [-0.4] is expected"),
        (_step_replaces, "changed the list `params` itself"),
    ],
    "decide": [
        (lambda s: s > 0.5, "compared the raw score with 0.5"),
        (lambda s: s.sigmoid(), "probabilities"),
        (lambda s: s, "those are scores"),
        (lambda s: s.sign(), "those are scores"),
        (lambda s: s.sigmoid() > 0, "always above 0"),
        (lambda s: s >= 0, "not `>=`"),
        (lambda s: s.sigmoid() >= 0.5, "not `>=`"),
        (lambda s: s < 0, "reversed"),
        (lambda s: (s > 0).squeeze(1), "keep the scores' shape"),
        (lambda s: (s > 0).squeeze(), "no `.squeeze()`"),
        (lambda s: s > -0.5, "for the score -0.2 you decided True"),
        (lambda s: s > 0.1, "for the score 0.001 you decided False"),
        (lambda s: s.sigmoid() > 0.51, "for the score 0.001 you decided False"),
        (lambda s: (s > 0).tolist(), "should return a tensor"),
    ],
}

RIGHT_ANSWERS = {
    "make_targets": [
        lambda labels, positive: (labels == positive).float()[:, None],
        lambda labels, positive: (labels == positive).double().view(-1, 1),
        lambda labels, positive: torch.where(labels == positive, 1.0, 0.0).reshape(-1, 1),
        lambda labels, positive: torch.tensor([[1.0 if v == positive else 0.0]
                                               for v in labels.tolist()]),
    ],
    "prepare": [
        lambda x: x.flatten(1).float() / 255,
        lambda x: x.view(-1, 28 * 28) / 255,  # true division of bytes gives floats
        lambda x: x.reshape(x.shape[0], 784).double() / 255.0,
        lambda x: x.float().div(255).flatten(start_dim=1),
        lambda x: torch.from_numpy(x.numpy().reshape(len(x), -1) / 255),
    ],
    "which_line": [5, "5", " 5 ", "line 5", "Line 5", np.int64(5), 5.0],
    "sorted_share": ["c", "C", "(c)", "c)", " c ", "c."],
    "sgd_update": [_step_grad_none, _step_sub_, _step_data, _step_optimizer],
    "decide": [
        lambda s: s.sigmoid() > 0.5,
        lambda s: (s.sigmoid() > 0.5).float(),
        lambda s: torch.where(s > 0, 1, 0),
        lambda s: s.double().sigmoid().round(),
        lambda s: ~(s <= 0),
    ],
}


def test_sorted_share_accepts_the_letter_in_brackets():
    for answer in ("(c)", "c)"):
        result = nb08.sorted_share.verdict(answer)
        assert result.status == "correct", (answer, result.message)


def test_sgd_update_with_the_learning_rate_written_in_fails_naming_it():
    result = nb08.sgd_update.verdict(_step_lr_fixed)
    assert result.status == "incorrect"
    assert "called with lr=0.3" in result.message and "learning rate" in result.message


def test_sgd_update_tries_two_learning_rates():
    lrs = []

    def step(params, lr):
        lrs.append(lr)
        nb08.sgd_update.reference(params, lr)

    assert nb08.sgd_update.verdict(step).status == "correct"
    assert len(set(lrs)) == 2 and not {0.1, 1.0} & set(lrs)


@pytest.mark.parametrize("answer", ["5", 5])
def test_line_five_explains_the_fix(answer):
    result = nb08.which_line.verdict(answer)
    assert result.status == "correct" and "before the loop" in result.message
