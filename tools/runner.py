"""Execute the notebook series, each notebook on a fresh kernel, and report what each achieved.

    python -m tools.runner                  # every notebook, into build/notebooks/
    python -m tools.runner --digits 2,9     # the pair notebooks on another digit pair
    python -m tools.runner --inplace        # refresh the committed notebooks' outputs

Copies go to ``build/`` (git-ignored) unless ``--inplace``; the results table is printed and
written to ``build/results.json``. With ``--inplace``, a notebook whose new outputs differ from the
stored ones only in timings (tests/nbval_sanitize.cfg's rules) is left as it was, so a second run
with nothing changed leaves ``git diff`` empty. Each notebook runs through helpers.executor, the
course's one notebook executor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from helpers.course import DEFAULT_DIGITS, parse_digits
from helpers.executor import execute_notebook
from tools import ROOT, notebook_paths

BUILD = ROOT / "build"


def execute(path: Path, out: Path, digits: tuple[int, int], threads: int | None = None,
            parameters: dict | None = None, after: Sequence[str] = ()) -> dict:
    """Run one notebook with :func:`helpers.executor.execute_notebook`, save the executed copy
    to ``out``, and return its row of the results table.

    ``threads`` caps the kernel's compute threads (OMP_NUM_THREADS): with notebooks run side by
    side, more threads than cores make PyTorch's threads wait on each other, many times slower.
    ``parameters`` overrides names of the parameters cell; ``after`` is code run after the last
    cell (the checks of tests/checks), left out of the saved copy.
    """
    if threads:
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
    before = out.read_text(encoding="utf-8") if out.exists() else None
    BUILD.mkdir(exist_ok=True)
    # The kernel's own chatter (e.g. jupyter_client's transport warning) goes to a log file.
    with open(BUILD / "kernels.log", "a") as log:
        run = execute_notebook(path, cwd=path.parent,
                               digits=None if digits == DEFAULT_DIGITS else digits,
                               parameters=parameters, after=after, out=out, log=log)
    if before is not None and _normalised(before) == _normalised(out.read_text(encoding="utf-8")):
        out.write_text(before, encoding="utf-8")  # only timings moved: keep the file as it was
    found = run.record or {}
    return {"name": path.stem, "seconds": run.seconds, "digits": found.get("digits"),
            "figures": found.get("figures", {}), "error": run.error,
            "output": str(out.relative_to(ROOT) if out.is_relative_to(ROOT) else out)}


def _normalised(text: str) -> str:
    """A saved notebook's text with what varies from run to run (timings) normalised by the rules
    of tests/nbval_sanitize.cfg, the ones the tests compare outputs with."""
    import configparser
    import re

    rules = configparser.ConfigParser(interpolation=None)
    rules.read(ROOT / "tests" / "nbval_sanitize.cfg", encoding="utf-8")
    for section in rules.sections():
        text = re.sub(rules[section]["regex"], rules[section]["replace"], text)
    return text


def _last_seconds() -> dict[str, float]:
    """Each notebook's seconds in the last results.json, if there is one."""
    try:
        report = json.loads((BUILD / "results.json").read_text())
        return {row["name"]: float(row["seconds"]) for row in report["notebooks"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _digits(digits) -> str:
    if not digits:
        return "-"
    return "all ten" if sorted(digits) == list(range(10)) else ",".join(map(str, digits))


def _row(name: str, digits: str, figures: dict, seconds: float | str) -> str:
    text = ", ".join(f"{k} {v}" for k, v in figures.items()) or "-"
    return f"{name:<24} {digits:<8} {seconds!s:>7}  {text}"


def main(argv: list[str] | None = None) -> int:

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--digits", default="3,7", help="the digit pair, e.g. 2,9 (default 3,7)")
    parser.add_argument("--inplace", action="store_true",
                        help="overwrite the committed notebooks (refresh their outputs)")
    parser.add_argument("--jobs", type=int, default=int(os.getenv("JOBS", "1")),
                        help="notebooks executed at once, each on its own kernel")
    parser.add_argument("only", nargs="*", help="notebook names or number prefixes (default all)")
    args = parser.parse_args(argv)
    try:
        digits = parse_digits(args.digits)
    except ValueError as err:
        parser.error(str(err))
    if args.inplace and digits != DEFAULT_DIGITS:
        parser.error("--inplace refreshes the committed outputs, which are for digits 3,7")

    paths = notebook_paths()
    if args.only:
        paths = [p for p in paths if any(p.stem.startswith(o) for o in args.only)]
        if not paths:
            parser.error(f"no notebook matches {args.only}")
    tag = "" if digits == DEFAULT_DIGITS else f"-{digits[0]}{digits[1]}"
    outs = [p if args.inplace else BUILD / f"notebooks{tag}" / p.name for p in paths]

    import nbclient  # noqa: F401  (imported once here, not in every worker: ~1.5 s)

    print(f"Executing {len(paths)} notebooks for digits {digits}, {args.jobs} at a time",
          flush=True)
    start = time.perf_counter()
    done: dict[str, dict] = {}

    def report(row: dict) -> None:
        done[row["name"]] = row
        state = "FAILED: " + row["error"] if row["error"] else "ok"
        print(f"[{len(done)}/{len(paths)}] {row['name']:<24} {row['seconds']:>6.1f} s  {state}  "
              f"(elapsed {time.perf_counter() - start:.1f} s)", flush=True)

    if args.jobs <= 1:
        for p, o in zip(paths, outs, strict=True):
            report(execute(p, o, digits))
    else:  # each worker still runs every notebook on its own fresh kernel
        threads = max(1, (os.cpu_count() or 1) // args.jobs)
        # Longest first (by the last run's seconds; else the later, heavier notebooks first),
        # so that no long notebook starts last and keeps the others waiting.
        last = _last_seconds()
        order = sorted(range(len(paths)), key=lambda k: (-last.get(paths[k].stem, 0.0), -k))
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(execute, paths[k], outs[k], digits, threads) for k in order]
            for fut in as_completed(futures):
                report(fut.result())
    rows = [done[p.stem] for p in paths]
    total = time.perf_counter() - start

    print(f"\nResults (pair notebooks on digits {digits}; seconds per notebook, kernel start "
          "included)")
    print(_row("notebook", "digits", {}, "seconds").replace(" -", " figures"))
    for row in rows:
        print(_row(row["name"], _digits(row["digits"]), row["figures"], row["seconds"]))
    print(f"{'total wall':<24} {total:>7.2f}")
    report = {"digits": list(digits), "total_seconds": round(total, 2), "notebooks": rows}
    BUILD.mkdir(exist_ok=True)
    results = BUILD / "results.json"
    results.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {results.relative_to(ROOT)}")
    failed = [r["name"] for r in rows if r["error"]]
    missing = [r["name"] for r in rows if not r["error"] and "accuracy" not in r["figures"]]
    if failed or missing:
        print(f"failed: {failed}; no results record: {missing}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
