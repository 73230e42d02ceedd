"""Write each taught module, helpers/X.py, whole, from its notebook cells tagged ``saved:...``.

The notebooks are the one source of truth for the code they teach. For each module this writes,
in this order: a header naming the notebooks and saying not to edit the file; the imports the
cells need (those written in the tagged cells, and those of the notebook's other cells that
bind a name the tagged cells use), sorted as ruff's isort wants them; ``__all__``, the public
names the cells define; then each tagged cell, in notebook order, under a marker naming its
notebook and cell id. A tagged cell may hold imports, functions, classes and constants only:
anything else would run at import time, and is refused with the cell named.

    python -m tools.export          # rewrite helpers/X.py from the notebooks
    python -m tools.export --check  # change nothing; exit 1, with a diff, if a module differs

``make test`` runs the check byte for byte (tests/test_shared_code.py), so an edit made in a
generated module fails until it is made in the notebook instead.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import copy
import difflib
import json
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tools import ROOT, notebook_paths

TAG = "saved:"
FIRST_PARTY = {"helpers"}
ALLOWED = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign)


class ExportError(ValueError):
    """A tagged cell that cannot become module code; the message names the cell and the fix."""


@dataclass(frozen=True)
class Cell:
    notebook: str  # file name, e.g. 03_seven_steps.ipynb
    cell_id: str
    module: str  # helpers.X
    source: str


def _code_cells(path: Path) -> Iterator[tuple[str, list[str], str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            yield cell.get("id", "?"), cell.get("metadata", {}).get("tags", []), "".join(
                cell["source"])


def saved_cells() -> Iterator[Cell]:
    """Every code cell tagged ``saved:helpers.X``, in notebook and cell order."""
    for path in notebook_paths():
        for cell_id, tags, source in _code_cells(path):
            for tag in tags:
                if tag.startswith(TAG):
                    module = tag[len(TAG):]
                    if not (module.startswith("helpers.") and module[8:].isidentifier()):
                        raise ExportError(f"{path.name} cell {cell_id}: tag {tag!r} must name a "
                                          "module helpers.X")
                    yield Cell(path.name, cell_id, module, source)


def _bound(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [(a.asname or a.name).split(".")[0] for a in node.names]


def _used(tree: ast.Module) -> set[str]:
    """Names the code reads but never binds anywhere in it: what must come from outside."""
    loads, bound = set(), set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            (loads if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.ExceptHandler)) and n.name:
            bound.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound |= set(_bound(n))
    return loads - bound


def _defined(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def _section(node: ast.Import | ast.ImportFrom) -> int:
    top = (node.names[0].name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
    return 2 if top in FIRST_PARTY else 0 if top in sys.stdlib_module_names else 1


def _import_block(nodes: list[ast.Import | ast.ImportFrom]) -> str:
    """Imports grouped (standard library, third party, this package) and sorted as isort does:
    ``import x`` lines first in each group, then ``from x import a, b``, names merged."""
    plain: dict[int, set[str]] = {}
    froms: dict[int, dict[str, set[str]]] = {}
    for node in nodes:
        sec = _section(node)
        if isinstance(node, ast.Import):
            for a in node.names:
                plain.setdefault(sec, set()).add(a.name + (f" as {a.asname}" if a.asname else ""))
        else:
            names = froms.setdefault(sec, {}).setdefault(node.module or "", set())
            names |= {a.name + (f" as {a.asname}" if a.asname else "") for a in node.names}
    groups = []
    for sec in (0, 1, 2):
        lines = [f"import {name}" for name in sorted(plain.get(sec, ()), key=str.lower)]
        for module, names in sorted(froms.get(sec, {}).items(), key=lambda kv: kv[0].lower()):
            line = f"from {module} import {', '.join(sorted(names, key=_isort_key))}"
            if len(line) > 100:
                inner = "".join(f"    {n},\n" for n in sorted(names, key=_isort_key))
                line = f"from {module} import (\n{inner})"
            lines.append(line)
        if lines:
            groups.append("\n".join(lines))
    return "\n\n".join(groups)


def _isort_key(name: str) -> tuple[int, str]:
    # isort's default order of imported names: CONSTANTS, then Classes, then functions
    bare = name.split(" as ")[0]
    kind = 0 if bare.isupper() else 1 if bare[:1].isupper() else 2
    return kind, bare.lower()


def _title(notebook: str) -> str:
    nb = json.loads((ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook


def module_text(module: str, cells: list[Cell]) -> str:
    """The full text of ``module``, generated from its tagged ``cells``."""
    notebooks = sorted({c.notebook for c in cells})
    bodies: list[tuple[Cell, str]] = []
    imports: list[ast.Import | ast.ImportFrom] = []
    defined: list[str] = []
    used: set[str] = set()
    for cell in cells:
        where = f"notebooks/{cell.notebook}, cell {cell.cell_id} (tagged {TAG}{module})"
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as err:
            raise ExportError(f"{where}: {err}") from None
        lines = cell.source.splitlines()
        keep = [True] * len(lines)
        for node in tree.body:
            if not isinstance(node, ALLOWED):
                raise ExportError(f"{where}, line {node.lineno}: a tagged cell may hold imports, "
                                  "functions, classes and constants only; move the "
                                  f"{type(node).__name__.lower()} statement to another cell")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.append(node)
                for i in range(node.lineno - 1, node.end_lineno or node.lineno):
                    keep[i] = False
        defined += _defined(tree)
        used |= _used(tree)
        body = "\n".join(line for line, k in zip(lines, keep, strict=True) if k).strip("\n")
        bodies.append((cell, body))
    have = set(defined) | {n for node in imports for n in _bound(node)} | set(dir(builtins))
    missing = used - have
    if missing:  # look for them among the notebooks' other imports
        for notebook in notebooks:
            for _, tags, source in _code_cells(ROOT / "notebooks" / notebook):
                if any(t.startswith(TAG) for t in tags):
                    continue
                try:
                    tree = ast.parse(source)
                except SyntaxError:
                    continue
                for node in tree.body:
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and (
                            set(_bound(node)) & missing):
                        wanted = [a for a in node.names
                                  if (a.asname or a.name).split(".")[0] in missing]
                        found = copy.copy(node)
                        found.names = wanted
                        imports.append(found)
                        missing -= set(_bound(imports[-1]))
    if missing:
        raise ExportError(f"{module}: its tagged cells use {sorted(missing)}, which neither they "
                          "nor their notebooks' imports define")
    public = sorted({n for n in defined if not n.startswith("_")})
    them = "it" if len(notebooks) == 1 else "them"
    lines = [f"The code taught in notebook{'s' * (len(notebooks) > 1)} "
             f"{' and '.join(n[:2] for n in notebooks)}, for the notebooks after {them} to import."]
    lines += [""] + [f"{_title(n)}." for n in notebooks]
    lines += ["", f"Generated by `make export` from the cells tagged {TAG}{module} of "
              f"{' and '.join(f'notebooks/{n}' for n in notebooks)}. Do not edit this file: "
              "change those cells, then run `make export`."]
    header = '"""' + "\n".join(textwrap.fill(line, 99) if line else "" for line in lines) + '\n"""'
    parts = [header, _import_block(imports),
             "__all__ = [\n" + "".join(f'    "{n}",\n' for n in public) + "]"]
    for cell, body in bodies:
        parts.append(f"# --- notebooks/{cell.notebook}, cell {cell.cell_id} ---\n{body}")
    text = parts[0] + "\n\n" + parts[1] + "\n\n" + parts[2] + "\n"
    return text + "".join(f"\n\n{p}\n" for p in parts[3:])


def generate() -> dict[Path, str]:
    """Each taught module's path and its generated text."""
    by_module: dict[str, list[Cell]] = {}
    for cell in saved_cells():
        by_module.setdefault(cell.module, []).append(cell)
    return {ROOT / "helpers" / f"{m.split('.', 1)[1]}.py": module_text(m, cells)
            for m, cells in sorted(by_module.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1, with a diff, if any module differs")
    args = parser.parse_args(argv)
    try:
        modules = generate()
    except ExportError as err:
        print(f"export: {err}", file=sys.stderr)
        return 2
    drift = []
    for path, text in modules.items():
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        name = path.relative_to(ROOT)
        if old == text:
            print(f"{name}: in step")
            continue
        drift.append(name)
        if args.check:
            print(f"{name}: differs from its notebook cells (edit the notebook, then `make "
                  "export`):")
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(keepends=True), text.splitlines(keepends=True),
                f"{name} (as committed)", f"{name} (from the notebooks)", n=1))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"{name}: written")
    return 1 if drift and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
