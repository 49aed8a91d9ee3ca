#!/usr/bin/env python3
"""Benchmark: what the generic diagnosis (grader/engine/diagnose/) adds to a class's grading.

    .venv/bin/python benchmarks/diagnosis.py [--rounds 3] [--copies 2]

The class: every submission of tests/corpus (right, wrong and hostile), and every
undeclared mistake of tests/undeclared.py written into a copy of a correct submission,
each `--copies` times. It is graded with `--jobs 2 --force`, alternately with the shipped
rubric and with the same rubric with `diagnose: false` on every item; the medians of
`--rounds` runs are compared.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from undeclared import MISTAKES  # noqa: E402

GRADE = [sys.executable, "-m", "grader.cli"]


def make_class(where: Path, copies: int) -> int:
    n = 0
    for k in range(copies):
        for folder in sorted((ROOT / "tests" / "corpus").iterdir()):
            if folder.is_dir():
                shutil.copytree(folder, where / f"{folder.name}-{k}", symlinks=True)
                n += 1
        for case in MISTAKES:
            target = where / f"u_{case.name}-{k}"
            shutil.copytree(ROOT / "submissions_example" / "alice", target)
            path = target / f"{case.module}.py"
            path.write_text("import numpy as np\n" + path.read_text().replace(case.old, case.new))
            n += 1
    return n


def quiet_rubric(where: Path) -> Path:
    data = yaml.safe_load((ROOT / "rubrics" / "highways.yaml").read_text())
    data["reference"] = str(ROOT / "reference")
    data["handout"] = str(ROOT / "docs" / "handout.md")
    for item in data["items"]:
        item["diagnose"] = False
    path = where / "quiet.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def grade(klass: Path, out: Path, rubric: Path) -> float:
    start = time.perf_counter()
    subprocess.run([*GRADE, str(klass), "--out", str(out), "--jobs", "2", "--force",
                    "--rubric", str(rubric)], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--copies", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        n = make_class(tmp_path / "class", args.copies)
        rubrics = {"with diagnosis": ROOT / "rubrics" / "highways.yaml",
                   "diagnose: false": quiet_rubric(tmp_path)}
        grade(tmp_path / "class", tmp_path / "warm", rubrics["with diagnosis"])  # caches
        times: dict[str, list[float]] = {k: [] for k in rubrics}
        for r in range(args.rounds):
            for name, rubric in (rubrics.items() if r % 2 == 0 else reversed(rubrics.items())):
                times[name].append(grade(tmp_path / "class", tmp_path / "out", rubric))
                print(f"round {r + 1}: {name}: {times[name][-1]:.1f} s", flush=True)
    on, off = (statistics.median(times[k]) for k in rubrics)
    print(f"{n} students, --jobs 2: with diagnosis {on:.1f} s, without {off:.1f} s "
          f"(median of {args.rounds}): the diagnosis adds {100 * (on - off) / off:+.1f}%")


if __name__ == "__main__":
    main()
