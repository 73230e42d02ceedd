"""Every exercise: listed, placed in its notebook, passed by its reference, unattempted when left
as the placeholder, and failed by at least two plausible wrong answers with the intended message
(each notebook's ``tests/test_exercises_NN.py`` holds those as ``WRONG_ANSWERS``)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import torch

from helpers.exercises import Exercise, Result, Wrong, call, exercises, expect_tensor, raised
from tests.conftest import NOTEBOOKS, ROOT, code_cells, read_notebook

ALL = exercises()
IDS = [f"{e.notebook}-{e.name}" for e in ALL]


def test_listing_names_at_least_three_per_notebook():
    out = subprocess.run([sys.executable, "-m", "helpers.exercises"], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout.splitlines()
    assert out == [f"{e.notebook} {e.name}" for e in ALL]
    for path in NOTEBOOKS:
        mine = [line for line in out if line.startswith(path.name[:2] + " ")]
        assert len(mine) >= 3, f"{path.name} has {len(mine)} exercises; it needs three or more"


@pytest.mark.parametrize("exercise", ALL, ids=IDS)
def test_reference_passes(exercise: Exercise):
    result = exercise.evaluate(exercise.reference)
    assert result.status == "correct", result.message


@pytest.mark.parametrize("exercise", ALL, ids=IDS)
def test_placeholder_is_not_attempted(exercise: Exercise):
    def stub(*args):
        ...

    for blank in (..., stub):
        result = exercise.evaluate(blank)
        assert result.status == "unattempted", (blank, result.message)
        assert "Not attempted yet" in result.message


@pytest.mark.parametrize("exercise", ALL, ids=IDS)
def test_exercise_is_checked_in_its_notebook(exercise: Exercise):
    path = next(p for p in NOTEBOOKS if p.name.startswith(exercise.notebook))
    code = "\n".join(code_cells(read_notebook(path)))
    assert f".{exercise.name}.check(" in code, f"{path.name} never checks {exercise.name}"
    assert exercise.hint_text.strip() and exercise.solution_text.strip()


@pytest.mark.parametrize("exercise", ALL, ids=IDS)
def test_two_wrong_answers_are_tested(exercise: Exercise):
    module = importlib.import_module(f"tests.test_exercises_{exercise.notebook}")
    wrong = module.WRONG_ANSWERS.get(exercise.name, [])
    assert len(wrong) >= 2, f"{exercise.notebook} {exercise.name}: test two wrong answers or more"


def _wrong_cases():
    for exercise in ALL:
        module = importlib.import_module(f"tests.test_exercises_{exercise.notebook}")
        for i, (answer, fragment) in enumerate(module.WRONG_ANSWERS.get(exercise.name, [])):
            yield pytest.param(exercise, answer, fragment,
                               id=f"{exercise.notebook}-{exercise.name}-{i}")


@pytest.mark.parametrize(("exercise", "answer", "fragment"), list(_wrong_cases()))
def test_wrong_answer_gets_its_message(exercise: Exercise, answer, fragment):
    """Each plausible wrong answer fails, with the sentence meant for that mistake."""
    result = exercise.evaluate(answer)
    assert result.status == "incorrect", result.message
    assert fragment in result.message, result.message


def test_every_wrong_answer_names_a_real_exercise():
    for notebook in sorted({e.notebook for e in ALL}):
        module = importlib.import_module(f"tests.test_exercises_{notebook}")
        names = {e.name for e in ALL if e.notebook == notebook}
        assert set(module.WRONG_ANSWERS) <= names, (notebook, set(module.WRONG_ANSWERS) - names)


# The framework itself: each of the ways an answer can go wrong becomes a sentence, not a
# traceback from inside the checker.

def _double_check(fn) -> None:
    x = torch.tensor([1.0, -2.0])
    expect_tensor(call(fn, x), x * 2, "doubled")


DOUBLE = Exercise("99", "double", "Write `double(x)`, returning 2 * x.", _double_check,
                  "Multiply.", "def double(x):\n    return 2 * x", lambda x: 2 * x)


def _verdict(answer) -> Result:
    return DOUBLE.evaluate(answer)


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
        (lambda x: [2, -4]): "should be a tensor, not list",
        (lambda x: (2 * x)[None]): "has shape (1, 2); it should be (2,)",
        (lambda x: 3 * x): "wrong values",
        (lambda x: x / 0): "inf or nan",
        42: "wants a function",
    }
    for answer, fragment in cases.items():
        result = _verdict(answer)
        assert result.status == "incorrect" and fragment in result.message, result.message
    assert _verdict(lambda x: x + x).status == "correct"


def test_raised_explains_an_in_place_update_of_a_tracked_parameter():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        w -= 0.1  # what a step outside torch.no_grad() does
    message = str(raised(err.value, "take_step", "(at the first step)"))
    assert message.startswith("take_step changed a parameter in place while autograd tracks it")
    assert "(at the first step)" in message and "inside `with torch.no_grad():`" in message
    other = str(raised(RuntimeError("shape mismatch"), "take_step", "(at the first step)"))
    assert other == "take_step raised RuntimeError: shape mismatch (at the first step)"

    def step(params):
        for p in params:
            p -= 0.1

    assert "torch.no_grad()" in _verdict_of(step, [w])


def _verdict_of(fn, *args) -> str:
    try:
        call(fn, *args, name="step")
    except Wrong as wrong:
        return str(wrong)
    return ""


def test_a_checker_that_trips_still_answers_in_a_sentence():
    def fragile(answer):
        return answer["key"]  # a learner's odd answer makes the checker itself fail

    ex = Exercise("99", "fragile", "Give a dict.", fragile, "h", "s", {"key": 1})
    result = ex.evaluate([1, 2])
    assert result.status == "incorrect" and "TypeError" in result.message


def test_wrong_is_an_exception_with_the_message():
    assert str(Wrong("x")) == "x"


@pytest.fixture(autouse=True, scope="module")
def _forget_test_exercises():
    yield
    from helpers.exercises import REGISTRY

    REGISTRY[:] = [e for e in REGISTRY if e.notebook != "99"]


def _code_solutions():
    import ast
    import textwrap

    for exercise in ALL:
        text = textwrap.dedent(exercise.solution_text).strip()
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue  # a solution in words, or words and code
        names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        if names:
            yield pytest.param(exercise, text, names[-1], id=f"{exercise.notebook}-{exercise.name}")


@pytest.mark.parametrize(("exercise", "text", "name"), list(_code_solutions()))
def test_printed_solution_passes_its_own_check(exercise: Exercise, text, name):
    """What `solution()` shows a learner is right, not only the hidden reference."""
    import helpers.training

    module = importlib.import_module(f"helpers.exercises.nb{exercise.notebook}")
    namespace = {**vars(helpers.training), **vars(module)}  # what the notebook has in scope
    exec(compile(text, f"<solution {exercise.notebook} {exercise.name}>", "exec"), namespace)
    result = exercise.evaluate(namespace[name])
    assert result.status == "correct", result.message
