"""How much the CNN figures of notebooks 06 and 07 move with the CPU kind, the thread count and
the seed.

    FASTAI_HOME=/tmp/fh .venv/bin/python benchmarks/spread.py [--seeds 42 1 2] [--only 06]

For each CPU setting (this machine's own kernels; ``ATEN_CPU_CAPABILITY=default
ONEDNN_MAX_CPU_ISA=SSE41``, PyTorch's and oneDNN's plainest x86 code, standing in for another
CPU; ``OMP_NUM_THREADS=1``; ``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2``, an AVX2-only
CPU such as the slowest CI runs on, for 07's training time) and each seed, it executes
notebook 06 with that ``SEED`` and trains notebook 07's CNN recipe with
``benchmarks/all_digits.py`` (test set scored once per run). It prints each figure's range per
setting, and 07's median test accuracy over the seeds per
setting, and writes everything to build/benchmarks/spread.json. Run it on an idle machine: it
takes about 40 minutes on two cores. ``--only`` keeps the other notebook's runs from the
committed benchmarks/spread.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.runner import execute  # noqa: E402

OUT = ROOT / "build" / "benchmarks"
SETTINGS = {
    "native": {},
    "sse41": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41"},
    "1-thread": {"OMP_NUM_THREADS": "1"},
    # Not a separate CPU kind for the figures, but the slowest kind CI runs on, for 07's time
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
}
KNOBS = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def run_06(env: dict, seed: int, tag: str) -> dict:
    os.environ.update(env)  # the kernel inherits them
    try:
        row = execute(ROOT / "notebooks" / "06_convolutions.ipynb",
                      OUT / "spread" / f"06-{tag}-{seed}.ipynb", (3, 7),
                      parameters={"SEED": seed})
    finally:
        for k in env:
            os.environ.pop(k, None)
    if row["error"]:
        raise RuntimeError(f"06 {tag} seed {seed}: {row['error']}")
    return row["figures"]


def run_07(env: dict, seed: int, tag: str) -> dict:
    out = OUT / "spread" / f"07-{tag}-{seed}.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "all_digits.py"), "--seed",
                    str(seed), "--out", str(out)], env={**os.environ, **env}, check=False,
                   stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument("--only", choices=["06", "07"], help="one notebook only")
    args = parser.parse_args()
    for k in KNOBS:
        os.environ.pop(k, None)
    runs: dict = {"06": {}, "07": {}}
    if args.only:  # keep the other notebook's runs from the committed record
        committed = ROOT / "benchmarks" / "spread.json"
        if committed.exists():
            kept = json.loads(committed.read_text())["runs"]
            other = "06" if args.only == "07" else "07"
            runs[other] = {tag: {int(k): v for k, v in seeds.items()}
                           for tag, seeds in kept.get(other, {}).items()}
    for tag, env in SETTINGS.items():
        for seed in args.seeds:
            if args.only != "07":
                runs["06"].setdefault(tag, {})[seed] = f = run_06(env, seed, tag)
                print(f"06 {tag:<8} seed {seed:>2}: accuracy {f['accuracy']:.4f}, "
                      f"{f['mistakes']} mistakes", flush=True)
            if args.only != "06":
                runs["07"].setdefault(tag, {})[seed] = r = run_07(env, seed, tag)
                print(f"07 {tag:<8} seed {seed:>2}: test {r['test_accuracy']:.4f}, valid "
                      f"{r['valid_accuracy']:.4f}, {r['train_seconds']:.1f} s "
                      f"({r['cpu_capability']}, {r['threads']} threads)", flush=True)
    summary: dict = {}
    for tag in SETTINGS:
        if runs["07"].get(tag):
            tests = [r["test_accuracy"] for r in runs["07"][tag].values()]
            summary[tag] = {"07_median_test_accuracy": statistics.median(tests),
                            "07_test_range": [min(tests), max(tests)]}
            print(f"07 {tag:<8} median test accuracy over seeds {args.seeds}: "
                  f"{statistics.median(tests):.4f} (range {min(tests):.4f}-{max(tests):.4f})")
        if runs["06"].get(tag):
            accs = [f["accuracy"] for f in runs["06"][tag].values()]
            summary.setdefault(tag, {})["06_accuracy_range"] = [min(accs), max(accs)]
            print(f"06 {tag:<8} accuracy range {min(accs):.4f}-{max(accs):.4f}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "spread.json").write_text(json.dumps({"runs": runs, "summary": summary},
                                                indent=1, default=str) + "\n")
    print(f"written {(OUT / 'spread.json').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
