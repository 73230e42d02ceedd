"""``python -m helpers.exercises progress FOLDER``: a learner's own table of the series.

One line per exercise of the course, from the attempt records in the saved notebooks under
FOLDER (:mod:`helpers.exercises.records`): not attempted, tried, solved, or solved after the
solution (the solution was shown before the first correct check). It runs nothing: it reads
what the notebooks show as last saved, so an exercise solved but not saved since reads as
before.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from helpers.exercises import exercises
from helpers.exercises.records import attempts

__all__ = ["main", "progress", "status"]

STATUSES = ("not attempted", "tried", "solved", "solved after the solution")


def status(records: Iterable[dict]) -> tuple[str, bool, bool]:
    """One exercise's status from its records in order, and whether its hint and its solution
    were shown."""
    hint = solution = solution_first = tried = solved = False
    for record in records:
        verb, verdict = record.get("verb"), record.get("verdict")
        if verb == "hint":
            hint = True
        elif verb == "solution":
            solution = True
            solution_first = solution_first or not solved
        elif verb == "check" and verdict == "correct":
            solved = True
        elif verb == "check" and verdict == "incorrect":
            tried = True
    if solved:
        return ("solved after the solution" if solution_first else "solved"), hint, solution
    return ("tried" if tried else "not attempted"), hint, solution


def progress(folder: str | Path) -> tuple[list[dict], list[str]]:
    """Every exercise's status ({"id", "status", "hint", "solution"}) from the notebooks in
    ``folder`` (and below it), and the notebooks that could not be read."""
    found: dict[str, list[dict]] = {}
    unread: list[str] = []
    for path in sorted(Path(folder).rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            for record in attempts(nb):
                found.setdefault(record["id"], []).append(record)
        except (OSError, ValueError, AttributeError, TypeError):
            unread.append(str(path))
    rows = []
    for ex in exercises():
        state, hint, solution = status(found.get(ex.id, []))
        rows.append({"id": ex.id, "status": state, "hint": hint, "solution": solution})
    return rows, unread


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.exercises progress",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the folder of your saved notebooks")
    parser.add_argument("--json", action="store_true", help="a list of objects instead")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"{args.folder} is not a folder")
    rows, unread = progress(args.folder)
    for path in unread:
        print(f"could not read {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        seen = " and ".join(w for w, on in (("hint", r["hint"]), ("solution", r["solution"]))
                            if on)
        nb, name = r["id"].split(".", 1)
        print(f"{nb} {name:<{width - 3}}  {r['status']}" + (f" ({seen} seen)" if seen else ""))
    solved = sum(r["status"].startswith("solved") for r in rows)
    print(f"{solved} of {len(rows)} solved")
    return 0
