"""Repository-wide pytest set-up: nbval sees a notebook's outputs as Jupyter shows them.

fastai's progress table is drawn once and then redrawn in place (``update_display_data``, with
the same display id) as training goes on; Jupyter, nbclient and so the stored notebooks keep the
final table. nbval 0.11 ignores such updates and would compare the first, empty bar with the
stored table. Applying each update to the output it names, as a front end does, lets strict
nbval compare the final table itself (epoch times normalised by tests/nbval_sanitize.cfg).
"""

from __future__ import annotations

try:
    from nbformat import from_dict
    from nbval.plugin import IPyNbFile
except ImportError:  # nbval is not installed: nothing to adjust
    IPyNbFile = None

if IPyNbFile is not None:
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
