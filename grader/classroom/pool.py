"""The worker processes a class is graded in: where they come from (a fork server), which
of them died with a student in hand, and stopping them all (Ctrl-C, the end of a run)
with nothing of theirs left behind."""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

GRACE = 2.0  # seconds pebble gets to report a dead worker's task before we do


def workers_of(pending: set, futures: dict, known: dict, ahead: int) -> dict:
    """The pid of the worker holding each pending future that has started (from its mark,
    written when the task began). Tasks start in the order they were scheduled (`futures`'
    order), so only the first `ahead` pending ones can have started since the last look;
    `known` keeps the pids already read (a task does not change worker)."""
    pids = {}
    for future in futures:
        if future not in pending:
            continue
        if future not in known:
            if ahead <= 0:
                break
            ahead -= 1
            try:
                known[future] = int(futures[future][1].read_text())
            except (OSError, ValueError):
                continue  # not started yet
        pids[future] = known[future]
    return pids


def dead(pids: dict, dead_since: dict) -> list:
    """The futures whose worker has been dead for GRACE seconds while pebble still has
    them running."""
    now, gone = time.monotonic(), []
    for future, pid in pids.items():
        if alive(pid):
            continue
        if now - dead_since.setdefault(future, now) >= GRACE:
            gone.append(future)
    return gone


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not: it died, and waits to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc to read: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            pass
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def stop_now(pool: Any) -> None:
    """Kill the workers, whose sandboxes their zygote then kills; a second Ctrl-C while
    this runs exits at once."""
    signal.signal(signal.SIGINT, exit_at_once)
    pool.stop()
    for worker in multiprocessing.active_children():
        worker.kill()
    pool.join(timeout=10)


@contextmanager
def second_ctrl_c_exits() -> Iterator[None]:
    """The first Ctrl-C raises KeyboardInterrupt, wherever it lands (starting the pool,
    handing out work, collecting); from then on the next one exits at once, even while
    the first is still being handled. Without a press, the previous handler is back
    afterwards. Only the main thread can set handlers: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def first(*_: Any) -> None:
        signal.signal(signal.SIGINT, exit_at_once)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is first:
            signal.signal(signal.SIGINT, previous)


def end_helpers(within: float = 10.0) -> None:
    """End multiprocessing's fork server and resource tracker, which the workers needed,
    and wait for them: nothing of a run outlives it (a resumed run would race them). Any
    worker still alive is killed first: each holds both helpers' pipes, and a helper waits
    for every holder to close it; a helper not gone `within` seconds is killed. Their
    `_stop` is private, and the one way to wait; it is there from Python 3.8 on."""
    from multiprocessing import forkserver, resource_tracker

    for worker in multiprocessing.active_children():
        worker.kill()
    for helper, pid_name in ((forkserver._forkserver, "_forkserver_pid"),
                             (resource_tracker._resource_tracker, "_pid")):
        stop, pid = getattr(helper, "_stop", None), getattr(helper, pid_name, None)
        if stop is None or pid is None:
            continue

        def kill_if_waiting(helper: Any = helper, pid_name: str = pid_name, pid: int = pid) -> None:
            if getattr(helper, pid_name) == pid:  # not reaped yet: it is still ours
                os.kill(pid, signal.SIGKILL)

        killer = threading.Timer(within, kill_if_waiting)
        killer.daemon = True
        killer.start()
        try:
            stop()
        finally:
            killer.cancel()


def exit_at_once(*_: Any) -> None:
    for worker in multiprocessing.active_children():
        worker.kill()
    os._exit(130)


def start_workers_early() -> None:
    """Start the fork server now (Linux): its imports then overlap the grader's own
    preparation instead of following it (about half a second of a class's start)."""
    if sys.platform != "linux":
        return
    worker_context()
    from multiprocessing import forkserver

    forkserver.ensure_running()


def worker_context() -> Any:
    """Workers come from a fork server: a fresh, single-threaded interpreter that has
    imported the grader once and forks each worker, the first ones and those pebble starts
    again after one dies. (Forking this process instead would copy whatever lock one of
    its threads held at that moment, an import lock for one: the new worker hangs.)
    Elsewhere, fresh interpreters."""
    if sys.platform == "linux":
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(  # worker last: it freezes what is there for GC
            ["pebble", "grader.classroom.run", "grader.classroom.worker"])
        return context
    return multiprocessing.get_context("spawn")
