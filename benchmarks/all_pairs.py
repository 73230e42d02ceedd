"""Every pair notebook on all 45 digit pairs: does each run to its end, and what does it reach?

    FASTAI_HOME=/tmp/fh .venv/bin/python benchmarks/all_pairs.py [--jobs 2] [--pairs 4,9 3,5]

Each notebook runs on a fresh kernel (two at a time, one thread each), exactly as ``make run
DIGITS=a,b`` runs it. The figures of each run's results record, and any error, go to
benchmarks/all_pairs.json (committed: tests/test_pairs.py holds it to the floors of
tests/checks) and a table of each notebook's headline figure per pair to
benchmarks/all_pairs.md, which the README summarises. About 25 minutes on two cores.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.executor import results_from_notebook  # noqa: E402
from tools import notebook_paths  # noqa: E402
from tools.runner import BUILD, execute  # noqa: E402

JSON = ROOT / "benchmarks" / "all_pairs.json"
TABLE = ROOT / "benchmarks" / "all_pairs.md"
HEADLINE = {  # notebook: (column title, figure)
    "01_pixel_similarity": ("01 L1", "accuracy"),
    "02_gradients": ("02 tea fit loss", "final_loss"),
    "03_seven_steps": ("03 linear", "accuracy"),
    "04_learner": ("04 Learner", "accuracy"),
    "05_relu_net": ("05 ReLU net", "accuracy"),
    "06_convolutions": ("06 CNN", "accuracy"),
    "08_pitfalls": ("08 fixed model", "accuracy"),
}


def _run(job: tuple[Path, tuple[int, int], bool]) -> tuple[str, str, dict]:
    path, pair, resume = job
    out = BUILD / f"notebooks-{pair[0]}{pair[1]}" / path.name
    if resume and out.exists():
        import nbformat

        def code(nb) -> list[str]:
            return [c.source for c in nb.cells if c.cell_type == "code"
                    and "injected-parameters" not in c.metadata.get("tags", [])]

        done = nbformat.read(out, as_version=4)
        found = results_from_notebook(done)
        if found and code(done) == code(nbformat.read(path, as_version=4)):  # same code
            return f"{pair[0]},{pair[1]}", path.stem, {"error": None, "seconds": "kept",
                                                       "figures": found["figures"]}
    row = execute(path, out, pair, threads=1)
    return f"{pair[0]},{pair[1]}", path.stem, row


def markdown(pairs: dict) -> str:
    stems = [s for s in HEADLINE if any(s in nbs for nbs in pairs.values())]
    lines = ["| pair | " + " | ".join(HEADLINE[s][0] for s in stems) + " |",
             "|---|" + "---|" * len(stems)]
    for key, notebooks in pairs.items():
        cells = [str(notebooks.get(s, {}).get(HEADLINE[s][1], "error")) for s in stems]
        lines.append(f"| {key.replace(',', ' vs ')} | " + " | ".join(cells) + " |")
    for name, pick in (("lowest", min), ("median", statistics.median), ("highest", max)):
        cells = []
        for s in stems:
            values = [nbs[s][HEADLINE[s][1]] for nbs in pairs.values()
                      if HEADLINE[s][1] in nbs.get(s, {})]
            cells.append(f"{pick(values):.4f}" if values else "-")
        lines.append(f"| **{name}** | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pairs", nargs="*", help="a few pairs such as 4,9 (default all 45)")
    parser.add_argument("--resume", action="store_true",
                        help="keep executed copies whose code is the notebook's (after a stop)")
    args = parser.parse_args()
    pairs = ([tuple(int(d) for d in p.split(",")) for p in args.pairs] if args.pairs
             else list(itertools.combinations(range(10), 2)))
    hard = [(4, 9), (3, 5), (7, 9)]  # the hardest pairs first: they fail first, if anything does
    pairs = [p for p in hard if p in pairs] + [p for p in pairs if p not in hard]
    paths = [p for p in notebook_paths() if p.stem in HEADLINE]
    jobs = [(p, pair, args.resume) for pair in pairs for p in paths]
    start = time.perf_counter()
    results: dict = {f"{a},{b}": {} for a, b in sorted(pairs)}
    errors: list[str] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for n, (key, stem, row) in enumerate(pool.map(_run, jobs), 1):
            if row["error"]:
                errors.append(f"{stem} on {key}: {row['error']}")
            else:
                results[key][stem] = row["figures"]
            print(f"[{n}/{len(jobs)}] {stem} on {key}: "
                  f"{'FAILED ' + row['error'] if row['error'] else 'ok'} ({row['seconds']} s)",
                  flush=True)
    report = {"pairs": results, "errors": errors,
              "seconds": round(time.perf_counter() - start, 1)}
    if not args.pairs:
        JSON.write_text(json.dumps(report, indent=1) + "\n")
        TABLE.write_text("# Each pair notebook's headline figure on all 45 digit pairs\n\n"
                         "Written by `benchmarks/all_pairs.py`; validation accuracy, except for "
                         "02 (the tea fit's final loss, the same for every pair).\n\n"
                         + markdown(results))
        print(f"written {JSON.relative_to(ROOT)} and {TABLE.relative_to(ROOT)}")
    print(markdown(results))
    print(f"{len(errors)} errors in {report['seconds']} s" + "".join(f"\n  {e}" for e in errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
