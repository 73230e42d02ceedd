"""Repository-wide pytest set-up for nbval (``make test``), in three parts.

1. fastai's progress table is drawn once and then redrawn in place (``update_display_data``,
   with the same display id) as training goes on; Jupyter, nbclient and so the stored notebooks
   keep the final table. nbval 0.11 ignores such updates and would compare the first, empty bar
   with the stored table. Each update is applied to the output it names, as a front end does.
2. After a notebook's last cell, one more item runs ``tests/checks/NN_topic.py`` in the same
   kernel: the floors and checks that a learner's notebook does not carry.
3. Outputs that depend on a trained CNN differ in their last digits between CPU kinds and
   thread counts. For the cells that ``tests/checks/tolerance.py`` names, the numbers in the text
   are compared within its stated tolerance; every other character still has to match.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

try:
    from nbformat import from_dict
    from nbformat.v4 import new_code_cell
    from nbval.plugin import IPyNbCell, IPyNbFile
except ImportError:  # nbval is not installed: nothing to adjust
    IPyNbFile = None

if IPyNbFile is not None:
    from tests.checks import check_path, check_source
    from tests.checks.tolerance import Tolerance, rule_for

    _get_message = IPyNbFile.get_kernel_message

    def _get_kernel_message(self, timeout=None, stream="iopub"):
        msg = _get_message(self, timeout=timeout, stream=stream)
        kind, content = msg.get("msg_type"), msg.get("content", {})
        display_id = content.get("transient", {}).get("display_id")
        shown = self.__dict__.setdefault("_shown_displays", {})
        if kind == "display_data" and display_id:
            # As NotebookNodes, nbval stores these very objects (a plain dict would be copied),
            # so an update made to them below reaches the output nbval compares.
            content["data"] = from_dict(content.get("data", {}))
            content["metadata"] = from_dict(content.get("metadata", {}))
            shown[display_id] = content
        elif kind == "update_display_data":
            if display_id in shown:
                for key in ("data", "metadata"):
                    shown[display_id][key].clear()
                    shown[display_id][key].update(content.get(key, {}))
            msg = {**msg, "msg_type": "execute_input"}  # applied: nbval has nothing to add
        return msg

    IPyNbFile.get_kernel_message = _get_kernel_message

    _collect = IPyNbFile.collect

    def _collect_with_checks(self):
        items = list(_collect(self))
        yield from items
        stem = Path(str(self.fspath)).stem
        if check_path(stem).exists():
            cell = new_code_cell(check_source(stem))  # never run before: nothing to compare
            yield IPyNbCell.from_parent(
                self, name=f"checks ({check_path(stem).name})", cell_num=len(items),
                cell=cell, options=defaultdict(bool, check=False))

    IPyNbFile.collect = _collect_with_checks

    _compare = IPyNbCell.compare_outputs

    def _compare_within_tolerance(self, test, ref, skip_compare=None):
        rule: Tolerance | None = rule_for(Path(str(self.fspath)).stem, self.cell_num,
                                          [c.source for c in self.parent.nb.cells
                                           if c.cell_type == "code"])
        if rule is not None:
            # test's numbers take ref's where within tolerance, timings normalised first
            problems = rule.align(test, ref, clean=self.sanitize)
            if problems:
                _compare(self, test, ref, skip_compare)  # nbval's own report of the difference
                self.comparison_traceback.append("Outside tests/checks/tolerance.py's tolerance:")
                self.comparison_traceback.extend(problems)
                return False
        return _compare(self, test, ref, skip_compare)

    IPyNbCell.compare_outputs = _compare_within_tolerance
