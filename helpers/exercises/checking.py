"""The parts every check is made of: call the learner's code safely, compare what came back, and
say what is wrong in a sentence.

A check raises :class:`Wrong` with the message a learner should read. These functions do the
common parts, and accept what a correct answer may legitimately look like: a tensor of another
float dtype, a 0-d tensor, a Python or NumPy number, a letter written as "c", "(c)" or " C ".
"""

from __future__ import annotations

import ast
import copy
import inspect
import math
import numbers
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

import torch

__all__ = [
    "NotAttempted",
    "Wrong",
    "as_count",
    "as_letter",
    "as_number",
    "call",
    "choice",
    "close",
    "describe",
    "expect_close",
    "expect_count",
    "expect_tensor",
    "fresh",
    "is_placeholder",
    "raised",
]


class Wrong(Exception):
    """Raised by a check: the answer is wrong, and the message says how."""


class NotAttempted(Exception):
    """Raised by a check: the answer is still the placeholder."""


def _empty() -> None: ...


def _empty_doc() -> None:
    """A docstring and nothing else."""


_BLANK = {_empty.__code__.co_code, _empty_doc.__code__.co_code}


def _body_is_blank(fn: Any) -> bool | None:
    """Whether the source of ``fn`` has a body of only ``...``, ``pass`` and a docstring;
    None when its source cannot be read."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return None
    return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(
        s.value, ast.Constant) and (s.value.value is Ellipsis or isinstance(s.value.value, str)))
        for s in node.body)


def is_placeholder(answer: Any) -> bool:
    """True for ``...``, ``None``, or a function whose body is only ``...`` or ``pass``.

    ``def f(x): return None`` compiles to the same bytecode as ``def f(x): ...``; its source
    tells them apart, so it counts as an attempt (that returned None).
    """
    if answer is Ellipsis or answer is None:
        return True
    code = getattr(answer, "__code__", None)
    if code is None or code.co_code not in _BLANK or code.co_name == "<lambda>":
        return False
    blank = _body_is_blank(answer)
    return True if blank is None else blank


def describe(value: Any) -> str:
    """A few words for a value: "a tensor of shape (2, 3) (float64)", "a str ('c')"."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} ({str(value.dtype).split('.')[-1]})"
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return f"the {type(value).__name__} {value!r}"
    return f"a {type(value).__name__}"


def fresh(value: Any) -> Any:
    """A deep copy of example data: tensors (their ``requires_grad`` kept), models, lists."""
    if isinstance(value, torch.Tensor):
        out = value.detach().clone()
        return out.requires_grad_() if value.requires_grad else out
    if isinstance(value, (list, tuple)):
        return type(value)(fresh(v) for v in value)
    if isinstance(value, (torch.nn.Module, dict)):
        return copy.deepcopy(value)
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(
            a.detach(), b.detach())
    if isinstance(a, (list, tuple)):
        return (isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b, strict=True)))
    return True


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
    hint = ""
    if isinstance(err, TypeError) and "return_types.m" in text:
        hint = (". `x.max(dim=...)` and `x.min(dim=...)` return the values AND their positions: "
                "take `.values`, or use `x.amax(dim=..., keepdim=True)`")
    elif isinstance(err, TypeError) and "NoneType" in text:
        hint = (". Was something None when you used it? A `.grad` is None before the first "
                "`backward()` and after you set it to None: step first, then clear it")
    return Wrong(f"{name} raised {type(err).__name__}: {text or repr(err)}{suffix}{hint}")


def call(fn: Callable, *args: Any, name: str = "your function") -> Any:
    """Call the learner's ``fn`` on fresh copies of ``args``; turn every way it can fail into
    :class:`Wrong`.

    The copies are compared with ``args`` afterwards, so changing an input in place is caught,
    and no answer can change the example data a later call or check uses. A tensor on a GPU comes
    back on the CPU. ``None`` as a result means the body is still a placeholder, or a
    ``return`` is missing.
    """
    if not callable(fn):
        raise Wrong(f"this exercise wants a function; you gave {describe(fn)}")
    given = fresh(args)
    try:
        result = fn(*given)
    except (Exception, SystemExit) as err:  # the learner's code, not the checker's
        shown = ", ".join(describe(a) for a in args)
        raise raised(err, name, f"(called with {shown})") from None
    if isinstance(result, torch.Tensor) and result.device.type != "cpu":
        result = result.cpu()  # a learner's GPU tensor, compared with the CPU reference
    if result is None:
        if is_placeholder(fn):
            raise NotAttempted
        raise Wrong(f"{name} returned None: did you forget to `return` the result?")
    for i, (old, new) in enumerate(zip(args, given, strict=True)):
        if not _same(old, new):
            raise Wrong(f"{name} changed its input number {i + 1} in place; compute a new "
                        "tensor instead (for example `x = x * 2`, not `x *= 2`)")
    return result


def close(a: Any, b: Any, atol: float = 1e-6, rtol: float = 1e-5) -> bool:
    """Whether two tensors (any float or integer dtypes) or numbers hold the same values, as
    float64; False for other shapes or kinds rather than an error."""
    try:
        a = torch.as_tensor(a.detach() if isinstance(a, torch.Tensor) else a).double()
        b = torch.as_tensor(b.detach() if isinstance(b, torch.Tensor) else b).double()
    except (TypeError, ValueError, RuntimeError):
        return False
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=atol, rtol=rtol))


def as_number(got: Any, name: str = "your answer") -> float:
    """A number from a Python or NumPy number, or a tensor holding one value (0-d, any dtype);
    :class:`Wrong` for anything else, for a bool and for inf or nan."""
    if isinstance(got, torch.Tensor):
        if got.numel() != 1:
            raise Wrong(f"{name} should be one number; you gave {describe(got)}")
        got = got.detach().item()
    elif hasattr(got, "item") and getattr(got, "shape", None) in ((), (1,)):  # NumPy
        got = got.item()
    elif isinstance(got, str):
        try:
            float(got.replace(",", "").replace("_", ""))
        except ValueError:
            pass
        else:
            raise Wrong(f"{name} is the string {got!r}; give the number itself, without quotes")
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        raise Wrong(f"{name} should be a number, not {describe(got)}")
    value = float(got)
    if not math.isfinite(value):
        raise Wrong(f"{name} is {value}; the answer is a finite number")
    return value


def as_count(got: Any, name: str = "your count") -> int:
    """A whole number from ``7850``, ``7850.0``, ``torch.tensor(7850)`` or ``np.int64(7850)``."""
    value = as_number(got, name)
    if not value.is_integer():
        raise Wrong(f"{name} is {value!r}; a count is a whole number")
    return int(value)


def expect_close(got: Any, expected: float, name: str = "your answer", *,
                 tol: float = 1e-4) -> None:
    """A single number within ``tol`` of the reference, or :class:`Wrong` showing both."""
    value = as_number(got, name)
    if abs(value - expected) > tol:
        raise Wrong(f"{name} is {value:.6g}; {expected:.6g} was expected")


def expect_count(got: Any, expected: int, name: str = "your count") -> None:
    """A whole number equal to ``expected``, or :class:`Wrong` showing both."""
    value = as_count(got, name)
    if value != expected:
        more = "too many" if value > expected else "too few"
        raise Wrong(f"{name} is {value}; that is not it ({more})")


def expect_tensor(got: Any, expected: torch.Tensor, name: str = "your result", *,
                  atol: float = 1e-5, rtol: float = 1e-4,
                  shape_hints: Mapping[tuple[int, ...], str] | None = None,
                  requires_grad: bool | None = False) -> None:
    """Compare the learner's tensor with the reference; raise :class:`Wrong` naming the first
    difference: type, shape (with a hint for shapes that reveal a known mistake), gradient
    tracking, non-finite values, then the values themselves (compared in float64, so an answer
    computed in another float dtype passes)."""
    if not isinstance(got, torch.Tensor):
        raise Wrong(f"{name} should be a tensor, not {describe(got)}")
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
    if got.is_complex():
        raise Wrong(f"{name} holds complex numbers; the answer is real")
    got_f, exp_f = got.detach().double(), expected.detach().double()
    if not torch.isfinite(got_f).all() and torch.isfinite(exp_f).all():
        raise Wrong(f"{name} contains inf or nan where the right answer is finite")
    if not torch.allclose(got_f, exp_f, atol=atol, rtol=rtol):
        worst = (got_f - exp_f).abs().argmax()
        raise Wrong(f"{name} has the right shape but wrong values: for example "
                    f"{got_f.flatten()[worst].item():.6g} where {exp_f.flatten()[worst].item():.6g}"
                    " is expected")


def as_letter(answer: Any, letters: str) -> str:
    """One of ``letters`` from "b", "B", "(b)", "b)", "b." or " b "; :class:`Wrong` otherwise."""
    listed = ", ".join(letters[:-1]) + " or " + letters[-1]
    letter = answer.strip().strip("().:").strip().lower() if isinstance(answer, str) else None
    if letter is None or len(letter) != 1 or letter not in letters:
        raise Wrong(f"answer with one letter, {listed} (as a string, e.g. \"{letters[0]}\"), "
                    f"not {answer!r}")
    return letter


def choice(letters: str, wrong: Mapping[str, str], remark: str) -> Callable[[Any], str]:
    """A checker for a multiple-choice answer, one of ``letters`` ("abc"): a letter in
    ``wrong`` gets its reason, the right one ``remark``."""

    def check(answer: Any) -> str:
        letter = as_letter(answer, letters)
        if letter in wrong:
            raise Wrong(wrong[letter])
        return remark
    return check
