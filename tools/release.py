"""Release the course: one version in helpers/course.py, every notebook's set-up cell, the
changelog and the tag. ``make release VERSION=x.y.z`` runs it.

    python -m tools.release X.Y.Z [--skip-tests] [--test-command "make test"] [--repo DIR]
    python -m tools.release --check [--remote origin] [--repo DIR]

A release refuses, changing nothing, when the version is not three numbers newer than the
current one or its tag exists, when the working tree has uncommitted or untracked files, when
CHANGELOG.md has no entry for it (``## X.Y.Z``, or a non-empty ``## Unreleased``, which becomes
``## X.Y.Z - <date>``), when a notebook's set-up cell does not pin the current version exactly
once, or when the tests fail (``make test``; ``--skip-tests`` is for tests/test_release.py, which
runs this tool on a scratch clone). Then it writes the version into helpers/course.py and into
each notebook's pin (``...@vX.Y.Z``, and ``check_version("X.Y.Z")`` where a set-up cell calls it:
only those strings of the notebook files change), commits "Release X.Y.Z" and tags vX.Y.Z with
the changelog entry. It pushes nothing: it prints the command.

``--check`` changes nothing and says whether the committed state is a released one: the
versions agree, the tag vX.Y.Z that every set-up cell installs exists here, and what it installs
(helpers/ and pyproject.toml's [project]) is what HEAD holds, so a reader who opens a notebook
from a badge on main gets the helpers that match it; with ``--remote NAME``, also that NAME (the
GitHub repository the pins name) has that tag, at the same commit. CI runs it on main; exit 1
says what to do.
"""

from __future__ import annotations

import argparse
import datetime
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import tomllib

from helpers.course import release_key
from tools import ROOT

COURSE_PY = Path("helpers/course.py")
CHANGELOG = Path("CHANGELOG.md")
INSTALLED = ("helpers",)  # what the set-up cell installs, besides pyproject.toml's [project]
VERSION_LINE = re.compile(r'^__version__ = "([^"]*)"$', re.M)
SLUG_LINE = re.compile(r'^REPO_SLUG = "([^"]*)"$', re.M)
HEADING = re.compile(r"^## \[?(Unreleased|\d+\.\d+\.\d+)\]?(?:[ \t]+[-(].*)?$", re.M)


class Refused(Exception):
    """Why the release (or the check) stops; nothing has been changed."""


@dataclass
class Repo:
    root: Path

    def git(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["git", "-C", str(self.root), *args], capture_output=True,
                             text=True)
        if check and out.returncode:
            raise Refused(f"git {' '.join(args)} failed: {out.stderr.strip()}")
        return out.stdout.strip() if out.returncode == 0 else ""

    def read(self, rel: Path) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def notebooks(self) -> list[Path]:
        return sorted(p.relative_to(self.root)
                      for p in (self.root / "notebooks").glob("[0-9][0-9]_*.ipynb"))

    def version(self) -> str:
        found = VERSION_LINE.findall(self.read(COURSE_PY))
        if len(found) != 1:
            raise Refused(f"{COURSE_PY} must set __version__ once, as __version__ = \"x.y.z\"")
        return found[0]

    def pin(self, version: str) -> str:
        slug = SLUG_LINE.findall(self.read(COURSE_PY))
        if len(slug) != 1:
            raise Refused(f"{COURSE_PY} must set REPO_SLUG once")
        return f"git+https://github.com/{slug[0]}@v{version}"

    def has_tag(self, tag: str) -> bool:
        return bool(self.git("rev-parse", "-q", "--verify", f"refs/tags/{tag}", check=False))


def pins(text: str, pin: str) -> int:
    """How often ``text`` holds ``pin`` (not as the start of a longer version)."""
    return len(re.findall(re.escape(pin) + r"(?!\d)", text))


def changelog_entry(text: str, version: str) -> tuple[str, str] | None:
    """The heading and body of ``version``'s entry, else of a non-empty Unreleased one."""
    found = list(HEADING.finditer(text))
    for wanted in (version, "Unreleased"):
        for i, m in enumerate(found):
            if m.group(1) == wanted:
                end = found[i + 1].start() if i + 1 < len(found) else len(text)
                body = text[m.end():end].strip()
                if body:
                    return m.group(0), body
    return None


def check_agreement(repo: Repo, version: str) -> list[str]:
    """Where the course's version is not ``version``: course.py, set-up cells, changelog."""
    problems = []
    if repo.version() != version:
        problems.append(f"{COURSE_PY} says {repo.version()}")
    pin = repo.pin(version)
    for nb in repo.notebooks():
        text = repo.read(nb)
        if pins(text, pin) != 1:
            problems.append(f"{nb} pins {pin} {pins(text, pin)} times, not once")
        for other in re.findall(r'check_version\(\\"([^"\\]*)\\"\)', text):
            if other != version:
                problems.append(f"{nb} calls check_version(\"{other}\")")
    log = repo.read(CHANGELOG) if (repo.root / CHANGELOG).is_file() else ""
    if not any(m.group(1) == version for m in HEADING.finditer(log)):
        problems.append(f"{CHANGELOG} has no entry `## {version}`")
    return problems


def rewrite_notebook(text: str, old: str, new: str, pin_old: str, pin_new: str) -> str:
    """The notebook's raw JSON text with its pin, and a check_version call's argument, at the
    new version; nothing else changes."""
    text = re.sub(re.escape(pin_old) + r"(?!\d)", lambda _: pin_new, text)
    return text.replace(f'check_version(\\"{old}\\")', f'check_version(\\"{new}\\")')


def release(repo: Repo, new: str, test_command: str | None, today: str) -> str:
    try:
        new_key = release_key(new)
    except ValueError as err:
        raise Refused(str(err)) from None
    old = repo.version()
    if new_key <= release_key(old):
        raise Refused(f"{new} is not newer than the current release {old}")
    if repo.has_tag(f"v{new}"):
        raise Refused(f"the tag v{new} exists already: a release's tag never moves")
    dirty = repo.git("status", "--porcelain", "--untracked-files=all")
    if dirty:
        raise Refused("the working tree is not clean; commit or remove these first:\n" + dirty)
    log = repo.read(CHANGELOG) if (repo.root / CHANGELOG).is_file() else ""
    entry = changelog_entry(log, new)
    if entry is None:
        raise Refused(f"{CHANGELOG} has no entry for {new}: add `## {new}` (or `## Unreleased`) "
                      "with what changed for readers, commit it, and run again")
    pin_old, pin_new = repo.pin(old), repo.pin(new)
    bad = [f"{nb}: {pins(repo.read(nb), pin_old)}" for nb in repo.notebooks()
           if pins(repo.read(nb), pin_old) != 1]
    if bad or not repo.notebooks():
        raise Refused(f"every notebook's set-up cell must pin {pin_old} exactly once; found "
                      f"{', '.join(bad) or 'no notebooks'}")
    if test_command:
        print(f"release: running the tests ({test_command})", flush=True)
        if subprocess.run(shlex.split(test_command), cwd=repo.root).returncode:
            raise Refused(f"the tests failed ({test_command}); nothing was released")
        if repo.git("status", "--porcelain", "--untracked-files=all"):
            raise Refused("the tests changed the working tree; nothing was released")

    originals = {path: repo.read(path) for path in (COURSE_PY, CHANGELOG, *repo.notebooks())}
    heading, body = entry
    try:
        course = VERSION_LINE.sub(f'__version__ = "{new}"', originals[COURSE_PY])
        (repo.root / COURSE_PY).write_text(course, encoding="utf-8")
        if heading.startswith("## Unreleased") or heading.startswith("## [Unreleased]"):
            log = log.replace(heading, f"## {new} - {today}", 1)
            (repo.root / CHANGELOG).write_text(log, encoding="utf-8")
        for nb in repo.notebooks():
            (repo.root / nb).write_text(rewrite_notebook(originals[nb], old, new, pin_old,
                                                         pin_new), encoding="utf-8")
        problems = check_agreement(repo, new)
        if problems:
            raise Refused("after the rewrite: " + "; ".join(problems))
        repo.git("add", "--", *map(str, originals))
        repo.git("commit", "-q", "-m", f"Release {new}")
    except BaseException:
        for path, text in originals.items():
            (repo.root / path).write_text(text, encoding="utf-8")
        repo.git("reset", "-q", "--", *map(str, originals), check=False)
        raise
    repo.git("tag", "-a", f"v{new}", "-m", f"Release {new}\n\n{body}")
    return (f"released {new}: committed and tagged v{new}. Publish it with\n"
            f"    git push origin HEAD v{new}\n"
            "(the set-up cells install the tag, so push it before a reader opens the notebooks)")


def check(repo: Repo, remote: str | None = None) -> str:
    version = repo.version()
    problems = check_agreement(repo, version)
    if problems:
        raise Refused(f"the course's version is not one: {'; '.join(problems)}")
    tag = f"v{version}"
    if not repo.has_tag(tag):
        raise Refused(f"{tag}, which every set-up cell installs, is not tagged in this clone: "
                      f"`git fetch --tags`; if it was never made, tag the commit whose helpers "
                      f"are release {version} (`git tag -a {tag} COMMIT`) and push the tag")
    if remote:
        here = repo.git("rev-parse", f"{tag}^{{commit}}")
        listed = repo.git("ls-remote", "--tags", remote, f"refs/tags/{tag}^{{}}",
                          f"refs/tags/{tag}").splitlines()
        there = {line.split("\t")[1]: line.split("\t")[0] for line in listed}
        published = there.get(f"refs/tags/{tag}^{{}}", there.get(f"refs/tags/{tag}"))
        if published is None:
            raise Refused(f"{remote} has no tag {tag}, so a set-up cell's pip install fails: "
                          f"`git push {remote} {tag}`")
        if published != here:
            raise Refused(f"{remote}'s {tag} is commit {published[:12]}, this clone's is "
                          f"{here[:12]}: a release's tag never moves; find out which is right")
    changed = repo.git("diff", "--name-only", tag, "HEAD", "--", *INSTALLED).splitlines()
    project = {ref: tomllib.loads(repo.git("show", f"{ref}:pyproject.toml")).get("project")
               for ref in (tag, "HEAD")}
    if project[tag] != project["HEAD"]:
        changed.append("pyproject.toml [project]")
    if changed:
        major, minor, patch = release_key(version)
        later = f"{major}.{minor}.{patch + 1}"
        raise Refused(f"HEAD has moved past {tag} in what the set-up cells install: "
                      f"{', '.join(changed)}. A reader who opens a notebook from a badge gets "
                      f"{tag}'s helpers with HEAD's notebook: release these "
                      f"(`make release VERSION={later}`, or a minor/major bump)")
    where = f" (and on {remote})" if remote else ""
    return (f"{tag} is tagged{where} and HEAD installs what it installs: the badges and the "
            "pins agree")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("version", nargs="?", help="the new release, x.y.z")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; say whether HEAD is a released state")
    parser.add_argument("--remote", help="with --check: the remote that must have the tag too")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the clone (default: this one)")
    parser.add_argument("--skip-tests", action="store_true",
                        help="do not run the tests (tests/test_release.py only)")
    parser.add_argument("--test-command", default="make test",
                        help="what must pass first (default: %(default)s)")
    parser.add_argument("--date", default=datetime.date.today().isoformat(),
                        help="the date for an Unreleased entry's new heading")
    args = parser.parse_args(argv)
    if args.check == bool(args.version):
        parser.error("give either a version (x.y.z) or --check")
    repo = Repo(args.repo.resolve())
    try:
        if args.check:
            print(check(repo, args.remote))
        else:
            print(release(repo, args.version, None if args.skip_tests else args.test_command,
                          args.date))
    except Refused as why:
        print(f"release: {why}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
