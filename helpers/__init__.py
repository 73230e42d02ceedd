"""Helpers for the MNIST seven-steps notebooks: data, plots, reproducibility, results.

``from helpers import load_digits`` works for the names below; each submodule is imported only
when one of its names is first used, so a script that needs none of them does not pay for torch.
"""

import importlib
import warnings

# fastai (2.8) calls torch.jit.script on import, which torch 2.14 flags as deprecated; the warning
# says nothing about the reader's code, so it is hidden here rather than in every notebook.
warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.* is deprecated",
                        category=FutureWarning)

from helpers.course import COLAB_URL, REPO_SLUG, __version__  # noqa: E402

_LAZY = {
    "DataError": "helpers.data",
    "DigitData": "helpers.data",
    "binary_targets": "helpers.data",
    "load_all_digits": "helpers.data",
    "load_digits": "helpers.data",
    "get_device": "helpers.repro",
    "set_seed": "helpers.repro",
    "record": "helpers.results",
}

__all__ = ["COLAB_URL", "REPO_SLUG", "__version__", *sorted(_LAZY)]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
