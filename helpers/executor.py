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

The teachers' grader (helpers/exercises/grading.py) runs learners' notebooks through it as well,
with keyword arguments only it needs: the kernel started by a command of its own (inside a
sandbox), over unix sockets; a time limit for the whole run; a cell that times out interrupted
and the run going on; and a cap on the bytes of output kept.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    the cell that raised it, the seconds it took and the notebook's results record; for the
    grader's runs also the cells interrupted on timeout, whether the outputs grew too large
    (the run was then stopped) and whether the kernel died."""

    notebook: Any
    error: str | None
    error_cell: int | None
    seconds: float
    record: dict | None
    timed_out: list[int] = field(default_factory=list)  # cells interrupted on timeout
    too_large: bool = False  # the outputs passed max_output_bytes: the run was stopped
    kernel_died: bool = False


class _RunStopped(Exception):
    """Ends a run early: its outputs grew too large, its time is up, or its kernel no longer
    answers an interrupt."""


_TIMEOUT_NAME = "CellTimeoutError"


def _client_class(max_output_bytes: int | None, deadline: float | None, cell_timeout: int,
                  timed_out: list[int]) -> Any:
    """NotebookClient, with a cap on the output it keeps and a deadline for the whole run; a
    cell that timed out is recorded, and the run stops when the next one times out too (the
    kernel did not come back from the interrupt)."""
    from nbclient import NotebookClient

    class Client(NotebookClient):
        output_bytes = 0
        too_large = False
        previous_timed_out = False
        current_index: int | None = None  # the code cell being run

        def output(self, outs: list, msg: dict, display_id: Any, cell_index: int) -> Any:
            if self.too_large:
                return None
            if max_output_bytes is not None:
                self.output_bytes += len(json.dumps(msg.get("content", {}), default=str))
                if self.output_bytes > max_output_bytes:
                    import asyncio

                    from jupyter_core.utils import ensure_async
                    self.too_large = True
                    self.interrupting = asyncio.ensure_future(
                        ensure_async(self.km.interrupt_kernel()))
                    return None
            return super().output(outs, msg, display_id, cell_index)

        async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any,
                                     **kwargs: Any) -> Any:
            if cell.cell_type != "code" or not cell.source.strip():
                return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
            if deadline is not None and time.monotonic() >= deadline:
                raise _RunStopped("the notebook ran past its time limit")
            self.current_index, before = cell_index, len(timed_out)
            done = await super().async_execute_cell(cell, cell_index, *args, **kwargs)
            if self.too_large:
                raise _RunStopped(f"its outputs passed {max_output_bytes:,} bytes")
            if len(timed_out) > before:
                cell.outputs.append(_nbformat().v4.new_output(
                    "error", ename=_TIMEOUT_NAME, evalue=f"the cell ran past {cell_timeout} s "
                    "and was interrupted", traceback=[]))
                if self.previous_timed_out:
                    raise _RunStopped("the kernel did not come back from an interrupt")
            self.previous_timed_out = len(timed_out) > before
            return done

    return Client


def _manager_class(argv: Sequence[str], connection_dir: Path) -> Any:
    """An AsyncKernelManager that starts the kernel with ``argv`` (``{connection_file}`` in it),
    over unix sockets in ``connection_dir``, and interrupts it by message (the process it
    starts may be a sandbox's launcher rather than the kernel itself)."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    spec = KernelSpec(argv=list(argv), display_name="Python 3 (launched)", language="python",
                      interrupt_mode="message", env={})

    class Manager(AsyncKernelManager):
        def __init__(self, **kw: Any) -> None:
            super().__init__(transport="ipc", connection_file=str(connection_dir / "kernel.json"),
                             ip=str(connection_dir / "k"), **kw)

        @property
        def kernel_spec(self) -> Any:
            return spec

    return Manager


def execute_notebook(source: str | Path | Any, *, cwd: str | Path, digits: tuple[int, int] | None
                     = None, parameters: Mapping[str, Any] | None = None,
                     after: Sequence[str] = (), timeout: int = 900, out: str | Path | None = None,
                     log: IO[str] | None = None, kernel_name: str = "python3",
                     kernel_argv: Sequence[str] | None = None,
                     connection_dir: str | Path | None = None,
                     kernel_env: Mapping[str, str] | None = None, allow_errors: bool = False,
                     interrupt_on_timeout: bool = False, total_timeout: float | None = None,
                     max_output_bytes: int | None = None, startup_timeout: int = 60
                     ) -> Execution:
    """Run a notebook (a path, or a notebook already read) on a fresh kernel started in ``cwd``.

    Every stored output is cleared first. ``digits`` and ``parameters`` are injected after the
    parameters cell; ``after`` is code run after the last cell, left out of the result.
    ``timeout`` is per cell, in seconds. The kernel's own stderr goes to ``log``. The executed
    notebook, streams merged, is written to ``out`` when given.

    For the grader: ``kernel_argv`` is the command that starts the kernel (with
    ``{connection_file}`` in it), talked to over unix sockets in ``connection_dir``, with the
    environment ``kernel_env``; ``allow_errors`` runs on past a cell that raised;
    ``interrupt_on_timeout`` interrupts a cell that ran past ``timeout`` and goes on (listed in
    ``Execution.timed_out``); ``total_timeout`` limits the whole run, in seconds;
    ``max_output_bytes`` stops the run once its outputs pass that size.
    """
    nbformat = _nbformat()
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
    timed_out: list[int] = []
    deadline = None if total_timeout is None else time.monotonic() + total_timeout
    options: dict[str, Any] = {}
    if kernel_argv is not None:
        folder = Path(connection_dir) if connection_dir is not None else Path(cwd)
        options["kernel_manager_class"] = _manager_class(kernel_argv, folder)
    if interrupt_on_timeout:
        options["interrupt_on_timeout"] = True
        options["error_on_timeout"] = {"ename": _TIMEOUT_NAME, "evalue": "interrupted",
                                       "traceback": []}
        options["on_cell_error"] = lambda cell, cell_index, execute_reply: (
            timed_out.append(cell_index)
            if execute_reply["content"].get("ename") == _TIMEOUT_NAME else None)
    if deadline is not None:
        options["timeout_func"] = lambda cell: max(1, min(timeout, int(deadline -
                                                                       time.monotonic()) + 1))
    client = _client_class(max_output_bytes, deadline, timeout, timed_out)(
        nb, timeout=timeout, kernel_name=kernel_name, record_timing=False,
        shutdown_kernel="immediate", resources={"metadata": {"path": str(cwd)}},
        allow_errors=allow_errors, startup_timeout=startup_timeout, **options)
    launch: dict[str, Any] = {"stderr": log} if log is not None else {}
    if kernel_env is not None:
        launch["env"] = dict(kernel_env)
    error, error_cell, died = None, None, False
    start = time.perf_counter()
    try:
        client.execute(**launch)
    except CellExecutionError as err:
        lines = [ln for ln in str(err).strip().splitlines() if ln.strip()]
        error = _ANSI.sub("", lines[-1]) if lines else repr(err)
    except CellTimeoutError:
        error = f"a cell ran longer than {timeout} s"
    except DeadKernelError as err:
        error, died, error_cell = f"the kernel died ({err})", True, client.current_index
    except _RunStopped as err:
        error, error_cell = f"the run was stopped: {err}", client.current_index
    if error is not None and error_cell is None:
        error_cell = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                           and any(o.get("output_type") == "error" for o in c.get("outputs", []))),
                          None)
    seconds = time.perf_counter() - start
    del nb.cells[n_cells:]
    coalesce_streams(nb)
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(out))
    return Execution(nb, error, error_cell, round(seconds, 2), results_from_notebook(nb),
                     timed_out=timed_out, too_large=client.too_large, kernel_died=died)


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
