"""Two students, one output folder (issue 19, item 5): students named `index.html` and
`index.html.student` both wrote `reports/index.html.student/`, reruns swapped whose report
was there, and one TA grade landed on both. Output folders are injective over the class,
say why when they are not the student's name, and the TAs' store is keyed by the student."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from conftest import EXAMPLES, GRADE, ROOT

TRICKY = ["index.html", "index.html.student", "INDEX.HTML", "grades.csv", "Bob", "bob",
          unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café"),
          os.fsdecode(b"caf\xe9"), "caf\\xe9", "x.student", "x.student.student", "50%",
          "50%25", "a\x1bb", "a\\x1bb", "x" * 255, "x" * 250 + ".STUDENT", "x" * 248, "alice"]


def test_keys_are_visible_text_and_name_their_folder_exactly():
    from grader.disk.student_folders import key, name_of
    from grader.display.text import visible

    assert key("alice") == "alice" and key("Anne Marie, Doe") == "Anne Marie, Doe"
    keys = [key(n) for n in TRICKY]
    assert len(set(keys)) == len(TRICKY)
    for name, k in zip(TRICKY, keys):
        assert name_of(k) == name and visible(k) == k
        k.encode("utf-8")  # storable and sendable: no surrogates
    assert key(os.fsdecode(b"caf\xe9")) == "caf%E9" and key("50%") == "50%25"


def test_output_folders_are_injective_even_up_to_case_and_normalisation():
    from grader.disk.student_folders import CLASS_OUTPUTS, lookalike, placements

    placed = placements(TRICKY)
    folders = [placed[n].folder for n in TRICKY]
    assert len({lookalike(f) for f in folders}) == len(TRICKY)
    for name, folder in zip(TRICKY, folders):
        assert len(os.fsencode(folder)) <= 255 and "/" not in folder
        assert folder.casefold() not in CLASS_OUTPUTS
        assert (folder == name) == (placed[name].why == ""), name
    assert placed["alice"].folder == "alice" and placed["x" * 248].folder == "x" * 248
    assert placed["grades.csv"].folder == "grades.csv.student"
    assert placed["x.student"].folder == "x.student.student"
    assert "looks like another student's" in placed["Bob"].why
    # a name's folder depends on the class only through look-alikes: a rerun with one
    # student more finds everyone else where they were
    again = placements([*TRICKY, "carol"])
    assert all(again[n] == placed[n] for n in TRICKY) and again["carol"].folder == "carol"


def _grade(klass: Path, out: Path, rubric: Path, *extra: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([*GRADE, str(klass), "--out", str(out), "--jobs", "2", "--rubric",
                           str(rubric), *extra], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.mark.slow
def test_a_class_whose_names_collide_gives_each_student_their_own_folder(fast_rubric, tmp_path):
    from grader.disk.student_folders import key

    klass, out = tmp_path / "class", tmp_path / "out"
    who = {"index.html": "alice", "index.html.student": "bob", "Bob": "carol",
           "bob": "alice", os.fsdecode(b"caf\xe9"): "bob", "caf\\xe9": "alice"}
    for name, example in who.items():
        shutil.copytree(EXAMPLES / example, os.path.join(klass, name))
    proc = _grade(klass, out, fast_rubric)
    assert f"{len(who)} students: {len(who)} graded" in proc.stdout
    folders = {}
    for path in out.iterdir():
        if (path / "results.json").is_file():
            results = json.loads((path / "results.json").read_text())
            folders[results["extra_data"]["student"]] = path.name
    assert sorted(folders) == sorted(key(n) for n in who)  # one folder each
    assert folders["index.html"] == "index.html.student"
    assert folders["index.html.student"] == "index.html.student.student"
    assert "renamed: index.html is graded into index.html.student/" in proc.stdout
    assert proc.stdout.count("renamed: ") == 6  # the two pairs of look-alikes too
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert len(rows) == len(who) and len({r["report_folder"] for r in rows}) == len(who)
    totals = {(r["student"], r["report_folder"]): r["total"] for r in rows}
    assert totals[("index.html", "index.html.student")] == "28"
    assert totals[("index.html.student", "index.html.student.student")] == "14"
    assert all(r["renamed"] for r in rows)
    page = (out / "index.html").read_text()
    assert 'id="renamed"' in page and 'href="index.html.student.student/report.html"' in page
    # a rerun finds everyone where they were: nothing regraded, nothing changed
    proc = _grade(klass, out, fast_rubric)
    assert f"0 graded, {len(who)} unchanged" in proc.stdout, proc.stdout
    assert "changes since the last run" not in proc.stdout
    # a TA's grade lands on the student it was given to, and on nobody else
    sheet = tmp_path / "ta.csv"
    sheet.write_text("item,student,criteria,comment\np1a_derivation,index.html,"
                     "independence;product;conclusion,for index.html only\n"
                     "p1a_derivation,caf%E9,independence,for the byte\n")
    done = subprocess.run([*GRADE, "manual", str(out), "--import", str(sheet), "--rubric",
                           str(fast_rubric)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    scored = {}
    for student, folder in folders.items():
        results = json.loads((out / folder / "results.json").read_text())
        scored[student] = next(t["score"] for t in results["tests"]
                               if t["extra_data"]["item"] == "p1a_derivation")
    assert scored == {key(n): {"index.html": 2, os.fsdecode(b"caf\xe9"): 1}.get(n, 0)
                      for n in who}
    rows = {(r["student"], r["report_folder"]): r for r in
            csv.DictReader((out / "grades.csv").open())}
    assert rows[("index.html", "index.html.student")]["p1a_derivation"] == "2"
    assert rows[("index.html.student", "index.html.student.student")]["total"] == "14"
    assert len(rows) == len(who)
    # the TAs' app lists each student once, by name, and opens the byte name's answer
    from urllib.parse import quote

    from grader.manual.app import create_app
    from grader.rubric.model import load_rubric

    client = create_app(out, load_rubric(fast_rubric)).test_client()
    client.set_cookie("ta", "Ann")
    index = client.get("/").get_data(as_text=True)
    row = index.split('data-item="p1a_derivation"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="count">2 / 5</span>' in row  # carol's copy has no answers.md: apart
    page = client.get("/item/p1a_derivation/" + quote(key(os.fsdecode(b"caf\xe9")), safe=""))
    assert page.status_code == 200
    assert '<span id="student">caf\\xe9</span>' in page.get_data(as_text=True)
