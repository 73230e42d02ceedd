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


def test_plots_draw_and_return_nothing():
    img = torch.rand(28, 28)
    assert plots.show_digit(img, title="x") is None
    assert plots.show_digits(torch.rand(5, 28, 28), titles=list("abcde"), ncols=3) is None
    assert plots.plot_function(lambda x: x**2, tangent_at=1.0) is None
    assert plots.plot_curves({"loss": [3, 2, 1]}) is None
    assert plots.show_weights(torch.randn(4, 784)) is None


def test_tangent_has_the_autograd_slope():
    _, ax = plt.subplots()
    plots.plot_function(lambda x: x**3, tangent_at=2.0, ax=ax)
    tangent = ax.lines[1]
    xs, ys = tangent.get_xdata(), tangent.get_ydata()
    slope = (ys[-1] - ys[0]) / (xs[-1] - xs[0])
    assert slope == pytest.approx(12.0, rel=1e-4)


def test_pixel_grid_prints_every_value(monkeypatch):
    import matplotlib.pyplot as plt

    texts = []
    monkeypatch.setattr(plt, "show", lambda: (texts.extend(
        t.get_text() for t in plt.gca().texts), plt.close("all")))
    img = torch.zeros(28, 28)
    img[5, 6] = 1.0
    plots.pixel_grid(img)
    assert len(texts) == 784 and texts.count("255") == 1 and texts.count("0") == 783


def test_training_loop_names_the_steps(monkeypatch):
    import matplotlib.pyplot as plt

    texts = []
    monkeypatch.setattr(plt, "show", lambda: (texts.extend(
        t.get_text() for t in plt.gca().texts), plt.close("all")))
    plots.training_loop("loss")
    assert set(plots.STEPS) <= set(texts)
    with pytest.raises(ValueError, match="highlight must be one of"):
        plots.training_loop("train")


@pytest.mark.parametrize(("call", "error"), [
    (lambda: plots.show_digit(torch.rand(3, 28, 28)), "2-D"),
    (lambda: plots.show_digits([]), "no images"),
    (lambda: plots.show_digits(torch.rand(2, 28, 28), titles=["a"]), "titles"),
    (lambda: plots.plot_curves({}), "no curves"),
    (lambda: plots.show_weights(torch.rand(3, 10)), "784"),
])
def test_bad_input(call, error):
    with pytest.raises(ValueError, match=error):
        call()
