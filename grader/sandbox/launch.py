"""How a sandbox child process comes to life: forked from a pre-started zygote (fast), or
spawned as a fresh interpreter (the fallback). Both give a pid in a session of its own."""
from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Protocol

HERE = Path(__file__).parent
CHILD, ZYGOTE = HERE / "child.py", HERE / "zygote.py"
PASS_ENV = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def base_env() -> dict[str, str]:
    """The environment of every sandboxed interpreter: nothing of the grader's but what
    numerical libraries need to run right, and one thread each."""
    env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MPLBACKEND="Agg")  # a student's leftover plt.show() must not need a screen
    return env


def child_env(work: Path) -> dict[str, str]:
    return {**base_env(), "HOME": str(work), "TMPDIR": str(work)}


class Child(Protocol):
    pid: int

    def stop(self, grace: float) -> Optional[int]:
        """Give the child `grace` seconds to end on its own, then kill its process group;
        return its exit code (negative for a signal; None if it cannot be known). Only
        the child's parent signals it, and only before reaping it, when its pid cannot
        belong to anyone else."""

    def release(self) -> None:
        """The child said it is done: end it as `stop` would, without waiting for its
        exit (tearing down its namespaces takes the kernel a moment)."""


class Launcher(Protocol):
    def start(self, req_r: int, resp_w: int, out_w: int, work: Path,
              torch: bool = False, pid_namespace: bool = False, written: bool = False,
              imports: frozenset[str] = frozenset()) -> Child:
        """A child running the harness, which reads its requests from `req_r`, answers on
        `resp_w` and prints to `out_w`; `pid_namespace` asks, when the launcher can, that
        it start as PID 1 of a new PID namespace (else the harness makes one itself).
        `imports`: the preloadable libraries the module's files import (preload.py)."""


class _Spawned:
    def __init__(self, proc: subprocess.Popen):
        self.proc, self.pid = proc, proc.pid

    def stop(self, grace: float) -> Optional[int]:
        if self.proc.returncode is None:  # not reaped yet: the pid is still this child's
            end = time.monotonic() + grace
            while not _ended(self.pid) and time.monotonic() < end:
                time.sleep(0.005)
            kill_group(self.pid)
        return self.proc.wait()

    def release(self) -> None:
        self.stop(0.0)


def _ended(pid: int) -> bool:
    """Whether a child of ours has ended, leaving it unreaped (a zombie holds its pid)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def kill_group(pid: int) -> None:
    """SIGKILL a child's process group; call only while the child is unreaped."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class SpawnLauncher:
    """A fresh `python -I child.py` per child: slower (imports numpy, maybe torch, each time)."""

    def __init__(self, python: str = sys.executable):
        self.python = python

    def start(self, req_r: int, resp_w: int, out_w: int, work: Path,
              torch: bool = False, pid_namespace: bool = False, written: bool = False,
              imports: frozenset[str] = frozenset()) -> Child:
        return _Spawned(subprocess.Popen(
            [self.python, "-I", str(CHILD), str(req_r), str(resp_w)],
            pass_fds=(req_r, resp_w), stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w,
            cwd=work, env=child_env(work), start_new_session=True))


class _Forked:
    """A child of a zygote, and the conversation with the zygote about it."""

    def __init__(self, conn: socket.socket, lines: Any, pid: int):
        self.conn, self.lines, self.pid = conn, lines, pid

    def stop(self, grace: float) -> Optional[int]:
        """The zygote is the child's parent: it kills, and reaps, on our behalf."""
        try:
            return _ask(self.conn, self.lines, {"wait": self.pid, "timeout": grace,
                                                "kill": True})["code"]
        except (OSError, ValueError, KeyError):  # the zygote died, and its children with it
            return None
        finally:
            self.lines.close()
            self.conn.close()

    def release(self) -> None:
        """Hanging up is enough: the zygote kills what a closed conversation started, and
        reaps it in its own time."""
        self.lines.close()
        self.conn.close()


def _ask(conn: socket.socket, lines: Any, message: dict, fds: tuple[int, ...] = ()) -> dict:
    socket.send_fds(conn, [json.dumps(message).encode()], list(fds))
    line = lines.readline()
    if not line:
        raise OSError("the zygote stopped")
    return json.loads(line)


class ForkRefused(Exception):
    """The zygote is well but could not fork this child (e.g. too many processes)."""


@dataclass(frozen=True)
class Kind:
    """What a zygote imports before its first fork, besides numpy: torch; or sympy and the
    written answers' parser (`written`; `eager`: the LaTeX parser's tables built too, for a
    class, some of whose many answers need it); and the libraries a class imports
    (`preload`, names from warm.PRELOADABLE). Forking a larger process costs more, so each
    child forks from the smallest kind that has what its module needs."""

    torch: bool = False
    written: bool = False
    eager: bool = False
    preload: tuple[str, ...] = ()

    def argv(self) -> list[str]:
        base = "torch" if self.torch else "written" if self.written else "numpy"
        return [base, ",".join(self.preload), "eager" if self.eager else "-"]

    def uses_sympy(self) -> bool:
        """Whether its zygote imports sympy (torch's first backward pass does)."""
        return self.torch or self.written or "sympy" in self.preload


NUMPY, TORCH = Kind(), Kind(torch=True)


class _Zygote:
    """One pre-started interpreter (numpy, and what its `Kind` adds) behind a door: each
    child gets a conversation of its own, so threads and processes need not queue for it.
    `proc` is None in a process that was handed the door by the one that started it."""

    def __init__(self, door: socket.socket, proc: Optional[subprocess.Popen] = None,
                 forked: bool = False):
        self.door, self.proc = door, proc
        self.forked = forked  # forked by the first zygote of a tree (start_tree), not by us
        self.owner = os.getpid()  # a forked copy of this object does not own the process

    @classmethod
    def start(cls, python: str, kind: Kind) -> _Zygote:
        return cls.start_tree(python, [kind])[0]

    @classmethod
    def start_tree(cls, python: str, kinds: list[Kind]) -> list[_Zygote]:
        """One zygote of each kind; from one process (the first kind's), which forks the
        others off as it imports what they share (zygote.main)."""
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in kinds]
        argv = [a for (_, theirs), kind in zip(pairs, kinds)
                for a in (str(theirs.fileno()), *kind.argv())]
        try:
            proc = subprocess.Popen(
                [python, "-I", str(ZYGOTE), *argv],
                pass_fds=tuple(theirs.fileno() for _, theirs in pairs),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=base_env(), start_new_session=True)
        except OSError:
            for pair in pairs:
                for end in pair:
                    end.close()
            raise
        for _, theirs in pairs:
            theirs.close()
        zygotes = [cls(pairs[0][0], proc)] + [cls(ours, forked=True) for ours, _ in pairs[1:]]
        if not _STARTED:
            atexit.register(end_zygotes)  # the grader exits after what it started, never before
        _STARTED.extend(zygotes)
        return zygotes

    def alive(self) -> bool:
        """False once the zygote is known to have ended, or to be ending (only its owner
        can tell: of one forked by another zygote, by its end of the door)."""
        if self.hung_up():
            return False
        if self.owner != os.getpid():
            return True
        if self.forked:
            return not _peer_gone(self.door)
        return self.proc is None or self.proc.poll() is None

    def hung_up(self) -> bool:
        """Whether this process closed its door (hang_up_zygotes): it ends, not failed."""
        return self.door.fileno() == -1

    def fork(self, job: dict, fds: tuple[int, int, int]) -> _Forked:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(self.door, [b"c"], [theirs.fileno()])
        finally:
            theirs.close()
        lines = ours.makefile("rb")
        try:
            reply = _ask(ours, lines, {"fork": job}, fds)
            if "error" in reply:
                raise ForkRefused(str(reply["error"]))
            return _Forked(ours, lines, reply["pid"])
        except BaseException:
            lines.close()
            ours.close()
            raise

    def close(self) -> None:
        self.door.close()
        if self.proc is not None and self.owner == os.getpid():
            self.proc.kill()
            self.proc.wait()

    def end(self, grace: float = 5.0) -> None:
        """Hang up and wait while the zygote ends the children it has and then itself (it
        does once every holder of the door has hung up); kill it after `grace` seconds."""
        if self.proc is None or self.owner != os.getpid() or self.proc.poll() is not None:
            return
        self.door.close()  # a second time does nothing
        try:
            self.proc.wait(grace)  # the first of a tree ends after those it forked
        except subprocess.TimeoutExpired:
            kill_group(self.proc.pid)  # and the zygotes it forked: they stay in its group
            self.proc.wait()


def _peer_gone(door: socket.socket) -> bool:
    """Whether the zygote behind `door` is gone: it never writes there, so reading finds
    the end of the stream then, and nothing while it lives."""
    try:
        return door.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


_STARTED: list[_Zygote] = []  # by this process


def hang_up_zygotes() -> None:
    """Hang up on every zygote this process started, without waiting: each ends its
    children and itself (once the other holders of its door, class workers, are gone too)
    while the grader goes on; a sandbox needed later starts a zygote of its own."""
    for zygote in _STARTED:
        if zygote.owner == os.getpid():
            zygote.door.close()


def end_zygotes() -> None:
    """At exit: hang up on them all first, then wait for each, so that they end together."""
    hang_up_zygotes()
    for zygote in _STARTED:
        zygote.end()


class ZygoteLauncher:
    """Forks children from pre-started zygotes: a light one with numpy only; one that has
    imported torch too, started the first time a submission uses torch (forking a process
    holding torch costs more, so numpy students never do); one with the libraries a class
    imports (`preload`), for the modules that import them; and one for written answers.
    Class workers that get this launcher, pickled or as forks of its process
    (`SubprocessSandbox.ready_for`), fork from the same zygotes, so a class pays for
    importing torch, or scipy, once. Falls back to fresh interpreters if no zygote can be
    had; a module whose preloading zygote died (a library started a thread, say) forks
    from the one without. `many`: a class (the written answers' zygote
    builds the LaTeX parser's tables up front)."""

    def __init__(self, python: str = sys.executable,
                 zygotes: Optional[dict[Kind, _Zygote]] = None,
                 preload: tuple[str, ...] = (), many: bool = False):
        self.python = python
        self.zygotes: dict[Kind, _Zygote] = dict(zygotes or {})
        self.preload = tuple(preload)
        self.many = many
        self.failed: set[Kind] = set()  # preloading zygotes that died: their plain kind
        self.lock = threading.Lock()
        self.fallback = SpawnLauncher(python)

    def warm_up(self, torch: bool = False, written: bool = False) -> None:
        """Start the light zygote (and the torch one, the one that preloads the class's
        libraries, the written answers' one) now, so that their imports overlap the
        grader's own work; for a class, as one tree (start_tree) when more than one of
        them imports sympy. (Killing the first of a tree ends the others too.)"""
        kinds = [NUMPY] + [TORCH] * torch + [self.kind(imports=frozenset(self.preload))] * \
            bool(self.preload) + [self.kind(written=True)] * written
        sharing = [k for k in kinds if k.uses_sympy()]
        if self.many and len(sharing) > 1 and not self.zygotes:
            first = sharing[-1]  # the written answers', else preloading's: sympy's users
            tree = [first] + [k for k in kinds if k != first]
            with self.lock:
                try:
                    self.zygotes.update(zip(tree, _Zygote.start_tree(self.python, tree)))
                except OSError:
                    pass  # one by one, below
        for kind in kinds:
            self._get(kind)

    def kind(self, torch: bool = False, written: bool = False,
             imports: frozenset[str] = frozenset()) -> Kind:
        """The zygote a child forks from: written answers' own; else with torch or not,
        and with the class's libraries when its module imports any of them."""
        if written:
            return Kind(written=True, eager=self.many)
        kind = Kind(torch, preload=self.preload if imports & set(self.preload) else ())
        return Kind(torch) if kind in self.failed else kind

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled for a worker process: the doors of the zygotes started so far travel
        as file descriptors (multiprocessing passes them on); the worker starts its own
        for any other kind it needs."""
        return _attached, (self.python, {k: z.door for k, z in self.zygotes.items()
                                         if z.alive()}, self.preload, self.many)

    def _get(self, kind: Kind) -> Optional[_Zygote]:
        with self.lock:
            zygote = self.zygotes.get(kind)
            if zygote is not None and not zygote.alive() and kind.preload and \
                    not zygote.hung_up():  # it died
                self.failed.add(kind)  # e.g. a library started a thread: never again
                del self.zygotes[kind]
                return None
            if zygote is None or not zygote.alive():
                try:
                    zygote = self.zygotes[kind] = _Zygote.start(self.python, kind)
                except OSError:
                    self.zygotes.pop(kind, None)
                    return None
            return zygote

    def start(self, req_r: int, resp_w: int, out_w: int, work: Path,
              torch: bool = False, pid_namespace: bool = False, written: bool = False,
              imports: frozenset[str] = frozenset()) -> Child:
        kind = self.kind(torch, written, imports)
        zygote = self._get(kind)
        job = {"cwd": str(work), "env": child_env(work), "pid_namespace": pid_namespace}
        if zygote is not None:
            try:
                return zygote.fork(job, (req_r, resp_w, out_w))
            except ForkRefused:
                pass  # this child only: a fresh interpreter, and the zygote stays
            except (OSError, ValueError, KeyError):
                with self.lock:
                    if self.zygotes.get(kind) is zygote:
                        del self.zygotes[kind]  # the next child starts a zygote of our own
                    if kind.preload:  # or, preloading having failed, forks from the plain one
                        self.failed.add(kind)
                zygote.close()
        return self.fallback.start(req_r, resp_w, out_w, work)


def _attached(python: str, doors: dict[Kind, socket.socket], preload: tuple[str, ...],
              many: bool) -> ZygoteLauncher:
    return ZygoteLauncher(python, {kind: _Zygote(door) for kind, door in doors.items()},
                          preload, many)
