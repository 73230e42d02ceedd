"""The teachers' grader (``python -m helpers.exercises grade``) on a class of submissions built
here, each with its expected row; the containment of a hostile submission; the learners'
``progress`` table. The class uses notebook 01's exercises in small notebooks that need no data,
and one untouched copy of the real notebook 01 (which needs MNIST on disk)."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers.exercises import grading, progress, records, sandbox
from tests.conftest import ROOT

SECRET = "teachers-secret-7f3a"
IMPORTS = "import torch\nfrom helpers.exercises import nb01 as ex"
RIGHT = {
    "reshape": "answer = (3, 1568)",
    "broadcast": "answer = (2, 5, 28, 28)",
    "max_distance": "def max_distance(images, ideal):\n"
                    "    return (images - ideal).abs().amax((-1, -2))",
    "per_class_accuracy": "def per_class_accuracy(preds, labels, digit):\n"
                          "    mask = labels == digit\n"
                          "    return (preds[mask] == labels[mask]).float().mean()",
}
WRONG = {
    "reshape": "answer = (6, 784)",
    "broadcast": "answer = (5, 2, 28, 28)",
    "max_distance": "def max_distance(images, ideal):\n"
                    "    return (images - ideal).amax((-1, -2))",
    "per_class_accuracy": "def per_class_accuracy(preds, labels, digit):\n"
                          "    return (preds == labels).float().mean()",
}
BLANK = {
    "reshape": "answer = ...",
    "broadcast": "answer = ...",
    "max_distance": "def max_distance(images, ideal):\n    ...  # your code here",
    "per_class_accuracy": "def per_class_accuracy(preds, labels, digit):\n"
                          "    ...  # your code here",
}
ARGS = {"reshape": "answer", "broadcast": "answer", "max_distance": "max_distance",
        "per_class_accuracy": "per_class_accuracy"}


def notebook(answers: dict, imports: str = IMPORTS, before: tuple = (), after: tuple = ()):
    """A small notebook of 01's four exercises: a title, the imports, one cell per exercise."""
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# 01 · Pixel similarity (a small copy)"),
                new_code_cell(imports), *[new_code_cell(s) for s in before]]
    for name, arg in ARGS.items():
        nb.cells.append(new_code_cell(f"{answers[name]}\n\n\nex.{name}.check({arg})\n"
                                      f"# ex.{name}.hint()\n# ex.{name}.solution()"))
    nb.cells += [new_code_cell(s) for s in after]
    return nb


def record_output(text: str, exercise: str, verb: str, verdict: str | None = None):
    record = {"id": f"01.{exercise}", "verb": verb, "course": "0.1.0"}
    if verdict:
        record["verdict"] = verdict
    return new_output("display_data", data={"text/plain": text},
                      metadata={records.ATTEMPT_MIME: record})


def cell_of(nb, name: str):
    return next(c for c in nb.cells if f"ex.{name}.check(" in c.source)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Paths and a listening socket that a contained submission must not reach."""
    base = tmp_path_factory.mktemp("teacher")
    home = base / "home"
    home.mkdir()
    (home / "secret.txt").write_text(SECRET)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    (base / "outside").mkdir()
    yield {"home": home, "outside": base / "outside", "port": server.getsockname()[1],
           "server": server}
    server.close()


def build_class(folder: Path, hostile: dict) -> list[str]:
    """The class: one submission per case, and the roster (with one student who handed in
    nothing). Returns the roster."""
    folder.mkdir()
    out, port, home = hostile["outside"], hostile["port"], hostile["home"]

    alice = notebook(RIGHT)  # right, with a hint and a solution seen (stored records)
    cell_of(alice, "reshape").outputs = [record_output("Hint: ...", "reshape", "hint"),
                                         record_output("Correct!", "reshape", "check",
                                                       "correct")]
    cell_of(alice, "max_distance").outputs = [
        record_output("Solution: ...", "max_distance", "solution"),
        record_output("Correct!", "max_distance", "check", "correct")]
    nbformat.write(alice, folder / "alice.ipynb")
    nbformat.write(notebook(WRONG), folder / "bob.ipynb")

    dan = notebook(BLANK)  # untouched answers, outputs edited to say Correct!
    for name in ARGS:
        cell_of(dan, name).outputs = [record_output("Correct!", name, "check", "correct")]
    nbformat.write(dan, folder / "dan.ipynb")

    patch = (f"{IMPORTS}\nfrom helpers.exercises import Exercise, Result\n"
             "Exercise.verdict = lambda self, answer: Result('correct', 'Correct!')")
    nbformat.write(notebook(WRONG, imports=patch), folder / "mallory.ipynb")

    loop = dict(RIGHT, max_distance="def max_distance(images, ideal):\n    while True:\n"
                                    "        pass")
    nbformat.write(notebook(loop), folder / "loopy.ipynb")

    # writes outside its folder, from a cell (the kernel) and from an answer (the judge),
    # and tries the network; its answers are right whatever happens
    write = (f"import os, socket\nfor path in [{str(out / 'kernel.txt')!r}, "
             f"{str(home / 'kernel.txt')!r}]:\n"
             "    try:\n        open(path, 'w').write('escaped')\n        print('WROTE', path)\n"
             "    except OSError as err:\n        print('blocked', path, type(err).__name__)\n"
             f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
             "    print('NETWORK')\nexcept OSError as err:\n    print('no network', err)")
    judged = dict(RIGHT, max_distance=(
        "def max_distance(images, ideal):\n    try:\n"
        f"        open({str(out / 'judge.txt')!r}, 'w').write('escaped')\n"
        "    except OSError:\n        pass\n"
        "    return (images - ideal).abs().amax((-1, -2))"))
    nbformat.write(notebook(judged, before=(write,)), folder / "writer.ipynb")

    # reads the environment, the teacher's home and other processes' environments; its answer
    # is right only where it cannot see them
    snoop = ("import os, glob\nprint(sorted(os.environ.items()))\n"
             "for path in glob.glob('/proc/*/environ'):\n    try:\n"
             "        print(path, open(path).read())\n    except OSError:\n        pass\n"
             f"try:\n    print(open({str(home / 'secret.txt')!r}).read())\n"
             "except OSError as err:\n    print('home blocked', err)\n"
             "import mmap\ntry:\n    mmap.mmap(-1, 16 * 2**30)\n    print('NO MEMORY CAP')\n"
             "except OSError as err:\n    print('memory capped', err)")
    seeing = dict(RIGHT, per_class_accuracy=(
        "import os\n\n\ndef per_class_accuracy(preds, labels, digit):\n"
        f"    if {SECRET!r} in str(os.environ) or os.path.exists({str(home)!r}):\n"
        "        return (preds == labels).float().mean()\n"
        "    mask = labels == digit\n    return (preds[mask] == labels[mask]).float().mean()"))
    nbformat.write(notebook(seeing, before=(snoop,)), folder / "snoop.ipynb")

    (folder / "paul.ipynb").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3 a report, renamed")
    (folder / "ivan.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5,
                                                   "metadata": {}, "cells": [42]}))
    other = new_notebook(cells=[
        new_markdown_cell("# 02 · Gradients"),
        new_code_cell("from helpers.exercises import nb02 as ex"),
        new_code_cell("def slope(fn, x, h):\n    ...\n\n\nex.slope.check(slope)")])
    nbformat.write(other, folder / "olga.ipynb")
    (folder / "erin").mkdir()  # a student folder without the notebook
    (folder / "erin" / "notes.txt").write_text("I could not finish it")
    nbformat.write(notebook(RIGHT, after=("print('x' * 50_000_000)",)), folder / "bigsby.ipynb")
    died = "import os\nos._exit(3)  # as a crash in native code would"
    nbformat.write(notebook(RIGHT, before=(died,)), folder / "kurt.ipynb")
    half = dict(WRONG, reshape=RIGHT["reshape"], broadcast=RIGHT["broadcast"])
    nbformat.write(notebook(half), folder / "heidi.ipynb")
    nbformat.write(notebook(half), folder / "hank.ipynb")
    nb01 = ROOT / "notebooks" / "01_pixel_similarity.ipynb"
    (folder / "carol.ipynb").write_bytes(nb01.read_bytes())  # the notebook as handed out
    return [*sorted(p.stem for p in folder.glob("*.ipynb")), "erin", "dave"]  # dave: nothing


# student: (status, total, a fragment of the reason)
EXPECTED = {
    "alice": ("ok", 4, ""),
    "bob": ("ok", 0, ""),
    "carol": ("ok", 0, ""),
    "dan": ("tampered", 0, "saved notebook says Correct! for reshape, broadcast"),
    "mallory": ("tampered", 0, "assigns `Exercise.verdict`"),
    "loopy": ("timeout", 3, "max_distance"),
    "writer": ("ok", 4, ""),
    "snoop": ("ok", 4, ""),
    "paul": ("not-a-notebook", 0, "PDF"),
    "ivan": ("invalid-notebook", 0, "broken"),
    "olga": ("wrong-notebook", 0, "notebook 02, not 01: it checks slope"),
    "erin": ("missing", 0, "erin/"),
    "dave": ("missing", 0, "No notebook"),
    "bigsby": ("too-large", 4, "outputs passed"),
    "kurt": ("kernel-died", 4, "kernel died in the fresh run (at cell 3 (`import os`))"),
    "heidi": ("duplicate", 2, "identical to that of hank"),
    "hank": ("duplicate", 2, "identical to that of heidi"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, hostile):
    base = tmp_path_factory.mktemp("class")
    roster = build_class(base / "submissions", hostile)
    out = base / "grades"
    saved = {k: os.environ.get(k) for k in ("GRADER_SECRET", "HOME")}
    os.environ["GRADER_SECRET"] = SECRET
    os.environ["HOME"] = str(hostile["home"])
    lines: list[str] = []
    try:
        rows = grading.grade(base / "submissions", out, notebook="01", jobs=2, cell_timeout=15,
                             roster=roster, log=lines.append)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    return {"rows": {r.student: r for r in rows}, "out": out, "table": table, "log": lines,
            "mode": sandbox.detect().mode}


def printed(graded, student: str) -> str:
    """Everything the fresh run of a student's notebook printed."""
    nb = nbformat.read(graded["out"] / "executed" / f"{student}.ipynb", as_version=4)
    return "\n".join(json.dumps(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def contained(graded) -> None:
    if graded["mode"] not in ("bwrap", "unshare"):
        pytest.skip(f"no namespace sandbox here (mode {graded['mode']}): the grader warned")


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_its_expected_row(graded, student):
    status, total, fragment = EXPECTED[student]
    if student in ("writer", "snoop") and graded["mode"] not in ("bwrap", "unshare"):
        pytest.skip("a hostile answer is right only where it is contained")
    row = graded["rows"][student]
    assert (row.status, row.total, row.maximum) == (status, total, 4), row.reasons
    assert fragment in " ".join(row.reasons), row.reasons
    if status == "ok":
        assert row.reasons == [], row.reasons
    feedback = (graded["out"] / "feedback" / f"{student}.md").read_text(encoding="utf-8")
    assert f"**{total} of 4 points**" in feedback and status in feedback


def test_the_csv_has_one_row_per_submission_in_a_fixed_order(graded):
    header, *rows = graded["table"]
    ids = ["01.reshape", "01.broadcast", "01.max_distance", "01.per_class_accuracy"]
    assert header == [*grading.COLUMNS, *ids, "total", "maximum", "hints", "solutions",
                      "solved_after_solution", "seconds", "reason"]
    assert sorted(r[0] for r in rows) == sorted(EXPECTED)
    by = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert [by["alice"][i] for i in ids] == ["1", "1", "1", "1"]
    assert [by["loopy"][i] for i in ids] == ["1", "1", "0", "1"]
    assert [by["heidi"][i] for i in ids] == ["1", "1", "0", "0"]
    assert by["carol"]["course_version"] == "0.1.0" and by["carol"]["notebook"] == "01"
    assert all(float(r["seconds"]) >= 0 for r in by.values())


def test_hint_and_solution_use_come_from_the_saved_records(graded):
    row = graded["rows"]["alice"]
    assert (row.hints, row.solutions, row.after_solution) == (
        ["reshape"], ["max_distance"], ["max_distance"])
    by = {r[0]: r for r in graded["table"][1:]}
    header = graded["table"][0]
    alice = dict(zip(header, by["alice"], strict=True))
    assert (alice["hints"], alice["solutions"], alice["solved_after_solution"]) == (
        "1", "1", "max_distance")
    assert "solution seen first" in (graded["out"] / "feedback" / "alice.md").read_text()


def test_wrong_answers_get_the_checks_sentences(graded):
    feedback = (graded["out"] / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert "you forgot the absolute value" in feedback
    assert "shapes line up from the RIGHT" in feedback
    assert "accuracy over ALL images" in feedback
    untouched = (graded["out"] / "feedback" / "carol.md").read_text(encoding="utf-8")
    assert untouched.count("Not attempted yet") == 4


def test_a_patched_checker_changes_no_verdict(graded):
    """Its kernel said Correct! to every wrong answer; the grader's own checks did not."""
    row = graded["rows"]["mallory"]
    assert all(v.status == "incorrect" for v in row.verdicts.values())
    assert "checker was patched in the kernel" in " ".join(row.reasons)
    shown = printed(graded, "mallory")
    assert shown.count("Correct!") >= 4 and "Not yet" not in shown


def test_an_endless_loop_is_interrupted_and_the_rest_graded(graded):
    row = graded["rows"]["loopy"]
    assert row.verdicts["max_distance"].status == "timeout"
    assert "cell 5 (`def max_distance(images, ideal):`)" in " ".join(row.reasons)
    executed = nbformat.read(graded["out"] / "executed" / "loopy.ipynb", as_version=4)
    last = cell_of(executed, "per_class_accuracy")
    assert any("Correct!" in str(o.get("data", {})) for o in last.outputs), "the run went on"


def test_gradescope_results_follow_its_schema(graded):
    result = json.loads((graded["out"] / "results" / "loopy.json").read_text())
    assert result["score"] == 3 and len(result["tests"]) == 4
    for test in result["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output"}
        assert test["max_score"] == 1 and test["status"] in ("passed", "failed")
    missing = json.loads((graded["out"] / "results" / "dave.json").read_text())
    assert missing["score"] == 0 and "No notebook" in missing["output"]


def test_executed_notebooks_are_kept_and_fresh(graded):
    assert (graded["out"] / "executed" / "carol.ipynb").exists()
    carol = nbformat.read(graded["out"] / "executed" / "carol.ipynb", as_version=4)
    errors = [o for c in carol.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == [], "the real notebook 01 runs to its end in the sandbox, data and all"
    assert not (graded["out"] / "executed" / "paul.ipynb").exists()
    assert os.path.getsize(graded["out"] / "executed" / "bigsby.ipynb") < 30 * 2**20


def test_a_submission_cannot_write_outside_its_folder(graded, hostile):
    contained(graded)
    assert list(hostile["outside"].iterdir()) == []
    assert sorted(p.name for p in hostile["home"].iterdir()) == ["secret.txt"]
    shown = printed(graded, "writer")
    assert "WROTE" not in shown and shown.count("blocked") == 2, shown


def test_a_submission_has_no_network(graded, hostile):
    contained(graded)
    shown = printed(graded, "writer")
    assert "no network" in shown and "NETWORK" not in shown, shown
    with pytest.raises(BlockingIOError):
        hostile["server"].accept()


def test_a_submission_cannot_read_the_teachers_environment_or_home(graded):
    contained(graded)
    shown = printed(graded, "snoop")
    assert SECRET not in shown and "home blocked" in shown, shown
    assert "memory capped" in shown and "'HOME', '/home/student'" in shown
    assert graded["rows"]["snoop"].verdicts["per_class_accuracy"].correct, (
        "the judge, too, ran without the teacher's environment and home")


def test_the_sandbox_in_use_is_announced(graded):
    assert any(line.startswith(f"Sandbox: {graded['mode']}.") for line in graded["log"])


# --- the pieces, without a kernel --------------------------------------------------------------

def _cells(*sources: str):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    return grading.read_cells(json.loads(nbformat.writes(nb)))


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")),
                         ids=lambda p: p.name[:2])
def test_the_course_notebooks_are_not_flagged_and_are_identified(path):
    cells = grading.read_cells(json.loads(path.read_text(encoding="utf-8")))
    assert grading.tampering(cells)[0] == []
    table = {e.name: e.notebook for e in grading_exercises()}
    assert grading.identify(cells, table)[0] == path.name[:2]


def grading_exercises():
    from helpers.exercises import exercises

    return exercises()


@pytest.mark.parametrize("patch", [
    "from helpers.exercises import Exercise\nExercise.verdict = lambda s, a: None",
    "ex.max_distance._checker = lambda fn: None",
    "setattr(ex.max_distance, 'verdict', print)",
    "type(ex.max_distance).verdict = print",
    "vars(ex.max_distance)['_checker'] = print",
    "checker = ex.max_distance\nchecker.verdict = print",
    "import torch\ntorch.allclose = lambda *a, **k: True",
    "import helpers.exercises.checking as c\nc.expect_tensor = print",
    "exec('import helpers')",
    "import sys\nsys.modules['helpers.exercises.nb01'].max_distance = None",
    "def max_distance(images, ideal):\n    import torch\n    torch.equal = lambda *a: True",
    "import gc",
    "f = (lambda: 0).__code__",
])
def test_patches_of_the_checking_machinery_are_found(patch):
    cells = _cells("from helpers.exercises import nb01 as ex", patch)
    reasons, _ = grading.tampering(cells)
    assert reasons, patch


@pytest.mark.parametrize("honest", [
    "import torch\ntorch.backends.cudnn.deterministic = True",
    "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (4, 3)",
    "import sys\nif 'google.colab' in sys.modules:\n    pass",
    "import torch\nx = torch.stack([torch.ones(2)])\nmodel = torch.nn.Linear(2, 1)\nmodel.eval()",
])
def test_honest_code_is_not_flagged(honest):
    assert grading.tampering(_cells("from helpers.exercises import nb01 as ex", honest))[0] == []


def test_an_answer_takes_only_the_statements_it_depends_on():
    cells = _cells("import torch\nimport math\nfrom helpers.exercises import nb01 as ex",
                   "SCALE = 1\nunused = 1 / 0",
                   "torch.allclose = lambda *a, **k: True\ntorch.set_printoptions(precision=3)",
                   "def helper(t):\n    return t.abs() * SCALE",
                   "def max_distance(images, ideal):\n    return helper(images - ideal).amax((-1,"
                   " -2))\n\nex.max_distance.check(max_distance)",
                   "def max_distance(images, ideal):\n    return 0\n",
                   "ex.max_distance.check(max_distance)\nex.max_distance.hint()")
    _, excluded = grading.tampering(cells)
    answers = grading.find_answers(cells, ["max_distance", "reshape"], excluded)
    assert list(answers) == ["max_distance"], "reshape has no check call"
    answer = answers["max_distance"]
    assert answer.cell == 6, "the last check call is the one graded"
    assert answer.parts == [(5, [0])], "its definition, which needs nothing"
    answers = grading.find_answers(cells[:5], ["max_distance"], excluded)
    assert answers["max_distance"].parts == [(1, [0]), (3, [0]), (4, [0])], (
        "SCALE, helper and the answer; not the patch, the print option nor the division")


def test_the_judge_voids_a_verdict_reached_while_the_checks_were_patched(tmp_path):
    """An answer that patches the checks from inside itself, as the judge calls it: without the
    judge's fingerprint, this wrong answer would pass."""
    cells = _cells("from helpers.exercises import nb01 as ex",
                   "def max_distance(images, ideal):\n"
                   "    import helpers.exercises.nb01 as checks\n"
                   "    checks.expect_tensor = lambda *args, **kwargs: None\n"
                   "    checks.close = lambda *args, **kwargs: False\n"
                   "    return images.sum((-1, -2))\n\nex.max_distance.check(max_distance)",
                   f"{RIGHT['per_class_accuracy']}\n\nex.per_class_accuracy.check("
                   "per_class_accuracy)")
    answers = grading.find_answers(cells, ["max_distance", "per_class_accuracy"], set())
    box = sandbox.detect()
    verdicts = grading.judge(answers, cells, "01", box, tmp_path, None, timeout=30)
    assert verdicts["max_distance"].status == "tampered", verdicts["max_distance"]
    assert verdicts["per_class_accuracy"].correct, "judged afresh, after the patched one"


def test_a_check_in_a_cell_with_a_syntax_error_is_an_answer_that_cannot_be_read():
    cells = _cells("from helpers.exercises import nb01 as ex",
                   "def max_distance(images, ideal)\n    return 0\n\n"
                   "ex.max_distance.check(max_distance)")
    answers = grading.find_answers(cells, ["max_distance"], set())
    assert "syntax error" in answers["max_distance"].error


def test_files_that_are_not_notebooks_are_named():
    assert grading.parse_notebook(b"%PDF-1.7")[1:] == ("not-a-notebook",
                                                      "the file is a PDF file, not a notebook "
                                                      "(.ipynb)")
    assert grading.parse_notebook(b"print('hi')")[1] == "not-a-notebook"
    assert grading.parse_notebook(b'{"a": 1}')[1] == "not-a-notebook"
    assert grading.parse_notebook(b'{"cells": [{"cell_type": "x"}], "nbformat": 4,'
                                  b' "nbformat_minor": 5, "metadata": {}}')[1] == (
        "invalid-notebook")
    nb, status, _ = grading.parse_notebook(nbformat.writes(notebook(RIGHT)).encode())
    assert status is None and len(nb["cells"]) == 6


def test_a_csv_cell_cannot_be_a_formula():
    assert grading._cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert [grading._cell(v) for v in ("+1", "-1", "@a", "alice", 3)] == [
        "'+1", "'-1", "'@a", "alice", "3"]


def test_a_weak_sandbox_is_announced_loudly(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.ipynb").write_bytes(b"%PDF")
    rows = grading.grade(tmp_path / "in", tmp_path / "out", notebook="01", sandbox="none",
                         log=lambda line: None)
    assert [r.status for r in rows] == ["not-a-notebook"]
    assert "WARNING: submissions run with weak containment" in capsys.readouterr().err


def test_the_command_line_rejects_bad_input(tmp_path):
    run = [sys.executable, "-m", "helpers.exercises", "grade", str(tmp_path / "nowhere")]
    done = subprocess.run(run, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "not a folder" in done.stderr
    done = subprocess.run([*run[:-1], str(tmp_path), "--notebook", "42"], capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 1 and "no notebook '42'" in done.stderr


def test_the_sandbox_contains_a_hostile_process(tmp_path, hostile):
    """Straight through Sandbox.command, with small caps: each promise, tried."""
    box = sandbox.detect(memory_mb=512, file_mb=1)
    if box.mode not in ("bwrap", "unshare"):
        pytest.skip(f"no namespace sandbox here: {box.tried}")
    outside = tmp_path / "outside.txt"
    code = f"""
import glob, mmap, os, socket
out = []
try:
    open({str(outside)!r}, 'w').write('x'); out.append('wrote outside')
except OSError:
    pass
try:
    open({str(hostile['home'] / 'secret.txt')!r}).read(); out.append('read home')
except OSError:
    pass
if {SECRET!r} in str(os.environ): out.append('saw env')
for path in glob.glob('/proc/*/environ'):
    try:
        if {SECRET!r} in open(path).read(): out.append('saw env of ' + path)
    except OSError:
        pass
try:
    socket.create_connection(('127.0.0.1', {hostile['port']}), timeout=2); out.append('net')
except OSError:
    pass
try:
    mmap.mmap(-1, 2**30); out.append('no memory cap')
except OSError:
    pass
try:
    open('big', 'wb').write(b'x' * 2**21); out.append('no file cap')
except OSError:
    pass
open('mine.txt', 'w').write('its own folder is writable')
print(os.getuid(), len(glob.glob('/proc/[0-9]*')), out)
"""
    work = box.workspace(tmp_path / "w")
    env = {**os.environ, "GRADER_SECRET": SECRET}
    done = subprocess.run(box.command(work, [sys.executable, "-I", "-c", code]), env=env,
                          capture_output=True, text=True, timeout=60)
    uid, processes, found = done.stdout.split(maxsplit=2)
    assert found.strip() == "[]", done.stdout + done.stderr
    assert int(processes) <= 3, "it sees only its own processes"
    if os.geteuid() == 0:
        assert uid == str(sandbox.NOBODY)
    assert not outside.exists()


# --- a learner's progress ----------------------------------------------------------------------

def test_progress_reads_the_saved_records(tmp_path):
    nb = notebook(BLANK)
    cell_of(nb, "reshape").outputs = [record_output("No", "reshape", "check", "incorrect")]
    cell_of(nb, "broadcast").outputs = [record_output("Yes", "broadcast", "check", "correct")]
    cell_of(nb, "max_distance").outputs = [
        record_output("Solution", "max_distance", "solution"),
        record_output("Yes", "max_distance", "check", "correct")]
    cell_of(nb, "per_class_accuracy").outputs = [
        record_output("Hint", "per_class_accuracy", "hint")]
    nbformat.write(nb, tmp_path / "01_pixel_similarity.ipynb")
    (tmp_path / "broken.ipynb").write_text("not json")
    rows, unread = progress.progress(tmp_path)
    got = {r["id"]: r["status"] for r in rows}
    assert [got[f"01.{n}"] for n in ARGS] == ["tried", "solved", "solved after the solution",
                                               "not attempted"]
    assert got["02.slope"] == "not attempted" and len(rows) == len(grading_exercises())
    assert unread == [str(tmp_path / "broken.ipynb")]
    out = subprocess.run([sys.executable, "-m", "helpers.exercises", "progress", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    lines = out.splitlines()
    assert lines[3].split() == ["01", "per_class_accuracy", "not", "attempted", "(hint",
                                "seen)"]
    assert lines[2].endswith("solved after the solution (solution seen)")
    assert lines[-1] == f"2 of {len(rows)} solved"


def test_data_in_a_folder_only_its_owner_may_enter_is_mirrored_readable(tmp_path):
    """CI's FASTAI_HOME comes from `mktemp -d` (mode 0700): a sandbox running as nobody could
    not read it. The grader reads it through a mirror of links, and leaves the original alone."""
    from helpers.exercises.grading import readable_data

    home = tmp_path / "home"
    (home / "data" / "d").mkdir(parents=True)
    (home / "config.ini").write_text("[DEFAULT]\ndata = data\n")
    (home / "data" / "d" / "1.png").write_bytes(b"x")
    secret = home / "data" / "d" / "own.bin"
    secret.write_bytes(b"y")
    secret.chmod(0o600)
    home.chmod(0o700)
    view, mirror = readable_data(home)
    try:
        assert mirror is not None and view != home
        assert (view / "config.ini").read_text().startswith("[DEFAULT]")
        for path in [mirror, view, view / "data", view / "data" / "d"]:
            assert path.stat().st_mode & 0o005 == 0o005, path
        assert (view / "data" / "d" / "own.bin").stat().st_mode & 0o004
        assert home.stat().st_mode & 0o777 == 0o700 and secret.stat().st_mode & 0o777 == 0o600
    finally:
        import shutil

        shutil.rmtree(mirror, ignore_errors=True)
    import tempfile

    with tempfile.TemporaryDirectory() as open_home:  # under /tmp, which anyone may enter
        os.chmod(open_home, 0o755)
        assert readable_data(Path(open_home)) == (Path(open_home), None)
