"""Exercises of notebook 06 (convolutions): a convolution by hand, the output size of a
convolution, and the parameter count of a convolutional layer."""

from __future__ import annotations

import torch

from helpers.exercises import Exercise, Wrong, call

# --- a convolution by hand ------------------------------------------------------------------

CONV_IMAGE = torch.tensor([[0.0, 1.0, 2.0, 0.0],
                           [1.0, 3.0, 0.0, 1.0],
                           [0.0, 2.0, 1.0, 0.0],
                           [1.0, 0.0, 0.0, 2.0]])
CONV_KERNEL = torch.tensor([[1.0, 2.0],
                            [0.0, -1.0]])


def _slide(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    kh, kw = kernel.shape
    out = torch.zeros(image.shape[0] - kh + 1, image.shape[1] - kw + 1)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (image[i:i + kh, j:j + kw] * kernel).sum()
    return out


CONV_ANSWER = _slide(CONV_IMAGE, CONV_KERNEL)


def _check_conv(answer) -> None:
    if isinstance(answer, (list, tuple)):
        try:
            answer = torch.tensor(answer, dtype=torch.float32)
        except (TypeError, ValueError):
            raise Wrong("give the 3 rows of the result as a list of lists of numbers, or as a "
                        "tensor: torch.tensor([[a, b, c], [d, e, f], [g, h, i]])") from None
    if not isinstance(answer, torch.Tensor):
        raise Wrong(f"give the result as a tensor (or a list of rows), not "
                    f"{type(answer).__name__}")
    answer = answer.detach().float()
    shape = tuple(answer.shape)
    if shape == (4, 4):
        raise Wrong("your result is 4x4, as large as the image; but a 2x2 filter fits in only "
                    "4 - 2 + 1 = 3 positions across a row of 4 pixels (there is no padding "
                    "here), so the result is 3x3")
    if shape in {(2, 2), (9,), (1, 9), (16,)}:
        raise Wrong(f"your result has shape {shape}; a 2x2 filter on a 4x4 image without "
                    "padding has 3 positions down and 3 across: a 3x3 result")
    if shape != (3, 3):
        raise Wrong(f"your result has shape {shape}; it should be 3x3 (4 - 2 + 1 positions "
                    "down and across)")
    if torch.equal(answer, CONV_ANSWER):
        return None
    if torch.equal(answer, _slide(CONV_IMAGE, CONV_KERNEL.flip(0, 1))):
        raise Wrong("you flipped the filter first, as a textbook convolution does; PyTorch's "
                    "conv2d (like the other widely used deep-learning libraries) does not "
                    "flip: lay the filter on the window as it is written and multiply matching "
                    "cells")
    if torch.equal(answer, CONV_ANSWER.T):
        raise Wrong("rows and columns are swapped: the first row of the result comes from "
                    "windows along the image's first rows, moving right")
    wrong = [(i, j) for i in range(3) for j in range(3) if answer[i, j] != CONV_ANSWER[i, j]]
    i, j = wrong[0]
    window = CONV_IMAGE[i:i + 2, j:j + 2].int().tolist()
    verb = "is" if len(wrong) == 1 else "are"
    raise Wrong(f"{len(wrong)} of the 9 values {verb} off; for example the one at row {i}, "
                f"column {j} (counting from 0) is {answer[i, j].item():g}: its window is "
                f"{window}; multiply it cell by cell with the filter and add the four products")


conv_by_hand = Exercise(
    "06", "conv_by_hand",
    "Slide the 2x2 filter `kernel` over the 4x4 `image` (no padding, stride 1) by hand and "
    "write the result as `answer = torch.tensor([[...], ...])`.",
    _check_conv,
    "How many positions does a 2x2 window have across 4 pixels? For each one, multiply the "
    "four pixels under the filter by the filter's weights, matching cells, and add.",
    "The window at row 0, column 0 is [[0, 1], [1, 3]]: 0*1 + 1*2 + 1*0 + 3*(-1) = -1.\n"
    "Doing the same for all 3 x 3 positions:\n"
    "answer = torch.tensor([[-1., 5., 1.],\n"
    "                       [5., 2., 2.],\n"
    "                       [4., 4., -1.]])\n"
    "Check: F.conv2d(image[None, None], kernel[None, None])[0, 0] gives the same.",
    CONV_ANSWER.clone(),
)

# --- the output size of a convolution -------------------------------------------------------

SIZE_CASES = [(28, 3, 1, 0), (28, 3, 1, 1), (28, 3, 2, 1), (14, 3, 2, 1), (7, 3, 2, 1),
              (28, 5, 1, 0), (28, 3, 2, 0), (5, 3, 2, 0)]


def _out_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    return (n + 2 * padding - kernel_size) // stride + 1


def _check_size(fn) -> None:
    for n, k, s, p in SIZE_CASES:
        got = call(fn, n, k, s, p, name="conv_out_size")
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, float) and got.is_integer():
            raise Wrong(f"conv_out_size({n}, {k}, {s}, {p}) returned the float {got}; a size "
                        "counts whole pixels: use integer division `//` so it is an int")
        if isinstance(got, bool) or not isinstance(got, int):
            raise Wrong(f"conv_out_size({n}, {k}, {s}, {p}) returned {got!r}; a size is a "
                        "whole number of pixels (an int): round down with `//`")
        want = _out_size(n, k, s, p)
        if got == want:
            continue
        call_text = f"conv_out_size({n}, kernel_size={k}, stride={s}, padding={p}) is {got}"
        if p and got == _out_size(n, k, s, 0):
            raise Wrong(f"{call_text}, not {want}: padding is missing; it adds {p} pixel(s) "
                        f"on each side, so the padded image is n + 2*padding wide")
        if p and got == (n + p - k) // s + 1:
            raise Wrong(f"{call_text}, not {want}: padding goes on both sides, so count it "
                        "twice (n + 2*padding)")
        if s > 1 and got == _out_size(n, k, 1, p):
            raise Wrong(f"{call_text}, not {want}: with stride {s} the filter jumps {s} pixels "
                        "at a time, so divide the room it has to move by the stride")
        if s > 1 and got == -(-(n + 2 * p - k) // s) + 1:
            raise Wrong(f"{call_text}, not {want}: you rounded up; a window that would stick "
                        "out past the (padded) edge is not computed, so round down with `//`")
        if got == (n + 2 * p - k) // s:
            raise Wrong(f"{call_text}, not {want}: you forgot the +1 for the first position "
                        "(a 3x3 filter on a 3x3 image still gives one value)")
        raise Wrong(f"{call_text}, not {want}. Count the positions: the filter starts at the "
                    "left edge of the padded image and moves `stride` pixels at a time while "
                    "it still fits")


output_size = Exercise(
    "06", "output_size",
    "Write `conv_out_size(n, kernel_size, stride, padding)`: the side of the output when a "
    "square filter slides over an n x n image.",
    _check_size,
    "Pad first: the image becomes n + 2*padding wide. The filter's first position is at the "
    "left edge; it can move (width - kernel_size) pixels further, in jumps of `stride`.",
    "def conv_out_size(n, kernel_size, stride=1, padding=0):\n"
    "    return (n + 2 * padding - kernel_size) // stride + 1\n"
    "# 28 pixels, 3x3 filter, stride 2, padding 1: (28 + 2 - 3) // 2 + 1 = 13 + 1 = 14",
    _out_size,
)

# --- the parameter count of a convolutional layer -------------------------------------------

PARAM_CASES = [(1, 16, 3, True), (16, 32, 3, True), (16, 32, 3, False), (3, 8, 5, True),
               (1, 1, 3, True), (32, 64, 3, False)]


def _conv_params(n_in: int, n_out: int, kernel_size: int, bias: bool = True) -> int:
    return n_out * n_in * kernel_size * kernel_size + (n_out if bias else 0)


def _check_params(fn) -> None:
    for n_in, n_out, k, bias in PARAM_CASES:
        got = call(fn, n_in, n_out, k, bias, name="conv_params")
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, float) and got.is_integer():
            got = int(got)
        if isinstance(got, bool) or not isinstance(got, int):
            raise Wrong(f"conv_params({n_in}, {n_out}, {k}, bias={bias}) returned {got!r}; a "
                        "count of parameters is a whole number")
        want = _conv_params(n_in, n_out, k, bias)
        if got == want:
            continue
        text = f"conv_params({n_in}, {n_out}, {k}, bias={bias}) is {got}, not {want}"
        weights = n_out * n_in * k * k
        if bias and got == weights:
            raise Wrong(f"{text}: you left out the biases; with bias=True each filter (each "
                        f"output channel) has one, {n_out} in all")
        if not bias and got == weights + n_out:
            raise Wrong(f"{text}: with bias=False there are no biases to count (the CNN "
                        "below builds its convolutions that way)")
        if n_in > 1 and got in {n_out * k * k + (n_out if bias else 0), n_out * k * k}:
            raise Wrong(f"{text}: you forgot the input channels; each filter has one {k}x{k} "
                        f"slice per input channel, {n_in} x {k} x {k} weights")
        if got in {n_out * n_in * k + (n_out if bias else 0), n_out * n_in * k}:
            raise Wrong(f"{text}: a {k}x{k} filter slice has {k} x {k} = {k * k} weights, "
                        f"not {k}")
        if bias and got == weights + n_in:
            raise Wrong(f"{text}: there is one bias per output channel (per filter), not per "
                        "input channel")
        raise Wrong(f"{text}. Count the weights of one filter (input channels x kernel height "
                    "x kernel width), multiply by the number of filters, then add the biases")


conv_params = Exercise(
    "06", "conv_params",
    "Write `conv_params(n_in, n_out, kernel_size, bias)`: the number of parameters of "
    "`nn.Conv2d(n_in, n_out, kernel_size, bias=bias)`.",
    _check_params,
    "Each of the n_out filters has a kernel_size x kernel_size slice for every one of the n_in "
    "input channels, and, if bias is True, one bias.",
    "def conv_params(n_in, n_out, kernel_size, bias=True):\n"
    "    weights = n_out * n_in * kernel_size * kernel_size\n"
    "    return weights + (n_out if bias else 0)\n"
    "# nn.Conv2d(16, 32, 3): 32 * 16 * 3 * 3 + 32 = 4,640 parameters",
    _conv_params,
)
