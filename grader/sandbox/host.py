"""Whether this machine can run the grader's sandbox, which is made of Linux's parts
(process groups and namespaces, resource limits, /proc, seccomp, Landlock). `grade`
refuses, in one line, to run student code anywhere else; the student kit, which runs
everywhere, uses portable.py instead."""
from __future__ import annotations

import importlib.util
import os
import sys

SYSTEMS = {"darwin": "macOS", "win32": "Windows", "cygwin": "Cygwin"}
WAYS = ("grade on a Linux machine, in WSL on Windows, in a Linux container (Docker, "
        "Podman) or on Gradescope; students check their work with the student kit "
        "(grade kit), which runs on Windows, macOS and Linux")


class NotLinux(RuntimeError):
    """The grader's sandbox cannot run here: student code is never run unconfined."""


def missing() -> str:
    """What this machine lacks for the grader's sandbox, in a few words; "" on Linux."""
    if not sys.platform.startswith("linux"):
        return f"this is {SYSTEMS.get(sys.platform, sys.platform)}"
    lacking = [f"os.{name}" for name in ("fork", "killpg", "setsid", "geteuid")
               if not hasattr(os, name)]
    lacking += [name for name in ("resource", "fcntl") if importlib.util.find_spec(name) is None]
    if lacking:
        return f"this Python has no {', '.join(lacking)}"
    if not os.path.isdir("/proc/self"):
        return "this system has no /proc"
    return ""


def refusal() -> str:
    """One line saying why `grade` will not run student code here, and where it can; ""
    where it can."""
    why = missing()
    return f"grading runs student code in a Linux sandbox, and {why}: {WAYS}." if why else ""


def require_linux() -> None:
    if missing():
        raise NotLinux(refusal())
