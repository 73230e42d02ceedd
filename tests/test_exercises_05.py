"""Notebook 05's exercises fail plausible wrong answers with the message that explains them."""

from __future__ import annotations


def _no_relu(x, hidden_w, hidden_b, out_w, out_b):
    return (x @ hidden_w + hidden_b) @ out_w + out_b


def _relu_on_output(x, hidden_w, hidden_b, out_w, out_b):
    return ((x @ hidden_w + hidden_b).relu() @ out_w + out_b).relu()


def _wrong_orientation(x, hidden_w, hidden_b, out_w, out_b):
    return (hidden_w @ x + hidden_b).relu() @ out_w + out_b


def _bias_after_relu(x, hidden_w, hidden_b, out_w, out_b):
    return ((x @ hidden_w).relu() + hidden_b) @ out_w + out_b


def _squeezed(x, hidden_w, hidden_b, out_w, out_b):
    return ((x @ hidden_w + hidden_b).relu() @ out_w + out_b).squeeze(1)


def _hidden_only(x, hidden_w, hidden_b, out_w, out_b):
    return (x @ hidden_w + hidden_b).relu()


WRONG_ANSWERS = {
    "two_layer_net": [
        (_no_relu, "forgot the ReLU"),
        (_relu_on_output, "ReLU to the output"),
        (_wrong_orientation, "Mind the orientation"),
        (_bias_after_relu, "after the ReLU"),
        (_squeezed, "no `.squeeze()`"),
        (_hidden_only, "that is the hidden layer"),
    ],
    "mlp_params": [
        (51_216, "weights only"),
        (52_080, "one bias per output"),
        (50_240, "first layer alone"),
        (802_816, "multiplied all the sizes"),
        (865, "counts the values"),
        (51_300, "Count layer by layer"),
        ("51297", "should be a number"),
    ],
    "relu_sum": [
        (0.0, "without the ReLU"),
        (7.0, "not flip"),
        (-3.5, "kept the negative values"),
        (2, "counts the positive values"),
    ],
}
