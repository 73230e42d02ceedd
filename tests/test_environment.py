"""The three descriptions of the environment agree: pyproject, environment.yml, constraints."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

from tests.conftest import ROOT

CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_environment_yml_names_the_same_packages():
    project = _pyproject()
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra if not r.startswith(project["name"])}
    text = (ROOT / "environment.yml").read_text()
    assert "conda-forge" in text and "defaults\n" not in text.replace("nodefaults", "")
    assert re.search(r"^\s*- python=3\.11\s*$", text, re.M)
    conda = set()
    deps = text.split("dependencies:", 1)[1]
    for line in deps.splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.-]+)", line)
        if m and m.group(1) not in ("python", "pip"):
            conda.add(CONDA_NAMES.get(m.group(1), m.group(1)).lower())
    assert conda == wanted
    assert "-e ." in text, "the pip section installs the project"


def test_constraints_pin_every_direct_dependency():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt must pin exactly: {line!r}"
            pins[name.lower().replace("_", "-")] = version
    project = _pyproject()
    extras = [r for extra in project["optional-dependencies"].values() for r in extra
              if not r.startswith(project["name"])]
    for req in project["dependencies"] + extras:
        assert _name(req) in pins, f"{_name(req)} is not pinned in constraints.txt"
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"
    assert "fastbook" not in pins, "fastbook pulls transformers and ipywidgets<8; see README"


def test_the_installed_course_is_what_notebooks_import():
    """Colab must not gain JupyterLab or test tools; the checkout's tools stay out of the wheel."""
    project = _pyproject()
    course = {_name(r) for r in project["dependencies"]}
    assert course.isdisjoint({"jupyterlab", "nbval", "pytest", "ruff", "nbclient", "fastbook"})
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert all(p.split(".")[0] == "helpers" for p in packages["packages"])
    assert "helpers.exercises" in packages["packages"]


def test_course_bounds_hold_on_colab():
    """Every lower bound of the course is met by Colab's runtime as ../shared/colab lists it."""
    import os

    import pytest
    from packaging.requirements import Requirement

    shared = Path(os.environ.get("SHARED", ROOT.parent / "shared"))
    colab_file = shared / "colab" / "2026-08.txt"
    if not colab_file.exists():
        pytest.fail(f"{colab_file} is missing: CI runs with ../shared beside the clone "
                    "(or set SHARED=/path/to/shared)")
    colab = {}
    for line in colab_file.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            colab[name.lower().replace("_", "-")] = version
    for req in map(Requirement, _pyproject()["dependencies"]):
        name = req.name.lower()
        assert name in colab, f"{name} is not in Colab's runtime list"
        assert req.specifier.contains(colab[name]), f"Colab has {name} {colab[name]}: {req}"
