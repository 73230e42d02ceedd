"""The results record: each notebook's last cell reports its key figures through ``record``.

The record shows as a small table for the reader and carries the same figures as JSON in the
output's metadata under ``RESULTS_MIME``, which ``python -m tools.runner`` collects. Metadata is
not compared by nbval, so a figure that varies from run to run (``*_seconds``) is normalised in
the text by tests/nbval_sanitize.cfg and kept exact in the JSON.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

__all__ = ["RESULTS_MIME", "record"]

RESULTS_MIME = "application/vnd.mnist-course.results+json"


def _check(figures: Mapping[str, float]) -> dict[str, float | int]:
    if "accuracy" not in figures:
        raise ValueError("record needs an 'accuracy' figure: the final model's valid accuracy")
    clean: dict[str, float | int] = {}
    for key, value in figures.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            try:
                value = float(value)  # a 0-d tensor or numpy scalar
            except (TypeError, ValueError):
                raise TypeError(f"figure {key!r} must be a number, not {value!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"figure {key!r} is {value}: something went wrong upstream")
        clean[key] = round(value, 4) if isinstance(value, float) else value
    return clean


def record(name: str, digits: Sequence[int], **figures: float) -> None:
    """Show a notebook's key figures as a table and attach them machine-readable."""
    from IPython.display import display

    payload = {"name": name, "digits": list(digits), "figures": _check(figures)}
    rows = payload["figures"].items()
    width = max(len(k) for k, _ in rows)
    text = "\n".join([f"{name}  digits {tuple(digits)}"] +
                     [f"  {k:<{width}}  {v}" for k, v in rows])
    cells = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in rows)
    table = (f"<table><caption>{html.escape(name)}, digits {tuple(digits)}</caption>"
             f"<tr><th>figure</th><th>value</th></tr>{cells}</table>")
    display({"text/plain": text, "text/html": table}, metadata={RESULTS_MIME: payload}, raw=True)
