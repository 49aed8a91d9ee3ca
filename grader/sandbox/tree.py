"""A child process and everything it starts, ended as one on every desktop OS: the student
kit's children (portable.py) on Windows, macOS and Linux.

- POSIX (Linux, macOS): the child leads a session of its own; its process group is killed
  while the child is still unreaped, when its id cannot be anyone else's.
- Windows: the child joins a job object before it is sent anything to run; the job is
  terminated, and closing it (also when the kit itself dies) kills what is left. Where no
  job can be made, `taskkill /T /F` ends the tree by its parent links. The job also holds
  each process to the rubric's memory (Windows has no resource limits): an allocation
  past it fails with MemoryError, as under Linux's RLIMIT_DATA.
- Neither (a POSIX without process groups): the child alone.

Chosen at run time by what the system has; nothing here is imported at the top that
Windows' CPython lacks (ctypes' Windows parts are looked up only on Windows).
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from typing import Any, Optional

JOB_OBJECT_LIMIT_ACTIVE_PROCESS = 0x8
JOB_OBJECT_LIMIT_PROCESS_MEMORY = 0x100
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9  # JOBOBJECTINFOCLASS
CREATE_NEW_PROCESS_GROUP = 0x200  # Ctrl-C in the console stays the kit's, as on POSIX
CREATE_NO_WINDOW = 0x08000000  # taskkill's own console, not shown


def popen_options() -> dict[str, Any]:
    """What subprocess.Popen needs so that the child's tree can be ended as one."""
    if sys.platform == "win32":
        return {"creationflags": CREATE_NEW_PROCESS_GROUP}
    if hasattr(os, "setsid"):
        return {"start_new_session": True}
    return {}


class Tree:
    """The child alone: where there is neither a process group nor a job object."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc

    def ended(self) -> bool:
        """Whether the child has ended, without giving its id away (it stays unreaped)."""
        return self.proc.poll() is not None

    def kill(self) -> None:
        self.proc.kill()

    def close(self) -> None:
        """Let go of what holds the tree (after `kill`)."""

    def stop(self, grace: float) -> Optional[int]:
        """Give the child `grace` seconds to end on its own, then end its whole tree;
        its exit code (negative for a POSIX signal)."""
        end = time.monotonic() + grace
        while not self.ended() and time.monotonic() < end:
            time.sleep(0.005)
        self.kill()
        code = self.proc.wait()
        self.close()
        return code


class GroupTree(Tree):
    """POSIX: the child's session, whose process group is killed before the child is
    reaped (reaping first could hand its id to another process)."""

    def ended(self) -> bool:
        if not hasattr(os, "waitid"):  # macOS: no look without reaping; kill at once
            return True
        try:
            return os.waitid(os.P_PID, self.proc.pid,
                             os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def kill(self) -> None:
        import signal

        if self.proc.returncode is None:  # not reaped: the group is still the child's
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class JobTree(Tree):
    """Windows: a job object holding the child and all it starts (the Popen's handle keeps
    the child's id from being reused until it is closed)."""

    def __init__(self, proc: subprocess.Popen, processes: int, kernel32: Any = None,
                 memory_mb: Optional[int] = None):
        super().__init__(proc)
        self.kernel32 = kernel32 or _kernel32()
        self.job = self.kernel32.CreateJobObjectW(None, None)
        if not self.job:
            raise OSError("CreateJobObjectW failed")
        info = _limits(processes, memory_mb)
        import ctypes

        if not self.kernel32.SetInformationJobObject(
                self.job, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION, ctypes.byref(info),
                ctypes.sizeof(info)) or \
                not self.kernel32.AssignProcessToJobObject(self.job, int(proc._handle)):
            self.kernel32.CloseHandle(self.job)
            raise OSError("the child could not join a job object")

    def kill(self) -> None:
        self.kernel32.TerminateJobObject(self.job, 1)

    def close(self) -> None:
        if self.job:
            self.kernel32.CloseHandle(self.job)  # KILL_ON_JOB_CLOSE: nothing outlives it
            self.job = None


class TaskkillTree(Tree):
    """Windows without a job object: taskkill follows the parent links from the child."""

    def kill(self) -> None:
        if self.proc.poll() is None:
            subprocess.run(["taskkill", "/T", "/F", "/PID", str(self.proc.pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           creationflags=CREATE_NO_WINDOW, timeout=30, check=False)
        self.proc.kill()


class Running:
    """The trees of the children running now, so that all of them end at once when the
    student stops the kit (Ctrl-C), and none starts after: a child left behind would
    spin on in its own session (POSIX) until its CPU limit."""

    def __init__(self) -> None:
        self.lock = threading.RLock()  # the main thread's signal handler may take it
        self.trees: set[Tree] = set()
        self.stopped = False

    def add(self, children: Tree) -> None:
        """Count `children` in; once stopped, end them and raise KeyboardInterrupt."""
        with self.lock:
            if not self.stopped:
                self.trees.add(children)
                return
        children.stop(0.0)
        raise KeyboardInterrupt

    def discard(self, children: Tree) -> None:
        """Count `children` out, before they are stopped and let go of (not while
        `stop_all` ends them)."""
        with self.lock:
            self.trees.discard(children)

    def stop_all(self) -> None:
        with self.lock:
            self.stopped = True
            for children in self.trees:
                children.kill()  # their threads see the pipes close, and reap them


RUNNING = Running()


def adopt(proc: subprocess.Popen, processes: int, memory_mb: Optional[int] = None) -> Tree:
    """The tree of a child just started with `popen_options()`, before it runs anything
    it was sent; `processes` bounds a Windows job's processes, `memory_mb` what each of
    them may commit."""
    if sys.platform == "win32":
        try:
            return JobTree(proc, processes, memory_mb=memory_mb)
        except (OSError, AttributeError):
            return TaskkillTree(proc)
    if hasattr(os, "killpg"):
        return GroupTree(proc)
    return Tree(proc)


def _kernel32() -> Any:
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.CreateJobObjectW.argtypes = (wintypes.LPVOID, wintypes.LPCWSTR)
    kernel32.SetInformationJobObject.argtypes = (wintypes.HANDLE, ctypes.c_int,
                                                 wintypes.LPVOID, wintypes.DWORD)
    kernel32.AssignProcessToJobObject.argtypes = (wintypes.HANDLE, wintypes.HANDLE)
    kernel32.TerminateJobObject.argtypes = (wintypes.HANDLE, wintypes.UINT)
    kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
    return kernel32


def _limits(processes: int, memory_mb: Optional[int] = None) -> Any:
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION: the job's processes killed when its last
    handle closes, at most `processes` of them at a time, each committing at most
    `memory_mb` MiB."""
    import ctypes

    class Basic(ctypes.Structure):
        _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64),
                    ("PerJobUserTimeLimit", ctypes.c_int64), ("LimitFlags", ctypes.c_uint32),
                    ("MinimumWorkingSetSize", ctypes.c_size_t),
                    ("MaximumWorkingSetSize", ctypes.c_size_t),
                    ("ActiveProcessLimit", ctypes.c_uint32), ("Affinity", ctypes.c_size_t),
                    ("PriorityClass", ctypes.c_uint32), ("SchedulingClass", ctypes.c_uint32)]

    class Extended(ctypes.Structure):
        _fields_ = [("BasicLimitInformation", Basic), ("IoInfo", ctypes.c_uint64 * 6),
                    ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                    ("PeakProcessMemoryUsed", ctypes.c_size_t),
                    ("PeakJobMemoryUsed", ctypes.c_size_t)]

    info = Extended()
    info.BasicLimitInformation.LimitFlags = (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
                                             | JOB_OBJECT_LIMIT_ACTIVE_PROCESS)
    info.BasicLimitInformation.ActiveProcessLimit = processes
    if memory_mb:
        info.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_PROCESS_MEMORY
        info.ProcessMemoryLimit = memory_mb << 20
    return info
