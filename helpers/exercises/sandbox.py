"""Containment for the grader: run a learner's code where it cannot reach the teacher.

Every process that runs a submission's code (its Jupyter kernel, and the grader's judge that
calls the learner's functions) starts through :meth:`Sandbox.command`. The strongest mode the
machine allows is picked by :func:`detect`, which tries each one on a real command first:

``bwrap``     bubblewrap, where installed: new user, mount, PID, network, IPC and UTS
              namespaces, and the same new root as below; as :data:`NOBODY` when the grader
              is root.
``unshare``   util-linux ``unshare`` (a user namespace too when the grader is not root): mount,
              PID, network, IPC and UTS namespaces, built by a short shell script, then
              ``chroot`` into a new root made of read-only binds of only what Python needs (the
              system's ``/usr`` and ``/etc``, the interpreter, its packages, ``helpers`` and the
              data), fresh tmpfs for ``/tmp``, ``/dev/shm`` and the learner's home, a handful
              of devices, and every capability dropped; as :data:`NOBODY` when the grader is
              root.
``nobody``    (root, without namespaces): another user than root, and nothing more; files
              anyone may read or write stay so, and the network is open. Loud warning.
``none``      nothing but a clean environment and the limits below. Loud warning.

In every mode the environment is cleared (PATH, HOME = the learner's folder, FASTAI_HOME = the
data, read-only where a mode allows, thread counts), and ``prlimit`` caps the address space
(``memory_mb``), the size of any file written (``file_mb``), core dumps and, as ``nobody``, the
number of processes. ``setpriv --pdeathsig`` ends the sandbox when the grader's process that
started it ends, and ``unshare --kill-child`` everything in it.

Not promised: the CPU time a submission uses within its time limits (the grader's timeouts end
it), the number of files it writes into its own folders (a tmpfs of ``disk_mb`` in the
namespace modes, and the folder of its unix sockets, on the host's disk), a kernel exploit, nor
that code the judge calls cannot fool the judge's own process (see
helpers/exercises/grading.py for what guards that).
"""

from __future__ import annotations

import os
import shlex
import shutil
import site
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["HOME", "MODES", "NOBODY", "Sandbox", "Workspace", "detect", "package_dir"]

MODES = ("bwrap", "unshare", "nobody", "none")
NOBODY = 65534
HOME = "/home/student"  # the learner's folder, as the sandbox sees it (namespace modes)
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")


@dataclass(frozen=True)
class Workspace:
    """One sandboxed process's folders on the host: ``ipc`` (its unix sockets and connection
    file, shared with the grader), ``stage`` (the learner's files, copied in at the start),
    ``home`` (its folder in the modes without a mount namespace) and ``root`` (a mount point
    for the namespace modes)."""

    base: Path

    @property
    def ipc(self) -> Path:
        return self.base / "ipc"

    @property
    def stage(self) -> Path:
        return self.base / "stage"

    @property
    def home(self) -> Path:
        return self.base / "home"

    @property
    def root(self) -> Path:
        return self.base / "root"


def _python_paths() -> list[Path]:
    """What the interpreter and the course's packages need, read-only: the interpreter's
    prefixes, site-packages and ``helpers`` itself (not the folder around it, nor the folder the
    grader was started in)."""
    found = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.exec_prefix),
             Path(os.path.realpath(sys.executable)).parent, package_dir()]
    found += [Path(p) for p in site.getsitepackages() if Path(p).is_dir()]
    return _outermost(found)


def package_dir() -> Path:
    """The folder of the ``helpers`` package."""
    import helpers

    return Path(helpers.__file__).resolve().parent


def _outermost(paths: Sequence[Path]) -> list[Path]:
    """The paths, resolved and without those inside another one, parents first."""
    out: list[Path] = []
    for path in sorted({p.resolve() for p in paths if p.exists()}, key=lambda p: len(p.parts)):
        if not any(path == o or o in path.parents for o in out):
            out.append(path)
    return out


@dataclass
class Sandbox:
    """How to start a process that runs a submission's code; see the module's docstring."""

    mode: str = "none"
    memory_mb: int = 6144
    file_mb: int = 256
    disk_mb: int = 512
    threads: int = 1
    data_dir: Path | None = None
    as_nobody: bool = False  # the grader is root: the sandbox runs as NOBODY
    tried: list[str] = field(default_factory=list)  # why stronger modes were not used

    # --- what it promises --------------------------------------------------------------------

    def promises(self) -> list[str]:
        """One sentence per promise in force."""
        who = f"as user {NOBODY} (nobody)" if self.as_nobody else "as the grader's own user"
        out = [f"environment cleared (the teacher's variables are not passed), {who}",
               f"memory capped at {self.memory_mb} MB of address space, files written at "
               f"{self.file_mb} MB each"]
        if self.mode in ("bwrap", "unshare"):
            out += ["no network (a network namespace of its own, not even the grader's "
                    "localhost)",
                    "read-only file system but for a private home and /tmp (tmpfs, discarded); "
                    "the teacher's home and other submissions are not there at all",
                    "its own process namespace: it sees no process of the teacher",
                    "no capabilities"]
        elif self.mode == "nobody":
            out += ["it cannot write root's files nor read root's home; it CAN write /tmp and "
                    "read world-readable files, and it HAS the network"]
        return out

    def warning(self) -> str | None:
        """A loud warning when the containment is weak, else None."""
        if self.mode in ("bwrap", "unshare"):
            return None
        why = "; ".join(self.tried) or "no stronger mode was tried"
        return (f"WARNING: submissions run with weak containment (mode {self.mode!r}): they "
                "can use the network and write anywhere this user can"
                + (" (except root's files)" if self.mode == "nobody" else "")
                + f". Stronger modes failed: {why}. Install bubblewrap, or allow unprivileged "
                "user namespaces, to contain them.")

    # --- starting a process ------------------------------------------------------------------

    def workspace(self, base: Path, files: Path | None = None) -> Workspace:
        """Make the folders of one sandboxed process under ``base`` (new), with a copy of the
        learner's ``files`` (a folder) as its home."""
        work = Workspace(base)
        for path in (work.ipc, work.stage, work.home, work.root):
            path.mkdir(parents=True, exist_ok=True)
        if files is not None:
            shutil.copytree(files, work.stage, dirs_exist_ok=True, symlinks=True)
        _seed_matplotlib(work.stage)
        if self.mode in ("nobody", "none"):
            shutil.copytree(work.stage, work.home, dirs_exist_ok=True, symlinks=True)
        if self.as_nobody:
            for path in (work.base, work.ipc, work.home):
                os.chown(path, NOBODY, NOBODY)
            for folder, dirs, names in os.walk(work.home):
                for name in dirs + names:
                    os.lchown(os.path.join(folder, name), NOBODY, NOBODY)
        return work

    def home(self, work: Workspace) -> str:
        """The learner's folder as the sandboxed process sees it."""
        return HOME if self.mode in ("bwrap", "unshare") else str(work.home)

    def env(self, work: Workspace, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The whole environment of a sandboxed process."""
        home = self.home(work)
        tmp = "/tmp" if self.mode in ("bwrap", "unshare") else home
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
               "HOME": home, "TMPDIR": tmp, "USER": "student", "LOGNAME": "student",
               "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONNOUSERSITE": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "IPYTHONDIR": f"{home}/.ipython",
               "MPLCONFIGDIR": f"{home}/.config/matplotlib", "XDG_CACHE_HOME": f"{home}/.cache",
               "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[name] = str(self.threads)
        if self.data_dir is not None:
            env["FASTAI_HOME"] = str(self.data_dir)
        env["PYTHONPATH"] = str(package_dir().parent)  # helpers, installed or not
        env.update(extra or {})
        return env

    def command(self, work: Workspace, argv: Sequence[str], *, connection_file: str = "-",
                env: Mapping[str, str] | None = None) -> list[str]:
        """The command line that runs ``argv`` inside the sandbox, in the learner's folder.
        ``connection_file`` (a kernel's, or "-") is made readable to the sandboxed user."""
        env = self.env(work) if env is None else dict(env)
        limits = [_tool("prlimit"), f"--as={self.memory_mb * 2**20}",
                  f"--fsize={self.file_mb * 2**20}", "--core=0"]
        if self.as_nobody:
            limits.append("--nproc=512")
        limits.append("--")
        guard = [_tool("setpriv"), "--pdeathsig", "KILL"] if _tool("setpriv") else []
        assign = [f"{k}={v}" for k, v in env.items()]
        if self.mode == "unshare":
            script = self._script(work)
            flags = ["--user", "--map-root-user"] if not self.as_nobody else []
            return [*guard, _tool("unshare"), *flags, "--mount", "--net", "--ipc", "--uts",
                    "--pid", "--fork", "--kill-child", "--", "/bin/sh", "-c", script,
                    "sandbox", connection_file, _tool("env"), "-i",
                    f"--chdir={HOME}", *assign, *self._drop(), *limits, *argv]
        if self.mode == "bwrap":
            return [*guard, *self._bwrap(work, env), *limits, *argv]
        drop = self._drop() if self.mode == "nobody" else []
        chown = (f"chown {NOBODY}:{NOBODY} \"$1\" 2>/dev/null; " if self.as_nobody else "")
        return [*guard, "/bin/sh", "-c", f'{chown}shift; exec "$@"', "sandbox",
                connection_file, _tool("env"), "-i", f"--chdir={work.home}", *assign, *drop,
                *limits, *argv]

    def _drop(self) -> list[str]:
        ids = ([f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
               if self.as_nobody else [])
        return [_tool("setpriv"), *ids, "--inh-caps=-all", "--bounding-set=-all",
                "--no-new-privs", "--"]

    def _readonly(self) -> tuple[list[Path], list[tuple[str, str]]]:
        """The folders bound read-only into a new root, and the symlinks made there instead
        (a merged /usr: /bin -> usr/bin)."""
        binds, links = [Path("/usr"), Path("/etc")], []
        for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(name):
                links.append((name, os.readlink(name)))
            elif os.path.isdir(name):
                binds.append(Path(name))
        binds += _python_paths()
        if self.data_dir is not None and self.data_dir.is_dir():
            binds.append(self.data_dir.resolve())
        cpu = Path("/sys/devices/system/cpu")
        if cpu.is_dir():
            binds.append(cpu)
        return _outermost(binds), links

    def _script(self, work: Workspace) -> str:
        """The shell script that builds the new root, run as root of the namespaces; its
        arguments are the connection file (or "-") and the command to exec."""
        q = shlex.quote
        root = q(str(work.root))
        binds, links = self._readonly()
        lines = ["set -eu", f"R={root}", "mount --make-rprivate /",
                 'mount -t tmpfs -o size=8m,mode=755 sandbox-root "$R"',
                 'mkdir -p "$R/tmp"',  # before the binds, some of which may lie in /tmp
                 f'mount -t tmpfs -o size={self.disk_mb // 2}m,mode=1777 tmp "$R/tmp"']
        for name, target in links:
            lines.append(f'ln -s {q(target)} "$R"{q(name)}')
        for path in binds:
            p = q(str(path))
            lines += [f'mkdir -p "$R"{p}', f'mount --rbind {p} "$R"{p}',
                      f'mount -o remount,bind,ro "$R"{p}']
        lines += ['mkdir -p "$R/proc" "$R/dev/shm"', 'mount -t proc proc "$R/proc"']
        for dev in _DEVICES:
            if os.path.exists(f"/dev/{dev}"):
                lines += [f'touch "$R/dev/{dev}"', f'mount --bind /dev/{dev} "$R/dev/{dev}"']
        lines += ['ln -s /proc/self/fd "$R/dev/fd"',
                  'mount -t tmpfs -o size=64m,mode=1777 shm "$R/dev/shm"',
                  f'mkdir -p "$R{HOME}"',
                  f'mount -t tmpfs -o size={self.disk_mb}m,mode=755 home "$R{HOME}"',
                  f'cp -a {q(str(work.stage))}/. "$R{HOME}/"',
                  f'mkdir -p "$R"{q(str(work.ipc))}',
                  f'mount --bind {q(str(work.ipc))} "$R"{q(str(work.ipc))}']
        if self.as_nobody:
            lines += [f'chown -R {NOBODY}:{NOBODY} "$R{HOME}"',
                      f'[ "$1" = - ] || chown {NOBODY}:{NOBODY} "$1"']
        lines += ["shift", 'mount -o remount,bind,ro "$R"', 'exec chroot "$R" "$@"']
        return "\n".join(lines)

    def _bwrap(self, work: Workspace, env: Mapping[str, str]) -> list[str]:
        binds, links = self._readonly()
        cmd = [_tool("bwrap"), "--die-with-parent", "--unshare-all", "--new-session"]
        if self.as_nobody:
            cmd += ["--uid", str(NOBODY), "--gid", str(NOBODY)]
        for name, target in links:
            cmd += ["--symlink", target, name]
        for path in binds:
            cmd += ["--ro-bind", str(path), str(path)]
        cmd += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", HOME,
                "--ro-bind", str(work.stage), "/.stage", "--bind", str(work.ipc), str(work.ipc),
                "--chdir", HOME, "--clearenv"]
        for key, value in env.items():
            cmd += ["--setenv", key, value]
        return [*cmd, "--", "/bin/sh", "-c", f'cp -a /.stage/. {HOME}/ && exec "$@"', "sandbox"]


def _tool(name: str) -> str:
    return shutil.which(name) or ""


def _seed_matplotlib(stage: Path) -> None:
    """Copy matplotlib's font list from the grader's cache, if there is one, so that each
    sandboxed process does not rebuild it (half a second each)."""
    for cache in (Path.home() / ".cache" / "matplotlib", Path.home() / ".matplotlib"):
        for found in sorted(cache.glob("fontlist-*.json")) if cache.is_dir() else []:
            target = stage / ".config" / "matplotlib"
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(found, target / found.name)


def _probe(box: Sandbox) -> str | None:
    """Run a small Python command in ``box``; None if it ran as it should, else why not."""
    needed = {"bwrap": ["bwrap", "prlimit"], "unshare": ["unshare", "setpriv", "prlimit"],
              "nobody": ["setpriv", "prlimit"], "none": ["prlimit"]}[box.mode]
    missing = [t for t in [*needed, "env"] if not _tool(t)]
    if missing:
        return f"{box.mode}: {', '.join(missing)} not found"
    code = ("import os, sys, socket; s = socket.socket(); s.settimeout(1)\n"
            "try:\n    s.connect(('1.1.1.1', 53)); net = 'net'\n"
            "except OSError:\n    net = 'nonet'\n"
            "open(os.path.join(os.environ['HOME'], 'probe'), 'w').write('1')\n"
            "print(os.getuid(), net, os.getcwd() == os.environ['HOME'])")
    with tempfile.TemporaryDirectory(prefix="mnistg-probe-") as tmp:
        work = box.workspace(Path(tmp))
        try:
            done = subprocess.run(box.command(work, [sys.executable, "-I", "-c", code]),
                                  capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"{box.mode}: {err}"
    words = done.stdout.split()
    if done.returncode != 0 or len(words) != 3 or words[2] != "True":
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"{box.mode}: {last[:200]}"
    if box.as_nobody and words[0] != str(NOBODY):
        return f"{box.mode}: ran as uid {words[0]}, not {NOBODY}"
    if box.mode in ("bwrap", "unshare") and words[1] != "nonet":
        return f"{box.mode}: the network was still reachable"
    return None


def detect(requested: str = "auto", **options: object) -> Sandbox:
    """The strongest sandbox that works here (or ``requested``, which must work). ``options``
    are :class:`Sandbox` fields (memory_mb, file_mb, threads, data_dir...)."""
    if requested not in ("auto", *MODES):
        raise ValueError(f"sandbox {requested!r}: choose auto or one of {', '.join(MODES)}")
    root = os.geteuid() == 0
    tried: list[str] = []
    for mode in (MODES if requested == "auto" else (requested,)):
        if mode == "nobody" and not root:
            tried.append("nobody: the grader is not root")
            continue
        box = Sandbox(mode=mode, as_nobody=root and mode != "none", **options)  # type: ignore
        why = _probe(box)
        if why is None:
            box.tried = tried
            return box
        tried.append(why)
    if requested != "auto":
        raise RuntimeError(f"the {requested} sandbox does not work here: {'; '.join(tried)}")
    return Sandbox(mode="none", tried=tried, **options)  # type: ignore[arg-type]
