"""Facts about the course kept in one place: repository, version, Colab link, digit pairs.

Imports nothing heavy, so the runner can use it without loading torch.
"""

from collections.abc import Sequence

__version__ = "0.1.0"

# The GitHub repository the notebooks are published from. The Colab badges and the Colab
# set-up cells of every notebook use it; tests/test_notebooks.py checks they agree.
REPO_SLUG = "seven-steps/mnist-basics"

COLAB_URL = f"https://colab.research.google.com/github/{REPO_SLUG}/blob/main/notebooks/"
PIP_SPEC = f"git+https://github.com/{REPO_SLUG}@v{__version__}"

# The pair the series is written for: fastai's MNIST_SAMPLE.
DEFAULT_DIGITS = (3, 7)


def parse_digits(digits: str | Sequence[int]) -> tuple[int, int]:
    """Check a digit pair such as ``(3, 7)`` or ``"3,7"`` and return it as a tuple."""
    if isinstance(digits, str):
        try:
            digits = [int(part) for part in digits.replace(" ", "").split(",") if part]
        except ValueError:
            raise ValueError(
                f"digits {digits!r} are not numbers: write two digits such as '3,7'"
            ) from None
    pair = tuple(digits)
    if len(pair) != 2:
        raise ValueError(f"give exactly two digits, such as (3, 7); got {pair!r}")
    for d in pair:
        if isinstance(d, bool) or not hasattr(d, "__index__") or not 0 <= d.__index__() <= 9:
            raise ValueError(f"digit {d!r} is not one of 0-9: pick two digits such as (3, 7)")
    if pair[0] == pair[1]:
        raise ValueError(f"the two digits must differ; got {pair!r}: pick two, such as (3, 7)")
    return pair[0].__index__(), pair[1].__index__()
