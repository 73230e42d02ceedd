"""The loss-surface picture of notebook 02."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from helpers import plots


def bowl(p):
    return (p[0] - 1) ** 2 + 4 * (p[1] + 2) ** 2 + 0.5


def test_loss_surface_draws_contours_and_the_path(monkeypatch):
    seen = {}

    def keep():
        ax = plt.gcf().axes[0]
        seen["lines"] = [line.get_xydata() for line in ax.lines]
        seen["contours"] = len(ax.collections)
        plt.close("all")

    monkeypatch.setattr(plt, "show", keep)
    path = [torch.tensor([3.0, 0.0]), torch.tensor([2.0, -1.0]), torch.tensor([1.0, -2.0])]
    assert plots.loss_surface(bowl, (-2, 4), (-4, 1), path=path, resolution=20) is None
    assert seen["contours"] >= 1
    assert seen["lines"][0].tolist() == [[3.0, 0.0], [2.0, -1.0], [1.0, -2.0]]  # the path
    assert seen["lines"][1].tolist() == [[3.0, 0.0]]  # start
    assert seen["lines"][2].tolist() == [[1.0, -2.0]]  # end


def test_loss_surface_without_a_path():
    assert plots.loss_surface(bowl, (-2, 4), (-4, 1), resolution=10, title="bowl") is None
    plt.close("all")


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"path": [[1.0, 2.0, 3.0]]}, "pairs"),
    ({"path": None, "loss": lambda p: p[0] - 10}, "positive"),
])
def test_loss_surface_bad_input(kwargs, error):
    loss = kwargs.pop("loss", bowl)
    with pytest.raises(ValueError, match=error):
        plots.loss_surface(loss, (-2, 4), (-4, 1), resolution=10, **kwargs)
    plt.close("all")
