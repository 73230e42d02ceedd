# ruff: noqa: F821
"""Checks run in notebook 08_pitfalls's kernel after its last cell.

The names are the notebook's own; ``_FLOOR[figure]`` is the figure's floor for this run's digits
(the table in tests/checks/__init__.py).
"""

low = _FLOOR["accuracy"]
assert accuracy >= low, f"correct model: {accuracy:.4f} < {low}"
# 1 labels 1/2: the text's rule is no better than calling everything the first digit, the
# code's rule reads above 0.85, the 1/0 fix beats the text's rule by 0.3; lr 0.1 blows up
assert abs(label_12_accuracy - share_first) < 0.02, (label_12_accuracy, share_first)
# the midpoint rule: lowest 0.8465 over the 45 pairs (3 vs 5)
assert label_12_midpoint_accuracy > 0.8 and label_10_accuracy > label_12_accuracy + 0.3
assert set(train[1].unique().tolist()) == {0.0, 1.0}
assert not too_fast["valid"][-1] < 1e3  # huge, inf or nan
# 2 scaled wrongly: twice-divided scores vary < 1% as much and >= 90% get the bias's decision;
# the mean pixel of valid is within 10% of train's, the wrong ones off by 100 or more
assert shrunk_scores.std() < 0.01 * right_scores.std() and same_as_bias >= 0.9
train_mean, valid_mean = pixel_stats(train[0])[0], pixel_stats(valid[0])[0]
assert abs(valid_mean / train_mean - 1) < 0.1
assert pixel_stats(bad_valid_x[is_first[:, 0]])[1] < 0.01 < 100 < pixel_stats(bad_valid_x)[1]
if DIGITS == (3, 7):  # the prose and answers: the other sign reads above the true accuracy
    assert other_sign > accuracy and bias_value < 0
# 3 parameters redrawn: loss never below 0.45; the fixed run's last ten steps of epoch 1
# average less than half the redrawn run's
fixed_tail = sum(base["loss"][steps_per_epoch - 10:steps_per_epoch]) / 10
assert min(redrawn["loss"]) > 0.45 and fixed_tail < 0.5 * sum(redrawn["loss"][-10:]) / 10
# 4 sorted loader: one digit in a sorted first batch, 20-80% in a shuffled one; mean batch
# loss at least 1.3 times, accuracy no higher; for 3 vs 7 (the exercise's answer "c") nearly
# everything is called the first digit after epoch 1
assert first_batch_share["sorted"] in (0.0, 1.0) and 0.2 < first_batch_share["shuffled"] < 0.8
assert sorted_mean_loss > 1.3 * shuffled_mean_loss
assert sorted_accuracy <= base["valid"][BUDGET - 1]
assert only_first >= 12 and only_second >= 12  # "a long run of batches" of each digit
if DIGITS == (3, 7):
    assert sorted_calls["valid"][0] > 0.9 and max(by_kind[f"only {FIRST}s"]) < 0.01
    assert min(by_kind[f"only {SECOND}s"]) > 0.9
# 5 gradients never zeroed: gradient >= 10 times, weights >= 20 times, norm within 20% of
# the number of steps (lr 1) for 3 vs 7, more saturated, backward twice doubles, accuracy no higher
assert grad_unzeroed > 10 * grad_zeroed and norm_unzeroed > 20 * norm_zeroed
assert saturated["never zeroed"] > max(0.95, saturated["zeroed"])
if DIGITS == (3, 7):  # the prose: summed gradient of norm about 1, weight norm about the steps
    assert abs(grad_unzeroed - 1) < 0.2
    assert abs(norm_unzeroed / (BUDGET * steps_per_epoch) - 1) < 0.2
    # the prose: the unzeroed accuracy barely moves after epoch 1, the correct run's climbs
    assert unzeroed["valid"][-1] - unzeroed["valid"][0] < 0.003 < (
        base["valid"][BUDGET - 1] - base["valid"][0])
assert abs(norms[1] / norms[0] - 2) < 1e-4
assert no_zero_grad_accuracy <= base["valid"][BUDGET - 1]
# 6 logits at 0.5: scores leave [0, 1], the 0.5 rule moves images only one way, and at a
# median |score| of 0.5 it costs more than 0.03 of accuracy
assert scores.min() < 0 or scores.max() > 1
assert abs(sigmoid_accuracy - accuracy_of(scores > 0, valid[1])) <= 1 / len(scores)
assert ((scores > 0.5) & ~(scores > 0)).sum() == 0
assert by_zero == [by_zero[0]] * len(sizes) and accuracy - at_half_size > 0.03
