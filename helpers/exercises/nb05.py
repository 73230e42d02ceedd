"""Exercises of notebook 05 (a neural network: two linear layers and a ReLU): what a ReLU does
to a sum, a two-layer net to write, and its parameters to count."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import torch

from helpers.exercises import (
    Wrong,
    as_count,
    as_number,
    call,
    close,
    exercise,
    expect_tensor,
)

# --- 1. a two-layer net by hand ----------------------------------------------------------------

@exercise(
    task="Write `two_layer_net(x, hidden_w, hidden_b, out_w, out_b)`: the hidden layer's weighted "
         "sums, a ReLU, then the output layer, giving one score per row of x, shape (n, 1).",
    hint="Two matrix products with a `.relu()` between them: `x @ hidden_w + hidden_b`, ReLU, "
         "then `@ out_w + out_b`. x is (n, n_in), hidden_w (n_in, n_hidden), out_w "
         "(n_hidden, 1).")
def two_layer_net(x, hidden_w, hidden_b, out_w, out_b):
    hidden = (x @ hidden_w + hidden_b).relu()  # (n, n_hidden): negative sums become 0
    return hidden @ out_w + out_b  # (n, 1): no ReLU on the score, it may be negative


def _net_cases() -> list[tuple[torch.Tensor, ...]]:
    """Fresh small nets (5 inputs, 3 hidden units, 1 output) on batches of 4, 1 and 6 rows.

    The first case is written out so that some hidden sums are negative (a missing ReLU shows)
    and some scores are negative (a ReLU on the output shows); no shape is square, so a matrix
    product the wrong way round raises instead of silently working."""
    x = torch.tensor([[1.0, 0.0, 0.5, 0.0, 1.0],
                      [0.0, 1.0, 0.0, 1.0, 0.0],
                      [0.5, 0.5, 0.5, 0.5, 0.5],
                      [0.0, 0.0, 1.0, 0.0, 0.0]])
    hidden_w = torch.tensor([[1.0, -1.0, 0.5],
                             [-2.0, 1.0, 0.0],
                             [0.5, 0.5, -1.0],
                             [-1.0, 0.0, 1.0],
                             [0.0, -0.5, 0.5]])
    hidden_b = torch.tensor([0.1, -0.2, 0.3])
    out_w = torch.tensor([[1.5], [-2.0], [1.0]])
    out_b = torch.tensor([-0.5])
    cases = [(x, hidden_w, hidden_b, out_w, out_b)]
    g = torch.Generator().manual_seed(5)
    for n in (1, 6):
        cases.append((torch.rand(n, 5, generator=g), torch.randn(5, 3, generator=g),
                      torch.randn(3, generator=g), torch.randn(3, 1, generator=g),
                      torch.randn(1, generator=g)))
    return cases


_Net = Callable[..., torch.Tensor]
_NET_MISTAKES: list[tuple[_Net, str]] = [
    (lambda x, hw, hb, ow, ob: (x @ hw + hb) @ ow + ob,
     "you forgot the ReLU between the layers: without it the two layers collapse into one "
     "linear layer. Apply `.relu()` to the hidden sums"),
    (lambda x, hw, hb, ow, ob: ((x @ hw + hb).relu() @ ow + ob).relu(),
     "your scores are never negative: you applied ReLU to the output too. The ReLU belongs "
     "between the layers; the output is a score (a logit) that must be free to go below 0 for "
     "the second digit"),
    (lambda x, hw, hb, ow, ob: ((x @ hw + hb).relu() @ ow + ob).sigmoid(),
     "you applied a sigmoid to the output; return the score itself, which may be any number "
     "(the loss, gap_loss, applies the sigmoid)"),
    (lambda x, hw, hb, ow, ob: (x @ hw + hb).sigmoid() @ ow + ob,
     "you put a sigmoid between the layers; this net's activation is the ReLU, max(0, x): "
     "`.relu()` on the hidden sums"),
    (lambda x, hw, hb, ow, ob: ((x @ hw + hb).sigmoid() @ ow + ob).sigmoid(),
     "you used sigmoids, between the layers and on the output; this net has a ReLU between the "
     "layers and nothing on the output, a score that may be any number"),
    (lambda x, hw, hb, ow, ob: (x @ hw + hb).abs() @ ow + ob,
     "that is abs between the layers: it flips negative sums to positive, where a ReLU sets "
     "them to 0"),
    (lambda x, hw, hb, ow, ob: ((x @ hw).relu() + hb) @ ow + ob,
     "you added hidden_b after the ReLU; add it to the weighted sums first, then apply the "
     "ReLU: `(x @ hidden_w + hidden_b).relu()`"),
    (lambda x, hw, hb, ow, ob: (x @ hw).relu() @ ow + ob,
     "you left out hidden_b: the hidden layer is `x @ hidden_w + hidden_b`, then the ReLU"),
    (lambda x, hw, hb, ow, ob: (x @ hw + hb).relu() @ ow,
     "you left out out_b: the output layer is `hidden @ out_w + out_b`"),
    (lambda x, hw, hb, ow, ob: (x @ hw + hb).relu() @ ow + hb.sum(),
     "you added hidden_b a second time at the output; the output layer adds out_b"),
]


def _explain_error(err: Wrong) -> Wrong:
    text = str(err)
    if "cannot be multiplied" in text or "size of tensor" in text:
        return Wrong(f"{text}. Mind the orientation: x has one row per image, shape (n, n_in), "
                     "and hidden_w is (n_in, n_hidden), so the hidden layer is `x @ hidden_w` "
                     "(not `hidden_w @ x`), and the output `hidden @ out_w`")
    if "dtype" in text or "scalar type" in text:
        return Wrong(f"{text}. Some tensors were float32 and some float64 in one product: "
                     "convert all of them, or none")
    return err


@two_layer_net.checker
def _check_net(fn: Any) -> None:
    for x, hidden_w, hidden_b, out_w, out_b in _net_cases():
        args = (x, hidden_w, hidden_b, out_w, out_b)
        n = x.shape[0]
        try:
            got = call(fn, *args, name="two_layer_net")
        except Wrong as err:
            raise _explain_error(err) from None
        expected = two_layer_net.reference(*args)
        if isinstance(got, torch.Tensor) and got.shape == expected.shape:
            for mistake, why in _NET_MISTAKES:
                other = mistake(*(a.double() for a in args))
                if close(got, other) and not close(other, expected):
                    raise Wrong(why)
        expect_tensor(got, expected, f"two_layer_net on a batch of {n} (x of shape {(n, 5)}, "
                      "3 hidden units)", requires_grad=None,
                      shape_hints={(n,): "Keep one score per row as a column, shape (n, 1), "
                                         "like the targets: no `.squeeze()`",
                                   (): "A batch of one image still needs one score per row, "
                                       "shape (1, 1): no `.squeeze()`",
                                   (1, n): "That is a row of scores; they go in a "
                                           "column, one row per image: no `.T` at the end",
                                   (n, 3): "That is the hidden layer (3 units here); multiply "
                                           "it by out_w and add out_b to get one score per "
                                           "image"})


# --- 2. counting parameters --------------------------------------------------------------------

SIZES = (784, 64, 16, 1)  # nn.Linear(784, 64), ReLU, nn.Linear(64, 16), ReLU, nn.Linear(16, 1)
_LAYERS = list(pairwise(SIZES))


@exercise(
    task="How many parameters does `nn.Sequential(nn.Linear(784, 64), nn.ReLU(), "
         "nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 1))` have? Work it out, then give the "
         "number.",
    hint="Each `nn.Linear(n_in, n_out)` holds a weight matrix of n_in x n_out numbers and a bias "
         "of n_out numbers; a ReLU holds none. Add up the three layers.",
    solution="784 * 64 + 64 + 64 * 16 + 16 + 16 * 1 + 1 = 50,176 + 64 + 1,024 + 16 + 16 + 1 = "
             "51,297.\nCheck: sum(p.numel() for p in net.parameters()) for that net prints "
             "51297.",
    value=True)
def mlp_params():
    return sum(n_in * n_out + n_out for n_in, n_out in _LAYERS)


_TOTAL, _WEIGHTS = mlp_params.reference, sum(i * o for i, o in _LAYERS)
_MISSING_BIAS = ("a bias is missing: each layer has one bias per output, 64, 16 and 1 of them "
                 "here")
_COUNT_MISTAKES = {
    _WEIGHTS: "you counted the weights only: each layer also has one bias per output (64 + 16 "
              "+ 1 of them here)",
    _WEIGHTS + 3: "you gave each layer a single bias; a layer has one bias per output",
    sum(i * o + i for i, o in _LAYERS): "a layer has one bias per output, not one per input",
    784 * 64 + 64: "that is the first layer alone; add the other two layers",
    784 * 64: "that is the first layer's weights alone; add its biases and the other two layers",
    784 * 64 + 64 + 64 * 16 + 16: "you left out the last layer, nn.Linear(16, 1)",
    64 * 16 + 16 + 16 + 1: "you left out the first layer, nn.Linear(784, 64)",
    784 * 64 * 16 * 1: "you multiplied all the sizes together; each layer has in x out weights "
                       "plus out biases, and the layers' counts add up",
    sum(SIZES): "that counts the values (inputs and units), not the parameters that connect "
                "them: a layer has in x out weights plus out biases",
    _TOTAL + 64 + 16: "a ReLU has no parameters: it only sets negative values to 0",
    _TOTAL - 1: _MISSING_BIAS,
    _TOTAL - 16: _MISSING_BIAS,
    _TOTAL - 64: _MISSING_BIAS,
}


@mlp_params.checker
def _check_count(answer: Any) -> str:
    count = as_count(answer, "your count")
    if count in _COUNT_MISTAKES and count != _TOTAL:
        raise Wrong(f"{count:,} is not it: {_COUNT_MISTAKES[count]}")
    if count != _TOTAL:
        raise Wrong(f"{count:,} is {'too many' if count > _TOTAL else 'too few'}. "
                    "Count layer by layer: nn.Linear(n_in, n_out) holds n_in x n_out weights "
                    "and n_out biases; then add the three layers")
    return "50,240 + 1,040 + 17: the first layer holds nearly all of them."


# --- 3. predict, then run: what ReLU does to negative inputs -----------------------------------

_SUMS = (-3.0, -0.5, 0.0, 2.0, 2.5)


@exercise(
    task="Predict, then run: what does `torch.tensor([-3.0, -0.5, 0.0, 2.0, 2.5]).relu().sum()` "
         "give? Give the number.",
    hint="ReLU(x) = max(0, x): a negative value becomes 0, a positive one passes unchanged.",
    solution="ReLU gives [0, 0, 0, 2, 2.5]; their sum is 4.5.",
    value=True)
def relu_sum():
    return sum(max(0.0, v) for v in _SUMS)


_RELU_MISTAKES = {
    sum(_SUMS): "that is the sum without the ReLU (or the ReLU of that sum); ReLU acts on each "
                "value first, setting every negative one to 0, and then .sum() adds what is left",
    sum(abs(v) for v in _SUMS): "ReLU does not flip negative values to positive (that is abs); "
                                "it sets them to 0",
    sum(min(0.0, v) for v in _SUMS): "you kept the negative values and dropped the positive "
                                     "ones; ReLU(x) = max(0, x) does the opposite",
    2.0: "that counts the positive values (or is the first of them); ReLU passes each one on "
         "unchanged, and .sum() adds them up",
    3.0: "that counts the values that are not negative; ReLU passes each one on unchanged, and "
         ".sum() adds them up",
    max(_SUMS): "that is the largest value after the ReLU; .sum() adds them all",
    sum(max(0.0, v) for v in _SUMS) / len(_SUMS): "that is the mean; .sum() adds the values, "
                                                  "it does not divide by how many there are",
    0.0: "ReLU sets the negative values to 0, but passes the positive ones on unchanged",
}


@relu_sum.checker
def _check_relu_sum(answer: Any) -> str:
    if close(answer, torch.tensor(_SUMS).relu()):  # False for anything but five numbers
        raise Wrong("that is the ReLU of each of the five values; the question asks for their "
                    "sum, one number")
    value = as_number(answer, "your prediction")
    right = relu_sum.reference
    if abs(value - right) > 1e-6:
        for wrong, why in _RELU_MISTAKES.items():
            if abs(value - wrong) < 1e-6:
                raise Wrong(f"{value:g} is not it: {why}")
        raise Wrong(f"{value:g} is not it. ReLU(x) = max(0, x) turns each value into 0 or "
                    "itself; work out the five results, then add them")
    return "The three values at or below 0 contribute nothing; 2 and 2.5 pass unchanged."
