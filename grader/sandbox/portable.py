"""The student kit's sandbox, the same on Windows, macOS and Linux: a fresh interpreter per
module, spoken to over its stdin and stdout, watched from the parent.

It is the grader's sandbox (process.py) with the parts only Linux has swapped out, so that
every verdict is reached by the same code: the same harness (child.py, started with
`stdio`), requests, messages, time limits and retries. What differs:

- no file descriptor is handed down by number (Windows cannot): the requests go to the
  child's stdin, the answers come from its stdout, what it prints from its stderr;
- threads read those pipes into one queue (Windows cannot select() on a pipe), and write
  the requests (a child that stops reading cannot block the kit);
- every time limit is the parent's: it ends the child's whole process tree (tree.py: a
  process group on POSIX, a job object on Windows) when a call overruns;
- no uid is claimed and no Linux layer asked for; resource limits apply where the system
  has them (POSIX's resource module; on Windows, the job object holds each process to
  the rubric's memory).
"""
from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, Optional

from grader.disk import workspace
from grader.sandbox import WRITTEN_MODULE, Call, ImportOutcome, ModuleJob, ModuleRun, wire
from grader.sandbox import tree
from grader.sandbox.launch import CHILD, child_env
from grader.sandbox.outbox import Requests
from grader.sandbox.inbox import (SLACK, _Attempt, _keep, read_messages, time_left,
                                  visible_answered)
from grader.sandbox.process import SubprocessSandbox, _exit_reason, _Slot, mentions_torch

ANSWERS, OUTPUT = "answers", "output"
DRAIN = 2.0  # seconds to read what output is left once the child's tree has ended
SETTLE = 1.0  # seconds at most for the output printed before the hidden calls to be read
# What an interpreter on Windows needs of the environment to start (SYSTEMROOT: its
# random numbers) and to find a conda environment's DLLs (PATH, passed on anyway).
WINDOWS_ENV = ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT",
               "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE")

# Windows' exit status for a crash -> Linux's number and name of the signal for it.
WINDOWS_CRASHES = {
    0xC0000005: (11, "SIGSEGV"),  # STATUS_ACCESS_VIOLATION
    0xC00000FD: (11, "SIGSEGV"),  # STATUS_STACK_OVERFLOW: deep recursion in C
    0xC0000409: (6, "SIGABRT"),  # STATUS_STACK_BUFFER_OVERRUN: __fastfail, abort() in UCRT
    0xC000001D: (4, "SIGILL"),  # STATUS_ILLEGAL_INSTRUCTION
    0xC0000096: (4, "SIGILL"),  # STATUS_PRIVILEGED_INSTRUCTION
    0xC0000094: (8, "SIGFPE"),  # STATUS_INTEGER_DIVIDE_BY_ZERO
    0xC0000095: (8, "SIGFPE"),  # STATUS_INTEGER_OVERFLOW
}


class PortableSandbox(SubprocessSandbox):
    """`SubprocessSandbox` for the student kit, on any desktop OS (see the module's doc)."""

    run_together = None  # one process a module: the kit keeps no child between modules

    def __init__(self, python: str = sys.executable):  # no Linux layer: none of its set-up
        self.launcher = PortableLauncher(python)
        self.uid, self.namespaces, self.landlock = 0, False, False

    def run(self, job: ModuleJob) -> ModuleRun:
        """Run on a copy of the submission that only this module's processes see."""
        with workspace.folder("mod") as tmp:
            root = Path(tmp) / "submission"
            shutil.copytree(job.root, root, symlinks=True)
            job = replace(job, root=root.resolve())
            return self._run(job, _Slot(self.uid, mentions_torch(job.root, job.others)))

    def _attempt(self, job: ModuleJob, calls: list[Call], slot: _Slot,
                 kept: object = None) -> _Attempt:  # (run_together is None: never a kept child)
        with workspace.folder("run") as tmp:
            work = tmp / "work"
            work.mkdir()
            requests = Requests.of({
                "root": str(job.root), "module": job.module,
                "confine": self._confinement(job, calls, work, slot),
                "written": job.module == WRITTEN_MODULE}, calls)
            return self._watch(job, requests.calls, requests, work, slot)

    def _confinement(self, job: ModuleJob, calls: list[Call], work: Path,
                     slot: _Slot) -> dict[str, Any]:
        """The rubric's limits, but processes: RLIMIT_NPROC counts every process of the
        student's own user, and a desktop runs many (the tree is ended as one anyway)."""
        lim = job.limits
        cpu = job.import_timeout + sum(c.timeout for c in calls) + SLACK
        return {"namespaces": False, "landlock": False, "preload_torch": slot.torch,
                "uid": None, "gid": None,
                "limits": {"memory_mb": lim.memory_mb, "file_mb": lim.file_mb,
                           "open_files": lim.open_files, "cpu_seconds": int(cpu) + 1},
                "read": [str(job.root)], "write": [str(work)]}

    def _watch(self, job: ModuleJob, calls: list[Call], requests: Requests, work: Path,
               slot: _Slot) -> _Attempt:
        proc, children = self.launcher.start(work, job.limits.processes, job.limits.memory_mb)
        channel = _Channel(proc)
        attempt = _Attempt(since=time.monotonic())
        try:
            _pump(attempt, channel, requests, job, {c.id: c for c in calls})
        finally:
            # The child that said it is done ends now; one that died on its own gets 2 s
            # for its exit status; any other is ended at once, with all it started.
            tree.RUNNING.discard(children)
            code = children.stop(0.0 if attempt.done or attempt.timed_out else 2.0)
            code = 0 if attempt.done else code
            channel.finish(attempt, job.output_bytes)
        if not attempt.done and not attempt.ended:
            attempt.ended = _exit_reason(-attempt.signal) if attempt.signal else ended_by(code)
        if attempt.imported is None and not attempt.out_of_time:
            attempt.imported = ImportOutcome(
                "timeout" if attempt.timed_out else "crashed", detail=attempt.ended)
        return attempt


def ended_by(code: Optional[int]) -> str:
    """How a child that exited with `code` ended, in the grader's words: a crash that
    Windows reports as an NTSTATUS (no POSIX exit status is that large) reads as the
    signal Linux ends the same crash with."""
    if code in WINDOWS_CRASHES:
        number, name = WINDOWS_CRASHES[code]
        return f"killed by signal {number} ({name})"
    return _exit_reason(code)


class PortableLauncher:
    """A fresh `python -I child.py stdio` per process, its process tree ended as one."""

    def __init__(self, python: str = sys.executable):
        self.python = python

    def start(self, work: Path, processes: int,
              memory_mb: Optional[int] = None) -> tuple[subprocess.Popen, tree.Tree]:
        proc = subprocess.Popen(
            [self.python, "-I", str(CHILD), "stdio"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0, cwd=work,
            env=portable_env(work), **tree.popen_options())
        try:  # before it is sent anything to run: nothing of it can escape the tree
            children = tree.adopt(proc, processes, memory_mb)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        tree.RUNNING.add(children)  # ended with the others if the student stops the kit
        return proc, children


def stop_all() -> None:
    """End every child running now, with all they started, and start none after: the
    student pressed Ctrl-C (tree.Running)."""
    tree.RUNNING.stop_all()


def portable_env(work: Path) -> dict[str, str]:
    """The sandbox's environment (launch.child_env), and what Windows needs besides."""
    env = child_env(work)
    env.update({k: os.environ[k] for k in WINDOWS_ENV if k in os.environ})
    if sys.platform == "win32":
        env.update(TEMP=str(work), TMP=str(work), USERPROFILE=str(work))
    return env


class _Channel:
    """The child's pipes: read by one thread each into a queue of (source, bytes), an
    empty read marking the end; written by a thread per request frame."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.events: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.readers = {source: _start(_read, pipe, source, self.events)
                        for source, pipe in ((ANSWERS, proc.stdout), (OUTPUT, proc.stderr))}
        self.writers: list[threading.Thread] = []

    def send(self, data: bytes) -> None:
        if data:
            self.writers.append(_start(_write, self.proc.stdin, data))

    def take_output(self, attempt: _Attempt, cap: int) -> None:
        """Keep the output read so far, leaving the answers in the queue."""
        rest = []
        while True:
            try:
                source, data = self.events.get_nowait()
            except queue.Empty:
                break
            if source == OUTPUT:
                _keep(attempt, data, cap)
            else:
                rest.append((source, data))
        for event in rest:
            self.events.put(event)

    def settle_output(self, attempt: _Attempt, cap: int) -> None:
        """Keep what the child printed before its last visible answer. It flushed that
        before it sent the answer, but into the other pipe, whose reader thread may not
        have queued it yet: wait until that pipe is empty (where the system says) and a
        moment more. (The kit has no hidden items: only a sandbox given some waits.)"""
        until = time.monotonic() + SETTLE
        while _unread(self.proc.stderr) and time.monotonic() < until:
            time.sleep(0.002)
        time.sleep(0.05)
        self.take_output(attempt, cap)

    def finish(self, attempt: _Attempt, cap: int) -> None:
        """Once the tree has ended: the output left in its pipe, then the pipes closed
        (but one whose reader still waits: a process that escaped holds its other end)."""
        self.readers[OUTPUT].join(DRAIN)
        self.take_output(attempt, cap)
        for writer in self.writers:  # a child that is gone fails their writes at once
            writer.join(DRAIN)
        for pipe, thread in ((self.proc.stdout, self.readers[ANSWERS]),
                             (self.proc.stderr, self.readers[OUTPUT]),
                             (self.proc.stdin, self.writers[-1] if self.writers else None)):
            if thread is None or not thread.is_alive():
                try:
                    pipe.close()
                except OSError:  # a request the child never read
                    pass


def _unread(pipe: BinaryIO) -> bool:
    """Whether bytes wait in `pipe` (FIONREAD; False where it cannot be asked)."""
    try:
        import array
        import fcntl
        import termios

        count = array.array("i", [0])
        fcntl.ioctl(pipe.fileno(), termios.FIONREAD, count, True)
    except (ImportError, OSError, ValueError):
        return False
    return count[0] > 0


def _start(target: Any, *args: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _read(pipe: BinaryIO, source: str, events: queue.Queue) -> None:
    while True:
        try:
            data = pipe.read(1 << 16) or b""
        except (OSError, ValueError):  # closed under us
            data = b""
        events.put((source, data))
        if not data:
            return


def _write(pipe: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[pipe.write(view) or 0:]
    except (OSError, ValueError):  # the child is gone: its own pipes say how it ended
        pass


def _pump(attempt: _Attempt, channel: _Channel, requests: Requests, job: ModuleJob,
          calls: dict[int, Call]) -> None:
    """process._pump's loop over the threads' queue: send the requests, read the child's
    messages and output until it is done, dies or overruns a limit."""
    reader = wire.FrameReader(max_frame=job.limits.answer_bytes)
    deadline = time.monotonic() + job.import_timeout
    limit = f"importing {job.module}.py took longer than {job.import_timeout:g} s"
    later = requests.later
    channel.send(requests.first)
    while not attempt.done:
        remaining = time_left(attempt, job, deadline, limit)
        if remaining <= 0:
            return
        try:
            source, data = channel.events.get(timeout=remaining)
        except queue.Empty:
            continue
        if source == OUTPUT:
            _keep(attempt, data, job.output_bytes)
            continue
        if not data:
            return  # the child closed its end: it exited or died
        read = read_messages(reader, data, attempt, calls, job, deadline, limit)
        if read is None:
            return
        deadline, limit = read
        if later and visible_answered(attempt, requests):
            channel.settle_output(attempt, job.output_bytes)  # what was printed before
            attempt.sealed = True
            channel.send(later)
            later = b""
