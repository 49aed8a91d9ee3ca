"""A new problem needs only a reference and YAML: grade one the engine has never seen."""
from __future__ import annotations

import re

from conftest import ROOT, by_item, run_grade

DATA = ROOT / "tests" / "data" / "new_problem"


def test_a_new_item_grades_right_and_wrong_answers(tmp_path):
    rubric = str(DATA / "rubric.yaml")
    proc, right = run_grade(DATA / "right", tmp_path / "right", "--rubric", rubric)
    assert proc.returncode == 0, proc.stderr
    assert right["score"] == 2 and right["tests"][0]["status"] == "passed"
    _, wrong = run_grade(DATA / "columns", tmp_path / "columns", "--rubric", rubric)
    item = by_item(wrong)["p4_softmax"]
    assert item["score"] == 0 and item["extra_data"]["mistake"] == "softmax_over_columns"
    assert "each row is its own distribution" in item["output"]
    assert "Reproduce: python check.py --item p4_softmax --seed" in item["output"]
    assert "Extension: softmax" in (tmp_path / "columns" / "report.html").read_text()


def test_the_engine_has_no_code_for_it():
    engine = "".join(p.read_text() for p in (ROOT / "grader").rglob("*.py"))
    assert not re.search(r"softmax|\bp4", engine, re.IGNORECASE)  # (cp437 is an encoding)
