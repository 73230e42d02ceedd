"""Pictures for the notebooks, grouped by what they draw: digits and weights as images, what a
convolution does, the training loop as a diagram, curves and functions, histograms.

Each function draws a new figure and shows it, and returns None, so a notebook cell that ends
with one prints no object reprs (strict nbval compares text output). Given ``ax``, it draws into
the caller's axes instead (one ``Axes``, or a sequence of as many as it draws panels, in reading
order; any extra ones are switched off) and leaves the figure's layout and showing to the caller,
so pictures compose: ``fig, (a, b) = plt.subplots(1, 2); show_digit(x, ax=a);
plot_curves(c, ax=b); plt.show()``. A ``suptitle`` asked for still titles that figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import pairwise

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

__all__ = [
    "STEPS",
    "conv_positions",
    "conv_window",
    "loss_surface",
    "pixel_grid",
    "plot_curves",
    "plot_function",
    "plot_histograms",
    "plot_losses_vs_p",
    "plot_schedule",
    "plot_smoothing",
    "show_digit",
    "show_digits",
    "show_feature_maps",
    "show_panels",
    "show_weights",
    "sigmoid_histograms",
    "training_loop",
    "weight_snapshots",
]

Image = torch.Tensor | np.ndarray
Axes = plt.Axes | Sequence[plt.Axes] | np.ndarray


# --- the idioms every picture shares ---


def _numpy(values: Image) -> np.ndarray:
    return values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(
        values)


def _as_image(img: Image) -> np.ndarray:
    arr = _numpy(img)
    if arr.size == 784 and arr.shape != (28, 28):
        arr = arr.reshape(28, 28)
    if arr.ndim != 2:
        raise ValueError(f"an image must be 2-D (or 784 values), not shape {arr.shape}")
    return arr


def _signed(values: np.ndarray) -> dict:
    """Red for positive, blue for negative, on a scale symmetric about zero."""
    lim = float(np.abs(values).max()) or 1.0
    return {"cmap": "bwr", "vmin": -lim, "vmax": lim}


def _draw(ax: plt.Axes, img: Image, title: str | None = None, **kw) -> None:
    """An image without ticks, dark ink on white unless ``cmap`` says otherwise."""
    ax.imshow(_as_image(img), cmap=kw.pop("cmap", "Greys"), **kw)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=9)


@contextmanager
def _one(ax: plt.Axes | None, figsize: tuple[float, float]) -> Iterator[plt.Axes]:
    """The axes to draw on: ``ax``, or a new figure's, shown when the block ends."""
    if ax is not None:
        yield ax
        return
    _, own = plt.subplots(figsize=figsize)
    yield own
    plt.show()


@contextmanager
def _panels(ax: Axes | None, n: int, nrows: int, ncols: int, figsize: tuple[float, float],
            suptitle: str | None = None, fontsize: float | None = None,
            **subplots) -> Iterator[list[plt.Axes]]:
    """``n`` axes in reading order: the caller's ``ax`` (at least ``n``), or a new figure's
    ``nrows`` x ``ncols``, which gets ``suptitle``, a tight layout and plt.show when the block
    ends. Axes beyond ``n`` are switched off."""
    if ax is None:
        fig, grid = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **subplots)
        axes = list(grid.flat)
    else:
        axes = list(np.asarray(ax, dtype=object).ravel())
        if len(axes) < n:
            raise ValueError(f"this picture draws {n} panels: give as many axes, not {len(axes)}")
        fig = axes[0].figure
    for extra in axes[n:]:
        extra.axis("off")
    yield axes[:n]
    if suptitle:
        fig.suptitle(suptitle, **({} if fontsize is None else {"fontsize": fontsize}))
    if ax is None:
        fig.tight_layout()
        plt.show()


def _grid(n: int, ncols: int, size: float, aspect: float, suptitle: str | None,
          draw: Callable[[int, plt.Axes], None], ax: Axes | None = None) -> None:
    """Lay out n panels in rows of ncols and draw panel i with draw(i, ax)."""
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    with _panels(ax, n, nrows, ncols, (size * ncols, size * nrows * aspect), suptitle) as axes:
        for i, one in enumerate(axes):
            draw(i, one)


# --- digits and weights, as images ---


def show_digit(img: Image, title: str | None = None, size: float = 2.5,
               ax: plt.Axes | None = None) -> None:
    """One digit, dark ink on white."""
    with _one(ax, (size, size)) as ax:
        _draw(ax, img, title)


def show_digits(imgs: Sequence[Image] | torch.Tensor, titles: Sequence[str] | None = None,
                ncols: int = 8, size: float = 1.3, suptitle: str | None = None,
                ax: Axes | None = None) -> None:
    """A grid of digits, each with an optional title."""
    n = len(imgs)
    if n == 0:
        raise ValueError("no images to show")
    if titles is not None and len(titles) != n:
        raise ValueError(f"{len(titles)} titles for {n} images")
    _grid(n, ncols, size, 1.3, suptitle,
          lambda i, one: _draw(one, imgs[i], None if titles is None else titles[i]), ax)


def show_panels(images: Sequence[Image] | torch.Tensor, titles: Sequence[str] | None = None,
                ncols: int = 6, suptitle: str | None = None, signed: bool = False,
                fontsize: float = 11, width: float = 9.5, ax: Axes | None = None) -> None:
    """28x28 images (or rows of 784 values) in rows of ``ncols``, legible at GitHub's ~900 px.

    The figure is ``width`` inches wide whatever ``ncols`` is, and titles are ``fontsize`` points
    (each row gets the height its titles need). ``signed=True`` draws weights rather than digits:
    red where a value is positive, blue where it is negative, each panel on its own symmetric
    scale.
    """
    arrays = [_as_image(img) for img in images]
    size = width / min(ncols, len(arrays))
    lines = max((t.count("\n") + 1 for t in titles), default=0) if titles is not None else 0
    aspect = 1.15 + lines * 2.2 * fontsize / 72 / size  # room for the title lines above each

    def draw(i: int, one: plt.Axes) -> None:
        _draw(one, arrays[i], **(_signed(arrays[i]) if signed else {}))
        if titles is not None:
            one.set_title(titles[i], fontsize=fontsize)

    with plt.rc_context({"figure.titlesize": fontsize + 1}):
        _grid(len(arrays), ncols, size, aspect, suptitle, draw, ax)


def show_weights(weights: torch.Tensor | np.ndarray, ncols: int = 10,
                 titles: Sequence[str] | None = None, size: float = 1.2,
                 suptitle: str | None = None, ax: Axes | None = None) -> None:
    """Weights of units that read 784 pixels, each drawn as a 28x28 image.

    Red marks pixels that push a unit's output up, blue those that push it down; each image
    has its own symmetric colour scale.
    """
    w = _numpy(weights)
    w = w.reshape(-1, 784) if w.size % 784 == 0 else w
    if w.ndim != 2 or w.shape[1] != 784:
        raise ValueError(f"weights must hold 784 values per unit, not shape {w.shape}")
    show_panels(w, titles, ncols, suptitle, signed=True, fontsize=10,
                width=size * min(ncols, len(w)), ax=ax)


def weight_snapshots(snapshots: Mapping[str, torch.Tensor | np.ndarray],
                     size: float = 2.3, suptitle: str | None = None,
                     ax: Axes | None = None) -> None:
    """The 784 weights of a linear model as a 28x28 image, once per snapshot, in a row.

    Red pixels push the score up, blue ones down; each image has its own symmetric colour scale
    (printed under it), so a pattern shows however small the weights still are.
    """
    n = len(snapshots)
    with _panels(ax, n, 1, n, (size * n, size * 1.2), suptitle, 11) as axes:
        for one, (label, w) in zip(axes, snapshots.items(), strict=True):
            img = _as_image(w)
            scale = _signed(img)
            _draw(one, img, **scale)
            one.set_title(label, fontsize=10)
            one.set_xlabel(f"scale +-{scale['vmax']:.2g}", fontsize=9)


def pixel_grid(img: Image, size: float = 9.0, ax: plt.Axes | None = None) -> None:
    """A whole digit drawn large, each pixel's 0-255 value printed on it.

    An image rather than a styled table, so it reads the same on GitHub, in JupyterLab and in
    Colab, whether or not the notebook was re-run (they strip a table's CSS shading).
    """
    arr = _as_image(img)
    values = np.rint(arr * 255).astype(int) if arr.max() <= 1 else np.rint(arr).astype(int)
    rows, cols = values.shape
    with _one(ax, (size, size * rows / cols)) as ax:
        ax.imshow(values, cmap="Greys", vmin=0, vmax=255)
        for (r, c), v in np.ndenumerate(values):
            ax.text(c, r, str(v), ha="center", va="center", fontsize=size * 0.62,
                    color="white" if v > 128 else "black" if v else "#bbbbbb")
        ax.set_xticks(range(0, cols, 4))
        ax.set_yticks(range(0, rows, 4))
        ax.tick_params(labelsize=8, length=0)
        ax.set_xlabel("column")
        ax.set_ylabel("row")


# --- what a convolution does ---


def _annotate(ax: plt.Axes, values: np.ndarray, fmt: str = "{:g}") -> None:
    """Write each value in its cell, dark on light cells and light on dark ones."""
    lim = float(np.abs(values).max()) or 1.0
    for (r, c), v in np.ndenumerate(values):
        ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=9,
                color="white" if abs(v) > 0.6 * lim else "black")


def conv_window(image: Image, kernel: Image, output: Image, row: int, col: int,
                size: float = 9.0, ax: Axes | None = None) -> None:
    """One step of a convolution: the 3x3 window of ``image`` at (row, col), the ``kernel``,
    and the ``output`` map with the one value that window produces outlined. Its own figure
    gets a caption saying so; with ``ax`` (three axes), the caption is the caller's."""
    from matplotlib.patches import Rectangle

    img, ker, out = (np.asarray(_as_image(a), dtype=float) for a in (image, kernel, output))
    kh, kw = ker.shape
    caption = (f"window at row {row}, column {col}: multiply cell by cell, then add up"
               if ax is None else None)
    panels = [(img, "image", (row, col, kh, kw)), (ker, "filter", None),
              (out, "output", (row, col, 1, 1))]
    with _panels(ax, 3, 1, 3, (size, size * 0.4), caption, 11,
                 gridspec_kw={"width_ratios": [img.shape[1], kw + 1, out.shape[1]]}) as axes:
        for one, (values, title, box) in zip(axes, panels, strict=True):
            scale = _signed(values) if values.min() < 0 else {
                "cmap": "Greys", "vmin": 0, "vmax": float(np.abs(values).max()) or 1.0}
            _draw(one, values, **scale)
            _annotate(one, values)
            if box is not None:
                r, c, h, w = box
                one.add_patch(Rectangle((c - 0.5, r - 0.5), w, h, fill=False,
                                        edgecolor="#f28e2b", linewidth=3))
            one.set_title(title, fontsize=11)


def show_feature_maps(kernels: Sequence[Image], maps: Sequence[Image],
                      titles: Sequence[str], size: float = 2.0, ax: Axes | None = None) -> None:
    """Filters in the top row (red positive, blue negative) and the feature map each one
    produces in the row below, on the same colour rule. With ``ax``: the filters' axes first,
    then the maps'."""
    if not (len(kernels) == len(maps) == len(titles)) or len(kernels) == 0:
        raise ValueError("give as many kernels, maps and titles, at least one of each")
    n = len(kernels)
    width = min(size * n, 10.0)
    with _panels(ax, 2 * n, 2, n, (width, width / n * 2.1)) as axes:
        for i in range(n):
            for one, values, label in ((axes[i], kernels[i], titles[i]),
                                       (axes[n + i], maps[i], "its feature map")):
                arr = _as_image(values)
                _draw(one, arr, None, **_signed(arr))
                one.set_title(label, fontsize=9)


def conv_positions(n: int, settings: Sequence[tuple[int, int]], kernel_size: int = 3,
                   size: float = 3.2, ax: Axes | None = None) -> None:
    """Where a ``kernel_size`` filter lands on an n x n image, for each (stride, padding) in
    ``settings``: image cells grey, padding white, a dot at the centre of every window, the
    first window outlined."""
    from matplotlib.patches import Rectangle

    k = len(settings)
    with _panels(ax, k, 1, k, (min(size * k, 10.0), size)) as axes:
        for one, (stride, padding) in zip(axes, settings, strict=True):
            full = n + 2 * padding
            for r in range(full):
                for c in range(full):
                    inside = padding <= r < padding + n and padding <= c < padding + n
                    one.add_patch(Rectangle((c, r), 1, 1,
                                            facecolor="#cccccc" if inside else "white",
                                            edgecolor="#888888", linewidth=0.8,
                                            linestyle="-" if inside else "--"))
            starts = range(0, full - kernel_size + 1, stride)
            for r in starts:
                for c in starts:
                    one.plot(c + kernel_size / 2, r + kernel_size / 2, "o", color="#f28e2b",
                             markersize=6)
            one.add_patch(Rectangle((0, 0), kernel_size, kernel_size, fill=False,
                                    edgecolor="#b35900", linewidth=2.5))
            out = len(starts)
            one.set_title(f"stride {stride}, padding {padding}: {n}x{n} -> {out}x{out}",
                          fontsize=10)
            one.set_xlim(-0.2, full + 0.2)
            one.set_ylim(full + 0.2, -0.2)
            one.set_aspect("equal")
            one.axis("off")


# --- the training loop, as a diagram ---

STEPS = ("initialise", "predict", "loss", "gradient", "step", "repeat", "stop")


def training_loop(highlight: str | None = None, size: float = 7.5,
                  ax: plt.Axes | None = None) -> None:
    """The seven steps as one picture: a loop from predict to step, entered once by initialise
    and left by stop. ``highlight`` (one of :data:`STEPS`) fills that step's box."""
    if highlight is not None and highlight not in STEPS:
        raise ValueError(f"highlight must be one of {STEPS}, not {highlight!r}")
    from matplotlib.patches import FancyBboxPatch

    where = {"initialise": (0.0, 1.0), "predict": (1.5, 1.0), "loss": (3.0, 1.0),
             "gradient": (4.5, 1.0), "step": (6.0, 1.0), "repeat": (3.75, 0.0),
             "stop": (7.5, 0.0)}
    with _one(ax, (size, size * 0.42)) as ax:
        for name, (x, y) in where.items():
            on = name == highlight
            ax.add_patch(FancyBboxPatch((x - 0.6, y - 0.25), 1.2, 0.5,
                                        boxstyle="round,pad=0.05",
                                        facecolor="#f28e2b" if on else "#eeeeee",
                                        edgecolor="#b35900" if on else "#888888",
                                        linewidth=2 if on else 1))
            ax.text(x, y, name, ha="center", va="center", fontsize=11,
                    fontweight="bold" if on else "normal")
        arrow = {"arrowstyle": "-|>", "color": "#555555", "lw": 1.3}
        for a, b in pairwise(STEPS[:5]):
            ax.annotate("", xy=(where[b][0] - 0.65, 1.0), xytext=(where[a][0] + 0.65, 1.0),
                        arrowprops=arrow)
        ax.annotate("", xy=(4.1, 0.33), xytext=(6.0, 0.7),
                    arrowprops={**arrow, "connectionstyle": "arc3,rad=-0.3"})
        ax.annotate("", xy=(1.5, 0.7), xytext=(3.1, 0.0),
                    arrowprops={**arrow, "connectionstyle": "arc3,rad=-0.3"})
        ax.annotate("", xy=(6.85, 0.0), xytext=(4.4, 0.0), arrowprops=arrow)
        ax.text(5.6, -0.12, "good enough?", fontsize=9, color="#555555", ha="center", va="top")
        ax.text(2.0, 0.2, "next batch", fontsize=9, color="#555555", ha="right")
        ax.set_xlim(-0.8, 8.3)
        ax.set_ylim(-0.5, 1.45)
        ax.axis("off")


# --- curves and functions ---


def _labels(ax: plt.Axes, xlabel: str | None, ylabel: str | None, title: str | None) -> None:
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)


def plot_function(f: Callable[[torch.Tensor], torch.Tensor], xmin: float = -2.0,
                  xmax: float = 2.0, tangent_at: float | None = None, title: str | None = None,
                  xlabel: str = "x", ylabel: str = "y", ax: plt.Axes | None = None) -> None:
    """Plot ``f`` on [xmin, xmax]; with ``tangent_at``, its tangent there (slope by autograd)."""
    with _one(ax, (5, 3.2)) as ax:
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
            ax.legend(fontsize=9)
        _labels(ax, xlabel, ylabel, title)


def plot_curves(curves: Mapping[str, Sequence[float]], xlabel: str = "epoch",
                ylabel: str = "", title: str | None = None, ylim: tuple | None = None,
                ax: plt.Axes | None = None) -> None:
    """Several named curves (e.g. train loss, valid accuracy) against their step number."""
    if not curves:
        raise ValueError("no curves to plot")
    with _one(ax, (6, 3.2)) as ax:
        for label, values in curves.items():
            values = [float(v) for v in values]
            ax.plot(range(1, len(values) + 1), values,
                    marker="." if len(values) < 60 else None, label=label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if ylim:
            ax.set_ylim(*ylim)
        _labels(ax, None, None, title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)


def plot_smoothing(raw: Sequence[float], smoothed: Sequence[float],
                   batches_per_epoch: int | None = None, title: str | None = None,
                   log: bool = False, ax: plt.Axes | None = None) -> None:
    """Batch losses as they come (thin, pale) and their running average (bold), against the
    batch number; with ``batches_per_epoch``, a dotted line where each epoch ends; with ``log``,
    a logarithmic loss axis (so a large first loss does not flatten the rest)."""
    if len(raw) != len(smoothed) or not len(raw):
        raise ValueError("raw and smoothed must be two equally long, non-empty sequences")
    with _one(ax, (7.5, 3.4)) as ax:
        steps = range(1, len(raw) + 1)
        ax.plot(steps, [float(v) for v in raw], color="C0", alpha=0.45, lw=1,
                label="loss of each batch (raw)")
        ax.plot(steps, [float(v) for v in smoothed], color="C1", lw=2.2,
                label="smoothed (what fastai reports)")
        if batches_per_epoch:
            for end in range(batches_per_epoch, len(raw), batches_per_epoch):
                ax.axvline(end + 0.5, color="grey", lw=0.8, ls=":")
        _labels(ax, "batch (training step)", "loss" + (" (log scale)" if log else ""), None)
        if log:
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _labels(ax, None, None, title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)


def plot_losses_vs_p(losses: Mapping[str, Callable[[torch.Tensor], torch.Tensor]],
                     ymax: float = 5.0, xlabel: str = "p, the predicted probability of the "
                     "right answer", ax: plt.Axes | None = None) -> None:
    """Each loss as a function of p in (0, 1]: how much an image costs when the model gives
    the right answer probability p."""
    if not losses:
        raise ValueError("no losses to plot")
    with _one(ax, (6, 3.4)) as ax:
        p = torch.linspace(0.005, 1.0, 400)
        for label, f in losses.items():
            ax.plot(p.numpy(), f(p).detach().numpy(), label=label)
        ax.set_ylim(0, ymax)
        _labels(ax, xlabel, "loss", None)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)


def plot_schedule(lrs: Sequence[float], moms: Sequence[float], title: str | None = None,
                  ax: Axes | None = None) -> None:
    """A one-cycle schedule: learning rate (left) and momentum (right) at each batch."""
    if len(lrs) != len(moms) or not lrs:
        raise ValueError("give one learning rate and one momentum per batch")
    with _panels(ax, 2, 1, 2, (9, 3.0), title, 11) as (left, right):
        steps = np.arange(1, len(lrs) + 1)
        left.plot(steps, [float(v) for v in lrs], color="#f28e2b")
        left.set_ylabel("learning rate")
        right.plot(steps, [float(v) for v in moms], color="#4e79a7")
        right.set_ylabel("momentum")
        for one in (left, right):
            one.set_xlabel("batch")
            one.grid(alpha=0.3)


def loss_surface(loss: Callable[[torch.Tensor], torch.Tensor], xlim: tuple[float, float],
                 ylim: tuple[float, float], path: Sequence | torch.Tensor | None = None,
                 xlabel: str = "first parameter", ylabel: str = "second parameter",
                 title: str | None = None, resolution: int = 60, size: float = 6.5,
                 ax: plt.Axes | None = None) -> None:
    """The loss over two parameters as a contour map, with the path gradient descent took.

    ``loss`` maps a tensor of two parameters to a number; it is evaluated on a grid over
    ``xlim`` x ``ylim``. ``path`` holds the parameters visited, one ``(x, y)`` pair per step.
    The contour levels are spaced evenly on a log scale, so the valley floor shows as well as
    the steep walls. The colour bar takes its room from ``ax``.
    """
    from matplotlib.colors import LogNorm

    xs = torch.linspace(*xlim, resolution)
    ys = torch.linspace(*ylim, resolution)
    with torch.no_grad():
        grid = np.array([[float(loss(torch.stack([x, y]))) for x in xs] for y in ys])
    if not np.isfinite(grid).all() or grid.min() <= 0:
        raise ValueError("the loss must be positive and finite everywhere on the grid")
    with _one(ax, (size, size * 0.75)) as ax:
        levels = np.geomspace(grid.min(), grid.max(), 16)
        filled = ax.contourf(xs.numpy(), ys.numpy(), grid, levels=levels, cmap="viridis_r",
                             norm=LogNorm())
        ax.contour(xs.numpy(), ys.numpy(), grid, levels=levels, colors="white",
                   linewidths=0.4)
        bar = ax.figure.colorbar(filled, ax=ax, format="%.3g")
        bar.set_label("loss", fontsize=10)
        bar.ax.tick_params(labelsize=9)
        if path is not None:
            pts = np.array([[float(v) for v in p] for p in path])
            if pts.ndim != 2 or pts.shape[1] != 2:
                raise ValueError(f"path must hold (x, y) pairs, not shape {pts.shape}")
            ax.plot(pts[:, 0], pts[:, 1], "o-", color="#d62728", markersize=3, lw=1.2,
                    label="gradient descent")
            ax.plot(pts[0, 0], pts[0, 1], "s", color="black", markersize=7, label="start")
            ax.plot(pts[-1, 0], pts[-1, 1], "*", color="white", markeredgecolor="black",
                    markersize=14, label=f"after {len(pts) - 1} steps")
            ax.legend(fontsize=9, loc="upper right")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel(xlabel, fontsize=10)
        ax.set_ylabel(ylabel, fontsize=10)
        ax.tick_params(labelsize=9)
        if title:
            ax.set_title(title, fontsize=11)


# --- histograms ---


def sigmoid_histograms(groups: Mapping[str, torch.Tensor | np.ndarray], bins: int = 40,
                       flat: float = 0.01, suptitle: str | None = None,
                       ax: Axes | None = None) -> None:
    """One histogram per group of sigmoid outputs, side by side, on the same [0, 1] axis.

    The shaded bands mark the sigmoid's flat ends, below ``flat`` and above ``1 - flat``; each
    panel's title gives the share of values that fall there.
    """
    n = len(groups)
    edges = np.linspace(0.0, 1.0, bins + 1)
    with _panels(ax, n, 1, n, (4.6 * n, 3.2), suptitle, 11) as axes:
        for one, (label, values) in zip(axes, groups.items(), strict=True):
            v = _numpy(values).ravel()
            share = float(np.mean((v < flat) | (v > 1 - flat)))
            one.axvspan(0.0, flat, color="#f28e2b", alpha=0.3)
            one.axvspan(1 - flat, 1.0, color="#f28e2b", alpha=0.3)
            one.hist(v, bins=edges, color="#4e79a7")
            one.set_xlim(0.0, 1.0)
            one.set_title(f"{label}: {share:.1%} on a flat end", fontsize=10)
            one.set_xlabel("starting sigmoid output", fontsize=9)
            one.set_ylabel("images", fontsize=9)


def plot_histograms(panels: Mapping[str, Mapping[str, torch.Tensor]], bins: int = 60,
                    xlabel: str = "value", size: float = 4.5, ax: Axes | None = None) -> None:
    """Side-by-side panels, each titled, each overlaying the histograms of a few named tensors
    (outlines, counts on a log scale so that rare values stay visible)."""
    if not panels or not all(panels.values()):
        raise ValueError("give at least one panel, each with at least one tensor")
    n = len(panels)
    with _panels(ax, n, 1, n, (min(size * n, 10.0), 3.2)) as axes:
        for one, (title, values) in zip(axes, panels.items(), strict=True):
            for label, v in values.items():
                v = v.detach().float().flatten().cpu()
                one.hist(v.numpy(), bins=bins, histtype="step", linewidth=1.5, log=True,
                         label=f"{label}: mean {v.mean():.2f}, std {v.std():.2f}")
            one.set_title(title, fontsize=10)
            one.set_xlabel(xlabel)
            one.legend(fontsize=9)
        axes[0].set_ylabel("count (log scale)")
