"""Notebook 02's exercises: plausible wrong answers fail with the message meant for them."""

import pytest
import torch

from helpers.exercises import nb02


def forward_difference(fn, x, h):
    return (fn(x + h) - fn(x)) / h


def over_h(fn, x, h):
    return (fn(x + h) - fn(x - h)) / h


def not_divided(fn, x, h):
    return fn(x + h) - fn(x - h)


def own_h(fn, x, h):
    h = 1e-6
    return (fn(x + h) - fn(x - h)) / (2 * h)


def autograd_slope(fn, x, h):
    x = torch.tensor(x, requires_grad=True)
    fn(x).backward()
    return x.grad.item()


def no_return(fn, x, h):
    (fn(x + h) - fn(x - h)) / (2 * h)


def step_without_no_grad(params, lr):
    for p in params:
        p -= lr * p.grad
        p.grad = None


def step_not_zeroed(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


def step_uphill(params, lr):
    with torch.no_grad():
        for p in params:
            p += lr * p.grad
    for p in params:
        p.grad = None


def step_rebinds(params, lr):
    with torch.no_grad():
        for p in params:
            p = p - lr * p.grad  # the mistake under test


def step_without_lr(params, lr):
    with torch.no_grad():
        for p in params:
            p -= p.grad
    for p in params:
        p.grad = None


def step_clears_first(params, lr):
    for p in params:
        p.grad = None
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


def step_new_list(params, lr):
    for i, p in enumerate(params):
        params[i] = (p - lr * p.grad).detach().requires_grad_()


def step_fixed_rate(params, lr):
    with torch.no_grad():
        for p in params:
            p -= 0.1 * p.grad
    for p in params:
        p.grad = None


WRONG_ANSWERS = {
    "slope": [
        (forward_difference, "forward"),
        (over_h, "twice too large"),
        (not_divided, "divide it by the distance"),
        (own_h, "with the h you are given"),
        (autograd_slope, "what autograd"),
        (no_return, "forget to `return`"),
        (lambda fn, x, h: [fn(x + h), fn(x - h)], "should return a number"),
    ],
    "take_step": [
        (step_without_no_grad, "torch.no_grad()"),
        (step_not_zeroed, "still in `.grad`"),
        (step_uphill, "uphill"),
        (step_rebinds, "did not move"),
        (step_without_lr, "scale it by the learning rate"),
        (step_clears_first, "Step first, then clear"),
        (step_new_list, "new tensors into the list"),
        (step_fixed_rate, "not by -lr * gradient"),
        (0.1, "wants a function"),
    ],
    "big_step": [
        ("a", "needs lr = 0.5"),
        ("b", "creeping"),
        ("d", "does not grow"),
        ("e", "one letter"),
        (3, "one letter"),
    ],
    "which_loop": [
        ("b", "never clears `.grad`"),
        ("B", "swings back up"),
        ("c", "fails loudly"),
        ("d", "one letter"),
    ],
}


@pytest.mark.parametrize("answer", ["c", " C ", "(c)"])
def test_big_step_accepts_the_letter_however_written(answer):
    assert nb02.big_step.evaluate(answer).status == "correct"


def test_slope_accepts_a_tensor_answer():
    def tensor_slope(fn, x, h):
        return torch.tensor((fn(x + h) - fn(x - h)) / (2 * h))

    assert nb02.slope.evaluate(tensor_slope).status == "correct"
