"""The course's dependencies, pyproject.toml's [project] ``dependencies``, are exactly what its
notebooks import (and what the helpers they import need), with lower bounds that Google Colab's
runtime already meets, so the set-up cell's install changes none of Colab's packages.

The notebooks' imports are read from their code cells (``%`` and ``!`` lines skipped); the
helpers' from the modules those imports reach. Colab's runtime list is
``$SHARED/colab/2026-08.txt`` (``SHARED`` defaults to ../shared beside the clone), or the file
``COLAB_RUNTIME`` names (as ``make colab-check RUNTIME=...``).
"""

from __future__ import annotations

import ast
import os
import sys
from importlib import metadata
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import NOTEBOOKS, ROOT, code_cells, read_notebook

FIRST_PARTY = {"helpers"}
# Import names that are not their distribution's name.
DISTRIBUTION = {"PIL": "pillow", "IPython": "ipython", "sklearn": "scikit-learn",
                "yaml": "pyyaml", "skimage": "scikit-image", "cv2": "opencv-python"}


def _python(source: str) -> str:
    """A code cell as plain Python: each magic or shell line becomes ``pass`` (kept indented,
    since the set-up cell's ``%pip`` sits inside an ``if``)."""
    lines = source.splitlines()
    return "\n".join(line[: len(line) - len(line.lstrip())] + "pass"
                     if line.lstrip().startswith(("%", "!")) else line for line in lines)


def _imports(tree: ast.AST, package: list[str]) -> set[str]:
    """Every module a tree imports, anywhere in it (relative ones resolved in ``package``),
    and for ``from M import a`` also ``M.a``, which may be a module."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1],
                                 *([node.module] if node.module else [])])
            found |= {base, *(f"{base}.{a.name}" for a in node.names)}
    return found


def distribution(module: str) -> str:
    top = module.split(".")[0]
    return DISTRIBUTION.get(top, top).lower().replace("_", "-")


def third_party(modules) -> set[str]:
    """The distributions of the modules that are neither the standard library's nor ours."""
    tops = {m.split(".")[0] for m in modules}
    return {distribution(t) for t in tops - sys.stdlib_module_names - FIRST_PARTY}


def notebook_imports() -> dict[str, set[str]]:
    """Module -> the notebooks that import it."""
    found: dict[str, set[str]] = {}
    for path in NOTEBOOKS:
        for source in code_cells(read_notebook(path)):
            for module in _imports(ast.parse(_python(source)), []):
                found.setdefault(module, set()).add(path.stem[:2])
    return found


def _module_file(name: str) -> Path | None:
    parts = name.split(".")
    for path in (ROOT.joinpath(*parts).with_suffix(".py"), ROOT.joinpath(*parts, "__init__.py")):
        if path.is_file():
            return path
    return None


def helpers_reached() -> dict[str, set[str]]:
    """The helpers modules a notebook loads (its imports, followed through helpers' own imports
    and helpers/__init__.py's lazy names), each with the modules it imports."""
    import helpers

    todo = [m for m in notebook_imports() if m.split(".")[0] in FIRST_PARTY]
    reached: dict[str, set[str]] = {}
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in reached:
            continue
        if path is None:  # a name in a module: ``helpers.load_digits`` is helpers.data's
            parent, _, attr = name.rpartition(".")
            todo += [helpers._LAZY[attr]] if parent == "helpers" and attr in helpers._LAZY else []
            continue
        parts = name.split(".")
        package = parts if path.name == "__init__.py" else parts[:-1]
        reached[name] = _imports(ast.parse(path.read_text(encoding="utf-8")), package)
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # its packages load too
        todo += [m for m in reached[name] if m.split(".")[0] in FIRST_PARTY]
    return reached


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = map(Requirement, project["dependencies"])
    return {r.name.lower().replace("_", "-"): r for r in reqs}


def required_by(names) -> set[str]:
    """Every distribution that installing ``names`` installs (their requirements, transitively,
    as the installed metadata lists them)."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for req in map(Requirement, reqs):
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name.lower().replace("_", "-"))
    return seen


def test_the_notebooks_import_what_they_should():
    """The reading of imports itself: 01's PIL, fastai's submodules, %pip skipped, and the
    helpers modules that 01 and 07 load."""
    found = notebook_imports()
    assert "01" in found["PIL"] and "fastai.data.block" in found and "torch" in found
    assert "pillow" in third_party(found) and "fastai" in third_party(found)
    assert not any(m.startswith(("pip", "google")) for m in found)
    reached = helpers_reached()
    assert {"helpers", "helpers.data", "helpers.plots", "helpers.results"} <= set(reached)
    assert "ipython" in third_party(reached["helpers.results"])


def test_every_notebook_import_is_a_dependency():
    wanted = declared()
    missing = {}
    for module, notebooks in notebook_imports().items():
        for dist in third_party([module]) - set(wanted):
            missing.setdefault(dist, set()).update(notebooks)
    assert not missing, (
        "notebooks import what [project] dependencies lack: " + ", ".join(
            f"{dist} (notebook {', '.join(sorted(nbs))})" for dist, nbs in sorted(
                missing.items())) + ". Add each as `name>=bound` with a bound Colab's runtime "
        "meets, or drop the import")


def test_every_dependency_is_imported_by_a_notebook_or_its_helpers():
    used = third_party(notebook_imports())
    for modules in helpers_reached().values():
        used |= third_party(modules)
    unused = sorted(set(declared()) - used)
    assert not unused, (
        f"{unused} in [project] dependencies, but neither a notebook nor a helpers module "
        "they load imports it: drop it from pyproject.toml (and environment.yml)")


def test_helpers_the_notebooks_load_need_nothing_undeclared():
    """What those helpers import is a dependency, or installed by one (fastcore by fastai)."""
    installed = required_by(declared())
    missing = {}
    for name, modules in helpers_reached().items():
        for dist in third_party(modules) - installed:
            missing.setdefault(dist, []).append(name)
    assert not missing, f"helpers modules import what the course does not install: {missing}"


def colab_runtime() -> dict[str, str]:
    shared = Path(os.environ.get("SHARED", ROOT.parent / "shared"))
    path = Path(os.environ.get("COLAB_RUNTIME", shared / "colab" / "2026-08.txt"))
    if not path.exists():
        pytest.fail(f"{path} is missing: CI runs with ../shared beside the clone (or set "
                    "SHARED=/path/to/shared, or COLAB_RUNTIME=/path/to/list.txt)")
    versions = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            versions[name.strip().lower().replace("_", "-")] = version.strip()
    return versions


def test_lower_bounds_hold_on_colab():
    """Each dependency has a lower bound, and Colab's version meets it (and any other part of
    the specifier), so pip installs nothing of Colab's anew."""
    colab = colab_runtime()
    for name, req in declared().items():
        assert name in colab, f"{name} is not in Colab's runtime list"
        lower = [s for s in req.specifier if s.operator in (">=", "~=", "==")]
        assert lower, f"{req}: give a lower bound (>=) that Colab meets"
        assert all(Version(s.version) <= Version(colab[name]) for s in lower), (
            f"Colab has {name} {colab[name]}, below {req}")
        assert req.specifier.contains(colab[name], prereleases=True), (
            f"Colab has {name} {colab[name]}, outside {req}")


# --- the Colab replica's runtime list: `make colab-check RUNTIME=list.txt` ---


def test_colab_check_takes_another_runtime_list(tmp_path):
    from tools import colab_check

    shared = tmp_path / "shared"
    (shared / "colab").mkdir(parents=True)
    (shared / "colab" / "2026-08.txt").write_text("torch==2.11.0\n")
    newer = tmp_path / "2027-02.txt"
    newer.write_text("torch==2.13.0\n")
    assert colab_check.parse_args(["--shared", str(shared)]).runtime == (
        shared / "colab" / "2026-08.txt")
    args = colab_check.parse_args(["--shared", str(shared), "--runtime", str(newer), "--keep"])
    assert args.runtime == newer and args.keep
    with pytest.raises(SystemExit, match=r"the runtime list .*nope\.txt is missing"):
        colab_check.parse_args(["--runtime", str(tmp_path / "nope.txt")])
    with pytest.raises(SystemExit, match=r"2026-08\.txt is missing \(pass --shared DIR or "
                       r"--runtime LIST\)"):
        colab_check.parse_args(["--shared", str(tmp_path / "elsewhere")])


def test_make_colab_check_passes_runtime_on():
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("no make here")

    def planned(*args: str) -> str:
        return subprocess.run(["make", "-n", "colab-check", *args], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout

    assert "--runtime ../shared/colab/2026-08.txt" in planned()
    assert "--runtime /lists/2027-02.txt" in planned("RUNTIME=/lists/2027-02.txt")
    assert "--shared /s --runtime /s/colab/2026-08.txt" in planned("SHARED=/s")
