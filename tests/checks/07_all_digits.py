# ruff: noqa: F821
"""Checks run in notebook 07_all_digits's kernel after its last cell.

The names are the notebook's own; ``_FLOOR[figure]`` is the figure's floor for this run's digits
(the table in tests/checks/__init__.py).
"""

assert ce_agrees, f"cross-entropy differs from PyTorch's: {ce_value_gap=}, {ce_grad_gap=}"
assert abs(best.item() - floor.item()) < 1e-5 and 0.49 < floor < 0.51, f"smoothed floor {floor}"
assert abs(peak / len(rates) - 0.3) < 0.01 and abs(rates[0] - CNN_LR / 25) < 1e-9
assert same_batches, "fastai's validation batch should be the slice of the tensors"
for name, value in [("accuracy", test_accuracy), ("valid_accuracy", valid_accuracy),
                    ("linear_accuracy", linear_accuracy), ("mlp_accuracy", mlp_accuracy),
                    ("min_digit_accuracy", min_digit_accuracy)]:
    assert value >= _FLOOR[name], f"{name} {value:.4f} is below its floor {_FLOOR[name]}"
assert mlp_accuracy > linear_accuracy, "the hidden layer should help"
assert cm.sum() == len(valid_y) and abs(cm.trace() / cm.sum() - valid_accuracy) < 1e-6
