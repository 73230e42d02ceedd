import subprocess
import sys

from tests.conftest import ROOT


def test_ruff_is_clean():
    paths = [p for p in ("helpers", "tests", "benchmarks", "notebooks") if (ROOT / p).exists()]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", *paths], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
