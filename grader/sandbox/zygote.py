"""A pre-started interpreter that has imported numpy (and torch) and forks sandbox children.

Started as `python -I zygote.py FD numpy|torch` with a clean environment (never forked from the
grader, so it holds no reference, rubric or grader state). It answers requests on the
Unix socket FD, one at a time:
  {"fork": {...}} with two file descriptors (responses, output) -> {"pid": N}
  {"wait": N, "timeout": s}                                      -> {"code": exit code or null}
No torch or OpenMP thread pool is started here, so every fork starts clean.
"""
from __future__ import annotations

import gc
import json
import os
import socket
import sys
import threading
import time
from typing import Any

import numpy  # noqa: F401 - imported once here, inherited by every fork

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import child  # noqa: E402 - the harness, loaded before any fork
sys.path.pop(0)


def main(fd: int, backend: str) -> None:
    if backend == "torch":
        _warm_torch()
    child.confine.isolate_network()  # one empty network namespace for all its children
    child.confine.can_fork_into_pid_namespaces()  # and a PID namespace for each, if allowed
    gc.freeze()  # children's collections then skip these objects: fewer pages copied on write
    sock = socket.socket(fileno=fd)
    sock.sendall(b'{"ready": true}\n')
    while True:
        msg, fds, _, _ = socket.recv_fds(sock, 65536, 2)
        if not msg:
            return
        request = json.loads(msg)
        if "fork" in request:
            reply = {"pid": _fork(sock, request["fork"], fds)}
        else:
            reply = {"code": _wait(int(request["wait"]), float(request.get("timeout", 0)))}
        sock.sendall(json.dumps(reply).encode() + b"\n")


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
    if threading.active_count() != 1 or len(os.listdir("/proc/self/task")) != 1:
        sys.exit("zygote: torch started a thread; forking would not be safe")


def _fork(sock: socket.socket, job: dict[str, Any], fds: list[int]) -> int:
    resp_w, out_w = fds
    if job.get("pid_namespace"):  # the child is PID 1 of its own: no extra fork for that
        pid, _ = child.confine.fork_into_pid_namespace()
    else:
        pid = os.fork()
    if pid:
        os.close(resp_w)
        os.close(out_w)
        return pid
    try:  # the sandbox child: its own session, output to the grader's pipe, then the harness
        sock.close()
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.closerange(3, resp_w)
        os.closerange(resp_w + 1, 1 << 16)
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        child.main(["child.py", job["request"], str(resp_w)])
    finally:
        os._exit(70)


def _wait(pid: int, timeout: float) -> Any:
    if timeout >= 3600:  # asked after a SIGKILL: the end is near, block for it
        try:
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except ChildProcessError:
            return None
    deadline = time.monotonic() + timeout
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.0005)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
