"""The pair notebooks on the hardest digit pairs, and every notebook with its settings changed.

A learner may pick any pair and change any setting of a parameters cell. ``make test`` executes
the pair notebooks on three of the hardest pairs and holds each to its checks and floors
(tests/checks), and executes every notebook once more with other settings (another seed, one
epoch, a wider net): nothing may raise. Each run is a fresh kernel, two at a time, one thread
each. ``benchmarks/all_pairs.py`` runs all 45 pairs; its committed table must meet the floors.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from tests.checks import FLOORS, check_source, floor
from tests.conftest import NOTEBOOKS, ROOT
from tools.runner import BUILD, execute

HARD_PAIRS = [(4, 9), (3, 5), (7, 9)]
PAIR_NOTEBOOKS = [p for p in NOTEBOOKS if "all_digits" not in p.stem]

# What a learner might try: the settings the questions suggest, one epoch, another seed.
EXPERIMENTS: dict[str, list[dict]] = {
    "01_pixel_similarity": [{"DIGITS": (1, 2)}],
    "02_gradients": [{"SEED": 7}, {"LR": 0.1, "STEPS": 5}],
    "03_seven_steps": [{"SEED": 7, "EPOCHS": 1}, {"INIT_STD": 1.0, "BATCH_SIZE": 64}],
    "04_learner": [{"SEED": 7, "EPOCHS": 1, "LR": 0.5}],
    "05_relu_net": [{"SEED": 7, "EPOCHS": 1}, {"EPOCHS": 6, "HIDDEN": 64}],
    "06_convolutions": [{"SEED": 7, "DIGITS": (0, 6)}],
    "07_all_digits": [{"SEED": 7, "CNN_EPOCHS": 1, "PLAIN_EPOCHS": 1, "HIDDEN": 32}],
    "08_pitfalls": [{"DIGITS": (2, 8)}],
}


def _run(job: tuple) -> dict:
    path, digits, parameters, with_checks, tag = job
    out = BUILD / "test-runs" / tag / path.name
    return execute(path, out, digits, threads=1, parameters=parameters,
                   after=[check_source(path.stem)] if with_checks else [])


def _run_all(jobs: list[tuple]) -> dict:
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return {job[-1] + "/" + job[0].stem: row for job, row in zip(jobs, pool.map(_run, jobs),
                                                                      strict=True)}


@pytest.fixture(scope="module")
def pair_runs() -> dict:
    return _run_all([(p, pair, None, True, f"pair-{pair[0]}{pair[1]}")
                     for pair in HARD_PAIRS for p in PAIR_NOTEBOOKS])


@pytest.fixture(scope="module")
def experiment_runs() -> dict:
    jobs = []
    for p in NOTEBOOKS:
        for k, settings in enumerate(EXPERIMENTS[p.stem]):
            settings = dict(settings)
            digits = tuple(settings.pop("DIGITS", (3, 7)))
            jobs.append((p, digits, settings, False, f"experiment-{k}"))
    return _run_all(jobs)


@pytest.mark.parametrize("pair", HARD_PAIRS, ids=lambda p: f"{p[0]}v{p[1]}")
@pytest.mark.parametrize("path", PAIR_NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_notebook_meets_its_checks(pair_runs, path, pair):
    row = pair_runs[f"pair-{pair[0]}{pair[1]}/{path.stem}"]
    assert row["error"] is None, f"{path.stem} on {pair}: {row['error']} (see {row['output']})"
    assert row["digits"] == list(pair), row


def test_every_notebook_has_experiments():
    assert sorted(EXPERIMENTS) == [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_changed_settings_raise_nothing(experiment_runs, path):
    for k, settings in enumerate(EXPERIMENTS[path.stem]):
        row = experiment_runs[f"experiment-{k}/{path.stem}"]
        assert row["error"] is None, f"{path.stem} with {settings}: {row['error']}"
        assert "accuracy" in row["figures"], f"{path.stem} with {settings}: no record"


def test_all_pairs_table_meets_the_floors():
    """The committed 45-pair table (benchmarks/all_pairs.py) holds every pair to its floors."""
    table = json.loads((ROOT / "benchmarks" / "all_pairs.json").read_text())
    assert len(table["pairs"]) == 45
    assert not table["errors"], "\n".join(table["errors"])
    low = []
    for key, notebooks in table["pairs"].items():
        digits = tuple(int(d) for d in key.split(","))
        for stem, figures in notebooks.items():
            for figure, value in figures.items():
                if figure in FLOORS.get(stem, {}) and value < floor(stem, figure, digits):
                    low.append(f"{stem} {figure} on {key}: {value} < "
                               f"{floor(stem, figure, digits)}")
    assert not low, "\n".join(low)
