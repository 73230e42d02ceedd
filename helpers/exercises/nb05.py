"""Exercises of notebook 05 (a neural network: two linear layers and a ReLU)."""

from __future__ import annotations

from itertools import pairwise

import torch

from helpers.exercises import (
    Exercise,
    Wrong,
    call,
    expect_close,
    expect_tensor,
)

# --- 1. a two-layer net by hand ----------------------------------------------------------------


def _reference_net(x, hidden_w, hidden_b, out_w, out_b):
    return (x @ hidden_w + hidden_b).relu() @ out_w + out_b


def _net_cases() -> list[tuple[torch.Tensor, ...]]:
    """Small nets (5 inputs, 3 hidden units, 1 output) on batches of 4, 1 and 6 rows.

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


def _check_net(fn) -> None:
    for x, hidden_w, hidden_b, out_w, out_b in _net_cases():
        args = (x, hidden_w, hidden_b, out_w, out_b)
        try:
            got = call(fn, *args, name="two_layer_net")
        except Wrong as err:
            if "multiplied" in str(err) or "size" in str(err) or "match" in str(err):
                raise Wrong(f"{err}. Mind the orientation: x has one row per image, shape "
                            "(n, n_in), and hidden_w is (n_in, n_hidden), so the hidden layer is "
                            "`x @ hidden_w` (not `hidden_w @ x`), and the output `hidden @ out_w`"
                            ) from None
            raise
        expected = _reference_net(*args)
        n = x.shape[0]
        if isinstance(got, torch.Tensor) and got.shape == expected.shape:
            no_relu = (x @ hidden_w + hidden_b) @ out_w + out_b
            if torch.allclose(got, no_relu, atol=1e-5) and not torch.allclose(
                    no_relu, expected, atol=1e-5):
                raise Wrong("you forgot the ReLU between the layers: without it the two layers "
                            "collapse into one linear layer. Apply `.relu()` to the hidden sums")
            if torch.allclose(got, expected.relu(), atol=1e-5) and not torch.allclose(
                    expected.relu(), expected, atol=1e-5):
                raise Wrong("your scores are never negative: you applied ReLU to the output too. "
                            "The ReLU belongs between the layers; the output is a score (a logit) "
                            "that must be free to go below 0 for the second digit")
            late_bias = ((x @ hidden_w).relu() + hidden_b) @ out_w + out_b
            if torch.allclose(got, late_bias, atol=1e-5) and not torch.allclose(
                    late_bias, expected, atol=1e-5):
                raise Wrong("you added hidden_b after the ReLU; add it to the weighted sums "
                            "first, then apply the ReLU: `(x @ hidden_w + hidden_b).relu()`")
        expect_tensor(got, expected, "two_layer_net(x, ...)", requires_grad=None,
                      shape_hints={(n,): "keep one score per row as a column, shape (n, 1), "
                                         "like the targets: no `.squeeze()`",
                                   (n, 3): "that is the hidden layer (3 units here); multiply it "
                                           "by out_w and add out_b to get one score per image"})


two_layer_net = Exercise(
    "05", "two_layer_net",
    "Write `two_layer_net(x, hidden_w, hidden_b, out_w, out_b)`: the hidden layer's weighted "
    "sums, a ReLU, then the output layer, giving one score per row of x, shape (n, 1).",
    _check_net,
    "Two matrix products with a `.relu()` between them: `x @ hidden_w + hidden_b`, ReLU, then "
    "`@ out_w + out_b`. x is (n, n_in), hidden_w (n_in, n_hidden), out_w (n_hidden, 1).",
    "def two_layer_net(x, hidden_w, hidden_b, out_w, out_b):\n"
    "    hidden = (x @ hidden_w + hidden_b).relu()  # (n, n_hidden), negatives set to 0\n"
    "    return hidden @ out_w + out_b  # (n, 1): no ReLU on the score",
    _reference_net,
)

# --- 2. counting parameters --------------------------------------------------------------------

SIZES = (784, 64, 16, 1)  # nn.Linear(784, 64), ReLU, nn.Linear(64, 16), ReLU, nn.Linear(16, 1)
_LAYERS = list(pairwise(SIZES))
_PARAMS = sum(i * o + o for i, o in _LAYERS)
_MISTAKES = {
    sum(i * o for i, o in _LAYERS): "you counted the weights only: each layer also has one bias "
                                    "per output (64 + 16 + 1 of them here)",
    sum(i * o + i for i, o in _LAYERS): "a layer has one bias per output, not one per input",
    SIZES[0] * SIZES[1] + SIZES[1]: "that is the first layer alone; add the other two layers",
    SIZES[0] * SIZES[1] * SIZES[2] * SIZES[3]: "you multiplied all the sizes together; each "
                                               "layer has in x out weights plus out biases, and "
                                               "the layers' counts add up",
    sum(SIZES): "that counts the values (inputs and units), not the parameters that connect "
                "them: a layer has in x out weights plus out biases",
}


def _number_check(expected: float, mistakes: dict[float, str], name: str, *, tol: float,
                  fmt: str, otherwise: str = ""):
    """A check for a predicted number: a value a known mistake gives gets its reason; any other
    wrong number gets ``otherwise`` when given, else expect_close's sentence."""
    def check(answer) -> None:
        if isinstance(answer, torch.Tensor) and answer.numel() == 1:
            answer = answer.item()
        if isinstance(answer, (int, float)) and not isinstance(answer, bool):
            for wrong, why in mistakes.items():
                if abs(answer - wrong) < tol:
                    raise Wrong(f"{answer:{fmt}} is not it: {why}")
            if otherwise and abs(answer - expected) >= tol:
                raise Wrong(f"{answer:{fmt}} is not it. {otherwise}")
        expect_close(answer, expected, name, tol=tol)
    return check


_check_count = _number_check(
    _PARAMS, _MISTAKES, "your count", tol=0.5, fmt=",.0f",
    otherwise="Count layer by layer: nn.Linear(n_in, n_out) holds n_in x n_out weights and "
              "n_out biases; then add the three layers")


mlp_params = Exercise(
    "05", "mlp_params",
    "How many parameters does `nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 16), "
    "nn.ReLU(), nn.Linear(16, 1))` have? Work it out, then give the number.",
    _check_count,
    "Each `nn.Linear(n_in, n_out)` holds a weight matrix of n_in x n_out numbers and a bias of "
    "n_out numbers; a ReLU holds none. Add up the three layers.",
    "784 * 64 + 64 + 64 * 16 + 16 + 16 * 1 + 1 = 50,176 + 64 + 1,024 + 16 + 16 + 1 = 51,297.\n"
    "Check: sum(p.numel() for p in net.parameters()) for that net prints 51297.",
    _PARAMS,
)

# --- 3. predict, then run: what ReLU does to negative inputs -----------------------------------

_SUMS = torch.tensor([-3.0, -0.5, 0.0, 2.0, 1.5])
_RELU_SUM = _SUMS.relu().sum().item()
_RELU_MISTAKES = {
    _SUMS.sum().item(): "that is the sum without the ReLU; ReLU first sets every negative "
                        "value to 0",
    _SUMS.abs().sum().item(): "ReLU does not flip negative values to positive (that is abs); "
                              "it sets them to 0",
    _SUMS.clamp(max=0).sum().item(): "you kept the negative values and dropped the positive "
                                     "ones; ReLU(x) = max(0, x) does the opposite",
    float((_SUMS > 0).sum().item()): "that counts the positive values; ReLU passes them on "
                                     "unchanged, so add them up",
}


_check_relu_sum = _number_check(_RELU_SUM, _RELU_MISTAKES, "your prediction", tol=1e-6,
                                fmt="g")


relu_sum = Exercise(
    "05", "relu_sum",
    "Predict, then run: what does `torch.tensor([-3.0, -0.5, 0.0, 2.0, 1.5]).relu().sum()` "
    "give? Give the number.",
    _check_relu_sum,
    "ReLU(x) = max(0, x): a negative value becomes 0, a positive one passes unchanged.",
    "ReLU gives [0, 0, 0, 2, 1.5]; their sum is 3.5.",
    _RELU_SUM,
)
