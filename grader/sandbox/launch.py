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
              torch: bool = False, pid_namespace: bool = False, written: bool = False) -> Child:
        """A child running the harness, which reads its requests from `req_r`, answers on
        `resp_w` and prints to `out_w`; `pid_namespace` asks, when the launcher can, that
        it start as PID 1 of a new PID namespace (else the harness makes one itself)."""


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
              torch: bool = False, pid_namespace: bool = False, written: bool = False) -> Child:
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


class _Zygote:
    """One pre-started interpreter (numpy, and torch if asked) behind a door: each child
    gets a conversation of its own, so threads and processes need not queue for it.
    `proc` is None in a process that was handed the door by the one that started it."""

    def __init__(self, door: socket.socket, proc: Optional[subprocess.Popen] = None):
        self.door, self.proc = door, proc
        self.owner = os.getpid()  # a forked copy of this object does not own the process

    @classmethod
    def start(cls, python: str, torch: bool) -> _Zygote:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        proc = subprocess.Popen(
            [python, "-I", str(ZYGOTE), str(theirs.fileno()), "torch" if torch else "numpy"],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=base_env(), start_new_session=True)
        theirs.close()
        zygote = cls(ours, proc)
        atexit.register(zygote.end)  # the grader exits after what it started, never before
        return zygote

    def alive(self) -> bool:
        """False once the zygote is known to have ended (only its owner can tell)."""
        return self.proc is None or self.owner != os.getpid() or self.proc.poll() is None

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
        self.door.close()
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ZygoteLauncher:
    """Forks children from pre-started zygotes: a light one with numpy only, and one that
    has imported torch too, started the first time a submission uses torch (forking a
    process holding torch costs more, so numpy students never do). Class workers that
    get this launcher, pickled or as forks of its process (`SubprocessSandbox.ready_for`),
    fork from the same zygotes, so a class pays for importing torch once. Falls back to
    fresh interpreters if no zygote can be had."""

    def __init__(self, python: str = sys.executable,
                 zygotes: Optional[dict[bool, _Zygote]] = None):
        self.python = python
        self.zygotes: dict[bool, _Zygote] = dict(zygotes or {})
        self.lock = threading.Lock()
        self.fallback = SpawnLauncher(python)

    def warm_up(self, torch: bool = False) -> None:
        """Start the light zygote (and the torch one) now, so that their imports overlap
        the grader's own work."""
        self._get(torch=False)
        if torch:
            self._get(torch=True)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled for a worker process: the doors of the zygotes started so far travel
        as file descriptors (multiprocessing passes them on); the worker starts its own
        for any other kind it needs."""
        return _attached, (self.python, {t: z.door for t, z in self.zygotes.items() if z.alive()})

    def _get(self, torch: bool) -> Optional[_Zygote]:
        with self.lock:
            zygote = self.zygotes.get(torch)
            if zygote is None or not zygote.alive():
                try:
                    zygote = self.zygotes[torch] = _Zygote.start(self.python, torch)
                except OSError:
                    self.zygotes.pop(torch, None)
                    return None
            return zygote

    def start(self, req_r: int, resp_w: int, out_w: int, work: Path,
              torch: bool = False, pid_namespace: bool = False, written: bool = False) -> Child:
        zygote = self._get(torch)
        job = {"cwd": str(work), "env": child_env(work), "pid_namespace": pid_namespace,
               "written": written}
        if zygote is not None:
            try:
                return zygote.fork(job, (req_r, resp_w, out_w))
            except ForkRefused:
                pass  # this child only: a fresh interpreter, and the zygote stays
            except (OSError, ValueError, KeyError):
                with self.lock:
                    if self.zygotes.get(torch) is zygote:
                        del self.zygotes[torch]  # the next child starts a zygote of our own
                zygote.close()
        return self.fallback.start(req_r, resp_w, out_w, work)


def _attached(python: str, doors: dict[bool, socket.socket]) -> ZygoteLauncher:
    return ZygoteLauncher(python, {torch: _Zygote(door) for torch, door in doors.items()})
