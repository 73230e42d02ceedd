# ruff: noqa: F821
"""Checks run in notebook 05_relu_net's kernel after its last cell.

The names are the notebook's own; ``_FLOOR[figure]`` is the figure's floor for this run's digits
(the table in tests/checks/__init__.py).
"""

relu_floor = _FLOOR["accuracy"]
assert collapse_gap < 1e-5 and linear_gap < 1e-5, "two linear layers must collapse into one"
assert relu_gap > 1e-3, "a ReLU between the layers must break the collapse"
assert sequential_gap < 1e-5, "nn.Sequential must compute what two_layer_net computes"
assert relu_params == 784 * HIDDEN + HIDDEN + HIDDEN + 1, relu_params
assert HIDDEN != 32 or relu_params == 25_153, relu_params  # the count Question 5 states
assert n_one == 785
assert hand_accuracy >= _FLOOR["hand_accuracy"], f"by-hand net: {hand_accuracy:.4f}"
assert relu_accuracy >= relu_floor, f"ReLU net {relu_accuracy:.4f} is below {relu_floor}"
assert abs(valid_accuracy - relu_accuracy) < 1e-4, "recorder and direct accuracy must agree"
gap_bound = 0.01 if set(DIGITS) == {3, 7} else 0.05  # Question 8: under one point for 3 vs 7
assert 0 <= train_accuracy - valid_accuracy < gap_bound, "overfitting should stay mild"
assert set(DIGITS) != {3, 7} or spread <= 15, f"hidden sizes: {spread:.0f} images apart"
trio, seeds = (4, HIDDEN, 128), (SEED, SEED + 1)
seed_moves = max(abs(runs[n, SEED] - runs[n, SEED + 1]) for n in trio)
size_moves = max(max(runs[n, s] for n in trio) - min(runs[n, s] for n in trio) for s in seeds)
assert set(DIGITS) != {3, 7} or seed_moves >= size_moves, "prose: a seed moves as much as a size"
assert set(DIGITS) != {3, 7} or best_size[SEED] != best_size[SEED + 1], "prose: best size flips"
assert flat_share[False] > 0.5 and flat_share[True] == 0, flat_share  # "most", then "none"
assert set(DIGITS) != {3, 7} or not set(dead) & set(shown.tolist()), "no dead unit pictured"
assert set(DIGITS) != {3, 7} or logits[:4].min() > 0, "the first four logits are positive"
assert len(history) == EPOCHS
