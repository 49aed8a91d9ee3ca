"""Hidden items say passed or failed, and nothing else, wherever a student reads (issue 19,
item 10): results.json (output and extra_data), report.html, Gradescope's output and log,
the kit. The instructor's pages (the class's index.html, the terminal of `grade`, a
replay) keep every detail.
"""
from __future__ import annotations

import html
import json
import re
import shutil

import pytest

from conftest import EXAMPLES, run_grade
from grader.pipeline import Request, grade
from grader.rubric.model import load_rubric
from grader.sandbox.process import SubprocessSandbox
from hidden import hidden_rubric_at

# bob fails p1a (a declared mistake), p2c_f (in place) and p3b_answer (written), passes
# p2b; p1b_explanation waits for a TA.
HIDDEN = ("p1a", "p2b", "p2c_f", "p3b_answer", "p1b_explanation")
VERDICTS = {"Passed.", "Failed.", "Waits for a TA."}
STUDENT_KEYS = {"item", "kind", "seed", "manual"}
DETAIL = re.compile(r"trial|expected|likely|mistake|diagnos|checked|reproduce|check\.py|"
                    r"standard deviation|overwr|d_x =", re.IGNORECASE)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """bob and alice graded as a class under a rubric that hides HIDDEN (and what the
    terminal says when bob is graded alone)."""
    tmp = tmp_path_factory.mktemp("hidden")
    rubric = hidden_rubric_at(tmp / "hidden.yaml", HIDDEN)
    class_dir = tmp / "class"
    for name in ("alice", "bob"):
        shutil.copytree(EXAMPLES / name, class_dir / name)
    proc, _ = run_grade(class_dir, tmp / "out", "--rubric", str(rubric), "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    alone, _ = run_grade(class_dir / "bob", tmp / "bob", "--rubric", str(rubric))
    return tmp / "out", alone.stdout, load_rubric(rubric)


def test_results_json_says_passed_or_failed_only(graded):
    out, _, rubric = graded
    for student in ("alice", "bob"):
        results = json.loads((out / student / "results.json").read_text())
        tests = {t["extra_data"]["item"]: t for t in results["tests"]}
        for item in HIDDEN:
            test = tests[item]
            assert test["visibility"] == "hidden"
            assert test["output"] in VERDICTS, (student, item, test["output"])
            assert set(test["extra_data"]) <= STUDENT_KEYS, test["extra_data"]
        assert "trials" in tests["p2a"]["extra_data"]  # visible items keep theirs
    bob = {t["extra_data"]["item"]: t for t in
           json.loads((out / "bob" / "results.json").read_text())["tests"]}
    assert bob["p1a"]["output"] == "Failed." and bob["p2b"]["output"] == "Passed."
    assert bob["p1b_explanation"]["output"] == "Waits for a TA."
    assert "Likely mistake" in bob["p3b"]["output"]  # a visible item's detail stays


def _sections(page: str, pattern: str) -> dict[str, str]:
    """Each item's part of a page that `pattern` finds (the item id, then the part)."""
    return {m.group(1): m.group(2) for m in re.finditer(pattern, page, re.DOTALL)}


SECTION = r'<section class="item[^"]*" id="item-([^"]+)">(.*?)</section>'
ROW = r'<tr class="[^"]*">\s*<td><a href="#item-([^"]+)">(.*?)</tr>'  # the summary table
CLASS_ROW = r'<tr>\s*<td><code>([^<]+)</code></td>(.*?)</tr>'  # index.html's items table


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def test_report_html_says_passed_or_failed_only(graded):
    out, _, rubric = graded
    for student in ("alice", "bob"):
        page = (out / student / "report.html").read_text()
        sections, rows = _sections(page, SECTION), _sections(page, ROW)
        for item in HIDDEN:
            assert 'class="description"' not in sections[item]  # what it checks, too
            text = _text(sections[item]) + _text(rows[item])
            assert not DETAIL.search(text), (student, item, text)
            assert re.search(r"\b(Passed|Failed|Waits for a TA)\.", text)
    bob = (out / "bob" / "report.html").read_text()
    assert DETAIL.search(_text(_sections(bob, SECTION)["p3b"]))
    assert 'class="description"' in _sections(bob, SECTION)["p3b"]


def test_the_instructors_pages_keep_the_detail(graded):
    """The class page counts hidden items' mistakes (from the records), and the terminal
    of `grade` names them: only instructors read these."""
    out, stdout, _ = graded
    items = _sections((out / "index.html").read_text(), CLASS_ROW)
    assert "You returned the standard deviation" in _text(items["p1a"])  # hidden
    assert "You overwrote the gradient" in _text(items["p2c_f"])
    line = next(s for s in stdout.splitlines() if re.search(r"\bp1a\b", s))
    assert "standard deviation" in line


def test_gradescopes_log_says_no_more_than_the_output_when_students_see_it(tmp_path):
    from grader.gradescope.run import _log

    rubric = load_rubric(hidden_rubric_at(tmp_path / "hidden.yaml", HIDDEN))
    result = grade(Request(EXAMPLES / "bob", tmp_path / "out", rubric, 7, only=("p1a", "p2a")),
                   SubprocessSandbox())
    shown = "\n".join(_log(result, detail=False))
    assert re.search(r"^p1a: 0/1 failed$", shown, re.MULTILINE), shown
    assert "passed 12 trials" in shown  # p2a: visible
    assert "standard deviation" in "\n".join(_log(result, detail=True))
