"""The product's sandbox: each student module runs in a child process, watched from outside.

One child makes all of a module's calls in order. The grader enforces every time limit
from here; a child that hangs or dies costs only the call it was in, and a fresh child
takes the remaining calls.

Requests travel over a pipe, never a file: hidden items' calls come last, in a second
frame written only once every other call of the process has been answered, so that no
student code holds their inputs before it is called with them (not at import, not during
a visible call); and what a process prints from then on, like everything its module
prints in later processes, is never shown.
"""
from __future__ import annotations

import contextlib
import functools
import os
import selectors
import shutil
import signal
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from grader.disk import files, workspace
from grader.sandbox import (WRITTEN_MODULE, Call, CallOutcome, ImportOutcome, ModuleJob,
                            ModuleRun, host, users, wire)
from grader.sandbox import preload
from grader.sandbox.inbox import (SLACK, _Attempt, _blame, _keep, _past, read_messages,
                                  time_left, visible_answered)
from grader.sandbox.outbox import Requests
from grader.sandbox.turns import Turns
from grader.sandbox.launch import Child, Launcher, SpawnLauncher, ZygoteLauncher

ONE_AFTER_ANOTHER = 5.0  # seconds: an honest submission takes 1 to 5 s in all


@dataclass(frozen=True)
class _Slot:
    """What stays the same over one module's processes: its uid, whether it uses torch,
    and the preloadable libraries its files import (preload.py)."""

    uid: int
    torch: bool
    imports: frozenset[str] = frozenset()
    cpu: Optional[float] = None  # seconds of CPU for the process: all its modules' (together)


class SubprocessSandbox:
    """Runs each module job in fresh `python -I child.py` processes, confined by every OS
    layer the machine offers (see confine.py); `uid` is the unprivileged user when root."""

    def __init__(self, launcher: Optional[Launcher] = None, uid: Optional[int] = None,
                 namespaces: bool = True, landlock: bool = True):
        host.require_linux()  # never student code unconfined (the kit: portable.py)
        self.launcher = launcher or _default_launcher()
        if hasattr(self.launcher, "warm_up"):
            self.launcher.warm_up()  # its imports overlap the grader's own start
        self.uid = uid if uid is not None else users.BASE_UID
        self.namespaces = namespaces
        self.landlock = landlock

    @classmethod
    def ready_for(cls, torch: bool, preload: tuple[str, ...] = (), written: bool = False,
                  many: bool = False) -> Callable[[], SubprocessSandbox]:
        """A factory of sandboxes whose zygotes start now (the torch one too if `torch`:
        some submission mentions it; one that imports `preload`, the libraries the
        submissions import (preload.for_class); the written answers' one if `written`:
        some have an answers.md), so that their imports overlap the grader's own work;
        every sandbox it makes, here or in class workers, forks from them. `many`: a
        class (the written answers' zygote warms the LaTeX parser up front)."""
        launcher = _default_launcher()
        if isinstance(launcher, ZygoteLauncher):
            launcher.preload, launcher.many = tuple(preload), many
            launcher.warm_up(torch=torch, written=written)
        return functools.partial(cls, launcher=launcher)

    @classmethod
    def ready_for_one(cls, root: Path) -> Callable[[], SubprocessSandbox]:
        """`ready_for` the submission at `root` alone."""
        libraries, written = preload.survey([root])
        return cls.ready_for(torch=mentions_torch(root), preload=libraries, written=written)

    def run(self, job: ModuleJob) -> ModuleRun:
        """Run on a copy of the submission only this module's processes see (read-only),
        as a sandbox user no other running sandbox has (when root)."""
        with self._copy_for_user(job.root) as (root, uid):
            job = replace(job, root=root)
            imports = frozenset() if job.module == WRITTEN_MODULE else \
                preload.imported(job.root, job.others)
            return self._run(job, _Slot(uid, mentions_torch(job.root, job.others), imports))

    @contextlib.contextmanager
    def _copy_for_user(self, submission: Path) -> Iterator[tuple[Path, int]]:
        """A copy of `submission` that a sandbox user no other running sandbox has (when
        root) may read and nobody else, in a folder of its own; the copy and the user."""
        with workspace.folder("mod", passable=True) as tmp, users.claim_uid(self.uid) as uid:
            root = tmp / "submission"
            shutil.copytree(submission, root, symlinks=True)
            users.make_readable(root, uid)
            yield root.resolve(), uid

    def run_together(self, jobs: list[ModuleJob]) -> list[ModuleRun]:
        """The modules of one submission (the same `root`), one after another in one child
        as long as each ends cleanly (its last words said, no hidden call sent): a class
        then forks one process a submission instead of one a module. The child forgets
        each module before the next (fresh.py); any module that ends otherwise leaves
        the rest to fresh children, as `run` would. Once the modules have taken
        ONE_AFTER_ANOTHER seconds, those not begun start side by side, each as `run` runs
        it, even while one still runs: a slow submission's time budget goes as far as
        alone, where no module waits for another."""
        if not jobs:
            return []
        queue, runs = Turns(jobs), {}
        with ThreadPoolExecutor(max_workers=1) as helper:
            apart = helper.submit(self._apart, queue)  # those left once it is time
            try:
                runs.update(self._in_turn(queue))
            finally:
                queue.finished.set()
            runs.update(apart.result())
        return [runs[k] for k in range(len(jobs))]

    def _in_turn(self, queue: Turns[ModuleJob]) -> dict[int, ModuleRun]:
        """The modules the shared child takes, one after another, until none is left or
        `_apart` has taken the rest."""
        runs: dict[int, ModuleRun] = {}
        with self._copy_for_user(queue.jobs[0].root) as (root, uid):
            jobs = [replace(job, root=root) for job in queue.jobs]
            cpu = sum(job.import_timeout + sum(c.timeout for c in job.calls) + SLACK
                      for job in jobs)
            slot = _Slot(uid, mentions_torch(root), frozenset().union(
                *(preload.imported(root, job.others) for job in jobs)), cpu)
            kept = _Kept()
            try:
                while (k := queue.next()) is not None:
                    runs[k] = self._run(jobs[k], slot, kept)
            finally:
                kept.close(uid)
        return runs

    def _apart(self, queue: Turns[ModuleJob]) -> dict[int, ModuleRun]:
        """Once the modules have taken ONE_AFTER_ANOTHER seconds, the ones not begun, side
        by side, each as `run` runs it (even while the shared child still runs one)."""
        if queue.finished.wait(ONE_AFTER_ANOTHER):
            return {}
        rest = queue.rest()
        with ThreadPoolExecutor(max_workers=max(1, len(rest))) as pool:
            return dict(zip(rest, pool.map(self.run, [queue.jobs[k] for k in rest])))

    def _run(self, job: ModuleJob, slot: _Slot, kept: Optional[_Kept] = None) -> ModuleRun:
        pending = sorted(job.calls, key=lambda c: c.hidden)  # hidden items' calls last
        results: dict[int, CallOutcome] = {}
        imported: Optional[ImportOutcome] = None
        output, dropped, processes, layers = bytearray(), 0, 0, ()
        sealed = False  # a hidden call was sent: nothing printed since is shown
        while pending and processes <= len(job.calls):
            if _past(job.deadline):
                break
            attempt = self._attempt(job, pending, slot, kept)
            processes += 1
            if not sealed:
                output += attempt.output[: max(0, job.output_bytes - len(output))]
                dropped += attempt.dropped + max(0, len(attempt.output) - job.output_bytes)
            sealed = sealed or attempt.sealed
            imported = imported or attempt.imported
            layers = layers or attempt.layers
            results.update(attempt.results)
            if attempt.out_of_time:
                break  # the calls left are marked below
            if attempt.imported is None or attempt.imported.status != "ok":
                break
            if attempt.ended:
                _blame(attempt, pending, results)
            pending = [c for c in pending if c.id not in results]
            if attempt.done:
                break
        if pending and _past(job.deadline):
            imported = imported if imported and imported.status == "ok" else \
                ImportOutcome("not_run", detail=job.deadline_note)
            for call in pending:
                if call.id not in results:
                    results[call.id] = CallOutcome("not_run", detail=job.deadline_note)
        imported = imported or ImportOutcome("crashed", detail="the sandbox did not start")
        why = "the module could not be imported" if imported.status != "ok" else "not reached"
        for call in job.calls:  # (an outcome made only where one is missing: most have one)
            if call.id not in results:
                results[call.id] = CallOutcome("not_run", detail=why)
        return ModuleRun(job.module, imported, results, output.decode("utf-8", "replace"),
                         dropped, processes, layers)

    def _attempt(self, job: ModuleJob, calls: list[Call], slot: _Slot,
                 kept: Optional[_Kept] = None) -> _Attempt:
        head = {"root": str(job.root), "module": job.module,
                "written": job.module == WRITTEN_MODULE, "next": kept is not None}
        if kept is not None and kept.child is not None:  # the child of the module before
            attempt = self._watch(job, Requests.of(head, calls), kept.work, slot, kept)
            status = attempt.imported.status  # (a time-out before its first words: forgetting)
            if attempt.out_of_time or status not in ("crashed", "raised", "timeout") or \
                    status == "timeout" and attempt.layers:
                return attempt
            kept.close(slot.uid)  # it died or hung before the import, or the import failed, of
            # what the module before did or left (torch's interop threads, set once): afresh
        # Beside the module's copy, in the folder run() made for it: a fresh working
        # folder for each process, which only this sandbox's user may write, or look
        # into, removed as the process ends (what it wrote goes with it).
        work = Path(tempfile.mkdtemp(prefix="work-", dir=job.root.parent))
        try:
            if users.can_drop_to_sandbox_user():
                os.chown(work, slot.uid, slot.uid)
            requests = Requests.of({  # read by the harness before it drops its user
                **head, "confine": self._confinement(job, calls, work, slot)}, calls)
            return self._watch(job, requests, work, slot, kept)
        finally:
            if kept is None or kept.work != work:
                shutil.rmtree(work, ignore_errors=True)

    def _confinement(self, job: ModuleJob, calls: list[Call], work: Path,
                     slot: _Slot) -> dict[str, Any]:
        lim = job.limits
        cpu = slot.cpu or job.import_timeout + sum(c.timeout for c in calls) + SLACK
        uid = slot.uid if users.can_drop_to_sandbox_user() else None
        return {
            "namespaces": self.namespaces, "landlock": self.landlock,
            "preload_torch": slot.torch, "uid": uid, "gid": uid,
            "limits": {"memory_mb": lim.memory_mb, "file_mb": lim.file_mb,
                       "disk_mb": lim.disk_mb, "open_files": lim.open_files,
                       "processes": lim.processes, "cpu_seconds": int(cpu) + 1},
            "read": [str(job.root)], "write": [str(work)],
        }

    def _watch(self, job: ModuleJob, requests: Requests, work: Path, slot: _Slot,
               kept: Optional[_Kept] = None) -> _Attempt:
        if kept is not None and kept.child is not None:
            child, (req_w, resp_r, out_r), layers = kept.take()
            requests.write(req_w)
        else:
            child, (req_w, resp_r, out_r) = self._start(job, requests, work, slot)
            layers = None
        attempt = _Attempt(since=time.monotonic())
        keep, code = False, None
        try:
            _pump(attempt, resp_r, out_r, (req_w, requests), job,
                  {c.id: c for c in requests.calls})
            _drain(out_r, attempt, job.output_bytes)  # flushed before its last words
            keep = kept is not None and attempt.done and not attempt.sealed and \
                not attempt.ended and (layers is None or attempt.layers == layers)
        finally:
            if keep:
                kept.hold(child, (req_w, resp_r, out_r), work, attempt.layers)
            else:
                code = self._end(child, attempt, slot, (req_w, resp_r, out_r), job)
        if not attempt.done and not attempt.ended:
            attempt.ended = _exit_reason(-attempt.signal if attempt.signal else code)
        if attempt.imported is None and not attempt.out_of_time:
            attempt.imported = ImportOutcome(
                "timeout" if attempt.timed_out else "crashed", detail=attempt.ended)
        return attempt

    def _start(self, job: ModuleJob, requests: Requests, work: Path,
               slot: _Slot) -> tuple[Child, tuple[int, int, int]]:
        """A child for the job, and our ends of its pipes: requests, answers, output."""
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        out_r, out_w = os.pipe()
        os.set_blocking(req_w, False)
        requests.write(req_w)  # before the start: the child need not wait for us to read it
        try:
            child = self.launcher.start(req_r, resp_w, out_w, work, torch=slot.torch,
                                        pid_namespace=self.namespaces,
                                        written=job.module == WRITTEN_MODULE,
                                        imports=slot.imports)
        except BaseException:
            for fd in (req_w, resp_r, out_r):
                os.close(fd)
            raise
        finally:
            for fd in (req_r, resp_w, out_w):
                os.close(fd)
        return child, (req_w, resp_r, out_r)

    def _end(self, child: Child, attempt: _Attempt, slot: _Slot, fds: tuple[int, int, int],
             job: ModuleJob) -> Optional[int]:
        """End the child and close our ends of its pipes; its exit code."""
        req_w, resp_r, out_r = fds
        os.close(req_w)
        try:
            # A child that died on its own gets 2 s for its exit status to travel up; any
            # other is killed now, by the process that knows it is alive (see Child.stop),
            # without waiting for the end of one that said it was done.
            if attempt.done:
                child.release()
                code: Optional[int] = 0
            else:
                code = child.stop(0.0 if attempt.timed_out else 2.0)
            _sweep_user(slot.uid, attempt.layers)
            _drain(out_r, attempt, job.output_bytes)
        finally:
            os.close(resp_r)
            os.close(out_r)
        return code


class _Kept:
    """The child of a submission's module that ended cleanly, kept for its next module
    (`run_together`), with our ends of its pipes and its working folder."""

    def __init__(self) -> None:
        self.child: Optional[Child] = None
        self.fds: tuple[int, int, int] = (-1, -1, -1)
        self.work: Optional[Path] = None
        self.layers: tuple[str, ...] = ()

    def hold(self, child: Child, fds: tuple[int, int, int], work: Path,
             layers: tuple[str, ...]) -> None:
        self.child, self.fds, self.work, self.layers = child, fds, work, layers

    def take(self) -> tuple[Child, tuple[int, int, int], tuple[str, ...]]:
        """The child, for one more module: while it runs, nobody else holds it."""
        child, self.child = self.child, None
        assert child is not None
        return child, self.fds, self.layers

    def close(self, uid: int) -> None:
        """Hang up on the child kept last (it exits, or its zygote ends it) and sweep up
        after it as after any child; its working folder goes."""
        if self.child is not None:
            for fd in self.fds:
                os.close(fd)
            self.child.release()
            self.child = None
            _sweep_user(uid, self.layers)
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)


def _sweep_user(uid: int, layers: tuple[str, ...]) -> None:
    """Once a child has ended: without a PID namespace, a daemon of the student's may
    have left its group, so every process of its user is killed; without an IPC
    namespace, what it created there is removed."""
    if os.geteuid() == 0 and "pid namespace" not in layers:
        users.kill_user(uid)
    if os.geteuid() == 0 and "ipc namespace" not in layers:
        users.remove_ipc(uid)


def _pump(attempt: _Attempt, resp_r: int, out_r: int, sending: tuple[int, Requests],
          job: ModuleJob, calls: dict[int, Call]) -> None:
    """Send the child its requests, and read its messages and output until it is done,
    dies or overruns a limit."""
    reader = wire.FrameReader(max_frame=job.limits.answer_bytes)
    deadline = time.monotonic() + job.import_timeout
    limit = f"importing {job.module}.py took longer than {job.import_timeout:g} s"
    req_w, requests = sending
    sel = selectors.DefaultSelector()
    sel.register(resp_r, selectors.EVENT_READ)
    sel.register(out_r, selectors.EVENT_READ)
    _want_write(sel, req_w, requests)  # what did not fit in the pipe before the start
    while not attempt.done:
        remaining = time_left(attempt, job, deadline, limit)
        if remaining <= 0:
            return
        for key, _ in sel.select(timeout=remaining):
            if key.fd == req_w:
                requests.write(req_w)
                if not requests.queued:
                    sel.unregister(req_w)
                continue
            try:
                data = os.read(key.fd, 1 << 16)
            except BlockingIOError:  # the output, emptied by _drain below since the select
                continue
            if key.fd == out_r:
                _keep(attempt, data, job.output_bytes)
                if not data:
                    sel.unregister(out_r)
                continue
            if not data:
                return  # the child closed its end: it exited or died
            read = read_messages(reader, data, attempt, calls, job, deadline, limit)
            if read is None:
                return
            deadline, limit = read
            if requests.later and visible_answered(attempt, requests):
                _drain(out_r, attempt, job.output_bytes)  # what was printed before, no more
                attempt.sealed = True
                requests.release(req_w)
                _want_write(sel, req_w, requests)


def _want_write(sel: selectors.BaseSelector, req_w: int, requests: Requests) -> None:
    """Hear when the pipe to the child takes more, while anything is left to send."""
    if requests.queued and req_w not in sel.get_map():
        sel.register(req_w, selectors.EVENT_WRITE)


def _drain(fd: int, attempt: _Attempt, cap: int) -> None:
    """Read what output is left without waiting for writers that escaped the kill."""
    os.set_blocking(fd, False)
    while True:
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        if not data:
            return
        _keep(attempt, data, cap)


def _default_launcher() -> Launcher:
    """GRADER_LAUNCHER=spawn starts a fresh interpreter per process (for debugging and for
    measuring what the zygote saves); the default forks from a zygote."""
    return SpawnLauncher() if os.environ.get("GRADER_LAUNCHER") == "spawn" else ZygoteLauncher()


def mentions_torch(root: Path, others: tuple[str, ...] = ()) -> bool:
    """Whether a file under `root` (a module, or a helper file it may import) mentions
    torch, the graded modules in `others` aside: then the child starts with torch loaded."""
    return files.mentions(root, b"torch", skip=others)


def _exit_reason(code: Optional[int]) -> str:
    if code is None or code == 0:
        return "the sandbox stopped unexpectedly"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown"
        return f"killed by signal {-code} ({name})"
    return f"exited with code {code}"


