"""Exercises with checks that teach: try something, and find out at once whether it is right.

In a notebook, each exercise is a small object with three verbs::

    from helpers.exercises import nb01 as ex

    def max_distance(images, ideal):
        ...  # your code here

    ex.max_distance.check(max_distance)   # says what is right or wrong, in plain text
    ex.max_distance.hint()                # a nudge
    ex.max_distance.solution()            # a worked solution

A placeholder answer (``...``, or a function whose body is only ``...``) is "not attempted yet",
so "Run all" never stops on an exercise. A check never shows a traceback from inside itself.
Each verb leaves an attempt record in its cell's output (:mod:`helpers.exercises.records`).
``python -m helpers.exercises`` lists every exercise as ``NN name`` (``--json``: more).

Declaring one, in ``helpers/exercises/nbNN.py``: decorate the reference answer, then attach its
checker. The name and notebook come from the function and the module; the worked solution is
the reference's own source unless ``solution=`` gives prose::

    @exercise(task="Write `max_distance(images, ideal)`: ...", hint="Like `l1_distance`, ...")
    def max_distance(images, ideal):
        return (images - ideal).abs().amax((-1, -2))

    @max_distance.checker
    def _(fn):
        got = call(fn, IMAGES, IDEAL, name="max_distance")   # fresh copies, errors in words
        expect_tensor(got, max_distance.reference(IMAGES, IDEAL), "max_distance(images, ideal)")

A value to predict is a function that returns it, with ``value=True`` and prose for the
solution. A checker raises :class:`Wrong` with the sentence a learner should read, and returns
``None`` or a short remark when the answer is right.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch

from helpers.exercises import records
from helpers.exercises.checking import (
    NotAttempted,
    Wrong,
    as_count,
    as_letter,
    as_number,
    call,
    choice,
    close,
    describe,
    expect_close,
    expect_count,
    expect_tensor,
    fresh,
    is_placeholder,
    raised,
)
from helpers.exercises.records import show

__all__ = [
    "Exercise",
    "NotAttempted",
    "Result",
    "Wrong",
    "as_count",
    "as_letter",
    "as_number",
    "call",
    "choice",
    "close",
    "describe",
    "exercise",
    "exercises",
    "expect_close",
    "expect_count",
    "expect_tensor",
    "fresh",
    "is_placeholder",
    "raised",
    "records",
]

Status = Literal["correct", "incorrect", "unattempted"]
_MODULE = re.compile(r"(?:^|\.)nb(\d\d)$")


@dataclass(frozen=True)
class Result:
    """What a check concluded: ``status`` and the sentence shown to the learner."""

    status: Status
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"


def _source(reference: Any) -> str:
    """The source of a function or class, without its decorators, dedented."""
    text = textwrap.dedent(inspect.getsource(reference))
    node = ast.parse(text).body[0]
    assert isinstance(node, (ast.FunctionDef, ast.ClassDef))
    return "\n".join(text.splitlines()[node.lineno - 1:node.end_lineno]).strip()


class Exercise:
    """One exercise: its reference answer, its task, hint and solution, and its checker.

    Made by :func:`exercise`; ``notebook`` is its notebook's two-digit number, ``name`` the
    reference's name (unique across the course), ``id`` the two together ("01.reshape").
    """

    def __init__(self, reference: Callable[..., Any], *, task: str, hint: str,
                 solution: str | None = None, points: int = 1, value: bool = False,
                 notebook: str | None = None) -> None:
        self.name: str = reference.__name__
        found = _MODULE.search(reference.__module__)
        self.notebook: str = notebook or (found.group(1) if found else "")
        where = f"exercise {self.name!r} ({reference.__module__})"
        if not (len(self.notebook) == 2 and self.notebook.isdigit()):
            raise ValueError(f"{where}: declare it in helpers/exercises/nbNN.py, or pass "
                             "notebook='NN'")
        for label, text in (("task", task), ("hint", hint)):
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{where}: give a {label}= sentence")
        if isinstance(points, bool) or not isinstance(points, int) or points < 1:
            raise ValueError(f"{where}: points must be a whole number of 1 or more")
        if value and not solution:
            raise ValueError(f"{where}: a value to predict needs solution= in words")
        self.task, self.hint_text, self.points = task.strip(), hint.strip(), points
        self.reference: Any = reference() if value else reference
        self.solution_text: str = (solution if solution else _source(reference)).strip()
        self._checker: Callable[[Any], str | None] | None = None

    @property
    def id(self) -> str:
        return f"{self.notebook}.{self.name}"

    def __repr__(self) -> str:
        return f"<exercise {self.id}>"

    def checker(self, fn: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
        """Decorator: ``fn(answer)`` raises :class:`Wrong` or returns None or a remark."""
        self._checker = fn
        return fn

    def verdict(self, answer: Any) -> Result:
        """Check ``answer`` and return the verdict; never raises for an answer."""
        if self._checker is None:
            raise RuntimeError(f"exercise {self.id} has no checker: add @{self.name}.checker")
        if is_placeholder(answer):
            return self._unattempted()
        before = torch.is_grad_enabled()
        torch.set_grad_enabled(True)  # a check computes gradients, whatever the caller's mode
        try:
            try:
                remark = self._checker(answer)
            finally:
                grad_off = not torch.is_grad_enabled()
        except NotAttempted:
            return self._unattempted()
        except Wrong as err:
            result = Result("incorrect", f"Not yet. {err}")
        except SystemExit:
            result = Result("incorrect", "Not yet. Your code stopped Python itself (`sys.exit()` "
                                         "or `exit()`, SystemExit): return the result instead.")
        except Exception as err:  # an answer odd enough to trip the checker itself
            text = str(err).splitlines()[0] if str(err) else type(err).__name__
            result = Result("incorrect", "Not yet, and this check cannot say exactly what is "
                                         f"wrong: your answer is {describe(answer)}, and the "
                                         f"check stopped on it ({text}). The task: {self.task}")
        else:
            result = None
        finally:
            torch.set_grad_enabled(before)
        if grad_off:
            return Result("incorrect", "Not yet. Your code switched gradient tracking off for "
                                       "everything that runs after it "
                                       "(`torch.set_grad_enabled(False)`), so the next training "
                                       "step would learn nothing. Use `with torch.no_grad():` "
                                       "around the lines that need it: it switches tracking "
                                       "back on at its end.")
        if result is not None:
            return result
        return Result("correct", "Correct!" + (f" {remark}" if remark else ""))

    def _unattempted(self) -> Result:
        return Result("unattempted", f"Not attempted yet: {self.task} Replace the `...` with "
                                     f"your answer and run the cell again; "
                                     f"`ex.{self.name}.hint()` gives a nudge.")

    def check(self, answer: Any) -> None:
        """Show the verdict on ``answer`` as plain text (and record the attempt)."""
        result = self.verdict(answer)
        show(result.message, self.id, "check", result.status)

    def hint(self) -> None:
        """Show a hint."""
        show(f"Hint: {self.hint_text}", self.id, "hint")

    def solution(self) -> None:
        """Show a worked solution."""
        show(f"Solution:\n{self.solution_text}", self.id, "solution")


def exercise(*, task: str, hint: str, solution: str | None = None, points: int = 1,
             value: bool = False, notebook: str | None = None
             ) -> Callable[[Callable[..., Any]], Exercise]:
    """Declare an exercise on its reference answer (a function or class; with ``value=True``, a
    function returning the value to predict). See the module's docstring."""

    def declare(reference: Callable[..., Any]) -> Exercise:
        return Exercise(reference, task=task, hint=hint, solution=solution, points=points,
                        value=value, notebook=notebook)
    return declare


def exercises(notebook: str | None = None) -> list[Exercise]:
    """Every exercise of every notebook module, in notebook then definition order, or those of
    ``notebook`` ("03"). Raises ValueError if two share a name."""
    found: list[Exercise] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if _MODULE.search(info.name):
            module = importlib.import_module(f"{__name__}.{info.name}")
            found += [v for k, v in vars(module).items()
                      if isinstance(v, Exercise) and k == v.name]
    names = [e.name for e in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"exercise names must be unique across the course: {twice}")
    return [e for e in found if notebook is None or e.notebook == notebook]
