"""Exercises of notebook 07 (all ten digits: softmax, cross-entropy, per-digit accuracy)."""

from __future__ import annotations

import torch

from helpers.exercises import Exercise, Wrong, call, expect_tensor


def _reference_softmax(x: torch.Tensor) -> torch.Tensor:
    exps = (x - x.amax(dim=1, keepdim=True)).exp()
    return exps / exps.sum(dim=1, keepdim=True)


def _check_softmax(fn) -> None:
    small = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5]])
    got = call(fn, small, name="my_softmax")
    if isinstance(got, torch.Tensor) and got.shape == small.shape:
        if torch.allclose(got.sum(0), torch.ones(3)) and not torch.allclose(got.sum(1),
                                                                             torch.ones(3)):
            raise Wrong("each COLUMN of your result sums to 1, not each row: normalise over "
                        "the classes, dim=1 (one row per image), not over the batch")
        if torch.allclose(got.sum(1), torch.ones(3)) is False and (got >= 0).all():
            raise Wrong("the rows of your result do not sum to 1: divide each exponential by "
                        "the sum of its own row (`.sum(dim=1, keepdim=True)`)")
    expect_tensor(got, _reference_softmax(small), "my_softmax on small scores",
                  shape_hints={(3,): "you summed something away: keep one probability per "
                                     "score (use keepdim=True in the sum)",
                               (3, 1): "you returned one number per row: divide the "
                                       "exponentials by the sum, do not return the sum"})
    one = torch.tensor([[0.5, -0.5, 1.5, 0.0]])
    expect_tensor(call(fn, one, name="my_softmax"), _reference_softmax(one),
                  "my_softmax on a batch of one image",
                  shape_hints={(1,): "keep dim=1 and keepdim=True, even for a batch of one"})
    large = torch.tensor([[1000.0, 990.0, 0.0], [-50.0, 100.0, 120.0]])
    got = call(fn, large, name="my_softmax")
    if isinstance(got, torch.Tensor) and not torch.isfinite(got).all():
        raise Wrong("on the scores (1000, 990, 0) your softmax gives nan or inf: exp(1000) "
                    "overflows. Subtract each row's largest score before `exp` (it changes "
                    "nothing else)")
    expect_tensor(got, _reference_softmax(large), "my_softmax on large scores")


softmax = Exercise(
    "07", "softmax",
    "Write `my_softmax(x)` for scores of shape (n, classes): one row of probabilities per "
    "image, safe for large scores.",
    _check_softmax,
    "Three moves along dim=1: subtract the row's largest score (`x.amax(dim=1, keepdim=True)`), "
    "`exp`, divide by the row's sum (`keepdim=True` keeps the shapes lined up).",
    "def my_softmax(x):\n"
    "    exps = (x - x.amax(dim=1, keepdim=True)).exp()\n"
    "    return exps / exps.sum(dim=1, keepdim=True)",
    _reference_softmax,
)


def _reference_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    log_probs = torch.log_softmax(logits, dim=1)
    return -log_probs[torch.arange(len(targets)), targets].mean()


def _check_cross_entropy(fn) -> None:
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0], [1.0, 1.0, 4.0], [0.2, 0.1, 0.0]])
    targets = torch.tensor([0, 2, 2, 1])
    got = call(fn, logits, targets, name="my_cross_entropy")
    expected = _reference_cross_entropy(logits, targets)
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        value = got.item()
        log_probs = torch.log_softmax(logits, dim=1)
        rows = torch.arange(4)
        slips = [
            (-expected, "your loss is negative: the loss is MINUS the mean log-probability"),
            (expected * 4, "your loss is the SUM over the batch, 4 times too big for these 4 "
                           "images: take the mean, so the loss (and the step) does not grow "
                           "with the batch size"),
            (-log_probs[:, targets].mean(), "`log_probs[:, targets]` picks every target for "
                                            "every image; pick one entry per row with "
                                            "`log_probs[torch.arange(n), targets]`"),
            (-log_probs[:, 0].mean(), "you picked the same column for every image: index row i "
                                      "with its own target, `log_probs[torch.arange(n), "
                                      "targets]`"),
            (-log_probs[rows, rows % 3].mean(), "you picked the diagonal: row i needs column "
                                                "targets[i], not column i"),
            (-logits.clamp_min(1e-12).log()[rows, targets].mean(),
             "you took the log of the raw scores: turn the scores into log-probabilities "
             "first, with log_softmax"),
            (-logits[rows, targets].mean(), "you used the raw scores: turn the scores into "
                                            "log-probabilities first, with log_softmax"),
        ]
        for wrong_value, message in slips:
            if abs(value - float(wrong_value)) < 1e-4:
                raise Wrong(message)
    expect_tensor(got, expected, "my_cross_entropy(logits, targets)",
                  shape_hints={(4,): "you returned one loss per image: average them with "
                                     ".mean()",
                               (4, 4): "`log_probs[:, targets]` picks every target for every "
                                       "image; use `log_probs[torch.arange(n), targets]`"},
                  requires_grad=None)
    large = torch.tensor([[300.0, -300.0, 0.0], [0.0, 500.0, -500.0]])
    big_targets = torch.tensor([1, 2])
    got = call(fn, large, big_targets, name="my_cross_entropy")
    if isinstance(got, torch.Tensor) and got.numel() == 1 and not torch.isfinite(got).all():
        raise Wrong("on large scores your loss is inf or nan: log(softmax(x)) takes the log of "
                    "a probability that rounded to 0. Use log_softmax (or subtract the largest "
                    "score first)")
    expect_tensor(got, _reference_cross_entropy(large, big_targets),
                  "my_cross_entropy on large scores", requires_grad=None)
    one = torch.tensor([[0.0, 1.0, 2.0]])
    expect_tensor(call(fn, one, torch.tensor([2]), name="my_cross_entropy"),
                  _reference_cross_entropy(one, torch.tensor([2])),
                  "my_cross_entropy on a batch of one image", requires_grad=None)
    leaf = logits.clone().requires_grad_()
    out = call(fn, leaf, targets, name="my_cross_entropy")
    if not (isinstance(out, torch.Tensor) and out.requires_grad):
        raise Wrong("your loss does not track gradients, so training could not use it: do not "
                    "call .item(), .detach() or work under torch.no_grad() inside the loss")


cross_entropy = Exercise(
    "07", "cross_entropy",
    "Write `my_cross_entropy(logits, targets)`: the mean over the batch of minus the "
    "log-probability each image gives its right class (logits of shape (n, classes), targets "
    "of shape (n,)).",
    _check_cross_entropy,
    "`torch.log_softmax(logits, dim=1)` gives log-probabilities; "
    "`[torch.arange(len(targets)), targets]` picks, in each row, the column of its target; "
    "then minus the mean.",
    "def my_cross_entropy(logits, targets):\n"
    "    log_probs = torch.log_softmax(logits, dim=1)\n"
    "    picked = log_probs[torch.arange(len(targets)), targets]\n"
    "    return -picked.mean()",
    _reference_cross_entropy,
)


def _reference_per_digit(cm: torch.Tensor) -> torch.Tensor:
    return cm.diag() / cm.sum(dim=1)


def _check_per_digit(fn) -> None:
    # rows: actual class, columns: predicted; the row and column sums differ on purpose
    cm = torch.tensor([[8, 2, 0], [1, 4, 0], [3, 0, 2]])
    got = call(fn, cm, name="per_digit_accuracy")
    if isinstance(got, torch.Tensor) and got.shape == (3,):
        if torch.allclose(got.double(), (cm.diag() / cm.sum(0)).double()):
            raise Wrong("you divided by the COLUMN sums: a column holds every image the model "
                        "CALLED that digit. Each digit's accuracy is out of the images that "
                        "really are that digit: its row, `cm.sum(dim=1)`")
        if torch.allclose(got.double(), (cm.diag() / cm.sum()).double()):
            raise Wrong("you divided by the total number of images: divide each diagonal count "
                        "by its own row's total")
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        raise Wrong("you returned one number: the task wants one accuracy per digit, a tensor "
                    "with one entry per row")
    expect_tensor(got, _reference_per_digit(cm), "per_digit_accuracy(cm)")
    square = torch.tensor([[5, 0], [0, 7]])
    expect_tensor(call(fn, square, name="per_digit_accuracy"), _reference_per_digit(square),
                  "per_digit_accuracy of a matrix with no mistakes")


per_digit = Exercise(
    "07", "per_digit",
    "Write `per_digit_accuracy(cm)`: for a confusion matrix (row = actual digit, column = "
    "predicted), the share of each digit's images that were read right, one value per digit.",
    _check_per_digit,
    "The right answers for digit i sit at cm[i, i]; how many images of digit i were there in "
    "all? They are all in row i.",
    "def per_digit_accuracy(cm):\n"
    "    return cm.diag() / cm.sum(dim=1)",
    _reference_per_digit,
)
