"""Where nbval may accept numbers that differ from the stored ones, and by how much.

PyTorch picks convolution kernels for the CPU it runs on (AVX-512, AVX2 or plain SSE code, one
thread or several), and they add up sums in different orders. A trained CNN's weights therefore
differ in their last bits from one CPU kind to another, and training grows the difference into
other losses, accuracies and mistakes. Everything before the training is the same on every
machine and stays compared exactly; so does every character of the text around the numbers.
(07's MLP, trained before its CNN, already moves in the last printed digit under SSE code.)

The bounds below come from the spread measured by ``benchmarks/spread.py`` over three CPU settings
(this machine's own kernels, ``ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41``, and
``OMP_NUM_THREADS=1``) and three seeds; the README gives the figures. Measured for one seed across
the settings: 06's accuracy moved by at most 0.002 (4 of 2,038 images), its losses by 0.005; 07's
validation and test accuracy by at most 0.0007 (4 of 6,000 and 7 of 10,000 images). The bounds
leave room for the figures the benchmark does not print: a digit's accuracy moves by 0.0017 per
image of its 600, an early epoch's loss more than the last one's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
SPACE = re.compile(r"\s+")
TEXT_MIMES = ("text/plain", "text/html", "text/markdown")


@dataclass(frozen=True)
class Tolerance:
    """Numbers in the outputs of the cells from ``start`` on may differ by these bounds."""

    start: str  # a regex found in the source of the first code cell it applies to
    accuracy: float  # a decimal between 0.9 and 1 on both sides (an accuracy)
    decimal: float  # any other number written with a decimal point (a loss)
    integer: int  # a whole number (a count of mistakes)
    why: str

    def close(self, test: str, ref: str) -> bool:
        if test == ref:
            return True
        a, b = float(test), float(ref)
        if not any(c in s for s in (test, ref) for c in ".eE"):
            return abs(a - b) <= self.integer
        bound = self.accuracy if min(a, b) >= 0.9 and max(a, b) <= 1 else self.decimal
        return abs(a - b) <= bound + 1e-12

    def text(self, test: str, ref: str) -> list[str]:
        """What keeps ``test`` from passing for ``ref``: nothing if only numbers differ, each
        within its bound. Both are compared as nbval's sanitize file leaves them."""
        if test == ref:
            return []
        if SPACE.sub("", NUMBER.sub("#", test)) != SPACE.sub("", NUMBER.sub("#", ref)):
            return ["the text differs beyond its numbers"]
        pairs = zip(NUMBER.findall(test), NUMBER.findall(ref), strict=True)
        return [f"{t} for {r} (allowed: {self.accuracy} for accuracies, {self.decimal} for "
                f"other decimals, {self.integer} for counts)" for t, r in pairs
                if not self.close(t, r)]

    def align(self, test: list, ref: list, clean: Callable[[str], str] = str) -> list[str]:
        """Give each ``test`` output the text of its ``ref`` where they differ only within the
        bounds, once ``clean`` (nbval's sanitize: timings) has been applied to both; return the
        problems where they do not (nbval then reports the difference)."""
        problems: list[str] = []
        for out, want in zip(test, ref, strict=False):
            if out.get("output_type") != want.get("output_type"):
                continue
            if out.get("output_type") == "stream":
                places = [(out, want, "text")] if out.get("name") == want.get("name") else []
            else:
                data, wanted = out.get("data", {}), want.get("data", {})
                places = [(data, wanted, m) for m in TEXT_MIMES if m in data and m in wanted]
            for where, reference, key in places:
                found = self.text(clean(str(where[key])), clean(str(reference[key])))
                if found:
                    problems += found
                else:
                    where[key] = reference[key]
        return problems


TOLERANCES: dict[str, Tolerance] = {
    "06_convolutions": Tolerance(
        start=r"learn\.fit_one_cycle\(",
        accuracy=0.003,
        decimal=0.01,
        integer=6,
        why="fastai's fit of the small CNN, and every figure read off the trained model",
    ),
    "07_all_digits": Tolerance(
        start=r"mlp_history = fit_plain\(",
        accuracy=0.005,
        decimal=0.02,
        integer=12,
        why="the MLP's five epochs on 54,000 images (their last digits move under SSE code), then "
            "the CNN's 15 epochs, its confusion matrix, per-digit figures and test accuracy",
    ),
}


def rule_for(stem: str, cell_num: int, code_sources: Sequence[str]) -> Tolerance | None:
    """The tolerance for code cell ``cell_num`` of notebook ``stem``, or None: exact."""
    rule = TOLERANCES.get(stem)
    if rule is None:
        return None
    start = next((i for i, s in enumerate(code_sources) if re.search(rule.start, s)), None)
    if start is None:
        raise LookupError(f"{stem}: no code cell matches {rule.start!r} "
                          "(tests/checks/tolerance.py): update the rule with the notebook")
    return rule if cell_num >= start else None
