"""CSV injection (issue 19, item 6): every CSV the grader writes (grades.csv, changes.csv,
canvas.csv, the TAs' export) neutralises every text cell a spreadsheet would run as a
formula, the same way, keeps numbers numbers, and the TAs' import reads its export back."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

FORMULAS = ['=HYPERLINK("http://evil.test","click")', "+cmd|' /C calc'!A0", "-2+3",
            "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "'=already quoted", "''-1"]
STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _assert_neutral(text: str, numeric: set[str]) -> None:
    """No text cell starts like a formula; cells of `numeric` columns are numbers."""
    rows = _cells(text)
    header = rows[0]
    for row in rows[1:]:
        for column, value in zip(header, row):
            if column in numeric and value != "":
                float(value)  # a number, left as one
                continue
            assert not value.lstrip("'")[:1] in STARTS or value.startswith("'"), \
                (column, value)


def test_neutral_is_owasp_and_round_trips():
    from grader.display.spreadsheet import neutral, text_of

    assert neutral("=1+1") == "'=1+1" and neutral("-x") == "'-x" and neutral("@a") == "'@a"
    assert neutral("\tx") == "'\tx" and neutral("alice") == "alice" and neutral("") == ""
    assert neutral("'=1") == "''=1" and neutral("'plain") == "'plain"
    for text in [*FORMULAS, "alice", "O'Brien", "'", "''", "a=b", "-", "=", "'quoted'"]:
        expected = text.replace("\r", "\\x0d")  # control characters stay visible escapes
        assert text_of(neutral(text)) == expected, text


def test_numbers_stay_numbers_and_text_that_looks_like_one_does_not():
    from grader.display.spreadsheet import to_csv

    rows = _cells(to_csv(["a", "b", "c", "d"], [[-0.5, "-0.5", 3, None]]))
    assert rows[1] == ["-0.5", "'-0.5", "3", ""]


def _run(names: list[str]):
    from grader.classroom.run import ClassRun, Student

    def results(score: float) -> dict:
        return {"score": score, "execution_time": 0.1, "extra_data": {}, "tests": [
            {"extra_data": {"item": "p1a"}, "score": score, "max_score": 1.0,
             "status": "passed" if score else "failed", "output": "=evil verdict"}]}

    run = ClassRun([Student(n, Path(n), Path(n), Path(n)) for n in names])
    run.results = {n: results(float(k % 2)) for k, n in enumerate(names)}
    return run


def test_grades_and_canvas_csv_neutralise_every_text_cell(rubric, tmp_path):
    from grader.classroom import gradebook
    from grader.classroom.roster import load_roster

    run = _run(FORMULAS + ["alice"])
    _assert_neutral(gradebook.grades_csv(run, rubric), {"total", "max", "p1a"})
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["folder", "name", "email", "id", "sis_id", "section"])
        for k, name in enumerate(FORMULAS + ["alice"]):
            if name.strip() != name:
                continue  # a roster's cells are stripped
            writer.writerow([name, "=evil()", "-a@b", f"+{k}", "@x", "-sec"])
    roster_ = load_roster(roster)
    text = gradebook.grades_csv(run, rubric, roster_)
    _assert_neutral(text, {"total", "max", "p1a"})
    assert "'=evil()" in text
    canvas = gradebook.canvas_csv(run, rubric, roster_)
    _assert_neutral(canvas, {"Highways: initialisation, UGRNN cells and residual convolutions"})
    assert _cells(canvas)[1][-1] == "32"


def test_changes_csv_neutralises_names_and_verdicts():
    from grader.classroom.changes import ItemChange, StudentChange, changes_csv

    changes = [StudentChange(name, 3.0, 2.5, (ItemChange("p1a", 1.0, 0.5, "-evil verdict"),),
                             "the files") for name in FORMULAS]
    text = changes_csv(changes)
    _assert_neutral(text, {"old_total", "new_total", "old_score", "new_score"})
    assert "'=HYPERLINK" in text and "'-evil verdict" in text


def test_the_ta_export_neutralises_and_its_import_round_trips(rubric, tmp_path):
    from grader.written.store import Store

    a = Store(tmp_path / "a.sqlite")
    a.ensure(rubric)
    a.set_criterion("p1a_derivation", "=cmd|' /C calc'!A0", "a criterion a TA added", -0.5)
    for k, name in enumerate(FORMULAS):
        a.save("p1a_derivation", name, ["=cmd|' /C calc'!A0"], FORMULAS[-k - 1],
               FORMULAS[k], 0)
    text = a.export_csv()
    _assert_neutral(text, {"points"})
    assert {r[3] for r in _cells(text)[1:]} == {"-0.5"}  # a negative score, as a number
    b = Store(tmp_path / "b.sqlite")
    b.ensure(rubric)
    b.set_criterion("p1a_derivation", "=cmd|' /C calc'!A0", "a criterion a TA added", -0.5)
    assert b.import_csv(text, "someone") == len(FORMULAS)
    seen = lambda s: [(g.item, g.student, g.applied, g.comment, g.grader)  # noqa: E731
                      for g in s.grades()]
    assert sorted(seen(b)) == sorted((i, n.replace("\r", "\\x0d"), c, m.replace("\r", "\\x0d"),
                                      g.replace("\r", "\\x0d")) for i, n, c, m, g in seen(a))
    b.import_csv(text, "someone", by="account")
    assert {g.grader for g in b.grades()} == {"account"}


def test_a_spreadsheet_that_drops_our_quotes_is_read_as_is(rubric, tmp_path):
    from grader.written.store import Store

    store = Store(tmp_path / "s.sqlite")
    store.ensure(rubric)
    store.import_csv("item,student,criteria,comment\np1a_derivation,alice,independence,"
                     "'=kept as text\n", "ta")
    assert store.grades()[0].comment == "=kept as text"
    with pytest.raises(ValueError, match="needs the columns"):
        store.import_csv("item,who\np1a_derivation,alice\n", "ta")
