"""Grade a class's notebooks in one command, safely and from a fresh run.

    python -m helpers.exercises grade SUBMISSIONS [--notebook NN] [--out DIR] [--jobs N]
        [--cell-timeout S] [--timeout S] [--roster FILE] [--sandbox MODE] [--memory MB]

SUBMISSIONS holds one notebook per student (``alice.ipynb``) or one folder per student
(``alice/01_pixel_similarity.ipynb``, with any files it reads). DIR (default ``grades``) gets
``grades.csv`` (one row per submission, never skipped), ``feedback/STUDENT.md`` (every verdict
with the check's sentence), ``results/STUDENT.json`` (Gradescope's autograder schema) and
``executed/STUDENT.ipynb`` (the fresh run, for audit).

How a verdict is reached, and why a submission cannot change it:

1. **Read, not trusted.** The file is parsed as data. Its exercises are found in its code, by
   AST: each ``ex.NAME.check(ARG)`` call (``ex`` being whatever name the notebook imported
   ``helpers.exercises.nbNN`` as), so no cell metadata is needed. Stored outputs never give a
   point; they are read only for the attempt records (hint and solution use) and compared.
2. **A fresh run.** The notebook, stored outputs dropped, runs top to bottom on a new kernel
   inside the sandbox (:mod:`helpers.exercises.sandbox`), through the course's one executor
   (:func:`helpers.executor.execute_notebook`): a cell that runs past its time is interrupted
   and the run goes on; outputs are capped. The executed copy is kept, and what its checks
   printed is compared with the verdicts below, but the kernel's own verdicts count for
   nothing: a kernel that has run the submission's code says whatever that code wants.
3. **A separate judge.** The verdicts come from another new, sandboxed Python process that
   imports ``helpers.exercises`` itself before any learner code exists in it, and keeps its own
   references to each exercise and to ``Exercise.verdict``. For the last check call of each
   exercise, it runs only the top-level statements that the answer ``ARG`` depends on (the
   imports, definitions and assignments that bind the names it uses, and theirs in turn, found
   by AST from the notebook's source, in notebook order), evaluates ``ARG`` and judges it.
   Nothing crosses from the kernel to the judge but the source text the grader read itself: an
   object could only leave a kernel serialized, and unpickling is running code. Statements that
   set attributes of imported modules (monkeypatching) never run in the judge.
4. **Guards.** The submission's code is scanned (AST) for patches of the checking machinery:
   assignments to attributes of ``helpers`` names or other imported modules, ``setattr``,
   ``mock.patch``, ``exec``/``eval``, frames, ``sys.modules``, ``gc``, ``ctypes``...; the judge
   fingerprints the checking modules, ``torch``, ``numpy`` and ``builtins`` before and after
   each verdict and voids one made while they changed; a stored output or a fresh-run check
   that says "Correct!" where the judge does not is reported. Any of these makes the status
   ``tampered``; the points are still the judge's.

What it does not promise: the learner's function runs in the judge's process, as a check must
call it; code that defeats both the AST scan and the fingerprint could fool that one verdict.
The fresh run's kernel is fully the submission's.

Statuses, most serious first: missing, not-a-notebook, invalid-notebook, too-large (file),
wrong-notebook (none of these is run: zero points), tampered, kernel-died, timeout, too-large
(outputs), duplicate, ok. The exit code is non-zero only when the grader itself fails.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import contextlib
import csv
import hashlib
import json
import os
import queue
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.course import __version__
from helpers.exercises import sandbox as _sandbox
from helpers.exercises.records import ATTEMPT_MIME

__all__ = [
    "CELL_TIMEOUTS",
    "COLUMNS",
    "RUN_TIMEOUTS",
    "STATUSES",
    "Row",
    "grade",
    "main",
]

# Seconds per cell and per whole run. 07 trains a CNN on 60,000 images for 15 epochs: 73-84 s
# on the idle 2-core test machine with two threads, several minutes with one thread beside
# another job, so it gets minutes; every other notebook runs in well under a minute.
DEFAULT_CELL_TIMEOUT, DEFAULT_RUN_TIMEOUT = 120, 600
CELL_TIMEOUTS = {"07": 900}
RUN_TIMEOUTS = {"07": 1800}
MAX_FILE_MB, MAX_OUTPUT_MB = 25, 20

STATUSES = ("grader-error", "missing", "not-a-notebook", "invalid-notebook", "too-large",
            "wrong-notebook", "tampered", "kernel-died", "timeout", "duplicate", "ok")
COLUMNS = ("student", "file", "notebook", "course_version", "status")
_TAIL = ("total", "maximum", "hints", "solutions", "solved_after_solution", "seconds", "reason")
_SUSPICIOUS_IMPORTS = {"ctypes", "gc", "importlib", "builtins", "unittest.mock", "mock",
                       "pytest"}
_SUSPICIOUS_ATTRS = {"__code__", "__globals__", "__builtins__", "__closure__", "__defaults__",
                     "__kwdefaults__", "__subclasses__", "__setattr__", "__delattr__",
                     "f_globals", "f_locals", "f_back", "f_builtins", "gi_frame", "tb_frame",
                     "cr_frame", "_getframe"}
_FRAMES = {"currentframe", "stack", "getouterframes", "getinnerframes", "trace"}  # of inspect
_DYNAMIC = {"exec", "eval", "compile", "__import__", "setattr", "delattr"}
_SETTINGS = re.compile(r"\.(backends|options|rcParams|style)(\.|$)")
_MAGIC = {b"%PDF": "a PDF file", b"PK\x03\x04": "a zip archive (a Word document, or zipped "
          "files?)", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
          b"<!DOC": "a web page (HTML)", b"<html": "a web page (HTML)"}


# --- reading a submission ---------------------------------------------------------------------

@dataclass
class Cell:
    """One cell of a submission: its index, type, raw source, the Python that IPython would
    run (magics turned into calls), and its syntax tree (None, with ``error``, if it has a
    syntax error)."""

    index: int
    kind: str
    source: str
    code: str = ""
    tree: ast.Module | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        first = next((ln.strip() for ln in self.source.splitlines() if ln.strip()), "")
        return f"cell {self.index + 1} (`{first[:50]}`)"


@dataclass
class Answer:
    """The last ``ex.NAME.check(ARG)`` of one exercise: where it is, ARG as source, and the
    top-level statements it depends on, as (cell index, statement indices) in notebook order."""

    name: str
    cell: int
    expr: str
    parts: list[tuple[int, list[int]]]
    error: str | None = None


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def parse_notebook(data: bytes) -> tuple[dict | None, str | None, str | None]:
    """The notebook's JSON (as nbformat 4), or None with a status and a sentence saying why."""
    head = data[:8].lstrip()
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            return None, "not-a-notebook", f"the file is {what}, not a notebook (.ipynb)"
    if not data.strip():
        return None, "not-a-notebook", "the file is empty"
    try:
        found = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None, "not-a-notebook", ("the file is not a notebook: a notebook is JSON, and "
                                        "this is not (was it saved as .py, .pdf or .html?)")
    if not isinstance(found, dict) or ("cells" not in found and "worksheets" not in found):
        return None, "not-a-notebook", "the file is JSON, but not a notebook (it has no cells)"
    cells = found.get("cells", [])
    for i, cell in enumerate(cells if isinstance(cells, list) else [None]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            return None, "invalid-notebook", f"cell {i + 1} of the notebook is broken"
    try:
        import nbformat

        nb = dict(nbformat.convert(nbformat.from_dict(found), 4))
        nb["cells"] = [dict(c) for c in nb.get("cells", [])]
        for cell in nb["cells"]:
            _text(cell.get("source", ""))
    except Exception as err:
        return None, "invalid-notebook", f"the notebook cannot be read ({_first_line(err)})"
    return nb, None, None


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0][:200]}" if text else type(err).__name__


def read_cells(nb: Mapping[str, Any]) -> list[Cell]:
    """The cells, code ones parsed as IPython would run them."""
    from IPython.core.inputtransformer2 import TransformerManager

    manager, out = TransformerManager(), []
    for i, raw in enumerate(nb.get("cells", [])):
        cell = Cell(i, raw.get("cell_type", ""), _text(raw.get("source", "")))
        if cell.kind == "code":
            try:
                cell.code = manager.transform_cell(cell.source)
            except Exception:
                cell.code = cell.source
            try:
                cell.tree = ast.parse(cell.code)
            except (SyntaxError, ValueError) as err:
                line = getattr(err, "lineno", None)
                cell.error = f"line {line}: {getattr(err, 'msg', err)}" if line else str(err)
        out.append(cell)
    return out


def _aliases(cells: Sequence[Cell]) -> dict[str, str]:
    """The names the notebook imported an exercise module as: {"ex": "01"}."""
    found: dict[str, str] = {}
    for cell in cells:
        for node in ast.walk(cell.tree) if cell.tree else ():
            if isinstance(node, ast.ImportFrom) and node.module == "helpers.exercises":
                for a in node.names:
                    if re.fullmatch(r"nb\d\d", a.name):
                        found[a.asname or a.name] = a.name[2:]
            elif isinstance(node, ast.Import):
                for a in node.names:
                    m = re.fullmatch(r"helpers\.exercises\.nb(\d\d)", a.name)
                    if m and a.asname:
                        found[a.asname] = m.group(1)
    return found


def _calls(cells: Sequence[Cell], aliases: Mapping[str, str], verb: str = "check"
           ) -> list[tuple[int, int, str, ast.Call]]:
    """Each ``ALIAS.NAME.verb(...)`` call: (cell, top-level statement, NAME, the call)."""
    names = set(aliases) or {"ex"}
    out = []
    for cell in cells:
        for k, stmt in enumerate(cell.tree.body if cell.tree else ()):
            for node in ast.walk(stmt):
                f = node.func if isinstance(node, ast.Call) else None
                if (isinstance(f, ast.Attribute) and f.attr == verb
                        and isinstance(f.value, ast.Attribute)
                        and isinstance(f.value.value, ast.Name) and f.value.value.id in names):
                    out.append((cell.index, k, f.value.attr, node))
    return out


def identify(cells: Sequence[Cell], table: Mapping[str, str]) -> tuple[str | None, str]:
    """Which course notebook this is, and how that was told: from its exercise checks, else its
    import of an exercise module, else its title (``# 01 · ...``). ``table``: name -> NN."""
    checked = [name for *_, name, _ in _calls(cells, _aliases(cells)) if name in table]
    if checked:
        votes = Counter(table[n] for n in checked)
        nb = votes.most_common(1)[0][0]
        mine = sorted({n for n in checked if table[n] == nb})
        return nb, f"it checks {', '.join(mine)}"
    imported = sorted(set(_aliases(cells).values()))
    if imported:
        return imported[0], f"it imports helpers.exercises.nb{imported[0]}"
    for cell in cells:
        if cell.kind == "markdown":
            m = re.match(r"\s*#\s*(\d\d)\b", cell.source)
            if m:
                return m.group(1), f"its title is {cell.source.strip().splitlines()[0][:60]!r}"
            break
    return None, "it has no exercise check, no import of the exercises and no course title"


# --- what an answer depends on ----------------------------------------------------------------

def _chain(node: ast.AST) -> list[str]:
    """``torch.nn.Module.forward`` -> ["torch", "nn", "Module", "forward"]; a subscript adds
    "[]"; ``getattr(x, 'a')`` and ``vars(x)`` count as ``x``."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            parts.append("[]")
            node = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "vars", "type") and node.args):
            parts.append(f"{node.func.id}()")
            node = node.args[0]
        elif isinstance(node, ast.Name):
            return [node.id, *reversed(parts)]
        else:
            return ["?", *reversed(parts)]


def _targets(node: ast.AST) -> Iterable[ast.AST]:
    if isinstance(node, (ast.Tuple, ast.List)):
        for elt in node.elts:
            yield from _targets(elt)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)
    else:
        yield node


def _binds(stmt: ast.stmt) -> tuple[set[str], set[str]]:
    """Names a top-level statement binds for sure, and names it may bind or change."""
    full: set[str] = set()
    partial: set[str] = set()
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        full.add(stmt.name)
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        for a in stmt.names:
            (partial if a.name == "*" else full).add(
                "*" if a.name == "*" else a.asname or a.name.split(".")[0])
    elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Delete)):
        targets = (stmt.targets if isinstance(stmt, (ast.Assign, ast.Delete))
                   else [stmt.target])
        for target in targets:
            for t in _targets(target):
                sure = isinstance(t, ast.Name) and isinstance(stmt, (ast.Assign, ast.AnnAssign))
                if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                    sure = False
                (full if sure else partial).add(_chain(t)[0])
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        f = stmt.value.func
        if isinstance(f, ast.Attribute):  # x.append(...), w.mul_(...): may change x
            partial.add(_chain(f)[0])
    elif not isinstance(stmt, (ast.Expr, ast.Pass, ast.Global, ast.Nonlocal)):
        for node in ast.walk(stmt):  # if / for / while / with / try / match: may bind
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                partial.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                partial.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                partial.update(a.asname or a.name.split(".")[0] for a in node.names)
            elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(
                    node.ctx, ast.Store):
                partial.add(_chain(node)[0])
    for node in ast.walk(stmt):  # a walrus anywhere
        if isinstance(node, ast.NamedExpr):
            partial.add(node.target.id)
    return full, partial


def _free(node: ast.AST) -> set[str]:
    """Names a statement or expression reads from outside itself (a close approximation)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
        outer: set[str] = set()
        for sub in (getattr(node, "decorator_list", []) + getattr(node, "bases", [])
                    + [k.value for k in getattr(node, "keywords", [])]):
            outer |= _free(sub)
        args = getattr(node, "args", None)
        params: set[str] = set()
        if args is not None:
            for d in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
                outer |= _free(d)
            params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                      *filter(None, [args.vararg, args.kwarg])]}
        body = node.body if isinstance(node.body, list) else [node.body]
        loads, stores = set(), set(params)
        for stmt in body:
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Name):
                    (loads if isinstance(sub.ctx, ast.Load) else stores).add(sub.id)
                elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    stores.add(sub.name)
                elif isinstance(sub, ast.arg):
                    stores.add(sub.arg)
                elif isinstance(sub, (ast.Global, ast.Nonlocal)):
                    loads.update(sub.names)
        return outer | (loads - stores)
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)} | set().union(
        *[_free(n) for n in ast.walk(node) if isinstance(n, (ast.Lambda, ast.FunctionDef,
                                                               ast.AsyncFunctionDef))])


def find_answers(cells: Sequence[Cell], names: Sequence[str], excluded: set[tuple[int, int]]
                 ) -> dict[str, Answer]:
    """The answer to each exercise in ``names`` that the notebook checks (see :class:`Answer`);
    statements in ``excluded`` (monkeypatching, exercise calls) are never part of one."""
    aliases = _aliases(cells)
    calls = {name: (c, k, call) for c, k, name, call in _calls(cells, aliases)}
    verbs = {(c, k) for verb in ("check", "hint", "solution")
             for c, k, *_ in _calls(cells, aliases, verb)}
    order = [(cell.index, k, stmt) for cell in cells if cell.tree
             for k, stmt in enumerate(cell.tree.body)]
    modules = {a.asname or a.name.split(".")[0] for _, _, stmt in order
               if isinstance(stmt, (ast.Import, ast.ImportFrom)) for a in stmt.names}
    out: dict[str, Answer] = {}
    for name in names:
        if name not in calls:
            broken = [c for c in cells if c.error and re.search(rf"\b{name}\.check\(", c.source)]
            if broken:
                out[name] = Answer(name, broken[-1].index, "...", [], f"its {broken[-1].label} "
                                   f"has a syntax error ({broken[-1].error})")
            continue
        c, k, call = calls[name]
        arg = call.args[0] if call.args else (call.keywords[0].value if call.keywords else None)
        expr = ast.unparse(arg) if arg is not None else "..."
        needed = _free(arg) if arg is not None else set()
        chosen: list[tuple[int, int]] = []
        for ci, ki, stmt in reversed([o for o in order if (o[0], o[1]) < (c, k)]):
            if (ci, ki) in excluded or (ci, ki) in verbs or (  # torch.set_printoptions(...)
                    isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                    and _chain(stmt.value.func)[0] in modules):
                continue
            full, partial = _binds(stmt)
            if (full | partial) & needed or "*" in partial:
                chosen.append((ci, ki))
                needed = (needed - full) | _free(stmt)
        parts: list[tuple[int, list[int]]] = []
        for ci, ki in reversed(chosen):
            if parts and parts[-1][0] == ci:
                parts[-1][1].append(ki)
            else:
                parts.append((ci, [ki]))
        error = None
        if cells[c].error:
            error = f"its {cells[c].label} has a syntax error ({cells[c].error})"
        out[name] = Answer(name, c, expr, parts, error)
    return out


def tampering(cells: Sequence[Cell]) -> tuple[list[str], set[tuple[int, int]]]:
    """What in the code reaches into the checking machinery (one sentence each), and the
    top-level statements that must never run in the judge (those, and any assignment to an
    attribute of an imported module)."""
    imported: dict[str, str] = {}
    trees = [(cell, k, stmt) for cell in cells if cell.tree
             for k, stmt in enumerate(cell.tree.body)]
    for _, _, stmt in trees:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Import):
                for a in node.names:
                    imported[a.asname or a.name.split(".")[0]] = a.name
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    imported[a.asname or a.name] = f"{node.module or ''}.{a.name}"
    ours = {k for k, v in imported.items() if v.startswith(("helpers", ".helpers"))}
    for _ in range(3):  # aliases: v = ex.max_distance, E = type(ex.max_distance)
        for _, _, stmt in trees:
            for node in ast.walk(stmt):
                if (isinstance(node, ast.Assign) and _chain(node.value)[0] in ours
                        and not isinstance(node.value, ast.Call)):
                    ours |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    reasons: list[str] = []
    excluded: set[tuple[int, int]] = set()

    def flag(cell: Cell, k: int, what: str) -> None:
        excluded.add((cell.index, k))
        text = f"{cell.label} {what}"
        if text not in reasons:
            reasons.append(text)

    membership = {id(c) for _, _, stmt in trees for node in ast.walk(stmt)
                  if isinstance(node, ast.Compare) and all(isinstance(o, (ast.In, ast.NotIn))
                                                           for o in node.ops)
                  for c in node.comparators}  # "google.colab" in sys.modules: harmless
    for cell, k, stmt in trees:
        for node in ast.walk(stmt):
            targets: list[ast.AST] = []
            if isinstance(node, (ast.Assign, ast.Delete)):
                targets = list(node.targets)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in (t for tt in targets for t in _targets(tt)):
                chain, dotted = _chain(target), ast.unparse(target)
                names = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
                if not isinstance(target, ast.Name) and names & ours:
                    flag(cell, k, f"assigns `{dotted}`: a change to the course's checks")
                elif chain[0] in imported and len(chain) > 1:
                    excluded.add((cell.index, k))
                    if chain[-1] != "[]" and not _SETTINGS.search("." + ".".join(chain)):
                        flag(cell, k, f"assigns `{dotted}`: monkeypatching an imported module")
                if any(p in _SUSPICIOUS_ATTRS or p == "__dict__" for p in chain[1:]):
                    flag(cell, k, f"assigns `{dotted}`")
            if isinstance(node, ast.Attribute):
                chain = _chain(node)
                if node.attr in _SUSPICIOUS_ATTRS:
                    flag(cell, k, f"reaches into the interpreter (`.{node.attr}`)")
                elif chain[:2] == ["sys", "modules"] and id(node) not in membership:
                    flag(cell, k, "reaches into `sys.modules`")
                elif chain[0] == "inspect" and node.attr in _FRAMES:
                    flag(cell, k, f"reads the interpreter's frames (`inspect.{node.attr}`)")
                elif chain[0] in ours and ("__dict__" in chain or "vars()" in chain):
                    flag(cell, k, f"reaches into `{ast.unparse(node)}`")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id
                if name in ("setattr", "delattr"):
                    root = _chain(node.args[0])[0] if node.args else "?"
                    if root in imported or root in ours:
                        flag(cell, k, f"calls {name}() on `{root}`: monkeypatching")
                elif name in _DYNAMIC:
                    flag(cell, k, f"runs code the grader cannot read ({name}())")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                        else [node.module or ""])
                for mod in mods:
                    if mod in _SUSPICIOUS_IMPORTS or mod.split(".")[0] in ("ctypes", "gc",
                                                                           "importlib"):
                        flag(cell, k, f"imports {mod}, which can reach into the grader")
    return reasons, excluded


# --- attempt records ---------------------------------------------------------------------------

def _records(nb: Mapping[str, Any]) -> list[tuple[int, dict]]:
    """Attempt records with their cell index, in cell and output order."""
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            found = (output.get("metadata") or {}).get(ATTEMPT_MIME)
            if isinstance(found, dict) and isinstance(found.get("id"), str):
                out.append((i, dict(found)))
    return out


def _texts(cell: Mapping[str, Any]) -> list[str]:
    out = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            out.append(_text(output.get("text", "")))
        elif isinstance(output.get("data"), dict):
            out.append(_text(output["data"].get("text/plain", "")))
    return out


@dataclass
class Use:
    """Hint and solution use of one exercise, from attempt records in order."""

    hint: bool = False
    solution: bool = False
    solution_first: bool = False  # the solution came before any correct check
    claims_correct: bool = False  # a check record, or a check's text, says "Correct!"
    last_check: str | None = None


def uses(nb: Mapping[str, Any], notebook: str, names: Sequence[str],
         cells: Sequence[Cell] | None = None) -> dict[str, Use]:
    """Per exercise, what its records (and check texts) in ``nb`` show."""
    out = {name: Use() for name in names}
    seen_correct: set[str] = set()
    for _, record in _records(nb):
        nbid, _, name = record["id"].partition(".")
        if nbid != notebook or name not in out:
            continue
        use, verb = out[name], record.get("verb")
        if verb == "hint":
            use.hint = True
        elif verb == "solution":
            use.solution = True
            use.solution_first = use.solution_first or name not in seen_correct
        elif verb == "check":
            use.last_check = str(record.get("verdict"))
            if record.get("verdict") == "correct":
                use.claims_correct = True
                seen_correct.add(name)
    raw = nb.get("cells", [])
    for cell in cells or []:
        for name in out:
            if (cell.kind == "code" and re.search(rf"\b{name}\.check\(", cell.source)
                    and any(t.lstrip().startswith("Correct!") for t in _texts(raw[cell.index]))):
                out[name].claims_correct = True
    return out


def course_version(nb: Mapping[str, Any], cells: Sequence[Cell]) -> str:
    """The course version a submission was made with: its records', else its Colab pin."""
    found = Counter(str(r.get("course")) for _, r in _records(nb) if r.get("course"))
    if found:
        return found.most_common(1)[0][0]
    for cell in cells:
        m = re.search(r"@v(\d+\.\d+[\w.]*)", cell.source)
        if m:
            return m.group(1)
    return ""


# --- the judge --------------------------------------------------------------------------------

_JUDGE_BOOT = ("import sys; sys.path.append({path!r}); "
               "from helpers.exercises.grading import _judge_main; _judge_main()")


def _fingerprint(spaces: Sequence[Any], keys: Mapping[int, Sequence[str]] | None = None
                 ) -> dict[int, dict[str, tuple]]:
    """Identities of every attribute of ``spaces`` (modules, classes, exercises), and of each
    function's code and defaults: what a patch would change. With ``keys``, only those."""
    out: dict[int, dict[str, tuple]] = {}
    for space in spaces:
        try:
            items = dict(vars(space))
        except TypeError:
            continue
        wanted = keys.get(id(space), ()) if keys is not None else items.keys()
        row = {}
        for name in wanted:
            value = items.get(name, _MISSING)
            row[name] = (id(value), id(getattr(value, "__code__", None)),
                         id(getattr(value, "__defaults__", None)),
                         id(getattr(value, "__kwdefaults__", None)))
        out[id(space)] = row
    return out


_MISSING = object()


def _judge_main() -> None:  # pragma: no cover - runs in the sandboxed judge process
    """The judge: read the spec on stdin, judge each answer with pristine checks, write one
    JSON line per verdict (with the spec's nonce) to the original stdout."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    spec = json.loads(sys.stdin.read())
    sink = os.open(os.devnull, os.O_WRONLY)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    nonce = spec["nonce"]

    def say(**fields: Any) -> None:
        proto.write(json.dumps({"nonce": nonce, **fields}) + "\n")

    import builtins
    import importlib
    import linecache
    import math

    import numpy
    import torch
    import torch.nn.functional

    from helpers.exercises import Exercise, Result, checking, exercises
    importlib.import_module(f"helpers.exercises.nb{spec['notebook']}")
    found = {e.name: e for e in exercises(spec["notebook"])}
    verdict = Exercise.verdict
    spaces = [m for n, m in sorted(sys.modules.items())
              if m is not None and (n == "helpers" or n.startswith("helpers."))]
    spaces += [builtins, math, numpy, torch, torch.nn.functional, torch.nn, torch.Tensor,
               getattr(torch._C, "TensorBase", torch.Tensor), Exercise, Result, checking,
               *found.values()]
    fingerprint, judge_one = _fingerprint, _judge_one  # kept before any learner code runs
    before = fingerprint(spaces)
    keys = {k: list(v) for k, v in before.items()}
    cells = {int(k): v for k, v in spec["cells"].items()}
    for index, code in cells.items():
        lines = code.splitlines(True)
        linecache.cache[f"<cell {index + 1}>"] = (len(code), None, lines, f"<cell {index + 1}>")

    class _Shell:  # get_ipython() for magics the answer's cells hold: they do nothing here
        def __getattr__(self, name: str) -> Callable[..., None]:
            return lambda *a, **k: None

    say(ready=True)
    for item in spec["items"]:
        say(start=item["name"])
        status, message = judge_one(item, cells, found[item["name"]], verdict, _Shell())
        if fingerprint(spaces, keys) != before:
            say(done=item["name"], status="tampered",
                message="This answer changed the course's checking code while it was checked, "
                        "so it gets no verdict.")
            return
        say(done=item["name"], status=status, message=message)


def _judge_one(item: Mapping[str, Any], cells: Mapping[int, str], exercise: Any,
               verdict: Callable[[Any, Any], Any], shell: Any) -> tuple[str, str]:
    """One verdict: run the answer's statements in a fresh namespace, evaluate it, judge it."""
    import linecache

    namespace: dict[str, Any] = {"__name__": "__main__", "get_ipython": lambda: shell}
    for index, stmts in item["parts"]:
        tree = ast.parse(cells[index])
        code = compile(ast.Module(body=[tree.body[k] for k in stmts], type_ignores=[]),
                       f"<cell {index + 1}>", "exec")
        try:
            exec(code, namespace)
        except BaseException as err:  # the learner's code: anything may come out of it
            return "incorrect", (f"Not yet: cell {index + 1}, which this answer needs, raised "
                                 f"{_first_line(err)} when the grader ran it.")
    source = item["expr"]
    linecache.cache["<answer>"] = (len(source), None, [source + "\n"], "<answer>")
    try:
        answer = eval(compile(source, "<answer>", "eval"), namespace)
        result = verdict(exercise, answer)
    except BaseException as err:
        return "incorrect", f"Not yet: checking `{source}` stopped ({_first_line(err)})."
    return str(result.status), str(result.message)


@dataclass
class Verdict:
    """The judge's word on one exercise; ``status`` is correct, incorrect, unattempted,
    timeout or tampered."""

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == "correct"


class _Channel:
    """The judge's verdict lines: those that carry the nonce, read with a deadline."""

    def __init__(self, proc: subprocess.Popen, nonce: str) -> None:
        assert proc.stdout is not None
        self.fd, self.nonce, self.buffer, self.size = proc.stdout.fileno(), nonce, b"", 0

    def read(self, deadline: float) -> dict | str:
        """The next message, or "timeout", or "eof"."""
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                with contextlib.suppress(ValueError):
                    msg = json.loads(line)
                    if isinstance(msg, dict) and msg.get("nonce") == self.nonce:
                        return msg
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return "timeout"
            chunk = os.read(self.fd, 65536)
            self.size += len(chunk)
            if not chunk or self.size > 2**24:
                return "eof"
            self.buffer += chunk


def judge(answers: Mapping[str, Answer], cells: Sequence[Cell], notebook: str,
          box: _sandbox.Sandbox, base: Path, files: Path | None, timeout: float,
          startup: float = 90) -> dict[str, Verdict]:
    """The judge's verdict on each answer, from a fresh sandboxed process that imported the
    checks itself; a judge that runs past ``timeout`` on one answer (or dies on it) is ended,
    that answer gets no point, and a new judge takes the rest."""
    out = {a.name: Verdict("incorrect", f"Not yet: the grader cannot read this answer: "
                                        f"{a.error}.") for a in answers.values() if a.error}
    todo = [a for a in answers.values() if a.error is None]
    needed = sorted({i for a in todo for i, _ in a.parts})
    boot = _JUDGE_BOOT.format(path=str(_sandbox.package_dir().parent))
    round_ = 0
    while todo:
        round_ += 1
        nonce = secrets.token_hex(16)
        spec = {"nonce": nonce, "notebook": notebook,
                "cells": {str(i): cells[i].code for i in needed},
                "items": [{"name": a.name, "expr": a.expr, "parts": a.parts} for a in todo]}
        work = box.workspace(base / f"judge{round_}", files)
        cmd = box.command(work, [sys.executable, "-I", "-c", boot],
                          env=box.env(work, {"MPLBACKEND": "Agg"}))
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(spec).encode())
            proc.stdin.close()
        channel, ready, current, ended, done = _Channel(proc, nonce), False, None, "eof", 0
        deadline = time.monotonic() + startup
        while todo:
            msg = channel.read(deadline)
            if isinstance(msg, str):
                ended = msg
                break
            deadline = time.monotonic() + timeout
            if msg.get("ready"):
                ready = True
            elif "start" in msg:
                current = str(msg["start"])
            elif "done" in msg:
                name, status = str(msg["done"]), str(msg.get("status"))
                if status not in ("correct", "incorrect", "unattempted", "tampered"):
                    status = "incorrect"
                out[name] = Verdict(status, str(msg.get("message", ""))[:4000])
                todo, current, done = [a for a in todo if a.name != name], None, done + 1
        _kill(proc)
        if not todo:
            break
        if not ready:
            raise RuntimeError(f"the judge did not start ({ended}, exit code "
                               f"{proc.returncode})")
        if current is None and done and ended == "eof":
            continue  # it stopped between two answers (after a tampered one): a new judge
        stuck = current if current is not None else todo[0].name
        out[stuck] = (Verdict("timeout", f"Not yet: checking this answer ran past {timeout:g} s,"
                                         " so it was stopped (an endless loop?).")
                      if ended == "timeout" else
                      Verdict("incorrect", "Not yet: checking this answer ended the grader's "
                                           f"process (exit code {proc.returncode})."))
        todo = [a for a in todo if a.name != stuck]
    return out


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.wait(timeout=10)
    for stream in (proc.stdout, proc.stdin):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.close()


# --- the fresh run ------------------------------------------------------------------------------

_WORKER = r"""
import json, os, sys
sys.path.append(sys.argv[1])
proto = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)  # what a kernel prints to its own stdout goes to the log, not to the grader
from helpers.executor import execute_notebook
for line in sys.stdin:
    spec = json.loads(line)
    result = spec.pop("result")
    try:
        run = execute_notebook(spec.pop("source"), **spec)
        done = {"error": run.error, "error_cell": run.error_cell, "timed_out": run.timed_out,
                "too_large": run.too_large, "kernel_died": run.kernel_died,
                "seconds": run.seconds}
    except Exception as err:
        done = {"failed": f"{type(err).__name__}: {err}"}
    with open(result, "w") as f:
        json.dump(done, f)
    print("done", file=proto, flush=True)
"""


class _Runner:
    """A process that runs notebooks through execute_notebook, one at a time, kept for the next
    one (importing nbclient takes a second); replaced when one run outlives its limit."""

    def __init__(self, log: Path) -> None:
        self.log, self.proc = log, None

    def start(self) -> None:
        guard = [shutil.which("setpriv") or "", "--pdeathsig", "KILL"]
        cmd = [*(guard if guard[0] else []), sys.executable, "-I", "-c", _WORKER,
               str(_sandbox.package_dir().parent)]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, start_new_session=True)

    def run(self, spec: dict, limit: float) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write((json.dumps(spec) + "\n").encode())
        self.proc.stdin.flush()
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + limit
        while True:
            ready, _, _ = select.select([fd], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                self.stop()
                return {"hung": True}
            line = self.proc.stdout.readline()
            if not line:
                self.stop()
                return {"failed": "the grader's notebook runner stopped"}
            if line.strip() == b"done":
                return json.loads(Path(spec["result"]).read_text())

    def stop(self) -> None:
        if self.proc is not None:
            _kill(self.proc)
            self.proc = None


def _clean_notebook(nb: Mapping[str, Any]) -> dict:
    """A new notebook of the same cells' sources: no stored output, metadata or attachment."""
    import nbformat

    new = nbformat.v4.new_notebook()
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
            "raw": nbformat.v4.new_raw_cell}
    new.cells = [make[c["cell_type"]](_text(c.get("source", ""))) for c in nb["cells"]]
    return new


# --- one submission ---------------------------------------------------------------------------

@dataclass
class Submission:
    """A student's hand-in: the notebook file (None if none was found), the folder of files it
    comes with (a folder per student), and notes on how it was found."""

    student: str
    path: Path | None
    folder: Path | None = None
    notes: list[str] = field(default_factory=list)
    stem: str = ""  # the student's name as a file name, unique in the batch


@dataclass
class Row:
    """Everything the grader concluded about one submission."""

    student: str
    file: str
    notebook: str = ""
    course_version: str = ""
    status: str = "ok"
    points: dict[str, int] = field(default_factory=dict)  # earned, per exercise
    possible: dict[str, int] = field(default_factory=dict)  # each exercise's points
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    use: dict[str, Use] = field(default_factory=dict)
    fresh: dict[str, Use] = field(default_factory=dict)
    seconds: float = 0.0
    reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # statuses found
    notes: list[str] = field(default_factory=list)  # feedback lines beyond the verdicts
    fingerprint: str = ""
    stem: str = ""

    @property
    def total(self) -> int:
        return sum(self.points.values())

    @property
    def maximum(self) -> int:
        return sum(self.possible.values())

    def problem(self, status: str, reason: str) -> None:
        if status not in self.problems:
            self.problems.append(status)
        if reason not in self.reasons:
            self.reasons.append(reason)
        self.status = min(self.problems, key=STATUSES.index)

    @property
    def hints(self) -> list[str]:
        return [n for n, u in self.use.items() if u.hint]

    @property
    def solutions(self) -> list[str]:
        return [n for n, u in self.use.items() if u.solution]

    @property
    def after_solution(self) -> list[str]:
        return [n for n, u in self.use.items() if u.solution_first and
                self.verdicts.get(n, Verdict("", "")).correct]


@dataclass
class Context:
    """What every submission of one batch is graded with."""

    notebook: str | None
    table: dict[str, str]  # exercise name -> notebook
    points: dict[str, dict[str, int]]  # notebook -> {name: points}
    box: _sandbox.Sandbox
    base: Path
    out: Path
    cell_timeout: int | None
    timeout: int | None
    max_file_mb: int = MAX_FILE_MB
    max_output_mb: int = MAX_OUTPUT_MB

    def timeouts(self, notebook: str) -> tuple[int, int]:
        return (self.cell_timeout or CELL_TIMEOUTS.get(notebook, DEFAULT_CELL_TIMEOUT),
                self.timeout or RUN_TIMEOUTS.get(notebook, DEFAULT_RUN_TIMEOUT))


def grade_one(sub: Submission, ctx: Context, slot: int, runner: _Runner) -> Row:
    """Grade one submission; every problem becomes a status and a sentence, never an error."""
    start = time.monotonic()
    row = Row(sub.student, sub.path.name if sub.path else "", notes=list(sub.notes),
              stem=sub.stem or _safe(sub.student))
    if ctx.notebook:
        row.notebook = ctx.notebook
        row.possible = dict(ctx.points[ctx.notebook])
        row.points = dict.fromkeys(row.possible, 0)
    try:
        _grade_into(row, sub, ctx, slot, runner)
    except Exception as err:
        row.problem("grader-error", f"The grader failed on this submission ({_first_line(err)});"
                                    " nothing was graded.")
        row.points = dict.fromkeys(row.points, 0)
    row.seconds = round(time.monotonic() - start, 1)
    return row


def _grade_into(row: Row, sub: Submission, ctx: Context, slot: int, runner: _Runner) -> None:
    if sub.path is None:
        where = f"in the folder {sub.folder.name}/" if sub.folder else "in the submissions"
        row.problem("missing", f"No notebook was found {where}: nothing to grade.")
        return
    size = sub.path.stat().st_size
    if sub.folder is not None:
        size = max(size, sum(p.stat().st_size for p in sub.folder.rglob("*") if p.is_file()
                             and not p.is_symlink()))
    if size > ctx.max_file_mb * 2**20:
        what = "file" if sub.folder is None else "folder"
        row.problem("too-large", f"The {what} is {size / 2**20:.0f} MB, over the limit of "
                                 f"{ctx.max_file_mb} MB: it was not run.")
        return
    nb, status, why = parse_notebook(sub.path.read_bytes())
    if nb is None:
        row.problem(str(status), f"{why[0].upper()}{why[1:]}: it was not run.")  # type: ignore
        return
    cells = read_cells(nb)
    found, evidence = identify(cells, ctx.table)
    row.course_version = course_version(nb, cells)
    expected = ctx.notebook or found
    if found is None or found != expected:
        what = f"this is notebook {found}, not {expected}" if found else (
            f"this is not a notebook of the course{f' (not {expected})' if expected else ''}")
        row.problem("wrong-notebook", f"Wrong notebook: {what}: {evidence}. It was not run.")
        return
    row.notebook = expected
    names = list(ctx.points[expected])
    row.possible = dict(ctx.points[expected])
    row.points = dict.fromkeys(names, 0)
    if row.course_version and row.course_version != __version__:
        row.notes.append(f"Made with the course's version {row.course_version}; graded with "
                         f"{__version__}'s checks.")
    reasons, excluded = tampering(cells)
    answers = find_answers(cells, names, excluded)
    row.fingerprint = hashlib.sha256("\n\x00".join(
        c.source.strip() for c in cells if c.kind == "code").encode()).hexdigest()
    row.use = uses(nb, expected, names, cells)
    cell_timeout, run_timeout = ctx.timeouts(expected)
    base = ctx.base / f"s{slot}"
    # the fresh run, in the sandbox
    work = ctx.box.workspace(base / "run", sub.folder)
    executed = ctx.out / "executed" / f"{row.stem}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    source = work.base / "submission.ipynb"
    source.write_text(json.dumps(_clean_notebook(nb)), encoding="utf-8")
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"source": str(source), "result": str(work.base / "result.json"),
            "cwd": str(work.ipc), "out": str(executed), "timeout": cell_timeout,
            "kernel_argv": ctx.box.command(work, argv, connection_file="{connection_file}"),
            "connection_dir": str(work.ipc), "allow_errors": True,
            "interrupt_on_timeout": True, "total_timeout": run_timeout,
            "max_output_bytes": ctx.max_output_mb * 2**20}
    run = runner.run(spec, run_timeout + 120)
    fresh_nb = json.loads(executed.read_text(encoding="utf-8")) if executed.exists() else None
    _judge_into(row, answers, cells, expected, ctx, base, sub.folder,
                min(cell_timeout, DEFAULT_CELL_TIMEOUT))
    _run_into(row, run, fresh_nb, cells, run_timeout, ctx.max_output_mb)
    if fresh_nb is not None:
        row.fresh = uses(fresh_nb, expected, names)
    for reason in reasons:
        row.problem("tampered", f"Tampering: {reason}.")
    claimed = [n for n in names if row.use[n].claims_correct and not row.verdicts[n].correct
               and row.verdicts[n].status != "timeout"]
    if claimed:
        row.problem("tampered", f"Its saved notebook says Correct! for {_and(claimed)}, which "
                                "the fresh run does not reproduce (outputs edited, or left from "
                                "other code).")
    patched = [n for n in names if n in row.fresh and row.fresh[n].last_check == "correct"
               and not row.verdicts[n].correct]
    if patched:
        row.problem("tampered", f"In its own kernel the check{'s' if len(patched) > 1 else ''} "
                                f"of {_and(patched)} said Correct!, the grader's untouched copy "
                                "does not: the checker was patched in the kernel.")
    changed = [n for n in names if row.verdicts[n].status == "tampered"]
    if changed:
        row.problem("tampered", f"Checking {_and(changed)} changed the grader's checking code "
                                "while it ran: no point for it.")
    shutil.rmtree(base, ignore_errors=True)


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _judge_into(row: Row, answers: Mapping[str, Answer], cells: Sequence[Cell], notebook: str,
                ctx: Context, base: Path, files: Path | None, cell_timeout: int) -> None:
    verdicts = judge(answers, cells, notebook, ctx.box, base, files, cell_timeout)
    for name in row.points:
        if name not in verdicts:
            verdicts[name] = Verdict("unattempted", f"Not attempted: the notebook has no "
                                                    f"`ex.{name}.check(...)` call.")
        row.verdicts[name] = verdicts[name]
        row.points[name] = ctx.points[notebook][name] if verdicts[name].correct else 0
        if verdicts[name].status == "timeout":
            row.problem("timeout", f"Checking {name} ran past {cell_timeout} s and was stopped.")


def _run_into(row: Row, run: dict, fresh: Mapping[str, Any] | None, cells: Sequence[Cell],
              run_timeout: int, max_output_mb: int) -> None:
    """Turn the fresh run's outcome into statuses and feedback."""
    def label(i: int | None) -> str:
        return cells[i].label if i is not None and i < len(cells) else "a cell"

    if run.get("hung"):
        row.problem("timeout", f"The fresh run did not end within {run_timeout} s and was "
                               "stopped.")
        return
    if "failed" in run:
        raise RuntimeError(str(run["failed"]))
    for i in run.get("timed_out", []):
        row.problem("timeout", f"In the fresh run, {label(i)} ran past its time limit; it was "
                               "interrupted and the run went on.")
    error = str(run.get("error") or "")
    if run.get("kernel_died"):
        row.problem("kernel-died", f"The kernel died in the fresh run (at "
                                   f"{label(run.get('error_cell'))}); the "
                                   "cells after it did not run.")
    elif run.get("too_large"):
        row.problem("too-large", f"The fresh run was stopped: {error.split(': ', 1)[-1]} "
                                 f"(the limit is {max_output_mb} MB).")
    elif "time limit" in error:
        row.problem("timeout", f"The fresh run passed its {run_timeout} s limit and was stopped.")
    elif "interrupt" in error:
        row.problem("timeout", "The fresh run was stopped: the kernel did not come back from "
                               "an interrupt.")
    for i, cell in enumerate(fresh.get("cells", []) if fresh else []):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"
                  and o.get("ename") not in ("CellTimeoutError", "KeyboardInterrupt")]
        if errors:
            row.notes.append(f"In the fresh run, {label(i)} raised {errors[0].get('ename')}: "
                             f"{str(errors[0].get('evalue'))[:200]}")
            break


# --- a class -----------------------------------------------------------------------------------

def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "student"


def find_submissions(folder: Path, notebook: str | None, roster: Sequence[str] = (),
                     skip: Sequence[Path] = ()) -> list[Submission]:
    """One submission per file or folder in ``folder`` (hidden ones and ``skip`` left out), and
    a missing one for each name of ``roster`` that has none."""
    subs: list[Submission] = []
    skipped = {p.resolve() for p in skip}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "__")) or entry.resolve() in skipped:
            continue
        if entry.is_dir():
            books = sorted(p for p in entry.rglob("*.ipynb")
                           if ".ipynb_checkpoints" not in p.parts)
            mine = [p for p in books if notebook and p.name.startswith(notebook)] or books
            sub = Submission(entry.name, mine[0] if mine else None, entry)
            if len(books) > 1 and mine:
                sub.notes.append(f"Graded {mine[0].relative_to(entry)} of the "
                                 f"{len(books)} notebooks in the folder.")
            subs.append(sub)
        elif entry.is_file():
            subs.append(Submission(entry.stem, entry))
    names = {s.student for s in subs}
    for name in roster:
        if name not in names:
            subs.append(Submission(name, None))
    used: set[str] = set()
    for sub in subs:
        if roster and sub.student not in roster:
            sub.notes.append("Not on the roster.")
        stem, n = _safe(sub.student), 1
        while stem.lower() in used:
            n += 1
            stem = f"{_safe(sub.student)}-{n}"
        sub.stem = stem
        used.add(stem.lower())
    return subs


def grade(folder: str | Path, out: str | Path = "grades", *, notebook: str | None = None,
          jobs: int = 2, cell_timeout: int | None = None, timeout: int | None = None,
          roster: Sequence[str] = (), sandbox: str = "auto", memory_mb: int = 6144,
          log: Callable[[str], None] = print) -> list[Row]:
    """Grade every submission in ``folder`` and write the results to ``out``."""
    from helpers.exercises import exercises

    folder, out = Path(folder), Path(out)
    table = {e.name: e.notebook for e in exercises()}
    points: dict[str, dict[str, int]] = {}
    for e in exercises():
        points.setdefault(e.notebook, {})[e.name] = e.points
    if notebook is not None and notebook not in points:
        raise ValueError(f"no notebook {notebook!r} in the course: {', '.join(points)}")
    subs = find_submissions(folder, notebook, roster, skip=[out])
    if notebook is None:
        notebook = _most_common_notebook(subs, table)
        if notebook:
            log(f"Grading as notebook {notebook}, the notebook of most submissions "
                "(--notebook NN chooses).")
    data = Path(os.environ.get("FASTAI_HOME", Path.home() / ".fastai"))
    mirror = None
    if data.is_dir():
        _warm_cache(notebook)
        data, mirror = readable_data(data)
    threads = max(1, (os.cpu_count() or 1) // max(1, jobs))
    box = _sandbox.detect(sandbox, memory_mb=memory_mb, threads=threads,
                          data_dir=data if data.is_dir() else None)
    log(f"Sandbox: {box.mode}. " + "; ".join(box.promises()) + ".")
    warning = box.warning()
    if warning:
        print(f"\n{'!' * 78}\n{warning}\n{'!' * 78}\n", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    for old in ("feedback", "results", "executed"):  # a previous batch's, if any
        shutil.rmtree(out / old, ignore_errors=True)
    base = Path(tempfile.mkdtemp(prefix="mnistg-"))
    if box.as_nobody:
        os.chmod(base, 0o755)
    ctx = Context(notebook, table, points, box, base, out, cell_timeout, timeout)
    rows: list[Row | None] = [None] * len(subs)
    runners = [_Runner(base / f"runner{s}.log") for s in range(max(1, jobs))]
    free: queue.Queue[_Runner] = queue.Queue()
    for runner in runners:
        free.put(runner)

    def work(i: int) -> None:
        runner = free.get()
        try:
            rows[i] = row = grade_one(subs[i], ctx, i, runner)
        finally:
            free.put(runner)
        log(f"{row.student:<24} {row.status:<16} {row.total:>3}/{row.maximum:<3} "
            f"{row.seconds:6.1f} s")

    try:
        with concurrent.futures.ThreadPoolExecutor(len(runners)) as pool:
            list(pool.map(work, range(len(subs))))
    finally:
        for runner in runners:
            runner.stop()
        shutil.rmtree(base, ignore_errors=True)
        if mirror is not None:
            shutil.rmtree(mirror, ignore_errors=True)
    done = [r for r in rows if r is not None]
    _mark_duplicates(done)
    write_outputs(done, out, notebook, points.get(notebook or "", {}))
    return done


def _warm_cache(notebook: str | None) -> None:
    """Decode the data the notebook reads once, here, so that its pixel cache exists before the
    sandboxes, which see the data read-only, need it (else every run decodes the images)."""
    from helpers import data as _data

    try:
        if notebook == "07":
            _data.load_all_digits()
        else:
            _data.load_digits()
    except Exception:  # no data here: each run then says so in its own words
        pass


def readable_data(data: Path) -> tuple[Path, Path | None]:
    """``data`` as a sandboxed process running as ``nobody`` can read it, and the temporary
    folder to remove afterwards (None when ``data`` is used as it is).

    A folder from ``mktemp -d`` (mode 0700, as CI's FASTAI_HOME) or a home that others may not
    enter cannot be read as ``nobody``, even bound into its sandbox. Then the grader builds a
    mirror: hard links to the files others may read (copies across file systems, and for
    files only their owner may read), in folders of mode 0755. The teacher's files keep their
    modes."""
    chain = [data.resolve(), *data.resolve().parents]
    if all(p.stat().st_mode & 0o001 for p in chain) and data.stat().st_mode & 0o004:
        return data, None
    mirror = Path(tempfile.mkdtemp(prefix="mnistg-data-"))
    os.chmod(mirror, 0o755)

    def link(src: str, dst: str) -> None:
        if os.stat(src).st_mode & 0o004:
            try:
                os.link(src, dst)
                return
            except OSError:
                pass
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o644)

    target = mirror / "fastai"
    shutil.copytree(data, target, copy_function=link, symlinks=False)
    for root, _, _ in os.walk(target):
        os.chmod(root, 0o755)
    return target, mirror


def _most_common_notebook(subs: Sequence[Submission], table: Mapping[str, str]) -> str | None:
    votes: Counter[str] = Counter()
    for sub in subs:
        if sub.path is None or sub.path.stat().st_size > MAX_FILE_MB * 2**20:
            continue
        nb, _, _ = parse_notebook(sub.path.read_bytes())
        if nb is not None:
            found, _ = identify(read_cells(nb), table)
            if found:
                votes[found] += 1
    return votes.most_common(1)[0][0] if votes else None


def _mark_duplicates(rows: Sequence[Row]) -> None:
    """Submissions with the same code, where it answers something, are duplicates."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        if row.fingerprint and any(v.status != "unattempted" for v in row.verdicts.values()):
            groups.setdefault(row.fingerprint, []).append(row)
    for group in groups.values():
        for row in group if len(group) > 1 else []:
            others = ", ".join(r.student for r in group if r is not row)
            row.problem("duplicate", f"Its code is identical to that of {others}.")


# --- outputs ------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def columns(names: Sequence[str], notebook: str | None) -> list[str]:
    ids = [f"{notebook}.{n}" for n in names]
    return [*COLUMNS, *ids, *_TAIL]


def write_outputs(rows: Sequence[Row], out: Path, notebook: str | None,
                  points: Mapping[str, int]) -> None:
    """grades.csv, feedback/STUDENT.md and results/STUDENT.json."""
    names = list(points)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns(names, notebook))
        for row in rows:
            same = row.notebook == notebook
            values = [row.student, row.file, row.notebook, row.course_version, row.status,
                      *[row.points.get(n, 0) if same else 0 for n in names],
                      row.total if same else 0, sum(points.values()),
                      len(row.hints), len(row.solutions), " ".join(row.after_solution),
                      row.seconds, " ".join(row.reasons)]
            writer.writerow([_cell(v) for v in values])
    (out / "feedback").mkdir(exist_ok=True)
    (out / "results").mkdir(exist_ok=True)
    for row in rows:
        stem = row.stem or _safe(row.student)
        (out / "feedback" / f"{stem}.md").write_text(feedback(row), encoding="utf-8")
        (out / "results" / f"{stem}.json").write_text(
            json.dumps(gradescope(row), indent=1), encoding="utf-8")


def _summary(row: Row) -> str:
    if row.status == "ok" and not row.reasons:
        return "Graded from a fresh run of your notebook."
    return " ".join(row.reasons) or row.status


def feedback(row: Row) -> str:
    """A student's feedback, in Markdown."""
    lines = [f"# Feedback for {row.student}", "",
             f"Notebook {row.notebook or '?'}, file `{row.file or '-'}`: **{row.total} of "
             f"{row.maximum} points**. Status: {row.status}.", "", _summary(row), ""]
    for name, verdict in row.verdicts.items():
        got = row.points.get(name, 0)
        use = row.use.get(name, Use())
        seen = [w for w, on in (("hint seen", use.hint), ("solution seen first" if
                use.solution_first else "solution seen", use.solution)) if on]
        lines += [f"## {name}: {got} point{'s' if got != 1 else ''} ({verdict.status}"
                  f"{'; ' + ', '.join(seen) if seen else ''})", "", verdict.message, ""]
        fresh = row.fresh.get(name)
        if fresh is not None and (fresh.hint or fresh.solution):
            shown = " and ".join(w for w, on in (("hint", fresh.hint),
                                                  ("solution", fresh.solution)) if on)
            lines += [f"The fresh run of your notebook showed the {shown}.", ""]
    if not row.verdicts:
        lines += ["Nothing could be graded.", ""]
    lines += [*[f"- {n}" for n in row.notes], ""] if row.notes else []
    return "\n".join(lines).rstrip() + "\n"


def gradescope(row: Row) -> dict:
    """The result in Gradescope's autograder schema (results.json): one test per exercise."""
    tests = []
    for name, most in row.possible.items():
        verdict = row.verdicts.get(name)
        tests.append({"name": f"{row.notebook}.{name}", "score": row.points.get(name, 0),
                      "max_score": most, "status": "passed" if verdict and verdict.correct
                      else "failed", "output": verdict.message if verdict else _summary(row)})
    return {"score": row.total, "execution_time": row.seconds, "output": _summary(row),
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"status": row.status, "notebook": row.notebook,
                           "hints": row.hints, "solutions": row.solutions,
                           "solved_after_solution": row.after_solution,
                           "grader_version": __version__}}


# --- command line -------------------------------------------------------------------------------

def build_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("submissions", type=Path, help="a folder: one notebook or one folder "
                                                       "per student")
    parser.add_argument("--notebook", help="the notebook set, NN (default: that of most "
                                           "submissions)")
    parser.add_argument("--out", type=Path, default=Path("grades"), help="where to write "
                                                                         "(default: grades)")
    parser.add_argument("--jobs", type=int, default=2, help="submissions at a time (2)")
    parser.add_argument("--cell-timeout", type=int, help="seconds per cell (default: 120; "
                                                         "900 for 07)")
    parser.add_argument("--timeout", type=int, help="seconds per notebook (default: 600; "
                                                    "1800 for 07)")
    parser.add_argument("--roster", type=Path, help="a file of the students' names, one a "
                                                    "line: those without a hand-in are missing")
    parser.add_argument("--sandbox", default="auto", choices=("auto", *_sandbox.MODES),
                        help="containment (default: the strongest that works here)")
    parser.add_argument("--memory", type=int, default=6144, help="MB of address space per "
                                                                 "process (6144)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argparse.ArgumentParser(prog="python -m helpers.exercises grade",
                                                  description="Grade a class's notebooks."))
    args = parser.parse_args(argv)
    for module in ("nbclient", "nbformat", "ipykernel"):
        try:
            __import__(module)
        except ImportError:
            parser.error(f"grading needs nbclient, nbformat and ipykernel ({module} is "
                         "missing): pip install 'mnist-seven-steps[grade]'")
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder of submissions")
    notebook = args.notebook.zfill(2) if args.notebook else None
    roster: list[str] = []
    if args.roster:
        roster = [ln.strip() for ln in args.roster.read_text(encoding="utf-8").splitlines()
                  if ln.strip() and not ln.lstrip().startswith("#")]
    try:
        rows = grade(args.submissions, args.out, notebook=notebook, jobs=args.jobs,
                     cell_timeout=args.cell_timeout, timeout=args.timeout, roster=roster,
                     sandbox=args.sandbox, memory_mb=args.memory)
    except (ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{len(rows)} submissions graded: {args.out / 'grades.csv'}")
    return 1 if any(r.status == "grader-error" for r in rows) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
