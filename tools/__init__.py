"""Maintainer tools that only a checkout uses: the series runner and the shared-code export.

Not part of the installed package; run them from the repository root (``make run``,
``make export``). (``colab_check`` runs as a plain script before any venv exists, so it keeps
its own copy of the two names below.)
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def notebook_paths() -> list[Path]:
    """The series, ``notebooks/NN_topic.ipynb``, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
