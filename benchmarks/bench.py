#!/usr/bin/env python3
"""Benchmark: grading speed and memory as ratios to `python -c "import torch"`, in one run.

    .venv/bin/python benchmarks/bench.py [--students 200] [--naive-sample 20]
    .venv/bin/python benchmarks/bench.py --only realistic [--realistic 250]

(a) one submission graded cold (a fresh `grade` process), numpy and torch-backend students,
    and the numpy one with the reference answers.md;
(b) a class of correct submissions (every style in tests/corpus, cycled) with --jobs 2;
(c) the naive baseline: per submission, a fresh interpreter that imports torch (as a
    grader that may meet torch code must) and grades it, starting a fresh interpreter per
    problem file as well (GRADER_LAUNCHER=spawn); timed on a sample and scaled;
(d) a realistic class (--jobs 2): every correct style of tests/corpus cycled (numpy,
    torch, scipy.signal, scipy.ndimage, sympy, matplotlib, helper modules...), graded
    code only and with the reference answers.md in every folder (under a line of the
    student's own and a few blank lines: no two files alike); besides wall time, the
    CPU time (user + system) of the grader's whole process tree per student, and the
    peak memory (PSS) of that tree for the whole class and for a fifth of it; and one
    submission (submissions_example/alice) graded cold, code only and with answers.md;
and the peak memory (PSS) of the whole process tree while one torch submission is graded.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRADE = [sys.executable, "-m", "grader.cli"]
CORRECT = sorted(p for p in (ROOT / "tests" / "corpus").iterdir() if p.name.startswith("c_"))


def timed(cmd: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def timed_cpu(cmd: list[str], sample: list[float] | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user + system of `cmd` and every process it waited for:
    the grader, its workers, zygotes and sandboxes); with `sample`, the peak PSS (MB) of
    the process tree, sampled every 0.1 s, is appended to it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while sample is not None and proc.poll() is None:
        peak = max(peak, sum(_pss_kb(p) for p in _tree(proc.pid)) / 1024)
        time.sleep(0.1)
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{cmd} failed: {err.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if sample is not None:
        sample.append(peak)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_of(n: int, cmd: list[str], env: dict | None = None) -> float:
    return statistics.median(timed(cmd, env) for _ in range(n))


def make_class(dest: Path, n: int, answers: Path | None = None) -> list[Path]:
    """`n` students cycling the correct styles; with `answers`, that answers.md in each,
    under a line of the student's own and a few blank lines (no two files alike, and the
    sections at other lines, as in a class whose students write their own prose)."""
    students = []
    for i in range(n):
        path = dest / f"s{i:03d}_{CORRECT[i % len(CORRECT)].name}"
        shutil.copytree(CORRECT[i % len(CORRECT)], path)
        if answers is not None:  # beside the problem files (one folder down for some)
            own = f"Answers of student {i:03d}.\n" + "\n" * (i % 7) + answers.read_text()
            (next(path.rglob("problem1.py")).parent / "answers.md").write_text(own)
        students.append(path)
    return students


def peak_pss_mb(cmd: list[str]) -> float:
    """Peak total PSS of `cmd` and all its descendants, sampled every 10 ms."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, sum(_pss_kb(p) for p in _tree(proc.pid)) / 1024)
        time.sleep(0.01)
    return peak


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(pid))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=200)
    ap.add_argument("--naive-sample", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3, help="class runs, each after 3 torch imports")
    ap.add_argument("--realistic", type=int, default=250, help="students of the realistic class")
    ap.add_argument("--only", choices=["all", "realistic"], default="all")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hwg-bench-"))
    try:
        torch_times: list[float] = []
        rows = speed_bar(work, args, torch_times) if args.only == "all" else []
        rows += realistic(work, args, torch_times)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    torch_s = statistics.median(torch_times)
    print(f"{'python -c import torch (median)':<56} {torch_s:8.2f} s  {1.0:6.2f}x")
    for name, seconds, extra in rows:
        if seconds is None:  # not a time
            print(f"{name:<56} {extra}")
        else:
            print(f"{name:<56} {seconds:8.2f} s  {seconds / torch_s:6.2f}x  {extra}")
    print(f"{'import torch, every timing':<56} {_spread(torch_times)}")


IMPORT_TORCH = [sys.executable, "-c", "import torch"]


def speed_bar(work: Path, args: argparse.Namespace,
              torch_times: list[float]) -> list[tuple[str, float | None, str]]:
    """(a), (b), (c) and the memory of one torch submission."""
    numpy_student = ROOT / "submissions_example" / "alice"
    torch_student = ROOT / "tests" / "corpus" / "c_torch_add_inplace"
    code_only = work / "alice-code"
    shutil.copytree(numpy_student, code_only)
    (code_only / "answers.md").unlink()
    # The machine's speed drifts over minutes: the baseline is timed next to each
    # measurement and the ratios use the median of all its timings.
    torch_times += [timed(IMPORT_TORCH) for _ in range(3)]
    cold = median_of(3, [*GRADE, str(code_only), "--out", str(work / "a")])
    cold_written = median_of(3, [*GRADE, str(numpy_student), "--out", str(work / "a1")])
    cold_torch = median_of(3, [*GRADE, str(torch_student), "--out", str(work / "a2")])
    students = make_class(work / "class", args.students)
    class_times = []
    for k in range(args.repeat):
        torch_times += [timed(IMPORT_TORCH) for _ in range(3)]
        shutil.rmtree(work / "b", ignore_errors=True)
        class_times.append(timed([*GRADE, str(work / "class"), "--out", str(work / "b"),
                                  "--jobs", "2"]))
    klass = statistics.median(class_times)
    _check(work / "b", students, 18)
    spawn_env = {**os.environ, "GRADER_LAUNCHER": "spawn"}
    sample = students[:: max(1, len(students) // args.naive_sample)][: args.naive_sample]
    naive = [sys.executable, "-c", "import torch, sys; from grader.cli import main; main()"]
    naive_sample = sum(timed([*naive, str(s), "--out", str(work / "c" / s.name)], spawn_env)
                       for s in sample)
    naive_s = naive_sample * len(students) / len(sample)
    memory = peak_pss_mb([*GRADE, str(torch_student), "--out", str(work / "m")])
    n = len(students)
    return [
        ("(a) one submission, cold (numpy, code only)", cold, ""),
        ("(a) one submission, cold (numpy, with answers.md)", cold_written, ""),
        ("(a) one submission, cold (torch backend)", cold_torch, ""),
        (f"(b) class of {n} correct, --jobs 2 (median)", klass,
         f"{n / klass:.1f} students/s; runs {_spread(class_times)}"),
        (f"(c) naive, fresh interpreters ({len(sample)} timed, scaled)", naive_s,
         f"(b) is {naive_s / klass:.1f}x faster"),
        ("peak PSS, process tree of one torch submission", None, f"{memory:.0f} MB"),
    ]


def realistic(work: Path, args: argparse.Namespace,
              torch_times: list[float]) -> list[tuple[str, float | None, str]]:
    """(d): the realistic class, code only and with answers.md, runs interleaved."""
    n = args.realistic
    classes = {"code only": work / "real-code", "with answers.md": work / "real-written"}
    make_class(classes["code only"], n)
    make_class(classes["with answers.md"], n, ROOT / "reference" / "answers.md")
    fifth = work / "real-fifth"
    make_class(fifth, max(2, n // 5), ROOT / "reference" / "answers.md")
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in classes}
    for _ in range(args.repeat):
        torch_times += [timed(IMPORT_TORCH) for _ in range(2)]
        for kind, folder in classes.items():
            out = work / f"out-{folder.name}"
            shutil.rmtree(out, ignore_errors=True)
            runs[kind].append(timed_cpu([*GRADE, str(folder), "--out", str(out), "--jobs", "2"]))
    # Memory in runs of their own: reading every process's smaps_rollup ten times a second
    # costs CPU and holds their memory maps' lock (forks wait for it), so a timed run
    # would measure the observer too.
    peaks: dict[str, list[float]] = {k: [] for k in classes}
    small: list[float] = []
    for folder, sample in ((classes["with answers.md"], peaks["with answers.md"]),
                           (fifth, small)):
        out = work / "out-memory"
        shutil.rmtree(out, ignore_errors=True)
        timed_cpu([*GRADE, str(folder), "--out", str(out), "--jobs", "2"], sample)
    alice = ROOT / "submissions_example" / "alice"
    code_only = work / "real-alice-code"
    shutil.copytree(alice, code_only)
    (code_only / "answers.md").unlink()
    torch_times += [timed(IMPORT_TORCH) for _ in range(2)]
    cold = {kind: median_of(3, [*GRADE, str(folder), "--out", str(work / "out-cold")])
            for kind, folder in (("code only", code_only), ("with answers.md", alice))}
    _check(work / "out-real-code", sorted(classes["code only"].iterdir()), 18)
    _check(work / "out-real-written", sorted(classes["with answers.md"].iterdir()), 28)
    rows = []
    for kind, timings in runs.items():
        wall = statistics.median(w for w, _ in timings)
        cpu = statistics.median(c for _, c in timings)
        rows.append((f"(d) realistic class of {n}, {kind}", wall,
                     f"{n / wall:.1f} students/s; CPU {1000 * cpu / n:.0f} ms a student; "
                     f"runs {_spread([w for w, _ in timings])}"))
    rows += [(f"(d) one submission, cold, {kind}", t, "") for kind, t in cold.items()]
    rows.append((f"(d) peak PSS of the tree, with answers.md", None,
                 f"{n} students: {max(peaks['with answers.md']):.0f} MB; "
                 f"{max(2, n // 5)} students: {small[0]:.0f} MB"))
    return rows


def _check(out: Path, students: list[Path], score: float) -> None:
    wrong = [s.name for s in students
             if json.loads((out / s.name / "results.json").read_text())["score"] != score]
    if wrong:
        print(f"WARNING: {len(wrong)} correct submissions did not get {score:g}: {wrong[:5]}")


def _spread(values: list[float], unit: str = " s") -> str:
    return ", ".join(f"{v:.2f}" for v in values) + unit


if __name__ == "__main__":
    main()
