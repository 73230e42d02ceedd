"""Notebook 06's pictures: each draws without error, returns None and shows what it says."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from helpers import plots


@pytest.fixture
def shown(monkeypatch):
    """The figures each call shows (plt.show is replaced by a recorder)."""
    figures = []
    monkeypatch.setattr(plt, "show", lambda: figures.append(plt.gcf()))
    yield figures
    plt.close("all")


def test_conv_window_outlines_window_and_output(shown):
    img, ker = torch.arange(25.0).reshape(5, 5), torch.tensor([[1.0, 0, -1]] * 3)
    out = torch.nn.functional.conv2d(img[None, None], ker[None, None])[0, 0]
    assert plots.conv_window(img, ker, out, 1, 2) is None
    axes = shown[0].axes
    assert len(axes) == 3
    assert len(axes[0].texts) == 25 and len(axes[1].texts) == 9 and len(axes[2].texts) == 9
    assert axes[0].patches[0].get_xy() == (1.5, 0.5)  # the window at row 1, column 2


def test_show_feature_maps_two_rows(shown):
    kernels = [torch.randn(3, 3) for _ in range(4)]
    maps = [torch.randn(26, 26) for _ in range(4)]
    assert plots.show_feature_maps(kernels, maps, list("abcd")) is None
    assert len(shown[0].axes) == 8 and shown[0].get_size_inches()[0] <= 10
    with pytest.raises(ValueError):
        plots.show_feature_maps(kernels, maps[:2], list("abcd"))


def test_conv_positions_counts_windows(shown):
    assert plots.conv_positions(7, [(1, 0), (2, 1)]) is None
    left, right = shown[0].axes
    assert "7x7 -> 5x5" in left.get_title() and "7x7 -> 4x4" in right.get_title()
    assert len(left.lines) == 25 and len(right.lines) == 16


def test_plot_histograms_titles_mean_and_std(shown):
    assert plots.plot_histograms({"before": {"a": torch.randn(1000) * 3 + 2,
                                             "b": torch.randn(1000) - 1},
                                  "after": {"a": torch.randn(1000)}}) is None
    left, right = shown[0].axes
    assert left.get_title() == "before" and len(left.patches) == 2 and len(right.patches) == 1
    assert "mean" in left.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError):
        plots.plot_histograms({"empty": {}})


def test_plot_losses_vs_p(shown):
    assert plots.plot_losses_vs_p({"-log p": lambda p: -p.log(), "1 - p": lambda p: 1 - p}) is None
    assert len(shown[0].axes[0].lines) == 2


def test_plot_schedule(shown):
    assert plots.plot_schedule([0.1, 0.5, 0.2], [0.95, 0.85, 0.95], title="t") is None
    with pytest.raises(ValueError):
        plots.plot_schedule([0.1], [0.9, 0.8])
