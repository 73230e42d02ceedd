"""Exercises of notebook 06 (convolutions): a convolution by hand, the output size of a
convolution, and the parameter count of a convolutional layer."""

from __future__ import annotations

import numbers
from typing import Any

import torch
import torch.nn.functional as F

from helpers.exercises import Wrong, as_count, as_number, call, close, describe, exercise

# --- conv_by_hand: slide a 2x2 filter over a 4x4 image, with pen and paper ----------------------


def _image() -> torch.Tensor:
    return torch.tensor([[0.0, 1.0, 2.0, 0.0],
                         [1.0, 3.0, 0.0, 1.0],
                         [0.0, 2.0, 1.0, 0.0],
                         [1.0, 0.0, 0.0, 2.0]])


def _kernel() -> torch.Tensor:
    return torch.tensor([[1.0, 2.0],
                         [0.0, -1.0]])


# What the notebook shows the learner; the check works on its own fresh copies, so a notebook
# that changes these in place cannot change what the check expects.
CONV_IMAGE = _image()
CONV_KERNEL = _kernel()


def _conv(image: torch.Tensor, kernel: torch.Tensor, **options: Any) -> torch.Tensor:
    return F.conv2d(image[None, None].double(), kernel[None, None].double(), **options)[0, 0]


@exercise(
    task="Slide the 2x2 filter `kernel` over the 4x4 `image` (no padding, stride 1) by hand and "
         "write the result as `answer = torch.tensor([[...], ...])`.",
    hint="How many positions does a 2x2 window have across 4 pixels? For each one, multiply the "
         "four pixels under the filter by the filter's weights, matching cells, and add.",
    solution="A 2x2 filter fits 4 - 2 + 1 = 3 times across and 3 times down: the result is 3x3.\n"
             "The window at row 0, column 0 is [[0, 1], [1, 3]]:\n"
             "0*1 + 1*2 + 1*0 + 3*(-1) = -1. Doing the same at all 3 x 3 positions:\n\n"
             "    answer = torch.tensor([[-1., 5., 1.],\n"
             "                           [5., 2., 2.],\n"
             "                           [4., 4., -1.]])\n\n"
             "Check: F.conv2d(image[None, None], kernel[None, None])[0, 0] gives the same.",
    value=True)
def conv_by_hand():
    return torch.tensor([[-1.0, 5.0, 1.0],
                         [5.0, 2.0, 2.0],
                         [4.0, 4.0, -1.0]])


def _as_grid(answer: Any) -> torch.Tensor:
    """The learner's result as a float64 tensor: from a tensor of any dtype, a NumPy array, or
    a list (tuple) of rows of numbers."""
    if isinstance(answer, torch.Tensor) and not answer.is_complex():
        return answer.detach().cpu().double()
    listed = isinstance(answer, (list, tuple)) or type(answer).__module__ == "numpy"
    if listed:
        try:
            grid = torch.as_tensor(answer, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            try:  # a list of row tensors
                grid = torch.stack([torch.as_tensor(row, dtype=torch.float64) for row in answer])
            except (TypeError, ValueError, RuntimeError):
                grid = None
        if grid is not None and grid.dim() > 0:
            return grid
    given = ("a list that cannot be read as rows of numbers" if listed and isinstance(
        answer, (list, tuple)) else describe(answer))
    raise Wrong("give the result as a tensor with one inner list per row, "
                "`torch.tensor([[a, b, c], [d, e, f], [g, h, i]])` (a list of rows of numbers "
                f"works too), not {given}")


def _rows(t: torch.Tensor) -> str:
    return str([[round(v, 4) + 0.0 for v in row] for row in t.tolist()])


@conv_by_hand.checker
def _check_conv(answer: Any) -> str:
    image, kernel = _image(), _kernel()
    right = _conv(image, kernel)
    got = _as_grid(answer)
    shape = tuple(got.shape)
    if shape != (3, 3):
        if got.numel() == 9 and close(got.reshape(3, 3), right):
            raise Wrong(f"the nine values are right, but your result has shape {shape}; give "
                        "them as 3 rows of 3 (a (3, 3) tensor), as the output of the filter "
                        "lies on a grid like the image" + (
                            ": take `[0, 0]` of what F.conv2d returns" if got.dim() == 4 else ""))
        if shape in ((4, 4), (5, 5)):
            padded = shape == (5, 5) or close(got[:3, :3], right)
            raise Wrong(f"your result is {shape[0]}x{shape[1]}"
                        + (", as if the image were padded with zeros" if padded else "")
                        + "; but there is no padding here, and a 2x2 filter fits in only "
                        "4 - 2 + 1 = 3 positions across a row of 4 pixels (and 3 down), so the "
                        "result is 3x3")
        if shape == (2, 2) and close(got, _conv(image, kernel, stride=2)):
            raise Wrong("your result is 2x2: you moved the filter 2 pixels at a time, so the "
                        "windows did not overlap. With stride 1 it moves one pixel at a time: "
                        "3 positions across and 3 down, a 3x3 result")
        raise Wrong(f"your result has shape {shape}; a 2x2 filter on a 4x4 image without "
                    "padding has 4 - 2 + 1 = 3 positions down and 3 across: a 3x3 result")
    if not torch.isfinite(got).all():
        raise Wrong("your result holds inf or nan; every value is a sum of four products of "
                    "small whole numbers")
    if close(got, right):
        return "Each output value is one window of the image, weighted by the filter and summed."
    slips = [
        (_conv(image, kernel.flip(0, 1)),
         "you flipped the filter first (turned it half a turn), as a textbook convolution "
         "does; PyTorch's conv2d (like the other widely used deep-learning libraries) does not "
         "flip: lay the filter on the window as it is written and multiply matching cells"),
        (_conv(image, kernel.flip(0)),
         "you flipped the filter top to bottom; lay it on the window as it is written (its "
         "first row [1, 2] on the window's first row) and multiply matching cells"),
        (_conv(image, kernel.flip(1)),
         "you flipped the filter left to right; lay it on the window as it is written (its "
         "first row [1, 2] on the window's first row) and multiply matching cells"),
        (_conv(image, kernel.T),
         "you laid the filter on the window turned on its side (its rows as columns); its "
         "first ROW [1, 2] goes on the window's first row"),
        (right.T,
         "rows and columns are swapped: the first row of the result comes from the windows "
         "along the image's first two rows, moving right"),
    ]
    for wrong, message in slips:
        if close(got, wrong):
            raise Wrong(f"{message}. You gave {_rows(got)}")
    off = [(i, j) for i in range(3) for j in range(3) if not close(got[i, j], right[i, j])]
    i, j = off[0]
    window = image[i:i + 2, j:j + 2]
    products = " + ".join(f"{int(a)}*{int(b)}" if b >= 0 else f"{int(a)}*({int(b)})"
                          for a, b in zip(window.flatten().tolist(), kernel.flatten().tolist(),
                                          strict=True))
    verb = "is" if len(off) == 1 else "are"
    raise Wrong(f"{len(off)} of the 9 values {verb} off; for example at row {i}, column {j} "
                f"(counting from 0) you have {got[i, j].item():g}. Its window is "
                f"{window.int().tolist()}, and with the filter {kernel.int().tolist()} laid on it "
                f"cell by cell that gives {products} = {right[i, j].item():g}")


def _first_wrong(got: list[int], want: list[int], tables: list[list[tuple[int, str]]]
                 ) -> tuple[int, str | None]:
    """The first case the learner got wrong, and what to say there about the first known
    mistake that gives exactly what the learner's function gave on EVERY case (one case alone
    can match several mistakes by chance); failing that (two mistakes at once), the one mistake
    that gives what it gave on that case; else None."""
    first = next(c for c, (g, w) in enumerate(zip(got, want, strict=True)) if g != w)
    for j in range(len(tables[0])):
        if all(g == table[j][0] for g, table in zip(got, tables, strict=True)):
            return first, tables[first][j][1]
    here = {m for v, m in tables[first] if v == got[first] and v != want[first]}
    return first, here.pop() if len(here) == 1 else None


# --- conv_out_size: the side of a convolution's output ------------------------------------------

# (n, kernel_size, stride, padding); the first has padding 0, so swapping stride and padding
# divides by zero at once; the rest tell the usual slips apart.
_SIZE_CASES = [(28, 3, 1, 0), (28, 3, 1, 1), (28, 3, 2, 1), (14, 3, 2, 1), (7, 3, 2, 1),
               (28, 5, 1, 0), (28, 3, 2, 0), (5, 3, 2, 0), (8, 3, 3, 1), (28, 5, 1, 2)]


@exercise(
    task="Write `conv_out_size(n, kernel_size, stride, padding)`: the side of the output when a "
         "square filter slides over an n x n image.",
    hint="Pad first: the image becomes n + 2*padding wide. The filter's first position is at the "
         "left edge; it can move (width - kernel_size) pixels further, in jumps of `stride`, "
         "and a jump that would stick out past the edge is not taken.")
def conv_out_size(n, kernel_size, stride=1, padding=0):
    # padded width, minus the filter: the room it can move; // stride: the whole jumps it
    # makes; + 1: its first position. 28, 3x3, stride 2, padding 1: 27 // 2 + 1 = 14
    return (n + 2 * padding - kernel_size) // stride + 1


def _size_slips(n: int, k: int, s: int, p: int) -> list[tuple[int, str]]:
    """What each known mistake gives for one case, and what to say about it."""
    return [
        ((n - k) // s + 1,
         f"the padding is missing; it adds {p} pixel(s) on each side, so the padded image is "
         "n + 2*padding wide"),
        ((n + p - k) // s + 1,
         "padding goes on both sides, so count it twice (n + 2*padding)"),
        (n + 2 * p - k + 1,
         f"the stride is missing: with stride {s} the filter jumps {s} pixels at a time, so "
         "divide the room it has to move by the stride"),
        (-(-(n + 2 * p - k) // s) + 1,
         "you rounded up (ceil, or round); a window that would stick out past the (padded) "
         "edge is not computed, so round down with `//`"),
        ((n + 2 * p - k) // s,
         "you forgot the +1 for the first position (a 3x3 filter on a 3x3 image still gives "
         "one value)"),
        ((n + 2 * p - k + 1) // s,
         "you divided all the stride-1 positions by the stride; the first position counts "
         "once, after the division: (n + 2*padding - kernel_size) // stride + 1"),
        ((n + 2 * p) // s + 1,
         "the filter's own width is missing: it can only move as far as the padded width "
         "minus kernel_size"),
        ((n + 2 * p - k) // s - 1,
         "you subtracted 1 where the first position adds 1"),
    ]


@conv_out_size.checker
def _check_size(fn: Any) -> str | None:
    remark, sizes = None, []
    for n, k, s, p in _SIZE_CASES:
        shown = f"conv_out_size({n}, kernel_size={k}, stride={s}, padding={p})"
        try:
            got = call(fn, n, k, s, p, name="conv_out_size")
        except Wrong as err:
            if "ZeroDivisionError" in str(err) and s != 0:
                raise Wrong(f"{err}. With stride {s} and padding {p} nothing should be divided "
                            "by zero: take the arguments in the order (n, kernel_size, stride, "
                            "padding), and divide by the stride") from None
            raise
        want = conv_out_size.reference(n, k, s, p)
        value = as_number(got, shown)
        if not value.is_integer():
            raise Wrong(f"{shown} is {value:g}, a fraction; {want} was expected. With `/` a "
                        "window that would stick out past the edge counts in part; a size "
                        "counts whole positions: round down with `//`")
        sizes.append(as_count(value, shown))
        if not isinstance(got, numbers.Integral) and remark is None:
            kind = describe(got) if isinstance(got, torch.Tensor) else f"a {type(got).__name__}"
            remark = (f"{shown} returned {value:g} as {kind}; `//` on ints keeps a size an int, "
                      "which is what `nn` layers and `range` want.")
    wanted = [conv_out_size.reference(*case) for case in _SIZE_CASES]
    if sizes == wanted:
        return remark
    first, message = _first_wrong(sizes, wanted, [_size_slips(*c) for c in _SIZE_CASES])
    n, k, s, p = _SIZE_CASES[first]
    said = (f"conv_out_size({n}, kernel_size={k}, stride={s}, padding={p}) is {sizes[first]}, "
            f"not {wanted[first]}")
    if message:
        raise Wrong(f"{said}: {message}")
    raise Wrong(f"{said}. Count the positions: the filter starts at the left edge of the padded "
                "image and moves `stride` pixels at a time while it still fits")


# --- conv_params: the parameters of nn.Conv2d --------------------------------------------------

# (n_in, n_out, kernel_size, bias); a mistake is named when it explains every case
_PARAM_CASES = [(16, 32, 3, True), (1, 16, 3, True), (16, 32, 3, False), (3, 8, 5, True),
                (1, 1, 3, True), (32, 64, 3, False), (4, 2, 1, True)]


@exercise(
    task="Write `conv_params(n_in, n_out, kernel_size, bias)`: the number of parameters of "
         "`nn.Conv2d(n_in, n_out, kernel_size, bias=bias)`.",
    hint="Each of the n_out filters has a kernel_size x kernel_size slice for every one of the "
         "n_in input channels, and, if bias is True, one bias.")
def conv_params(n_in, n_out, kernel_size, bias=True):
    weights = n_out * n_in * kernel_size * kernel_size  # per filter: a k x k slice per input
    return weights + (n_out if bias else 0)  # one bias per filter; nn.Conv2d(16, 32, 3): 4,640


def _param_slips(i: int, o: int, k: int, b: bool) -> list[tuple[int, str]]:
    """What each known mistake gives for one case, and what to say about it."""
    weights, biases = o * i * k * k, (o if b else 0)
    return [
        (weights, f"you left out the biases; with bias=True each filter (each output channel) "
                  f"has one, {o} in all"),
        (weights + o, "with bias=False there are no biases to count (the CNN of this notebook "
                      "builds its convolutions that way)"),
        (weights + (i if b else 0), "there is one bias per output channel (per filter), not "
                                    "per input channel"),
        (weights + (1 if b else 0), f"there is one bias per filter, {o} in all, not one for "
                                    "the whole layer"),
        (weights + (o * i if b else 0), f"there is one bias per filter, {o} in all, not one per "
                                        "input-channel slice of each filter"),
        (o * k * k + biases, f"you forgot the input channels; each filter has one {k}x{k} "
                             f"slice per input channel, {i} x {k} x {k} weights"),
        (o * k * k, f"you forgot the input channels; each filter has one {k}x{k} slice per "
                    f"input channel, {i} x {k} x {k} weights"),
        (i * k * k + biases, f"you counted one filter; there are n_out = {o} of them, each "
                             f"with {i} x {k} x {k} weights"),
        (o * i * k + biases, f"a {k}x{k} filter slice has {k} x {k} = {k * k} weights, not {k}"),
        (o * i * 2 * k + biases, f"a {k}x{k} filter slice has {k} x {k} = {k * k} weights, "
                                 f"not {k} + {k}"),
        ((o + i) * k * k + biases, "input and output channels multiply: each of the n_out "
                                   "filters has a slice for every input channel"),
    ]


@conv_params.checker
def _check_params(fn: Any) -> str | None:
    counts = [as_count(call(fn, i, o, k, b, name="conv_params"),
                       f"conv_params({i}, {o}, {k}, bias={b})") for i, o, k, b in _PARAM_CASES]
    wanted = [conv_params.reference(*case) for case in _PARAM_CASES]
    if counts == wanted:
        return None
    first, message = _first_wrong(counts, wanted, [_param_slips(*c) for c in _PARAM_CASES])
    i, o, k, b = _PARAM_CASES[first]
    said = f"conv_params({i}, {o}, {k}, bias={b}) is {counts[first]}, not {wanted[first]}"
    if message:
        raise Wrong(f"{said}: {message}")
    raise Wrong(f"{said}. Count the weights of one filter (input channels x kernel height x "
                "kernel width), multiply by the number of filters, then add the biases")
