"""Helpers for the MNIST seven-steps notebooks: data, plots, reproducibility, results.

Submodules are imported on use (``from helpers.data import load_digits``) so a notebook pays
only for what it needs; the names below are the ones most notebooks use.
"""

from helpers.course import COLAB_URL, REPO_SLUG, __version__
from helpers.data import DataError, DigitData, binary_targets, load_all_digits, load_digits
from helpers.repro import get_device, set_seed
from helpers.results import record

__all__ = [
    "COLAB_URL",
    "REPO_SLUG",
    "DataError",
    "DigitData",
    "__version__",
    "binary_targets",
    "get_device",
    "load_all_digits",
    "load_digits",
    "record",
    "set_seed",
]
