"""The series runner: parameter injection, fresh outputs, and a notebook run end to end on a pair
other than 3 vs 7."""

from __future__ import annotations

import json

import nbformat
import pytest

from helpers import executor
from helpers.results import RESULTS_MIME
from tests.conftest import ROOT
from tools import runner


def _nb(*sources, tags=("parameters",)):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.cells[0].metadata["tags"] = list(tags)
    return nb


def test_inject_digits_follows_the_parameters_cell():
    nb = _nb("DIGITS = (3, 7)", "print(DIGITS)")
    executor.inject_digits(nb, (2, 9))
    assert [c.source for c in nb.cells] == [
        "DIGITS = (3, 7)", "DIGITS = (2, 9)  # injected by the runner", "print(DIGITS)"]
    assert nb.cells[1].metadata["tags"] == ["injected-parameters"]


def test_all_digits_notebook_takes_no_pair():
    nb = _nb("EPOCHS = 4", "DIGITS = tuple(range(10))")
    assert executor.inject_digits(nb, (2, 9)) is False
    assert [c.source for c in nb.cells] == ["EPOCHS = 4", "DIGITS = tuple(range(10))"]


def test_executed_notebook_gets_ipykernel_kernelspec(tmp_path):
    src = tmp_path / "nb.ipynb"
    nb = _nb("DIGITS = (3, 7)", "from helpers import record\nrecord('x', DIGITS, accuracy=1.0)")
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nbformat.write(nb, src)
    row = runner.execute(src, tmp_path / "out.ipynb", (3, 7))
    assert row["error"] is None and row["figures"] == {"accuracy": 1.0}
    assert row["digits"] == [3, 7]
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert out.metadata["kernelspec"] == executor.KERNELSPEC


def test_inject_digits_needs_a_parameters_cell():
    with pytest.raises(ValueError, match="parameters"):
        executor.inject_digits(_nb("x = 1", tags=()), (2, 9))


@pytest.mark.parametrize("argv", [["--digits", "3,3"], ["--digits", "12,3"],
                                  ["--inplace", "--digits", "2,9"], ["99_missing"]])
def test_cli_rejects_bad_input(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        runner.main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_failed_notebook_leaves_no_stale_results(tmp_path):
    src = tmp_path / "nb.ipynb"
    nb = _nb("DIGITS = (3, 7)", "raise RuntimeError('boom')",
             "from helpers import record\nrecord('x', DIGITS, accuracy=1.0)")
    nb.cells[2].outputs = [nbformat.v4.new_output(
        "display_data", data={"text/plain": "old"},
        metadata={RESULTS_MIME: {"figures": {"a": 1}}})]
    nbformat.write(nb, src)
    row = runner.execute(src, tmp_path / "out.ipynb", (3, 7))
    assert row["error"] and "boom" in row["error"]
    assert row["figures"] == {}, "a stored record must not pass for this run's result"


def test_notebooks_run_on_another_pair():
    assert runner.main(["--digits", "2,9", "01", "03"]) == 0
    report = json.loads((ROOT / "build" / "results.json").read_text())
    assert report["digits"] == [2, 9]
    rows = {row["name"]: row for row in report["notebooks"]}
    assert set(rows) == {"01_pixel_similarity", "03_seven_steps"}
    assert all(row["error"] is None for row in rows.values())
    pixel = rows["01_pixel_similarity"]["figures"]
    assert set(pixel) >= {"accuracy", "accuracy_2", "accuracy_9"}
    assert 0.90 <= pixel["accuracy"] < 1.0, "2 vs 9 by pixel similarity reaches ~0.93"
    trained = rows["03_seven_steps"]["figures"]["accuracy"]
    assert trained >= 0.95 and trained > pixel["accuracy"], "training must beat the baseline"


def test_consecutive_prints_are_one_output():
    """How prints split into messages varies from run to run; the saved notebook must not."""
    nb = _nb("print(1)")
    out = nbformat.v4.new_output
    nb.cells[0].outputs = [out("stream", name="stdout", text="a\n"),
                           out("stream", name="stdout", text="b\n"),
                           out("stream", name="stderr", text="warn\n"),
                           out("display_data", data={"text/plain": "x"}),
                           out("stream", name="stdout", text="c\n")]
    executor.coalesce_streams(nb)
    assert [(o.output_type, o.get("text")) for o in nb.cells[0].outputs] == [
        ("stream", "a\nb\n"), ("stream", "warn\n"), ("display_data", None), ("stream", "c\n")]


def test_inject_parameters_overrides_named_settings():
    nb = _nb("SEED = 42\nEPOCHS = 5", "print(SEED)")
    executor.inject_parameters(nb, {"SEED": 7, "EPOCHS": 1})
    assert nb.cells[1].source == ("SEED = 7  # injected by the runner\n"
                                  "EPOCHS = 1  # injected by the runner")
    with pytest.raises(ValueError, match="sets no LR"):
        executor.inject_parameters(_nb("SEED = 42"), {"LR": 0.1})


def test_code_after_the_notebook_runs_in_its_kernel_and_is_not_saved(tmp_path):
    src = tmp_path / "nb.ipynb"
    nbformat.write(_nb("DIGITS = (3, 7)\nx = 2", "from helpers import record\n"
                       "record('x', DIGITS, accuracy=0.5)"), src)
    row = runner.execute(src, tmp_path / "out.ipynb", (3, 7), after=["assert x == 3, 'x is 2'"])
    assert row["error"] is not None and "x is 2" in row["error"]
    assert len(nbformat.read(tmp_path / "out.ipynb", as_version=4).cells) == 2


def test_the_executor_is_defined_once():
    """Only helpers/executor.py drives a kernel; the runner, the Colab replica and the
    benchmarks all go through it."""
    users = [p.relative_to(ROOT).as_posix() for folder in ("helpers", "tools", "benchmarks")
             for p in sorted((ROOT / folder).rglob("*.py"))
             if "NotebookClient" in p.read_text(encoding="utf-8")]
    assert users == ["helpers/executor.py"]
    assert "helpers.executor" in (ROOT / "tools" / "colab_check.py").read_text(encoding="utf-8")


def test_executor_command_line_clears_stale_outputs_and_runs_code_after(tmp_path):
    import subprocess
    import sys

    src = tmp_path / "nb.ipynb"
    nb = _nb("x = 2", "print('fresh')")
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale\n")]
    nbformat.write(nb, src)
    (tmp_path / "after.py").write_text("assert x == 3, 'x is 2'\n")
    out = subprocess.run([sys.executable, "-m", "helpers.executor", str(src), "--after",
                          str(tmp_path / "after.py"), "--out", str(tmp_path / "out.ipynb")],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["error"] == "AssertionError: x is 2" and summary["record"] is None
    saved = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert len(saved.cells) == 2 and saved.cells[1].outputs[0].text == "fresh\n"


def test_refreshing_in_place_keeps_a_notebook_whose_outputs_moved_only_in_timings(tmp_path):
    src = tmp_path / "nb.ipynb"
    nbformat.write(_nb("import random", "print(f'took {random.uniform(1, 99):.1f} ms')",
                       "print(random.random() < 2)"), src)
    runner.execute(src, src, (3, 7))
    first = src.read_text(encoding="utf-8")
    assert " ms\\n" in first
    runner.execute(src, src, (3, 7))
    assert src.read_text(encoding="utf-8") == first  # the timing moved; the file did not
    nb = nbformat.read(src, as_version=4)
    nb.cells[2].source = "print('changed')"
    nbformat.write(nb, src)
    runner.execute(src, src, (3, 7))
    assert "changed" in src.read_text(encoding="utf-8")
