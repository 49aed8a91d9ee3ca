#!/usr/bin/env python3
"""Benchmark: grading speed and memory as ratios to `python -c "import torch"`, in one run.

    .venv/bin/python benchmarks/bench.py [--students 200] [--naive-sample 20]

(a) one submission graded cold (a fresh `grade` process), numpy and torch-backend students;
(b) a class of correct submissions (every style in tests/corpus, cycled) with --jobs 2;
(c) the naive baseline: per submission, a fresh interpreter that imports torch (as a
    grader that may meet torch code must) and grades it, starting a fresh interpreter per
    problem file as well (GRADER_LAUNCHER=spawn); timed on a sample and scaled;
and the peak memory (PSS) of the whole process tree while one torch submission is graded.
"""
from __future__ import annotations

import argparse
import json
import os
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


def median_of(n: int, cmd: list[str], env: dict | None = None) -> float:
    return statistics.median(timed(cmd, env) for _ in range(n))


def make_class(dest: Path, n: int) -> list[Path]:
    students = []
    for i in range(n):
        path = dest / f"s{i:03d}_{CORRECT[i % len(CORRECT)].name}"
        shutil.copytree(CORRECT[i % len(CORRECT)], path)
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
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hwg-bench-"))
    import_torch = [sys.executable, "-c", "import torch"]
    numpy_student = ROOT / "submissions_example" / "alice"
    torch_student = ROOT / "tests" / "corpus" / "c_torch_add_inplace"
    # The machine's speed drifts over minutes: the baseline is timed next to each
    # measurement and the ratios use the median of all its timings.
    torch_times = [timed(import_torch) for _ in range(3)]
    cold = median_of(3, [*GRADE, str(numpy_student), "--out", str(work / "a")])
    cold_torch = median_of(3, [*GRADE, str(torch_student), "--out", str(work / "a2")])
    students = make_class(work / "class", args.students)
    class_times = []
    for k in range(args.repeat):
        torch_times += [timed(import_torch) for _ in range(3)]
        shutil.rmtree(work / "b", ignore_errors=True)
        class_times.append(timed([*GRADE, str(work / "class"), "--out", str(work / "b"),
                                  "--jobs", "2"]))
    torch_s = statistics.median(torch_times)
    klass = statistics.median(class_times)
    wrong = [s.name for s in students
             if json.loads((work / "b" / s.name / "results.json").read_text())["score"] != 18]
    spawn_env = {**os.environ, "GRADER_LAUNCHER": "spawn"}
    sample = students[:: max(1, len(students) // args.naive_sample)][: args.naive_sample]
    naive = [sys.executable, "-c", "import torch, sys; from grader.cli import main; main()"]
    naive_sample = sum(timed([*naive, str(s), "--out", str(work / "c" / s.name)], spawn_env)
                       for s in sample)
    naive_s = naive_sample * len(students) / len(sample)
    memory = peak_pss_mb([*GRADE, str(torch_student), "--out", str(work / "m")])
    shutil.rmtree(work, ignore_errors=True)
    rows = [
        ("python -c 'import torch'", torch_s, 1.0),
        ("(a) one submission, cold (numpy)", cold, cold / torch_s),
        ("(a) one submission, cold (torch backend)", cold_torch, cold_torch / torch_s),
        (f"(b) class of {len(students)} correct, --jobs 2 (median)", klass, klass / torch_s),
        (f"(c) naive, fresh interpreters ({len(sample)} timed, scaled)", naive_s, naive_s / torch_s),
    ]
    for name, seconds, ratio in rows:
        print(f"{name:<52} {seconds:8.2f} s  {ratio:6.2f}x")
    print(f"{'import torch, every timing':<52} {_spread(torch_times)}")
    print(f"{'(b) every run':<52} {_spread(class_times)}  "
          f"({_spread([t / torch_s for t in class_times], 'x')})")
    print(f"{'(b) is faster than (c) by':<52} {naive_s / klass:8.1f}x")
    print(f"{'(b) submissions per second':<52} {len(students) / klass:8.1f}")
    print(f"{'peak PSS, process tree of one torch submission':<52} {memory:8.0f} MB")
    if wrong:
        print(f"WARNING: {len(wrong)} correct submissions did not get full marks: {wrong[:5]}")


def _spread(values: list[float], unit: str = " s") -> str:
    return ", ".join(f"{v:.2f}" for v in values) + unit


if __name__ == "__main__":
    main()
