"""helpers.plots, in the order of the module: what each picture draws, and that each composes
(given ``ax``, it draws there and shows nothing). ``shown`` (tests/conftest.py) mutes plt.show
and holds the figures it would have shown."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers import plots
from tests.conftest import NOTEBOOKS, code_cells

pytestmark = pytest.mark.usefixtures("shown")  # no test here may reach the real plt.show


def bowl(p):
    return (p[0] - 1) ** 2 + 4 * (p[1] + 2) ** 2 + 0.5


IMG, KER = torch.arange(25.0).reshape(5, 5), torch.tensor([[1.0, 0, -1]] * 3)
OUT = torch.nn.functional.conv2d(IMG[None, None], KER[None, None])[0, 0]

# Every picture, called as a notebook would, and the number of panels (axes) it draws.
CALLS = {
    "show_digit": (1, lambda **kw: plots.show_digit(torch.rand(28, 28), title="x", **kw)),
    "show_digits": (5, lambda **kw: plots.show_digits(torch.rand(5, 28, 28), ncols=3, **kw)),
    "show_panels": (4, lambda **kw: plots.show_panels(torch.randn(4, 784), signed=True, **kw)),
    "show_weights": (3, lambda **kw: plots.show_weights(torch.randn(3, 784), **kw)),
    "weight_snapshots": (2, lambda **kw: plots.weight_snapshots(
        {"start": torch.randn(784), "end": torch.randn(784)}, **kw)),
    "pixel_grid": (1, lambda **kw: plots.pixel_grid(torch.rand(28, 28), **kw)),
    "conv_window": (3, lambda **kw: plots.conv_window(IMG, KER, OUT, 1, 2, **kw)),
    "show_feature_maps": (4, lambda **kw: plots.show_feature_maps(
        [torch.randn(3, 3)] * 2, [torch.randn(26, 26)] * 2, ["a", "b"], **kw)),
    "conv_positions": (2, lambda **kw: plots.conv_positions(5, [(1, 0), (2, 1)], **kw)),
    "training_loop": (1, lambda **kw: plots.training_loop("loss", **kw)),
    "plot_function": (1, lambda **kw: plots.plot_function(torch.sin, tangent_at=0.5, **kw)),
    "plot_curves": (1, lambda **kw: plots.plot_curves({"loss": [3, 2, 1]}, **kw)),
    "plot_smoothing": (1, lambda **kw: plots.plot_smoothing([3, 1, 2], [3, 2, 2], **kw)),
    "plot_losses_vs_p": (1, lambda **kw: plots.plot_losses_vs_p({"1 - p": lambda p: 1 - p},
                                                                 **kw)),
    "plot_schedule": (2, lambda **kw: plots.plot_schedule([0.1, 0.5], [0.9, 0.8], **kw)),
    "loss_surface": (1, lambda **kw: plots.loss_surface(bowl, (-2, 4), (-4, 1), resolution=8,
                                                         **kw)),
    "sigmoid_histograms": (2, lambda **kw: plots.sigmoid_histograms(
        {"a": torch.rand(50), "b": torch.rand(50)}, **kw)),
    "plot_histograms": (2, lambda **kw: plots.plot_histograms(
        {"x": {"a": torch.randn(100)}, "y": {"b": torch.randn(100)}}, **kw)),
}


def _drawn(ax) -> int:
    """How many things an axes holds."""
    return sum(len(group) for group in (ax.lines, ax.images, ax.patches, ax.collections,
                                        ax.texts))


# --- every picture ---


def test_every_public_picture_is_listed_here():
    public = {name for name in plots.__all__ if callable(getattr(plots, name))}
    assert public == set(CALLS)


def test_every_name_the_notebooks_import_exists():
    import ast

    wanted = set()
    for path in NOTEBOOKS:
        for src in code_cells(json.loads(path.read_text(encoding="utf-8"))):
            lines = [line.split("%")[0] + "pass" if line.lstrip().startswith("%") else line
                     for line in src.splitlines()]
            for node in ast.walk(ast.parse("\n".join(lines))):
                if isinstance(node, ast.ImportFrom) and node.module == "helpers.plots":
                    wanted |= {a.name for a in node.names}
    assert wanted and wanted <= set(plots.__all__), sorted(wanted - set(plots.__all__))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_on_its_own_shows_one_figure_of_its_panels(name, shown):
    panels, call = CALLS[name]
    call()
    assert len(shown) == 1
    used = [ax for ax in shown[0].axes if ax.axison or _drawn(ax)]
    assert len([ax for ax in used if _drawn(ax)]) >= panels
    assert shown[0].get_size_inches()[0] <= 10, "legible at GitHub's width"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_given_axes_it_draws_there_and_shows_nothing(name, shown):
    panels, call = CALLS[name]
    fig, axes = plt.subplots(1, panels + 1, squeeze=False)
    call(ax=axes[0, :panels] if panels > 1 else axes[0, 0])
    assert shown == [] and plt.get_fignums() == [fig.number], "no figure of its own"
    assert all(_drawn(ax) for ax in axes[0, :panels])
    assert _drawn(axes[0, -1]) == 0, "and nothing beside them"
    if panels > 1:
        with pytest.raises(ValueError, match=f"draws {panels} panels"):
            call(ax=axes[0, : panels - 1])


def test_pictures_compose_into_one_figure(shown):
    _, (left, right) = plt.subplots(1, 2)
    plots.show_digit(torch.rand(28, 28), title="a digit", ax=left)
    plots.plot_curves({"loss": [3, 2, 1]}, title="its loss", ax=right)
    assert [left.get_title(), right.get_title()] == ["a digit", "its loss"]
    assert len(left.images) == 1 and len(right.lines) == 1 and shown == []


def test_suptitle_asked_for_titles_the_callers_figure():
    fig, axes = plt.subplots(1, 3)
    plots.show_digits(torch.rand(3, 28, 28), suptitle="three digits", ax=axes)
    assert fig._suptitle.get_text() == "three digits"


def test_extra_axes_are_switched_off():
    _, axes = plt.subplots(2, 2)
    plots.show_digits(torch.rand(3, 28, 28), ax=axes)
    assert [ax.axison for ax in axes.flat] == [True, True, True, False]


@pytest.mark.parametrize(("call", "error"), [
    (lambda: plots.show_digit(torch.rand(3, 28, 28)), "2-D"),
    (lambda: plots.show_digits([]), "no images"),
    (lambda: plots.show_digits(torch.rand(2, 28, 28), titles=["a"]), "titles"),
    (lambda: plots.plot_curves({}), "no curves"),
    (lambda: plots.show_weights(torch.rand(3, 10)), "784"),
    (lambda: plots.training_loop("train"), "highlight must be one of"),
    (lambda: plots.plot_smoothing([1.0, 2.0], [1.0]), "equally long"),
    (lambda: plots.loss_surface(bowl, (-2, 4), (-4, 1), resolution=10, path=[[1.0, 2.0, 3.0]]),
     "pairs"),
    (lambda: plots.loss_surface(lambda p: p[0] - 10, (-2, 4), (-4, 1), resolution=10),
     "positive"),
    (lambda: plots.show_feature_maps([torch.rand(3, 3)], [], ["a"]), "as many kernels"),
    (lambda: plots.plot_histograms({"empty": {}}), "at least one tensor"),
    (lambda: plots.plot_losses_vs_p({}), "no losses"),
    (lambda: plots.plot_schedule([0.1], [0.9, 0.8]), "one momentum per batch"),
])
def test_bad_input(call, error):
    with pytest.raises(ValueError, match=error):
        call()


# --- digits and weights, as images ---


def test_show_digits_titles_and_grid(shown):
    plots.show_digits(torch.rand(5, 28, 28), titles=list("abcde"), ncols=3, suptitle="five")
    axes = shown[0].axes
    assert len(axes) == 6 and [ax.get_title() for ax in axes[:5]] == list("abcde")
    assert not axes[5].axison and shown[0]._suptitle.get_text() == "five"
    assert axes[0].images[0].get_array().shape == (28, 28)


def test_show_digit_takes_784_values_and_draws_dark_ink(shown):
    flat = torch.zeros(784)
    flat[30] = 1.0
    plots.show_digit(flat)
    image = shown[0].axes[0].images[0]
    assert image.get_array().shape == (28, 28) and image.get_cmap().name == "Greys"


def test_pixel_grid_prints_every_value(shown):
    img = torch.zeros(28, 28)
    img[5, 6] = 1.0
    plots.pixel_grid(img)
    texts = [t.get_text() for t in shown[0].axes[0].texts]
    assert len(texts) == 784 and texts.count("255") == 1 and texts.count("0") == 783


def test_show_panels_is_legible_and_at_most_ten_inches_wide(shown):
    plots.show_panels(torch.randn(10, 784), titles=[f"unit {i}" for i in range(10)], ncols=5,
                      suptitle="weights", signed=True)
    plots.show_panels(torch.rand(3, 28, 28), ncols=8)
    assert len(shown) == 2 and all(fig.get_size_inches()[0] <= 10 for fig in shown)
    titles = [ax.title for ax in shown[0].axes if ax.get_title()]
    assert len(titles) == 10 and all(t.get_fontsize() >= 9 for t in titles)


def test_show_weights_red_and_blue_on_a_symmetric_scale(shown):
    w = torch.zeros(2, 784)
    w[0, 0], w[0, 1], w[1, 5] = 2.0, -0.5, -3.0
    plots.show_weights(w)
    for ax, lim in zip(shown[0].axes, (2.0, 3.0), strict=True):
        image = ax.images[0]
        assert image.get_cmap().name == "bwr" and image.get_clim() == (-lim, lim)


def test_weight_snapshots_one_panel_each(shown):
    plots.weight_snapshots({"start": torch.randn(784, 1) * 0.01, "end": torch.randn(1, 784)})
    axes = shown[0].axes
    assert [ax.get_title() for ax in axes] == ["start", "end"]
    assert axes[0].images[0].get_array().shape == (28, 28)
    assert axes[0].get_xlabel().startswith("scale +-")


# --- what a convolution does ---


def test_conv_window_outlines_window_and_output(shown):
    plots.conv_window(IMG, KER, OUT, 1, 2)
    axes = shown[0].axes
    assert len(axes) == 3 and [ax.get_title() for ax in axes] == ["image", "filter", "output"]
    assert len(axes[0].texts) == 25 and len(axes[1].texts) == 9 and len(axes[2].texts) == 9
    assert axes[0].patches[0].get_xy() == (1.5, 0.5)  # the window at row 1, column 2
    assert axes[2].patches[0].get_width() == 1  # the one output value it makes
    assert "row 1, column 2" in shown[0]._suptitle.get_text()


def test_show_feature_maps_two_rows(shown):
    kernels = [torch.randn(3, 3) for _ in range(4)]
    maps = [torch.randn(26, 26) for _ in range(4)]
    plots.show_feature_maps(kernels, maps, list("abcd"))
    titles = [ax.get_title() for ax in shown[0].axes]
    assert titles == [*"abcd", *["its feature map"] * 4]


def test_conv_positions_counts_windows(shown):
    plots.conv_positions(7, [(1, 0), (2, 1)])
    left, right = shown[0].axes
    assert "7x7 -> 5x5" in left.get_title() and "7x7 -> 4x4" in right.get_title()
    assert len(left.lines) == 25 and len(right.lines) == 16


# --- the training loop, as a diagram ---


def test_training_loop_names_the_steps_and_fills_one(shown):
    plots.training_loop("loss")
    ax = shown[0].axes[0]
    assert set(plots.STEPS) <= {t.get_text() for t in ax.texts}
    filled = [p for p in ax.patches if matplotlib.colors.to_hex(p.get_facecolor()) == "#f28e2b"]
    assert len(filled) == 1


# --- curves and functions ---


def test_tangent_has_the_autograd_slope():
    _, ax = plt.subplots()
    plots.plot_function(lambda x: x**3, tangent_at=2.0, ax=ax)
    tangent = ax.lines[1]
    xs, ys = tangent.get_xdata(), tangent.get_ydata()
    assert (ys[-1] - ys[0]) / (xs[-1] - xs[0]) == pytest.approx(12.0, rel=1e-4)
    assert "slope 12.00" in ax.get_legend().get_texts()[1].get_text()


def test_plot_curves_one_line_per_curve_from_step_one(shown):
    plots.plot_curves({"train": [3, 2, 1], "valid": [0.5, 0.7]}, ylabel="y", ylim=(0, 4))
    ax = shown[0].axes[0]
    assert [list(line.get_xdata()) for line in ax.lines] == [[1, 2, 3], [1, 2]]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "valid"]
    assert ax.get_ylim() == (0, 4) and ax.get_xlabel() == "epoch"


def test_plot_smoothing_draws_both_curves_and_epoch_ends(shown):
    raw, smooth = [3.0, 1.0, 2.0, 0.5, 0.7, 0.4], [3.0, 2.0, 2.0, 1.6, 1.4, 1.2]
    plots.plot_smoothing(raw, smooth, batches_per_epoch=2, title="t")
    plots.plot_smoothing(raw, smooth, log=True)
    first, second = (fig.axes[0] for fig in shown)
    assert list(first.lines[0].get_ydata()) == raw and list(first.lines[1].get_ydata()) == smooth
    assert len(first.lines) == 2 + 2  # two curves, and the ends of epochs 1 and 2
    assert any("raw" in t.get_text() for t in first.get_legend().get_texts())
    assert first.get_yscale() == "linear" and second.get_yscale() == "log"


def test_plot_losses_vs_p(shown):
    plots.plot_losses_vs_p({"-log p": lambda p: -p.log(), "1 - p": lambda p: 1 - p})
    ax = shown[0].axes[0]
    assert len(ax.lines) == 2 and ax.get_ylim() == (0, 5.0)
    assert ax.lines[1].get_ydata()[-1] == pytest.approx(0.0)  # 1 - p at p = 1


def test_plot_schedule_two_panels_per_batch(shown):
    plots.plot_schedule([0.1, 0.5, 0.2], [0.95, 0.85, 0.95], title="t")
    left, right = shown[0].axes
    assert list(left.lines[0].get_ydata()) == [0.1, 0.5, 0.2]
    assert list(right.lines[0].get_ydata()) == [0.95, 0.85, 0.95]
    assert (left.get_ylabel(), right.get_ylabel()) == ("learning rate", "momentum")
    assert shown[0]._suptitle.get_text() == "t"


def test_loss_surface_draws_contours_and_the_path(shown):
    path = [torch.tensor([3.0, 0.0]), torch.tensor([2.0, -1.0]), torch.tensor([1.0, -2.0])]
    plots.loss_surface(bowl, (-2, 4), (-4, 1), path=path, resolution=20)
    ax = shown[0].axes[0]
    lines = [line.get_xydata().tolist() for line in ax.lines]
    assert lines == [[[3.0, 0.0], [2.0, -1.0], [1.0, -2.0]], [[3.0, 0.0]], [[1.0, -2.0]]]
    assert len(ax.collections) >= 1 and shown[0].axes[1].get_ylabel() == "loss"  # colour bar


def test_loss_surface_without_a_path(shown):
    plots.loss_surface(bowl, (-2, 4), (-4, 1), resolution=10, title="bowl")
    ax = shown[0].axes[0]
    assert len(ax.lines) == 0 and ax.get_legend() is None and len(ax.collections) >= 1
    assert ax.get_title() == "bowl" and ax.get_xlim() == (-2, 4)


# --- histograms ---


def test_sigmoid_histograms_share_on_the_flat_ends(shown):
    ends = torch.tensor([0.001, 0.5, 0.995, 0.6])  # half of them on a flat end
    middle = torch.full((10,), 0.5)
    plots.sigmoid_histograms({"a": ends, "b": middle}, suptitle="s")
    axes = shown[0].axes
    assert len(axes) == 2 and axes[0].get_xlim() == (0.0, 1.0)
    assert "50.0% on a flat end" in axes[0].get_title()
    assert "0.0% on a flat end" in axes[1].get_title()
    assert all(ax.title.get_fontsize() >= 9 for ax in axes)


def test_plot_histograms_titles_mean_and_std(shown):
    plots.plot_histograms({"before": {"a": torch.randn(1000) * 3 + 2, "b": torch.randn(1000) - 1},
                           "after": {"a": torch.randn(1000)}})
    left, right = shown[0].axes
    assert left.get_title() == "before" and len(left.patches) == 2 and len(right.patches) == 1
    assert "mean" in left.get_legend().get_texts()[0].get_text()
    assert left.get_ylabel() == "count (log scale)"


def test_images_take_numpy_too(shown):
    plots.show_digits(np.random.rand(2, 28, 28))
    assert len(shown[0].axes) == 2
