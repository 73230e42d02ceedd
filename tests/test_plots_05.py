import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import torch

from helpers import plots


def test_show_panels_is_legible_and_at_most_ten_inches_wide(monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    plots.show_panels(torch.randn(10, 784), titles=[f"unit {i}" for i in range(10)], ncols=5,
                      suptitle="weights", signed=True)
    plots.show_panels(torch.rand(3, 28, 28), ncols=8)
    assert len(shown) == 2
    for fig in shown:
        assert fig.get_size_inches()[0] <= 10
    titles = [ax.title for ax in shown[0].axes if ax.get_title()]
    assert len(titles) == 10 and all(t.get_fontsize() >= 9 for t in titles)
    plt.close("all")
