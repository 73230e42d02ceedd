"""Pictures for the notebooks: digits, pixel heat-maps, functions with tangents, curves, weights.

Every function draws and shows its figure and returns None, so a notebook cell that ends with
one prints no object reprs (strict nbval compares text output).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

__all__ = [
    "pixel_heatmap",
    "plot_curves",
    "plot_function",
    "show_digit",
    "show_digits",
    "show_weights",
]

Image = torch.Tensor | np.ndarray


def _as_image(img: Image) -> np.ndarray:
    arr = img.detach().cpu().numpy() if isinstance(img, torch.Tensor) else np.asarray(img)
    if arr.size == 784 and arr.shape != (28, 28):
        arr = arr.reshape(28, 28)
    if arr.ndim != 2:
        raise ValueError(f"an image must be 2-D (or 784 values), not shape {arr.shape}")
    return arr


def _draw(ax: plt.Axes, img: Image, title: str | None = None, **kw) -> None:
    ax.imshow(_as_image(img), cmap=kw.pop("cmap", "Greys"), **kw)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=8)


def _grid(n: int, ncols: int, size: float, aspect: float, suptitle: str | None,
          draw: Callable[[int, plt.Axes], None]) -> None:
    """Lay out n panels in rows of ncols, draw panel i with draw(i, ax), and show the figure."""
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * aspect),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < n:
            draw(i, ax)
        else:
            ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    plt.show()


def show_digit(img: Image, title: str | None = None, size: float = 2.5) -> None:
    """One digit, dark ink on white."""
    _, ax = plt.subplots(figsize=(size, size))
    _draw(ax, img, title)
    plt.show()


def show_digits(imgs: Sequence[Image] | torch.Tensor, titles: Sequence[str] | None = None,
                ncols: int = 8, size: float = 1.3, suptitle: str | None = None) -> None:
    """A grid of digits, each with an optional title."""
    n = len(imgs)
    if n == 0:
        raise ValueError("no images to show")
    if titles is not None and len(titles) != n:
        raise ValueError(f"{len(titles)} titles for {n} images")
    _grid(n, ncols, size, 1.3, suptitle,
          lambda i, ax: _draw(ax, imgs[i], None if titles is None else titles[i]))


def pixel_heatmap(img: Image, rows: slice = slice(4, 16), cols: slice = slice(4, 22)) -> None:
    """A digit's pixel values as a table shaded like the image (pandas Styler)."""
    import pandas as pd
    from IPython.display import display

    arr = _as_image(img)
    scale = 255 if arr.max() <= 1 else 1  # show 0-255 integers, as stored in the PNG
    df = pd.DataFrame(np.rint(arr * scale).astype(int)).iloc[rows, cols]
    styler = (df.style.set_uuid("pixels").background_gradient(cmap="Greys", vmin=0, vmax=255)
              .set_table_styles([{"selector": "td, th", "props": "font-size: 7pt; padding: 2px"}]))
    display({"text/html": styler.to_html(), "text/plain": df.to_string()}, raw=True)


def plot_function(f: Callable[[torch.Tensor], torch.Tensor], xmin: float = -2.0,
                  xmax: float = 2.0, tangent_at: float | None = None, title: str | None = None,
                  xlabel: str = "x", ylabel: str = "y", ax: plt.Axes | None = None) -> None:
    """Plot ``f`` on [xmin, xmax]; with ``tangent_at``, its tangent there (slope by autograd)."""
    own = ax is None
    if own:
        _, ax = plt.subplots(figsize=(5, 3.2))
    x = torch.linspace(xmin, xmax, 200)
    with torch.no_grad():
        ax.plot(x.numpy(), f(x).numpy(), label="f(x)")
    if tangent_at is not None:
        x0 = torch.tensor(float(tangent_at), requires_grad=True)
        y0 = f(x0)
        y0.backward()
        slope, at, height = x0.grad.item(), x0.item(), y0.item()
        ax.plot(x.numpy(), (height + slope * (x - at)).numpy(), "--",
                label=f"tangent at x={tangent_at:g} (slope {slope:.2f})")
        ax.plot([at], [height], "o", color="C3")
        ax.legend(fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if own:
        plt.show()


def plot_curves(curves: Mapping[str, Sequence[float]], xlabel: str = "epoch",
                ylabel: str = "", title: str | None = None, ylim: tuple | None = None) -> None:
    """Several named curves (e.g. train loss, valid accuracy) against their step number."""
    if not curves:
        raise ValueError("no curves to plot")
    _, ax = plt.subplots(figsize=(6, 3.2))
    for label, values in curves.items():
        values = [float(v) for v in values]
        ax.plot(range(1, len(values) + 1), values, marker="." if len(values) < 60 else None,
                label=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    plt.show()


def show_weights(weights: torch.Tensor | np.ndarray, ncols: int = 10,
                 titles: Sequence[str] | None = None, size: float = 1.2,
                 suptitle: str | None = None) -> None:
    """Weights of units that read 784 pixels, each drawn as a 28x28 image.

    Red marks pixels that push a unit's output up, blue those that push it down; each image
    has its own symmetric colour scale.
    """
    w = weights.detach().cpu().numpy() if isinstance(weights, torch.Tensor) else np.asarray(
        weights)
    w = w.reshape(-1, 784) if w.size % 784 == 0 else w
    if w.ndim != 2 or w.shape[1] != 784:
        raise ValueError(f"weights must hold 784 values per unit, not shape {w.shape}")
    def draw_unit(i: int, ax: plt.Axes) -> None:
        lim = float(np.abs(w[i]).max()) or 1.0
        _draw(ax, w[i].reshape(28, 28), None if titles is None else titles[i],
              cmap="bwr", vmin=-lim, vmax=lim)

    _grid(len(w), ncols, size, 1.1, suptitle, draw_unit)
