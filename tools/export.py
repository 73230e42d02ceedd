"""Write the code that notebooks teach into the helpers modules: one source of truth.

A code cell tagged ``saved:helpers.X`` defines functions or classes that later notebooks import
from ``helpers.X``. This script copies each such def/class, as written in the notebook, over the
one of the same name in ``helpers/X.py`` (or appends it), leaving the module's docstring, imports
and ``__all__`` alone. ``tests/test_shared_code.py`` is the gate: it fails when the two differ.

    python -m tools.export          # rewrite the modules from the notebooks
    python -m tools.export --check  # only report what would change (exit 1 if anything would)
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from tools import ROOT, notebook_paths

TAG = "saved:"


def saved_cells() -> Iterator[tuple[str, str, str]]:
    """(notebook name, module, source) for every code cell tagged ``saved:helpers.X``."""
    for path in notebook_paths():
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            for tag in cell.get("metadata", {}).get("tags", []):
                if tag.startswith(TAG):
                    yield path.name, tag[len(TAG):], "".join(cell["source"])


def _spans(source: str) -> dict[str, tuple[int, int]]:
    """The top-level defs and classes of ``source``, by name: (first line, end line), 0-based
    and end-exclusive, decorators included."""
    tree = ast.parse(source)
    return {node.name: (min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1,
                        node.end_lineno)
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def definitions(source: str) -> dict[str, str]:
    """The top-level defs and classes of ``source``, by name, as source text (decorators too)."""
    lines = source.splitlines(keepends=True)
    return {name: "".join(lines[start:end]) for name, (start, end) in _spans(source).items()}


def export_module(module_path: Path, defs: dict[str, str]) -> str:
    """The module's new text: each def in ``defs`` replaces its namesake, or is appended."""
    text = module_path.read_text(encoding="utf-8")
    for name, code in defs.items():
        code = code.rstrip("\n") + "\n"
        spans = _spans(text)
        lines = text.splitlines(keepends=True)
        if name in spans:
            start, end = spans[name]
            lines[start:end] = [code]
            text = "".join(lines)
        else:
            text = text.rstrip("\n") + "\n\n\n" + code
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 on drift")
    args = parser.parse_args(argv)
    by_module: dict[str, dict[str, str]] = {}
    for notebook, module, source in saved_cells():
        if not module.startswith("helpers.") or not module[8:].isidentifier():
            print(f"{notebook}: tag 'saved:{module}' must name a module helpers.X", file=sys.stderr)
            return 2
        by_module.setdefault(module, {}).update(definitions(source))
    drift = []
    for module, defs in sorted(by_module.items()):
        path = ROOT / "helpers" / f"{module.split('.', 1)[1]}.py"
        if not path.exists():
            print(f"{module}: create {path.relative_to(ROOT)} (docstring, imports) first",
                  file=sys.stderr)
            return 2
        new = export_module(path, defs)
        if new != path.read_text(encoding="utf-8"):
            drift.append(module)
            if not args.check:
                path.write_text(new, encoding="utf-8")
        print(f"{module}: {len(defs)} definitions {'differ' if module in drift else 'in step'}"
              + (" (rewritten)" if module in drift and not args.check else ""))
    return 1 if drift and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
