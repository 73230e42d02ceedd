"""Attempt records: every ``check``, ``hint`` and ``solution`` leaves a trace in its cell's output.

The text a learner reads is the output's ``text/plain``, as a ``print`` would show it; next to
it, in the output's metadata under ``ATTEMPT_MIME`` (metadata is kept in the saved notebook by
Jupyter and Colab, and not shown), sits a small record::

    {"id": "01.max_distance", "verb": "check", "verdict": "incorrect", "course": "0.1.0"}

``verdict`` is there for a check only. A grader reads these to tell "solved" from "solved after
seeing the solution"; ``attempts`` reads them back from a saved notebook.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from helpers.course import __version__

__all__ = ["ATTEMPT_MIME", "attempts", "show"]

ATTEMPT_MIME = "application/vnd.mnist-course.attempt+json"


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (JupyterLab, Colab, nbclient), which keeps rich
    outputs, rather than in a plain Python or IPython terminal."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def show(text: str, exercise_id: str, verb: str, verdict: str | None = None) -> None:
    """Show ``text`` to the learner, with its attempt record attached when in a kernel."""
    record: dict[str, Any] = {"id": exercise_id, "verb": verb}
    if verdict is not None:
        record["verdict"] = verdict
    record["course"] = __version__
    if not _in_kernel():
        print(text)
        return
    from IPython.display import display

    display({"text/plain": text}, metadata={ATTEMPT_MIME: record}, raw=True)


def attempts(notebook: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The attempt records of a saved notebook (its JSON as a dict), in cell order."""
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            found = output.get("metadata", {}).get(ATTEMPT_MIME)
            if isinstance(found, dict) and isinstance(found.get("id"), str):
                yield dict(found)
