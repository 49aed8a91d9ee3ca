"""Hostile submission files, read by the grader as root (issue 10, family 3): symlinks out,
things that are not regular files, huge and many files, names that are not UTF-8, and
student folders named like the class's own outputs. Graded singly, in Gradescope's
layout and as a class; every case ends in time, with every honest item at full marks."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from autograder import autograder_root, build_zip, run_autograder
from conftest import EXAMPLES, GRADE, ROOT, short_items
from hostile import grade_with_peak, leftovers

pytestmark = pytest.mark.slow
P1 = {"p1a", "p1b", "p1b_exact"}


def _alice(tmp_path: Path, name: str = "sub") -> Path:
    dest = tmp_path / name
    shutil.copytree(EXAMPLES / "alice", dest)
    return dest


def _symlink(target: str, name: str):
    def make(sub: Path) -> None:
        (sub / name).unlink(missing_ok=True)
        os.symlink(target, sub / name)
    return make


def _fifo(name: str):
    def make(sub: Path) -> None:
        (sub / name).unlink(missing_ok=True)
        os.mkfifo(sub / name)
    return make


def _sparse(sub: Path) -> None:
    with open(sub / "data.bin", "wb") as fh:
        fh.truncate(3 << 30)  # 3 GiB, no blocks on disk


def _many_before(sub: Path) -> None:
    (sub / "0_dataset.npy").write_bytes(os.urandom(1 << 20) * 60)  # 60 MB, sorts first
    for i in range(2000):
        (sub / f"00_note_{i:04}.txt").write_text("x" * 100)


def _bytes_names(sub: Path) -> None:
    os.mkdir(os.fsencode(sub) + b"/d\xe9j\xe0 vu")
    Path(os.fsdecode(os.fsencode(sub) + b"/d\xe9j\xe0 vu/notes \xff.txt")).write_text("n")
    Path(os.fsdecode(os.fsencode(sub) + b"/helper_\xfe.py")).write_text("X = 1\n")


CASES = {
    # name: (how to spoil alice's folder, items lost, text in the overall output)
    "problem_file_links_to_kmsg": (_symlink("/proc/kmsg", "problem1.py"), P1, ""),
    "helper_links_to_kmsg": (_symlink("/proc/kmsg", "helpers.py"), set(), ""),
    "folder_links_to_root": (_symlink("/", "everything"), set(), ""),
    "helper_links_to_zero": (_symlink("/dev/zero", "torch_helpers.py"), set(), ""),
    "fifo_problem_file": (_fifo("problem2.py"), {"p2a", "p2b", "p2c_f", "p2c_h", "p2c_d"}, ""),
    "fifo_helper": (_fifo("helper.py"), set(), ""),
    "sparse_3_gib": (_sparse, set(), "data.bin (3.0 GB)"),
    "many_files_first": (_many_before, set(), "and 1,"),
    "names_not_utf8": (_bytes_names, set(), ""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_submission_files_cannot_stop_or_starve_the_grader(case, fast_rubric, tmp_path):
    spoil, lost, note = CASES[case]
    sub = _alice(tmp_path)
    spoil(sub)
    start = time.monotonic()
    proc, peak = grade_with_peak(sub, tmp_path / "out", "--rubric", str(fast_rubric),
                                 timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert time.monotonic() - start < 60
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert "internal_error" not in results["extra_data"]
    assert short_items(results) == lost
    assert note in results["output"]
    assert peak < 400, peak  # nothing was read whole
    assert leftovers() == []


def test_files_left_out_are_named_and_problem_files_still_copied(fast_rubric, tmp_path):
    sub = _alice(tmp_path)
    _many_before(sub)
    proc, _ = grade_with_peak(sub, tmp_path / "out", "--rubric", str(fast_rubric))
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["score"] == 28
    assert "Not copied for grading" in results["output"]
    assert "Not copied for grading" in (tmp_path / "out" / "report.html").read_text()
    assert "Not copied for grading" in proc.stdout


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return build_zip(tmp_path_factory.mktemp("zip") / "autograder.zip")


@pytest.mark.parametrize("case", ["problem_file_links_to_kmsg", "fifo_helper", "sparse_3_gib",
                                  "names_not_utf8"])
def test_gradescope_layout_survives_the_same_files(case, autograder_zip, tmp_path):
    sub = _alice(tmp_path, "upload")
    CASES[case][0](sub)
    root = autograder_root(tmp_path, autograder_zip, None)
    for entry in os.listdir(os.fsencode(sub)):  # copytree would follow the links
        os.rename(os.fsencode(sub) + b"/" + entry, os.fsencode(root / "submission") + b"/" + entry)
    results = run_autograder(root)
    assert {t["extra_data"]["item"] for t in results["tests"]
            if t["score"] < t["max_score"]} == CASES[case][1]


def test_a_class_with_odd_names_writes_every_output(fast_rubric, tmp_path):
    klass = tmp_path / "class"
    for name in ("index.html", "grades.csv", "bob"):
        shutil.copytree(EXAMPLES / ("bob" if name == "bob" else "alice"), klass / name)
    odd = os.fsencode(klass) + b"/caf\xe9 \xff"
    shutil.copytree(EXAMPLES / "alice", os.fsdecode(odd))
    _bytes_names(Path(os.fsdecode(odd)))
    out = tmp_path / "out"
    proc = subprocess.run([*GRADE, str(klass), "--out", str(out), "--jobs", "2", "--rubric",
                           str(fast_rubric)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "index.html").is_file() and (out / "grades.csv").is_file()
    assert (out / "index.html.student" / "results.json").is_file()
    assert (out / "grades.csv.student" / "results.json").is_file()
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 5 and any(r.startswith("caf\\xe9 \\xff,28,") for r in rows)
    page = (out / "index.html").read_text()
    assert 'href="index.html.student/report.html"' in page
    assert 'href="caf%E9%20%FF/report.html"' in page
    assert "4 students: 4 graded" in proc.stdout
