"""`grade import`: LMS downloads made as Canvas, Moodle and Blackboard make them, turned
into one folder per student with students.csv; nothing dropped silently, nothing written
outside the output folder, whatever the download or a student's zip holds."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLES, GRADE, ROOT
from lms_downloads import (BlackboardAttempt, BlackboardStudent, CanvasStudent, MoodleStudent,
                           blackboard_zip, canvas_reupload_name, canvas_zip, folder_files,
                           moodle_zip, student_zip)

ALICE, BOB, CAROL = (folder_files(EXAMPLES / n) for n in ("alice", "bob", "carol"))
EXPECTED = frozenset({"problem1.py", "problem2.py", "problem3.py", "answers.md"})


def run_import(download: bytes | Path, out: Path, lms: str | None = None):
    from grader.lms import import_download

    if isinstance(download, bytes):
        path = out.parent / f"{out.name}.zip"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(download)
        download = path
    return import_download(download, out, lms, EXPECTED)


def rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((out / "students.csv").open(encoding="utf-8")))


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def canvas_class() -> list[CanvasStudent]:
    alice = dict(ALICE)
    again = canvas_reupload_name("problem1.py", {"problem1.py"})
    assert again == "problem1-1.py"  # what Canvas calls a file uploaded again
    return [
        CanvasStudent("Liddell, Alice", 1001, [
            (100, "problem1.py", b"# the first try\n"), *[
                (101 + i, n, b) for i, (n, b) in enumerate(ALICE) if n != "problem1.py"],
            (130, again, alice["problem1.py"])]),
        CanvasStudent("Builder, Bob", 1002, [(200, "hw3.zip", student_zip(BOB, "hw3/"))],
                      late=True),
        CanvasStudent("Carol_2_Smith, Carol", 1003, [(300 + i, n, b)
                                                     for i, (n, b) in enumerate(CAROL)]),
        CanvasStudent("Text, Tom", 1004, [], text_entry="<p>my answer</p>"),
    ]


def test_canvas_download_becomes_a_folder_per_student(tmp_path):
    out = tmp_path / "class"
    summary = run_import(canvas_zip(canvas_class()), out)
    assert summary.lms == "canvas"
    assert tree(out / "liddellalice_1001") == dict(ALICE)  # the re-upload, under its name
    assert tree(out / "builderbob_1002") == {f"hw3/{n}": b for n, b in BOB}  # zip unpacked
    assert tree(out / "carol2smithcarol_1003") == dict(CAROL)
    assert tree(out / "texttom_1004") == {"text.html": b"<p>my answer</p>"}
    got = {r["folder"]: r for r in rows(out)}
    assert got["liddellalice_1001"]["lms_id"] == "1001" and got["liddellalice_1001"]["late"] == "no"
    assert got["builderbob_1002"]["late"] == "yes" and got["builderbob_1002"]["lms"] == "canvas"
    assert "problem1.py (uploaded again as problem1-1.py" in got["liddellalice_1001"]["files_taken"]
    assert got["liddellalice_1001"]["left_aside"] == (
        "problem1.py (replaced by a later upload of the same name, kept in .aside/"
        "liddellalice_1001/liddellalice_1001_100_problem1.py)")
    assert (out / ".aside/liddellalice_1001/liddellalice_1001_100_problem1.py").read_bytes() \
        == b"# the first try\n"
    assert "hw3/problem1.py (from hw3.zip)" in got["builderbob_1002"]["files_taken"]
    assert "hw3.zip: __MACOSX/hw3/._" in got["builderbob_1002"]["left_aside"]  # listed, not taken


def test_canvas_anonymous_grading_and_a_lone_reupload(tmp_path):
    students = [CanvasStudent("X", 1, [(5, "problem2-1.py", b"B = 2\n"), (6, "notes-1.txt", b"n")],
                              anonymous_id="a1B2c"),
                CanvasStudent("Y", 2, [(7, "problem2.py", b"B = 3\n")], late=True,
                              anonymous_id="Zz9x0")]
    out = tmp_path / "class"
    run_import(canvas_zip(students, anonymize=True), out)
    # problem2-1.py is the rubric's problem2.py; notes-1.txt might be the student's own name
    assert tree(out / "anon_a1B2c") == {"problem2.py": b"B = 2\n", "notes-1.txt": b"n"}
    assert {r["folder"]: r["late"] for r in rows(out)} == {"anon_a1B2c": "no", "anon_Zz9x0": "yes"}


MOODLE = [MoodleStudent("Alice Liddell", 501, [(f"hw/{n}", b) for n, b in ALICE]),
          MoodleStudent("Bob_Builder", 502, BOB, onlinetext="<p>see files</p>"),
          MoodleStudent("Participant", 503, CAROL)]  # blind marking


@pytest.mark.parametrize("layout", ["folders-4.1", "folders-3.x", "flat"])
def test_moodle_download_in_each_layout(tmp_path, layout):
    out = tmp_path / "class"
    assert run_import(moodle_zip(MOODLE, layout), out).lms == "moodle"
    hw = "" if layout == "flat" else "hw/"  # the flat layout keeps no folders
    assert tree(out / "Alice_Liddell_501") == {f"{hw}{n}": b for n, b in ALICE}
    assert tree(out / "Bob_Builder_502") == {**dict(BOB), "onlinetext.html": b"<p>see files</p>"}
    assert tree(out / "Participant_503") == dict(CAROL)
    got = {r["folder"]: (r["name"], r["lms_id"], r["late"]) for r in rows(out)}
    assert got["Bob_Builder_502"] == ("Bob Builder", "502", "")  # Moodle says nothing of time


BB = [BlackboardStudent("Alice Liddell", "aliddell", [
          BlackboardAttempt(dt.datetime(2026, 12, 1, 20, 0), [("problem1.py", b"# try 1\n")]),
          BlackboardAttempt(dt.datetime(2026, 12, 2, 1, 30, 5), ALICE)]),
      BlackboardStudent("Bob Builder", "b_builder", [  # a username with '_'
          BlackboardAttempt(dt.datetime(2026, 11, 30, 9, 0), BOB, zone="CET")]),
      BlackboardStudent("Nemo", "nemo", [BlackboardAttempt(dt.datetime(2026, 11, 30, 9), [])])]


def test_blackboard_latest_attempt_counts_earlier_ones_kept_aside(tmp_path):
    out = tmp_path / "class"
    assert run_import(blackboard_zip("Homework 3", BB), out).lms == "blackboard"
    assert tree(out / "aliddell") == dict(ALICE) and tree(out / "b_builder") == dict(BOB)
    assert tree(out / "nemo") == {}
    got = {r["folder"]: r for r in rows(out)}
    assert got["aliddell"]["submitted"] == "2026-12-02T01:30:05-05:00"  # EST, from the receipt
    assert got["b_builder"]["submitted"] == "2026-11-30T09:00:00+01:00"
    assert got["b_builder"]["name"] == "Bob Builder" and got["b_builder"]["login"] == "b_builder"
    aside = got["aliddell"]["left_aside"]
    assert ("problem1.py (from the earlier attempt of 2026-12-01-20-00-00: only the latest "
            "counts, kept in .aside/aliddell/Homework 3_aliddell_attempt_2026-12-01-20-00-00_"
            "problem1.py)") in aside
    assert "Homework 3_aliddell_attempt_2026-12-01-20-00-00.txt (the LMS's receipt" in aside
    assert (out / ".aside/aliddell/Homework 3_aliddell_attempt_2026-12-01-20-00-00_problem1.py"
            ).read_bytes() == b"# try 1\n"


def test_names_that_read_as_two_lmss_go_to_the_more_telling(tmp_path):
    download = blackboard_zip("HW_1", [BlackboardStudent("Ann Numbers", "12345", [
        BlackboardAttempt(dt.datetime(2026, 12, 1, 9, 0), CAROL)])])
    out = tmp_path / "class"
    assert run_import(download, out).lms == "blackboard"  # not Canvas's user 1, file 12345
    assert tree(out / "12345") == dict(CAROL)


def test_a_receipt_in_another_language_or_lost_still_imports(tmp_path):
    data = zipfile.ZipFile(io.BytesIO(blackboard_zip("Opgave week 4", BB[1:2])))
    entries = {n: data.read(n) for n in data.namelist()}
    receipt = next(n for n in entries if n.endswith(".txt"))
    entries[receipt] = ("Naam: Bob Builder (b_builder)\nOpdracht: Opgave week 4\nDatum "
                        "ingeleverd: zondag 30 november 2026 09:00:00 uur CET\n").encode()
    out = tmp_path / "class"
    run_import(_zip(entries), out)
    assert tree(out / "b_builder") == dict(BOB)
    assert rows(out)[0]["submitted"] == "2026-11-30T09:00:00+01:00"
    entries[receipt] = entries[receipt].replace(b" CET", b"")
    run_import(_zip(entries), tmp_path / "no-zone")
    assert rows(tmp_path / "no-zone")[0]["submitted"] == "2026-11-30T09:00:00"  # local time
    del entries[receipt]
    run_import(_zip(entries), tmp_path / "again")
    assert tree(tmp_path / "again" / "builder") == dict(BOB)  # after the last '_'


def _zip(entries: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buf.getvalue()


def test_folders_pass_through_and_what_is_no_ones_is_listed(tmp_path):
    entries = {f"submissions/{who}/{n}": b for who, files in (("alice", ALICE), ("bob", BOB))
               for n, b in files}
    entries.update({"submissions/README.txt": b"x", "submissions/.hidden/problem1.py": b"y",
                    "submissions/bob/.DS_Store": b"junk"})
    out = tmp_path / "class"
    assert run_import(_zip(entries), out).lms == "folders"
    assert tree(out / "alice") == dict(ALICE) and tree(out / "bob") == dict(BOB)
    nobody = {r["left_aside"] for r in rows(out) if not r["folder"]}
    assert "README.txt (not in a student's folder)" in nobody
    assert ".hidden/problem1.py (in a hidden or tool's folder, not a student's)" in nobody
    assert "bob/.DS_Store (added by a zip tool or a file browser, not the student's work)" \
        in nobody


def test_an_unpacked_download_imports_like_the_zip_and_links_are_not_followed(tmp_path):
    download = canvas_zip(canvas_class())
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(io.BytesIO(download)).extractall(unpacked)
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET = 1\n")
    os.symlink(secret, unpacked / "liddellalice_1001_150_problem3.py")
    os.mkfifo(unpacked / "builderbob_LATE_1002_201_problem1.py")
    run_import(download, tmp_path / "from-zip")
    run_import(unpacked, tmp_path / "from-folder")
    for student in ("liddellalice_1001", "builderbob_1002", "carol2smithcarol_1003"):
        assert tree(tmp_path / "from-folder" / student) == tree(tmp_path / "from-zip" / student)
    nobody = {r["left_aside"] for r in rows(tmp_path / "from-folder") if not r["folder"]}
    assert "liddellalice_1001_150_problem3.py (a symbolic link (never followed))" in nobody
    assert "builderbob_LATE_1002_201_problem1.py (not a regular file (a device, FIFO or " \
        "socket))" in nobody


def test_nothing_is_written_outside_and_every_refusal_is_listed(tmp_path):
    bomb = _zip({"hw/problem1.py": b"A = 1\n", "hw/zeros.bin": bytes(65 << 20),
                 "../../../escape.py": b"x", "/etc/abs.py": b"x", "C:/win.py": b"x"},
                links={"hw/link.py": "/etc/passwd"})
    download = _zip({"smithsam_7_1_hw.zip": bomb, "smithsam_7_2_notes.txt": b"n",
                     "smithsam_7_5_hw.tar.gz": b"\x1f\x8b", "smithsam_7_6_broken.zip": b"PK",
                     "smithsam_7_3_..": b"dots", "index.html": b"<p>not a submission</p>"},
                    links={"smithsam_7_4_problem2.py": "/etc/shadow"})
    out = tmp_path / "inner" / "class"
    run_import(download, out)
    assert tree(out / "smithsam_7") == {"hw/problem1.py": b"A = 1\n", "notes.txt": b"n",
                                        "hw.tar.gz": b"\x1f\x8b", "broken.zip": b"PK"}
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        ["inner", "class", "class.zip", "smithsam_7", "hw", "problem1.py", "notes.txt",
         "hw.tar.gz", "broken.zip", "students.csv"])
    got = {r["folder"]: r for r in rows(out)}
    aside = got["smithsam_7"]["left_aside"]
    assert "hw.zip: hw/zeros.bin (beyond the 1,000 files and 64 MB taken from one student)" in aside
    assert "hw.zip: ../../../escape.py (a path with '..'" in aside
    assert "hw.zip: /etc/abs.py (an absolute path" in aside and "hw.zip: C:/win.py (an abs" in aside
    assert "hw.zip: hw/link.py (a symbolic link (never followed))" in aside
    assert ".. (a path with '..'" in aside
    assert "hw.tar.gz (an archive import does not unpack (only zips): kept in the folder" in aside
    assert "broken.zip (broken.zip: not a readable zip archive (File is not a zip file): kept " \
        "in the folder as uploaded, not unpacked)" in aside
    nobody = {r["left_aside"] for r in rows(out) if not r["folder"]}
    assert "index.html (not named as Canvas names submissions)" in nobody
    assert "smithsam_7_4_problem2.py (a symbolic link (never followed))" in nobody


def test_a_zip_bomb_is_not_unpacked_past_its_bound(tmp_path):
    from grader.disk import unzip

    zf = zipfile.ZipFile(io.BytesIO(_zip({"big": bytes(3 << 20)})))
    member = unzip.members(zf)[0][0]
    lying = unzip.Member(member.name, 10, member.info)  # a header that understates the size
    with pytest.raises(unzip.ArchiveError, match="unpacks to more than 1.0 MB"):
        unzip.read(zf, lying, 1 << 20)


def test_student_names_and_file_names_stay_data_in_students_csv(tmp_path):
    students = [CanvasStudent("=HYPERLINK(1)", 9, [(1, "+cmd|' /C calc'!A0.py", b"x")])]
    out = tmp_path / "class"
    run_import(canvas_zip(students), out)
    text = (out / "students.csv").read_text()
    assert "hyperlink1_9" in text  # Canvas keeps only letters and digits of a name
    row = rows(out)[0]
    assert row["files_taken"].startswith("'+cmd_' _C calc'!A0.py")  # never read as a formula


def test_the_command_line_says_what_is_wrong_in_one_line(tmp_path):
    def grade_import(*args):
        return subprocess.run([*GRADE, "import", *map(str, args)], capture_output=True,
                              text=True, cwd=ROOT, timeout=120)

    broken = tmp_path / "download.zip"
    broken.write_bytes(b"PK\3\4 this is not a zip")
    proc = grade_import(broken, "--out", tmp_path / "a")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert f"{broken}: not a readable zip archive" in proc.stderr
    unknown = tmp_path / "unknown.zip"
    unknown.write_bytes(_zip({"a.py": b"", "b.py": b""}))
    proc = grade_import(unknown, "--out", tmp_path / "b")
    assert proc.returncode == 3 and "cannot tell which LMS made it" in proc.stderr \
        and "--lms" in proc.stderr
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("x")
    download = tmp_path / "canvas.zip"
    download.write_bytes(canvas_zip(canvas_class()))
    proc = grade_import(download, "--out", busy)
    assert proc.returncode == 3 and "not empty, and not an earlier import" in proc.stderr
    proc = grade_import(download, "--out", tmp_path / "c", "--lms", "moodle")
    assert proc.returncode == 0 and "moodle: 0 students" in proc.stdout  # forced: as told
    proc = grade_import(download, "--out", tmp_path / "d")
    assert proc.returncode == 0, proc.stderr
    assert "canvas: 4 students, 12 files taken, 2 left aside, 1 late" in proc.stdout
    assert f"next: grade {tmp_path / 'd'} --out reports/ --export canvas" in proc.stdout
    (tmp_path / "d" / "liddellalice_1001" / "stale.py").write_text("x")
    assert grade_import(download, "--out", tmp_path / "d").returncode == 0  # replaced whole
    assert not (tmp_path / "d" / "liddellalice_1001" / "stale.py").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".d.")]


def test_names_written_in_utf8_without_the_flag_that_says_so(tmp_path):
    import struct

    student = CanvasStudent("Müller, Jürgen", 5, [(1, "problème1.py", b"x")])
    data = bytearray(canvas_zip([student]))
    for signature, offset in ((b"PK\3\4", 6), (b"PK\1\2", 8)):  # clear the UTF-8 flag
        at = data.find(signature)
        flags = struct.unpack_from("<H", data, at + offset)[0]
        struct.pack_into("<H", data, at + offset, flags & ~0x800)
    assert "├" in zipfile.ZipFile(io.BytesIO(bytes(data))).namelist()[0]  # zipfile's cp437
    out = tmp_path / "class"
    run_import(bytes(data), out)
    assert tree(out / "müllerjürgen_5") == {"problème1.py": b"x"}
