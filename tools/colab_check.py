"""Replicate Google Colab's runtime and run the course there, as a learner's first cells would.

    python tools/colab_check.py [--shared ../shared] [--runtime LIST] [--python python3.13]
                                [--keep] [--no-pip-cache]

1. A fresh Python 3.13 venv gets exactly the versions in the runtime list: ``--runtime LIST``
   (``make colab-check RUNTIME=LIST``), by default ``SHARED/colab/2026-08.txt``.
2. ``pip freeze`` before and after installing the course the way the notebooks' set-up cell does
   (``pip install "mnist-seven-steps @ <source>"``, from this working tree instead of the git
   URL): the difference must be the course alone, so installing it changes nothing else.
3. Every notebook is executed on that venv's kernel from a folder outside the repository, by the
   installed course's own executor (``python -m helpers.executor``, as ``make run`` uses), so it
   imports the installed course, not the checkout; each must finish with its results record,
   and then pass its checks (tests/checks, run in its kernel after its last cell).

Prints one line per notebook, ``N/N notebooks passed`` and the freeze diff; exits 1 on any
failure. The venv (Colab's torch is a CUDA build: about 3 GB to download, 5.5 GB installed) is
removed at the end unless ``--keep``; ``--no-pip-cache`` also keeps the download out of pip's
cache, for a machine that runs the check once (CI). Uses only the standard library here; the venv
does the rest.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = "mnist-seven-steps"
sys.path.insert(0, str(ROOT))
from tests.checks import check_source  # noqa: E402  (the standard library only)


def find_python(asked: str | None) -> str:
    """A Python 3.13 interpreter: the one asked for, python3.13 on PATH, or pyenv's."""
    candidates = [asked] if asked else ["python3.13"]
    if not asked:
        pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
        candidates += sorted(glob.glob(f"{pyenv_root}/versions/3.13*/bin/python3.13"))
    for exe in candidates:
        try:
            out = subprocess.run([exe, "-c", "import sys; print(sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == "(3, 13)":
            return exe
    sys.exit("colab-check: no Python 3.13 found (Colab runs 3.13): install one, or pass "
             "--python /path/to/python3.13")


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, **kw)


def freeze(py: Path) -> set[str]:
    out = run([str(py), "-m", "pip", "freeze", "--all"], capture_output=True).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def pip(py: Path, args: list[str], env: dict[str, str]) -> None:
    """``py -m pip install -q ARGS``; on failure, its last lines, and the fix when out of disk."""
    out = subprocess.run([str(py), "-m", "pip", "install", "-q", *args], env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if out.returncode == 0:
        return
    print("\n".join(out.stdout.splitlines()[-30:]))
    if "No space left on device" in out.stdout:
        sys.exit(f"colab-check: the disk filled up while pip installed into {py.parent.parent} "
                 f"({shutil.disk_usage(py.parent).free / 1e9:.1f} GB free now). Colab's torch "
                 "is a CUDA build: about 3 GB to download and 5.5 GB installed. Free some "
                 "space (an old .venv or build/, or `pip cache purge`), or pass --no-pip-cache, "
                 "then run it again.")
    sys.exit(f"colab-check: pip install {' '.join(args)} failed (exit {out.returncode}); "
             "its last lines are above.")


def replicate(args: argparse.Namespace, python: str, runtime: Path, venv: Path,
              pip_flags: list[str], env: dict[str, str], started: float) -> int:
    """Steps 1-3 in ``venv``; 0 when the freeze diff is the course alone and every notebook ran."""
    run([python, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    print(f"[1/3] Colab's packages ({runtime}) into a fresh {python} venv", flush=True)
    pip(py, [*pip_flags, "-r", str(runtime)], env)
    before = freeze(py)

    print("[2/3] the course, as the set-up cell installs it (from this working tree)",
          flush=True)
    pip(py, [*pip_flags, f"{COURSE} @ {ROOT.as_uri()}"], env)
    after = freeze(py)
    added, removed = sorted(after - before), sorted(before - after)
    changed = [line for line in added if not line.lower().startswith(COURSE)] + [
        f"removed or changed: {line}" for line in removed]
    print("pip freeze diff (after - before):")
    for line in added:
        print(f"  + {line}")
    for line in removed:
        print(f"  - {line}")
    course_ok = any(line.lower().startswith(COURSE) for line in added) and not changed

    if args.install_only:
        print("freeze diff: " + ("only the course was added" if course_ok else "FAILED"))
        return 0 if course_ok else 1
    print("[3/3] every notebook, from a folder outside the repository", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="colab-notebooks-"))
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    passed = 0
    for src in notebooks:
        dest = workdir / src.name
        shutil.copy(src, dest)
        checks = workdir / f"{src.stem}.checks.py"
        checks.write_text(check_source(src.stem), encoding="utf-8")
        # the installed course's own executor, the one make run uses
        out = subprocess.run([str(py), "-m", "helpers.executor", str(dest), "--cwd", str(workdir),
                              "--after", str(checks), "--out", str(dest)],
                             env=env, cwd=workdir, capture_output=True, text=True)
        try:
            result = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            result = {"error": (out.stderr.strip().splitlines() or ["no output"])[-1],
                      "record": None, "seconds": "-"}
        ok = result["error"] is None and result["record"] is not None
        passed += ok
        figures = ", ".join(f"{k} {v}" for k, v in (result["record"] or {}).get(
            "figures", {}).items())
        state = "ok" if ok else f"FAILED: {result['error'] or 'no results record'}"
        print(f"  {src.stem:<22} {result['seconds']:>6} s  {state}  {figures}", flush=True)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"executed notebooks kept in {workdir}")

    print(f"\n{passed}/{len(notebooks)} notebooks passed on the Colab replica "
          f"({time.perf_counter() - started:.0f} s in all)")
    print("freeze diff: " + ("only the course was added" if course_ok else
                             "FAILED: " + ("; ".join(changed) or "the course was not added")))
    return 0 if course_ok and passed == len(notebooks) else 1


DEFAULT_RUNTIME = Path("colab") / "2026-08.txt"  # under --shared


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options, with ``runtime`` the path of the runtime list (which must exist)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"),
                        help=f"the shared folder holding {DEFAULT_RUNTIME}")
    parser.add_argument("--runtime", default=None,
                        help="the runtime list to replicate, one `name==version` a line "
                             f"(default: SHARED/{DEFAULT_RUNTIME})")
    parser.add_argument("--python", help="a Python 3.13 interpreter (default: found)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the venv and the executed notebooks")
    parser.add_argument("--no-pip-cache", action="store_true",
                        help="download Colab's packages without storing them in pip's cache")
    parser.add_argument("--install-only", action="store_true",
                        help="stop after the freeze diff (steps 1 and 2)")
    args = parser.parse_args(argv)
    if args.runtime:
        args.runtime = Path(args.runtime)
        if not args.runtime.is_file():
            sys.exit(f"colab-check: the runtime list {args.runtime} is missing")
    else:
        args.runtime = Path(args.shared) / DEFAULT_RUNTIME
        if not args.runtime.is_file():
            sys.exit(f"colab-check: {args.runtime} is missing (pass --shared DIR or "
                     "--runtime LIST)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runtime = args.runtime
    python = find_python(args.python)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    started = time.perf_counter()

    venv = ROOT / "build" / "colab-venv"
    shutil.rmtree(venv, ignore_errors=True)
    pip_flags = ["--no-cache-dir"] if args.no_pip_cache else []
    try:
        return replicate(args, python, runtime, venv, pip_flags, env, started)
    finally:
        if args.keep:
            print(f"the replica's venv kept in {venv}")
        else:
            shutil.rmtree(venv, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
