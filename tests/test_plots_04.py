"""The picture notebook 04 adds to helpers.plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from helpers import plots


def test_plot_smoothing_draws_both_curves_and_epoch_ends(monkeypatch):
    seen = {}

    def keep():
        ax = plt.gca()
        seen["lines"] = [line.get_ydata() for line in ax.lines]
        seen["labels"] = [t.get_text() for t in ax.get_legend().get_texts()]
        seen["yscale"] = ax.get_yscale()
        plt.close("all")

    monkeypatch.setattr(plt, "show", keep)
    raw, smooth = [3.0, 1.0, 2.0, 0.5, 0.7, 0.4], [3.0, 2.0, 2.0, 1.6, 1.4, 1.2]
    assert plots.plot_smoothing(raw, smooth, batches_per_epoch=2, title="t") is None
    assert list(seen["lines"][0]) == raw and list(seen["lines"][1]) == smooth
    assert len(seen["lines"]) == 2 + 2  # two curves, and the ends of epochs 1 and 2
    assert any("raw" in label for label in seen["labels"])
    assert seen["yscale"] == "linear"
    plots.plot_smoothing(raw, smooth, log=True)
    assert seen["yscale"] == "log"


def test_plot_smoothing_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="equally long"):
        plots.plot_smoothing([1.0, 2.0], [1.0])
