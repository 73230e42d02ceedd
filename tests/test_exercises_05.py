"""Notebook 05's exercises: plausible wrong answers fail with the message that explains them, and
right answers written differently pass."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F

from helpers.exercises import nb05


def _no_relu(x, hidden_w, hidden_b, out_w, out_b):
    return (x @ hidden_w + hidden_b) @ out_w + out_b


def _relu_on_output(x, hidden_w, hidden_b, out_w, out_b):
    return ((x @ hidden_w + hidden_b).relu() @ out_w + out_b).relu()


def _wrong_orientation(x, hidden_w, hidden_b, out_w, out_b):
    return (hidden_w @ x + hidden_b).relu() @ out_w + out_b


def _transposed(x, hidden_w, hidden_b, out_w, out_b):
    return (x @ hidden_w.T + hidden_b).relu() @ out_w.T + out_b


def _bias_after_relu(x, hidden_w, hidden_b, out_w, out_b):
    return ((x @ hidden_w).relu() + hidden_b) @ out_w + out_b


def _squeezed(x, hidden_w, hidden_b, out_w, out_b):
    return ((x @ hidden_w + hidden_b).relu() @ out_w + out_b).squeeze(1)


def _squeezed_all(x, hidden_w, hidden_b, out_w, out_b):
    return ((x @ hidden_w + hidden_b).relu() @ out_w + out_b).squeeze()


def _hidden_only(x, hidden_w, hidden_b, out_w, out_b):
    return (x @ hidden_w + hidden_b).relu()


def _sigmoid(x, hidden_w, hidden_b, out_w, out_b):
    return torch.sigmoid(x @ hidden_w + hidden_b) @ out_w + out_b


def _sigmoid_on_output(x, hidden_w, hidden_b, out_w, out_b):
    return ((x @ hidden_w + hidden_b).relu() @ out_w + out_b).sigmoid()


def _no_out_bias(x, hidden_w, hidden_b, out_w, out_b):
    return (x @ hidden_w + hidden_b).relu() @ out_w


def _mixed_dtypes(x, hidden_w, hidden_b, out_w, out_b):
    return (x.double() @ hidden_w + hidden_b).relu() @ out_w + out_b


def _relu_on_weights(x, hidden_w, hidden_b, out_w, out_b):
    return (x @ hidden_w.relu_() + hidden_b) @ out_w + out_b  # changes the caller's hidden_w


def _in_float64(x, hidden_w, hidden_b, out_w, out_b):
    x, hidden_w, hidden_b, out_w, out_b = (t.double() for t in (x, hidden_w, hidden_b, out_w,
                                                                out_b))
    return (x @ hidden_w + hidden_b).relu() @ out_w + out_b


def _clamped(x, hidden_w, hidden_b, out_w, out_b):
    return torch.clamp(torch.matmul(x, hidden_w) + hidden_b, min=0) @ out_w + out_b


def _functional(x, hidden_w, hidden_b, out_w, out_b):
    return F.linear(F.relu(F.linear(x, hidden_w.T, hidden_b)), out_w.T, out_b)


def _loops(x, hidden_w, hidden_b, out_w, out_b):
    rows = []
    for row in x:
        hidden = [max(0.0, float(row @ hidden_w[:, j] + hidden_b[j]))
                  for j in range(hidden_w.shape[1])]
        rows.append([sum(h * float(out_w[j, 0]) for j, h in enumerate(hidden))
                     + float(out_b[0])])
    return torch.tensor(rows)


def _transposed_twice(x, hidden_w, hidden_b, out_w, out_b):
    hidden = (hidden_w.T @ x.T).T + hidden_b
    hidden = hidden * (hidden > 0)
    return torch.maximum(hidden @ out_w + out_b, torch.tensor(-1e9))


WRONG_ANSWERS = {
    "two_layer_net": [
        (_no_relu, "forgot the ReLU"),
        (_relu_on_output, "ReLU to the output"),
        (_wrong_orientation, "Mind the orientation"),
        (_transposed, "Mind the orientation"),
        (_bias_after_relu, "after the ReLU"),
        (_squeezed, "no `.squeeze()`"),
        (_squeezed_all, "no `.squeeze()`"),
        (_hidden_only, "That is the hidden layer"),
        (_sigmoid, "a sigmoid between the layers"),
        (_sigmoid_on_output, "a sigmoid to the output"),
        (_no_out_bias, "you left out out_b"),
        (_mixed_dtypes, "float32 and some float64"),
        (_relu_on_weights, "changed its input number 2 in place"),
    ],
    "mlp_params": [
        (51_216, "weights only"),
        (52_080, "one bias per output"),
        (51_219, "a single bias"),
        (50_240, "first layer alone"),
        (51_280, "left out the last layer"),
        (802_816, "multiplied all the sizes"),
        (865, "counts the values"),
        (51_377, "a ReLU has no parameters"),
        (51_296, "a bias is missing"),
        (51_300, "too many. Count layer by layer"),
        (51_297.5, "a count is a whole number"),
        ("51297", "without quotes"),
    ],
    "relu_sum": [
        (1.0, "without the ReLU"),
        (8.0, "not flip"),
        (-3.5, "kept the negative values"),
        (2, "counts the positive values"),
        (0.9, "that is the mean"),
        (3.5, "work out the five results"),
        (torch.tensor([0.0, 0.0, 0.0, 2.0, 2.5]), "the ReLU of each of the five values"),
        ("4.5", "without quotes"),
    ],
}

RIGHT_ANSWERS = {
    "two_layer_net": [_in_float64, _clamped, _functional, _loops, _transposed_twice],
    "mlp_params": [51_297.0, np.int64(51_297), torch.tensor([51_297]),
                   784 * 64 + 64 + 64 * 16 + 16 + 16 + 1],
    "relu_sum": [4.5, np.float32(4.5), torch.tensor(4.5), Fraction(9, 2), 2.0 + 2.5],
}


def test_two_layer_net_in_float64_passes():
    result = nb05.two_layer_net.verdict(_in_float64)
    assert result.status == "correct", result.message
