"""The student kit on the machines students have (issue 21): Windows, macOS and Linux.

This machine is Linux, so Windows and macOS are simulated (tests/simulated_platform.py,
whose TABLE says what each lacks and why, from the Python documentation): a venv of a
student's numpy-only Python from which what that system lacks is taken away, in every
process it starts. check.py and a replay must say and save there exactly what they say
and save on Linux. A guard reads what `grade kit` carries for what Windows lacks at
import time, and `grade` must refuse, in one line, to run student code on either.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simulated_platform
from conftest import CORPUS, EXAMPLES, ROOT
from kits import numpy_venv, unpack
from platforms import base_of, python_of, simulated, site_packages

from grader.disk.imports import source
from grader.kit.build import LAUNCHER, engine_modules

SYSTEMS = (simulated_platform.WINDOWS, simulated_platform.MACOS)
FOLDERS = {  # what a student may run check.py on, each a different path through the kit
    "skeleton": None, "alice": EXAMPLES / "alice", "bob": EXAMPLES / "bob",
    "missing_file": CORPUS / "b_missing_problem3", "import_error": CORPUS / "b_import_error_p2",
    "helper_module": CORPUS / "c_helper_module", "prints": CORPUS / "c_prints_einsum",
}
PASSING = {"alice", "helper_module", "prints"}
NEWEST = "3.13"  # the newest CPython the kit supports, besides numpy_only's 3.10
RUNS = [("3.10", name) for name in sorted(FOLDERS)] + [
    ("newest", name) for name in ("bob", "helper_module", "skeleton")]


# ------------------------------------------------------------------ the guard

def at_import(text: str) -> list[str]:
    """What a module uses as it is imported (its top level, class bodies, decorators and
    default values; not function bodies, nor what only a type checker reads) that
    Windows' CPython lacks: a module, a name of os/signal/select/socket, CDLL(None)."""
    windows = simulated_platform.WINDOWS
    modules = simulated_platform.absent(windows, "module")
    names = {where: simulated_platform.absent(windows, "attr", where)
             for where in ("os", "signal", "select", "socket", "time")}
    found: list[str] = []

    class Visitor(ast.NodeVisitor):
        def visit_FunctionDef(self, node: ast.AST) -> None:
            for part in (*node.decorator_list, *node.args.defaults, *node.args.kw_defaults):
                if part is not None:
                    self.visit(part)

        visit_AsyncFunctionDef = visit_FunctionDef

        def visit_Lambda(self, node: ast.Lambda) -> None:
            for part in (*node.args.defaults, *node.args.kw_defaults):
                if part is not None:
                    self.visit(part)

        def visit_If(self, node: ast.If) -> None:
            for part in ([] if "TYPE_CHECKING" in ast.unparse(node.test) else [node.test,
                                                                               *node.body]):
                self.visit(part)
            for part in node.orelse:
                self.visit(part)

        def visit_Import(self, node: ast.Import) -> None:
            found.extend(f"line {node.lineno}: import {a.name}" for a in node.names
                         if a.name.partition(".")[0] in modules)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if not node.level and (node.module or "").partition(".")[0] in modules:
                found.append(f"line {node.lineno}: from {node.module} import")

        def visit_Attribute(self, node: ast.Attribute) -> None:
            if isinstance(node.value, ast.Name) and node.attr in names.get(node.value.id, ()):
                found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
            self.generic_visit(node)

        def visit_Call(self, node: ast.Call) -> None:
            if ast.unparse(node.func).endswith("CDLL") and node.args \
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value is None:
                found.append(f"line {node.lineno}: CDLL(None)")
            self.generic_visit(node)

    Visitor().visit(ast.parse(text))
    return found


def test_nothing_the_kit_carries_uses_at_import_what_windows_lacks():
    """Issue 21: `python check.py` stopped at `_kit/grader/workspace.py: import fcntl`."""
    carried = {module: source(module).read_text(encoding="utf-8") for module in engine_modules()}
    assert {"grader.sandbox.child", "grader.sandbox.portable", "grader.disk.files"} <= set(carried)
    carried["check.py (the kit's launcher)"] = LAUNCHER
    assert {m: found for m, text in carried.items() if (found := at_import(text))} == {}


@pytest.mark.parametrize("code, found", [
    ("import fcntl", ["line 1: import fcntl"]),
    ("from resource import setrlimit", ["line 1: from resource import"]),
    ("try:\n    import termios\nexcept ImportError:\n    termios = None",
     ["line 2: import termios"]),
    ("import os\n_OPEN = os.O_RDONLY | os.O_NOFOLLOW", ["line 2: os.O_NOFOLLOW"]),
    ("import signal\nclass K:\n    sig = signal.SIGKILL", ["line 3: signal.SIGKILL"]),
    ("import os\ndef f(kill=os.killpg):\n    pass", ["line 2: os.killpg"]),
    ("import ctypes\nlibc = ctypes.CDLL(None)", ["line 2: CDLL(None)"]),
    ("import os\ndef f():\n    import fcntl\n    return os.getuid()", []),
    ("import os\nFLAG = getattr(os, 'O_NOFOLLOW', 0)", []),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pwd", []),
])
def test_the_guard_sees_what_is_used_at_import_and_only_that(code, found):
    assert at_import(code) == found


# ------------------------------------------------------------------ the simulations

@pytest.fixture(scope="module")
def newest(tmp_path_factory) -> Path:
    """A student's numpy-only venv of the newest CPython supported (the running one if
    this machine has none)."""
    base = python_of(NEWEST) or sys.executable
    return numpy_venv(base, tmp_path_factory.mktemp("newest") / "numpy-only")


@pytest.fixture(scope="module")
def students(numpy_only, newest, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Each (system, version): a student's interpreter; "linux" is numpy_only's itself."""
    found = {}
    for version, python in (("3.10", numpy_only), ("newest", newest)):
        found[("linux", version)] = python
        for system in SYSTEMS:
            found[(system, version)] = simulated(
                system, base_of(python), tmp_path_factory.mktemp(f"{system}-{version}") / "v",
                [site_packages(python)])
    return found


def _check(python: Path, kit_zip: Path, where: Path, files: Path | None,
           *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    """check.py as a student runs it, in the kit unpacked with their files (None: the
    skeletons as they come; a problem file they do not have is not there either)."""
    folder = unpack(kit_zip, where / "student")
    if files is not None:
        for skeleton in folder.glob("problem*.py"):
            skeleton.unlink()
        for path in files.iterdir():
            shutil.copy(path, folder / path.name)
    run = subprocess.run([str(python), "check.py", *args], cwd=folder, capture_output=True,
                         timeout=300)
    return run, folder


@pytest.fixture(scope="module")
def on_linux(students, kit_zip, tmp_path_factory) -> dict[tuple[str, str], Any]:
    """What check.py says on Linux, for each folder and Python."""
    said = {}
    for version, name in RUNS:
        where = tmp_path_factory.mktemp(f"linux-{version}-{name}")
        said[(version, name)], _ = _check(students[("linux", version)], kit_zip, where,
                                          FOLDERS[name])
    return said


@pytest.mark.slow
@pytest.mark.parametrize("system", SYSTEMS)
def test_each_simulation_lacks_what_its_table_says(students, system):
    """The simulation is real: in the interpreter, and in a child started with -I."""
    probe = textwrap.dedent("""
        import ctypes, importlib.util, os, select, signal, subprocess, sys
        windows = sys.argv[1] == "windows"
        assert importlib.util.find_spec("fcntl") is None if windows else True
        assert not hasattr(os, "fork" if windows else "pidfd_open")
        assert not hasattr(signal, "SIGKILL" if windows else "SIGPWR")
        assert not os.path.exists("/proc/self") and not os.path.isdir("/sys")
        if windows:
            r, w = os.pipe()
            for bad in (lambda: select.select([r], [], [], 0),
                        lambda: subprocess.Popen(["true"], pass_fds=(r,)),
                        lambda: ctypes.CDLL(None)):
                try:
                    bad()
                except (OSError, AssertionError, TypeError):
                    continue
                raise SystemExit("not taken away")
            assert sys.stdout.encoding == "cp1252"
        else:
            assert not hasattr(ctypes.CDLL(None), "prctl")
        import multiprocessing
        assert multiprocessing.get_start_method() == "spawn"
        assert multiprocessing.get_all_start_methods()[0] == "spawn"
        assert windows == ("fork" not in multiprocessing.get_all_start_methods())
        print("simulated")
    """)
    python = students[(system, "3.10")]
    for flags in ([], ["-I"]):
        run = subprocess.run([str(python), *flags, "-c", probe, system], capture_output=True,
                             text=True, timeout=60)
        assert run.returncode == 0 and run.stdout == "simulated\n", run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("version, name", RUNS)
@pytest.mark.parametrize("system", SYSTEMS)
def test_check_py_says_the_same_everywhere(students, on_linux, kit_zip, system, version, name,
                                           tmp_path):
    """The same bytes (UTF-8, also where Windows writes cp1252), the same exit status."""
    linux = on_linux[(version, name)]
    assert b"Traceback (most recent call last)" not in linux.stderr, linux.stderr.decode()
    run, _ = _check(students[(system, version)], kit_zip, tmp_path, FOLDERS[name])
    assert run.stderr == linux.stderr == b""
    assert run.stdout.decode() == linux.stdout.decode()
    assert run.returncode == linux.returncode == (0 if name in PASSING else 1)


@pytest.mark.slow
def test_the_linux_run_says_what_was_asked_for(on_linux):
    """The outputs compared above are the kit's, first impressions fixed (issue 21)."""
    skeleton = on_linux[("3.10", "skeleton")].stdout.decode()
    assert re.search(r"^Public checks: (\d+) items,.*\n(?:.*\n)*?highways-kit: 0 of \1 items "
                     r"pass", skeleton, re.M)
    assert "RELU_VARIANCE_CHANGE is not set yet (it is None): set it to a string" in skeleton
    assert "has no attribute 'function'" not in skeleton
    missing = on_linux[("3.10", "missing_file")].stdout.decode()
    assert "problem3.py was not found" in missing and "Reproduce" not in missing
    assert "σ" in on_linux[("3.10", "bob")].stdout.decode()  # what cp1252 cannot write


@pytest.mark.slow
@pytest.mark.parametrize("args", [["--seed", "20261"], ["--seed", "7", "--trial", "2"]])
def test_a_replay_says_and_saves_the_same_everywhere(students, kit_zip, tmp_path, args):
    said, saved = {}, {}
    for (system, version), python in students.items():
        if version != "3.10":
            continue
        run, folder = _check(python, kit_zip, tmp_path / system, EXAMPLES / "bob", "--item",
                             "p2c_f", *args)
        assert run.returncode == 0 and run.stderr == b"", run.stderr.decode()
        said[system] = run.stdout.decode().replace(str(folder), "KIT")
        (npz,) = folder.glob("replay-p2c_f-*.npz")
        with np.load(npz) as data:
            saved[system] = {key: data[key] for key in data.files}
    assert "f_grad after the call" in said["linux"] and said["linux"].count("trial ") >= 1
    for system in SYSTEMS:
        assert said[system] == said["linux"]
        assert saved[system].keys() == saved["linux"].keys()
        assert all(np.array_equal(saved[system][k], saved["linux"][k]) for k in saved["linux"])


@pytest.mark.slow
@pytest.mark.parametrize("system", ["linux", *SYSTEMS])
def test_check_py_into_a_reader_that_stops_ends_quietly(students, kit_zip, tmp_path, system):
    """`python check.py | head`: the reader is gone before the kit writes."""
    folder = unpack(kit_zip, tmp_path / "student")
    proc = subprocess.Popen([str(students[(system, "3.10")]), "check.py"], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    assert proc.stderr.read() == b"" and proc.wait(timeout=300) == 1


HANGS = """
import subprocess, sys, time
def spawn(pid_file):
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    open(pid_file, "w").write(str(p.pid))
    while True:
        pass
"""
DRIVER = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from grader.sandbox import Call, Limits, ModuleJob
from grader.sandbox.portable import PortableSandbox
call = Call(0, "a", "spawn", "call", (sys.argv[3],), timeout=1.0)
run = PortableSandbox().run(ModuleJob(Path(sys.argv[2]), "mod", (call,), Limits()))
print(run.calls[0].status, run.calls[0].detail)
"""


@pytest.mark.slow
@pytest.mark.parametrize("system", SYSTEMS)
def test_a_call_that_hangs_is_ended_by_the_parent(students, kit_zip, tmp_path, system):
    """The time limit is the parent's (Windows has no RLIMIT_CPU). On POSIX the child's
    process group goes with it; Windows' job object cannot be simulated here
    (tests/test_portable.py checks it against a fake kernel32)."""
    kit = unpack(kit_zip, tmp_path / "kit") / "_kit"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mod.py").write_text(HANGS)
    pid_file = tmp_path / "grandchild.pid"
    run = subprocess.run([str(students[(system, "3.10")]), "-c", DRIVER, str(kit),
                          str(tmp_path / "sub"), str(pid_file)],
                         capture_output=True, text=True, timeout=120)
    assert run.stdout == "timeout timed out after 1 s\n", run.stderr
    pid = int(pid_file.read_text())
    if system == simulated_platform.MACOS:
        assert _ended(pid)
    else:  # the simulated Windows has no job object: end what it left
        subprocess.run(["kill", "-9", str(pid)], check=False)


def _ended(pid: int) -> bool:
    for _ in range(100):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
        except (OSError, IndexError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


# ------------------------------------------------------------------ grade itself

@pytest.fixture(scope="module")
def grader_sims(tmp_path_factory) -> dict[str, Path]:
    """The grader's own interpreter (.venv), simulated."""
    return {system: simulated(system, base_of(sys.executable),
                              tmp_path_factory.mktemp(f"grader-{system}") / "v",
                              [site_packages(sys.executable), ROOT]) for system in SYSTEMS}


@pytest.mark.slow
@pytest.mark.parametrize("system", SYSTEMS)
def test_grade_refuses_to_run_student_code_without_linux(grader_sims, system, tmp_path):
    folder = tmp_path / "sub"
    shutil.copytree(EXAMPLES / "alice", folder)
    ran = tmp_path / "student-code-ran"
    (folder / "problem1.py").write_text(f"open({str(ran)!r}, 'w').close()\n"
                                        + (folder / "problem1.py").read_text())
    for args in ([], ["--item", "p1a", "--seed", "1"]):
        proc = subprocess.run([str(grader_sims[system]), "-m", "grader.cli", str(folder),
                               "--out", str(tmp_path / "out"), *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 5 and proc.stdout == ""
        (line,) = proc.stderr.splitlines()
        assert line.startswith("grade: grading runs student code in a Linux sandbox, and ")
        for way in ("a Linux machine", "WSL", "container", "Gradescope", "student kit"):
            assert way in line
    assert not ran.exists() and not (tmp_path / "out").exists()
    # nor around the command line: the grader's sandbox will not start
    proc = subprocess.run([str(grader_sims[system]), "-c", "from grader.sandbox.process import "
                           "SubprocessSandbox; SubprocessSandbox()"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "NotLinux: grading runs student code" in proc.stderr


CRASHES = {  # student code that ends its process where Linux ends it by a signal
    "segfault": "import ctypes\ndef init_variance(d_x):\n    return ctypes.string_at(0)\n",
    "stack_overflow": "import sys\nsys.setrecursionlimit(10 ** 8)\ndef _deeper(n):\n"
                      "    return _deeper(n + 1) + 1\ndef init_variance(d_x):\n"
                      "    return _deeper(0)\n",
}


@pytest.mark.slow
@pytest.mark.parametrize("crash", sorted(CRASHES))
def test_a_crash_reads_as_on_linux(students, kit_zip, tmp_path, crash):
    """Windows ends a crashing process with an NTSTATUS exit code (0xC0000005), not a
    signal: the kit said "exited with code 3221225477" where Linux says "killed by signal
    11 (SIGSEGV)"."""
    files = tmp_path / "files"
    shutil.copytree(EXAMPLES / "alice", files)
    with (files / "problem1.py").open("a") as fh:
        fh.write("\n" + CRASHES[crash])
    said = {}
    for system in ("linux", simulated_platform.WINDOWS):
        run, _ = _check(students[(system, "3.10")], kit_zip, tmp_path / system, files)
        said[system] = run.stdout.decode()
    assert "the process running problem1.init_variance killed by signal 11 (SIGSEGV)" \
        in said["linux"]
    assert said[simulated_platform.WINDOWS] == said["linux"]


PROCESSES = '''
import multiprocessing as mp


def _inverse(v):
    return 1.0 / v


def init_variance(d_x):
    with mp.Pool(2) as pool:  # spawn on Windows and macOS: the workers import this file
        return pool.map(_inverse, [d_x])[0]


def _put(queue, d_x):
    queue.put(2.0 * 3.141592653589793 / (3.141592653589793 - 1.0) / d_x)


def relu_init_variance(d_x):
    queue = mp.Queue()
    worker = mp.Process(target=_put, args=(queue, d_x))
    worker.start()
    value = queue.get(timeout=60)
    worker.join()
    return value


if __name__ == "__main__":
    print(init_variance(4))
'''


@pytest.mark.slow
def test_student_code_that_starts_processes_runs_as_on_linux(students, kit_zip, tmp_path):
    """multiprocessing spawns on Windows (its only start method) and macOS (the default):
    a worker runs the kit's child.py as its main module and imports the student's file."""
    files = tmp_path / "files"
    shutil.copytree(EXAMPLES / "alice", files)
    with (files / "problem1.py").open("a") as fh:
        fh.write(PROCESSES)
    said = {}
    for system in ("linux", *SYSTEMS):
        run, _ = _check(students[(system, "3.10")], kit_zip, tmp_path / system, files)
        said[system] = (run.returncode, run.stdout.decode(), run.stderr.decode())
    assert said["linux"][0] == 0 and "14 of 14 items pass" in said["linux"][1], said["linux"]
    assert said[simulated_platform.WINDOWS] == said[simulated_platform.MACOS] == said["linux"]


def _children_of_kit(folder: Path) -> list[int]:
    """The kit's sandbox children, by their command line (this machine's /proc)."""
    child = str(folder / "_kit" / "grader" / "sandbox" / "child.py").encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and child in (entry / "cmdline").read_bytes() \
                    and (entry / "stat").read_text().rsplit(") ", 1)[1][0] != "Z":
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


@pytest.mark.slow
@pytest.mark.parametrize("system", ["linux", *SYSTEMS])
def test_ctrl_c_stops_the_kit_and_everything_it_started(students, kit_zip, tmp_path, system):
    """A student presses Ctrl-C on a check that hangs in their import: the kit waited out
    the import's time limit, ended in a KeyboardInterrupt traceback, and a second Ctrl-C
    left their endless loop spinning after the kit was gone."""
    folder = unpack(kit_zip, tmp_path / "student")
    with (folder / "problem1.py").open("a") as fh:
        fh.write("\nwhile True:\n    pass\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.Popen([str(students[(system, "3.10")]), "check.py"], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    for _ in range(600):
        if _children_of_kit(folder):
            break
        time.sleep(0.05)
    assert _children_of_kit(folder), proc.communicate(timeout=60)
    time.sleep(0.5)  # the child is in its endless import now
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - start < 10  # the import's limit is 20 s
    assert (proc.returncode, out, err) == (130, b"", b"check.py: stopped (Ctrl-C)\n")
    assert _children_of_kit(folder) == [] and list(scratch.iterdir()) == []
