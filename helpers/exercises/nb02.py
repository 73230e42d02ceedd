"""Exercises of notebook 02 (gradients): a finite-difference slope, one gradient-descent step,
and two predictions: what a large learning rate does, and which loop has the re-drawing bug."""

from __future__ import annotations

from typing import Any

import torch

from helpers.exercises import (
    NotAttempted,
    Wrong,
    as_number,
    call,
    choice,
    close,
    describe,
    exercise,
    raised,
)

# --- slope: a finite-difference estimate ---------------------------------------------------------


def _cube(v):
    return v**3


def _square(v):
    return v**2


def _wiggle(v):
    return v**3 / 3 - v


# (fn, x, h, how to say it, the exact slope). The first case tells the usual slips apart:
# central 3.01, forward 3.31, backward 2.71, over h only 6.02, not divided 0.602, exact 3.
# Every h is large enough that an answer computed in float32 is still well within tolerance.
_SLOPE_CASES = [
    (_cube, 1.0, 0.1, "fn(x) = x**3 at x = 1 with h = 0.1", 3.0),
    (_square, 3.0, 0.5, "fn(x) = x**2 at x = 3 with h = 0.5", 6.0),
    (_wiggle, -1.5, 0.05, "fn(x) = x**3/3 - x at x = -1.5 with h = 0.05", 1.25),
    (_cube, -2.0, 0.05, "fn(x) = x**3 at x = -2 with h = 0.05", 12.0),
    (_square, -3.0, 0.5, "fn(x) = x**2 at x = -3 with h = 0.5", -6.0),  # a slope below zero
]

_BOTH_WAYS = ("nudge x both ways, to x + h and to x - h, and divide the change in fn by the "
              "distance 2 * h between those two points")


def _slope_slips(f, x, h, exact):
    """What the usual slips return for this case, each with the sentence that names it."""
    change = f(x + h) - f(x - h)
    return [
        ((f(x + h) - f(x)) / h, "that is the one-sided (forward) difference "
         f"(fn(x + h) - fn(x)) / h; {_BOTH_WAYS}"),
        ((f(x) - f(x - h)) / h, "that is the one-sided (backward) difference "
         f"(fn(x) - fn(x - h)) / h; {_BOTH_WAYS}"),
        ((f(x + h) - f(x)) / (2 * h), "that is a one-sided difference, fn(x + h) - fn(x), "
         f"divided by 2 * h; {_BOTH_WAYS}"),
        (change / h, "your slope is twice too large: x + h and x - h are 2 * h apart, so "
         "divide by 2 * h, not by h"),
        (change, "that is the change in fn, not the slope: divide it by the distance 2 * h "
         "between the two points"),
        (change / 2 * h, "`/ 2 * h` divides by 2 and then MULTIPLIES by h (Python works left "
         "to right); put the brackets in: `/ (2 * h)`"),
        (f(x + h) - f(x - h) / (2 * h), "only fn(x - h) was divided by 2 * h (division goes "
         "before subtraction); bracket the difference: `(fn(x + h) - fn(x - h)) / (2 * h)`"),
        (-change / (2 * h), "the sign is flipped: take the value at the right, fn(x + h), "
         "minus the value at the left, fn(x - h)"),
        (1.0, "that is what nudging fn's VALUE gives, `(fn(x) + h - (fn(x) - h)) / (2 * h)`, "
         "which is always 1; nudge its input: `fn(x + h)` and `fn(x - h)`"),
        (exact, "that is the exact slope (what autograd, or a much smaller h, gives); the task "
         "is the central-difference estimate with the h you are given, which differs from it "
         "a little"),
        (change // (2 * h), "`//` is floor division: it rounds the slope down to a whole "
         "number; divide with `/`"),
    ]


@exercise(
    task="Write `slope(fn, x, h)`: the central-difference estimate of the slope of `fn` at the "
         "number `x`, nudging `x` by `h` either way.",
    hint="Evaluate `fn` at `x + h` and at `x - h`; the slope is the change in `fn` divided by "
         "the distance between those two points.")
def slope(fn, x, h):
    return (fn(x + h) - fn(x - h)) / (2 * h)


def _gives(fn: Any, case: tuple, i: int) -> bool:
    """Whether ``fn`` returns slip number ``i`` on ``case`` (or the right value, where the two
    agree)."""
    f, x, h, _, exact = case
    try:
        got = float(call(fn, f, x, h))
    except (Wrong, NotAttempted, TypeError, ValueError):
        return False
    tol = 1e-4 * max(1.0, abs(slope.reference(f, x, h)))
    return abs(got - _slope_slips(f, x, h, exact)[i][0]) <= tol


@slope.checker
def _check_slope(fn: Any) -> str:
    for f, x, h, label, exact in _SLOPE_CASES:
        got = as_number(call(fn, f, x, h, name="slope(fn, x, h)"),
                        f"slope(fn, x, h) for {label}")
        expected = slope.reference(f, x, h)
        tol = 1e-4 * max(1.0, abs(expected))
        if abs(got - expected) <= tol:
            continue
        said = (f"for {label} you returned {got:.6g}, where the central difference is "
                f"{expected:.6g}")
        matches = [(i, message) for i, (value, message) in enumerate(_slope_slips(f, x, h, exact))
                   if abs(got - value) <= tol and abs(value - expected) > tol]
        # where two slips give the same number here, name the one the other cases bear out
        for i, message in matches:
            if all(_gives(fn, slip_case, i) for slip_case in _SLOPE_CASES):
                raise Wrong(f"{said}: {message}")
        if matches:
            raise Wrong(f"{said}: {matches[0][1]}")
        raise Wrong(f"{said}. This check cannot name the slip that gives {got:.6g}; the "
                    "estimate is (fn(x + h) - fn(x - h)) / (2 * h)")
    return ("For x**3 at 1 it gives 3.01 where the true slope is 3: the estimate's error "
            "shrinks like h**2.")


# --- take_step: one gradient-descent step on a list of parameters --------------------------------


def _params_with_grads() -> list[torch.Tensor]:
    """Two new parameter tensors (a vector and a single number) whose .grad holds a real
    gradient, [-15, -5] and -5; built afresh for every call, so no answer can spoil another."""
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    b = torch.tensor(0.5, requires_grad=True)
    loss = ((w * torch.tensor([3.0, 1.0])).sum() + b - 4) ** 2
    loss.backward()
    return [w, b]


_WHICH = ("the first tensor (the vector)", "the second tensor (the single number)")


def _is_cleared(p: torch.Tensor) -> bool:
    return p.grad is None or not bool(p.grad.detach().abs().sum() > 0)


def _one_step(fn: Any, lr: float, other: float | None) -> None:
    """Call ``fn`` once on new parameters; ``other`` is the rate of a call that passed before."""
    params = _params_with_grads()
    held = list(params)
    before = [p.detach().clone() for p in params]
    grads = [p.grad.detach().clone() for p in params]
    where = f"(called with lr = {lr})"
    try:
        result = fn(params, lr)
    except TypeError as err:
        if "NoneType" in str(err):
            raise Wrong(f"take_step raised TypeError: {err} {where}. Was a `.grad` already None "
                        "when the step used it? Step first, then clear the gradient") from None
        raise raised(err, "take_step", where) from None
    except Exception as err:  # the learner's code, not the checker's
        raise raised(err, "take_step", where) from None
    if len(params) != len(held) or any(p is not q for p, q in zip(params, held, strict=True)):
        raise Wrong("you put new tensors into the list (or changed the list itself); the model "
                    "still holds the old ones. Change each tensor in place: `p -= lr * p.grad`")
    expected = [b0 - lr * g for b0, g in zip(before, grads, strict=True)]
    change = [p.detach().double() - b0.double() for p, b0 in zip(params, before, strict=True)]
    moved = [not close(c, torch.zeros_like(c), atol=1e-7) for c in change]
    if not any(moved):
        if isinstance(result, (list, tuple)) and len(result) == len(expected) and all(
                close(r, e) for r, e in zip(result, expected, strict=True)):
            raise Wrong("you returned the stepped tensors, but the parameters in `params` did "
                        "not move, and they are what the model uses: change them in place "
                        "with `p -= lr * p.grad` (the function returns nothing)")
        if all(_is_cleared(p) for p in params):
            raise Wrong("your parameters did not move, and their gradients are cleared. Was "
                        "the gradient cleared before the step used it (a zero gradient moves "
                        "nothing)? Step first, then clear. Or did `p = p - lr * p.grad` make "
                        "new tensors? Change the parameters in place with `p -= lr * p.grad`")
        raise Wrong("your parameters did not move. `p = p - lr * p.grad` makes a new tensor "
                    "and leaves the parameter as it was; change it in place with "
                    "`p -= lr * p.grad` (inside `with torch.no_grad():`)")
    if not all(moved):
        still = _WHICH[moved.index(False)]
        raise Wrong(f"only some of the parameters moved: {still} stayed where it was. Step "
                    "every tensor in the list, `for p in params:`")
    step = torch.cat([-c.flatten() for c in change])  # how far each value went down
    grad = torch.cat([g.double().flatten() for g in grads])
    if close(step, lr * grad):
        pass
    elif close(step, -lr * grad):
        raise Wrong("you stepped uphill: the parameters moved along the gradient, so the loss "
                    "grows. Subtract lr times the gradient: `p -= lr * p.grad`")
    else:
        ratio = step / grad  # every gradient of this example is far from 0
        rate = ratio.mean().item()
        if close(ratio, torch.full_like(ratio, rate), atol=1e-6, rtol=1e-4):
            if abs(rate - 1) < 1e-4:
                raise Wrong("you subtracted the whole gradient: scale it by the learning rate, "
                            "`p -= lr * p.grad`")
            hard = (f"; with lr = {other} it made the same step"
                    if other and abs(rate - other) < 1e-3 * other else "")
            raise Wrong(f"with lr = {lr} your step moved the parameters by {rate:.4g} times "
                        f"the gradient, where the learning rate asks for {lr} times it{hard}. "
                        "Is a rate written into the function? Use its argument `lr`: "
                        "`p -= lr * p.grad`")
        raise Wrong(f"with lr = {lr} your parameters moved, but not by -lr * gradient, and "
                    "this check cannot name the slip: the vector "
                    f"{before[0].tolist()}, whose gradient is {grads[0].tolist()}, became "
                    f"{[round(v, 6) for v in params[0].detach().tolist()]}, where "
                    f"{[round(v, 6) for v in expected[0].tolist()]} is expected")
    for p in params:
        if not p.requires_grad:
            raise Wrong("a parameter no longer requires grad, so the next `backward` could not "
                        "reach it; change its values in place rather than replacing it")
    if not all(_is_cleared(p) for p in params):
        raise Wrong("the step is right, but the gradient is still in `.grad`; the next "
                    "`backward` would add to it. Clear it after the update: `p.grad = None`")


@exercise(
    task="Write `take_step(params, lr)`: move every tensor in the list `params` one "
         "gradient-descent step (using the gradient `backward` left in its `.grad`), then clear "
         "the gradients.",
    hint="Inside `with torch.no_grad():` loop over the list and do `p -= lr * p.grad`; after "
         "the step set each `p.grad = None`.")
def take_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad  # in place: the model holds these very tensors
            p.grad = None  # cleared after the step, ready for the next backward


@take_step.checker
def _check_take_step(fn: Any) -> None:
    if not callable(fn):
        raise Wrong(f"this exercise wants a function; you gave {describe(fn)}")
    _one_step(fn, 0.1, None)
    _one_step(fn, 0.5, 0.1)  # a second rate, so a rate written into the function shows


# --- big_step: predict what a large learning rate does -------------------------------------------


@exercise(
    task="Predict what gradient descent does on g(w) = (w - 2)**2 + 1 from w = -1 with "
         "lr = 1.0, and answer with a letter from a to d.",
    hint="Work out the first step by hand: the slope of g at w is 2 * (w - 2). Where does w "
         "land, and how far is that from 2? Then do the second step.",
    solution="\"c\": at w = -1 the slope is -6, so w moves to -1 + 6 = 5; at 5 the slope is +6, "
             "so w moves back to -1. It jumps between -1 and 5 for ever, always 3 from the "
             "minimum.",
    value=True)
def big_step():
    return "c"


big_step.checker(choice("abcd", {
    "a": "landing on the minimum in one step needs lr = 0.5: at w = -1 the slope is -6, and "
         "0.5 * 6 = 3 is exactly the distance to 2. With lr = 1.0 the step is 6 long, twice that",
    "b": "creeping happens when the rate is small. With lr = 1.0 the first step is 1.0 * 6 = 6 "
         "long, from -1 to 5: far past the minimum at 2",
    "d": "work out two steps: from -1 the slope is -6, so w goes to 5, which is 3 from the "
         "minimum, as -1 was. From 5 the slope is +6, back to -1. The distance does not grow",
}, "Each step multiplies the distance to the minimum by 1 - 2 * lr = -1: same size, other side."))


# --- which_loop: which loop has the re-drawing bug? ----------------------------------------------


@exercise(
    task="Say which of the loops A, B and C has this section's bug (a loss that jumps about at "
         "random and never settles), with a letter a, b or c.",
    hint="Look for the line that draws random parameters: is it run once, or at every step?",
    solution="\"a\": loop A draws its parameters inside the loop, so every step starts from a new "
             "random guess and the update it makes is thrown away at the next step. (B never "
             "clears `.grad`, so its loss falls at first and then swings back up; C replaces "
             "`params` by a tensor that no longer requires grad, so its second `backward` "
             "fails.)",
    value=True)
def which_loop():
    return "a"


which_loop.checker(choice("abc", {
    "b": "loop B draws its parameters once, before the loop, so each step builds on the last "
         "and its loss does fall over the first steps. Its slip is another one: it never clears "
         "`.grad`, so each step uses the sum of all the gradients so far; the steps keep growing, "
         "and after its first steps down the loss swings back up",
    "c": "loop C draws its parameters once too. Its slip: `params = params - ...` under "
         "`torch.no_grad()` makes a new tensor that does not require grad, so the second "
         "`backward` raises an error. It fails loudly, not by quietly learning nothing",
}, "Loop A draws new random parameters at the top of every step, so each update is lost."))
