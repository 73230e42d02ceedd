"""A notebook cell that starts with ``#| saved: helpers.X`` defines code that lives in helpers/X.py
too; every def and class in such a cell must be the same code as the module's (ignoring
comments and formatting), so notebook and package cannot drift apart."""

from __future__ import annotations

import ast
import importlib
import inspect
import re

import pytest

from tests.conftest import NOTEBOOKS, code_cells, read_notebook

MARK = re.compile(r"^#\| saved: (helpers\.\w+)\s*$")


def saved_cells():
    for path in NOTEBOOKS:
        for source in code_cells(read_notebook(path)):
            first = source.splitlines()[0] if source else ""
            if m := MARK.match(first):
                yield pytest.param(path.name, m.group(1), source, id=f"{path.stem}-{m.group(1)}")


def _defs(tree: ast.AST) -> dict[str, str]:
    return {node.name: ast.dump(node) for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


@pytest.mark.parametrize(("notebook", "module", "source"), list(saved_cells()))
def test_saved_cell_matches_helpers(notebook, module, source):
    cell_defs = _defs(ast.parse(source))
    assert cell_defs, f"{notebook}: a cell marked for {module} defines nothing"
    module_defs = _defs(ast.parse(inspect.getsource(importlib.import_module(module))))
    for name, dump in cell_defs.items():
        assert name in module_defs, f"{notebook} defines {name}, which {module} lacks"
        assert dump == module_defs[name], f"{notebook}'s {name} differs from {module}.{name}"


SHARED = ("helpers.training", "helpers.learner", "helpers.models", "helpers.multiclass")


@pytest.mark.parametrize("module", SHARED)
def test_every_shared_definition_is_taught(module):
    """Each def/class of a shared module appears in some notebook's saved cell."""
    taught = set()
    for _, mod, source in (p.values for p in saved_cells()):
        if mod == module:
            taught |= set(_defs(ast.parse(source)))
    defined = set(_defs(ast.parse(inspect.getsource(importlib.import_module(module)))))
    assert defined, f"{module} defines nothing"
    assert defined <= taught, f"{module} has code no notebook teaches: {sorted(defined - taught)}"
