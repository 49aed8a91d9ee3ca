"""How a sandbox child process comes to life: forked from a pre-started zygote (fast), or
spawned as a fresh interpreter (the fallback). Both give a pid in a session of its own."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Optional, Protocol

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

    def wait(self, timeout: Optional[float]) -> Optional[int]:
        """The exit code (negative for a signal), or None if still running at the timeout."""


class Launcher(Protocol):
    name: str

    def start(self, request: Path, resp_w: int, out_w: int, work: Path,
              torch: bool = False, pid_namespace: bool = False) -> Child:
        """A child running the harness on `request`; `pid_namespace` asks, when the
        launcher can, that it start as PID 1 of a new PID namespace (else the harness
        makes one itself)."""


class _Spawned:
    def __init__(self, proc: subprocess.Popen):
        self.proc, self.pid = proc, proc.pid

    def wait(self, timeout: Optional[float]) -> Optional[int]:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None


class SpawnLauncher:
    """A fresh `python -I child.py` per child: slower (imports numpy, maybe torch, each time)."""

    name = "fresh interpreter per process"

    def __init__(self, python: str = sys.executable):
        self.python = python

    def start(self, request: Path, resp_w: int, out_w: int, work: Path,
              torch: bool = False, pid_namespace: bool = False) -> Child:
        return _Spawned(subprocess.Popen(
            [self.python, "-I", str(CHILD), str(request), str(resp_w)],
            pass_fds=(resp_w,), stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w,
            cwd=work, env=child_env(work), start_new_session=True))


class _Forked:
    def __init__(self, zygote: _Zygote, pid: int):
        self.zygote, self.pid = zygote, pid
        self.code: Optional[int] = None

    def wait(self, timeout: Optional[float]) -> Optional[int]:
        if self.code is None:
            try:
                self.code = self.zygote.ask({"wait": self.pid,
                                             "timeout": timeout or 3600.0})["code"]
            except (OSError, ValueError, KeyError):  # the zygote died: the exit is unknown
                return None
        return self.code


class _Zygote:
    """One pre-started interpreter (numpy, and torch if asked), answering over a socket.
    Threads share it: one question at a time."""

    def __init__(self, python: str, torch: bool):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.proc = subprocess.Popen(
            [python, "-I", str(ZYGOTE), str(theirs.fileno()), "torch" if torch else "numpy"],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=base_env(), start_new_session=True)
        theirs.close()
        self.sock, self.lines = ours, ours.makefile("rb")
        self.ready = False
        self.lock = threading.Lock()

    def ask(self, message: dict, fds: tuple[int, ...] = ()) -> dict:
        with self.lock:
            if not self.ready:  # the zygote says so once its imports are done
                self.ready = json.loads(self.lines.readline() or b"{}").get("ready", False)
                if not self.ready:
                    raise OSError("the zygote did not start")
            socket.send_fds(self.sock, [json.dumps(message).encode()], list(fds))
            line = self.lines.readline()
        if not line:
            raise OSError("the zygote stopped")
        return json.loads(line)

    def close(self) -> None:
        self.sock.close()
        self.proc.kill()
        self.proc.wait()


class ZygoteLauncher:
    """Forks children from pre-started zygotes shared by every thread: a light one with
    numpy only, and one that has imported torch too, started the first time a submission
    uses torch (forking a process holding torch costs more, so numpy students never do).
    Falls back to fresh interpreters if no zygote can be had."""

    name = "forked from a pre-started interpreter"

    def __init__(self, python: str = sys.executable):
        self.python = python
        self.zygotes: dict[bool, _Zygote] = {}
        self.lock = threading.Lock()
        self.fallback = SpawnLauncher(python)

    def warm_up(self) -> None:
        """Start the light zygote now, so its imports overlap the grader's own work."""
        self._get(torch=False)

    def _get(self, torch: bool) -> Optional[_Zygote]:
        with self.lock:
            zygote = self.zygotes.get(torch)
            if zygote is None or zygote.proc.poll() is not None:
                try:
                    zygote = self.zygotes[torch] = _Zygote(self.python, torch)
                except OSError:
                    self.zygotes.pop(torch, None)
                    return None
            return zygote

    def start(self, request: Path, resp_w: int, out_w: int, work: Path,
              torch: bool = False, pid_namespace: bool = False) -> Child:
        zygote = self._get(torch)
        job = {"request": str(request), "cwd": str(work), "env": child_env(work),
               "pid_namespace": pid_namespace}
        if zygote is not None:
            try:
                return _Forked(zygote, zygote.ask({"fork": job}, (resp_w, out_w))["pid"])
            except (OSError, ValueError, KeyError):
                with self.lock:
                    zygote.close()
                    self.zygotes.pop(torch, None)
        return self.fallback.start(request, resp_w, out_w, work)
