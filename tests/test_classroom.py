"""A whole class through the real command line: same results as alone, resumable, summaries."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import pytest

from conftest import EXAMPLES, GRADE, ROOT, RUN_TOKEN, WRITTEN, feedback, run_grade

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
    assert [t["extra_data"]["item"] for t in hangs["tests"] if t["status"] == "failed"
            and t["extra_data"]["kind"] not in WRITTEN] == ["p1a"]


def test_in_a_class_a_grade_is_a_property_of_the_code(tmp_path):
    """Issue 19, items 3-4: students whose code does the same (comments aside) get the
    seed and grade `grade` gives each alone, whatever their folder's name; code wrong
    whenever d_x = 5 fails p2b for every one of them."""
    from shopping import lucky, recommented, retouched

    wrong = lucky(tmp_path / "wrong")
    root = tmp_path / "submissions"
    shutil.copytree(wrong, root / "ann")
    recommented(wrong, root / "ben", 1)
    recommented(wrong, root / "cy", 2)
    retouched(wrong, root / "dee", 3)
    retouched(wrong, root / "eve", 4)
    proc = _grade_class(root, tmp_path / "class")
    assert proc.returncode == 0, proc.stderr
    results = {name: json.loads((tmp_path / "class" / name / "results.json").read_text())
               for name in ("ann", "ben", "cy", "dee", "eve")}
    seeds = {name: r["extra_data"]["seed"] for name, r in results.items()}
    assert seeds["ann"] == seeds["ben"] == seeds["cy"]
    assert len({seeds["ann"], seeds["dee"], seeds["eve"]}) == 3
    assert feedback(results["ben"]) == feedback(results["ann"])
    for name, r in results.items():
        p2b = next(t for t in r["tests"] if t["extra_data"]["item"] == "p2b")
        assert p2b["score"] == 0, name
    _, alone = run_grade(root / "dee", tmp_path / "alone")
    assert feedback(alone) == feedback(results["dee"])


def test_grades_csv_and_summary(klass, tmp_path):
    out = tmp_path / "class"
    proc = _grade_class(klass, out)
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["student"] for r in rows] == sorted(MEMBERS)
    assert list(rows[0])[:4] == ["student", "total", "max", "p1a"]
    by = {r["student"]: r for r in rows}
    assert by["alice"]["total"] == "28" and by["bob"]["total"] == "14" and by["empty"]["total"] == "0"
    assert by["alice"]["waiting_for_ta"] == "p1a_derivation p1b_explanation p3e_explanation"
    assert by["alice"]["p1a_derivation"] == "" and by["alice"]["p1a_answer"] == "1"
    assert by["bob"]["p1a"] == "0" and by["bob"]["p3e"] == "0" and by["bob"]["p2a"] == "1"
    assert "score: mean" in proc.stdout
    # the hanging student is among the slowest three; torch's import may outrun it under load
    slow_line = next(line for line in proc.stdout.splitlines() if line.startswith("slowest: "))
    assert "hangs (" in slow_line, slow_line
    html = (out / "index.html").read_text()
    assert 'id="histogram"' in html and 'href="alice/report.html"' in html and "p1a_std" in html
    assert "You returned the standard deviation</span> × 1" in html and "timed out × 1" in html
    offline = html.replace('xmlns="http://www.w3.org/1998/Math/MathML"', "")  # a name only
    assert not any(s in offline for s in ("http://", "https://", "<link", "src="))


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
    while len([p for p in out.glob("*/results.json") if (p.parent / "report.html").exists()]
              ) < 3 and time.monotonic() < deadline:  # three whole gradings at least
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {p.parent.name for p in out.glob("*/results.json")
            if (p.parent / "report.html").exists()}  # killed between the two: regraded
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
    assert (tmp_path / "one" / "results.json").exists() and "upload: 28 / 32" in proc.stdout
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


def _slow_class(root, n: int):
    """n students whose first function takes 0.3 s a call: a class that takes a while."""
    for i in range(n):
        dest = root / f"s{i:02}"
        shutil.copytree(EXAMPLES / "alice", dest)
        text = (dest / "problem1.py").read_text()
        (dest / "problem1.py").write_text(text.replace(
            "def init_variance(d_x):", "def init_variance(d_x):\n    import time\n    time.sleep(0.3)", 1))


def _ctrl_c_in_a_terminal(args: list[str], presses: int, after: float | Callable[[], bool],
                          left: Optional[Path] = None) -> tuple[int, float, str]:
    """Run `grade` in a pseudo-terminal and press Ctrl-C (the terminal sends SIGINT to its
    foreground process group) `presses` times, `after` seconds in (or once `after()` is
    true, within two minutes); return its exit status,
    the seconds from the first press to its end, and what it printed. With `left`, grade
    runs under tests/subreaper.py, which writes there what it left running when it exited."""
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes grade
        import fcntl
        import struct
        import termios

        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))  # as a terminal's
        os.chdir(ROOT)
        reaper = [sys.executable, str(ROOT / "tests" / "subreaper.py"), str(left)] if left else []
        command = [*reaper, *GRADE, *args]
        os.execv(command[0], command)
    printed, start = bytearray(), time.monotonic()

    def read(timeout: float) -> bool:
        if select.select([fd], [], [], timeout)[0]:
            try:
                printed.extend(os.read(fd, 65536))
            except OSError:
                return False
        return True

    while (not after() and time.monotonic() - start < 120) if callable(after) \
            else time.monotonic() - start < after:
        read(0.1)
    pressed = time.monotonic()
    for _ in range(presses):
        os.write(fd, b"\x03")
        read(0.3)
    reaped, status = 0, 0
    while read(0.2) and time.monotonic() - pressed < 60:
        reaped, status = os.waitpid(pid, os.WNOHANG)
        if reaped:  # its status is this one: a second waitpid would find no child
            break
    if not reaped:  # still running a minute after the presses: a failure, not a hang
        os.killpg(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), time.monotonic() - pressed, printed.decode(
        "utf-8", "replace")


def _ours_running(out) -> list[str]:
    from hostile import leftovers

    mine = [p for p in leftovers()]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if str(out).encode() in open(f"/proc/{pid}/cmdline", "rb").read():
                mine.append(pid)
        except OSError:
            pass
    return mine


def _eventually_none_running(out, within: float = 3.0) -> None:
    """Processes being torn down (a PID namespace emptied) get a moment to go."""
    deadline = time.monotonic() + within
    while _ours_running(out) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ours_running(out) == []


def test_ctrl_c_stops_a_class_writes_what_was_graded_and_resumes(tmp_path):
    root, out = tmp_path / "submissions", tmp_path / "class"
    _slow_class(root, 8)
    graded_two = lambda: len(list(out.glob("*/report.html"))) >= 2  # noqa: E731
    code, seconds, printed = _ctrl_c_in_a_terminal(
        [str(root), "--out", str(out), "--jobs", "2"], presses=1, after=graded_two)
    assert code == 130, printed[-2000:]
    assert seconds < 5  # the students in flight were stopped, not finished
    rows = list(csv.DictReader((out / "grades.csv").open()))
    graded = [r["student"] for r in rows if r["status"] == "graded"]
    waiting = [r["student"] for r in rows if r["status"] == "not graded yet"]
    assert len(rows) == 8 and graded and waiting and len(graded) + len(waiting) == 8
    for name in graded:
        json.loads((out / name / "results.json").read_text())  # whole, never half
    page = (out / "index.html").read_text()
    assert 'id="partial"' in page and f"grade {root} --out {out} --jobs 2" in page
    assert "resume with: grade" in printed
    _eventually_none_running(out)
    again = _grade_class(root, out)
    assert f"{len(waiting)} graded, {len(graded)} unchanged" in again.stdout, again.stdout
    assert 'id="partial"' not in (out / "index.html").read_text()


def test_a_student_whose_outputs_were_whole_when_the_run_stopped_counts_as_graded(tmp_path):
    """Ctrl-C may come after a worker wrote a student's outputs and before its outcome
    reached the grader: the gradebook of the stopped run lists them as graded (the next
    run finds them unchanged), but not an earlier run's outputs, another fingerprint's,
    or those of a grading the grader failed."""
    from grader.classroom.run import FINGERPRINT, ClassRun, Student, _finished_meanwhile

    def student(name: str, fingerprint: str, extra: Optional[dict] = None) -> Student:
        s = Student(name, tmp_path / "in" / name, tmp_path / "out" / name, tmp_path / "out" / name)
        s.out.mkdir(parents=True)
        results = {"score": 1.0, "tests": [], "extra_data": {FINGERPRINT: fingerprint, **(extra or {})}}
        (s.out / "results.json").write_text(json.dumps(results))
        (s.out / "report.html").write_text("<html></html>")
        return s

    old = student("old", "p-old")
    os.utime(old.out / "report.html", (time.time() - 600, time.time() - 600))
    began = time.time() - 60
    todo = [(student("done", "p-done"), "p-done", {}), (old, "p-old", {}),
            (student("other", "p-before"), "p-other", {}),
            (student("failed", "p-failed", {"internal_error": "boom"}), "p-failed", {}),
            (Student("none", tmp_path / "in" / "none", tmp_path / "out" / "none",
                     tmp_path / "out" / "none"), "p-none", {})]
    run = ClassRun([s for s, _, _ in todo])
    _finished_meanwhile(run, todo, began)
    assert run.graded == ["done"] and list(run.results) == ["done"]
    assert run.not_graded == ["old", "other", "failed", "none"]


def test_after_one_ctrl_c_nothing_of_the_run_outlives_the_grader(tmp_path):
    """The grader waits for its own processes (workers, fork server, zygotes, sandboxes)
    before it exits 130: a resume started at once races none of them (issue 23). While it
    runs, the progress bar names the students in flight."""
    root, out, left = tmp_path / "submissions", tmp_path / "class", tmp_path / "left.json"
    _slow_class(root, 12)
    graded = lambda: len(list(out.glob("*/report.html"))) >= 2  # noqa: E731 - in full swing
    code, seconds, printed = _ctrl_c_in_a_terminal(
        [str(root), "--out", str(out), "--jobs", "2"], presses=1, after=graded, left=left)
    assert code == 130, printed[-2000:]
    assert seconds < 5
    report = json.loads(left.read_text())
    assert report["code"] == 130 and report["left"] == {}, report
    assert re.search(r"grading s\d\d \(\d+ s\)", printed), printed[-2000:]


def test_a_second_ctrl_c_exits_at_once_and_leaves_nothing_running(tmp_path):
    root, out = tmp_path / "submissions", tmp_path / "class"
    _slow_class(root, 8)
    code, seconds, printed = _ctrl_c_in_a_terminal(
        [str(root), "--out", str(out), "--jobs", "2"], presses=2, after=6)
    assert code in (130, -signal.SIGINT), printed[-2000:]
    assert seconds < 3
    _eventually_none_running(out)


def _scores_by_item(out) -> dict[tuple[str, str], float]:
    return {(p.parent.name, t["extra_data"]["item"]): t["score"]
            for p in out.glob("*/results.json")
            for t in json.loads(p.read_text())["tests"]}


def test_a_rubric_change_is_shown_student_by_student_and_a_dry_run_replaces_nothing(tmp_path):
    import yaml

    root, out = tmp_path / "submissions", tmp_path / "class"
    for name in ("alice", "bob", "carol"):
        shutil.copytree(MEMBERS[name], root / name)
    rubric = tmp_path / "rubric.yaml"
    data = yaml.safe_load((ROOT / "rubrics" / "highways.yaml").read_text())
    data.update(reference=str(ROOT / "reference"), handout=str(ROOT / "docs" / "handout.md"))
    rubric.write_text(yaml.safe_dump(data, sort_keys=False))
    _grade_class(root, out, "--rubric", str(rubric))
    before = _scores_by_item(out)
    kept = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # The night after the deadline: p2a is worth 3 points, p3e's tolerance is loosened a
    # thousandfold (bob's flipped kernel still fails), p3b is dropped.
    items = {i["id"]: i for i in data["items"]}
    items["p2a"]["points"] = 3
    items["p3e"]["rtol"] = 0.1
    data["items"] = [i for i in data["items"] if i["id"] != "p3b"]
    data["total_points"] = sum(i["points"] for i in data["items"])
    rubric.write_text(yaml.safe_dump(data, sort_keys=False))
    dry = _grade_class(root, out, "--rubric", str(rubric), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == kept
    assert "changes since the last run: 3 students" in dry.stdout
    real = _grade_class(root, out, "--rubric", str(rubric))
    after = _scores_by_item(out)
    diff = {key: (before.get(key), after.get(key)) for key in before.keys() | after.keys()
            if before.get(key) != after.get(key)}
    rows = list(csv.DictReader((out / "changes.csv").open()))
    listed = {(r["student"], r["item"]): (float(r["old_score"]) if r["old_score"] else None,
                                          float(r["new_score"]) if r["new_score"] else None)
              for r in rows}
    assert listed == diff and diff
    assert all(r["changed"] == "the grading" for r in rows)
    page = (out / "index.html").read_text()
    assert 'id="changes"' in page and "Changes since the last run" in page
    assert dry.stdout.splitlines()[3:7] == real.stdout.splitlines()[3:7]


def test_a_roster_names_students_lists_the_absent_and_flags_strangers(tmp_path):
    root, out = tmp_path / "submissions", tmp_path / "class"
    for name in ("alice", "bob", "carol"):
        shutil.copytree(MEMBERS[name], root / name)
    roster = tmp_path / "roster.csv"
    roster.write_text('\ufeffFolder,Student Name,Email,ID,SIS User ID,Section\n'
                      'alice,"Liddell, Alice",alice@uni.example,1001,S-1,A\n'
                      'bob,"Builder, Bob",bob@uni.example,1002,S-2,B\n'
                      'dora,"Explorer, Dora",dora@uni.example,1004,S-4,A\n')
    # manual items wait for a TA: the export is not final (tests/test_lms_grading.py)
    proc = _grade_class(root, out, "--roster", str(roster), "--export", "canvas",
                        "--allow-pending")
    assert proc.returncode == 0, proc.stderr
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["alice"]["name"] == "Liddell, Alice" and rows["alice"]["total"] == "28"
    assert rows["dora"]["status"] == "no submission" and rows["dora"]["total"] == "0"
    assert rows["dora"]["p1a"] == "0" and rows["dora"]["max"] == "32"
    assert rows["carol"]["roster"] == "not in the roster" and rows["carol"]["total"] == "8"
    assert rows["bob"]["sis_id"] == "S-2" and rows["bob"]["roster"] == ""
    canvas = list(csv.reader((out / "canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         "Highways: initialisation, UGRNN cells and residual convolutions"]
    assert canvas[1][0] == "Points Possible" and canvas[1][-1] == "32"
    assert canvas[2:] == [["Builder, Bob", "1002", "S-2", "bob@uni.example", "B", "14"],
                          ["Explorer, Dora", "1004", "S-4", "dora@uni.example", "A", "0"],
                          ["Liddell, Alice", "1001", "S-1", "alice@uni.example", "A", "28"]]
    page = (out / "index.html").read_text()
    assert 'id="absent"' in page and "Explorer, Dora" in page
    assert 'id="strangers"' in page and "Liddell, Alice" in page
    assert "no submission (1, scored 0): dora" in proc.stdout
    assert "not in the roster (1): carol" in proc.stdout


@pytest.mark.parametrize("text, message", [
    ("name,email\nAlice,a@x\n", "no column names the submission folder"),
    ("folder,name\nalice,A\nalice,B\n", "roster.csv:3: folder 'alice' is listed twice"),
])
def test_a_roster_that_cannot_be_used_is_one_clear_line(text, message, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    proc = _grade_class(EXAMPLES, tmp_path / "out", "--class", "--roster", str(roster))
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_a_canvas_export_needs_the_roster(tmp_path):
    proc = _grade_class(EXAMPLES, tmp_path / "out", "--class", "--export", "canvas")
    assert proc.returncode == 2 and "needs --roster" in proc.stderr


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_rubric_copied_beside_the_class_is_refused_before_any_student_is_touched(tmp_path):
    """README's commands as a new instructor types them, from the class's folder, with the
    rubric copied next to the class: its `reference: ../reference` then names a folder that
    is not there. Exit 4 with the file:line, and the graded class exactly as it was; then,
    the rubric fixed, a dry run that writes nothing, /tmp included (issue 23)."""
    names = {name: f"{name}{RUN_TOKEN}" for name in ("alice", "bob", "carol")}  # ours alone
    for name, folder in names.items():
        shutil.copytree(MEMBERS[name], tmp_path / "submissions" / folder)
    graded = subprocess.run([*GRADE, "submissions/", "--out", "reports/", "--jobs", "2"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert graded.returncode == 0, graded.stderr
    before = _files(tmp_path / "reports")
    rubric = tmp_path / "looser.yaml"
    rubric.write_text((ROOT / "rubrics" / "highways.yaml").read_text().replace(
        "rtol: 1.0e-6        # ten times", "rtol: 1.0e-4        # ten times", 1))
    proc = subprocess.run([*GRADE, "submissions/", "--out", "reports/", "--rubric",
                           "looser.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    line = next(i for i, text in enumerate(rubric.read_text().splitlines(), 1)
                if text.startswith("reference:"))
    assert proc.stderr.splitlines()[1].startswith(
        f"looser.yaml:{line}: reference: '../reference' is {tmp_path.parent / 'reference'}, "
        "which is not a folder (a rubric's paths are relative to the rubric's own folder"), \
        proc.stderr
    assert "ReferenceError_" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert _files(tmp_path / "reports") == before
    rubric.write_text(rubric.read_text().replace("reference: ../reference",
                                                 f"reference: {ROOT / 'reference'}", 1))
    dry = subprocess.run([*GRADE, "submissions/", "--out", "reports/", "--rubric",
                          "looser.yaml", "--dry-run"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing in reports was written or replaced" in dry.stdout
    assert _files(tmp_path / "reports") == before
    left = [p for p in Path(tempfile.gettempdir()).glob("grade-dry-run-*/*")
            if p.name in names.values()]
    assert left == []


def test_a_grader_failing_on_the_first_students_stops_and_replaces_no_good_result(tmp_path):
    """The second line of defence: a reference that raises (its name is there, so the
    checks before grading pass) fails the grader on every student. The run stops after
    the first ones, says what it kept and why, and every file of the graded class stays
    as it was (issue 23)."""
    import yaml

    root, out = tmp_path / "submissions", tmp_path / "class"
    for name in ("alice", "bob", "carol", "torchy"):
        shutil.copytree(MEMBERS[name], root / name)
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    data = yaml.safe_load((ROOT / "rubrics" / "highways.yaml").read_text())
    data.update(reference=str(tmp_path / "reference"), handout=str(ROOT / "docs" / "handout.md"))
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(yaml.safe_dump(data, sort_keys=False))
    assert _grade_class(root, out, "--rubric", str(rubric)).returncode == 0
    before = _files(out)
    with (tmp_path / "reference" / "problem2.py").open("a") as fh:
        fh.write("\n\ndef split_weights(W, d_x):\n    raise RuntimeError('a broken reference')\n")
    proc = _grade_class(root, out, "--rubric", str(rubric))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "grade: stopped: the grader itself failed on each of the first 3 students it " \
        "graded" in proc.stderr and "RuntimeError: a broken reference" in proc.stderr
    assert "Kept as they were: the last results of the" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _files(out) == before


def test_the_progress_names_the_students_being_graded(tmp_path):
    """A slow student is seen while it runs: each progress line names who is in flight,
    and for how long (issue 23)."""
    root = tmp_path / "submissions"
    for name in ("alice", "bob", "carol"):
        shutil.copytree(MEMBERS[name], root / name)
    shutil.copytree(MEMBERS["alice"], root / "a_slow")  # first in line, and slow to import
    problem1 = root / "a_slow" / "problem1.py"
    problem1.write_text("import time\ntime.sleep(12)\n" + problem1.read_text())
    proc = _grade_class(root, tmp_path / "class")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^graded [123]/4: (alice|bob|carol); grading a_slow \(\d+ s\)$",
                     proc.stderr, re.M), proc.stderr
    assert re.search(r"^graded 4/4: \w+$", proc.stderr, re.M), proc.stderr


@pytest.mark.parametrize("totals, top, labels", [
    ([14, 8, 28], 32, ["0–4", "5–9", "10–14", "15–19", "20–24", "25–29", "30–32"]),
    ([0, 20], 20, ["0–1", "2–3", "4–5", "6–7", "8–9", "10–11", "12–13", "14–15", "16–17",
                   "18–19", "20"]),
    ([3, 10], 10, [str(k) for k in range(11)]),
    ([14.5, 8], 32, ["0–4.5", "5–9.5", "10–14.5", "15–19.5", "20–24.5", "25–29.5", "30–32"]),
])
def test_histogram_bins_are_ones_a_person_reads(totals, top, labels):
    """Whole points give whole bins of 1, 2, 5, 10... points, at most 12 of them, each
    labelled by the totals it holds (issue 23: not 3.2 points wide)."""
    from grader.classroom.outputs import histogram

    bins = histogram(totals, top)
    assert [label for label, _ in bins] == labels
    assert sum(n for _, n in bins) == len(totals)
