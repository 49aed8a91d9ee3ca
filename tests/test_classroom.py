"""A whole class through the real command line: same results as alone, resumable, summaries."""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import EXAMPLES, GRADE, ROOT, feedback, run_grade

pytestmark = pytest.mark.slow
SHARED = ROOT.parent / "shared" / "corpus"
MEMBERS = {"alice": EXAMPLES / "alice", "bob": EXAMPLES / "bob", "carol": EXAMPLES / "carol",
           "torchy": ROOT / "tests" / "corpus" / "c_torch_add_inplace",
           "hangs": ROOT / "tests" / "corpus" / "c_folder_hw",
           "empty": ROOT / "tests" / "corpus" / "b_empty"}


@pytest.fixture
def klass(tmp_path):
    root = tmp_path / "submissions"
    for name, src in MEMBERS.items():
        shutil.copytree(src, root / name)
    # one student whose function hangs: it must cost only that item and that student's time
    (root / "hangs" / "hw" / "problem1.py").write_text(
        (root / "hangs" / "hw" / "problem1.py").read_text().replace(
            "def init_variance(d_x):", "def init_variance(d_x):\n    while True:\n        pass"))
    return root


def _grade_class(root, out, *args):
    return subprocess.run([*GRADE, str(root), "--out", str(out), "--jobs", "2", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_class_results_equal_grading_each_alone(klass, tmp_path):
    proc = _grade_class(klass, tmp_path / "class")
    assert proc.returncode == 0, proc.stderr
    assert "6 students: 6 graded" in proc.stdout
    for name in MEMBERS:
        in_class = json.loads((tmp_path / "class" / name / "results.json").read_text())
        _, alone = run_grade(klass / name, tmp_path / "alone" / name)
        assert feedback(in_class) == feedback(alone), name
        assert (tmp_path / "class" / name / "report.html").exists()
    hangs = json.loads((tmp_path / "class" / "hangs" / "results.json").read_text())
    assert [t["extra_data"]["item"] for t in hangs["tests"] if t["status"] == "failed"] == ["p1a"]


def test_grades_csv_and_summary(klass, tmp_path):
    out = tmp_path / "class"
    proc = _grade_class(klass, out)
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["student"] for r in rows] == sorted(MEMBERS)
    assert list(rows[0])[:4] == ["student", "total", "max", "p1a"]
    by = {r["student"]: r for r in rows}
    assert by["alice"]["total"] == "18" and by["bob"]["total"] == "10" and by["empty"]["total"] == "0"
    assert by["bob"]["p1a"] == "0" and by["bob"]["p3e"] == "0" and by["bob"]["p2a"] == "1"
    assert "score: mean" in proc.stdout and "slowest: hangs" in proc.stdout
    html = (out / "index.html").read_text()
    assert "<svg" in html and 'href="alice/report.html"' in html and "p1a_std" in html
    assert not any(s in html for s in ("http://", "https://", "<link", "src="))


def test_rerun_regrades_only_what_changed(klass, tmp_path):
    out = tmp_path / "class"
    _grade_class(klass, out)
    stamp = {n: (out / n / "results.json").stat().st_mtime_ns for n in MEMBERS}
    proc = _grade_class(klass, out)
    assert "0 graded, 6 unchanged" in proc.stdout
    assert stamp == {n: (out / n / "results.json").stat().st_mtime_ns for n in MEMBERS}
    (klass / "bob" / "problem1.py").write_text(
        (klass / "bob" / "problem1.py").read_text().replace("math.sqrt(d_x)", "d_x"))
    proc = _grade_class(klass, out)
    assert "1 graded, 5 unchanged" in proc.stdout
    assert "--force" not in proc.stdout
    assert "6 graded" in _grade_class(klass, out, "--force").stdout


def test_an_interrupted_run_loses_nothing_and_resumes(klass, tmp_path):
    out = tmp_path / "class"
    for i in range(6):  # more students than jobs, so the run is still going when stopped
        shutil.copytree(klass / "alice", klass / f"extra{i}")
    proc = subprocess.Popen([*GRADE, str(klass), "--out", str(out), "--jobs", "1"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob("*/results.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {p.parent.name for p in out.glob("*/results.json")}
    assert 3 <= len(done) < 12
    for path in out.glob("*/results.json"):  # written atomically: never half a file
        json.loads(path.read_text())
    proc = _grade_class(klass, out)
    assert f"{12 - len(done)} graded, {len(done)} unchanged" in proc.stdout, proc.stdout
    assert len(list(csv.DictReader((out / "grades.csv").open()))) == 12


def test_one_subfolder_is_a_submission_and_class_flag_says_otherwise(tmp_path):
    root = tmp_path / "upload"
    shutil.copytree(EXAMPLES / "alice", root / "hw")
    proc = subprocess.run([*GRADE, str(root), "--out", str(tmp_path / "one")], cwd=ROOT,
                          capture_output=True, text=True)
    assert (tmp_path / "one" / "results.json").exists() and "upload: 18 / 18" in proc.stdout
    proc = subprocess.run([*GRADE, str(root), "--out", str(tmp_path / "cls"), "--class"],
                          cwd=ROOT, capture_output=True, text=True)
    assert (tmp_path / "cls" / "hw" / "results.json").exists()
    assert (tmp_path / "cls" / "grades.csv").exists()


def test_a_shared_seed_gives_each_student_what_grading_alone_gives(tmp_path):
    """With --seed, students share inputs and the grader computes each reference value
    once; results must not change because of it."""
    root = tmp_path / "submissions"
    for name in ("alice", "bob", "carol"):
        shutil.copytree(MEMBERS[name], root / name)
    _grade_class(root, tmp_path / "class", "--seed", "7")
    for name in ("alice", "bob", "carol"):
        in_class = json.loads((tmp_path / "class" / name / "results.json").read_text())
        _, alone = run_grade(root / name, tmp_path / "alone" / name, "--seed", "7")
        assert feedback(in_class) == feedback(alone), name
        assert in_class["extra_data"]["seed"] == 7


def test_a_class_replay_writes_beside_each_student_and_keeps_the_gradebook(tmp_path):
    root = tmp_path / "submissions"
    for name in ("alice", "bob"):
        shutil.copytree(MEMBERS[name], root / name)
    out = tmp_path / "class"
    _grade_class(root, out)
    kept = {p: p.read_bytes() for p in [out / "grades.csv", out / "index.html",
                                        *out.glob("*/results.json")]}
    proc = _grade_class(root, out, "--item", "p2c_f", "--seed", "5")
    assert proc.returncode == 0, proc.stderr
    assert {p: p.read_bytes() for p in kept} == kept
    for name in ("alice", "bob"):
        replay = json.loads((out / name / "replay" / "p2c_f-5" / "results.json").read_text())
        assert [t["extra_data"]["item"] for t in replay["tests"]] == ["p2c_f"]
    assert "replays:" in proc.stdout
