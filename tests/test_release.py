"""One release number: helpers.course.__version__, every set-up cell's pin and CHANGELOG.md agree;
check_version says what to do when a kernel runs other helpers; and `make release`
(tools/release.py), run on a scratch clone with a scratch tag, bumps, commits and tags, or
refuses and changes nothing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import helpers.course as course
from helpers.course import PIP_SPEC, VersionMismatch, __version__, check_version
from tests.conftest import NOTEBOOKS, ROOT, read_notebook
from tools import release as tool

# --- the version, everywhere -------------------------------------------------------------------


def _setup_cell(path: Path) -> str:
    return "".join(read_notebook(path)["cells"][1]["source"])


def test_version_is_a_release_number():
    assert course.release_key(__version__)
    assert PIP_SPEC.endswith(f"@v{__version__}")


def test_every_set_up_cell_installs_this_version():
    for path in NOTEBOOKS:
        src = _setup_cell(path)
        assert re.findall(r"mnist-basics@v([\d.]+)", src) == [__version__], path.name
        for expected in re.findall(r'check_version\("([^"]*)"\)', src):
            assert expected == __version__, f"{path.name} checks for {expected}"


def test_the_changelog_has_an_entry_for_this_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = [m.group(1) for m in tool.HEADING.finditer(text)]
    assert __version__ in headings, f"CHANGELOG.md has no `## {__version__}`"
    assert tool.changelog_entry(text, __version__) is not None, "its entry is empty"
    released = [course.release_key(h) for h in headings if h != "Unreleased"]
    assert released == sorted(released, reverse=True), "newest release first"
    if "Unreleased" in headings:
        assert headings.index("Unreleased") == 0 and headings.count("Unreleased") == 1


def test_the_tools_own_agreement_check_passes_here():
    assert tool.check_agreement(tool.Repo(ROOT), __version__) == []


# --- check_version -----------------------------------------------------------------------------


def test_check_version_is_quiet_when_the_release_matches(capsys):
    assert check_version(__version__) is None
    assert capsys.readouterr() == ("", "")


def test_older_helpers_name_the_install(monkeypatch):
    monkeypatch.setattr(course, "__version__", "0.1.0")
    monkeypatch.setattr(course, "installed_version", lambda: "0.1.0")
    with pytest.raises(VersionMismatch) as stop:
        check_version("0.2.0")
    text = str(stop.value)
    assert "written for release 0.2.0" in text and "runs release 0.1.0" in text
    assert '%pip install "mnist-seven-steps @ git+https://github.com/seven-steps/' in text
    assert "mnist-basics@v0.2.0" in text and "Restart session" in text and "git pull" in text


def test_newer_helpers_point_at_the_notebooks_release(monkeypatch):
    monkeypatch.setattr(course, "__version__", "0.3.0")
    monkeypatch.setattr(course, "installed_version", lambda: None)
    with pytest.raises(VersionMismatch, match=r"older than the helpers.*blob/v0\.3\.0/notebooks/"
                       r".*or install release 0\.2\.0"):
        check_version("0.2.0")


def test_installed_but_not_yet_imported_says_restart(monkeypatch):
    monkeypatch.setattr(course, "__version__", "0.1.0")
    monkeypatch.setattr(course, "installed_version", lambda: "0.2.0")
    with pytest.raises(VersionMismatch, match=r"pip has installed 0\.2\.0 since this kernel "
                       r"imported 0\.1\.0: then restart"):
        check_version("0.2.0")


@pytest.mark.parametrize("bad", ["1.0", "v0.1.0", "0.1.0.dev1", "01.2.3", 1])
def test_check_version_wants_a_release_number(bad):
    with pytest.raises(ValueError, match="three numbers"):
        check_version(bad)


def test_installed_version_is_none_without_pips_record(monkeypatch):
    assert course.release_key(course.installed_version())  # this checkout, installed by make
    monkeypatch.setattr(course, "DISTRIBUTION", "no-such-course-installed")
    assert course.installed_version() is None


# --- make release, on a scratch clone ----------------------------------------------------------



def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def _run(*args: str) -> subprocess.CompletedProcess:
    """This checkout's tools/release.py, as `make release` runs it."""
    return subprocess.run([sys.executable, "-m", "tools.release", *args], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.fixture
def clone(tmp_path):
    """A clone of this repository's HEAD with a committed changelog, and its next version."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    repo = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
    _git(repo, "config", "user.name", "Release Test")
    _git(repo, "config", "user.email", "release-test@example.invalid")
    _git(repo, "config", "commit.gpgsign", "false")
    _git(repo, "config", "tag.gpgsign", "false")
    current = tool.Repo(repo).version()
    (repo / "CHANGELOG.md").write_text(
        f"# Changelog\n\n## Unreleased\n\n- a scratch change\n\n## {current}\n\n- before\n")
    _git(repo, "add", "CHANGELOG.md")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "scratch changelog")
    major, minor, patch = course.release_key(current)
    return repo, current, f"{major}.{minor}.{patch + 1}"


def _unchanged(repo: Path, current: str, new: str) -> None:
    assert tool.Repo(repo).version() == current and not tool.Repo(repo).has_tag(f"v{new}")
    assert _git(repo, "log", "-1", "--format=%s") == "scratch changelog"


def test_release_bumps_every_pin_commits_and_tags(clone):
    repo, current, new = clone
    done = _run(new, "--repo", str(repo), "--skip-tests", "--date", "2030-01-02")
    assert done.returncode == 0, done.stderr
    assert f"git push origin HEAD v{new}" in done.stdout
    assert tool.Repo(repo).version() == new
    for nb in tool.Repo(repo).notebooks():
        src = "".join(json.loads((repo / nb).read_text())["cells"][1]["source"])
        assert f"mnist-basics@v{new}\"" in src and f"@v{current}\"" not in src, nb
    log = (repo / "CHANGELOG.md").read_text()
    assert f"## {new} - 2030-01-02\n\n- a scratch change" in log and "## Unreleased" not in log
    assert _git(repo, "status", "--porcelain") == ""
    assert _git(repo, "log", "-1", "--format=%s") == f"Release {new}"
    assert _git(repo, "rev-list", "-n", "1", f"v{new}") == _git(repo, "rev-parse", "HEAD")
    assert "- a scratch change" in _git(repo, "tag", "-l", "--format=%(contents)", f"v{new}")
    # only the version strings changed: one line in course.py, two in each notebook (its pin
    # and its check_version call)
    stat = _git(repo, "diff", "--numstat", "HEAD~1", "HEAD").splitlines()
    counts = {line.split("\t")[2]: line.split("\t")[:2] for line in stat}
    assert counts.pop("helpers/course.py") == ["1", "1"]
    assert counts.pop("CHANGELOG.md") == ["1", "1"]
    assert counts == {str(nb): ["2", "2"] for nb in tool.Repo(repo).notebooks()}
    # and what the badges open now installs exactly what HEAD holds
    checked = _run("--check", "--repo", str(repo))
    assert checked.returncode == 0 and f"v{new} is tagged" in checked.stdout, checked.stderr


def test_release_rewrites_a_check_version_call_too():
    cell = ('    %pip install -q \\"mnist-seven-steps @ git+https://github.com/s/r@v0.1.0\\"\\n",'
            '\n    "from helpers.course import check_version\\n",\n    "check_version(\\"0.1.0\\")')
    out = tool.rewrite_notebook(cell, "0.1.0", "0.1.1", "git+https://github.com/s/r@v0.1.0",
                                "git+https://github.com/s/r@v0.1.1")
    assert out == cell.replace("0.1.0", "0.1.1")
    assert tool.pins("x@v0.1.10 x@v0.1.1", "x@v0.1.1") == 1  # not the start of 0.1.10


@pytest.mark.parametrize("mess", ["a changed file", "an untracked file"])
def test_release_refuses_a_dirty_tree(clone, mess):
    repo, current, new = clone
    if mess == "a changed file":
        with open(repo / "README.md", "a") as f:
            f.write("\nmore\n")
    else:
        (repo / "notes.txt").write_text("scratch")
    done = _run(new, "--repo", str(repo), "--skip-tests")
    assert done.returncode == 1 and "working tree is not clean" in done.stderr
    assert ("README.md" if mess == "a changed file" else "notes.txt") in done.stderr
    _unchanged(repo, current, new)


@pytest.mark.parametrize("log", ["# Changelog\n\n## 0.1.0\n\n- the first\n",
                                 "# Changelog\n\n## Unreleased\n\n## 0.1.0\n\n- the first\n",
                                 "# Changelog\n\n## 99.0.0\n\n- a later one\n", None])
def test_release_refuses_without_a_changelog_entry(clone, log):
    repo, current, new = clone
    if log is None:
        _git(repo, "rm", "-q", "CHANGELOG.md")
    else:
        (repo / "CHANGELOG.md").write_text(log)
        _git(repo, "add", "CHANGELOG.md")
    _git(repo, "commit", "-q", "-m", "scratch changelog")
    done = _run(new, "--repo", str(repo), "--skip-tests")
    assert done.returncode == 1, done.stdout
    assert f"CHANGELOG.md has no entry for {new}: add `## {new}`" in done.stderr
    _unchanged(repo, current, new)


def test_release_refuses_when_the_tests_fail(clone):
    repo, current, new = clone
    done = _run(new, "--repo", str(repo), "--test-command", f"{sys.executable} -c 'exit(3)'")
    assert done.returncode == 1 and "the tests failed" in done.stderr
    _unchanged(repo, current, new)
    assert _git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("version", ["0.0.1", "1.0", "v9.9.9", "current"])
def test_release_refuses_a_version_that_is_not_newer(clone, version):
    repo, current, new = clone
    done = _run(current if version == "current" else version, "--repo", str(repo),
                "--skip-tests")
    assert done.returncode == 1
    assert "not newer" in done.stderr or "three numbers" in done.stderr
    _unchanged(repo, current, new)


def test_release_refuses_an_existing_tag(clone):
    repo, current, new = clone
    _git(repo, "tag", f"v{new}")
    done = _run(new, "--repo", str(repo), "--skip-tests")
    assert done.returncode == 1 and f"the tag v{new} exists already" in done.stderr
    assert tool.Repo(repo).version() == current


def test_check_finds_a_missing_tag_then_helpers_that_moved_past_it(clone):
    repo, current, _ = clone
    missing = _run("--check", "--repo", str(repo))
    assert missing.returncode == 1 and f"v{current}, which every set-up cell installs, is not " \
        "tagged" in missing.stderr
    _git(repo, "tag", "-a", f"v{current}", "-m", "scratch")
    assert _run("--check", "--repo", str(repo)).returncode == 0
    with open(repo / "helpers" / "plots.py", "a") as f:
        f.write("\n# a later change\n")
    _git(repo, "commit", "-q", "-am", "helpers moved on")
    moved = _run("--check", "--repo", str(repo))
    assert moved.returncode == 1, moved.stdout
    assert f"HEAD has moved past v{current}" in moved.stderr and "helpers/plots.py" in moved.stderr
    assert "make release VERSION=" in moved.stderr


def test_check_with_a_remote_wants_the_tag_published_there(clone, tmp_path):
    repo, _, new = clone
    public = tmp_path / "public.git"
    subprocess.run(["git", "init", "-q", "--bare", str(public)], check=True)
    _git(repo, "remote", "add", "public", str(public))
    assert _run(new, "--repo", str(repo), "--skip-tests").returncode == 0
    unpublished = _run("--check", "--remote", "public", "--repo", str(repo))
    assert unpublished.returncode == 1, unpublished.stdout
    assert f"public has no tag v{new}" in unpublished.stderr
    assert f"git push public v{new}" in unpublished.stderr
    _git(repo, "push", "-q", "public", "HEAD:refs/heads/main", f"v{new}")
    published = _run("--check", "--remote", "public", "--repo", str(repo))
    assert published.returncode == 0 and "(and on public)" in published.stdout, published.stderr
