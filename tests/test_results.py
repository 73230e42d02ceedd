import math

import pytest
import torch

import helpers.results as hr


@pytest.fixture
def shown(monkeypatch):
    import IPython.display

    seen = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: seen.append(obj))
    return seen


def test_record_shows_a_table_and_carries_json(shown):
    hr.record("01_x", (3, 7), accuracy=torch.tensor(0.951234), epochs=3)
    (out,) = shown
    payload = out[hr.RESULTS_MIME]
    assert payload == {"name": "01_x", "digits": [3, 7],
                       "figures": {"accuracy": 0.9512, "epochs": 3}}
    assert "accuracy" in out["text/html"] and "0.9512" in out["text/plain"]
    nb = {"cells": [{"outputs": [{"data": out}]}]}
    assert hr.results_from_notebook(nb) == payload


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
    assert hr.results_from_notebook({"cells": [{"outputs": []}]}) is None


def test_accuracy_floor():
    assert hr.accuracy_floor((3, 7), 0.978) == 0.978
    assert hr.accuracy_floor((7, 3), 0.978) == 0.978
    assert hr.accuracy_floor((4, 9), 0.978) == 0.90
    assert hr.accuracy_floor((4, 9), 0.85) == 0.85
