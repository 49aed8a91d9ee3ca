"""Runs inside the sandbox: imports one student module and makes the calls the grader asked for.

Started as a script (`python -I child.py REQUESTS_FD RESPONSES_FD`, or `python -I child.py
stdio` by the student kit's launcher on any OS), it never imports the grader package, the
reference or the rubric. It reports plain data only (see wire.py) and leaves every judgement
to the trusted process. It imports nothing at the top that Windows' CPython lacks.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np

MAX_STR = 10_000
MAX_DEPTH = 20


def _load(name: str) -> Any:
    """A sibling module (or package) loaded by path: the grader package itself is never
    imported here."""
    path = Path(__file__).with_name(name)
    if path.is_dir():  # a package: its modules import each other relatively
        spec = importlib.util.spec_from_file_location(
            f"_grader_{name}", path / "__init__.py", submodule_search_locations=[str(path)])
    else:
        spec = importlib.util.spec_from_file_location(f"_grader_{name}", path.with_suffix(".py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


wire = _load("wire")
confine = _load("confine")
written = _load("written")
fresh = _load("fresh")


class OutputError(Exception):
    """A value that cannot be sent back as plain data."""


FRESH = "fresh interpreter per process"
FORKED = "forked from a pre-started interpreter"


def main(argv: list[str], started: str = FRESH) -> None:
    """Run `python -I child.py REQUESTS_FD RESPONSES_FD`, or be called by a zygote's fork
    (`started`). The grader writes the request to REQUESTS_FD: one frame before the import
    (what to run and the visible calls), and, if that one says `more`, a second with the
    hidden items' calls once every visible call has been answered: student code never
    holds a hidden item's inputs before they are called. A request that says `next` is
    followed, once the grader has heard "done", by the request of the submission's next
    module, or by the end of the pipe (see process.py, `run_together`)."""
    requests, fd = _channels(argv)
    request = wire.read_frame(requests)
    send = _sender(fd)
    layers = ["separate process", started, *_confine(request.get("confine") or {}, fd)]
    before = fresh.Fresh(request["root"], [*ENDING_SIGNALS, signal.SIGINT]) \
        if request.get("next") else None  # (the handlers _namespaces set, and Ctrl-C's)
    while True:
        send({"event": "confined", "layers": layers})
        _module(request, requests, send)
        if not request.get("next"):
            _finish(send)
        _flush()
        send({"event": "done"})
        try:
            request = wire.read_frame(requests)
        except EOFError:
            os._exit(0)
        before.restore()


def _module(request: dict[str, Any], requests: int, send: Any) -> None:
    """Import one module (or read answers.md) and make its calls."""
    root = request["root"]
    # answers.md imports nothing of the student's: a package of theirs must not stand in
    # for the parser
    if not request.get("written") and root not in sys.path:
        sys.path.insert(0, root)
    sys.argv = [os.path.join(root, request["module"] + ".py")]
    try:
        module = written.WrittenAnswers(root) if request.get("written") else \
            importlib.import_module(request["module"])
    except BaseException as exc:  # noqa: BLE001 - SystemExit and friends are student errors too
        send({"event": "imported", "ok": False, "error": _error(exc, root)})
        return
    torch = None if request.get("written") else _backend(module)
    _flush()  # what the import printed reaches the grader before the answers
    send({"event": "imported", "ok": True,
          "backend": "torch" if torch is not None else "numpy"})
    _run_calls(module, request["calls"], torch, root, send, last=not request.get("more"))
    if request.get("more"):
        _run_calls(module, wire.read_frame(requests)["calls"], torch, root, send, last=True)


def _run_calls(module: Any, calls: list[dict[str, Any]], torch: Any, root: str, send: Any,
               last: bool) -> None:
    for k, call in enumerate(calls):
        result = _run_call(module, call, torch, root)
        if k == len(calls) - 1 and not last:
            _flush()  # printed before the hidden calls: the grader shows nothing after them
        send(result)


def _channels(argv: list[str]) -> tuple[int, int]:
    """Where requests come from and answers go: the descriptors named, or with `stdio`
    (the kit's launcher, which hands no descriptor down by number: Windows cannot) stdin
    and stdout. Those move to descriptors of the harness's own, not inherited; student
    code gets an empty stdin, and stdout joins stderr, the output pipe, in UTF-8."""
    if argv[1:] != ["stdio"]:
        return int(argv[1]), int(argv[2])
    requests, answers = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    _windows_std(requests, answers)
    for stream in (sys.stdout, sys.stderr):  # Windows' would be its ANSI code page
        stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    return requests, answers


def _windows_std(requests: int, answers: int) -> None:
    """Windows: the channel's descriptors in binary mode (text mode would turn bytes of a
    frame into others); and, since what a process started by student code inherits are
    the standard handles, not descriptors 0 to 2, point those where 0 to 2 now go (never
    at the answers)."""
    if sys.platform != "win32":
        return
    import ctypes
    import msvcrt
    from ctypes import wintypes

    for fd in (requests, answers):
        msvcrt.setmode(fd, os.O_BINARY)
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.SetStdHandle.argtypes = (wintypes.DWORD, wintypes.HANDLE)
    for fd, which in ((0, -10), (1, -11), (2, -12)):  # STD_INPUT/OUTPUT/ERROR_HANDLE
        kernel32.SetStdHandle(which & 0xFFFFFFFF, msvcrt.get_osfhandle(fd))


def _confine(conf: dict[str, Any], fd: int) -> list[str]:
    """Apply every layer the grader asked for and the machine allows; say which took."""
    confine.set_limits({})  # no core dumps, from the start
    if conf.get("preload_torch"):  # before Landlock hides /proc and /sys details torch probes
        try:
            import torch
        except ImportError:  # a student kit without torch: the module's own import says so
            pass
        else:
            torch.set_num_threads(1)
    if conf.get("seccomp", True):
        confine.prepare_seccomp()  # a zygote did already; a fresh interpreter does it here
    layers = ["time limits", "output cap", "data-only channel"]
    limits = conf.get("limits") or {}
    if conf.get("namespaces"):
        layers += _namespaces(fd)
        layers += confine.private_ipc_and_files(
            (conf.get("write") or [""])[0], limits.get("disk_mb"), conf.get("uid"))
    shares = confine.autogroups()  # while /proc can still be read
    layers += confine.drop_user(conf.get("uid"), conf.get("gid"))
    layers += confine.set_limits(limits)  # after the drop: NPROC counts that user
    if conf.get("landlock"):
        layers += confine.landlock(list(conf.get("read") or []), list(conf.get("write") or []))
    if conf.get("seccomp", True):
        layers += confine.seccomp()  # last: it forbids unshare and mount, used above
        if shares and "seccomp filter" in layers:
            layers.append("one CPU share (autogroup)")
    return layers


def _namespaces(fd: int) -> list[str]:
    """Be PID 1 of a PID namespace of our own, whose end takes with it every process the
    student started. A zygote (as root) forks us so; otherwise unshare here and fork
    once, this process then waiting outside to end as the worker ends."""
    if os.getpid() != 1:
        if not confine.enter_namespaces():
            return []
        worker = os.fork()
        if worker:
            _mirror(worker, fd)
    confine.die_with_parent()
    _signals_as_for_any_process(fd)
    return [*(["network namespace"] if confine.NETWORK_ISOLATED else []), "pid namespace"]


# Signals that end a process by default and that a process may send itself. The faults
# (SIGSEGV, SIGBUS, SIGFPE, SIGILL) keep their default: a real fault still ends PID 1 (the
# kernel forces it), while one the student only sends itself with os.kill is ignored, as
# a handler for it would turn every real fault into an endless loop.
ENDING_SIGNALS = [getattr(signal, name) for name in (
    "SIGHUP", "SIGQUIT", "SIGABRT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTERM", "SIGVTALRM",
    "SIGPROF", "SIGIO", "SIGPWR", "SIGSTKFLT") if hasattr(signal, name)]


def _signals_as_for_any_process(fd: int) -> None:
    """PID 1 ignores a signal it has no handler for when it comes from inside its namespace,
    so a student's `os.kill(os.getpid(), signal.SIGTERM)` would do nothing. These handlers
    end the worker as the signal would, and tell the grader which signal it was."""
    send = _sender(fd)

    def end(sig: int, _frame: Any) -> None:
        if os.getpid() != 1:  # a process the student forked: the default, as usual
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
            return
        send({"event": "signal", "signal": sig})
        os._exit(128 + sig)

    for sig in ENDING_SIGNALS:
        signal.signal(sig, end)


def _mirror(pid: int, fd: int) -> None:
    """Wait for the worker and end the same way: its exit code, or its signal."""
    os.close(fd)  # only the worker speaks; its end must close the channel
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):  # SIGKILL and SIGSTOP keep their default anyway
            pass
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)


def _sender(fd: int) -> Any:
    def send(message: dict[str, Any]) -> None:
        data = wire.encode(message)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    return send


def _finish(send: Any) -> None:
    try:
        _flush()  # all output is in the pipe before the grader hears "done" and stops reading
        send({"event": "done"})
    finally:
        os._exit(0)  # no atexit handlers or lingering threads of the student's


def _flush() -> None:
    for stream in (sys.__stdout__, sys.__stderr__, sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - a stream the student replaced or closed
            pass


def _backend(module: Any) -> Any:
    """The torch module when the student asked for tensors (BACKEND = "torch"), else None."""
    backend = getattr(module, "BACKEND", "numpy")
    if not (isinstance(backend, str) and backend.strip().lower() == "torch"):
        return None
    import torch

    torch.set_num_threads(1)
    return torch


def _run_call(module: Any, call: dict[str, Any], torch: Any, root: str) -> dict[str, Any]:
    result: dict[str, Any] = {"event": "result", "call": call["id"]}
    spec = call.get("spec")
    try:
        target = getattr(module, call["attr"]) if spec is None else None
    except AttributeError:
        result.update(status="missing")
        return result
    args = [_to_student(a, torch) for a in call.get("args", [])]
    phase = "call"
    try:
        if spec is not None:  # a written answer: made into a function here, under the limits
            target = module.function(spec)
        value = target(*args) if call["kind"] == "call" else target
        phase = "output"
        result["value"] = _to_wire(value)
        if call.get("report_args"):
            result["args"] = [_to_wire(a) for a in args]
        result["status"] = "ok"
    except BaseException as exc:  # noqa: BLE001
        result["status"] = "raised" if phase == "call" else "bad_output"
        result["error"] = _error(exc, root)
    return result


def _to_student(arg: Any, torch: Any) -> Any:
    """A fresh, writable copy of an input; a float64 tensor for torch modules."""
    if isinstance(arg, np.ndarray):
        arr = np.array(arg, dtype=np.float64, copy=True)
        return torch.from_numpy(arr) if torch is not None else arr
    return arg


def _to_wire(value: Any, depth: int = 0) -> Any:
    """Plain data from whatever the student returned: scalars, strings, lists, arrays."""
    if depth > MAX_DEPTH:
        raise OutputError(f"the value is nested more than {MAX_DEPTH} levels deep")
    kind = type(value)
    if value is None or kind in (bool, float):
        return value
    if kind is int:
        if abs(value) > wire.FLOAT64_MAX:
            raise OutputError("a number too large for float64")
        return value
    if kind is str:
        return value[:MAX_STR]
    if isinstance(value, np.generic):
        if value.dtype.kind not in wire.NUMERIC_KINDS:
            raise OutputError(f"a numpy scalar of dtype {value.dtype}")
        return _numeric(np.asarray(value)).item()
    if isinstance(value, np.ndarray):
        return _numeric(np.array(value, copy=True, subok=False))
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().resolve_conj().resolve_neg()
        return _numeric(np.array(tensor.numpy(), copy=True))
    if kind in (list, tuple):
        return [_to_wire(v, depth + 1) for v in value]
    raise OutputError(f"a {kind.__name__} object, not a number, array, tensor or list")


def _numeric(arr: np.ndarray) -> np.ndarray:
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise OutputError("an array of Python objects that are not numbers") from None
    if arr.dtype.kind not in wire.NUMERIC_KINDS:
        raise OutputError(f"an array of dtype {arr.dtype}")
    if arr.dtype.itemsize > 8:  # long double: float64 or nothing
        with np.errstate(over="ignore"):
            wide, arr = arr, arr.astype(np.float64)
        if (np.isinf(arr) & np.isfinite(wide)).any():
            raise OutputError("a number too large for float64")
    return arr


def _error(exc: BaseException, root: str) -> dict[str, Any]:
    """The exception as data, with the traceback trimmed to the student's own files."""
    info: dict[str, Any] = {"type": type(exc).__name__, "message": _safe_str(exc)}
    if isinstance(exc, SyntaxError):
        info.update(lineno=exc.lineno, offset=exc.offset, text=(exc.text or "")[:500],
                    filename=_relative(exc.filename or "", root), message=str(exc.msg))
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if _relative(f.filename, root) is not None]
    info["traceback"] = [
        {"file": _relative(f.filename, root), "line": f.lineno, "function": f.name,
         "code": (f.line or "")[:300]}
        for f in frames[-20:]
    ]
    return info


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)[:2000]
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not take the harness down
        return "(the exception's message could not be read)"


def _relative(filename: str, root: str) -> str | None:
    """The file's path below `root` with "/" between parts, as on every OS; None when
    it is not below `root` (the harness, the standard library)."""
    try:
        path = os.path.realpath(filename)
        if not os.path.normcase(path).startswith(os.path.normcase(os.path.join(root, ""))):
            return None
        return os.path.relpath(path, root).replace(os.sep, "/")
    except (TypeError, ValueError):
        return None


if __name__ == "__main__":
    main(sys.argv)
