"""The student kit's sandbox (grader/sandbox/portable.py, tree.py): the grader's sandbox's
behaviour, from a fresh interpreter spoken to over its stdin and stdout, with every time
limit the parent's and the child's whole process tree ended. This machine is Linux:
Windows' job object and standard handles are checked against fakes here, and
tests/test_kit_platforms.py runs the kit in a simulated Windows and macOS."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from grader.sandbox import Call, Limits, ModuleJob, portable, tree
from grader.sandbox.portable import PortableSandbox


def _job(tmp_path: Path, source: str, calls: list[Call], **limits) -> ModuleJob:
    (tmp_path / "mod.py").write_text(textwrap.dedent(source))
    return ModuleJob(tmp_path.resolve(), "mod", tuple(calls), Limits(**limits))


def _call(i: int, attr: str, *args, item: str | None = None, timeout: float = 5.0, **kw) -> Call:
    return Call(i, item or f"item{i}", attr, kw.pop("kind", "call"), args, timeout=timeout, **kw)


def _gone(pid: int, within: float = 5.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie of ours (pytest adopted nothing; init reaps the rest)
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z":
                return True
        except (OSError, IndexError):
            return True
        time.sleep(0.05)
    return False


def test_values_and_constants_come_back_as_plain_data(tmp_path):
    job = _job(tmp_path, """
        import numpy as np
        def arr(x): return x * 2
        def tup(): return (np.float32(1.5), [1, 2], "s", None, True)
        CONST = "increase"
        UNSET = None
    """, [_call(0, "arr", np.ones((2, 3))), _call(1, "tup"), _call(2, "CONST", kind="get"),
          _call(3, "UNSET", kind="get")])
    run = PortableSandbox().run(job)
    assert run.imported.status == "ok" and run.processes == 1
    assert "separate process" in run.layers and "pid namespace" not in run.layers
    assert (run.calls[0].value == 2).all() and run.calls[0].value.dtype == np.float64
    assert run.calls[1].value == [1.5, [1, 2], "s", None, True]
    assert run.calls[2].value == "increase"
    assert run.calls[3].status == "ok" and run.calls[3].value is None  # unset, not an error


def test_a_hanging_call_costs_only_its_item(tmp_path):
    job = _job(tmp_path, """
        def hang():
            while True:
                pass
        def ok(): return 1.0
    """, [_call(0, "hang", item="a", timeout=0.5), _call(1, "hang", item="a", timeout=0.5),
          _call(2, "ok", item="b")])
    start = time.monotonic()
    run = PortableSandbox().run(job)
    assert time.monotonic() - start < 8
    assert run.calls[0].status == "timeout" and "0.5 s" in run.calls[0].detail
    assert run.calls[1].status == "skipped"
    assert run.calls[2].status == "ok" and run.calls[2].value == 1.0
    assert run.processes == 2


@pytest.mark.parametrize("body, detail", [
    ("import os; os._exit(3)", "exited with code 3"),
    ("import ctypes; ctypes.string_at(0)", "signal 11 (SIGSEGV)"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", "signal 15 (SIGTERM)"),
])
def test_a_crashing_call_is_reported_with_its_exit(tmp_path, body, detail):
    job = _job(tmp_path, f"""
        def die():
            {body}
        def ok(): return 2.0
    """, [_call(0, "die"), _call(1, "ok")])
    run = PortableSandbox().run(job)
    assert run.calls[0].status == "crashed" and detail in run.calls[0].detail
    assert run.calls[1].value == 2.0


def test_errors_keep_the_students_frames_only(tmp_path):
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("def boom():\n    raise ValueError('x')\n")
    job = _job(tmp_path, "from helpers import boom\ndef f():\n    boom()\ndef g(:\n",
               [_call(0, "f")])
    run = PortableSandbox().run(job)
    assert run.imported.error.headline() == "SyntaxError at mod.py:4: invalid syntax"
    (tmp_path / "mod.py").write_text("from helpers import boom\ndef f():\n    boom()\n")
    run = PortableSandbox().run(job)
    assert [f.file for f in run.calls[0].error.traceback] == ["mod.py", "helpers/__init__.py"]


def test_a_hanging_or_exiting_import(tmp_path):
    run = PortableSandbox().run(_job(tmp_path, "while True:\n    pass\n", [_call(0, "f")],
                                     import_timeout=1.0))
    assert run.imported.status == "timeout" and "1 s" in run.imported.detail
    run = PortableSandbox().run(_job(tmp_path, "import os\nos._exit(7)\n", [_call(0, "f")]))
    assert run.imported.status == "crashed" and "code 7" in run.imported.detail


def test_what_student_code_prints_or_reads_never_touches_the_channel(tmp_path):
    """stdin and stdout carry the requests and answers: student code gets neither (its
    stdout is the output pipe, its stdin empty), nor does a process it starts."""
    job = _job(tmp_path, """
        import os, subprocess, sys
        print("σ from the student")
        def noisy():
            os.write(1, b"HWG2 not a frame")
            sys.stdout.write("x" * 100_000)
            subprocess.run([sys.executable, "-c", "import os; os.write(1, b'grandchild')"])
            return 1.0
        def reads(): return input()
    """, [_call(0, "noisy"), _call(1, "reads")], output_bytes=4096)
    run = PortableSandbox().run(job)
    assert run.calls[0].value == 1.0
    assert run.output.startswith("σ from the student\nHWG2 not a frame")
    assert len(run.output.encode()) <= 4096 and run.output_dropped > 90_000
    assert run.calls[1].status == "raised" and run.calls[1].error.type == "EOFError"


def test_a_hidden_call_is_sent_last_and_its_output_never_shown(tmp_path):
    job = _job(tmp_path, """
        import sys
        seen = []
        def visible(x):
            seen.append(x)
            print("visible", flush=True)
            return x
        def hidden(x):
            print("SECRET", flush=True)
            return seen
    """, [_call(1, "hidden", 7.0, hidden=True), _call(0, "visible", 1.0)])
    run = PortableSandbox().run(job)
    assert run.calls[0].value == 1.0 and run.calls[1].value == [1.0]
    assert "visible" in run.output and "SECRET" not in run.output


@pytest.mark.parametrize("hang", [True, False])
def test_the_childs_whole_tree_ends_with_it(tmp_path, hang):
    """A process the student starts (its own session even) ends with the call that timed
    out, or with the child that said it is done."""
    pid_file = tmp_path / "grandchild.pid"
    job = _job(tmp_path, f"""
        import subprocess, sys, time
        def spawn():
            p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            open({str(pid_file)!r}, "w").write(str(p.pid))
            while {hang}:
                pass
            return 1.0
    """, [_call(0, "spawn", timeout=1.0)])
    run = PortableSandbox().run(job)
    assert run.calls[0].status == ("timeout" if hang else "ok")
    assert _gone(int(pid_file.read_text()))


# ------------------------------------------------------------------ Windows, with fakes

class _Kernel32:
    """Records the calls made to kernel32; each succeeds unless named in `fail`."""

    def __init__(self, fail: tuple[str, ...] = ()):
        self.calls: list[tuple[str, tuple]] = []
        self.fail = fail

    def __getattr__(self, name: str):
        def call(*args):
            self.calls.append((name, args))
            return 0 if name in self.fail else (77 if name == "CreateJobObjectW" else 1)
        return call


def test_on_windows_the_child_joins_a_job_that_kills_its_tree():
    kernel32 = _Kernel32()
    proc = SimpleNamespace(_handle=1234, pid=99)
    job = tree.JobTree(proc, processes=64, kernel32=kernel32)
    names = [name for name, _ in kernel32.calls]
    assert names == ["CreateJobObjectW", "SetInformationJobObject", "AssignProcessToJobObject"]
    _, (handle, info_class, info, size) = kernel32.calls[1]
    limits = info._obj.BasicLimitInformation
    assert (handle, info_class) == (77, tree.JOB_OBJECT_EXTENDED_LIMIT_INFORMATION)
    assert limits.LimitFlags == (tree.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
                                 | tree.JOB_OBJECT_LIMIT_ACTIVE_PROCESS)
    assert limits.ActiveProcessLimit == 64 and size in (112, 144)  # 32-bit, 64-bit layout
    assert kernel32.calls[2][1] == (77, 1234)
    job.kill()
    job.close()
    assert kernel32.calls[-2:] == [("TerminateJobObject", (77, 1)), ("CloseHandle", (77,))]


def test_on_windows_the_job_holds_each_process_to_the_rubrics_memory(monkeypatch, tmp_path):
    """Windows has no RLIMIT_DATA: without the job's limit a student's 16 GiB array timed
    out (or swapped the laptop) where Linux says "ran out of memory (limit 512 MiB)"."""
    kernel32 = _Kernel32()
    job = tree.JobTree(SimpleNamespace(_handle=1, pid=9), processes=64, kernel32=kernel32,
                       memory_mb=512)
    limits = kernel32.calls[1][1][2]._obj
    assert limits.BasicLimitInformation.LimitFlags & tree.JOB_OBJECT_LIMIT_PROCESS_MEMORY
    assert limits.ProcessMemoryLimit == 512 << 20
    job.close()
    adopted = []  # and the kit's launcher asks for the rubric's memory
    monkeypatch.setattr(tree, "adopt", lambda proc, *limits: adopted.append(limits) or
                        tree.Tree(proc))
    run = PortableSandbox().run(_job(tmp_path, "def f(): return 1.0", [_call(0, "f")],
                                     memory_mb=300, processes=7))
    assert run.calls[0].value == 1.0 and adopted == [(7, 300)]


def test_on_windows_without_a_job_taskkill_ends_the_tree(monkeypatch):
    ran = []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(tree, "_kernel32", lambda: _Kernel32(fail=("AssignProcessToJobObject",)))
    monkeypatch.setattr(tree.subprocess, "run", lambda args, **kw: ran.append(args))
    proc = SimpleNamespace(_handle=1, pid=4321, poll=lambda: None, kill=lambda: ran.append("kill"))
    children = tree.adopt(proc, 64)
    assert type(children) is tree.TaskkillTree
    children.kill()
    assert ran == [["taskkill", "/T", "/F", "/PID", "4321"], "kill"]
    assert tree.popen_options() == {"creationflags": tree.CREATE_NEW_PROCESS_GROUP}


def test_on_windows_the_channel_is_binary_and_the_standard_handles_follow(monkeypatch):
    """Text mode would turn a frame's bytes into others; a process that student code
    starts inherits the standard handles: never the one the answers go to."""
    from grader.sandbox import child

    kernel32, modes = _Kernel32(), []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(os, "O_BINARY", 0x8000, raising=False)
    monkeypatch.setattr("ctypes.WinDLL", lambda name, **kw: kernel32, raising=False)
    monkeypatch.setitem(sys.modules, "msvcrt", SimpleNamespace(
        get_osfhandle=lambda fd: 500 + fd, setmode=lambda fd, mode: modes.append((fd, mode))))
    monkeypatch.setattr("ctypes.wintypes.HANDLE", object, raising=False)
    child._windows_std(7, 8)
    assert modes == [(7, 0x8000), (8, 0x8000)]
    assert [args for name, args in kernel32.calls if name == "SetStdHandle"] == [
        ((-10) & 0xFFFFFFFF, 500), ((-11) & 0xFFFFFFFF, 501), ((-12) & 0xFFFFFFFF, 502)]


def test_on_windows_the_child_gets_what_an_interpreter_needs_to_start(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("SYSTEMROOT", r"C:\Windows")
    monkeypatch.setenv("SECRET_TOKEN", "x")
    env = portable.portable_env(tmp_path)
    assert env["SYSTEMROOT"] == r"C:\Windows" and "SECRET_TOKEN" not in env
    assert env["TEMP"] == env["TMP"] == env["USERPROFILE"] == str(tmp_path)


def test_posix_children_lead_a_session_of_their_own():
    assert tree.popen_options() == {"start_new_session": True}
    proc = subprocess.Popen([sys.executable, "-c", "pass"], **tree.popen_options())
    assert type(tree.adopt(proc, 64)) is tree.GroupTree
    proc.wait()


@pytest.mark.parametrize("code, said", [
    (0xC0000005, "killed by signal 11 (SIGSEGV)"), (0xC00000FD, "killed by signal 11 (SIGSEGV)"),
    (0xC0000409, "killed by signal 6 (SIGABRT)"), (3, "exited with code 3"),
    (-11, "killed by signal 11 (SIGSEGV)"),
])
def test_a_crash_on_windows_is_told_in_linuxs_words(code, said):
    """Windows ends a crashing process with an NTSTATUS exit code, not a signal."""
    assert portable.ended_by(code) == said


def test_ctrl_c_ends_every_child_at_once_and_starts_none_after(monkeypatch, tmp_path):
    """check.py's Ctrl-C handler calls stop_all: a KeyboardInterrupt alone left the
    sandbox's threads waiting out each child's time limit (a second Ctrl-C left the
    children spinning in their own sessions)."""
    import threading

    monkeypatch.setattr(tree, "RUNNING", tree.Running())
    job = _job(tmp_path, f"""
        import os
        open({str(tmp_path / "pid")!r}, "w").write(str(os.getpid()))
        while True:
            pass
    """, [_call(0, "f")], import_timeout=60)
    runs = []
    worker = threading.Thread(target=lambda: runs.append(PortableSandbox().run(job)))
    worker.start()
    for _ in range(600):
        if (tmp_path / "pid").exists() and (tmp_path / "pid").read_text():
            break
        time.sleep(0.05)
    pid = int((tmp_path / "pid").read_text())
    start = time.monotonic()
    portable.stop_all()
    worker.join(10)
    assert not worker.is_alive() and time.monotonic() - start < 10
    assert runs[0].imported.status == "crashed" and _gone(pid)
    with pytest.raises(KeyboardInterrupt):
        PortableSandbox().run(job)
    assert tree.RUNNING.trees == set()
