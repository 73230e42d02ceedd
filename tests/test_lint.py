import subprocess
import sys

from tests.conftest import ROOT


def test_ruff_is_clean():
    folders = ("helpers", "tools", "tests", "benchmarks", "notebooks")
    paths = [p for p in folders if (ROOT / p).exists()]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", *paths], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
