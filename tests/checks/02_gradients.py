# ruff: noqa: F821
"""Checks run in notebook 02_gradients's kernel after its last cell.

The names are the notebook's own; ``_FLOOR[figure]`` is the figure's floor for this run's digits
(the table in tests/checks/__init__.py).
"""

# autograd agrees with central differences, to a few billionths on f
assert torch.allclose(fd_auto, fd_numeric, rtol=1e-6, atol=1e-7), fd_error
assert fd_error < 1e-8, fd_error
assert torch.allclose(fit_auto, fit_numeric, rtol=1e-6, atol=1e-6), (fit_auto, fit_numeric)
assert abs((1.1**3 - 0.9**3) / 0.2 - 3.01) < 1e-9  # exercise 1's example
# learning rates on the parabola: 0.05 slow, 0.3 converges, 1.0 bounces, 1.1 diverges
assert (walks["too small"][-1] - 2).abs() > 1, walks["too small"]
assert (walks["about right"][-1] - 2).abs() < 0.01, walks["about right"]
assert descend(g, -1.0, 1.0, steps=6).tolist() == [-1, 5, -1, 5, -1, 5, -1]
distance = (walks["too large"] - 2).abs()
assert (distance[1:] > distance[:-1]).all(), distance
# the tea fit's first gradient: both slopes positive; the guess 9 to 12.5 degrees too warm late on
assert (fit_auto > 0).all(), fit_auto
too_warm = (predict(guess) - readings)[[18, 24, 30]]
assert ((too_warm > 9) & (too_warm < 12.5)).all(), too_warm
assert too_warm_at > len(minutes) / 2, too_warm_at
# the start temperature first goes down, then ends above the guess
assert visited[1][0] < visited[0][0] < visited[-1][0], (visited[0], visited[1], visited[-1])
# the fit learns, flattens out by step 40, and ends at the noise floor near the true values
assert losses[1] < losses[0], losses[:2]
assert final_loss < 0.05 * initial_loss, (initial_loss, final_loss)
assert losses[40] - final_loss < 0.05, (losses[40], final_loss)
assert final_loss <= true_loss < 2 * NOISE**2, (final_loss, true_loss)
assert abs(params[0].item() - TRUE_START) < 2 and abs(params[1].item() - TRUE_HALF_LIFE) < 2
assert accuracy >= 0.9, accuracy
# the bug: no trend, and far above the fixed loop
first, last = sum(bug_losses[:20]) / 20, sum(bug_losses[-20:]) / 20
assert last > 0.5 * first, (first, last)
assert min(bug_losses) > 5 * final_loss, (min(bug_losses), final_loss)
# figures the questions' answers quote (printed above), to the digits they quote
assert len(minutes) == 31
assert abs(fd_error - 3.3e-9) < 0.05e-9, fd_error
assert abs(final_loss - 1.19) < 0.005 and abs(true_loss - 1.32) < 0.005, (final_loss, true_loss)
assert abs(params[0].item() - 85.62) < 0.005, params
assert abs(bug_losses[0] - 821.2) < 0.05 and abs(bug_losses[-1] - 342.7) < 0.05, bug_losses
