"""Notebook 02's exercises: plausible wrong answers fail with the message meant for them, and
right answers written differently pass (both run by tests/test_exercises.py)."""

from __future__ import annotations

import numpy as np
import torch

from helpers.exercises import nb02

# --- slope ---------------------------------------------------------------------------------------


def forward_difference(fn, x, h):
    return (fn(x + h) - fn(x)) / h


def backward_difference(fn, x, h):
    return (fn(x) - fn(x - h)) / h


def one_sided_over_2h(fn, x, h):
    return (fn(x + h) - fn(x)) / (2 * h)


def over_h(fn, x, h):
    return (fn(x + h) - fn(x - h)) / h


def not_divided(fn, x, h):
    return fn(x + h) - fn(x - h)


def no_brackets(fn, x, h):
    return (fn(x + h) - fn(x - h)) / 2 * h


def no_brackets_at_all(fn, x, h):
    return fn(x + h) - fn(x - h) / (2 * h)


def flipped(fn, x, h):
    return (fn(x - h) - fn(x + h)) / (2 * h)


def nudged_the_value(fn, x, h):
    return ((fn(x) + h) - (fn(x) - h)) / (2 * h)


def own_h(fn, x, h):
    h = 1e-6
    return (fn(x + h) - fn(x - h)) / (2 * h)


def autograd_slope(fn, x, h):
    x = torch.tensor(x, requires_grad=True)
    fn(x).backward()
    return x.grad.item()


def no_return(fn, x, h):
    (fn(x + h) - fn(x - h)) / (2 * h)


def both_values(fn, x, h):
    return torch.tensor([fn(x + h), fn(x - h)])


# --- take_step -----------------------------------------------------------------------------------


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


def step_zeroes_first(params, lr):
    with torch.no_grad():
        for p in params:
            p.grad.zero_()
            p -= lr * p.grad


def step_new_list(params, lr):
    for i, p in enumerate(params):
        params[i] = (p - lr * p.grad).detach().requires_grad_()


def step_returns_new(params, lr):
    with torch.no_grad():
        return [p - lr * p.grad for p in params]


def step_first_only(params, lr):
    with torch.no_grad():
        params[0] -= lr * params[0].grad
    for p in params:
        p.grad = None


def step_fixed_rate(params, lr):
    with torch.no_grad():
        for p in params:
            p -= 0.1 * p.grad
    for p in params:
        p.grad = None


def step_other_fixed_rate(params, lr):
    with torch.no_grad():
        for p in params:
            p -= 0.01 * p.grad
            p.grad = None


WRONG_ANSWERS = {
    "slope": [
        (forward_difference, "(forward) difference"),
        (backward_difference, "(backward) difference"),
        (one_sided_over_2h, "one-sided difference, fn(x + h) - fn(x), divided by 2 * h"),
        (over_h, "twice too large"),
        (not_divided, "divide it by the distance"),
        (no_brackets, "MULTIPLIES by h"),
        (no_brackets_at_all, "only fn(x - h) was divided"),
        (flipped, "the sign is flipped"),
        (nudged_the_value, "nudge its input"),
        (own_h, "with the h you are given"),
        (autograd_slope, "what autograd"),
        (no_return, "forget to `return`"),
        (lambda fn, x, h: [fn(x + h), fn(x - h)], "should be a number, not a list"),
        (both_values, "should be one number; you gave a tensor of shape (2,)"),
        (lambda fn, x, h: 0.0, "cannot name the slip that gives 0"),
    ],
    "take_step": [
        (step_without_no_grad, "torch.no_grad()"),
        (step_not_zeroed, "still in `.grad`"),
        (step_uphill, "uphill"),
        (step_rebinds, "did not move. `p = p - lr * p.grad` makes a new tensor"),
        (step_without_lr, "scale it by the learning rate"),
        (step_clears_first, "Step first, then clear"),
        (step_zeroes_first, "cleared before the step used it"),
        (step_new_list, "new tensors into the list"),
        (step_returns_new, "you returned the stepped tensors"),
        (step_first_only, "the second tensor (the single number) stayed where it was"),
        (step_fixed_rate, "with lr = 0.1 it made the same step"),
        (step_other_fixed_rate, "Is a rate written into the function?"),
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


def slope_in_float32(fn, x, h):
    x, h = torch.tensor(x), torch.tensor(h)  # float32, the default dtype
    return (fn(x + h) - fn(x - h)) / (2 * h)


def slope_from_two_points(fn, x, h):
    left, right = x - h, x + h
    return (fn(right) - fn(left)) / (right - left)


def slope_as_mean_of_both_sides(fn, x, h):
    forward = (fn(x + h) - fn(x)) / h
    backward = (fn(x) - fn(x - h)) / h
    return (forward + backward) / 2


def step_with_data(params, lr):
    for p in params:
        p.data -= lr * p.grad.data
        p.grad = None


def step_with_sub_and_zero(params, lr):
    with torch.no_grad():
        for p in params:
            p.sub_(lr * p.grad)
            p.grad.zero_()


def step_by_index(params, lr):
    with torch.no_grad():
        for i in range(len(params)):
            params[i].add_(params[i].grad, alpha=-lr)
    for p in params:
        p.grad = None
    return params


def step_in_float64(params, lr):
    with torch.no_grad():
        for p in params:
            p.copy_(p.double() - lr * p.grad.double())
            p.grad = None


RIGHT_ANSWERS = {
    "slope": [
        lambda fn, x, h: torch.tensor((fn(x + h) - fn(x - h)) / (2 * h)),
        lambda fn, x, h: np.float64((fn(x + h) - fn(x - h)) / (2 * h)),
        slope_in_float32,
        slope_from_two_points,
        slope_as_mean_of_both_sides,
    ],
    "take_step": [step_with_data, step_with_sub_and_zero, step_by_index, step_in_float64],
    "big_step": ["C", "(c)", " c ", "c)"],
    "which_loop": ["A", "(a)", "a)"],
}


def test_take_step_with_a_hard_coded_rate_fails_naming_the_learning_rate():
    result = nb02.take_step.verdict(step_fixed_rate)
    assert result.status == "incorrect"
    assert "with lr = 0.5" in result.message and "by 0.1 times the gradient" in result.message
    assert "learning rate" in result.message and "`lr`" in result.message
