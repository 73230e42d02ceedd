"""Facts about the course kept in one place: repository, version, Colab link, digit pairs.

Imports nothing heavy, so the runner can use it without loading torch.

The version is the course's one release number: ``make release VERSION=x.y.z``
(``tools/release.py``) writes it here, into every notebook's set-up cell (the pin
``...@vX.Y.Z``) and into the tag; ``CHANGELOG.md`` has an entry for it; tests/test_release.py
checks that they agree.
"""

from collections.abc import Sequence

__version__ = "0.1.0"

# The GitHub repository the notebooks are published from. The Colab badges and the Colab
# set-up cells of every notebook use it; tests/test_notebooks.py checks they agree.
REPO_SLUG = "seven-steps/mnist-basics"

COLAB_URL = f"https://colab.research.google.com/github/{REPO_SLUG}/blob/main/notebooks/"
PIP_SPEC = f"git+https://github.com/{REPO_SLUG}@v{__version__}"
DISTRIBUTION = "mnist-seven-steps"  # the name pip knows the course by

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



class VersionMismatch(RuntimeError):
    """The helpers in use are not the course release a notebook was written for."""


def installed_version() -> str | None:
    """The course version pip has installed (its metadata), or None when pip has none."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None


def release_key(version: str) -> tuple[int, int, int]:
    """``"1.2.3"`` as ``(1, 2, 3)``, for comparing releases; ValueError for any other form."""
    parts = version.split(".") if isinstance(version, str) else []
    if len(parts) != 3 or not all(p.isdigit() and str(int(p)) == p for p in parts):
        raise ValueError(f"a course release is three numbers such as '0.1.0', not {version!r}")
    return int(parts[0]), int(parts[1]), int(parts[2])


def check_version(expected: str) -> None:
    """Return quietly when the helpers this kernel runs are release ``expected``, else stop
    with what to do.

    A notebook's set-up cell calls it after its pinned install, with the version of that pin
    (``make release`` rewrites both). It compares ``__version__`` of the helpers this kernel has
    imported (what runs) with ``expected``; the version pip has installed on disk only shapes the
    advice: when that one is ``expected``, pip installed it after the old one was imported, and a
    restart is all it takes.
    """
    release_key(expected)
    running = __version__
    if running == expected:
        return
    install = f'%pip install "{DISTRIBUTION} @ git+https://github.com/{REPO_SLUG}@v{expected}"'
    restart = "then restart the kernel (Colab: Runtime > Restart session) and run from the top"
    message = (f"this notebook is written for release {expected} of the course's helpers, but "
               f"this kernel runs release {running}. ")
    if installed_version() == expected:
        message += f"pip has installed {expected} since this kernel imported {running}: {restart}."
    elif release_key(running) > release_key(expected):
        tagged = COLAB_URL.replace("/blob/main/", f"/blob/v{running}/")
        message += (f"The notebook is older than the helpers. Either open release {running}'s "
                    f"notebook, {tagged}<name>.ipynb, or install release {expected} with "
                    f"`{install}`, {restart}.")
    else:
        message += (f"The helpers are older than the notebook: install release {expected} with "
                    f"`{install}`, {restart}. In a clone of the repository, `git pull` and "
                    "`make setup` bring notebooks and helpers to the same release.")
    raise VersionMismatch(message)
