"""The shape every notebook shares (CONTRIBUTING.md), checked on the committed files."""

from __future__ import annotations

import re

import pytest

from helpers.course import COLAB_URL, PIP_SPEC
from tests.conftest import NOTEBOOKS, code_cells, read_notebook

ADDRESS = re.compile(r" at 0x[0-9a-f]{6,}")


def test_there_are_notebooks():
    names = [p.stem for p in NOTEBOOKS]
    assert names and names[0].startswith("01_")
    numbers = [int(n[:2]) for n in names]
    assert numbers == list(range(1, len(numbers) + 1)), f"numbering has gaps: {names}"


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def nb(request):
    return request.param.stem, read_notebook(request.param)


def _text(cell) -> str:
    return "".join(cell["source"])


def test_opens_with_badge_and_colab_setup(nb):
    name, book = nb
    first, setup = book["cells"][0], book["cells"][1]
    assert first["cell_type"] == "markdown" and _text(first).startswith(f"# {name[:2]} ")
    assert f"]({COLAB_URL}{name}.ipynb)" in _text(first), "Colab badge must use helpers.course"
    src = _text(setup)
    assert setup["cell_type"] == "code" and '"google.colab" in sys.modules' in src
    assert f"%pip install -q \"mnist-seven-steps @ {PIP_SPEC}\"" in src, "pinned install"
    assert "drive.mount" not in "".join(code_cells(book))


def test_one_parameters_cell_with_digits(nb):
    _, book = nb
    tagged = [c for c in book["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1 and "DIGITS =" in _text(tagged[0])


def test_ends_with_record_and_questions(nb):
    name, book = nb
    code = code_cells(book)
    assert re.search(rf'record\(\s*"{name}"', code[-1]), "the last code cell records results"
    assert any(c["cell_type"] == "markdown" and "## Questions" in _text(c)
               for c in book["cells"])
    assert any("assert " in c for c in code[:-1]), "a checks cell asserts the key numbers"


def test_committed_executed_and_clean(nb):
    name, book = nb
    cells = [c for c in book["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is not None for c in cells), f"{name} is not fully executed"
    counts = [c["execution_count"] for c in cells]
    assert counts == sorted(counts), f"{name} was not run top to bottom"
    ignored = sum(_text(c).startswith("# NBVAL_IGNORE_OUTPUT") for c in cells)
    assert ignored <= 2, f"{name} ignores {ignored} cells' outputs; assert numbers instead"
    for c in cells:
        for out in c["outputs"]:
            assert out["output_type"] != "error", f"{name} has an error output"
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            assert not ADDRESS.search(text), f"{name} prints an object address: {text[:80]}"


def test_readme_badges_use_the_one_slug():
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    badges = re.findall(r"\(https://colab\.research\.google\.com/github/[^)]+\)", readme)
    for path in NOTEBOOKS:
        assert f"({COLAB_URL}{path.name})" in readme, f"README lacks the badge for {path.name}"
    assert all(b.startswith(f"({COLAB_URL}") for b in badges)
