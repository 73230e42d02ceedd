"""Exercises of notebook 08 (pitfalls): find the bug, write the fix, predict the symptom."""

from __future__ import annotations

import re

import torch

from helpers.exercises import (
    Exercise,
    Wrong,
    call,
    expect_tensor,
    raised,
)

# ---------------------------------------------------------------- pitfall 1: targets


def _reference_targets(labels, positive):
    return (labels == positive).float().unsqueeze(1)


def _check_targets(fn):
    labels = torch.tensor([3, 7, 7, 3, 7])
    got = call(fn, labels, 3, name="make_targets(labels, 3)")
    expected = _reference_targets(labels, 3)
    if isinstance(got, torch.Tensor):
        if tuple(got.shape) == (5,):
            raise Wrong("make_targets returned shape (5,), one number per image but not as a "
                        "column. The model's scores have shape (n, 1), and `scores - targets` "
                        "with shapes (n, 1) and (n,) silently broadcasts to an (n, n) table: "
                        "add `.unsqueeze(1)`")
        if got.dtype == torch.bool:
            raise Wrong("your targets are True/False; the loss subtracts them from the "
                        "probabilities (`sigmoid - targets` in `gap_loss`), and PyTorch refuses "
                        "to subtract a True/False tensor. Turn them into numbers with `.float()`")
        if not got.dtype.is_floating_point:
            raise Wrong(f"your targets are integers ({got.dtype}); the loss compares them with "
                        "probabilities, so make them floats with `.float()`")
        values = sorted(set(got.flatten().tolist()))
        if values and set(values) != {0.0, 1.0} and got.numel() == 5:
            raise Wrong(f"your targets take the values {values}; the loss and the 0.5 decision "
                        "rule expect 1 for the positive digit and 0 for the other (pitfall 1)")
        if got.shape == expected.shape and torch.equal(got.detach(), 1 - expected):
            raise Wrong("your targets are reversed: the positive digit (3 here) must get 1, "
                        "the other digit 0")
    expect_tensor(got, expected, "make_targets(tensor([3, 7, 7, 3, 7]), 3)")
    labels = torch.tensor([9, 2, 2])
    expect_tensor(call(fn, labels, 2, name="make_targets(labels, 2)"),
                  _reference_targets(labels, 2), "make_targets(tensor([9, 2, 2]), 2)")
    one = torch.tensor([7])
    expect_tensor(call(fn, one, 3, name="make_targets(tensor([7]), 3)"),
                  _reference_targets(one, 3), "make_targets for a batch of one image",
                  shape_hints={(1,): "a batch of one still needs a column: shape (1, 1)",
                               (): "a batch of one still needs a column: shape (1, 1)"})
    return "The loss gets 1/0 targets in a column, the shape of the scores."


targets = Exercise(
    "08", "targets",
    "Write `make_targets(labels, positive)`: from digit labels of shape (n,), a float column "
    "(n, 1) holding 1.0 where the label is `positive` and 0.0 elsewhere.",
    _check_targets,
    "Compare `labels == positive` (True/False), turn it into numbers with `.float()`, and make "
    "it a column with `.unsqueeze(1)`.",
    "def make_targets(labels, positive):\n"
    "    return (labels == positive).float().unsqueeze(1)",
    _reference_targets,
)

# ---------------------------------------------------------------- pitfall 2: scaling


def _reference_prepare(images):
    return images.reshape(len(images), -1).float() / 255


def _images(n, top, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, top + 1, (n, 28, 28), generator=g, dtype=torch.uint8)


def _check_prepare(fn):
    cases = [(_images(3, 255, 0), "three images"),
             (_images(2, 128, 1), "two faint images (no pixel above 128)"),
             (_images(1, 255, 2), "a batch of one image")]
    for images, what in cases:
        got = call(fn, images, name=f"prepare on {what}")
        expected = _reference_prepare(images)
        name = f"prepare on {what}"
        if not isinstance(got, torch.Tensor):
            raise Wrong(f"{name} should return a tensor, not {type(got).__name__}")
        if not got.dtype.is_floating_point and got.max().item() > 1:
            raise Wrong(f"{name} returned the integer pixels ({got.dtype}, up to "
                        f"{got.max().item()}): make them floats with `.float()` and divide by 255")
        if not got.dtype.is_floating_point:
            raise Wrong(f"{name} returned integers ({got.dtype}). Dividing integer pixels with "
                        "`//` floors them: every pixel below 255 becomes 0. Use `.float()` and "
                        "`/ 255`")
        if tuple(got.shape) != tuple(expected.shape):
            raise Wrong(f"{name} has shape {tuple(got.shape)}; it should be "
                        f"{tuple(expected.shape)}, one row of 784 pixels per image. "
                        "`.reshape(len(images), -1)` keeps one row per image even for a batch "
                        "of one")
        top = got.detach().max().item()
        if top > 1.0 + 1e-6:
            raise Wrong(f"{name} has values up to {top:g}: the pixels were not divided by 255, "
                        "like the never-divided second digit of pitfall 2")
        if torch.allclose(got.detach().double(), expected.double() / 255, atol=1e-7):
            raise Wrong(f"{name} is divided by 255 twice: every pixel is below 0.004, an "
                        "almost blank image (the first digit of pitfall 2)")
        scaled_by_max = expected * 255 / images.max().float()
        if what.startswith("two faint") and torch.allclose(got.detach().float(), scaled_by_max,
                                                           atol=1e-6):
            raise Wrong(f"{name}: you divided by the images' own maximum (128 here), so a faint "
                        "batch comes out brighter than the same pixels elsewhere. Divide every "
                        "split by the same fixed 255")
        expect_tensor(got, expected, name)
    return "One function, the same fixed 255, for every split."


prepare = Exercise(
    "08", "prepare",
    "Write `prepare(images)`: from a stack of byte images (uint8, 0 to 255, shape (n, 28, 28)) "
    "return float rows of 784 pixels between 0 and 1, to be used for every split alike.",
    _check_prepare,
    "Flatten with `.reshape(len(images), -1)`, make floats with `.float()`, then divide by the "
    "fixed number 255 (not by the batch's own maximum).",
    "def prepare(images):\n"
    "    return images.reshape(len(images), -1).float() / 255",
    _reference_prepare,
)

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


def _check_line(answer):
    if isinstance(answer, str):
        found = re.fullmatch(r"\s*(?:line\s*)?(\d+)\s*", answer, flags=re.IGNORECASE)
        answer = int(found.group(1)) if found else answer
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise Wrong(f"answer with a line number from 1 to 15, such as 7 (you gave {answer!r})")
    if answer == 5:
        return ("Line 5 draws a brand-new model at every call, so each step improves weights "
                "that are thrown away before the next one. Move it before the loop "
                "(`weights, bias = new_model()` once) and pass the two tensors into the step.")
    if answer in _LINE_NOTES:
        raise Wrong(f"{_LINE_NOTES[answer]}. Look for the line that runs once per batch but "
                    "should run once in the whole training")
    raise Wrong(f"there is no line {answer}; the lines are numbered 1 to 15")


which_line = Exercise(
    "08", "which_line",
    "Which line of the training loop above is wrong? Answer with its number.",
    _check_line,
    "Ask of each line: how many times does it run, and how many times should it? The loss this "
    "loop prints never falls.",
    "Line 5: `weights, bias = new_model()` runs at every step, so every step starts from fresh "
    "random parameters. Draw them once before the loop and pass them to `sgd_step`.",
    5,
)

# ---------------------------------------------------------------- pitfall 4: predict, then run

_SORTED_NOTES = {
    "a": "about half would be a model that tells the digits apart, like the shuffled run. The "
         "sorted run has just seen two dozen batches of the second digit in a row",
    "b": "that is the natural guess (the last two dozen batches were all the second digit), "
         "but look at what the loss does on those batches: the model reached them already "
         "sure that everything is the first digit",
}


def _check_sorted(answer):
    if not isinstance(answer, str) or answer.strip().lower() not in ("a", "b", "c"):
        raise Wrong(f"answer with one letter, \"a\", \"b\" or \"c\" (you gave {answer!r})")
    choice = answer.strip().lower()
    if choice == "c":
        return ("The first two dozen batches (all the first digit) push every score up until "
                "the sigmoid sits at 1; there its slope is almost 0, so the second digit's "
                "batches, wrong with loss near 1, hardly move the weights. Run the next cell.")
    raise Wrong(f"{_SORTED_NOTES[choice]}. Where is the sigmoid's slope almost zero?")


sorted_share = Exercise(
    "08", "sorted_share",
    "On 3 vs 7 (the default pair), after one epoch on the sorted loader, what share of the "
    "validation images does the model call the first digit: \"a\" about half, \"b\" almost "
    "none, \"c\" almost all?",
    _check_sorted,
    "A sigmoid squashes large scores to 1, and its slope there is almost 0. How large are the "
    "scores after two dozen steps at learning rate 1 that all say 'first digit'?",
    "\"c\": almost all. The first-digit batches come first and drive the sigmoid to 1 on "
    "everything; on the second digit's batches the loss is near 1 but the gradient near 0, so "
    "the model ends the epoch still calling (almost) every image the first digit.",
    "c",
)

# ---------------------------------------------------------------- pitfall 5: a step that zeroes


def _reference_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= p.grad * lr
            p.grad.zero_()


def _backward(params, x):
    w, b = params
    ((w * x).sum() ** 2 + 3 * b.sum()).backward()


def _grads(params):
    return [p.grad.detach().clone() for p in params]


def _run_step(fn, params, lr, which):
    try:
        fn(params, lr)
    except AttributeError as err:
        if "NoneType" in str(err) and "zero_" in str(err):
            raise Wrong("`p.grad` was None when you zeroed it. After `p = p - p.grad * lr` the "
                        "name p names a new tensor with no gradient, and the parameter itself "
                        "is unchanged; change it in place with `p -= p.grad * lr`") from None
        raise raised(err, "your sgd_step", f"(at the {which} step)") from None
    except Exception as err:
        raise raised(err, "your sgd_step", f"(at the {which} step)") from None


def _check_step(fn):
    if not callable(fn):
        raise Wrong(f"this exercise wants a function; you gave {type(fn).__name__}")
    w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    b = torch.tensor([0.5], requires_grad=True)
    params, lr = [w, b], 0.1
    for which, x in (("first", torch.tensor([1.0, 2.0, -1.0])),
                     ("second", torch.tensor([0.5, -1.0, 2.0]))):
        before = [p.detach().clone() for p in params]
        _backward(params, x)
        g = _grads(params)
        _run_step(fn, params, lr, which)
        if params[0] is not w or params[1] is not b:
            raise Wrong("your step replaced the tensors in the list; change each parameter "
                        "itself in place (`p -= p.grad * lr`), so the model keeps using it")
        for p in params:
            if not p.requires_grad or not p.is_leaf:
                raise Wrong("after your step a parameter no longer tracks gradients (or is no "
                            "longer a leaf); update it in place under `torch.no_grad()`")
        now = [p.detach() for p in params]
        if all(torch.equal(n, o) for n, o in zip(now, before, strict=True)):
            raise Wrong(f"your {which} step left the parameters unchanged. `p = p - ...` makes a "
                        "new tensor and only rebinds the name p; change the parameter in place "
                        "(`p -= p.grad * lr`). And zero the gradient after using it, not before")
        want = [o - gi * lr for o, gi in zip(before, g, strict=True)]
        if all(torch.allclose(n, o + gi * lr) for n, o, gi in zip(now, before, g, strict=True)):
            raise Wrong("your step went up the gradient; subtract `p.grad * lr` to go down")
        if all(torch.allclose(n, o - gi) for n, o, gi in zip(now, before, g, strict=True)):
            raise Wrong("your step ignores the learning rate; multiply the gradient by lr")
        if which == "second" and not all(torch.allclose(n, wi, atol=1e-5)
                                         for n, wi in zip(now, want, strict=True)):
            raise Wrong("your second step used the sum of both batches' gradients: the first "
                        "one was still in `.grad`, because backward adds to it. Zero each "
                        "gradient after the step (`p.grad.zero_()`), as in pitfall 5")
        for n, wi in zip(now, want, strict=True):
            if not torch.allclose(n, wi, atol=1e-5):
                raise Wrong(f"after your {which} step a parameter is {n.tolist()}, where "
                            f"{[round(v, 4) for v in wi.tolist()]} is expected: p - p.grad * lr")
        for p in params:
            if p.grad is not None and p.grad.abs().max().item() != 0:
                raise Wrong("after your step `.grad` still holds the gradient, so the next "
                            "backward would add to it (pitfall 5): call `p.grad.zero_()` after "
                            "the update")
    return "Step, then zero: each step now uses only its own batch's gradient."


sgd_update = Exercise(
    "08", "sgd_update",
    "Write `sgd_step(params, lr)`: called after `loss.backward()`, it moves every parameter "
    "against its gradient by `lr` times it, in place, then zeroes the gradient.",
    _check_step,
    "Inside `with torch.no_grad():`, loop over params: `p -= p.grad * lr`, then "
    "`p.grad.zero_()`.",
    "def sgd_step(params, lr):\n"
    "    with torch.no_grad():\n"
    "        for p in params:\n"
    "            p -= p.grad * lr\n"
    "            p.grad.zero_()",
    _reference_step,
)

# ---------------------------------------------------------------- pitfall 6: decide


def _reference_decide(scores):
    return scores > 0


def _check_decide(fn):
    scores = torch.tensor([[-3.0], [-0.2], [0.3], [0.7], [4.0], [-40.0], [40.0]])
    got = call(fn, scores, name="decide")
    expected = _reference_decide(scores)
    name = "decide(scores)"
    if not isinstance(got, torch.Tensor):
        raise Wrong(f"{name} should return a tensor of decisions, not {type(got).__name__}")
    if tuple(got.shape) != tuple(expected.shape):
        raise Wrong(f"{name} has shape {tuple(got.shape)}; it should keep the scores' shape "
                    f"{tuple(expected.shape)}, one decision per image")
    values = set(got.detach().flatten().tolist())
    if not values <= {0, 1}:
        example = next(v for v in sorted(values) if v not in (0, 1))
        if all(0 <= v <= 1 for v in values):
            raise Wrong(f"{name} returned numbers such as {example:.3g}, not decisions: "
                        "those are probabilities; compare them with 0.5 to decide")
        raise Wrong(f"{name} returned numbers such as {example:.3g}, not decisions: those are "
                    "scores, not True/False. Compare the score with 0 (or its sigmoid with 0.5)")
    got_b = got.detach().bool()
    if torch.equal(got_b, scores > 0.5):
        raise Wrong("you compared the raw score with 0.5. The score 0.3 means probability "
                    "sigmoid(0.3) = 0.57, above 0.5, yet your rule calls it the second digit "
                    "(pitfall 6). Compare the sigmoid with 0.5, or the score with 0")
    if got_b.all():
        raise Wrong("your rule calls every image the first digit, even the score -40. A "
                    "sigmoid is always above 0: compare it with 0.5")
    if torch.equal(got_b, ~expected):
        raise Wrong("your decisions are reversed: a positive score means the first digit")
    if not torch.equal(got_b, expected):
        wrong = (got_b != expected).nonzero()[0, 0].item()
        raise Wrong(f"for the score {scores[wrong, 0].item():g} you decided "
                    f"{bool(got_b[wrong, 0])}; the first digit is meant exactly when "
                    "sigmoid(score) > 0.5, that is score > 0")
    return "Score above 0, or sigmoid above 0.5: the same boundary, at any scale of the scores."


decide = Exercise(
    "08", "decide",
    "Write `decide(scores)`: from raw scores of shape (n, 1), True where the model says the "
    "first digit, i.e. where the sigmoid of the score is above 0.5.",
    _check_decide,
    "sigmoid(score) > 0.5 exactly when score > 0. Either comparison works; `score > 0.5` does "
    "not.",
    "def decide(scores):\n"
    "    return scores > 0          # the same as scores.sigmoid() > 0.5",
    _reference_decide,
)
