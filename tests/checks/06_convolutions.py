# ruff: noqa: F821
"""Checks run in notebook 06_convolutions's kernel after its last cell.

The names are the notebook's own; ``_FLOOR[figure]`` is the figure's floor for this run's digits
(the table in tests/checks/__init__.py).
"""

cnn_floor = _FLOOR["accuracy"]
assert torch.equal(with_torch[0, 0], by_hand), "F.conv2d must compute the by-hand convolution"
assert all(size_checks), "counting positions must match F.conv2d's output size"
assert cnn_params == 24_433, cnn_params
assert abs(relu_net_params - cnn_params) < 0.1 * cnn_params, relu_net_params  # "about as many"
assert bn_mean_gap < 1e-5 and bn_std_gap < 1e-2, (bn_mean_gap, bn_std_gap)
assert abs(bce_mean - ce_mean) < 1e-6, "BCE on one score = cross-entropy on (0, score)"
assert 50 < bce_push < 60, bce_push
assert torch.allclose(adam_w, torch.tensor([-0.003, -0.003]), atol=1e-5), adam_w
assert torch.allclose(sgd_w, torch.tensor([-3.0, -3e-6])), sgd_w
assert len(used_lrs) == n_batches and schedule_gap < 1e-9, (len(used_lrs), schedule_gap)
assert len(learn.recorder.values) == recipe.epochs
assert cnn_accuracy >= cnn_floor, f"CNN accuracy {cnn_accuracy:.4f} is below {cnn_floor}"
