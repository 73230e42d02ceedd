"""The pictures notebook 03 adds to helpers.plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from helpers import plots


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_sigmoid_histograms_share_on_the_flat_ends(monkeypatch):
    figs = []
    monkeypatch.setattr(plt, "show", lambda: figs.append(plt.gcf()))
    ends = torch.tensor([0.001, 0.5, 0.995, 0.6])  # half of them on a flat end
    middle = torch.full((10,), 0.5)
    assert plots.sigmoid_histograms({"a": ends, "b": middle}, suptitle="s") is None
    axes = figs[0].axes
    assert len(axes) == 2 and axes[0].get_xlim() == (0.0, 1.0)
    assert "50.0% on a flat end" in axes[0].get_title()
    assert "0.0% on a flat end" in axes[1].get_title()
    assert all(ax.title.get_fontsize() >= 9 for ax in axes)


def test_weight_snapshots_one_panel_each(monkeypatch):
    figs = []
    monkeypatch.setattr(plt, "show", lambda: figs.append(plt.gcf()))
    snaps = {"start": torch.randn(784, 1) * 0.01, "end": torch.randn(1, 784)}
    assert plots.weight_snapshots(snaps) is None
    axes = figs[0].axes
    assert [ax.get_title() for ax in axes] == ["start", "end"]
    assert axes[0].images[0].get_array().shape == (28, 28)
    assert figs[0].get_size_inches()[0] <= 10
