"""Run a notebook top to bottom on a fresh kernel: the one executor of the course.

``make run`` and ``make notebooks`` (tools/runner.py), the Colab replica (tools/colab_check.py)
and the benchmarks all execute notebooks through :func:`execute_notebook`. It clears every
stored output first, so nothing stale can pass for a result of this run; can set other values
for the parameters cell (papermill's convention: a cell tagged ``injected-parameters``); can run
extra code after the last cell (the checks of tests/checks) and leave it out of the saved copy;
and merges each cell's stream outputs, as Jupyter shows them, so that two runs save the same
file. Needs nbclient, nbformat and ipykernel (``pip install "mnist-seven-steps[test]"``;
Colab has them).

    python -m helpers.executor NOTEBOOK [--out PATH] [--cwd DIR] [--after FILE] [--timeout S]

prints one line of JSON: ``{"error": ..., "record": ..., "seconds": ...}``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from helpers.results import RESULTS_MIME

__all__ = [
    "KERNELSPEC",
    "Execution",
    "coalesce_streams",
    "execute_notebook",
    "inject_digits",
    "inject_parameters",
    "results_from_notebook",
]

# What ipykernel writes for its kernel: a notebook saved by Jupyter after opening gets this, so
# one stored otherwise would show as modified the moment a reader opens it.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_PAIR = re.compile(r"^DIGITS\s*=", re.M)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _nbformat() -> Any:
    try:
        import nbformat
    except ImportError:
        raise ImportError("running notebooks needs nbclient, nbformat and ipykernel: "
                          "pip install 'mnist-seven-steps[test]'") from None
    return nbformat


def results_from_notebook(nb: Mapping[str, Any]) -> dict | None:
    """The last results record in an executed notebook (as a dict), or None."""
    found = None
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {})
            if RESULTS_MIME in meta:
                found = meta[RESULTS_MIME]
    return found


def _parameters_cell(nb: Any) -> int:
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    raise ValueError("notebook has no cell tagged 'parameters' to override")


def _insert_after_parameters(nb: Any, index: int, code: str) -> None:
    new = _nbformat().v4.new_code_cell(code)
    new.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(index + 1, new)


def inject_digits(nb: Any, digits: tuple[int, int]) -> bool:
    """Set ``DIGITS`` in a cell after the parameters cell. Only a notebook whose parameters
    cell sets a ``DIGITS`` pair takes one; any other is left as it is (returns False)."""
    i = _parameters_cell(nb)
    if not _PAIR.search(nb.cells[i].source):
        return False
    _insert_after_parameters(nb, i, f"DIGITS = {tuple(digits)}  # injected by the runner")
    return True


def inject_parameters(nb: Any, values: Mapping[str, Any]) -> None:
    """Set other values for names the parameters cell defines (``{"SEED": 1}``), in a cell
    after it; a name the cell does not define is an error."""
    i = _parameters_cell(nb)
    unknown = [k for k in values if not re.search(rf"^{k}\s*=", nb.cells[i].source, re.M)]
    if unknown:
        raise ValueError(f"the parameters cell sets no {', '.join(unknown)}: "
                         "choose among the names it sets")
    _insert_after_parameters(nb, i, "\n".join(f"{k} = {v!r}  # injected by the runner"
                                              for k, v in values.items()))


def coalesce_streams(nb: Any) -> None:
    """Merge each run of consecutive outputs of one stream into one output, as Jupyter shows
    them: how a cell's prints are split into messages varies from run to run."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged: list = []
        for out in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if (out.output_type == "stream" and last is not None
                    and last.output_type == "stream" and last.name == out.name):
                last.text += out.text
            else:
                merged.append(out)
        cell.outputs = merged


@dataclass
class Execution:
    """What a run gave: the executed notebook, the error (its last line) or None, the index of
    the cell that raised it, the seconds it took and the notebook's results record."""

    notebook: Any
    error: str | None
    error_cell: int | None
    seconds: float
    record: dict | None


def execute_notebook(source: str | Path | Any, *, cwd: str | Path, digits: tuple[int, int] | None
                     = None, parameters: Mapping[str, Any] | None = None,
                     after: Sequence[str] = (), timeout: int = 900, out: str | Path | None = None,
                     log: IO[str] | None = None, kernel_name: str = "python3") -> Execution:
    """Run a notebook (a path, or a notebook already read) on a fresh kernel started in ``cwd``.

    Every stored output is cleared first. ``digits`` and ``parameters`` are injected after the
    parameters cell; ``after`` is code run after the last cell, left out of the result.
    ``timeout`` is per cell, in seconds. The kernel's own stderr goes to ``log``. The executed
    notebook, streams merged, is written to ``out`` when given.
    """
    nbformat = _nbformat()
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(source, as_version=4) if isinstance(source, (str, Path)) else source
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if digits is not None:
        inject_digits(nb, digits)
    if parameters:
        inject_parameters(nb, parameters)
    n_cells = len(nb.cells)
    nb.cells += [nbformat.v4.new_code_cell(code) for code in after]
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, record_timing=False,
                            shutdown_kernel="immediate", resources={"metadata": {"path": str(cwd)}})
    error, error_cell = None, None
    start = time.perf_counter()
    try:
        client.execute(**({"stderr": log} if log is not None else {}))
    except CellExecutionError as err:
        lines = [ln for ln in str(err).strip().splitlines() if ln.strip()]
        error = _ANSI.sub("", lines[-1]) if lines else repr(err)
    except CellTimeoutError:
        error = f"a cell ran longer than {timeout} s"
    except DeadKernelError as err:
        error = f"the kernel died ({err})"
    if error is not None:
        error_cell = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                           and any(o.get("output_type") == "error" for o in c.get("outputs", []))),
                          None)
    seconds = time.perf_counter() - start
    del nb.cells[n_cells:]
    coalesce_streams(nb)
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(out))
    return Execution(nb, error, error_cell, round(seconds, 2), results_from_notebook(nb))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.executor",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--out", type=Path, help="where to save the executed copy")
    parser.add_argument("--cwd", type=Path, help="the kernel's folder (default: the notebook's)")
    parser.add_argument("--after", type=Path, help="a file of code to run after the last cell")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell (900)")
    args = parser.parse_args(argv)
    after = [args.after.read_text(encoding="utf-8")] if args.after else []
    run = execute_notebook(args.notebook, cwd=args.cwd or args.notebook.parent, after=after,
                           timeout=args.timeout, out=args.out)
    print(json.dumps({"error": run.error, "record": run.record, "seconds": run.seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
