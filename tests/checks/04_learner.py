# ruff: noqa: F821
"""Checks run in notebook 04_learner's kernel after its last cell.

The names are the notebook's own; ``_FLOOR[figure]`` is the figure's floor for this run's digits
(the table in tests/checks/__init__.py).
"""

accuracy = fastai_rows[-1]["batch_accuracy"]
own_accuracy = mini_rows[-1]["batch_accuracy"]
low = _FLOOR["accuracy"]
assert accuracy >= low, f"fastai Learner accuracy {accuracy:.4f} is below {low}"
assert own_accuracy >= low, f"MiniLearner accuracy {own_accuracy:.4f} is below {low}"
assert same_losses and same_weights, "PlainSGD must take exactly the steps of fastai's SGD"
assert same_4dp and max_gap < 1e-4, f"MiniLearner differs from fastai's Learner by {max_gap}"
assert same_final, "MiniLearner must end with the same weights as fastai's Learner"
assert fastai_rows[-1]["valid_loss"] < fastai_rows[0]["valid_loss"], "valid loss did not fall"
assert [r["epoch"] for r in fastai_rows] == [r["epoch"] for r in mini_rows] == list(
    range(1, EPOCHS + 1))
# Starts: nn.Linear's default and std 0.01 put no image on a flat end; std 1 depends on the draw.
assert shares["nn.Linear default"] == 0 and shares["random_params, std 0.01"] == 0, shares
# the link: 0.79 (0 vs 1) to 0.96 over the 45 pairs, 0.92 for 3 vs 7
assert draw_shares.max() - draw_shares.min() > 0.3 and link > 0.75, (draw_shares, link)
assert abs(smoothed[-1] - mini_rows[-1]["train_loss"]) < 1e-5
assert short_accuracy >= 0.9, short_accuracy
if set(DIGITS) == {3, 7}:  # fastbook's data: sorted batches fall short, and stall at lr 4
    assert 0.95 < sorted_1[-1] < accuracy and max(sorted_lr) < 0.6, (sorted_1, sorted_lr)
