"""Run a command as the child of this process, made a child subreaper: whatever the command
leaves running when it exits is reparented here, so it can be counted. Usage:

    python tests/subreaper.py REPORT COMMAND...

writes to REPORT (JSON) the command's exit status and the processes it left running
(pid -> command line, at the moment it exited), then ends them and exits with its status.
The terminal's Ctrl-C reaches the command, not this process.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def left_running() -> dict[str, str]:
    """This process's children that run (orphans of the command among them): zombies are
    dead, and not counted."""
    found, me = {}, str(os.getpid())
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if ppid == me and state not in ("Z", "X"):
            found[pid] = cmdline[:300]
    return found


def main() -> int:
    report, command = sys.argv[1], sys.argv[2:]
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    signal.signal(signal.SIGINT, lambda *_: None)  # a handler: exec resets it for the child
    pid = os.fork()
    if pid == 0:
        os.execv(command[0], command)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(report, "w") as fh:
        json.dump({"code": code, "left": left_running()}, fh)
    deadline = time.monotonic() + 10
    while left_running() and time.monotonic() < deadline:
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        time.sleep(0.05)
    for pid in left_running():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
    return code & 0xFF


if __name__ == "__main__":
    sys.exit(main())
