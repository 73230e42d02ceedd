"""Notebook 06's exercises: plausible wrong answers fail with the message meant for them."""

from __future__ import annotations

import torch

from helpers.exercises import nb06

ANSWER = nb06.CONV_ANSWER


def _padded_same_size():
    import torch.nn.functional as F

    image, kernel = nb06.CONV_IMAGE[None, None], nb06.CONV_KERNEL[None, None]
    return F.conv2d(image, kernel, padding=1)[0, 0, :4, :4]


def _one_cell_off():
    wrong = ANSWER.clone()
    wrong[1, 2] += 1
    return wrong


WRONG_ANSWERS = {
    "conv_by_hand": [
        (nb06._slide(nb06.CONV_IMAGE, nb06.CONV_KERNEL.flip(0, 1)), "you flipped the filter"),
        (_padded_same_size(), "only 4 - 2 + 1 = 3 positions"),
        (ANSWER.T.clone(), "rows and columns are swapped"),
        (ANSWER[:2, :2].clone(), "3 positions down and 3 across"),
        (_one_cell_off(), "row 1, column 2"),
        ("-1 5 1", "give the result as a tensor"),
    ],
    "output_size": [
        (lambda n, k, s=1, p=0: (n - k) // s + 1, "padding is missing"),
        (lambda n, k, s=1, p=0: (n + p - k) // s + 1, "count it twice"),
        (lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1, "use integer division"),
        (lambda n, k, s=1, p=0: n + 2 * p - k + 1, "with stride 2 the filter jumps"),
        (lambda n, k, s=1, p=0: -(-(n + 2 * p - k) // s) + 1, "you rounded up"),
        (lambda n, k, s=1, p=0: (n + 2 * p - k) // s, "forgot the +1"),
    ],
    "conv_params": [
        (lambda i, o, k, b=True: o * i * k * k, "you left out the biases"),
        (lambda i, o, k, b=True: o * k * k + o, "you forgot the input channels"),
        (lambda i, o, k, b=True: o * i * k + (o if b else 0), "not 3"),
        (lambda i, o, k, b=True: o * i * k * k + o, "there are no biases to count"),
        (lambda i, o, k, b=True: o * i * k * k + (i if b else 0), "one bias per output channel"),
    ],
}


def test_right_answers_in_other_forms_pass():
    assert nb06.conv_by_hand.evaluate(ANSWER.tolist()).status == "correct"
    assert nb06.conv_by_hand.evaluate(ANSWER.int()).status == "correct"
    assert nb06.output_size.evaluate(
        lambda n, k, s=1, p=0: int((n + 2 * p - k) / s) + 1).status == "correct"
    def counted(i, o, k, b=True):
        return sum(p.numel() for p in torch.nn.Conv2d(i, o, k, bias=b).parameters())

    assert nb06.conv_params.evaluate(counted).status == "correct"


def test_reference_answer_is_pytorchs_convolution():
    import torch.nn.functional as F

    got = F.conv2d(nb06.CONV_IMAGE[None, None], nb06.CONV_KERNEL[None, None])[0, 0]
    assert torch.equal(got, ANSWER)
