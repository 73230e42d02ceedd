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
    """Pair notebooks set DIGITS in their parameters cell; the all-digits one sets none there
    (so a pair given to `make run` cannot reach it) and fixes all ten digits later."""
    name, book = nb
    tagged = [c for c in book["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, f"{name} needs exactly one cell tagged 'parameters'"
    if "all_digits" in name:
        assert "DIGITS" not in _text(tagged[0])
        assert any("DIGITS = tuple(range(10))" in c for c in code_cells(book))
    else:
        assert "DIGITS =" in _text(tagged[0])


def _split(book) -> tuple[str, str]:
    """The lesson's text and the questions section's text."""
    lesson = "\n".join(_text(c) for c in book["cells"])
    assert "## Questions" in lesson, "a '## Questions' section ends the lesson"
    return lesson, lesson.split("## Questions", 1)[1]


def test_ends_with_questions_then_the_results_record(nb):
    name, book = nb
    code = code_cells(book)
    assert re.search(rf'record\(\s*"{name}"', code[-1]), "the last code cell records results"
    lesson, _ = _split(book)
    for word in ("nbval", "pytest"):
        assert word not in lesson.lower(), f"{name}: the lesson mentions {word!r}"


def test_nothing_meant_for_maintainers(nb):
    """A learner's notebook holds no floors, test markers or maintainers' section: the checks
    live in tests/checks, run after the notebook in its kernel."""
    from tests.checks import check_path

    name, book = nb
    text = "\n".join(_text(c) for c in book["cells"])
    assert not re.search(r"^#+\s*For maintainers", text, re.M), f"{name}: maintainers' section"
    for marker in ("NBVAL", "accuracy_floor", "CPU_THREADS"):
        assert marker not in text, f"{name} mentions {marker}"
    assert check_path(name).exists(), f"{name} has no tests/checks/{name}.py"


def test_every_question_has_an_answer(nb):
    name, book = nb
    _, text = _split(book)
    questions = re.findall(r"^\d+\.\s", text, re.M)
    answers = re.findall(r"<details>\s*<summary>", text)
    assert len(questions) >= 5, f"{name} asks {len(questions)} questions"
    assert text.count("</details>") == len(answers) >= len(questions), (
        f"{name}: {len(questions)} questions, {len(answers)} answers")


def test_no_samuel_seven_steps(nb):
    """The seven-step list is fastbook's formulation; Samuel described weight adjustment."""
    from tests.conftest import ROOT

    name, book = nb
    for label, text in ((name, "".join(_text(c) for c in book["cells"])),
                        ("README.md", (ROOT / "README.md").read_text())):
        assert not re.search(r"Samuel's seven|Samuel's 7", text), label


def test_committed_executed_and_clean(nb):
    name, book = nb
    cells = [c for c in book["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is not None for c in cells), f"{name} is not fully executed"
    counts = [c["execution_count"] for c in cells]
    assert counts == sorted(counts), f"{name} was not run top to bottom"
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


# What a reader sees on GitHub (no JavaScript, no CSS) and in JupyterLab (untrusted HTML cleaned).

CSS_COLOUR = re.compile(r"(?:color|background)[^;\"'>]*:", re.I)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _html_outputs(book):
    for c in book["cells"]:
        for out in c.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if html:
                yield "".join(html)


def _progress_only(style_block: str) -> bool:
    """fastai's progress table ships a <style> block that only decorates its own elements
    (``progress`` bars, ``table.fastprogress``): without it the table reads the same."""
    selectors = re.findall(r"([^{}]+)\{", style_block)
    return all("progress" in s for s in selectors)


def test_no_output_coloured_by_css(nb):
    name, book = nb
    for html in _html_outputs(book):
        for attr in re.findall(r"style\s*=\s*[\"']([^\"']*)", html):
            assert not CSS_COLOUR.search(attr), f"{name}: colour from a style attribute: {attr}"
        for block in re.findall(r"<style[^>]*>(.*?)</style>", html, re.S):
            assert _progress_only(block) or not CSS_COLOUR.search(block), (
                f"{name}: colour from a <style> block: {block[:120]}")


def test_no_widget_state(nb):
    name, book = nb
    assert "widgets" not in book["metadata"], f"{name} stores widget state"
    for c in book["cells"]:
        for out in c.get("outputs", []):
            assert "application/vnd.jupyter.widget-view+json" not in out.get("data", {}), name


def test_no_control_characters(nb):
    name, book = nb
    for i, c in enumerate(book["cells"]):
        assert not CONTROL.search(_text(c)), f"{name} cell {i} has a control character"
        for out in c.get("outputs", []):
            texts = [out.get("text", ""), *out.get("data", {}).values()]
            for text in texts:
                if isinstance(text, (str, list)):
                    assert not CONTROL.search("".join(text)), (
                        f"{name} cell {i} prints a control character")


def test_kernelspec_is_what_ipykernel_writes(nb):
    from helpers.executor import KERNELSPEC

    name, book = nb
    assert book["metadata"]["kernelspec"] == KERNELSPEC, name


def test_pair_parameter_leaves_all_digits_alone():
    """`make run DIGITS=2,9` injects a pair only where the parameters cell sets one."""
    import nbformat

    from helpers.executor import inject_digits

    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        took = inject_digits(book, (2, 9))
        assert took == ("all_digits" not in path.name), path.name
