# ruff: noqa: F821
"""Checks run in notebook 01_pixel_similarity's kernel after its last cell.

The names are the notebook's own; ``_FLOOR[figure]`` is the figure's floor for this run's digits
(the table in tests/checks/__init__.py).
"""

floor_l1 = _FLOOR["accuracy"]
rmse_floor = _FLOOR["rmse_accuracy"]
assert accuracy >= floor_l1, f"pixel-similarity accuracy {accuracy:.4f} is below {floor_l1}"
assert rmse_accuracy >= rmse_floor, f"RMSE accuracy {rmse_accuracy:.4f} is below {rmse_floor}"
if tuple(DIGITS) == (3, 7):
    assert abs(accuracy - 0.9511) < 0.0025, accuracy
    assert rmse_accuracy > accuracy, (rmse_accuracy, accuracy)
    assert abs(accuracy - 0.9514) < 1e-4 and abs(rmse_accuracy - 0.9661) < 1e-4
    assert abs(per_class[3] - 0.9168) < 1e-4 and abs(per_class[7] - 0.9854) < 1e-4
    assert abs((per_class[3] + per_class[7]) / 2 - 0.9511) < 1e-4  # fastbook's figure
    assert abs(accuracy - (per_class[3] + per_class[7]) / 2) < 1 / len(valid_x)
assert len(wrong) == int((~correct).sum()) and len(valid_x) == len(valid_y)
assert torch.equal(hand_made, train_a[:5]) and rows.shape == (len(train_a), 784)
