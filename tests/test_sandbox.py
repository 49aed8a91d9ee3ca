"""The product's sandbox: real child processes, limits enforced from outside, plain data back."""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import Call, Limits, ModuleJob
from grader.sandbox.launch import NUMPY, TORCH, ZYGOTE, ZygoteLauncher, _Zygote, base_env
from grader.sandbox.process import SubprocessSandbox, mentions_torch


def _job(tmp_path: Path, source: str, calls: list[Call], name: str = "mod", **limits) -> ModuleJob:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    return ModuleJob(tmp_path.resolve(), name, tuple(calls), Limits(**limits))


def _call(i: int, attr: str, *args, item: str | None = None, timeout: float = 5.0, **kw) -> Call:
    return Call(i, item or f"item{i}", attr, kw.pop("kind", "call"), args, timeout=timeout, **kw)


def test_values_come_back_as_plain_data(tmp_path):
    job = _job(tmp_path, """
        import numpy as np
        def arr(x): return x * 2
        def tup(): return (np.float32(1.5), [1, 2], "s", None, True)
        CONST = "increase"
    """, [_call(0, "arr", np.ones((2, 3))), _call(1, "tup"), _call(2, "CONST", kind="get")])
    run = SubprocessSandbox().run(job)
    assert run.imported.status == "ok" and run.processes == 1
    value = run.calls[0].value
    assert type(value) is np.ndarray and value.dtype == np.float64 and (value == 2).all()
    assert run.calls[1].value == [1.5, [1, 2], "s", None, True]
    assert run.calls[2].value == "increase"


def test_a_hanging_call_costs_only_its_item(tmp_path):
    job = _job(tmp_path, """
        def hang():
            while True:
                pass
        def ok(): return 1.0
    """, [_call(0, "hang", item="a", timeout=0.5), _call(1, "hang", item="a", timeout=0.5),
          _call(2, "ok", item="b")])
    start = time.monotonic()
    run = SubprocessSandbox().run(job)
    assert time.monotonic() - start < 5
    assert run.calls[0].status == "timeout" and "0.5 s" in run.calls[0].detail
    assert run.calls[1].status == "skipped"
    assert run.calls[2].status == "ok" and run.calls[2].value == 1.0
    assert run.processes == 2  # a fresh child took over after the time-out


@pytest.mark.parametrize("body, detail", [
    ("import os; os._exit(3)", "exited with code 3"),
    ("import ctypes; ctypes.string_at(0)", "signal 11 (SIGSEGV)"),
    # Sent to itself: the worker is PID 1 of its namespace, where such signals need a handler.
    ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", "signal 15 (SIGTERM)"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGUSR1); import time; time.sleep(1)",
     "signal 10 (SIGUSR1)"),
    ("import os; os.abort()", "killed by signal"),
])
def test_a_crashing_call_is_reported_with_its_exit(tmp_path, body, detail):
    job = _job(tmp_path, f"""
        def die():
            {body}
        def ok(): return 2.0
    """, [_call(0, "die"), _call(1, "ok")])
    run = SubprocessSandbox().run(job)
    assert run.calls[0].status == "crashed" and detail in run.calls[0].detail
    assert run.calls[1].value == 2.0


@pytest.mark.parametrize("exc", ["SystemExit(0)", "KeyboardInterrupt()", "BaseException('x')",
                                 "ValueError('bad')"])
def test_any_exception_in_a_call_is_a_student_error(tmp_path, exc):
    job = _job(tmp_path, f"""
        def boom():
            raise {exc}
        def ok(): return 3.0
    """, [_call(0, "boom"), _call(1, "ok")])
    run = SubprocessSandbox().run(job)
    assert run.calls[0].status == "raised"
    assert run.calls[0].error.type == exc.split("(")[0]
    assert run.calls[0].error.traceback[-1].file == "mod.py"
    assert run.calls[1].value == 3.0


def test_syntax_error_names_file_and_line(tmp_path):
    job = _job(tmp_path, "x = 1\ndef f(:\n    pass\n", [_call(0, "f")])
    run = SubprocessSandbox().run(job)
    assert run.imported.status == "raised"
    assert run.imported.error.headline() == "SyntaxError at mod.py:2: invalid syntax"
    assert run.calls[0].status == "not_run"


def test_a_hanging_import_times_out(tmp_path):
    job = _job(tmp_path, "while True:\n    pass\n", [_call(0, "f")], import_timeout=1.0)
    run = SubprocessSandbox().run(job)
    assert run.imported.status == "timeout" and "1 s" in run.imported.detail


def test_exit_at_import_is_a_crash(tmp_path):
    job = _job(tmp_path, "import os\nos._exit(7)\n", [_call(0, "f")])
    run = SubprocessSandbox().run(job)
    assert run.imported.status == "crashed" and "code 7" in run.imported.detail


def test_output_is_captured_and_capped(tmp_path):
    job = _job(tmp_path, """
        import sys
        print("hello from the student")
        def flood():
            sys.stdout.write("x" * 5_000_000)
            sys.stderr.write("y" * 1_000_000)
            return 1.0
    """, [_call(0, "flood")], output_bytes=4096)
    run = SubprocessSandbox().run(job)
    assert run.calls[0].value == 1.0
    assert run.output.startswith("hello from the student")
    assert len(run.output) == 4096
    assert run.output_dropped >= 6_000_000 - 4096


def test_unsendable_values_are_bad_output_not_crashes(tmp_path):
    job = _job(tmp_path, """
        import numpy as np
        def obj(): return object()
        def cplx(): return np.ones(2, dtype=complex)
        def strs(): return np.array(["a"])
    """, [_call(0, "obj"), _call(1, "cplx"), _call(2, "strs")])
    run = SubprocessSandbox().run(job)
    assert [run.calls[i].status for i in range(3)] == ["bad_output"] * 3


def test_inplace_arguments_come_back_and_inputs_are_fresh_copies(tmp_path):
    job = _job(tmp_path, """
        def acc(g, x):
            g += x
            x[...] = 0
    """, [_call(0, "acc", np.ones(3), np.arange(3.0), report_args=True),
          _call(1, "acc", np.ones(3), np.arange(3.0), report_args=True)])
    run = SubprocessSandbox().run(job)
    for i in (0, 1):
        g, x = run.calls[i].args_after
        assert list(g) == [1, 2, 3] and list(x) == [0, 0, 0]


def test_torch_backend_gets_tensors_and_may_return_them(tmp_path):
    job = _job(tmp_path, """
        import torch
        BACKEND = "torch"
        def kind(x): return [str(x.dtype), x.requires_grad]
        def grad(x):
            w = torch.zeros(3, requires_grad=True)
            (w * x).sum().backward()
            return w.grad
    """, [_call(0, "kind", np.ones(3)), _call(1, "grad", np.arange(3.0))])
    run = SubprocessSandbox().run(job)
    assert run.imported.backend == "torch"
    assert run.calls[0].value == ["torch.float64", False]
    assert list(run.calls[1].value) == [0.0, 1.0, 2.0]


def test_helper_modules_next_to_the_file_are_importable(tmp_path):
    (tmp_path / "helpers.py").write_text("def two(): return 2.0\n")
    job = _job(tmp_path, "from helpers import two\ndef f(): return two()\n", [_call(0, "f")])
    assert SubprocessSandbox().run(job).calls[0].value == 2.0


def test_layers_that_took_effect_are_reported(tmp_path):
    """Every layer the machine offers is applied and named; none is claimed that is not."""
    import ctypes
    import os

    job = _job(tmp_path, "X = 1\n", [_call(0, "X", kind="get")])
    layers = set(SubprocessSandbox().run(job).layers)
    assert {"separate process", "time limits", "output cap", "data-only channel",
            "memory limit", "file size limit", "open files limit", "no core dumps"} <= layers
    landlock_abi = ctypes.CDLL(None).syscall(444, None, 0, 1)
    assert (landlock_abi > 0) == any(layer.startswith("landlock") for layer in layers)
    if os.geteuid() == 0:
        assert "unprivileged user" in layers or "capabilities dropped" in layers
    assert SubprocessSandbox(namespaces=False, landlock=False).run(job).layers.count(
        "pid namespace") == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="mount namespaces need root here")
def test_a_zygotes_children_write_nowhere_but_their_work_folder(tmp_path):
    """The zygote makes its mount namespace read-only once; each child's is a copy: writes
    anywhere else fail (the submission's folder, /tmp, the zygote's own), the work folder
    takes them, and the layer is named (Landlock, which would stop them too, is off). The
    filter the zygote compiled once still denies."""
    (tmp_path / "outside").mkdir(mode=0o777)
    source = f"""
        import ctypes, errno, os
        def tries():
            got = []
            for path in ({str(tmp_path / 'outside' / 'x')!r}, "/tmp/hwg-escape", "mine.txt",
                         os.path.join(os.path.dirname(__file__), "x")):
                try:
                    with open(path, "w") as fh:
                        fh.write("x")
                    got.append(path == "mine.txt")
                except OSError as exc:
                    got.append(exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM))
            libc = ctypes.CDLL(None, use_errno=True)
            got.append(libc.unshare(0x00020000) == -1 and ctypes.get_errno() == errno.EPERM)
            return [float(g) for g in got]
        """
    sandbox = SubprocessSandbox(landlock=False)  # the mounts alone stop these writes
    for _ in range(2):  # forked by the zygote both times: the namespace is its copy
        run = sandbox.run(_job(tmp_path, source, [_call(0, "tries")]))
        assert run.calls[0].status == "ok", run.calls[0]
        assert list(run.calls[0].value) == [1.0] * 5
        assert {"read-only file systems", "seccomp filter",
                "forked from a pre-started interpreter"} <= set(run.layers), run.layers
    assert not (tmp_path / "outside" / "x").exists() and not Path("/tmp/hwg-escape").exists()


def _zygotes_started_by(parent: int) -> set[int]:
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            if int(status.split("PPid:")[1].split()[0]) == parent and \
                    b"zygote.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(int(pid))
        except (OSError, IndexError, ValueError):
            pass
    return found


_FACTORY = []


def _take_factory(factory) -> None:  # as class workers do: given at start, not per task
    _FACTORY.append(factory)


def _run_in_worker(root: str, factory=None) -> tuple[str, bool, set[int]]:
    sandbox = (factory or _FACTORY[0])()
    run = sandbox.run(ModuleJob(Path(root), "mod", (_call(0, "f", 2.0),), Limits()))
    attached = all(z.proc is None or z.owner != os.getpid()
                   for z in sandbox.launcher.zygotes.values())
    return f"{run.calls[0].status}:{run.calls[0].value}", attached, \
        _zygotes_started_by(os.getpid())


@pytest.mark.parametrize("start", ["spawn", "fork"])
def test_class_workers_fork_from_the_zygotes_of_the_process_that_shares_them(tmp_path, start):
    """A class pays for starting (and importing torch in) each kind of zygote once, whether
    its workers are fresh interpreters or forks of the grader."""
    (tmp_path / "mod.py").write_text("def f(x): return x + 1\n")
    factory = SubprocessSandbox.ready_for(torch=mentions_torch(tmp_path))
    assert set(factory.keywords["launcher"].zygotes) == {NUMPY}  # nothing mentions torch
    ctx = multiprocessing.get_context(start)
    with concurrent.futures.ProcessPoolExecutor(2, ctx, _take_factory, (factory,)) as pool:
        answers = list(pool.map(_run_in_worker, [str(tmp_path)] * 4))
    for value, attached, own_zygotes in answers:
        assert value == "ok:3.0" and attached
        assert own_zygotes == set()  # no worker started one of its own


def test_a_class_with_torch_shares_a_torch_zygote_started_up_front(tmp_path):
    (tmp_path / "mod.py").write_text("import torch\nBACKEND = 'torch'\ndef f(x): return x + 1\n")
    factory = SubprocessSandbox.ready_for(torch=mentions_torch(tmp_path))
    assert set(factory.keywords["launcher"].zygotes) == {NUMPY, TORCH}
    value, _, _ = _run_in_worker(str(tmp_path), factory)
    assert value == "ok:3.0"


def _zygote_after(prelude: str) -> ZygoteLauncher:
    """A launcher whose numpy zygote first runs `prelude` (to break something in it)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    boot = (f"{prelude}\nimport runpy, sys\n"
            f"sys.argv = ['zygote.py', '{theirs.fileno()}', 'numpy']\n"
            f"runpy.run_path({str(ZYGOTE)!r}, run_name='__main__')")
    proc = subprocess.Popen([sys.executable, "-I", "-c", boot], pass_fds=(theirs.fileno(),),
                            env=base_env(), start_new_session=True)
    theirs.close()
    return ZygoteLauncher(zygotes={NUMPY: _Zygote(ours, proc)})


def test_a_zygote_without_pidfds_still_reports_every_end(tmp_path):
    """Where pidfd_open is missing (old kernels, strict seccomp), the zygote looks at its
    children every few milliseconds instead: exits, crashes and time-outs still come back."""
    launcher = _zygote_after("import os; del os.pidfd_open")
    job = _job(tmp_path, """
        import os, time
        def ok(): return 1.0
        def dies(): os._exit(3)
        def hangs(): time.sleep(60)
    """, [_call(0, "ok"), _call(1, "dies"), _call(2, "hangs", timeout=0.5), _call(3, "ok")])
    try:
        run = SubprocessSandbox(launcher=launcher).run(job)
        assert launcher.zygotes[NUMPY].proc.poll() is None  # one zygote served every child
    finally:
        launcher.zygotes[NUMPY].close()
    assert [run.calls[i].status for i in range(4)] == ["ok", "crashed", "timeout", "ok"]
    assert "exited with code 3" in run.calls[1].detail
    assert run.processes == 3


def test_a_fork_the_zygote_cannot_make_falls_back_and_keeps_the_zygote(tmp_path):
    launcher = _zygote_after(
        "import os\nreal, tries = os.fork, []\n"
        "def fork():\n"
        "    tries.append(1)\n"
        "    if len(tries) == 1: raise BlockingIOError(11, 'no more processes')\n"
        "    return real()\n"
        "os.fork = fork")
    zygote = launcher.zygotes[NUMPY]
    sandbox = SubprocessSandbox(launcher=launcher)
    job = _job(tmp_path, "def ok(): return 1.0\n", [_call(0, "ok")])
    try:
        first, second = sandbox.run(job), sandbox.run(job)
        assert launcher.zygotes[NUMPY] is zygote and zygote.proc.poll() is None
    finally:
        zygote.close()
    assert first.calls[0].value == second.calls[0].value == 1.0
    assert "fresh interpreter per process" in first.layers  # the refused fork, spawned
    assert "forked from a pre-started interpreter" in second.layers
