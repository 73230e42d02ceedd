"""Shared fixtures. Tests that read MNIST need it on disk (see README, 'Offline use')."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import ROOT as ROOT  # re-exported: tests import it from here
from tools import notebook_paths

NOTEBOOKS = notebook_paths()


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb: dict) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.fixture(scope="session")
def sample37():
    from helpers.data import load_digits

    return load_digits((3, 7))


@pytest.fixture
def shown(monkeypatch):
    """plt.show muted, for every test that draws: the figures it would have shown, in order, still
    open to inspect; every figure is closed after the test."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: figures.append(plt.gcf()))
    yield figures
    plt.close("all")
