"""Notebook 08's exercises: plausible wrong answers fail with the message meant for them."""

from __future__ import annotations

import pytest
import torch

from helpers.exercises import nb08


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


WRONG_ANSWERS = {
    "targets": [
        (lambda labels, positive: (labels == positive).float(), "silently broadcasts"),
        (lambda labels, positive: (labels == positive).unsqueeze(1), "refuses to subtract"),
        (lambda labels, positive: (2 - (labels == positive).long()).float().unsqueeze(1),
         "take the values [1.0, 2.0]"),
        (lambda labels, positive: (labels != positive).float().unsqueeze(1), "reversed"),
        (lambda labels, positive: (labels == 3).float().unsqueeze(1), "make_targets(tensor([9"),
    ],
    "prepare": [
        (lambda x: x.reshape(len(x), -1).float(), "not divided by 255"),
        (lambda x: x.reshape(len(x), -1) // 255, "floors them"),
        (lambda x: x.reshape(len(x), -1).float() / 255 / 255, "divided by 255 twice"),
        (lambda x: x.reshape(len(x), -1).float() / x.max(), "own maximum"),
        (lambda x: x.float() / 255, "one row of 784 pixels"),
        (lambda x: x.reshape(-1).float() / 255, "one row of 784 pixels"),
    ],
    "which_line": [
        (11, "zeroing the gradient after the step is right"),
        (2, "how often it happens"),
        ("7", "fills `.grad`"),
        (16, "there is no line 16"),
        ("b", "answer with a line number"),
    ],
    "sorted_share": [
        ("b", "natural guess"),
        ("a", "tells the digits apart"),
        (0.5, "answer with one letter"),
    ],
    "sgd_update": [
        (_step_no_zero, "still holds the gradient"),
        (_step_no_no_grad, "torch.no_grad()"),
        (_step_rebinds, "names a new tensor"),
        (_step_uphill, "went up the gradient"),
        (_step_zero_first, "left the parameters unchanged"),
        (_step_no_lr, "ignores the learning rate"),
    ],
    "decide": [
        (lambda s: s > 0.5, "compared the raw score with 0.5"),
        (lambda s: s.sigmoid(), "probabilities"),
        (lambda s: s, "those are scores"),
        (lambda s: s.sigmoid() > 0, "always above 0"),
        (lambda s: s < 0, "reversed"),
        (lambda s: (s > 0).squeeze(1), "keep the scores' shape"),
    ],
}


@pytest.mark.parametrize("answer", [lambda s: s > 0, lambda s: s.sigmoid() > 0.5,
                                    lambda s: (s.sigmoid() > 0.5).float()])
def test_both_decision_rules_pass(answer):
    assert nb08.decide.evaluate(answer).status == "correct"


@pytest.mark.parametrize("answer", [5, "5", " 5 ", "line 5"])
def test_line_answer_as_number_or_text(answer):
    assert nb08.which_line.evaluate(answer).status == "correct"


def test_step_may_set_grads_to_none():
    def step(params, lr):
        with torch.no_grad():
            for p in params:
                p -= p.grad * lr
                p.grad = None

    assert nb08.sgd_step.evaluate(step).status == "correct"
