"""A notebook code cell tagged ``saved:helpers.X`` defines code that lives in helpers/X.py too.
``make export`` writes the notebook's version into the module; this test is the gate: every def
and class in such a cell must be the same code as the module's (ignoring comments and
formatting), so notebook and package cannot drift apart."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

from tools.export import saved_cells

CELLS = list(saved_cells())  # (notebook, module, source), read once
SAVED = [pytest.param(nb, module, source, id=f"{nb[:-6]}-{module}")
         for nb, module, source in CELLS]


def _defs(tree: ast.AST) -> dict[str, str]:
    return {node.name: ast.dump(node) for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def test_there_is_shared_code():
    assert len(SAVED) >= 4


@pytest.mark.parametrize(("notebook", "module", "source"), SAVED)
def test_saved_cell_matches_helpers(notebook, module, source):
    cell_defs = _defs(ast.parse(source))
    assert cell_defs, f"{notebook}: a cell tagged for {module} defines nothing"
    module_defs = _defs(ast.parse(inspect.getsource(importlib.import_module(module))))
    for name, dump in cell_defs.items():
        assert name in module_defs, f"{notebook} defines {name}, which {module} lacks: make export"
        assert dump == module_defs[name], (
            f"{notebook}'s {name} differs from {module}.{name}: run `make export`")


def test_no_saved_marker_left_in_source():
    """The tag, not a comment line, marks shared code: readers never see the machinery."""
    for nb, _, source in CELLS:
        assert not source.lstrip().startswith("#| saved"), nb


SHARED = sorted({module for _, module, _ in CELLS})


@pytest.mark.parametrize("module", SHARED)
def test_every_shared_definition_is_taught(module):
    """Each def/class of a shared module appears in some notebook's saved cell."""
    taught = set()
    for _, mod, source in CELLS:
        if mod == module:
            taught |= set(_defs(ast.parse(source)))
    defined = set(_defs(ast.parse(inspect.getsource(importlib.import_module(module)))))
    assert defined, f"{module} defines nothing"
    assert defined <= taught, f"{module} has code no notebook teaches: {sorted(defined - taught)}"
