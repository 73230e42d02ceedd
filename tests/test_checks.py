"""The machinery that keeps maintainers' checks out of the notebooks: floors resolved per pair,
check files compiled, and the numeric tolerance nbval applies to the CNN cells."""

from __future__ import annotations

import nbformat
import pytest

from tests.checks import ANY, FLOORS, check_path, check_source, floor, pair_key
from tests.checks.tolerance import TOLERANCES, Tolerance, rule_for
from tests.conftest import NOTEBOOKS, code_cells, read_notebook

RULE = Tolerance(start="train", accuracy=0.002, decimal=0.01, integer=3, why="a test")


def test_every_notebook_has_checks_and_floors():
    for path in NOTEBOOKS:
        assert path.stem in FLOORS, path.stem
        compile(check_source(path.stem), str(check_path(path.stem)), "exec")
        for figure, by_pair in FLOORS[path.stem].items():
            assert ANY in by_pair, f"{path.stem} {figure} needs a floor for any pair"
            assert all(0 < v < 1 for v in by_pair.values()), (path.stem, figure)


def test_floors_are_per_pair():
    assert pair_key((7, 3)) == pair_key((3, 7)) == "3,7"
    table = FLOORS["03_seven_steps"]["accuracy"]
    assert floor("03_seven_steps", "accuracy", (7, 3)) == table["3,7"]
    assert floor("03_seven_steps", "accuracy", (4, 9)) == table[ANY]


@pytest.mark.parametrize(("digits", "accuracy", "fails"), [
    ((3, 7), 0.99, False), ((3, 7), 0.95, True), ((4, 9), 0.95, False), ((4, 9), 0.6, True)])
def test_the_prelude_resolves_floors_in_the_kernel(digits, accuracy, fails):
    """What the checks cell runs, with the kernel's DIGITS: a figure below its floor raises."""
    prelude = check_source("03_seven_steps").split("\n")[:3]
    names = {"DIGITS": digits}
    exec("\n".join(prelude), names)
    assert names["_FLOOR"]["accuracy"] == floor("03_seven_steps", "accuracy", digits)
    if fails:
        assert accuracy < names["_FLOOR"]["accuracy"]
    else:
        assert accuracy >= names["_FLOOR"]["accuracy"]


def _stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def test_numbers_within_tolerance_are_aligned():
    test, ref = [_stream("epoch  1  loss 0.5304  accuracy 0.9932 ( 9 of 600 wrong)\n")], [
        _stream("epoch  1  loss 0.5252  accuracy 0.9942 (11 of 600 wrong)\n")]
    assert RULE.align(test, ref) == []
    assert test[0].text == ref[0].text  # nbval then compares equal texts


@pytest.mark.parametrize(("new", "problem"), [
    ("loss 0.5504 of 600", "0.5504 for 0.5252"),  # a decimal 0.025 away
    ("loss 0.9230 of 600", "0.9230 for 0.9252"),  # read as an accuracy: 0.0022 away
    ("loss 0.5252 of 604", "604 for 600"),  # a count 4 away
    ("loss 0.5252 of 600 wrong", "beyond its numbers"),  # other words
    ("loss 0.5252", "beyond its numbers"),  # a number missing
])
def test_numbers_beyond_tolerance_or_other_text_fail(new, problem):
    ref = [_stream("loss 0.9252 of 600" if "0.92" in new else "loss 0.5252 of 600")]
    test = [_stream(new)]
    found = RULE.align(test, ref)
    assert found and problem in found[0], found
    assert test[0].text == new  # left as it was: nbval reports the difference


def test_what_the_sanitize_file_normalises_is_not_held_to_the_tolerance():
    """A timing differs by far more than any bound; nbval's sanitize file normalises it first."""
    import re

    def clean(text):
        return re.sub(r"training: \d+(\.\d+)? s", "training: SECONDS s", text)

    test = [_stream("training: 78.5 s, loss 0.5260")]
    ref = [_stream("training: 132.2 s, loss 0.5252")]
    assert RULE.align(test, ref, clean=clean) == []
    assert "132.2" in test[0].text  # aligned to the stored text; nbval sanitizes both
    assert RULE.align([_stream("training: 78.5 s")], [_stream("training: 132.2 s")])


def test_html_and_plain_data_are_compared_within_tolerance():
    out = nbformat.v4.new_output("display_data", data={"text/plain": "accuracy 0.9966",
                                                        "text/html": "<td>0.9966</td>"})
    ref = nbformat.v4.new_output("display_data", data={"text/plain": "accuracy 0.9975",
                                                        "text/html": "<td>0.9975</td>"})
    assert RULE.align([out], [ref]) == []
    assert out.data["text/html"] == "<td>0.9975</td>"


def test_tolerance_starts_at_the_training_cell_of_each_notebook():
    for stem, rule in TOLERANCES.items():
        sources = code_cells(read_notebook(next(p for p in NOTEBOOKS if p.stem == stem)))
        first = next(i for i, s in enumerate(sources) if rule_for(stem, i, sources))
        assert first > 0 and rule_for(stem, first - 1, sources) is None
        assert rule_for(stem, len(sources) - 1, sources) is rule
    assert rule_for("03_seven_steps", 5, ["x"] * 10) is None  # exact everywhere


def test_a_rule_whose_cell_is_gone_says_so():
    with pytest.raises(LookupError, match="update the rule"):
        rule_for("06_convolutions", 3, ["print(1)"] * 5)
