"""A pre-started interpreter that has imported numpy (and torch) and forks sandbox children.

Started as `python -I zygote.py FD numpy|torch|written [MODULES [eager]]` with a clean
environment (never forked from the grader, so it holds no reference, rubric or grader
state): `torch` imports torch too, `written` sympy and the written answers' parser (with
`eager`, the LaTeX parser's tables as well), MODULES the libraries a class imports
(comma-separated, from warm.PRELOADABLE). More zygotes may follow on the same command
line, four fields each (`main`): this one forks them off. FD is its door: a SOCK_SEQPACKET
socket through which any grader process holding the other end (the one that started it, and
the class workers it shares it with) hands in one end of a fresh socket pair, a conversation
of its own. On a conversation the zygote answers, one request at a time:
  {"fork": {...}} with three file descriptors (requests, responses, output) -> {"pid": N}
  {"wait": N, "timeout": s[, "kill": true]}                      -> {"code": exit code or null}
Waits are answered when the child ends or the time is up (with "kill", the child's process
group is killed then and the answer waits for its end), without holding up the others.
As the children's parent, the zygote is the one process that can signal them safely: a
child's group is killed when the child ends, before it is reaped (until then its pid
cannot be anyone else's), and when the conversation that started it hangs up.
The zygote exits when every holder of the door has closed it (the first of several on
one command line, once those it forked have ended too).
No torch or OpenMP thread pool is started here, so every fork starts clean.
"""
from __future__ import annotations

import gc
import json
import os
import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy  # noqa: F401 - imported once here, inherited by every fork
import numpy.random  # noqa: F401 - likewise: numpy imports it lazily, and fresh.Fresh saves
# its state in a class's every child (importing it, with hashlib and OpenSSL: 12 ms a child)
import resource  # noqa: F401 - likewise: the harness imports it lazily (confine.set_limits)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import child  # noqa: E402 - the harness, loaded before any fork
sys.path.pop(0)
warm = child._load("warm")

POLL = 0.002  # seconds between looks at the children where pidfds are not to be had


def main(argv: list[str]) -> None:
    """`FD BACKEND MODULES EAGER`, once or more (EAGER: "eager" or "-"). This process
    becomes the first zygote; it forks each further one off as soon as what they share
    is imported: those that need no sympy at once, the others once sympy is (a class's
    torch, preloading and written answers' zygotes then import it once, not three times)."""
    argv = argv + [""] * (-len(argv) % 4)  # the first one's MODULES and EAGER may be left out
    specs = [argv[k:k + 4] for k in range(0, len(argv), 4)]
    own, others, subs = specs[0], specs[1:], []
    doors = {int(spec[0]) for spec in specs}  # those still open here
    for spec in sorted(others, key=_uses_sympy):  # the others as they are, before sympy
        if _uses_sympy(spec):
            warm.warm_sympy()  # once: the next one finds it done
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            child.confine.die_with_parent()  # a zygote that dies takes its forks along
            if os.getppid() != parent:
                os._exit(1)
            for fd in doors - {int(spec[0])}:
                os.close(fd)
            _become(spec, [])
            os._exit(0)
        os.close(int(spec[0]))
        doors.discard(int(spec[0]))
        subs.append(pid)
    _become(own, subs)


def _uses_sympy(spec: list[str]) -> bool:
    return spec[1] in ("torch", "written") or "sympy" in spec[2].split(",")


def _become(spec: list[str], subs: list[int]) -> None:
    """Import what this zygote's kind adds, prepare the confinement, and serve until every
    holder of the door `spec[0]` has left; then wait for the zygotes it forked (`subs`)."""
    fd, backend, modules, eager = int(spec[0]), spec[1], spec[2], spec[3] == "eager"
    if backend == "torch":
        _warm_torch()
    if modules:
        warm.preload(modules.split(","))
    if backend == "written":
        _warm_written(eager)
    child.confine.isolate_network()  # one empty network namespace for all its children
    child.confine.can_fork_into_pid_namespaces()  # and a PID namespace for each, if allowed
    child.confine.prepare_seccomp()  # built once, loaded by each child
    child.confine.read_only_mounts()  # last: one mount namespace, read-only, for all of them
    gc.freeze()  # children's collections then skip these objects: fewer pages copied on write
    _Server(socket.socket(fileno=fd)).serve()
    _wait_for(subs, SUBS_GRACE)


SUBS_GRACE = 10.0  # seconds the first zygote waits at its end for those it forked


def _wait_for(pids: list[int], grace: float) -> None:
    """The grader waits for the first zygote alone: it ends after the others, whose holders
    leave when its own do; one still there after `grace` seconds is killed."""
    end = time.monotonic() + grace
    for pid in pids:
        while True:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # reaped already, with the sandbox children
                break
            if done:
                break
            if time.monotonic() >= end:
                os.kill(pid, signal.SIGKILL)
                _wait_killed(pid)
                break
            time.sleep(POLL)


def _warm_torch() -> None:
    """Import torch and run a forward and a backward pass once, so that children do not
    each pay torch's lazy set-up (the first backward with an explicit gradient imports
    sympy: about 0.3 s). With one
    thread configured this starts no thread pool; a zygote that found itself with a
    second thread would make unsafe forks, so it exits and the grader spawns instead."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    x = torch.from_numpy(np.ones((1, 2, 4, 4)))
    w = torch.zeros(2, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.conv2d(x, w, padding=1)
    (torch.sigmoid(y) * torch.tanh(y)).backward(torch.ones_like(y))  # an explicit gradient
    warm.single_threaded("torch")


@dataclass
class _Waiter:
    conn: socket.socket
    pid: int
    deadline: float
    kill: bool = False


@dataclass
class _Server:
    door: socket.socket
    sel: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)
    running: dict[int, Optional[int]] = field(default_factory=dict)  # pid -> its pidfd
    ended: dict[int, int] = field(default_factory=dict)  # exit codes not yet asked for
    waiters: list[_Waiter] = field(default_factory=list)
    started_by: dict[int, Any] = field(default_factory=dict)  # pid -> its conversation

    def serve(self) -> None:
        self.sel.register(self.door, selectors.EVENT_READ)
        while True:
            for key, _ in self.sel.select(self._timeout()):
                if key.fileobj is self.door:
                    if not self._admit():  # every grader process is gone: so are theirs
                        for pid in self.running:
                            _kill_group(pid)
                        for pid in self.running:  # gone before this zygote is (the
                            _wait_killed(pid)     # grader waits for it at exit)
                        return
                elif isinstance(key.data, int):  # a child's pidfd: it ended
                    pass
                else:
                    self._answer(key.fileobj)
            self._reap()
            self._settle()

    def _admit(self) -> bool:
        """A new conversation handed in through the door; False once every holder left."""
        msg, fds, _, _ = socket.recv_fds(self.door, 16, 1)
        if not msg and not fds:
            return False
        for fd in fds:
            self.sel.register(socket.socket(fileno=fd), selectors.EVENT_READ, "conversation")
        return True

    def _answer(self, conn: Any) -> None:
        try:
            msg, fds, _, _ = socket.recv_fds(conn, 65536, 3)
        except OSError:
            msg, fds = b"", []
        if not msg:
            for fd in fds:
                os.close(fd)
            self._hang_up(conn)
            return
        request = json.loads(msg)
        if "fork" in request:
            try:
                pid = _fork(request["fork"], fds)
            except OSError as exc:  # e.g. no more processes allowed: this child only
                for fd in fds:
                    os.close(fd)
                self._reply(conn, {"error": str(exc)})
                return
            self.running[pid] = _pidfd(pid)
            self.started_by[pid] = conn
            if self.running[pid] is not None:
                self.sel.register(self.running[pid], selectors.EVENT_READ, pid)
            self._reply(conn, {"pid": pid})
        else:
            timeout = float(request.get("timeout", 0))
            self.waiters.append(_Waiter(conn, int(request["wait"]), time.monotonic() + timeout,
                                        bool(request.get("kill"))))

    def _reap(self) -> None:
        """Collect every child that ended, so that none lingers as a zombie, killing what
        is left of its process group first (while its pid is still held)."""
        while self.running:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return
            if info is None:
                return
            pid = info.si_pid
            _kill_group(pid)
            _, status = os.waitpid(pid, 0)
            self.started_by.pop(pid, None)
            pidfd = self.running.pop(pid, None)
            if pidfd is not None:
                self.sel.unregister(pidfd)
                os.close(pidfd)
            self.ended[pid] = os.waitstatus_to_exitcode(status)

    def _settle(self) -> None:
        """Answer the waits whose child ended or whose time is up."""
        now, still = time.monotonic(), []
        for w in self.waiters:
            if w.pid in self.ended:
                self._reply(w.conn, {"code": self.ended.pop(w.pid)})
            elif w.pid not in self.running:  # not ours, or asked for already
                self._reply(w.conn, {"code": None})
            elif now >= w.deadline and w.kill:
                _kill_group(w.pid)  # unreaped, so still this child's; answered once reaped
                w.deadline = float("inf")
                still.append(w)
            elif now >= w.deadline:
                self._reply(w.conn, {"code": None})
            else:
                still.append(w)
        self.waiters = [w for w in still if w.conn.fileno() != -1]  # not hung up meanwhile

    def _timeout(self) -> Optional[float]:
        if any(pidfd is None for pidfd in self.running.values()):
            return POLL
        deadlines = [w.deadline for w in self.waiters if w.deadline != float("inf")]
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - time.monotonic())

    def _reply(self, conn: socket.socket, message: dict[str, Any]) -> None:
        try:
            conn.sendall(json.dumps(message).encode() + b"\n")
        except OSError:  # the grader process on the other end is gone
            self._hang_up(conn)

    def _hang_up(self, conn: socket.socket) -> None:
        """The grader process on the other end is gone (or done): whatever it started and
        did not see end is killed."""
        for pid, owner in list(self.started_by.items()):
            if owner is conn and pid in self.running:
                _kill_group(pid)
        self.waiters = [w for w in self.waiters if w.conn is not conn]
        try:
            self.sel.unregister(conn)
        except (KeyError, ValueError):
            pass
        conn.close()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_killed(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _pidfd(pid: int) -> Optional[int]:
    """A descriptor that becomes readable when the child ends (Linux 5.3 and later)."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _warm_written(eager: bool) -> None:
    """The zygote of the children that read answers.md: import sympy and run its lazy
    set-up; with `eager` (a class), build the LaTeX parser's tables too (written/latex.py,
    `warm_parser`): every child that needs the parser inherits them."""
    try:
        warm.warm_sympy()
        child.written.WrittenAnswers("/")
        if eager:
            child.written.warm_parser()
            child.written.warm_answers()
    except Exception:  # noqa: BLE001 - no parser here: each child says so itself
        pass
    warm.single_threaded("the LaTeX parser")


def _fork(job: dict[str, Any], fds: list[int]) -> int:
    req_r, resp_w, out_w = fds
    if job.get("pid_namespace"):  # the child is PID 1 of its own: no extra fork for that
        pid, _ = child.confine.fork_into_pid_namespace()
    else:
        pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    try:  # the sandbox child: its own session, output to the grader's pipe, then the harness
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        low, high = sorted((req_r, resp_w))  # the door, every conversation and pidfd: none
        os.closerange(3, low)                # stays open
        os.closerange(low + 1, high)
        os.closerange(high + 1, 1 << 16)
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        child.main(["child.py", str(req_r), str(resp_w)], started=child.FORKED)
    except BaseException as exc:  # noqa: BLE001 - the harness itself failed: say how, briefly
        where = exc.__traceback__
        while where is not None and where.tb_next is not None:
            where = where.tb_next
        os.write(2, f"sandbox harness: {type(exc).__name__}: {exc} (in "
                    f"{where.tb_frame.f_code.co_name if where else '?'})\n".encode()[:500])
    finally:
        os._exit(70)


if __name__ == "__main__":
    main(sys.argv[1:])
