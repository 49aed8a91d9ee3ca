"""From the LMS and back: a download from each LMS, made as the LMS makes it, imported and
graded exactly like the same students handed in as folders; the gradebook exports carry
the LMS's own ids back, only once nothing waits for a TA (or when told to anyway); a
roster given still wins; late policies applied from the import's flags and times."""
from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess

import pytest
import yaml

from conftest import EXAMPLES, GRADE, ROOT, RUBRIC, feedback
from lms_downloads import (BlackboardAttempt, BlackboardStudent, CanvasStudent, MoodleStudent,
                           blackboard_zip, canvas_zip, folder_files, moodle_zip, student_zip)

pytestmark = pytest.mark.slow
ALICE, BOB, CAROL = (folder_files(EXAMPLES / n) for n in ("alice", "bob", "carol"))
DOWNLOADS = {
    "canvas": canvas_zip([
        CanvasStudent("Liddell, Alice", 1001, [(90, "problem1.py", b"# first try\n")] + [
            (100 + i, n, b) for i, (n, b) in enumerate(ALICE) if n != "problem1.py"]
            + [(130, "problem1-1.py", dict(ALICE)["problem1.py"])]),
        CanvasStudent("Builder, Bob", 1002, [(200, "hw3.zip", student_zip(BOB, "hw3/"))],
                      late=True),
        CanvasStudent("Carroll, Carol", 1003, [(300 + i, n, b) for i, (n, b) in enumerate(CAROL)]),
    ]),
    "moodle": moodle_zip([MoodleStudent("Alice Liddell", 501, [(f"hw/{n}", b) for n, b in ALICE]),
                          MoodleStudent("Bob Builder", 502, BOB)]),
    "blackboard": blackboard_zip("Homework 3", [
        BlackboardStudent("Alice Liddell", "aliddell", [
            BlackboardAttempt(dt.datetime(2026, 12, 1, 20, 0), [("problem1.py", b"pass\n")]),
            BlackboardAttempt(dt.datetime(2026, 12, 2, 1, 30, 5), ALICE)]),
        BlackboardStudent("Bob Builder", "bbuilder", [
            BlackboardAttempt(dt.datetime(2026, 11, 30, 9, 0), BOB)])]),
}
AS_HANDED_IN = {  # each imported folder, and the folder the student would have handed in
    "canvas": {"liddellalice_1001": "alice", "builderbob_1002": "bob",
               "carrollcarol_1003": "carol"},
    "moodle": {"Alice_Liddell_501": "alice", "Bob_Builder_502": "bob"},
    "blackboard": {"aliddell": "alice", "bbuilder": "bob"},
}


def _with_answers(name: str) -> int:
    return sum((EXAMPLES / s / "answers.md").is_file() for s in AS_HANDED_IN[name].values())


def grade(path, out, *args, timeout=900):
    return subprocess.run([*GRADE, str(path), "--out", str(out), "--jobs", "2", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def results(reports, student):
    return json.loads((reports / student / "results.json").read_text())


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    """Each download imported and graded with its LMS's export asked for, and the same
    students as plain folders (named alike, so drawn the same inputs) graded as a class."""
    root = tmp_path_factory.mktemp("lms")
    reference = root / "as-handed-in"
    done = {}
    for name, download in DOWNLOADS.items():
        (root / f"{name}.zip").write_bytes(download)
        imported = subprocess.run([*GRADE, "import", str(root / f"{name}.zip"), "--out",
                                   str(root / name)], capture_output=True, text=True, cwd=ROOT)
        assert imported.returncode == 0, imported.stderr
        done[name] = grade(root / name, root / f"{name}-reports", "--export", name)
        for folder, student in AS_HANDED_IN[name].items():
            shutil.copytree(EXAMPLES / student, reference / folder)
    done["reference"] = grade(reference, root / "reference-reports")
    assert done["reference"].returncode == 0, done["reference"].stderr
    return root, done


@pytest.mark.parametrize("name", sorted(DOWNLOADS))
def test_an_lms_download_grades_like_the_folders_handed_in(lms, name):
    root, _ = lms
    for folder in AS_HANDED_IN[name]:
        imported, alone = results(root / f"{name}-reports", folder), \
            results(root / "reference-reports", folder)
        assert feedback(imported) == feedback(alone), (name, folder)
        assert imported["score"] == alone["score"]
    got = {r["folder"]: r for r in csv.DictReader((root / name / "students.csv").open())}
    assert set(got) == set(AS_HANDED_IN[name])


def test_what_the_upload_left_aside_is_in_the_students_report(lms):
    root, _ = lms
    alice = results(root / "canvas-reports", "liddellalice_1001")["output"]
    assert "From your upload, not graded: problem1.py (replaced by a later upload of the same " \
           "name)." in alice
    assert ".aside" not in alice
    bob = results(root / "blackboard-reports", "aliddell")["output"]
    assert "problem1.py (from the earlier attempt of 2026-12-01-20-00-00: only the latest " \
           "counts)" in bob


@pytest.mark.parametrize("name", sorted(DOWNLOADS))
def test_no_export_while_items_wait_for_a_ta(lms, name):
    root, done = lms
    proc = done[name]
    students = _with_answers(name)  # a student without answers.md has nothing a TA grades
    waiting = (f"not final: {students} students wait for a TA on {4 * students} points in all "
               "(p1a_derivation, p1b_explanation, p3e_explanation)")
    assert proc.returncode == 0, proc.stderr  # grading finished: the contract's status
    assert proc.stderr.strip().splitlines()[-1] == (
        f"grade: {name}.csv not written, {waiting}: grade them (grade manual "
        f"{root / f'{name}-reports'}), or export anyway with --allow-pending")
    assert not (root / f"{name}-reports" / f"{name}.csv").exists()
    page = (root / f"{name}-reports" / "index.html").read_text()
    assert f'id="pending"><strong>Not final:</strong> {students} students wait for a TA on ' \
           f"{4 * students} points in all (p1a_derivation, p1b_explanation, " \
           "p3e_explanation)" in page


def test_the_canvas_export_carries_canvas_ids_back(lms):
    root, _ = lms
    reports = root / "canvas-reports"
    proc = grade(root / "canvas", reports, "--export", "canvas", "--allow-pending")
    assert proc.returncode == 0, proc.stderr
    assert "3 unchanged since the last run" in proc.stdout
    assert "(not final: 2 students wait for a TA on 8 points in all" in proc.stdout  # not carol
    rows = list(csv.reader((reports / "canvas.csv").open()))
    assert rows[1][0] == "Points Possible"
    # the ids are Canvas's user ids, from the names of the download's files
    assert {r[1]: r[5] for r in rows[2:]} == {"1001": "28", "1002": "14", "1003": "8"}
    names = zip_names(root / "canvas.zip")
    assert {r[1] for r in rows[2:]} == {n.split("_")[-3] for n in names}


def zip_names(path):
    import zipfile

    return [n.replace("_LATE", "") for n in zipfile.ZipFile(path).namelist()]


def test_once_the_tas_have_graded_the_export_is_written(lms):
    root, _ = lms
    reports = root / "moodle-reports"
    grades = "item,student,criteria\n" + "".join(
        f"{item},{student},\n" for student in AS_HANDED_IN["moodle"]
        for item in ("p1a_derivation", "p1b_explanation", "p3e_explanation"))
    (root / "ta.csv").write_text(grades)
    proc = subprocess.run([*GRADE, "manual", str(reports), "--import", str(root / "ta.csv")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader((reports / "moodle.csv").open()))
    assert rows[0][:4] == ["Identifier", "Full name", "Email address", "Grade"]
    assert [r[:2] + r[3:5] for r in rows[1:]] == [["Participant 501", "Alice Liddell", "28", "32"],
                                                  ["Participant 502", "Bob Builder", "14", "32"]]
    assert 'id="pending"' not in (reports / "index.html").read_text()


def test_a_roster_given_wins_and_is_checked_against_the_download(lms, tmp_path):
    root, _ = lms
    roster = tmp_path / "roster.csv"
    roster.write_text("folder,name,id,sis_id\naliddell,\"Liddell, Alice\",,S-1\n"
                      "bbuilder,\"Builder, Bob\",bob42,S-2\n")
    reports = tmp_path / "reports"
    shutil.copytree(root / "blackboard-reports", reports)
    proc = grade(root / "blackboard", reports, "--roster", roster, "--export", "blackboard",
                 "--allow-pending")
    assert proc.returncode == 0, proc.stderr
    assert "roster and LMS download disagree: bbuilder: the roster's id is bob42, the LMS " \
           "download's bbuilder (the roster's is used)" in proc.stderr
    rows = list(csv.reader((reports / "blackboard.csv").open()))
    assert rows[0][:3] == ["Last Name", "First Name", "Username"]
    assert rows[0][3] == "Highways: initialisation, UGRNN cells and residual convolutions " \
                         "[Total Pts: 32 Score]"
    # Alice's username completed from the download; Bob's, the roster's
    assert [r[2:] for r in rows[1:]] == [["aliddell", "28"], ["bbuilder", "14"]]
    grades = {r["student"]: r for r in csv.DictReader((reports / "grades.csv").open())}
    assert grades["aliddell"]["sis_id"] == "S-1" and grades["bbuilder"]["id"] == "bob42"


def test_late_policy_on_imported_flags_and_times(lms, tmp_path):
    root, _ = lms
    data = yaml.safe_load(RUBRIC.read_text())
    data["reference"] = str(ROOT / "reference")
    data["policy"] = {"late": {"due": "2026-12-01T23:59:00-05:00", "penalty": "10%",
                               "cap": "30%"}}
    rubric = tmp_path / "late.yaml"
    rubric.write_text(yaml.safe_dump(data, sort_keys=False))
    for name, late, on_time in (("blackboard", "aliddell", "bbuilder"),
                                ("canvas", "builderbob_1002", "liddellalice_1001")):
        reports = tmp_path / name
        proc = grade(root / name, reports, "--rubric", rubric)
        assert proc.returncode == 0, proc.stderr
        earned = results(root / f"{name}-reports", late)["score"]
        got = results(reports, late)
        assert sum(t["score"] for t in got["tests"]) == earned  # items keep what they earned
        assert got["score"] == pytest.approx(earned - 3.2)
        assert got["extra_data"]["late"]["deducted"] == pytest.approx(3.2)
        assert "late" not in results(reports, on_time)["extra_data"]
        total = {r["student"]: r["total"] for r in csv.DictReader((reports / "grades.csv").open())}
        assert float(total[late]) == pytest.approx(earned - 3.2)
        assert "late: 1 student lost 3.2 points in all to the rubric's late policy" in proc.stdout
    blackboard = results(tmp_path / "blackboard", "aliddell")["output"]
    assert "Late: -3.2 points: submitted 1 hour 31 minutes after the due date (2026-12-01 " \
           "23:59 UTC-05:00): 1 day started; the rubric takes 10% of the points per day " \
           "started, at most 30% of the points." in blackboard
    canvas = results(tmp_path / "canvas", "builderbob_1002")["output"]
    assert "Canvas marked it late without saying when, which counts as 1 day late" in canvas


def test_an_imported_class_of_one_is_still_a_class(tmp_path):
    download = tmp_path / "one.zip"
    download.write_bytes(moodle_zip([MoodleStudent("Ann Only", 7, CAROL)]))
    subprocess.run([*GRADE, "import", str(download), "--out", str(tmp_path / "hw")],
                   check=True, capture_output=True, cwd=ROOT)
    proc = grade(tmp_path / "hw", tmp_path / "reports", "--item", "p2a")
    assert proc.returncode == 0, proc.stderr
    assert list((tmp_path / "reports" / "Ann_Only_7" / "replay").iterdir())  # a student's
