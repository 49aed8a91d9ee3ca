"""What a simulated Windows or macOS does with processes (tests/simulated_platform.py
applies it): subprocess's Windows behaviour, Windows' exit codes in place of signals, and
multiprocessing's start methods, its own modules seeing the whole system.

Standard library only: it runs before anything else in the interpreter.
"""
from __future__ import annotations

import functools
import os
import sys
from typing import Any, Callable


def internal(module: Any) -> bool:
    """Whether a module stands for CPython's own Windows code: subprocess's and
    multiprocessing's POSIX internals, which use pipes and waits where Windows' use
    threads and handles."""
    return isinstance(module, str) and (module == "subprocess"
                                        or module.partition(".")[0] == "multiprocessing")


INSIDE: list[str] = []  # multiprocessing modules being executed (see Internals)


class Internals:
    """The first finder of sys.meta_path: multiprocessing's modules are executed seeing
    the whole os and signal and every module (they stand for its Windows code), and its
    start methods are the system's (spawn, the default; on Windows, the only one)."""

    def __init__(self, windows: bool, whole: dict[str, Any]):
        self.windows, self.whole = windows, whole

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if not internal(name) or name == "subprocess":
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if finder is not self and find else None
            if spec is not None:
                spec.loader = _WholeSystemLoader(spec.loader, self)
                return spec
        return None

    def executed(self, module: Any) -> None:
        if module.__name__ != "multiprocessing.context":
            return
        contexts = module._concrete_contexts
        if self.windows:
            for method in ("fork", "forkserver"):
                contexts.pop(method, None)
            module.DefaultContext.get_all_start_methods = lambda self: ["spawn"]
        else:
            module.DefaultContext.get_all_start_methods = lambda self: [
                "spawn", "fork", *(["forkserver"] if "forkserver" in contexts else [])]
        module._default_context = module.DefaultContext(contexts["spawn"])


class _WholeSystemLoader:
    def __init__(self, loader: Any, internals: Internals):
        self.loader, self.internals = loader, internals

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        saved = {name: sys.modules[name] for name in self.internals.whole}
        sys.modules.update(self.internals.whole)
        INSIDE.append(module.__name__)
        try:
            self.loader.exec_module(module)
        finally:
            INSIDE.pop()
            sys.modules.update(saved)
        self.internals.executed(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)


def windows_popen(subprocess: Any, real_kill: Callable[..., Any], kill_signal: int) -> None:
    init = subprocess.Popen.__init__

    @functools.wraps(init)
    def windows_init(self: Any, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("preexec_fn") is not None:
            raise ValueError("preexec_fn is not supported on Windows platforms")
        if kwargs.get("pass_fds"):
            raise AssertionError("pass_fds not supported on Windows.")
        for ignored in ("start_new_session", "process_group", "restore_signals"):
            kwargs.pop(ignored, None)
        init(self, *args, **kwargs)

    def terminate(self: Any) -> None:  # TerminateProcess
        if self.returncode is None:
            try:
                real_kill(self.pid, kill_signal)
            except ProcessLookupError:
                pass

    def send_signal(self: Any, sig: int) -> None:
        if sig != subprocess.signal.SIGTERM:
            raise ValueError(f"Unsupported signal: {sig}")
        terminate(self)

    subprocess.Popen.__init__ = windows_init
    subprocess.Popen.terminate = subprocess.Popen.kill = terminate
    subprocess.Popen.send_signal = send_signal


def terminate(real_kill: Callable[..., Any], kill_signal: int, pid: int, sig: int) -> None:
    """os.kill on Windows: TerminateProcess(pid, sig); the process exits with code `sig`
    (another process than this one: ended by SIGKILL here, read as code 1)."""
    if pid == os.getpid():
        os._exit(sig)
    real_kill(pid, kill_signal)


# What a Windows process that the signal would have ended exits with instead (see TABLE).
_WINDOWS_CODES = {"SIGSEGV": 0xC0000005, "SIGBUS": 0xC0000005, "SIGILL": 0xC000001D,
                  "SIGFPE": 0xC0000094, "SIGABRT": 3}


def windows_exit_codes(subprocess: Any, signal: Any) -> None:
    """Popen.returncode as Windows gives it: an exit code, never a negative signal."""
    handle = subprocess.Popen._handle_exitstatus
    codes = {getattr(signal, name): code for name, code in _WINDOWS_CODES.items()}

    @functools.wraps(handle)
    def windows_status(self: Any, *args: Any, **kwargs: Any) -> None:
        handle(self, *args, **kwargs)
        if self.returncode is not None and self.returncode < 0:
            self.returncode = codes.get(-self.returncode, 1)

    subprocess.Popen._handle_exitstatus = windows_status
