"""Exercises of notebook 01 (pixel similarity): a reshape and a broadcast to predict, a distance
to write, and a per-class accuracy to write."""

from __future__ import annotations

import numbers
import re
from typing import Any

import torch

from helpers.exercises import (
    Wrong,
    as_number,
    call,
    close,
    exercise,
    expect_close,
    expect_tensor,
)


def _as_shape(answer: Any, example: str) -> tuple[int, ...]:
    """The learner's shape as a tuple of ints, or a sentence saying what a shape answer looks
    like (a string such as "error" is answered by the caller first)."""
    if isinstance(answer, torch.Size):
        return tuple(int(n) for n in answer)
    if isinstance(answer, numbers.Integral) and not isinstance(answer, bool):
        raise Wrong(f"a shape is a tuple of sizes, one per axis, such as {example}; "
                    f"you gave the single number {answer}")
    if isinstance(answer, (tuple, list)) and any(isinstance(n, float) and n.is_integer()
                                                 for n in answer):
        raise Wrong(f"{tuple(answer)} holds a float; a size is a whole number (an int): "
                    "divide with `//`, or write the number itself")
    if not isinstance(answer, (tuple, list)) or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in answer):
        raise Wrong(f"answer with a tuple of whole numbers, one per axis, such as {example}")
    return tuple(answer)


# --- reshape: predict the shape of a view with -1 ----------------------------------------------

@exercise(
    task="`x` is a stack of shape (6, 28, 28). Predict the shape of `x.view(3, -1)` as a tuple, "
         "e.g. `answer = (2, 5)`.",
    hint="A view keeps every value. Count the values in x, and divide by the size you asked for.",
    solution="x holds 6 * 28 * 28 = 4704 values. `view(3, -1)` asks for 3 rows, so -1 becomes\n"
             "4704 / 3 = 1568:\n\n    answer = (3, 1568)\n\n"
             "Check it: `torch.zeros(6, 28, 28).view(3, -1).shape`.",
    value=True)
def reshape():
    return (3, 1568)


def _quoted_shape(answer: Any) -> None:
    if isinstance(answer, str) and re.fullmatch(r"\s*[\(\[][\d\s,]*[\)\]]\s*", answer):
        raise Wrong(f"you gave the string {answer!r}; give the tuple itself, without quotes")


@reshape.checker
def _check_reshape(answer: Any) -> str:
    _quoted_shape(answer)
    if isinstance(answer, str):
        raise Wrong("it runs without an error: -1 means 'whatever size makes the count of "
                    "values come out right', and 4704 values split into 3 rows evenly")
    shape = _as_shape(answer, "(2, 392)")
    if len(shape) != 2:
        raise Wrong(f"`view(3, -1)` asks for exactly two axes (3, and whatever -1 works out "
                    f"to), so the shape has two sizes; yours has {len(shape)}")
    total = shape[0] * shape[1]
    if shape[0] != 3:
        raise Wrong(f"the first size is the one you asked for, 3, not {shape[0]}"
                    + (" (that is each image flattened: `x.view(6, -1)`)" if shape == (6, 784)
                       else ""))
    if total != 6 * 28 * 28:
        raise Wrong(f"{shape} holds {total} values, but x holds 6 x 28 x 28 = 4704, and a view "
                    "keeps every value: -1 stands for 4704 / 3")
    return "3 rows of 1568: each row holds two whole images, one after the other."


# --- broadcast: predict the shape of a subtraction of two stacks -------------------------------

@exercise(
    task="`ideals` has shape (2, 1, 28, 28) (the two ideal digits) and `images` shape "
         "(5, 28, 28). Predict the shape of `images - ideals` as a tuple (or the string 'error').",
    hint="Write the shapes right-aligned, (2, 1, 28, 28) above (_, 5, 28, 28), and compare "
         "column by column: a 1 or a missing size stretches to the other.",
    solution="Right-aligned:\n\n    ideals:    2  1  28  28\n    images:       5  28  28\n"
             "    result:    2  5  28  28\n\n    answer = (2, 5, 28, 28)\n\n"
             "The 1 stretches to 5 and the missing axis to 2: every image minus every ideal.",
    value=True)
def broadcast():
    return (2, 5, 28, 28)


@broadcast.checker
def _check_broadcast(answer: Any) -> str:
    _quoted_shape(answer)
    if isinstance(answer, str):
        raise Wrong("it does broadcast: line the shapes up from the right, (2, 1, 28, 28) over "
                    "(5, 28, 28); every pair of sizes is equal, or one of them is 1 or missing")
    shape = _as_shape(answer, "(3, 4, 28, 28)")
    if shape == (2, 5, 28, 28):
        return "every image minus every ideal: 2 x 5 grids of differences."
    if shape == (5, 2, 28, 28):
        raise Wrong("shapes line up from the RIGHT: (5, 28, 28) gains its missing axis on the "
                    "left, as (1, 5, 28, 28), so the 2 comes first")
    if shape in ((2, 1, 28, 28), (2, 28, 28)):
        raise Wrong("a size-1 axis stretches to the other tensor's size: the 1 in "
                    "(2, 1, 28, 28) meets the 5 images and becomes 5")
    if shape in ((5, 28, 28), (1, 5, 28, 28)):
        raise Wrong("the result keeps every axis of either tensor: the axis of the 2 ideals "
                    "is still there")
    raise Wrong(f"{shape} is not it: write both shapes right-aligned, one above the other, and "
                "take the larger size in each column (a 1 or a missing size gives way)")


# --- max_distance: the largest pixel difference, per image -------------------------------------

_IMAGES = torch.tensor([[[0.9, 0.4], [0.5, 0.4]],   # its largest difference is +0.4,
                        [[0.0, 0.7], [0.6, 0.3]],   # this one's -0.5: a missing abs shows,
                        [[0.8, 0.3], [0.4, 0.9]]])  # whichever way round the difference is
_IDEAL = torch.tensor([[0.5, 0.5], [0.5, 0.3]])


@exercise(
    task="Write `max_distance(images, ideal)`: for each image of a stack, the largest absolute "
         "difference between one of its pixels and the same pixel of the ideal (one number per "
         "image).",
    hint="Like `l1_distance`, but take the largest value instead of the mean: "
         "`.amax((-1, -2))`.")
def max_distance(images, ideal):
    return (images - ideal).abs().amax((-1, -2))


@max_distance.checker
def _check_max(fn: Any) -> str | None:
    images, ideal = _IMAGES, _IDEAL
    try:
        got = call(fn, images, ideal, name="max_distance")
    except Wrong as err:
        if "max() received an invalid combination" in str(err):
            raise Wrong("`.max` takes only one axis at a time (and then returns the values AND "
                        "their positions); to reduce several axes at once, as `.mean((-1, -2))` "
                        "does, use `.amax((-1, -2))`") from None
        raise
    if isinstance(got, tuple) and hasattr(got, "indices"):
        raise Wrong("`max(dim)` returns the values AND their positions; use "
                    "`.amax((-1, -2))`, which gives the values only")
    hints = {(): "you took one largest value over all images at once; reduce only the last "
                 "two axes, `.amax((-1, -2))`, to keep one distance per image",
             (3, 2): "you reduced only one axis; an image has two (rows and columns)"}
    right = max_distance.reference(images, ideal)
    if isinstance(got, torch.Tensor) and got.shape == (3,) and not close(got, right):
        diff = images - ideal
        if close(got, diff.amax((-1, -2))) or close(got, (-diff).amax((-1, -2))):
            raise Wrong("you forgot the absolute value: a pixel lighter than the ideal gives a "
                        "negative difference, and it is just as far away. On these images you "
                        f"returned {[round(v, 4) for v in got.tolist()]}, where "
                        f"{[round(v, 4) for v in right.tolist()]} is expected")
        if close(got, diff.abs().mean((-1, -2))):
            raise Wrong("that is the L1 distance (the mean); this distance is the LARGEST "
                        "absolute difference")
        if close(got, diff.abs().amin((-1, -2))):
            raise Wrong("that is the smallest absolute difference; this distance is the LARGEST")
    expect_tensor(got, right, "max_distance(images, ideal)", shape_hints=hints)
    one = images[:1]
    expect_tensor(call(fn, one, ideal, name="max_distance"), max_distance.reference(one, ideal),
                  "max_distance on a batch of one image",
                  shape_hints={(): "a batch of one image still needs one distance per image, "
                                   "shape (1,): did you `.squeeze()` it away?"})
    return None


# --- per_class_accuracy: the accuracy on the images of one digit --------------------------------

_LABELS = torch.tensor([3, 3, 3, 3, 7, 7, 7, 7, 7, 7])
_PREDS = torch.tensor([3, 3, 3, 7, 7, 7, 3, 3, 7, 7])  # 3 of 4 threes, 4 of 6 sevens right


@exercise(
    task="Write `per_class_accuracy(preds, labels, digit)`: the fraction of the images whose "
         "label is `digit` that were predicted right.",
    hint="Compare `preds == labels`, keep the entries where `labels == digit` (a boolean mask "
         "inside `[...]`), then `.float().mean()`.")
def per_class_accuracy(preds, labels, digit):
    correct = preds == labels
    return correct[labels == digit].float().mean()  # the mask keeps that digit's images only


@per_class_accuracy.checker
def _check_per_class(fn: Any) -> str | None:
    preds, labels = _PREDS, _LABELS
    for digit in (3, 7):
        try:
            got = call(fn, preds, labels, digit, name="per_class_accuracy")
        except Wrong as err:
            if "dtype" in str(err) and "mean" in str(err):
                raise Wrong(f"{err}. The mean of True/False values needs numbers first: "
                            "`.float()` before `.mean()`") from None
            raise
        value = as_number(got, f"per_class_accuracy(preds, labels, {digit})")
        right = per_class_accuracy.reference(preds, labels, digit).item()
        mine = labels == digit
        if abs(value - 100 * right) < 1e-3:
            raise Wrong(f"you returned {value:g}, a percentage; here accuracy is a fraction "
                        "between 0 and 1: leave out the `100 *`")
        if value > 1 and value.is_integer():
            raise Wrong(f"you returned {value:g}, a count; accuracy is a fraction between "
                        "0 and 1 (divide by the number of images of that digit)")
        if value > 1:
            raise Wrong(f"you returned {value:g}, more than 1; accuracy is a fraction between "
                        "0 and 1 (the number right divided by the number of images of that "
                        "digit)")
        overall = (preds == labels).float().mean().item()
        precision = (preds == labels)[preds == digit].float().mean().item()
        share = ((preds == labels) & mine).float().mean().item()
        if abs(value - right) > 1e-4:
            if abs(value - overall) < 1e-6:
                raise Wrong("that is the accuracy over ALL images; keep only the images "
                            "whose label is `digit`")
            if abs(value - precision) < 1e-6:
                raise Wrong("you kept the images PREDICTED as `digit`; the question is "
                            "about images whose LABEL is `digit`")
            if abs(value - share) < 1e-6:
                raise Wrong("you divided by the number of all images; divide by the "
                            "number of images of that digit (the mean over those only)")
        expect_close(value, right, f"per_class_accuracy(preds, labels, {digit}) (labels "
                     f"{labels.tolist()}, preds {preds.tolist()})")
    return None
