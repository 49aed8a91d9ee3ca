"""A simulated Windows, or macOS, inside a Linux interpreter: the student kit's tests run
check.py in it to prove that the kit needs nothing these systems lack.

How it is installed (tests/platforms.py): a venv gets this file in its site-packages and a
`.pth` file whose one line is `import simulated_platform; simulated_platform.apply(...)`.
site.py runs such lines at every start of that interpreter, `python -I` included (-I
only drops the user's site-packages and the PYTHON* variables; tests/platforms.py checks
that a `-I` child is simulated too); only -S would skip them, and nothing the kit starts
uses -S. So every process the kit starts with `sys.executable` is simulated as well.

What is taken away is TABLE below (what concerns processes is done by
simulated_processes.py, installed beside this file): each row names what CPython on that system lacks and
why, from the availability notes of the Python documentation (docs.python.org/3/library/
<module>.html), so that the next person can extend it. What cannot be simulated here:
Windows' paths (drive letters, backslashes, case-insensitive names), its job objects and
console, and macOS's kqueue; the kit's code for those is exercised by unit tests with
fakes (tests/test_kit_platforms.py) and reviewed by hand.

Standard library only: it runs before anything else in the interpreter.
"""
from __future__ import annotations

import builtins
import errno
import functools
import io
import os
import stat
import sys
from dataclasses import dataclass
from typing import Any, Callable

import simulated_processes as processes

WINDOWS, MACOS = "windows", "macos"
BOTH = (WINDOWS, MACOS)


@dataclass(frozen=True)
class Absent:
    """What a system lacks: `kind` says how it is taken away (module: cannot be imported;
    attr: a name deleted from `where`; patch: a behaviour replaced, see apply())."""

    kind: str
    where: str
    names: tuple[str, ...]
    systems: tuple[str, ...]
    why: str
    before: tuple[int, int] = (99, 0)  # absent on Python versions before this one only


TABLE: tuple[Absent, ...] = (
    Absent("module", "", ("fcntl", "resource", "termios", "tty", "pty", "pwd", "grp", "syslog",
                          "_posixshmem", "posix_ipc"), (WINDOWS,),
           "library/fcntl.html, resource.html, termios.html, tty.html, pty.html, pwd.html, "
           "grp.html, syslog.html: 'Availability: Unix'"),
    Absent("module", "", ("curses", "_curses", "readline"), (WINDOWS,),
           "library/curses.html: 'The Windows version of Python doesn't include the curses "
           "module'; readline.html: GNU readline is not shipped on Windows"),
    Absent("module", "", ("pyseccomp",), BOTH,
           "libseccomp is Linux's (seccomp(2)); the kit must not need it"),
    Absent("attr", "os", (
        "fork", "forkpty", "register_at_fork", "killpg", "setsid", "getsid", "setpgid",
        "getpgid", "setpgrp", "getpgrp", "wait3", "wait4", "waitid", "P_PID", "P_PGID",
        "P_ALL", "WNOHANG", "WNOWAIT", "WEXITED", "WUNTRACED", "WCONTINUED", "WSTOPPED",
        "WIFEXITED", "WEXITSTATUS", "WIFSIGNALED", "WTERMSIG", "WIFSTOPPED", "WSTOPSIG",
        "WCOREDUMP", "WIFCONTINUED", "nice", "getpriority", "setpriority", "sched_yield",
        "getloadavg", "pidfd_open", "P_PIDFD"), (WINDOWS,),
           "library/os.html, Process Management: fork, killpg, setsid, setpgid, getpgid, "
           "wait3, wait4, waitid, the W* macros, nice, getloadavg: 'Availability: Unix'; "
           "pidfd_open: 'Availability: Linux >= 5.3'"),
    Absent("attr", "os", (
        "getuid", "geteuid", "getgid", "getegid", "getgroups", "setuid", "seteuid", "setgid",
        "setegid", "setreuid", "setregid", "setresuid", "setresgid", "getresuid", "getresgid",
        "setgroups", "initgroups", "getgrouplist", "chown", "fchown", "lchown"), (WINDOWS,),
           "library/os.html, Process Parameters and Files: the user and group ids and "
           "chown: 'Availability: Unix'"),
    Absent("attr", "os", (
        "O_NOFOLLOW", "O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "O_DIRECTORY", "O_NDELAY",
        "O_SYNC", "O_DSYNC", "O_RSYNC", "O_ASYNC", "O_DIRECT", "O_PATH", "O_TMPFILE",
        "O_NOATIME", "O_LARGEFILE", "O_FSYNC"), (WINDOWS,),
           "library/os.html, open flag constants: O_DSYNC, O_RSYNC, O_SYNC, O_NDELAY, "
           "O_NONBLOCK, O_NOCTTY, O_CLOEXEC: 'The above constants are only available on "
           "Unix'; O_NOFOLLOW, O_DIRECTORY, O_ASYNC, O_DIRECT, O_PATH, ...: extensions of "
           "the C library, which Windows' does not have"),
    Absent("attr", "os", (
        "ttyname", "ctermid", "openpty", "mkfifo", "mknod", "major", "minor",
        "makedev", "statvfs", "fstatvfs", "sync", "fdatasync", "pread", "pwrite", "preadv",
        "pwritev", "sendfile", "posix_spawn", "posix_spawnp", "memfd_create", "eventfd",
        "pipe2", "sched_getaffinity", "sched_setaffinity", "lockf", "posix_fallocate",
        "posix_fadvise", "getxattr", "setxattr", "listxattr", "removexattr", "getrandom",
        "pathconf", "fpathconf", "sysconf", "confstr", "fchdir", "chroot", "lchmod"),
           (WINDOWS,), "library/os.html: each 'Availability: Unix' (or Linux). Not uname: "
           "it is Unix's too, but sys.platform stays 'linux' here, and numpy's Linux code "
           "calls it"),
    Absent("attr", "time", ("clock_gettime", "clock_gettime_ns", "clock_settime",
                            "clock_settime_ns", "clock_getres", "pthread_getcpuclockid",
                            "tzset", "CLOCK_REALTIME", "CLOCK_MONOTONIC",
                            "CLOCK_MONOTONIC_RAW", "CLOCK_PROCESS_CPUTIME_ID",
                            "CLOCK_THREAD_CPUTIME_ID", "CLOCK_BOOTTIME", "CLOCK_TAI"),
           (WINDOWS,),
           "library/time.html: clock_gettime, clock_settime, clock_getres, the CLOCK_* "
           "constants, pthread_getcpuclockid, tzset: 'Availability: Unix'"),
    Absent("attr", "os", ("wait", "EX_OK", "EX_USAGE", "EX_SOFTWARE", "EX_OSERR",
                          "EX_TEMPFAIL", "sched_get_priority_min", "sched_get_priority_max",
                          "sched_getscheduler", "sched_setscheduler", "sched_getparam",
                          "sched_setparam", "sched_rr_get_interval", "sched_param",
                          "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "readv", "writev"),
           (WINDOWS,), "library/os.html: wait, the EX_* exit codes, the sched_* functions, "
           "readv, writev: 'Availability: Unix'"),
    Absent("attr", "os", ("fchmod",), (WINDOWS,),
           "library/os.html, fchmod: 'Changed in version 3.13: Added support on Windows'",
           before=(3, 13)),
    Absent("attr", "os", ("set_blocking", "get_blocking"), (WINDOWS,),
           "library/os.html: 'Changed in version 3.12: Added support for pipes on Windows' "
           "(before 3.12: 'Availability: Unix')", before=(3, 12)),
    Absent("attr", "signal", (
        "SIGKILL", "SIGALRM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGCHLD",
        "SIGCLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGVTALRM",
        "SIGPROF", "SIGIO", "SIGPOLL", "SIGPWR", "SIGSTKFLT", "SIGBUS", "SIGTRAP", "SIGSYS",
        "SIGXCPU", "SIGXFSZ", "SIGWINCH", "SIGURG", "SIGIOT", "SIGRTMIN", "SIGRTMAX",
        "alarm", "pause", "setitimer", "getitimer", "ITIMER_REAL", "ITIMER_VIRTUAL",
        "ITIMER_PROF", "siginterrupt", "sigpending", "sigwait", "sigwaitinfo",
        "sigtimedwait", "pthread_kill", "pthread_sigmask", "SIG_BLOCK", "SIG_UNBLOCK",
        "SIG_SETMASK", "pidfd_send_signal"), (WINDOWS,),
           "library/signal.html: 'On Windows, signal() can only be called with SIGABRT, "
           "SIGFPE, SIGILL, SIGINT, SIGSEGV, SIGTERM, or SIGBREAK'; SIGKILL, SIGALRM, ... "
           "and alarm, setitimer, pause, pthread_kill, ...: 'Availability: Unix'"),
    Absent("patch", "signal", ("signal",), (WINDOWS,),
           "library/signal.html: signal() with any other signal raises ValueError"),
    Absent("patch", "os", ("kill",), (WINDOWS,),
           "library/os.html, kill: 'Windows: ... any other value for sig will cause the "
           "process to be unconditionally killed by the TerminateProcess API'"),
    Absent("patch", "subprocess", ("pass_fds", "preexec_fn", "start_new_session",
                                   "process_group", "send_signal", "kill", "terminate"),
           (WINDOWS,),
           "library/subprocess.html: pass_fds, preexec_fn, start_new_session, process_group "
           "'(POSIX only)' (pass_fds fails, preexec_fn raises ValueError, the others are "
           "ignored); Popen.send_signal: 'On Windows, SIGTERM is an alias for terminate(). "
           "CTRL_C_EVENT and CTRL_BREAK_EVENT can be sent ...'; kill() is terminate()"),
    Absent("patch", "subprocess", ("returncode",), (WINDOWS,),
           "library/subprocess.html, Popen.returncode: 'A negative value -N indicates "
           "that the child was terminated by signal N (POSIX only)'. On Windows a process "
           "that crashes exits with its NTSTATUS (0xC0000005 access violation, 0xC00000FD "
           "stack overflow, 0xC000001D illegal instruction, 0xC0000094 division by zero); "
           "library/os.html, abort(): 'on Windows, the process immediately returns an exit "
           "code of 3'; kill(): TerminateProcess(pid, sig), exit code sig; Popen.kill() and "
           "a job's end: 1"),
    Absent("patch", "multiprocessing", ("fork", "forkserver"), (WINDOWS,),
           "library/multiprocessing.html, Contexts and start methods: 'spawn: ... "
           "Available on POSIX and Windows platforms. The default on Windows and macOS'; "
           "fork and forkserver: 'Available on POSIX systems'. Its own internals take "
           "Windows' path there (_winapi), so here its POSIX modules keep what the "
           "simulation takes from student code (os.WNOHANG, _posixshmem, select on pipes)"),
    Absent("patch", "multiprocessing", ("fork",), (MACOS,),
           "library/multiprocessing.html: 'Changed in version 3.8: On macOS, the spawn "
           "start method is now the default. The fork start method should be considered "
           "unsafe'"),
    Absent("attr", "select", ("poll", "epoll", "devpoll", "kqueue"), (WINDOWS,),
           "library/select.html: poll 'not supported by all operating systems', epoll "
           "'Availability: Linux', kqueue 'Availability: BSD': selectors then uses select()"),
    Absent("patch", "select", ("select",), (WINDOWS,),
           "library/select.html, select(): 'File objects on Windows are not acceptable, "
           "but sockets are. On Windows, the underlying select() function is provided by "
           "the WinSock library, and does not handle file descriptors that don't "
           "originate from WinSock' (subprocess's own POSIX code keeps it: on Windows it "
           "uses threads instead)"),
    Absent("attr", "socket", ("AF_UNIX", "send_fds", "recv_fds", "SCM_RIGHTS"), (WINDOWS,),
           "library/socket.html: AF_UNIX, send_fds, recv_fds: 'Availability: Unix'"),
    Absent("patch", "ctypes", ("CDLL(None)",), (WINDOWS,),
           "library/ctypes.html, Loading shared libraries: a name of None opens the main "
           "program with dlopen(NULL), which is POSIX's; Windows' LoadLibrary needs a name"),
    Absent("patch", "", ("/proc", "/sys"), BOTH,
           "proc(5) and sysfs(5) are Linux's: the os module has no Windows or macOS "
           "equivalent of reading them"),
    Absent("patch", "sys", ("stdout", "stderr"), (WINDOWS,),
           "library/sys.html, stdout: 'On Windows, ... non-character devices such as "
           "disk files and pipes use the system locale encoding (i.e. the ANSI "
           "codepage)': cp1252, which has no σ, unless UTF-8 mode is on"),
    Absent("attr", "os", (
        "pidfd_open", "P_PIDFD", "waitid", "P_PID", "P_PGID", "P_ALL", "memfd_create",
        "eventfd", "eventfd_read", "eventfd_write", "pipe2", "sched_getaffinity",
        "sched_setaffinity", "getxattr", "setxattr", "listxattr", "removexattr",
        "posix_fallocate", "posix_fadvise", "getrandom", "splice", "copy_file_range",
        "unshare", "setns", "O_PATH", "O_TMPFILE", "O_DIRECT", "O_NOATIME", "O_LARGEFILE",
        "O_RSYNC"), (MACOS,),
           "library/os.html: pidfd_open, memfd_create, eventfd, sched_getaffinity, the "
           "xattr functions, splice, copy_file_range, unshare, setns: 'Availability: "
           "Linux'; waitid: not on macOS (CPython's posixmodule.c: HAVE_WAITID && "
           "!__APPLE__); pipe2, posix_fallocate, posix_fadvise: not in macOS's libc"),
    Absent("attr", "signal", ("SIGPWR", "SIGSTKFLT", "SIGRTMIN", "SIGRTMAX", "SIGPOLL",
                              "SIGCLD", "sigtimedwait", "sigwaitinfo", "pidfd_send_signal"),
           (MACOS,),
           "library/signal.html: sigtimedwait, sigwaitinfo: 'Availability: Unix' but not "
           "macOS; pidfd_send_signal: 'Availability: Linux >= 5.1'; macOS's signal.h has "
           "no SIGPWR, SIGSTKFLT or real-time signals"),
    Absent("attr", "resource", ("prlimit", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO",
                                "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_LOCKS"), (MACOS,),
           "library/resource.html: prlimit and these limits: 'Availability: Linux'"),
    Absent("attr", "select", ("epoll",), (MACOS,),
           "library/select.html, epoll: 'Availability: Linux' (macOS has kqueue)"),
    Absent("patch", "ctypes", ("prctl", "unshare", "setns", "mount", "umount2", "capset",
                               "syscall"), (MACOS,),
           "CDLL(None) works on macOS, but its libc has no prctl(2), unshare(2), setns(2), "
           "capset(2) or Linux's mount(2); its syscall(2) takes macOS's numbers, not "
           "Linux's (Landlock's 444-446 would be other calls): taken as absent"),
)

_APPLIED: list[str] = []


def absent(system: str, kind: str, where: str = "") -> set[str]:
    """The names of one kind (and place) that `system` lacks on this Python."""
    return {name for row in TABLE if system in row.systems and row.kind == kind
            and row.where == where and sys.version_info[:2] < row.before for name in row.names}


def apply(system: str) -> None:
    """Make this interpreter lack what `system` lacks (once per process)."""
    if _APPLIED:
        return
    _APPLIED.append(system)
    import ctypes
    import select
    import signal
    real_kill, kill_signal = os.kill, signal.SIGKILL
    if system == WINDOWS:
        select.select = _SocketsOnly(select.select)  # before selectors binds it
    _delete("select", absent(system, "attr", "select"))
    import selectors  # noqa: F401 - bound now, to what is left of select (socket imports it)
    import socket  # noqa: F401 - its names go below
    import subprocess  # binds os's wait macros as it is imported: they stay its own
    subprocess.os, subprocess.signal = _copy(os), _copy(signal)
    for where in ("os", "signal", "socket", "resource", "time"):
        _delete(where, absent(system, "attr", where))
    _block_modules(absent(system, "module"))
    sys.meta_path.insert(0, processes.Internals(system == WINDOWS, {
        "os": subprocess.os, "signal": subprocess.signal}))
    _hide_paths(("/proc", "/sys"))
    if system == WINDOWS:
        _windows_signals(signal)
        os.kill = functools.wraps(real_kill)(functools.partial(processes.terminate,
                                                               real_kill, kill_signal))
        processes.windows_popen(subprocess, real_kill, kill_signal)
        processes.windows_exit_codes(subprocess, subprocess.signal)  # the names taken away above
        _no_main_program(ctypes)
        _ansi_code_page()
    else:
        _without_symbols(ctypes, absent(system, "patch", "ctypes"))


def _copy(module: Any) -> Any:
    """A module object holding what `module` holds now (before names are taken away)."""
    import types

    copy = types.ModuleType(module.__name__)
    copy.__dict__.update(vars(module))
    return copy


def _delete(where: str, names: set[str]) -> None:
    module = sys.modules.get(where) or __import__(where)
    for name in names:
        if hasattr(module, name):
            delattr(module, name)


class _Blocked:
    """Wraps a finder of sys.meta_path: modules the system lacks are not found."""

    def __init__(self, finder: Any, names: set[str]):
        self.finder, self.names = finder, names

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name.partition(".")[0] in self.names and not processes.INSIDE:
            return None
        find = getattr(self.finder, "find_spec", None)
        return find(name, path, target) if find is not None else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.finder, name)


def _block_modules(names: set[str]) -> None:
    for name in list(sys.modules):
        if name.partition(".")[0] in names:
            del sys.modules[name]
    sys.meta_path[:] = [_Blocked(f, names) for f in sys.meta_path]


def _hide_paths(prefixes: tuple[str, ...]) -> None:
    """Paths under /proc and /sys do not exist, for every way Python code opens, lists or
    looks at a file (the import system uses posix directly, unaffected)."""

    def hidden(path: Any) -> bool:
        if isinstance(path, int):
            return False
        try:
            text = os.fsdecode(os.fspath(path))
        except TypeError:
            return False
        full = os.path.normpath(os.path.join(os.getcwd(), text))
        return any(full == p or full.startswith(p + "/") for p in prefixes)

    builtins.open = io.open = _Guarded(io.open, hidden)
    for name in ("open", "stat", "lstat", "listdir", "scandir", "access", "readlink",
                 "chdir", "statvfs"):
        if hasattr(os, name):
            setattr(os, name, _Guarded(getattr(os, name), hidden))


class _Guarded:
    """`fn`, but for paths that `hidden` says do not exist. An object, not a function, so
    that a class that holds it (pathlib's accessor in 3.10: `stat = os.stat`) does not
    bind it as a method."""

    def __init__(self, fn: Callable[..., Any], hidden: Callable[[Any], bool]):
        functools.update_wrapper(self, fn)
        self.fn, self.hidden = fn, hidden

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        path = args[0] if args else kwargs.get("file", kwargs.get("path", "."))
        if self.hidden(path):
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        return self.fn(*args, **kwargs)


class _SocketsOnly:
    """select.select() that, like WinSock's, takes sockets only (an object, not a
    function, so that selectors' `_select = select.select` does not bind it)."""

    def __init__(self, real: Callable[..., Any]):
        self.real = real

    def __call__(self, r: Any, w: Any, x: Any, *timeout: Any) -> Any:
        caller = sys._getframe(1).f_back  # selectors' select(), and who called it
        if caller is None or not processes.internal(caller.f_globals.get("__name__")):
            for obj in (*r, *w, *x):
                fd = obj if isinstance(obj, int) else obj.fileno()
                if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                    raise OSError(10038, "An operation was attempted on something that is "
                                         "not a socket")
        return self.real(r, w, x, *timeout)


_WINDOWS_SIGNALS = ("SIGABRT", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM")


def _windows_signals(signal: Any) -> None:
    allowed = {getattr(signal, n) for n in _WINDOWS_SIGNALS}
    real = signal.signal

    @functools.wraps(real)
    def only_windows(sig: int, handler: Any) -> Any:
        if sig not in allowed:
            raise ValueError("invalid signal value")
        return real(sig, handler)

    signal.signal = only_windows


def _no_main_program(ctypes: Any) -> None:
    init = ctypes.CDLL.__init__

    @functools.wraps(init)
    def load(self: Any, name: Any, *args: Any, **kwargs: Any) -> None:
        if name is None:
            raise TypeError("LoadLibrary() argument 1 must be str, not None")
        init(self, name, *args, **kwargs)

    ctypes.CDLL.__init__ = load


def _without_symbols(ctypes: Any, names: set[str]) -> None:
    """The main program's symbols, but for those macOS's libc does not have."""
    getattr_, getitem = ctypes.CDLL.__getattr__, ctypes.CDLL.__getitem__

    def missing(self: Any, name: Any) -> bool:
        return self._name is None and name in names

    def attr(self: Any, name: str) -> Any:
        if missing(self, name):
            raise AttributeError(f"dlsym(RTLD_DEFAULT, {name}): symbol not found")
        return getattr_(self, name)

    def item(self: Any, name: Any) -> Any:
        if missing(self, name):
            raise AttributeError(f"dlsym(RTLD_DEFAULT, {name}): symbol not found")
        return getitem(self, name)

    ctypes.CDLL.__getattr__, ctypes.CDLL.__getitem__ = attr, item


def _ansi_code_page() -> None:
    """Pipes and files get Windows' ANSI code page, as a console does not."""
    asked = "utf8" in sys._xoptions or (not sys.flags.ignore_environment and (
        os.environ.get("PYTHONUTF8") == "1" or os.environ.get("PYTHONIOENCODING")))
    if asked:  # not the C locale's UTF-8 mode, which Windows does not have
        return
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not stream.isatty():
            stream.reconfigure(encoding="cp1252")
