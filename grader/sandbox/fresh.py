"""What one module leaves behind in the sandbox child, undone before the submission's next
module runs in the same process (process.py, `run_together`), so that each module finds
what a child of its own would: the processes it started ended, the student's modules
forgotten (their helpers are imported
again, from the files), the working folder empty, and the process-wide settings a module
may change at import (numpy's error handling, print options and random state, warnings
filters, decimal's context, torch's default dtype and device, gradient, deterministic,
anomaly and denormal modes, print options and random state, the environment, signal
handlers, mask and timers, the recursion limit, the standard streams) as they were before
the first. A module that leaves a thread running ends the child instead (nothing ends a
thread): the grader gives the next module a fresh child.

Loaded by the harness (child.py) by path, like its other siblings: standard library and
numpy only. None of this is containment: the modules are one student's, and the
judgement is the grader's.
"""
from __future__ import annotations

import _thread
import gc
import importlib
import os
import random
import shutil
import signal
import sys
import threading
import time
import warnings
from typing import Any

import numpy as np

TORCH_DEFAULT_SEED = 67280421310721  # torch's CPU generator, as a fresh import seeds it
TIMERS = [getattr(signal, name) for name in (
    "ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF") if hasattr(signal, name)]  # not on Windows


class Fresh:
    """The state of the child before the first module: `restore` puts it back (of the
    signals' handlers, those of `signals`)."""

    def __init__(self, root: str, signals: list[int]):
        self.root = os.path.join(os.path.realpath(root), "")
        self.cwd = os.getcwd()
        self.path = list(sys.path)
        self.modules = set(sys.modules)
        self.environ = dict(os.environ)
        self.streams = (sys.stdout, sys.stderr, sys.stdin)
        self.recursion = sys.getrecursionlimit()
        self.numpy_errors = np.geterr()
        self.numpy_print = np.get_printoptions()
        self.mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        self.numpy_random = np.random.get_state()
        self.random = random.getstate()
        self.filters = list(warnings.filters)
        self.handlers = {sig: signal.getsignal(sig) for sig in signals}
        self.torch = _torch_state() if "torch" in sys.modules else None

    def restore(self) -> None:
        """Each step on its own: what a module broke beyond repair stays broken, for that
        student's next module only (the grader gives a module whose import then fails
        in this child a fresh child of its own)."""
        if threading.active_count() > 1 or getattr(_thread, "_count", lambda: 0)() > 0:
            os._exit(0)  # a thread of the module's, which nothing here ends: the grader
            # gives the next module a fresh child, as to one that follows a crash
        for step in (_end_others, self._modules, self._folder, self._process, self._libraries):
            try:
                step()
            except BaseException:  # noqa: BLE001 - e.g. a module that replaced np.random
                pass
        gc.collect()  # what the module held goes before the next one counts its memory

    def _modules(self) -> None:
        work = os.path.join(os.path.realpath(self.cwd), "")
        for name, module in list(sys.modules.items()):
            if name not in self.modules and any(  # the submission's, or written since
                    _under(where, self.root) or _under(where, work) for where in _places(module)):
                del sys.modules[name]
        sys.path[:] = self.path
        importlib.invalidate_caches()  # a folder's listing, read before the module wrote in it

    def _folder(self) -> None:
        os.chdir(self.cwd)
        _empty(self.cwd)

    def _process(self) -> None:
        os.environ.clear()
        os.environ.update(self.environ)
        sys.stdout, sys.stderr, sys.stdin = self.streams
        sys.setrecursionlimit(self.recursion)
        for timer in TIMERS:  # a timeout set and never cancelled: alone, it ends no other
            signal.setitimer(timer, 0)
        signal.pthread_sigmask(signal.SIG_SETMASK, self.mask)
        for sig, handler in self.handlers.items():
            if handler is not None:
                signal.signal(sig, handler)

    def _libraries(self) -> None:
        np.seterr(**self.numpy_errors)
        np.random.set_state(self.numpy_random)
        random.setstate(self.random)
        warnings.filters[:] = self.filters
        warnings.onceregistry.clear()  # and, the filters' version bumped, every module's
        getattr(warnings, "_filters_mutated", lambda: None)()  # registry: shown once again
        np.set_printoptions(**self.numpy_print)
        if "decimal" in sys.modules:
            sys.modules["decimal"].setcontext(sys.modules["decimal"].Context())
        if "torch" in sys.modules:
            _set_torch(self.torch)


def _end_others(within: float = 2.0) -> None:
    """As PID 1 of the child's namespace: end every process the module started (a
    child of its own ends with it so), and reap them. Elsewhere nothing: without the
    namespace, the grader ends them with the submission's child."""
    if os.getpid() != 1:
        return
    os.kill(-1, signal.SIGKILL)  # PID 1's kill(-1): every process of its namespace but it
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            time.sleep(0.001)


def _places(module: Any) -> list[Any]:
    """Where a module was read from: its file, or a package without __init__.py's folders
    (none for a library's lazy module that fails to say)."""
    try:
        return [getattr(module, "__file__", None), *list(getattr(module, "__path__", None) or ())]
    except Exception:  # noqa: BLE001
        return []


def _under(path: Any, root: str) -> bool:
    return isinstance(path, str) and os.path.realpath(path).startswith(root)


def _empty(folder: str) -> None:
    """What the module wrote in its working folder (a tmpfs of the child's own) goes."""
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _torch_state() -> tuple[Any, Any]:
    import torch

    return torch.get_default_dtype(), torch.get_rng_state()


def _set_torch(state: Any) -> None:
    """Torch as the first module found it, or, imported since, as a fresh import is."""
    import torch

    torch.set_grad_enabled(True)
    torch.set_num_threads(1)
    if state is None:
        torch.set_default_dtype(torch.float32)
        torch.manual_seed(TORCH_DEFAULT_SEED)
    else:
        torch.set_default_dtype(state[0])
        torch.set_rng_state(state[1])
    if torch.are_deterministic_algorithms_enabled() or \
            torch.is_deterministic_algorithms_warn_only_enabled():
        torch.use_deterministic_algorithms(False)  # (only then: it imports torch._dynamo, 0.5 s)
    if torch.is_anomaly_enabled():
        torch.autograd.set_detect_anomaly(False)
    torch.set_flush_denormal(False)  # (numpy's too: the CPU's flag)
    torch.set_printoptions(profile="default", sci_mode=None)
    torch.set_default_device(None)  # (torch 2.0 on)
