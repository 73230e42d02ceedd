"""The three descriptions of the environment agree: pyproject, environment.yml, constraints;
and the installed versions with them. (Colab's bounds: tests/test_dependencies.py.)"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

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


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt must pin exactly: {line!r}"
            pins[name.lower().replace("_", "-")] = version
    return pins


def _direct(extras: list[str] | None = None) -> list[Requirement]:
    """The course's requirements and those of ``extras`` (default: every extra), following an
    extra's references to others (``mnist-seven-steps[test]``)."""
    project = _pyproject()
    todo = list(project["optional-dependencies"]) if extras is None else list(extras)
    reqs, seen = list(map(Requirement, project["dependencies"])), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for req in map(Requirement, project["optional-dependencies"][extra]):
            if req.name == project["name"]:
                todo += sorted(req.extras)
            else:
                reqs.append(req)
    return reqs


def test_constraints_pin_every_direct_dependency():
    pins = _pins()
    for req in _direct():
        assert _name(str(req)) in pins, f"{_name(str(req))} is not pinned in constraints.txt"
    assert "fastbook" not in pins, "fastbook pulls transformers and ipywidgets<8; see README"


def test_pins_meet_pyprojects_bounds():
    """A bound raised in pyproject.toml without `make lock` fails here, not on Colab."""
    pins = _pins()
    for req in _direct():
        pin = pins[_name(str(req))]
        assert req.specifier.contains(pin, prereleases=True), (
            f"constraints.txt pins {req.name} {pin}, outside pyproject.toml's {req}: "
            "run `make lock`")


def test_installed_versions_are_what_pyproject_and_constraints_say():
    """What this interpreter has installed meets pyproject.toml's bounds; in the .venv that
    `make` builds (pip install -c constraints.txt -e '.[dev]'), it is exactly the pins, so an
    upgrade made with `make lock` passes and a stale .venv does not."""
    from importlib.metadata import PackageNotFoundError, version

    pins = _pins()
    made = Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()
    stale = []
    for req in _direct(["dev"]):
        try:
            have = version(req.name)
        except PackageNotFoundError:
            pytest.fail(f"{req.name} is not installed: `make setup` (or pip install -c "
                        "constraints.txt -e '.[dev]')")
        assert req.specifier.contains(have, prereleases=True), f"{req.name} {have}: not {req}"
        if made and have != pins[_name(str(req))]:
            stale.append(f"{req.name} {have} (constraints.txt: {pins[_name(str(req))]})")
    assert not stale, f"the .venv does not hold the pins: {stale}; run `make setup`"


def test_the_installed_course_is_what_notebooks_import():
    """Colab must not gain JupyterLab or test tools; the checkout's tools stay out of the wheel."""
    project = _pyproject()
    course = {_name(r) for r in project["dependencies"]}
    assert course.isdisjoint({"jupyterlab", "nbval", "pytest", "ruff", "nbclient", "fastbook"})
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert all(p.split(".")[0] == "helpers" for p in packages["packages"])
    assert "helpers.exercises" in packages["packages"]
