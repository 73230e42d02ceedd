"""Every exercise: declared once, listed, placed in its notebook, passed by its reference and by
right answers written differently, unattempted when left as the placeholder, and failed by
plausible wrong answers with the intended message. Each notebook's ``tests/test_exercises_NN.py``
holds its own cases as ``WRONG_ANSWERS`` (answer, a fragment of the message) and
``RIGHT_ANSWERS`` (answers that must pass)."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from helpers.exercises import (
    Exercise,
    Result,
    Wrong,
    as_count,
    as_letter,
    as_number,
    call,
    exercise,
    exercises,
    expect_tensor,
    is_placeholder,
    raised,
    records,
)
from tests.conftest import NOTEBOOKS, ROOT, code_cells, read_notebook

ALL = exercises()
IDS = [e.id for e in ALL]


def _cases(kind: str):
    for ex in ALL:
        module = importlib.import_module(f"tests.test_exercises_{ex.notebook}")
        for i, case in enumerate(getattr(module, kind, {}).get(ex.name, [])):
            yield pytest.param(ex, *(case if kind == "WRONG_ANSWERS" else (case,)),
                               id=f"{ex.id}-{i}")


def test_listing_names_at_least_three_per_notebook():
    out = subprocess.run([sys.executable, "-m", "helpers.exercises"], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout.splitlines()
    assert out == [f"{e.notebook} {e.name}" for e in ALL]
    for path in NOTEBOOKS:
        mine = [line for line in out if line.startswith(path.name[:2] + " ")]
        assert len(mine) >= 3, f"{path.name} has {len(mine)} exercises; it needs three or more"


def test_listing_as_json_has_id_notebook_task_and_points():
    out = subprocess.run([sys.executable, "-m", "helpers.exercises", "--json"],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    rows = json.loads(out)
    assert [r["id"] for r in rows] == IDS
    for row, ex in zip(rows, ALL, strict=True):
        assert row == {"id": ex.id, "notebook": ex.notebook, "name": ex.name, "task": ex.task,
                       "points": ex.points}


def test_names_are_unique_across_the_course():
    names = [e.name for e in ALL]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("notebook", sorted({e.notebook for e in ALL}))
def test_every_exercise_module_reloads(notebook):
    module = importlib.import_module(f"helpers.exercises.nb{notebook}")
    before = [e.id for e in exercises(notebook)]
    importlib.reload(module)
    importlib.reload(module)
    assert [e.id for e in exercises(notebook)] == before
    for ex in exercises(notebook):
        assert ex.verdict(ex.reference).status == "correct"


def test_a_module_declares_each_exercise_once_beside_its_reference():
    """No positional declarations, no solution typed a second time next to a reference."""
    for path in sorted((ROOT / "helpers" / "exercises").glob("nb*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and getattr(n.func, "id", None) in ("Exercise", "exercise")]
        assert calls, path.name
        for node in calls:
            assert not node.args, f"{path.name}:{node.lineno}: declare with keywords"


@pytest.mark.parametrize("ex", ALL, ids=IDS)
def test_reference_passes(ex: Exercise):
    result = ex.verdict(ex.reference)
    assert result.status == "correct", result.message


@pytest.mark.parametrize("ex", ALL, ids=IDS)
def test_placeholder_is_not_attempted(ex: Exercise):
    def stub(*args):
        ...

    def documented(*args):
        """Your code here."""

    for blank in (..., stub, documented):
        result = ex.verdict(blank)
        assert result.status == "unattempted", (blank, result.message)
        assert "Not attempted yet" in result.message


@pytest.mark.parametrize("ex", ALL, ids=IDS)
def test_exercise_is_checked_in_its_notebook(ex: Exercise):
    path = next(p for p in NOTEBOOKS if p.name.startswith(ex.notebook))
    code = "\n".join(code_cells(read_notebook(path)))
    assert f"ex.{ex.name}.check(" in code, f"{path.name} never checks {ex.name}"
    assert ex.hint_text and ex.solution_text and ex.task


@pytest.mark.parametrize("ex", ALL, ids=IDS)
def test_wrong_and_right_answers_are_tested(ex: Exercise):
    module = importlib.import_module(f"tests.test_exercises_{ex.notebook}")
    assert len(module.WRONG_ANSWERS.get(ex.name, [])) >= 3, f"{ex.id}: test three wrong answers"
    assert len(module.RIGHT_ANSWERS.get(ex.name, [])) >= 2, (
        f"{ex.id}: test two right answers written differently")


@pytest.mark.parametrize(("ex", "answer", "fragment"), list(_cases("WRONG_ANSWERS")))
def test_wrong_answer_gets_its_message(ex: Exercise, answer, fragment):
    """Each plausible wrong answer fails, with the sentence meant for that mistake."""
    result = ex.verdict(answer)
    assert result.status == "incorrect", result.message
    assert fragment in result.message, result.message
    assert "cannot say exactly" not in result.message, result.message


@pytest.mark.parametrize(("ex", "answer"), list(_cases("RIGHT_ANSWERS")))
def test_right_answer_written_differently_passes(ex: Exercise, answer):
    result = ex.verdict(answer)
    assert result.status == "correct", result.message


def test_every_case_names_a_real_exercise():
    for notebook in sorted({e.notebook for e in ALL}):
        module = importlib.import_module(f"tests.test_exercises_{notebook}")
        names = {e.name for e in ALL if e.notebook == notebook}
        for kind in ("WRONG_ANSWERS", "RIGHT_ANSWERS"):
            assert set(getattr(module, kind)) <= names, (notebook, kind)


@pytest.mark.parametrize("ex", ALL, ids=IDS)
def test_no_answer_can_spoil_a_later_check(ex: Exercise):
    """Wrong answers that change their inputs in place run first; the reference still passes
    after them, and so do the right answers."""
    def scribble(*args):
        for a in args:
            if isinstance(a, torch.Tensor) and a.is_floating_point():
                with torch.no_grad():
                    a.mul_(-3).add_(1)
            elif isinstance(a, list):
                a.clear()
        return args[0] if args else 0

    ex.verdict(scribble)
    module = importlib.import_module(f"tests.test_exercises_{ex.notebook}")
    for answer, _ in module.WRONG_ANSWERS.get(ex.name, []):
        ex.verdict(answer)
    assert ex.verdict(ex.reference).status == "correct"
    for answer in module.RIGHT_ANSWERS.get(ex.name, []):
        assert ex.verdict(answer).status == "correct"


@pytest.mark.parametrize("ex", ALL, ids=IDS)
def test_odd_answers_get_a_sentence(ex: Exercise):
    def raises(*args):
        raise ValueError("my own error")

    def returns_none(*args):
        return None

    odd = [raises, returns_none, "", 3.5, [1, 2], {"a": 1}, object(), torch.zeros(2, 3)]
    for answer in odd:
        result = ex.verdict(answer)
        assert result.status == "incorrect", (answer, result.message)
        assert "Traceback" not in result.message and "Not yet" in result.message
        assert "cannot say exactly" not in result.message, (answer, result.message)


# --- the framework itself --------------------------------------------------------------------


@exercise(task="Write `double(x)`, returning 2 * x.", hint="Multiply.", notebook="99")
def double(x):
    return 2 * x


@double.checker
def _check_double(fn):
    x = torch.tensor([1.0, -2.0])
    expect_tensor(call(fn, x), double.reference(x), "doubled")


def test_a_declaration_takes_name_notebook_and_solution_from_the_reference():
    assert (double.name, double.notebook, double.id) == ("double", "99", "99.double")
    assert double.solution_text == "def double(x):\n    return 2 * x"
    with pytest.raises(ValueError, match="nbNN"):
        exercise(task="t", hint="h")(lambda: 1)
    with pytest.raises(ValueError, match="hint"):
        exercise(task="t", hint=" ", notebook="99")(double.reference)
    with pytest.raises(ValueError, match="in words"):
        exercise(task="t", hint="h", notebook="99", value=True)(lambda: 1)


def test_framework_messages():
    def raises(x):
        raise ZeroDivisionError("oops")

    def in_place(x):
        x *= 2
        return x

    def no_return(x):
        x * 2

    def keeps_grad(x):
        return (2 * x).requires_grad_()

    cases = {
        raises: "raised ZeroDivisionError: oops",
        in_place: "changed its input number 1 in place",
        no_return: "returned None: did you forget to `return`",
        keeps_grad: "still tracks gradients",
        (lambda x: [2, -4]): "should be a tensor, not a list",
        (lambda x: (2 * x)[None]): "has shape (1, 2); it should be (2,)",
        (lambda x: 3 * x): "wrong values",
        (lambda x: x / 0): "inf or nan",
        42: "wants a function",
    }
    for answer, fragment in cases.items():
        result = double.verdict(answer)
        assert result.status == "incorrect" and fragment in result.message, result.message
    assert double.verdict(lambda x: x + x).status == "correct"
    assert double.verdict(lambda x: (x.double() * 2)).status == "correct"


def test_return_none_is_an_attempt_and_dots_are_not():
    def dots(x):
        ...

    def returns_none(x):
        return None

    assert is_placeholder(dots) and is_placeholder(...) and is_placeholder(None)
    assert not is_placeholder(returns_none)
    assert "returned None" in double.verdict(returns_none).message


def test_an_in_place_answer_cannot_change_the_callers_data():
    x = torch.tensor([1.0, 2.0])

    def scribble(t):
        t.mul_(0)
        return t

    with pytest.raises(Wrong, match="in place"):
        call(scribble, x)
    assert x.tolist() == [1.0, 2.0]


def test_numbers_in_every_form():
    for value in (7850, 7850.0, torch.tensor(7850), torch.tensor([7850.0]), np.int64(7850),
                  np.float32(7850), np.array(7850)):
        assert as_count(value) == 7850 and as_number(value) == 7850.0
    for bad in (True, "7850", [7850], torch.ones(2), float("nan")):
        with pytest.raises(Wrong):
            as_number(bad)
    with pytest.raises(Wrong, match="whole number"):
        as_count(7850.5)


def test_letters_in_every_form():
    for text in ("c", "C", "(c)", "c)", " c ", "c.", "(C)"):
        assert as_letter(text, "abcd") == "c"
    for bad in ("e", "cc", "", 3, None):
        with pytest.raises(Wrong, match="one letter"):
            as_letter(bad, "abcd")


def test_raised_explains_an_in_place_update_of_a_tracked_parameter():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        w -= 0.1  # what a step outside torch.no_grad() does
    message = str(raised(err.value, "take_step", "(at the first step)"))
    assert message.startswith("take_step changed a parameter in place while autograd tracks it")
    assert "(at the first step)" in message and "inside `with torch.no_grad():`" in message
    other = str(raised(RuntimeError("shape mismatch"), "take_step", "(at the first step)"))
    assert other == "take_step raised RuntimeError: shape mismatch (at the first step)"


def test_a_checker_that_trips_says_so_plainly():
    @exercise(task="Give a dict.", hint="h", solution="{'key': 1}", notebook="99", value=True)
    def fragile():
        return {"key": 1}

    @fragile.checker
    def _(answer):
        return answer["key"]  # a learner's odd answer makes the checker itself fail

    result = fragile.verdict([1, 2])
    assert result.status == "incorrect"
    assert "cannot say exactly what is wrong" in result.message and "a list" in result.message
    assert "Checking your answer failed" not in result.message


def test_each_verb_leaves_an_attempt_record(monkeypatch):
    shown: list = []
    monkeypatch.setattr(records, "_in_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display",
                        lambda data, metadata, raw: shown.append((data, metadata)))
    double.check(lambda x: 2 * x)
    double.check(lambda x: 3 * x)
    double.hint()
    double.solution()
    texts = [data["text/plain"] for data, _ in shown]
    found = [meta[records.ATTEMPT_MIME] for _, meta in shown]
    assert texts[0] == "Correct!" and texts[1].startswith("Not yet.")
    assert texts[2] == "Hint: Multiply." and texts[3].startswith("Solution:\ndef double")
    assert [(r["id"], r["verb"], r.get("verdict")) for r in found] == [
        ("99.double", "check", "correct"), ("99.double", "check", "incorrect"),
        ("99.double", "hint", None), ("99.double", "solution", None)]
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "data": d, "metadata": m}]} for d, m in shown]}
    assert list(records.attempts(nb)) == found


def test_outside_a_kernel_the_verbs_print(capsys):
    double.check(lambda x: 2 * x)
    double.hint()
    assert capsys.readouterr().out == "Correct!\nHint: Multiply.\n"


def _code_solutions():
    for ex in ALL:
        text = textwrap.dedent(ex.solution_text).strip()
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue  # a solution in words, or words and code
        names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        if names:
            yield pytest.param(ex, text, names[-1], id=ex.id)


@pytest.mark.parametrize(("ex", "text", "name"), list(_code_solutions()))
def test_printed_solution_passes_its_own_check(ex: Exercise, text, name):
    """What `solution()` shows a learner is right, not only the hidden reference."""
    import helpers.training

    module = importlib.import_module(f"helpers.exercises.nb{ex.notebook}")
    namespace = {**vars(helpers.training), **vars(module)}  # what the notebook has in scope
    exec(compile(text, f"<solution {ex.id}>", "exec"), namespace)
    result = ex.verdict(namespace[name])
    assert result.status == "correct", result.message


def test_result_is_true_only_when_correct():
    assert Result("correct", "x") and not Result("incorrect", "x")
