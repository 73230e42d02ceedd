"""Warm data-load times: the issue's floors are <= 0.3 s for a pair and <= 1 s for all ten digits.

    python benchmarks/data_load.py      (or: make benchmark)

Loads once to make sure the cache exists, then times several warm loads in this process and
reports the fastest and the median. Writes build/benchmarks/data_load.json; exits 1 if a floor
is missed.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from helpers.data import load_all_digits, load_digits

LIMITS = {"3,7 (mnist_sample)": 0.3, "2,9 (full MNIST)": 0.3, "all ten digits": 1.0}
LOADERS = {
    "3,7 (mnist_sample)": lambda: load_digits((3, 7)),
    "2,9 (full MNIST)": lambda: load_digits((2, 9)),
    "all ten digits": load_all_digits,
}


def main(repeat: int = 7) -> int:
    report, ok = {}, True
    for name, load in LOADERS.items():
        load()  # builds the cache if it is missing
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            load()
            times.append(time.perf_counter() - start)
        best, median = min(times), statistics.median(times)
        passed = median <= LIMITS[name]
        ok &= passed
        report[name] = {"best_s": round(best, 4), "median_s": round(median, 4),
                        "limit_s": LIMITS[name], "passed": passed}
        print(f"{name:<20} warm load: best {best:.3f} s, median {median:.3f} s "
              f"(limit {LIMITS[name]} s) {'ok' if passed else 'TOO SLOW'}")
    out = Path(__file__).resolve().parent.parent / "build" / "benchmarks" / "data_load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
