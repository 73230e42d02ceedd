"""Exercises of notebook 07 (all ten digits): softmax, cross-entropy, and the accuracy of each
digit from a confusion matrix."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from helpers.exercises import (
    Wrong,
    as_number,
    call,
    close,
    describe,
    exercise,
    expect_tensor,
    raised,
)


def _show(t: torch.Tensor) -> str:
    """A small tensor's values, rounded, as nested lists."""
    values = t.detach().double()
    if values.dim() == 0:
        return f"{values.item():.4g}"
    return str(torch.where(values.abs() < 5e-5, 0.0, values).round(decimals=4).tolist())


def _expect(got: Any, expected: torch.Tensor, what: str, given: str, **options: Any) -> None:
    """expect_tensor, but a value mismatch shows the input, what was expected and what came
    back, all of it (the examples are small)."""
    try:
        expect_tensor(got, expected, what, **options)
    except Wrong as err:
        text = str(err)
        if "wrong values" in text:
            raise Wrong(f"{what} is wrong: for {given} it returned {_show(got)}, where "
                        f"{_show(expected)} is expected") from None
        if "inf or nan" in text:
            raise Wrong(f"{text}: for {given} it returned {_show(got)}, where "
                        f"{_show(expected)} is expected") from None
        raise


# --- my_softmax: scores to probabilities, one row per image -----------------------------------


@exercise(
    task="Write `my_softmax(x)` for scores of shape (n, classes): one row of probabilities per "
         "image, safe for large scores.",
    hint="Three moves along dim=1: subtract the row's largest score "
         "(`x.amax(dim=1, keepdim=True)`), `exp`, divide by the row's sum (`keepdim=True` keeps "
         "the shapes lined up).")
def my_softmax(x):
    # each row's own largest score: exp then never sees more than 0, so it cannot overflow,
    # and each row keeps a 1 (its largest), so its sum cannot underflow to 0
    exps = (x - x.amax(dim=1, keepdim=True)).exp()
    return exps / exps.sum(dim=1, keepdim=True)


_KEEPDIM = ("without keepdim=True a row's sum (or maximum) has shape (n,), and it lines up "
            "with the columns of (n, classes) instead of the rows; keep it a column with "
            "`.sum(dim=1, keepdim=True)` (and the same in `amax`)")


def _call_softmax(fn: Any, x: torch.Tensor) -> Any:
    try:
        return call(fn, x, name="my_softmax")
    except Wrong as err:
        if "must match the size" in str(err):
            raise Wrong(f"{err}. {_KEEPDIM[0].upper()}{_KEEPDIM[1:]}") from None
        raise


def _softmax_slip(got: torch.Tensor, x: torch.Tensor) -> str | None:
    """The mistake behind a wrong softmax of the small square example, if it is a known one."""
    g, x = got.detach().double(), x.double()
    rows_sum_to_1 = close(g.sum(1), torch.ones(len(g)), atol=1e-4)
    shifted = (x - x.amax(dim=1, keepdim=True)).exp()
    if close(g.sum(0), torch.ones(g.shape[1]), atol=1e-4) and not rows_sum_to_1:
        return ("each COLUMN of your result sums to 1, not each row: normalise over the "
                "classes, dim=1 (one row per image), not over the batch (dim=0)")
    if close(g, torch.log_softmax(x, dim=1), atol=1e-4):
        return ("those are log-probabilities (log-softmax: the shifted score minus the log of "
                "the sum); softmax gives the probabilities themselves: exp of the shifted scores "
                "divided by their row's sum")
    if close(g, shifted, atol=1e-4) or close(g, x.exp(), atol=1e-4):
        return ("you stopped at the exponentials: divide each one by the sum of its own row, "
                "so that each row sums to 1")
    if torch.allclose(g, x / x.sum(dim=1, keepdim=True), atol=1e-4, equal_nan=True):
        return ("you divided the scores themselves by their row's sum; softmax divides their "
                "EXPONENTIALS (a score can be negative or 0, an exponential cannot)")
    if close(g, x.sigmoid(), atol=1e-4):
        return ("that is the sigmoid of each score on its own; softmax shares one unit of "
                "probability across the row: exp of each score divided by the row's sum")
    no_keep = [shifted / shifted.sum(dim=1),
               (x - x.amax(dim=1)).exp() / (x - x.amax(dim=1)).exp().sum(dim=1, keepdim=True),
               (x - x.amax(dim=1)).exp() / (x - x.amax(dim=1)).exp().sum(dim=1)]
    if any(close(g, wrong, atol=1e-4) for wrong in no_keep):
        return _KEEPDIM
    if not rows_sum_to_1 and (g >= 0).all():
        return ("the rows of your result do not sum to 1: divide each exponential by the sum "
                "of its own row (`.sum(dim=1, keepdim=True)`)")
    return None


@my_softmax.checker
def _check_softmax(fn: Any) -> str | None:
    small = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5]])
    given = f"the scores {_show(small)}"
    got = _call_softmax(fn, small)
    if (isinstance(got, torch.Tensor) and got.shape == small.shape and not got.is_complex()
            and not close(got, my_softmax.reference(small), atol=1e-5)):
        slip = _softmax_slip(got, small)
        if slip:
            raise Wrong(f"{slip}. For {given} you returned {_show(got)}")
    _expect(got, my_softmax.reference(small), "my_softmax", given,
            shape_hints={(3,): "You summed something away: keep one probability per score "
                               "(use keepdim=True in the sum, and divide by it)",
                         (3, 1): "You returned one number per row: divide the exponentials by "
                                 "the sum, do not return the sum"})

    one = torch.tensor([[0.5, -0.5, 1.5, 0.0]])
    hint = "A batch of one image is still a (1, classes) table: no `.squeeze()`, keepdim=True"
    _expect(_call_softmax(fn, one), my_softmax.reference(one),
            "my_softmax on a batch of one image", f"the scores {_show(one)}",
            shape_hints={(1,): hint, (): hint, (4,): hint})

    large = torch.tensor([[1000.0, 990.0, 0.0]])
    got = _call_softmax(fn, large)
    if isinstance(got, torch.Tensor) and not got.is_complex() and not torch.isfinite(
            got.detach().double()).all():
        raise Wrong(f"on the scores {large.tolist()} your softmax gives {_show(got)}: exp(1000) "
                    "overflows to inf, and inf / inf is nan. Subtract each row's largest score "
                    "before `exp` (it changes nothing else)")
    _expect(got, my_softmax.reference(large), "my_softmax on large scores",
            f"the scores {large.tolist()}")

    spread = torch.tensor([[1000.0, 990.0, 0.0], [-50.0, 100.0, 120.0]])
    got = _call_softmax(fn, spread)
    if isinstance(got, torch.Tensor) and got.shape == spread.shape and not got.is_complex():
        g = got.detach().double()
        row_ok = torch.isfinite(g).all(1) & ((g.sum(1) - 1).abs() < 1e-3)
        if row_ok[0] and not row_ok[1]:
            raise Wrong(f"on the scores {spread.tolist()} your softmax gives {_show(got)}: "
                        "the second row is broken. You subtracted the largest score of the "
                        "whole batch (1000), so every score of the second row ends up far below "
                        "0, each exp underflows to 0, and the row gives 0 / 0. Subtract each "
                        "row's OWN largest score: `x.amax(dim=1, keepdim=True)`")
        if not torch.isfinite(g).all():
            raise Wrong(f"on the scores {spread.tolist()} your softmax gives {_show(got)}: "
                        "exp of a large score overflows to inf (and inf / inf is nan). "
                        "Subtract each row's own largest score before `exp`")
    _expect(got, my_softmax.reference(spread), "my_softmax on scores of very different sizes",
            f"the scores {spread.tolist()}")
    return "Shifting each row by its own maximum changes no probability and keeps exp finite."


# --- my_cross_entropy: the loss for ten classes -----------------------------------------------


@exercise(
    task="Write `my_cross_entropy(logits, targets)`: the mean over the batch of minus the "
         "log-probability each image gives its right class (logits of shape (n, classes), targets "
         "of shape (n,)), safe for large scores.",
    hint="`torch.log_softmax(logits, dim=1)` gives log-probabilities, safely; "
         "`[torch.arange(len(targets)), targets]` picks, in each row, the column of its target; "
         "then minus the mean.")
def my_cross_entropy(logits, targets):
    log_probs = torch.log_softmax(logits, dim=1)  # log of softmax, without a log of 0
    picked = log_probs[torch.arange(len(targets)), targets]  # row i, column targets[i]
    return -picked.mean()  # minus: a loss falls as the right class's probability rises


def _ce_slips(logits: torch.Tensor, targets: torch.Tensor) -> list[tuple[float, str]]:
    """Values that known mistakes give on (logits, targets), with what to say about each."""
    x, t = logits.double(), targets
    n, classes = x.shape
    rows = torch.arange(n)
    lp = torch.log_softmax(x, dim=1)
    right = -lp[rows, t].mean()
    one_hot = F.one_hot(t, classes).double()
    pick = "pick one entry per row with `log_probs[torch.arange(n), targets]`"
    slips = [
        (-right, "your loss is negative: the loss is MINUS the mean log-probability (a "
                 "log-probability is at most 0)"),
        (right * n, f"your loss is the SUM over the batch, {n} times too big for these {n} "
                    "images: take the mean, so the loss (and the step) does not grow with the "
                    "batch size"),
        (right / classes, f"you averaged over all {n} x {classes} entries of the one-hot "
                          "product; sum over the classes first (one term per image), then take "
                          "the mean over the images"),
        (-lp[:, t].mean(), f"`log_probs[:, targets]` picks every target for every image; {pick}"),
        (-lp[:, 0].mean(), f"you picked the same column for every image; {pick}"),
        (-lp[rows, rows % classes].mean(), "you picked the diagonal: row i needs column "
                                           f"targets[i], not column i; {pick}"),
        (-x.log()[rows, t].mean(), "you took the log of the raw scores: turn the scores into "
                                   "log-probabilities first, with log_softmax"),
        (-x[rows, t].mean(), "you used the raw scores (F.nll_loss, too, expects "
                             "log-probabilities): turn the scores into log-probabilities "
                             "first, with log_softmax"),
        (-x.softmax(1)[rows, t].mean(), "you averaged the probabilities themselves; the loss "
                                        "takes their log: minus the mean LOG-probability"),
        (-torch.log_softmax(x, dim=0)[rows, t].mean(),
         "you normalised over the batch (dim=0); the probabilities of one image are along its "
         "row: log_softmax(logits, dim=1)"),
        (-torch.log_softmax(x.softmax(1), dim=1)[rows, t].mean(),
         "you applied softmax twice (F.cross_entropy applies it itself, so give it the raw "
         "scores, not probabilities)"),
        (-(one_hot * x.softmax(1).log()).mean(), "you averaged over every entry of the one-hot "
                                                 "product; sum over the classes first, then take "
                                                 "the mean over the images"),
    ]
    return [(float(v), m) for v, m in slips
            if torch.isfinite(v) and abs(float(v) - float(right)) > 1e-4]


def _call_ce(fn: Any, logits: torch.Tensor, targets: torch.Tensor) -> Any:
    try:
        return call(fn, logits, targets, name="my_cross_entropy")
    except Wrong as err:
        text = str(err)
        if "out of bounds" in text:
            raise Wrong(f"{text}. Index the rows first, then the columns: "
                        "`log_probs[torch.arange(n), targets]` (row i, column targets[i])"
                        ) from None
        if "must match the size" in text and "one_hot" not in text:
            raise Wrong(f"{text}. If you used `F.one_hot(targets)`: without "
                        "`num_classes=logits.shape[1]` it makes only as many columns as the "
                        "largest target + 1, here fewer than the classes") from None
        raise


def _check_ce_case(fn: Any, logits: torch.Tensor, targets: torch.Tensor, what: str) -> None:
    given = f"logits {_show(logits)} and targets {targets.tolist()}"
    got = _call_ce(fn, logits, targets)
    expected = my_cross_entropy.reference(logits, targets)
    if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.is_complex():
        got = got.reshape(())
    if not isinstance(got, torch.Tensor):
        try:
            value = as_number(got, what)
        except Wrong:
            value = None
        if value is not None and abs(value - expected.item()) < 1e-4:
            raise Wrong(f"{what} has the right value, but as {describe(got)}: keep the loss a "
                        "tensor connected to the logits (no `.item()`, no `float(...)`), so that "
                        "`loss.backward()` can run")
    if isinstance(got, torch.Tensor) and got.shape == () and not got.is_complex():
        value = got.detach().double().item()
        if torch.isfinite(torch.tensor(value)) and abs(value - expected.item()) > 1e-4:
            for wrong, message in _ce_slips(logits, targets):
                if abs(value - wrong) < 1e-4:
                    raise Wrong(f"{message}. For {given} you returned {value:.5g}, where "
                                f"{expected.item():.5g} is expected")
    _expect(got, expected, what, given, requires_grad=None,
            shape_hints={(len(targets),): "You returned one loss per image: average them with "
                                          "`.mean()`",
                         (len(targets), len(targets)):
                             "`log_probs[:, targets]` picks every target for every image; use "
                             "`log_probs[torch.arange(n), targets]`"})


@my_cross_entropy.checker
def _check_cross_entropy(fn: Any) -> str | None:
    def logits():
        return torch.tensor([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0], [1.0, 1.0, 4.0], [0.2, 0.1, 0.0]])

    targets = torch.tensor([0, 2, 2, 1])
    _check_ce_case(fn, logits(), targets, "my_cross_entropy(logits, targets)")
    # the largest target (1) is not the last class (3): F.one_hot needs num_classes
    _check_ce_case(fn, torch.tensor([[0.5, 1.0, -1.0, 2.0], [1.5, 0.0, 0.3, -0.7]]),
                   torch.tensor([1, 0]), "my_cross_entropy on 2 images and 4 classes")

    large, big_targets = torch.tensor([[300.0, -300.0, 0.0], [0.0, 500.0, -500.0]]), torch.tensor(
        [1, 2])
    got = _call_ce(fn, large, big_targets)
    if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.is_complex() and not (
            torch.isfinite(got.detach().double()).all()):
        raise Wrong(f"on the large scores {large.tolist()} (targets {big_targets.tolist()}) your "
                    f"loss is {_show(got.reshape(()))}: log(softmax(x)) takes the log of a "
                    "probability that rounded to 0 (exp(-600) is 0 in float32). Use "
                    "`torch.log_softmax`, which never takes that log")
    if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.is_complex():
        value, right = got.detach().double().item(), my_cross_entropy.reference(large, big_targets)
        if value < 0.9 * right.item():
            raise Wrong(f"on the large scores {large.tolist()} (targets {big_targets.tolist()}) "
                        f"your loss is {value:.4g}, where {right.item():.4g} is expected: the "
                        "right class's probability is about exp(-600), which rounds to 0, and "
                        "clamping it (or adding a small number) before the log caps the loss. "
                        "Use `torch.log_softmax`, which never takes the log of a probability")
    _check_ce_case(fn, large, big_targets, "my_cross_entropy on large scores")
    _check_ce_case(fn, torch.tensor([[0.0, 1.0, 2.0]]), torch.tensor([2]),
                   "my_cross_entropy on a batch of one image")

    leaf = logits().requires_grad_()
    try:
        out = fn(leaf, targets.clone())
    except Exception as err:  # the learner's code
        raise raised(err, "my_cross_entropy", "(called with logits that track gradients)"
                     ) from None
    if not (isinstance(out, torch.Tensor) and out.requires_grad):
        raise Wrong("your loss does not track gradients, so training could not use it: do not "
                    "call `.item()`, `.detach()`, `torch.tensor(...)` or work under "
                    "`torch.no_grad()` inside the loss")
    (grad,) = torch.autograd.grad(out.sum(), leaf, allow_unused=True)
    if grad is None:
        raise Wrong("your loss tracks gradients but is not connected to the logits (a new "
                    "tensor made from a value); compute it from `logits` with tensor "
                    "operations, so backward reaches the scores")
    check = logits().requires_grad_()
    my_cross_entropy.reference(check, targets).backward()
    if not close(grad, check.grad, atol=1e-6):
        raise Wrong("your loss has the right value but not the right gradient; compute it from "
                    "`logits` with tensor operations only (no values copied out and back in)")
    return ("Its gradient is (softmax - one-hot) / n: each score is pushed by how far its "
            "probability is off.")


# --- per_digit_accuracy: each digit's accuracy from a confusion matrix ------------------------


@exercise(
    task="Write `per_digit_accuracy(cm)`: for a confusion matrix (row = actual digit, column = "
         "predicted), the share of each digit's images that were read right, one value per "
         "digit.",
    hint="The right answers for digit i sit at cm[i, i]; how many images of digit i were there "
         "in all? They are all in row i.")
def per_digit_accuracy(cm):
    return cm.diag() / cm.sum(dim=1)  # right answers over all images of that digit: its row


def _as_values(got: Any, what: str) -> torch.Tensor:
    """A tensor, a NumPy array, or a list of numbers (or of 0-d tensors), as float64."""
    if isinstance(got, torch.Tensor):
        if got.is_complex():
            raise Wrong(f"{what} holds complex numbers; an accuracy is a real share")
        return got.detach().cpu().double()
    if type(got).__module__ == "numpy" and getattr(got, "ndim", 0) > 0:
        try:
            return torch.as_tensor(got, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            pass
    if isinstance(got, (list, tuple)):
        return torch.tensor([as_number(v, f"each entry of {what}") for v in got],
                            dtype=torch.float64)
    raise Wrong(f"{what} should be a tensor with one value per digit, not {describe(got)}")


def _per_digit_slips(got: torch.Tensor, cm: torch.Tensor) -> str | None:
    c = cm.double()
    diag, rows, cols = c.diag(), c.sum(1), c.sum(0)
    if got.shape == c.shape:
        if close(got, c / c.sum(1, keepdim=True), atol=1e-4):
            return ("you divided the whole matrix by its row sums; the accuracies are on its "
                    "diagonal: `cm.diag() / cm.sum(dim=1)`")
        if close(got, diag / rows[:, None], atol=1e-4) or close(got, diag / rows, atol=1e-4):
            return ("with keepdim=True (or a [:, None]) the row sums are a column, and the "
                    "diagonal divided by it broadcasts to a table; divide by `cm.sum(dim=1)`, "
                    "shape (digits,)")
        return None
    if got.numel() == 1:
        if close(got.reshape(()), diag.sum() / c.sum(), atol=1e-4):
            return ("that is the overall accuracy (all right answers over all images); the "
                    "task wants one accuracy per digit")
        return "you returned one number: the task wants one accuracy per digit, one per row"
    if got.shape != diag.shape:
        return None
    slips = [
        (diag / cols, "you divided by the COLUMN sums: a column holds every image the model "
                      "CALLED that digit. Each digit's accuracy is out of the images that "
                      "really are that digit: its row, `cm.sum(dim=1)`"),
        (diag / c.sum(), "you divided by the total number of images: divide each diagonal "
                         "count by its own row's total"),
        (diag, "those are counts of right answers; divide each by its row's total to get a "
               "share between 0 and 1"),
        (torch.div(diag, rows, rounding_mode="floor"),
         "integer division (`//`) rounded every share down to 0 (or 1); use `/`"),
        (100 * diag / rows, "those are percentages; give shares between 0 and 1"),
        (diag / (rows - diag), "you divided by the mistakes only; divide by the whole row, "
                               "right answers included"),
        (1 - diag / rows, "that is each digit's share of mistakes; the task wants the share "
                          "read right"),
        ((cols - diag) / cols, "that is each column's share of mistakes; the task wants the "
                               "share of each digit's images read right, along its row"),
    ]
    for wrong, message in slips:
        if close(got, wrong, atol=1e-4):
            return message
    return None


@per_digit_accuracy.checker
def _check_per_digit(fn: Any) -> str | None:
    # rows: actual class, columns: predicted; the row and column sums differ on purpose
    cases = [(torch.tensor([[8, 2, 0], [1, 4, 0], [3, 0, 2]]), "per_digit_accuracy(cm)"),
             (torch.tensor([[6, 1, 0, 1], [0, 9, 3, 0], [2, 0, 5, 1], [0, 4, 0, 3]]),
              "per_digit_accuracy of a 4 x 4 matrix"),
             (torch.tensor([[5, 0], [0, 7]]), "per_digit_accuracy of a matrix with no mistakes")]
    for cm, what in cases:
        got = _as_values(call(fn, cm, name="per_digit_accuracy"), what)
        expected = per_digit_accuracy.reference(cm)
        given = f"cm = {cm.tolist()}"
        if torch.isfinite(got).all() and not close(got, expected, atol=1e-5):
            slip = _per_digit_slips(got, cm)
            if slip:
                raise Wrong(f"{slip}. For {given} you returned {_show(got)}, where "
                            f"{_show(expected)} is expected")
        _expect(got, expected, what, given,
                shape_hints={(len(cm) - 1,): "One value per digit: as many as the rows of cm "
                                             "(did you loop over a fixed range?)"})
    return None
