"""``python -m helpers.exercises [--json]``: every exercise of the course, one line each, as
``NN name``; with ``--json``, a list of objects with id, notebook, name, task and points."""

from __future__ import annotations

import argparse
import json
import sys

from helpers.exercises import exercises


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.exercises",
                                     description="List every exercise of the course.")
    parser.add_argument("--json", action="store_true", help="id, notebook, name, task, points")
    args = parser.parse_args(argv)
    found = exercises()
    if args.json:
        print(json.dumps([{"id": e.id, "notebook": e.notebook, "name": e.name, "task": e.task,
                           "points": e.points} for e in found], indent=1))
    else:
        for e in found:
            print(f"{e.notebook} {e.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
