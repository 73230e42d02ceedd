"""What each notebook's run must reach, checked in its own kernel after its last cell.

A learner's notebook holds no asserts of ours. Instead, ``tests/checks/NN_topic.py`` holds the
checks of notebook ``NN_topic``, written with the notebook's own names. The repository's
``conftest.py`` runs them in the kernel nbval has just run the notebook in (``make test``), and
``tests/test_pairs.py`` runs them after executing the pair notebooks on other digit pairs.

``FLOORS`` is the one table of floors: for each notebook, each figure's lowest acceptable value
for 3 vs 7 (the pair the prose is written for), for any other pair (``"any"``), and for a pair
that needs a floor of its own. A check reads them as ``_FLOOR["accuracy"]``, resolved for the
digits of the run. The floors sit below what ``benchmarks/all_pairs.py`` measured for every one
of the 45 pairs (``tests/test_pairs.py`` holds the committed table to them), far above chance, so
a broken step fails them; for the CNNs of 06 and 07 they also sit below the spread measured over
CPU kinds and thread counts (README, "Results on other machines").
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent

ANY = "any"

FLOORS: dict[str, dict[str, dict[str, float]]] = {
    "01_pixel_similarity": {
        "accuracy": {"3,7": 0.951, ANY: 0.70},  # 3 vs 7: fastbook's 0.9511
        "rmse_accuracy": {"3,7": 0.95, ANY: 0.85},
    },
    "02_gradients": {},
    "03_seven_steps": {"accuracy": {"3,7": 0.978, ANY: 0.90}},
    "04_learner": {"accuracy": {"3,7": 0.978, ANY: 0.90}},
    "05_relu_net": {
        "accuracy": {"3,7": 0.9828, ANY: 0.90},  # 3 vs 7: fastbook's ReLU net
        "hand_accuracy": {"3,7": 0.975, ANY: 0.85},
    },
    "06_convolutions": {"accuracy": {"3,7": 0.995, ANY: 0.98}},
    "07_all_digits": {
        "accuracy": {ANY: 0.994},
        "valid_accuracy": {ANY: 0.992},
        "linear_accuracy": {ANY: 0.90},
        "mlp_accuracy": {ANY: 0.95},
        "min_digit_accuracy": {ANY: 0.98},
    },
    "08_pitfalls": {"accuracy": {"3,7": 0.978, ANY: 0.90}},
}


def pair_key(digits: Sequence[int]) -> str:
    """The table's key for a run's digits: ``"3,7"`` for (7, 3) too."""
    return ",".join(str(d) for d in sorted(digits))


def floor(stem: str, figure: str, digits: Sequence[int]) -> float:
    """The floor of ``figure`` in notebook ``stem`` for a run on ``digits``."""
    by_pair = FLOORS[stem][figure]
    return by_pair.get(pair_key(digits), by_pair[ANY])


def check_path(stem: str) -> Path:
    return HERE / f"{stem}.py"


def check_source(stem: str) -> str:
    """The code to run in notebook ``stem``'s kernel after its last cell: its floors, resolved
    for the kernel's ``DIGITS``, then its checks. It prints nothing; a failed check raises."""
    table = FLOORS[stem]
    prelude = (
        f"_FLOORS = {table!r}\n"
        "_PAIR = ','.join(str(d) for d in sorted(DIGITS))\n"
        f"_FLOOR = {{k: v.get(_PAIR, v[{ANY!r}]) for k, v in _FLOORS.items()}}\n"
    )
    return prelude + check_path(stem).read_text(encoding="utf-8")
