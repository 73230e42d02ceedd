"""The Colab replica check's pip step: a failed install stops with its last lines and, when the
disk filled up, with the fix named (the check itself runs in CI as `make colab-check`)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tools import colab_check


def _fake_python(tmp_path: Path, message: str, rc: int) -> Path:
    exe = tmp_path / "venv" / "bin" / "python"
    exe.parent.mkdir(parents=True)
    exe.write_text(f"#!/bin/sh\necho 'WARNING: a line of noise'\necho '{message}'\nexit {rc}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def test_pip_out_of_disk_names_the_fix(tmp_path, capsys):
    exe = _fake_python(tmp_path, "OSError: [Errno 28] No space left on device", 2)
    with pytest.raises(SystemExit) as stop:
        colab_check.pip(exe, ["-r", "runtime.txt"], {})
    assert "disk filled up" in str(stop.value)
    assert "--no-pip-cache" in str(stop.value) and "GB free now" in str(stop.value)
    assert "No space left on device" in capsys.readouterr().out


def test_pip_other_failure_points_at_its_output(tmp_path, capsys):
    exe = _fake_python(tmp_path, "ERROR: No matching distribution found for torch==9.9", 1)
    with pytest.raises(SystemExit) as stop:
        colab_check.pip(exe, ["torch==9.9"], {})
    assert "pip install torch==9.9 failed (exit 1)" in str(stop.value)
    assert "No matching distribution" in capsys.readouterr().out


def test_pip_success_is_quiet(tmp_path, capsys):
    exe = _fake_python(tmp_path, "fine", 0)
    colab_check.pip(exe, ["six"], {})
    assert capsys.readouterr().out == ""
