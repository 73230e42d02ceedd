"""Exercises with checks that teach: try something, and find out at once whether it is right.

In a notebook, each exercise is a small object with three verbs::

    from helpers.exercises import nb01 as ex

    def l1_distance(a, b):
        ...  # your code here

    ex.distance.check(l1_distance)   # says what is right or wrong, in plain text
    ex.distance.hint()               # a nudge
    ex.distance.solution()           # a worked solution

A placeholder answer (``...``, or a function whose body is only ``...``) is "not attempted yet",
so "Run all" never stops on an exercise. A check never shows a traceback from inside itself: an
answer that raises, returns the wrong type or shape, changes its inputs or keeps a gradient gets a
sentence that says so. ``python -m helpers.exercises`` lists every exercise as ``NN name``.

Writing a check: a function of the learner's answer that raises :class:`Wrong` with the message a
learner should read, and returns ``None`` (or a short remark) when the answer is right. ``call``
and ``expect_tensor`` do the common parts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

__all__ = [
    "REGISTRY",
    "Exercise",
    "NotAttempted",
    "Result",
    "Wrong",
    "call",
    "choice",
    "exercises",
    "expect_close",
    "expect_tensor",
    "is_placeholder",
    "raised",
]

Status = Literal["correct", "incorrect", "unattempted"]

REGISTRY: list[Exercise] = []


class Wrong(Exception):
    """Raised by a check: the answer is wrong, and the message says how."""


class NotAttempted(Exception):
    """Raised by a check: the answer is still the placeholder."""


@dataclass(frozen=True)
class Result:
    """What a check concluded: ``status`` and the sentence shown to the learner."""

    status: Status
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"


def _empty() -> None: ...


def is_placeholder(answer: Any) -> bool:
    """True for ``...``, ``None``, or a function whose body is only ``...`` or ``pass``."""
    if answer is Ellipsis or answer is None:
        return True
    code = getattr(answer, "__code__", None)
    return code is not None and code.co_code == _empty.__code__.co_code


def _clone(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_clone(v) for v in value)
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(
            a.detach(), b.detach())
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return True


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return type(value).__name__


def raised(err: Exception, name: str, where: str = "") -> Wrong:
    """The :class:`Wrong` for an exception the learner's code raised: its type and text, and,
    for PyTorch's refusal to change a tracked parameter in place, the fix (``torch.no_grad()``).
    ``where`` is appended to say when it happened, e.g. "(called with a tensor of shape (2,))"."""
    suffix = f" {where}" if where else ""
    text = str(err).splitlines()[0] if str(err) else ""
    if isinstance(err, RuntimeError) and ("leaf Variable" in text or "requires grad" in text):
        return Wrong(f"{name} changed a parameter in place while autograd tracks it, and PyTorch "
                     f"refused ({text}){suffix}. Do the update inside `with torch.no_grad():`, "
                     "so that it is not recorded as part of the model")
    return Wrong(f"{name} raised {type(err).__name__}: {err}{suffix}")


def call(fn: Callable, *args: Any, name: str = "your function") -> Any:
    """Call the learner's ``fn`` on ``args`` and turn every way it can fail into :class:`Wrong`.

    The inputs are compared before and after, so changing them in place is caught; ``None`` as a
    result means the body is still a placeholder, or a ``return`` is missing.
    """
    if not callable(fn):
        raise Wrong(f"this exercise wants a function; you gave {_describe(fn)}")
    before = _clone(args)
    try:
        result = fn(*args)
    except Exception as err:  # the learner's code, not the checker's
        shown = ", ".join(_describe(a) for a in args)
        raise raised(err, name, f"(called with {shown})") from None
    if result is None:
        if is_placeholder(fn):
            raise NotAttempted
        raise Wrong(f"{name} returned None: did you forget to `return` the result?")
    for i, (old, new) in enumerate(zip(before, args, strict=True)):
        if not _same(old, new):
            raise Wrong(f"{name} changed its input number {i + 1} in place; compute a new "
                        "tensor instead (for example `x = x * 2`, not `x *= 2`)")
    return result


def expect_tensor(got: Any, expected: torch.Tensor, name: str = "your result", *,
                  atol: float = 1e-5, rtol: float = 1e-4,
                  shape_hints: dict[tuple[int, ...], str] | None = None,
                  requires_grad: bool | None = False) -> None:
    """Compare the learner's tensor with the reference; raise :class:`Wrong` naming the first
    difference: type, shape (with a hint for shapes that reveal a known mistake), gradient
    tracking, non-finite values, then the values themselves."""
    if not isinstance(got, torch.Tensor):
        raise Wrong(f"{name} should be a tensor, not {_describe(got)}")
    if tuple(got.shape) != tuple(expected.shape):
        hint = (shape_hints or {}).get(tuple(got.shape), "")
        raise Wrong(f"{name} has shape {tuple(got.shape)}; it should be "
                    f"{tuple(expected.shape)}" + (f". {hint}" if hint else ""))
    if requires_grad is False and got.requires_grad:
        raise Wrong(f"{name} still tracks gradients (requires_grad=True); compute it under "
                    "`torch.no_grad()` or call `.detach()`")
    if requires_grad is True and not got.requires_grad:
        raise Wrong(f"{name} does not track gradients; keep it connected to the parameters "
                    "(no `.detach()`, no `torch.no_grad()` here)")
    got_f, exp_f = got.detach().double(), expected.detach().double()
    if not torch.isfinite(got_f).all() and torch.isfinite(exp_f).all():
        raise Wrong(f"{name} contains inf or nan where the right answer is finite")
    if not torch.allclose(got_f, exp_f, atol=atol, rtol=rtol):
        worst = (got_f - exp_f).abs().argmax()
        raise Wrong(f"{name} has the right shape but wrong values: for example "
                    f"{got_f.flatten()[worst].item():.6g} where {exp_f.flatten()[worst].item():.6g}"
                    " is expected")


def expect_close(got: Any, expected: float, name: str = "your answer", *,
                 tol: float = 1e-4) -> None:
    """A single number within ``tol`` of the reference, or :class:`Wrong` saying how far off."""
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise Wrong(f"{name} should be a number, not {_describe(got)}")
    if not math.isfinite(got):
        raise Wrong(f"{name} is {got}; the answer is a finite number")
    if abs(got - expected) > tol:
        raise Wrong(f"{name} is {got:.6g}, not the expected value")


def choice(letters: str, wrong: dict[str, str], remark: str) -> Callable[[Any], str]:
    """A checker for a multiple-choice answer, one of ``letters`` ("abc"), given as a string
    ("b", "B" or "(b)"): a letter in ``wrong`` gets its reason, the right one ``remark``."""
    listed = ", ".join(letters[:-1]) + " or " + letters[-1]

    def check(answer: Any) -> str:
        letter = answer.strip().strip("()").lower() if isinstance(answer, str) else None
        if letter is None or len(letter) != 1 or letter not in letters:
            raise Wrong(f"answer with one letter, {listed} (as a string, e.g. \"a\"), "
                        f"not {answer!r}")
        if letter in wrong:
            raise Wrong(wrong[letter])
        return remark
    return check


@dataclass
class Exercise:
    """One exercise of notebook ``notebook`` (its two-digit number), called ``name`` there.

    ``checker(answer)`` raises :class:`Wrong` or :class:`NotAttempted`, or returns ``None`` or a
    remark; ``reference`` is an answer that passes (the tests hold it to that), ``solution`` the
    worked solution a learner can ask for, ``hint`` a nudge, ``task`` one line saying what to do.
    """

    notebook: str
    name: str
    task: str
    checker: Callable[[Any], str | None]
    hint_text: str
    solution_text: str
    reference: Any = field(repr=False)

    def __post_init__(self) -> None:
        if not (len(self.notebook) == 2 and self.notebook.isdigit()):
            raise ValueError(f"notebook must be two digits such as '03', not {self.notebook!r}")
        if not self.name.isidentifier():
            raise ValueError(f"exercise name {self.name!r} must be a Python identifier")
        if any(e.notebook == self.notebook and e.name == self.name for e in REGISTRY):
            raise ValueError(f"exercise {self.notebook} {self.name} is defined twice")
        REGISTRY.append(self)

    def evaluate(self, answer: Any) -> Result:
        """Check ``answer`` and return the verdict; never raises."""
        if is_placeholder(answer):
            return self._unattempted()
        try:
            remark = self.checker(answer)
        except NotAttempted:
            return self._unattempted()
        except Wrong as err:
            return Result("incorrect", f"Not yet. {err}")
        except Exception as err:  # an answer odd enough to trip the checker itself
            return Result("incorrect", f"Not yet. Checking your answer failed with "
                                       f"{type(err).__name__}: {err}. Is it the kind of value "
                                       f"the task asks for? ({self.task})")
        return Result("correct", "Correct!" + (f" {remark}" if remark else ""))

    def _unattempted(self) -> Result:
        return Result("unattempted", f"Not attempted yet: {self.task} Replace the `...` with "
                                     f"your answer and run the cell again; "
                                     f"`ex.{self.name}.hint()` gives a nudge.")

    def check(self, answer: Any) -> None:
        """Print the verdict on ``answer`` as plain text."""
        print(self.evaluate(answer).message)

    def hint(self) -> None:
        """Print a hint."""
        print(f"Hint: {self.hint_text}")

    def solution(self) -> None:
        """Print a worked solution."""
        print(f"Solution:\n{self.solution_text.strip()}")


def exercises(notebook: str | None = None) -> list[Exercise]:
    """Every exercise of every notebook module (imported on demand), or those of ``notebook``."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("nb"):
            importlib.import_module(f"{__name__}.{info.name}")
    found = sorted(REGISTRY, key=lambda e: e.notebook)  # stable: definition order within one
    return [e for e in found if notebook is None or e.notebook == notebook]
