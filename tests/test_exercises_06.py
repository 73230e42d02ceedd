"""Notebook 06's exercises: plausible wrong answers fail with the message meant for them, and
right answers written differently pass."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from helpers.exercises import nb06

ANSWER = nb06.conv_by_hand.reference


def _conv(kernel, **options):
    return F.conv2d(nb06.CONV_IMAGE[None, None], kernel[None, None], **options)[0, 0]


def _padded_right_and_below():
    image = F.pad(nb06.CONV_IMAGE, (0, 1, 0, 1))  # what padding="same" does for a 2x2 filter
    return F.conv2d(image[None, None], nb06.CONV_KERNEL[None, None])[0, 0]


def _one_cell_off():
    wrong = ANSWER.clone()
    wrong[1, 2] += 1
    return wrong


def _by_loop(i, o, k, b=True):
    total = 0
    for _ in range(o):
        total += i * k * k + (1 if b else 0)
    return total


WRONG_ANSWERS = {
    "conv_by_hand": [
        (_conv(nb06.CONV_KERNEL.flip(0, 1)), "you flipped the filter first"),
        (_conv(nb06.CONV_KERNEL.flip(0)), "flipped the filter top to bottom"),
        (_conv(nb06.CONV_KERNEL.T), "turned on its side"),
        (ANSWER.T.clone(), "rows and columns are swapped"),
        (_padded_right_and_below(), "as if the image were padded"),
        (_conv(nb06.CONV_KERNEL, padding=1), "only 4 - 2 + 1 = 3 positions"),
        (_conv(nb06.CONV_KERNEL, stride=2), "you moved the filter 2 pixels at a time"),
        (ANSWER[:2, :2].clone(), "3 positions down and 3 across"),
        (ANSWER.flatten().tolist(), "give them as 3 rows of 3"),
        (ANSWER[None, None].clone(), "take `[0, 0]`"),
        (_one_cell_off(), "row 1, column 2"),
        (_one_cell_off(), "0*1 + 1*2 + 1*0 + 0*(-1) = 2"),
        ("-1 5 1", "give the result as a tensor"),
        ([["-1", 5, 1], [5, 2, 2], [4, 4, -1]], "give the result as a tensor"),
    ],
    "conv_out_size": [
        (lambda n, k, s=1, p=0: (n - k) // s + 1, "padding is missing"),
        (lambda n, k, s=1, p=0: (n + p - k) // s + 1, "count it twice"),
        (lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1, "a fraction"),
        (lambda n, k, s=1, p=0: n + 2 * p - k + 1, "the stride is missing"),
        (lambda n, k, s=1, p=0: -(-(n + 2 * p - k) // s) + 1, "you rounded up"),
        (lambda n, k, s=1, p=0: math.ceil((n + 2 * p - k) / s) + 1, "you rounded up"),
        (lambda n, k, s=1, p=0: (n + 2 * p - k) // s, "forgot the +1"),
        (lambda n, k, s=1, p=0: (n + 2 * p - k + 1) // s, "the first position counts once"),
        (lambda n, k, s=1, p=0: (n + 2 * p) // s + 1, "the filter's own width is missing"),
        (lambda n, k, p=0, s=1: (n + 2 * p - k) // s + 1, "in the order (n, kernel_size"),
        (lambda n, k, s=1, p=0: str((n + 2 * p - k) // s + 1), "without quotes"),
    ],
    "conv_params": [
        (lambda i, o, k, b=True: o * i * k * k, "you left out the biases"),
        (lambda i, o, k, b=True: o * k * k + o, "you forgot the input channels"),
        (lambda i, o, k, b=True: o * i * k + (o if b else 0), "not 3"),
        (lambda i, o, k, b=True: o * i * k * k + o, "there are no biases to count"),
        (lambda i, o, k, b=True: o * i * k * k + (i if b else 0), "one bias per output channel"),
        (lambda i, o, k, b=True: o * i * k * k + (1 if b else 0), "not one for the whole layer"),
        (lambda i, o, k, b=True: i * k * k + (o if b else 0), "you counted one filter"),
        (lambda i, o, k, b=True: (o + i) * k * k + (o if b else 0), "multiply"),
        (lambda i, o, k, b=True: i * o * (k * k + (1 if b else 0)), "not one per input-channel"),
        (lambda i, o, k, b=True: o * i * k * k + o / 3, "a count is a whole number"),
        (lambda i, o, k, b=True: f"{o * i * k * k + o}", "without quotes"),
    ],
}

RIGHT_ANSWERS = {
    "conv_by_hand": [
        ANSWER.tolist(),
        ANSWER.int(),
        ANSWER.double(),
        np.array([[-1, 5, 1], [5, 2, 2], [4, 4, -1]]),
        ((-1, 5, 1), (5, 2, 2), (4, 4, -1)),
        [torch.tensor([-1.0, 5.0, 1.0]), torch.tensor([5.0, 2.0, 2.0]),
         torch.tensor([4.0, 4.0, -1.0])],
    ],
    "conv_out_size": [
        lambda n, k, s=1, p=0: int((n + 2 * p - k) / s) + 1,
        lambda n, k, s=1, p=0: math.floor((n + 2 * p - k) / s) + 1,
        lambda n, k, s=1, p=0: len(range(0, n + 2 * p - k + 1, s)),  # the notebook's count
        lambda n, k, s=1, p=0: np.int64((n + 2 * p - k) // s + 1),
        lambda n, k, s=1, p=0: torch.tensor((n + 2 * p - k) // s + 1),
        lambda n, k, s=1, p=0: np.floor((n + 2 * p - k) / s) + 1,  # a float, with a remark
    ],
    "conv_params": [
        lambda i, o, k, b=True: sum(p.numel() for p in torch.nn.Conv2d(i, o, k, bias=b)
                                    .parameters()),
        lambda i, o, k, b=True: o * (i * k**2 + int(b)),
        _by_loop,
        lambda i, o, k, b=True: np.int64(o * i * k * k + b * o),
        lambda i, o, k, b=True: float(o * i * k * k + (o if b else 0)),
    ],
}


def test_the_reference_answer_is_pytorchs_convolution():
    assert torch.equal(_conv(nb06.CONV_KERNEL), ANSWER)


def test_a_float_size_passes_with_a_remark_about_ints():
    result = nb06.conv_out_size.verdict(lambda n, k, s=1, p=0: (n + 2 * p - k) // s + 1.0)
    assert result.status == "correct" and "keeps a size an int" in result.message


def test_the_notebooks_image_may_be_changed_without_changing_the_check():
    nb06.CONV_IMAGE.mul_(2)
    try:
        assert nb06.conv_by_hand.verdict(ANSWER.clone()).status == "correct"
    finally:
        nb06.CONV_IMAGE.div_(2)
