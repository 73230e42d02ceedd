"""``python -m helpers.exercises [--json]``: every exercise of the course, one line each, as
``NN name``; with ``--json``, a list of objects with id, notebook, name, task and points.

Two subcommands:

``python -m helpers.exercises grade SUBMISSIONS ...``
    a teacher's grading of a class's notebooks (:mod:`helpers.exercises.grading`);
``python -m helpers.exercises progress FOLDER``
    a learner's own table of every exercise, from their saved notebooks
    (:mod:`helpers.exercises.progress`).
"""

from __future__ import annotations

import argparse
import json
import sys

from helpers.exercises import exercises


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "grade":
        from helpers.exercises.grading import main as grade

        return grade(argv[1:])
    if argv and argv[0] == "progress":
        from helpers.exercises.progress import main as progress

        return progress(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m helpers.exercises", description="List every exercise of the course.",
        epilog="Subcommands: `grade SUBMISSIONS` grades a class's notebooks (grade --help); "
               "`progress FOLDER` shows a learner's progress from their saved notebooks.")
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
