import math

import pytest
import torch

import helpers.results as hr


@pytest.fixture
def shown(monkeypatch):
    import IPython.display

    seen = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda obj, metadata=None, raw=False: seen.append((obj, metadata)))
    return seen


def test_record_shows_a_table_and_carries_json(shown):
    hr.record("01_x", (3, 7), accuracy=torch.tensor(0.951234), epochs=3)
    ((out, meta),) = shown
    payload = meta[hr.RESULTS_MIME]
    assert payload == {"name": "01_x", "digits": [3, 7],
                       "figures": {"accuracy": 0.9512, "epochs": 3}}
    assert "accuracy" in out["text/html"] and "0.9512" in out["text/plain"]
    nb = {"cells": [{"outputs": [{"data": out, "metadata": meta}]}]}
    from helpers.executor import results_from_notebook

    assert results_from_notebook(nb) == payload


@pytest.mark.parametrize(("figures", "error"), [
    ({"loss": 0.1}, "accuracy"),
    ({"accuracy": math.nan}, "went wrong"),
    ({"accuracy": "high"}, "number"),
])
def test_record_rejects_bad_figures(shown, figures, error):
    with pytest.raises((ValueError, TypeError), match=error):
        hr.record("x", (3, 7), **figures)
    assert not shown


def test_no_record_in_notebook():
    from helpers.executor import results_from_notebook

    assert results_from_notebook({"cells": [{"outputs": []}]}) is None


def test_seconds_are_normalised_for_nbval(shown):
    """A timing figure reads as SECONDS once tests/nbval_sanitize.cfg is applied, in both forms."""
    import configparser
    import re

    from tests.conftest import ROOT

    hr.record("07_x", tuple(range(10)), accuracy=0.99, train_seconds=61.234)
    ((out, _),) = shown
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / "tests" / "nbval_sanitize.cfg")
    for mime in ("text/plain", "text/html"):
        text = out[mime]
        for section in cfg.sections():
            text = re.sub(cfg[section]["regex"], cfg[section]["replace"], text)
        assert "61.2" not in text and "SECONDS" in text and "0.99" in text, text
