"""Time and CPU (issue 10, family 7), and a class that survives losing its workers
(family 1): a submission has a time budget, a sandbox has one share of the CPU however
many processes it starts, and a worker that dies costs only the student it held."""
from __future__ import annotations

import concurrent.futures
import csv
import json
import os
import signal
import statistics
import subprocess
import time
from pathlib import Path

import pytest
from conftest import GRADE, ROOT, short_items
from hostile import build, fast_rubric_at, leftovers

pytestmark = pytest.mark.slow


def _slow_calls(seconds: float) -> dict[str, list[tuple[str, str]]]:
    """Files whose every call sleeps `seconds` before its right answer."""
    return {m: [(f, f"import time\n    time.sleep({seconds})\n    {ret}") for f, ret in funcs]
            for m, funcs in {
                "problem1.py": [("init_variance", "return 1.0 / d_x")],
                "problem3.py": [("layer_variance", "return var_prev * (1 + N * N * C * sigma_w)"),
                                ("variance_at_layer", "return (1 + N * N * C * sigma_w) ** ell")],
            }.items()}


SLOW_CALLS = _slow_calls(1.8)  # each call nearly at the fast rubric's 2 s


def _class(tmp_path: Path, rubric: Path, students: dict[str, dict], jobs: int = 2
           ) -> tuple[subprocess.CompletedProcess, Path]:
    klass, out = tmp_path / "class", tmp_path / "out"
    for name, files in students.items():
        build(files, klass / name, {})
    proc = subprocess.run([*GRADE, str(klass), "--out", str(out), "--jobs", str(jobs),
                           "--rubric", str(rubric)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc, out


def test_a_submission_whose_every_call_nearly_times_out_has_a_budget(tmp_path):
    rubric = fast_rubric_at(tmp_path / "budget.yaml", submission_seconds=8)
    start = time.monotonic()
    proc, out = _class(tmp_path, rubric, {"slow": SLOW_CALLS, "honest": {}})
    assert time.monotonic() - start < 40  # 12 trials of 1.8 s each would hold it 2 minutes
    slow = json.loads((out / "slow" / "results.json").read_text())
    assert {"p1a", "p3a", "p3b"} <= short_items(slow)
    messages = " ".join(t["output"] for t in slow["tests"])
    assert "was not run: the submission used up its 8 s" in messages
    assert short_items(json.loads((out / "honest" / "results.json").read_text())) == set()
    assert leftovers() == []


SPINNERS = """
_started = []
def _spin(n):
    import os
    if _started:
        return
    _started.append(n)
    for _ in range(n):
        if os.fork() == 0:
            os.setsid()
            while True:
                pass
"""


def _honest_times(out: Path, names: list[str]) -> list[float]:
    return [json.loads((out / n / "results.json").read_text())["execution_time"] for n in names]


def test_sixty_detached_spinners_take_one_share_of_the_cpu(fast_rubric, tmp_path):
    """Honest students graded beside a sandbox running 60 detached CPU spinners take at
    most twice the time they take beside nobody (measured in the same run)."""
    honest = {f"h{i:02}": {} for i in range(10)}
    spinner = {"@problem1.py": SPINNERS, "problem1.py": (
        "init_variance", "_spin(60)\n    import time\n    time.sleep(0.4)\n    return 1.0 / d_x")}
    _, alone = _class(tmp_path / "alone", fast_rubric, honest)
    _, beside = _class(tmp_path / "beside", fast_rubric, {"0_spinner": spinner, **honest})
    layers = json.loads((beside / "0_spinner" / "results.json").read_text())[
        "extra_data"]["sandbox_layers"]
    ratio = statistics.mean(_honest_times(beside, list(honest))) / \
        statistics.mean(_honest_times(alone, list(honest)))
    if "one CPU share (autogroup)" in layers:  # else the machine offers no such layer
        assert ratio < 2.0, ratio
    for name in honest:
        assert short_items(json.loads((beside / name / "results.json").read_text())) == set()
    assert leftovers() == []


def _parents() -> dict[int, tuple[int, bytes]]:
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            found[int(pid)] = (ppid, Path(f"/proc/{pid}/cmdline").read_bytes())
        except (OSError, IndexError, ValueError):
            continue
    return found


def _workers(grader: int) -> list[int]:
    """The class's worker processes: the children of the grader's fork server."""
    table = _parents()
    servers = {pid for pid, (ppid, cmd) in table.items() if ppid == grader and b"forkserver" in cmd}
    return [pid for pid, (ppid, cmd) in table.items() if ppid in servers]


def test_a_class_survives_its_workers_being_killed(fast_rubric, tmp_path):
    klass, out = tmp_path / "class", tmp_path / "out"
    slow = _slow_calls(0.3)  # a dozen trials: in flight for seconds, graded again in seconds
    students = {f"s{i}": {} for i in range(6)} | {"a_slow": slow, "b_slow": slow}
    for name, files in students.items():
        build(files, klass / name, {})
    proc = subprocess.Popen([*GRADE, str(klass), "--out", str(out), "--jobs", "2", "--rubric",
                             str(fast_rubric)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(_workers(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # the slow students are in flight
    killed = _workers(proc.pid)
    for pid in killed:  # as the kernel's OOM killer would
        os.kill(pid, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr[-2000:]
    assert len(killed) == 2
    lost = []
    for name in students:
        results = json.loads((out / name / "results.json").read_text())
        if "internal_error" in results["extra_data"]:
            assert "the worker grading this student died" in results["extra_data"][
                "internal_error"]
            lost.append(name)
    assert 1 <= len(lost) <= 2, lost
    assert len(list(csv.DictReader((out / "grades.csv").open()))) == len(students)
    assert (out / "index.html").is_file()
    rerun = subprocess.run([*GRADE, str(klass), "--out", str(out), "--jobs", "2", "--rubric",
                            str(fast_rubric)], capture_output=True, text=True, cwd=ROOT,
                           timeout=600)
    assert f"{len(lost)} graded, {len(students) - len(lost)} unchanged" in rerun.stdout
    assert leftovers() == []


class _UnnoticingPool:
    """A pool that, like pebble when it loses the race between a worker's death and its
    acknowledgement, never reports the task of the worker that died."""

    def __init__(self, dead_pid: int):
        self.dead_pid = dead_pid

    def schedule(self, _function, args, timeout):
        Path(args[-1]).write_text(str(self.dead_pid))
        return concurrent.futures.Future()  # never completes


def test_a_worker_that_dies_unnoticed_by_the_pool_costs_its_student_only(rubric, tmp_path):
    from grader.classroom import run as classroom
    from grader.classroom.pool import GRACE

    child = subprocess.Popen(["true"])
    child.wait()  # reaped: its pid is that of a process that died
    student = classroom.Student("dora", tmp_path / "dora", tmp_path / "out" / "dora",
                                tmp_path / "out" / "dora")
    student.path.mkdir()
    start = time.monotonic()
    with classroom.workspace.folder("workers") as marks:
        got = list(classroom._results(_UnnoticingPool(child.pid), [(student, "", {})],
                                      (None, None, None, ()), rubric, 300, marks, 1))
    assert time.monotonic() - start < GRACE + 3  # not the 300 s watchdog
    (name, results, why, lost), = [o for o in got if isinstance(o, classroom.Outcome)]
    assert name == "dora" and "the worker grading this student died" in why
    assert lost  # perhaps the student's doing: it does not count as the grader failing
    assert json.loads((student.out / "results.json").read_text())["score"] == 0
