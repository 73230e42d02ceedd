"""Exercises of notebook 02 (gradients): a finite-difference slope, one gradient-descent step,
and a prediction of what a large learning rate does."""

from __future__ import annotations

import torch

from helpers.exercises import (
    Exercise,
    Wrong,
    call,
    choice,
    expect_close,
    raised,
)

# --- 1. A finite-difference slope ---------------------------------------------------------------


def _cube(v):
    return v**3


def _square(v):
    return v**2


def _wiggle(v):
    return v**3 / 3 - v


def _check_slope(fn):
    # x**3 at 1 with h = 0.1 tells the usual mistakes apart: central 3.01, forward 3.31,
    # backward 2.71, divided by h only 6.02, not divided 0.602, the true slope 3.
    f, x, h = _cube, 1.0, 0.1
    got = call(fn, f, x, h, name="slope(fn, x, h)")
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise Wrong(f"slope(fn, x, h) should return a number, not {type(got).__name__}")
    mistakes = {
        (f(x + h) - f(x)) / h: "that is the one-sided (forward) difference "
        "(fn(x + h) - fn(x)) / h; nudge x both ways, to x + h and x - h, and divide by the "
        "distance between them",
        (f(x) - f(x - h)) / h: "that is the one-sided (backward) difference; nudge x both ways, "
        "to x + h and x - h",
        (f(x + h) - f(x - h)) / h: "your slope is twice too large: x + h and x - h are 2h apart, "
        "so divide by 2 * h",
        f(x + h) - f(x - h): "that is the change in fn, not the slope: divide it by the distance "
        "2 * h between the two points",
        3.0: "that is the exact slope of x**3 at 1 (what autograd, or a much smaller h, gives); "
        "the task is the central-difference estimate with the h you are given, which for "
        "h = 0.1 is 3.01",
    }
    for value, message in mistakes.items():
        if abs(got - value) < 1e-6 and abs(got - 3.01) > 1e-6:
            raise Wrong(f"for fn(x) = x**3 at x = 1 with h = 0.1 you returned {got:.6g}: {message}")
    expect_close(got, (f(x + h) - f(x - h)) / (2 * h), "slope(x**3, 1.0, 0.1)", tol=1e-6)
    for f, x, h, label in [(_square, 3.0, 0.5, "x**2 at x = 3 with h = 0.5"),
                           (_wiggle, -1.5, 0.01, "x**3/3 - x at x = -1.5 with h = 0.01"),
                           (_cube, -2.0, 1e-3, "x**3 at x = -2 with h = 0.001")]:
        expected = (f(x + h) - f(x - h)) / (2 * h)
        expect_close(call(fn, f, x, h, name="slope(fn, x, h)"), expected,
                     f"your slope of {label}", tol=1e-6 * max(1.0, abs(expected)))
    return "For x**3 at 1 it gives 3.01 where the true slope is 3: the estimate's error shrinks " \
           "like h**2."


def _reference_slope(fn, x, h):
    return (fn(x + h) - fn(x - h)) / (2 * h)


slope = Exercise(
    "02", "slope",
    "Write `slope(fn, x, h)`: the central-difference estimate of the slope of `fn` at the number "
    "`x`, nudging `x` by `h` either way.",
    _check_slope,
    "Evaluate `fn` at `x + h` and at `x - h`; the slope is the change in `fn` divided by the "
    "distance between those two points.",
    "def slope(fn, x, h):\n    return (fn(x + h) - fn(x - h)) / (2 * h)",
    _reference_slope,
)


# --- 2. One gradient-descent step ---------------------------------------------------------------


def _params_with_grads():
    """Two parameter tensors (a vector and a single number) whose .grad holds a real gradient."""
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    b = torch.tensor(0.5, requires_grad=True)
    loss = ((w * torch.tensor([3.0, 1.0])).sum() + b - 4) ** 2
    loss.backward()
    return [w, b]


def _one_step(fn, lr):
    params = _params_with_grads()
    held = list(params)
    before = [p.detach().clone() for p in params]
    grads = [p.grad.clone() for p in params]
    try:
        fn(params, lr)
    except TypeError as err:
        if "NoneType" in str(err):
            raise Wrong(f"take_step raised TypeError: {err}. Was a `.grad` already None when "
                        "you used it? Step first, then clear the gradient") from None
        raise raised(err, "take_step") from None
    except Exception as err:  # the learner's code, not the checker's
        raise raised(err, "take_step") from None
    if any(p is not q for p, q in zip(params, held, strict=True)):
        raise Wrong("you put new tensors into the list; the model still holds the old ones. "
                    "Change each parameter in place: `p -= lr * p.grad`")
    after = [p.detach() for p in params]

    def moved_by(change):
        return all(torch.allclose(a, b0 + c, atol=1e-6)
                   for a, b0, c in zip(after, before, change, strict=True))

    if moved_by([torch.zeros_like(g) for g in grads]):
        raise Wrong("your parameters did not move. `p = p - lr * p.grad` makes a new tensor and "
                    "leaves the parameter as it was; change it in place with `p -= lr * p.grad` "
                    "(inside `with torch.no_grad():`)")
    if moved_by([lr * g for g in grads]):
        raise Wrong("you stepped uphill: the parameters moved along the gradient, so the loss "
                    "grows. Subtract lr times the gradient")
    if lr != 1 and moved_by([-g for g in grads]):
        raise Wrong("you subtracted the whole gradient: scale it by the learning rate `lr`")
    if not moved_by([-lr * g for g in grads]):
        raise Wrong(f"with lr = {lr} your parameters moved, but not by -lr * gradient: "
                    f"{before[0].tolist()}, whose gradient is {grads[0].tolist()}, became "
                    f"{after[0].tolist()}, where {(before[0] - lr * grads[0]).tolist()} is "
                    "expected")
    for p in params:
        if not p.requires_grad:
            raise Wrong("a parameter no longer requires grad, so the next `backward` could not "
                        "reach it; change its values in place rather than replacing it")
        if p.grad is not None and p.grad.abs().sum() > 0:
            raise Wrong("the step is right, but the gradient is still in `.grad`; the next "
                        "`backward` would add to it. Clear it after the update: `p.grad = None`")


def _check_take_step(fn):
    if not callable(fn):
        raise Wrong(f"this exercise wants a function; you gave {type(fn).__name__}")
    _one_step(fn, 0.1)
    _one_step(fn, 0.5)  # a second rate, so a rate written into the function shows


def _reference_take_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    for p in params:
        p.grad = None


take_step = Exercise(
    "02", "take_step",
    "Write `take_step(params, lr)`: move every tensor in the list `params` one gradient-descent "
    "step (using the gradient `backward` left in its `.grad`), then clear the gradients.",
    _check_take_step,
    "Inside `with torch.no_grad():` loop over the list and do `p -= lr * p.grad`; after the loop "
    "set each `p.grad = None`.",
    "def take_step(params, lr):\n    with torch.no_grad():\n        for p in params:\n"
    "            p -= lr * p.grad\n    for p in params:\n        p.grad = None",
    _reference_take_step,
)


# --- 3. Predict, then run: a large learning rate ------------------------------------------------

_BIG_STEP_WRONG = {
    "a": "landing on the minimum in one step needs lr = 0.5: at w = -1 the slope is -6, and "
         "0.5 * 6 = 3 is exactly the distance to 2. With lr = 1.0 the step is 6 long, twice that",
    "b": "creeping happens when the rate is small. With lr = 1.0 the first step is 1.0 * 6 = 6 "
         "long, from -1 to 5: far past the minimum at 2",
    "d": "work out two steps: from -1 the slope is -6, so w goes to 5, which is 3 from the "
         "minimum, as -1 was. From 5 the slope is +6, back to -1. The distance does not grow",
}


_check_big_step = choice(
    "abcd", _BIG_STEP_WRONG,
    "Each step multiplies the distance to the minimum by 1 - 2 * lr = -1: same size, other side.")


big_step = Exercise(
    "02", "big_step",
    "Predict what gradient descent does on g(w) = (w - 2)**2 + 1 from w = -1 with lr = 1.0, "
    "and answer with a letter from a to d.",
    _check_big_step,
    "Work out the first step by hand: the slope of g at w is 2 * (w - 2). Where does w land, "
    "and how far is that from 2? Then do the second step.",
    "\"c\": at w = -1 the slope is -6, so w moves to -1 + 6 = 5; at 5 the slope is +6, so w "
    "moves back to -1. It jumps between -1 and 5 for ever, always 3 from the minimum.",
    "c",
)


# --- 4. Which loop has the re-drawing bug? --------------------------------------------------------

_WHICH_LOOP_WRONG = {
    "b": "loop B draws its parameters once, before the loop, so each step builds on the last "
         "and its loss does fall over the first steps. Its slip is another one: it never clears "
         "`.grad`, so each step uses the sum of all the gradients so far; the steps keep growing, "
         "and after its first steps down the loss swings back up",
    "c": "loop C draws its parameters once too. Its slip: `params = params - ...` under "
         "`torch.no_grad()` makes a new tensor that does not require grad, so the second "
         "`backward` raises an error. It fails loudly, not by quietly learning nothing",
}


_check_which_loop = choice(
    "abc", _WHICH_LOOP_WRONG,
    "Loop A draws new random parameters at the top of every step, so each update is lost.")


which_loop = Exercise(
    "02", "which_loop",
    "Say which of the loops A, B and C has this section's bug (a loss that never falls, not even "
    "over the first steps), with a letter a, b or c.",
    _check_which_loop,
    "Look for the line that draws random parameters: is it run once, or at every step?",
    "\"a\": loop A draws its parameters inside the loop, so every step starts from a new random "
    "guess and the update it makes is thrown away at the next step. (B never clears `.grad`, so "
    "its loss falls at first and then swings back up; C replaces `params` by a tensor that no "
    "longer requires grad, so its second `backward` fails.)",
    "a",
)
