# ruff: noqa: F821
"""Checks run in notebook 03_seven_steps's kernel after its last cell.

The names are the notebook's own; ``_FLOOR[figure]`` is the figure's floor for this run's digits
(the table in tests/checks/__init__.py).
"""

assert (slopes == 0).all() and not acc.requires_grad
assert nudge_rows[0][1] == 0 and nudge_rows[0][2] == 0, nudge_rows  # the smallest nudge: no change
assert all(abs(c * n - round(c * n)) < 0.01 for _, _, c in nudge_rows)  # whole images
assert new_loss < step_loss.item(), (step_loss, new_loss)
assert accuracy >= _FLOOR["accuracy"], accuracy
assert history["valid accuracy"][0] > 0.9, history["valid accuracy"][0]
assert start_stats[1.0][0] > 0.5 and start_stats[INIT_STD][0] == 0, start_stats
assert draws.min() > 0.2 and draws.max() - draws.min() > 0.3, draws  # large, and draw-dependent
assert history["valid accuracy"][0] - std1_acc[0] > 0.03, (history["valid accuracy"][0], std1_acc)
assert std1_acc[-1] < accuracy, (std1_acc[-1], accuracy)
assert abs(history["train accuracy"][-1] - accuracy) < 0.02, history  # no overfitting here
assert few_history["train accuracy (20 images)"][-1] == 1.0, few_history
assert few_history["valid accuracy"][-1] < accuracy - 0.02, few_history  # overfitting there
assert full_batch_accuracy < accuracy, (full_batch_accuracy, accuracy)
assert history["train loss"][-1] < 0.5 * full_loss[-1], (history["train loss"][-1], full_loss)
assert abs(same_updates_sgd_accuracy - full_batch_accuracy) <= 0.02
sims = [row[1] for row in batch_rows.values()]
assert sims == sorted(sims) and sims[-1] > 0.999, batch_rows  # bigger batch, steadier direction
assert batch_rows[16][2] > batch_rows[len(train_x)][2], batch_rows  # more updates, more progress
