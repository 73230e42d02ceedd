"""Exercises of notebook 08 (pitfalls): find the bug, write the fix, predict the symptom."""

from __future__ import annotations

import re
from typing import Any

import torch

from helpers.exercises import (
    Wrong,
    as_number,
    call,
    choice,
    close,
    describe,
    exercise,
    expect_tensor,
    raised,
)


def _show(t: torch.Tensor) -> str:
    """A small tensor's values as nested lists, rounded."""
    values = t.detach()
    if values.dtype == torch.bool:
        return str(values.tolist())
    values = values.double()
    return str(torch.where(values.abs() < 5e-5, 0.0, values).round(decimals=4).tolist())


# ---------------------------------------------------------------- pitfall 1: targets


@exercise(
    task="Write `make_targets(labels, positive)`: from digit labels of shape (n,), a float "
         "column (n, 1) holding 1.0 where the label is `positive` and 0.0 elsewhere.",
    hint="Compare `labels == positive` (True/False), turn it into numbers with `.float()`, and "
         "make it a column with `.unsqueeze(1)`.")
def make_targets(labels, positive):
    # True/False -> 1.0/0.0, then a column (n, 1): the shape of the model's scores
    return (labels == positive).float().unsqueeze(1)


@make_targets.checker
def _check_targets(fn: Any) -> str:
    cases = [(torch.tensor([3, 7, 7, 3, 7]), 3), (torch.tensor([9, 2, 3, 2]), 2),
             (torch.tensor([7]), 3)]
    for labels, positive in cases:
        shown = f"make_targets(tensor({labels.tolist()}), {positive})"
        got = call(fn, labels, positive, name="make_targets")
        expected = make_targets.reference(labels, positive)
        n = len(labels)
        if not isinstance(got, torch.Tensor):
            raise Wrong(f"{shown} should return a tensor, not {describe(got)}")
        if tuple(got.shape) == (n,) and n > 1:
            raise Wrong(f"{shown} returned shape ({n},), one number per image but not as a "
                        "column. The model's scores have shape (n, 1), and `scores - targets` "
                        "with shapes (n, 1) and (n,) silently broadcasts to an (n, n) table: "
                        "add `.unsqueeze(1)`")
        if tuple(got.shape) == (1, n) and n > 1:
            raise Wrong(f"{shown} returned a row, shape (1, {n}); the targets go in a column, "
                        f"shape ({n}, 1), like the scores: `.unsqueeze(1)`, not `.unsqueeze(0)`")
        if got.dtype == torch.bool:
            raise Wrong("your targets are True/False; the loss subtracts them from the "
                        "probabilities (`sigmoid - targets` in `gap_loss`), and PyTorch refuses "
                        "to subtract a True/False tensor. Turn them into numbers with `.float()`")
        if not got.dtype.is_floating_point and not got.is_complex():
            raise Wrong(f"your targets are integers ({str(got.dtype).split('.')[-1]}); the loss "
                        "compares them with probabilities, so make them floats with `.float()`")
        if got.shape == expected.shape and not got.is_complex():
            values = sorted(set(got.detach().double().flatten().tolist()))
            if not set(values) <= {0.0, 1.0}:
                raise Wrong(f"your targets take the values {values}; the loss and the 0.5 "
                            "decision rule expect 1 for the positive digit and 0 for the other "
                            "(pitfall 1)")
            if close(got, 1 - expected):
                raise Wrong(f"your targets are reversed: the positive digit ({positive} here) "
                            "must get 1, the other digits 0")
            if not close(got, expected):
                raise Wrong(f"{shown} returned {_show(got)}, where {_show(expected)} is expected "
                            f"(1.0 exactly where the label is {positive})")
        one = "A batch of one still needs a column: shape (1, 1)"
        expect_tensor(got, expected, shown, shape_hints={(1,): one, (): one})
    return "The loss gets 1/0 targets in a column, the shape of the scores."


# ---------------------------------------------------------------- pitfall 2: scaling


@exercise(
    task="Write `prepare(images)`: from a stack of byte images (uint8, 0 to 255, shape "
         "(n, 28, 28)) return float rows of 784 pixels between 0 and 1, to be used for every "
         "split alike.",
    hint="Flatten with `.reshape(len(images), -1)`, make floats with `.float()`, then divide by "
         "the fixed number 255 (not by the batch's own maximum).")
def prepare(images):
    # one row per image (even for a batch of one), floats, and the same fixed 255 for every split
    return images.reshape(len(images), -1).float() / 255


def _images(n: int, top: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, top + 1, (n, 28, 28), generator=g, dtype=torch.uint8)
    images[:, 0, 0] = top  # the brightest pixel is `top`, in every image
    return images


@prepare.checker
def _check_prepare(fn: Any) -> str:
    cases = [(_images(3, 255, 0), "three images"),
             (_images(2, 128, 1), "two faint images (no pixel above 128)"),
             (_images(1, 255, 2), "a batch of one image")]
    for images, what in cases:
        name = f"prepare on {what}"
        got = call(fn, images, name=name)
        expected = prepare.reference(images)
        if not isinstance(got, torch.Tensor):
            raise Wrong(f"{name} should return a tensor, not {describe(got)}")
        if got.is_complex():
            raise Wrong(f"{name} holds complex numbers; pixels are real")
        if not got.dtype.is_floating_point:
            top = got.max().item() if got.numel() else 0
            if top > 1:
                raise Wrong(f"{name} returned the integer pixels ({str(got.dtype)[6:]}, up to "
                            f"{top}): make them floats with `.float()` and divide by 255")
            raise Wrong(f"{name} returned integers ({str(got.dtype)[6:]}). Dividing integer "
                        "pixels with `//` (or turning the result back into bytes) floors them: "
                        "every pixel below 255 becomes 0. Use `.float()` and `/ 255`")
        if tuple(got.shape) != tuple(expected.shape):
            raise Wrong(f"{name} has shape {tuple(got.shape)}; it should be "
                        f"{tuple(expected.shape)}, one row of 784 pixels per image. "
                        "`.reshape(len(images), -1)` keeps one row per image, even for a batch "
                        "of one")
        g = got.detach().double()
        if not torch.isfinite(g).all():
            raise Wrong(f"{name} holds inf or nan; divide by the fixed 255, which is never 0")
        if g.min().item() < -1e-6:
            raise Wrong(f"{name} has values down to {g.min().item():.3g}; the pixels should "
                        "lie between 0 and 1: divide by 255 and nothing else (no centring or "
                        "standardising here)")
        if g.max().item() > 1.0 + 1e-6:
            top = images.double().amax().item()
            if top > 0 and 1 < top / g.max().item() < 255 - 1e-3:
                raise Wrong(f"{name} has values up to {g.max().item():g}: you divided by "
                            f"{top / g.max().item():g}, not by 255, the largest value a byte "
                            "can hold")
            raise Wrong(f"{name} has values up to {g.max().item():g}: the pixels were not "
                        "divided by 255, like the never-divided second digit of pitfall 2")
        if close(g, expected.double() / 255, atol=1e-7):
            raise Wrong(f"{name} is divided by 255 twice: every pixel is below 0.004, an "
                        "almost blank image (the first digit of pitfall 2)")
        lowest = images.double().amin()
        by_range = (images.double() - lowest) / (images.double().amax() - lowest)
        if what.startswith("two faint") and close(g, by_range.reshape(len(images), -1),
                                                  atol=1e-4):
            raise Wrong(f"{name}: you divided by the images' own maximum (128 here), so a faint "
                        "batch comes out brighter than the same pixels elsewhere. Divide every "
                        "split by the same fixed 255")
        if got.dtype in (torch.float16, torch.bfloat16) and close(g, expected, atol=5e-3):
            raise Wrong(f"{name} is in {str(got.dtype)[6:]}, which keeps only about three "
                        "digits, so steps of 1/255 come out uneven; use `.float()`")
        try:
            expect_tensor(got, expected, name)
        except Wrong as err:
            if "wrong values" not in str(err):
                raise
            raise Wrong(f"{err}. Each pixel should be its byte value divided by 255") from None
    return "One function, the same fixed 255, for every split."


# ---------------------------------------------------------------- pitfall 3: find the line

_LINE_NOTES = {
    1: "line 1 only names a helper; defining a function is harmless. Where it is *called* "
       "matters",
    2: "drawing small random weights (std 0.01) and a bias is the right way to initialise; "
       "the trouble is how often it happens",
    3: "line 3 is blank",
    4: "the step taking a batch and a learning rate is fine",
    6: "predict and loss on the batch, as `train_epoch` does: right",
    7: "`loss.backward()` fills `.grad`; without it there would be nothing to step with",
    8: "the update must run under `torch.no_grad()`, so this line is right",
    9: "looping over both parameters is right",
    10: "`p -= p.grad * lr` moves the parameter against its gradient, in place: right",
    11: "zeroing the gradient after the step is right (pitfall 5 shows what happens without)",
    12: "returning the loss for printing changes nothing",
    13: "line 13 is blank",
    14: "looping over the loader is the repeat step; it is right",
    15: "calling the step on each batch is right; it is what the step does inside that is not",
}


@exercise(
    task="Which line of the training loop above is wrong? Answer with its number.",
    hint="Ask of each line: how many times does it run, and how many times should it? The loss "
         "this loop prints never falls.",
    solution="Line 5: `weights, bias = new_model()` runs at every step, so every step starts "
             "from fresh random parameters. Draw them once before the loop and pass them to "
             "`sgd_step`.",
    value=True)
def which_line():
    return 5


@which_line.checker
def _check_line(answer: Any) -> str:
    ask = ("answer with a line number from 1 to 15, such as 7 (a number, or a string such as "
           f"\"7\"); you gave {describe(answer)}")
    if isinstance(answer, str):
        found = re.fullmatch(r"\s*(?:line\s*|l)?(\d+)\s*\.?\s*", answer, flags=re.IGNORECASE)
        if not found:
            raise Wrong(ask)
        answer = int(found.group(1))
    try:
        value = as_number(answer)
    except Wrong:
        raise Wrong(ask) from None
    if not value.is_integer():
        raise Wrong(ask)
    line = int(value)
    if line == 5:
        return ("Line 5 draws a brand-new model at every call, so each step improves weights "
                "that are thrown away before the next one. Move it before the loop "
                "(`weights, bias = new_model()` once) and pass the two tensors into the step.")
    if line in _LINE_NOTES:
        raise Wrong(f"{_LINE_NOTES[line]}. Look for the line that runs once per batch but "
                    "should run once in the whole training")
    raise Wrong(f"there is no line {line}; the lines are numbered 1 to 15")


# ---------------------------------------------------------------- pitfall 4: predict, then run


@exercise(
    task="On 3 vs 7 (the default pair), after one epoch on the sorted loader, what share of the "
         "validation images does the model call the first digit: \"a\" about half, \"b\" almost "
         "none, \"c\" almost all?",
    hint="A sigmoid squashes large scores to 1, and its slope there is almost 0. How large are "
         "the scores after two dozen steps at learning rate 1 that all say 'first digit'?",
    solution="\"c\": almost all. The first-digit batches come first and drive the sigmoid to 1 "
             "on everything; on the second digit's batches the loss is near 1 but the gradient "
             "near 0, so the model ends the epoch still calling (almost) every image the first "
             "digit.",
    value=True)
def sorted_share():
    return "c"


sorted_share.checker(choice(
    "abc",
    {"a": "about half would be a model that tells the digits apart, like the shuffled run. The "
          "sorted run has just seen two dozen batches of the second digit in a row. Where is "
          "the sigmoid's slope almost zero?",
     "b": "that is the natural guess (the last two dozen batches were all the second digit), "
          "but look at what the loss does on those batches: the model reached them already "
          "sure that everything is the first digit. Where is the sigmoid's slope almost zero?"},
    "The first two dozen batches (all the first digit) push every score up until the sigmoid "
    "sits at 1; there its slope is almost 0, so the second digit's batches, wrong with loss "
    "near 1, hardly move the weights. Run the next cell."))


# ---------------------------------------------------------------- pitfall 5: a step that zeroes


@exercise(
    task="Write `sgd_update(params, lr)`: called after `loss.backward()`, it moves every "
         "parameter against its gradient by `lr` times it, in place, then zeroes the gradient "
         "(`p.grad.zero_()`, or `p.grad = None`).",
    hint="Inside `with torch.no_grad():`, loop over params: `p -= p.grad * lr`, then "
         "`p.grad.zero_()`.")
def sgd_update(params, lr):
    with torch.no_grad():  # the update is not part of the model: do not record it
        for p in params:
            p -= p.grad * lr  # in place: the model keeps using this same tensor
            p.grad.zero_()  # backward adds to .grad: empty it for the next batch


def _new_params() -> list[torch.Tensor]:
    return [torch.tensor([1.0, -2.0, 0.5], requires_grad=True),
            torch.tensor([0.5], requires_grad=True)]


def _backward(params: list[torch.Tensor], x: torch.Tensor) -> None:
    w, b = params
    ((w * x).sum() ** 2 + 3 * b.sum()).backward()


def _run_step(fn: Any, params: list[torch.Tensor], lr: float, which: str) -> None:
    where = f"(at the {which} step, lr={lr})"
    try:
        fn(params, lr)
    except AttributeError as err:
        if "NoneType" in str(err) and "zero_" in str(err):
            raise Wrong("`p.grad` was None when you zeroed it. After `p = p - p.grad * lr` the "
                        "name p names a new tensor with no gradient, and the parameter itself "
                        "is unchanged; change it in place with `p -= p.grad * lr`") from None
        raise raised(err, "your sgd_update", where) from None
    except Exception as err:  # the learner's code
        raise raised(err, "your sgd_update", where) from None


def _step_slip(delta: torch.Tensor, grad: torch.Tensor, lr: float, which: str,
               zeroed: bool) -> str | None:
    """What a step that moved every parameter by ``delta`` (before - after) did wrong, when the
    gradient was ``grad`` and the learning rate ``lr``; ``zeroed``: the gradients are empty
    after it."""
    if close(delta, torch.zeros_like(delta)):
        if zeroed:
            return (f"your {which} step left the parameters unchanged, and emptied the "
                    "gradients: zero the gradient after using it, not before (a zeroed "
                    "`p.grad` moves nothing)")
        return (f"your {which} step left the parameters unchanged. `p = p - ...` makes a new "
                "tensor and only rebinds the name p; change the parameter in place "
                "(`p -= p.grad * lr`)")
    factor = float(delta @ grad / (grad @ grad))
    if not close(delta, factor * grad, atol=1e-6, rtol=1e-4):
        return None
    if abs(factor + lr) < 1e-6:
        return "your step went up the gradient; subtract `p.grad * lr` to go down"
    if abs(factor - 1) < 1e-6:
        return "your step ignores the learning rate; multiply the gradient by lr"
    return (f"your {which} step, called with lr={lr}, moved each parameter by {factor:.4g} times "
            "its gradient, as if a learning rate were written into the step: use the learning "
            "rate passed in as `lr`, not a fixed number")


@sgd_update.checker
def _check_step(fn: Any) -> str:
    if not callable(fn):
        raise Wrong(f"this exercise wants a function; you gave {describe(fn)}")
    params = _new_params()
    w, b = params
    # two learning rates, neither 0.1 nor 1, so a number written into the step shows
    for which, x, lr in (("first", torch.tensor([1.0, 2.0, -1.0]), 0.3),
                         ("second", torch.tensor([0.5, -1.0, 2.0]), 0.05)):
        before = [p.detach().clone() for p in params]
        _backward(params, x)
        grads = [p.grad.detach().clone() for p in params]
        _run_step(fn, params, lr, which)
        if len(params) != 2 or params[0] is not w or params[1] is not b:
            raise Wrong("your step changed the list `params` itself (it replaced, added or "
                        "removed entries); change each parameter in place (`p -= p.grad * lr`) "
                        "and leave the list as it is, so the model keeps using the same tensors")
        for p in params:
            if not p.requires_grad or not p.is_leaf:
                raise Wrong("after your step a parameter no longer tracks gradients (or is no "
                            "longer a leaf); update it in place under `torch.no_grad()`")
        delta = torch.cat([(o - p.detach()).double().flatten() for o, p in
                           zip(before, params, strict=True)])
        grad = torch.cat([g.double().flatten() for g in grads])
        zeroed = all(p.grad is None or not p.grad.any() for p in params)
        if not close(delta, lr * grad, atol=1e-6, rtol=1e-4):
            slip = _step_slip(delta, grad, lr, which, zeroed)
            if slip is None:
                moved = [i for i, (o, p) in enumerate(zip(before, params, strict=True))
                         if not close(o, p.detach())]
                if len(moved) < len(params):
                    slip = ("your step moved only some of the parameters; loop over every "
                            "tensor in `params`")
            if slip is None:
                wanted = [(o - g * lr) for o, g in zip(before, grads, strict=True)]
                slip = (f"after your {which} step (lr={lr}) the parameters are "
                        f"{' and '.join(_show(p) for p in params)}, where "
                        f"{' and '.join(_show(v) for v in wanted)} is expected: p - p.grad * lr")
            raise Wrong(slip)
        if not zeroed:
            raise Wrong("after your step `.grad` still holds the gradient, so the next "
                            "backward would add to it (pitfall 5): call `p.grad.zero_()` after "
                            "the update")
    return "Step, then zero: each step now uses only its own batch's gradient."


# ---------------------------------------------------------------- pitfall 6: decide


@exercise(
    task="Write `decide(scores)`: from raw scores of shape (n, 1), True where the model says the "
         "first digit, i.e. where the sigmoid of the score is above 0.5.",
    hint="sigmoid(score) > 0.5 exactly when score > 0. Either comparison works; `score > 0.5` "
         "does not.")
def decide(scores):
    return scores > 0  # the same as scores.sigmoid() > 0.5


@decide.checker
def _check_decide(fn: Any) -> str:
    # scores close to 0 on both sides catch a threshold a little off 0; 0 itself has sigmoid
    # exactly 0.5, which is not above 0.5
    cases = [torch.tensor([[-3.0], [-0.2], [0.0], [0.3], [0.7], [4.0], [-40.0], [40.0],
                           [0.001], [-0.001]]),
             torch.tensor([[0.3]])]
    for scores in cases:
        got = call(fn, scores, name="decide")
        expected = decide.reference(scores)
        name = f"decide(scores) for the scores {[round(v, 4) for v in scores.flatten().tolist()]}"
        if not isinstance(got, torch.Tensor):
            raise Wrong(f"decide(scores) should return a tensor of decisions, not "
                        f"{describe(got)}")
        if tuple(got.shape) != tuple(expected.shape):
            raise Wrong(f"{name} has shape {tuple(got.shape)}; it should keep the scores' shape "
                        f"{tuple(expected.shape)}, one decision per image (no `.squeeze()`)")
        if got.is_complex():
            raise Wrong(f"{name} holds complex numbers, not decisions")
        values = set(got.detach().double().flatten().tolist())
        if not values <= {0.0, 1.0}:
            example = next(v for v in sorted(values) if v not in (0.0, 1.0))
            if all(0 <= v <= 1 for v in values):
                raise Wrong(f"{name} returned numbers such as {example:.3g}, not decisions: "
                            "those are probabilities; compare them with 0.5 to decide")
            raise Wrong(f"{name} returned numbers such as {example:.3g}, not decisions: those "
                        "are scores, not True/False. Compare the score with 0 (or its sigmoid "
                        "with 0.5)")
        got_b = got.detach().bool()
        if torch.equal(got_b, expected):
            continue
        if torch.equal(got_b, scores > 0.5):
            raise Wrong("you compared the raw score with 0.5. The score 0.3 means probability "
                        "sigmoid(0.3) = 0.57, above 0.5, yet your rule calls it the second "
                        "digit (pitfall 6). Compare the sigmoid with 0.5, or the score with 0")
        if got_b.all():
            raise Wrong("your rule calls every image the first digit, even the score -40. A "
                        "sigmoid is always above 0: compare it with 0.5")
        if torch.equal(got_b, scores >= 0):
            raise Wrong("for the score 0 you decided True; its sigmoid is exactly 0.5, not "
                        "above it: use `>`, not `>=`")
        if torch.equal(got_b, scores < 0) or torch.equal(got_b, scores <= 0):
            raise Wrong("your decisions are reversed: a positive score means the first digit")
        wrong = (got_b != expected).nonzero()[0, 0].item()
        raise Wrong(f"for the score {scores[wrong, 0].item():g} you decided "
                    f"{bool(got_b[wrong, 0])}; the first digit is meant exactly when "
                    f"sigmoid(score) > 0.5, that is score > 0. In all: {name} returned "
                    f"{_show(got_b)}, where {_show(expected)} is expected")
    return "Score above 0, or sigmoid above 0.5: the same boundary, at any scale of the scores."
