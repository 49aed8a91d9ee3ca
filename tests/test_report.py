"""report.html: self-contained, escaped, with the rubric's text, scores and feedback."""
from __future__ import annotations

import re
import shutil

import pytest

from conftest import EXAMPLES, run_grade

EVIL = "<script>alert('x')</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def bob_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bob")
    _, results = run_grade(EXAMPLES / "bob", out)
    return (out / "report.html").read_text(), results


def test_report_is_self_contained(bob_report):
    html, _ = bob_report
    assert "<script" not in html
    assert not re.search(r"""<(link|img|iframe|object|embed)\b""", html)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_report_shows_titles_math_scores_feedback_and_version(bob_report, rubric):
    html, results = bob_report
    from grader import __version__

    for item in rubric.items:
        assert f'id="item-{item.id}"' in html
    assert "<math" in html  # descriptions' LaTeX rendered as MathML, no network needed
    assert "1a: variance of the initial weights" in html
    assert "14 / 32 points" in html
    assert "standard deviation" in html  # a diagnosis
    assert f"--seed {results['extra_data']['seed']}" in html
    assert __version__ in html and results["extra_data"]["rubric_sha256"][:12] in html
    assert 'name="viewport"' in html and "@media print" in html


def test_student_text_is_escaped(tmp_path):
    sub = tmp_path / "mallory"
    shutil.copytree(EXAMPLES / "alice", sub)
    (sub / "problem1.py").write_text(
        f"print({EVIL!r})\nRELU_VARIANCE_CHANGE = {EVIL!r}\n"
        f"def init_variance(d_x):\n    raise ValueError({EVIL!r})\n")
    _, results = run_grade(sub, tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html
    assert results["score"] < 28


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    out = tmp_path_factory.mktemp("examples")
    return {name: run_grade(EXAMPLES / name, out / name)[1] | {"html": (
        out / name / "report.html").read_text()} for name in ("bob", "carol")}


def _shown(html: str) -> str:
    """The text a reader sees: no tags, no attributes (links carry ids, not shown)."""
    return re.sub(r"<[^>]+>", "", html)


def test_students_read_titles_and_their_own_file_names(examples, rubric):
    """Students see the items' titles and the files they wrote, never the rubric's ids nor
    a file that does not exist (`answers.py`); the sandbox's layers are for instructors
    (results.json keeps them) (issue 23)."""
    bob, carol = examples["bob"], examples["carol"]
    manual = [i for i in rubric.items if i.kind == "manual"]
    banner = _shown(re.search(r'id="pending">(.*?)</p>', bob["html"], re.S).group(1))
    assert [i.title for i in manual if i.title in banner] == [i.title for i in manual]
    assert not any(i.id in banner for i in manual), banner
    waiting = next(line for line in bob["output"].splitlines() if "Waiting for a TA" in line)
    assert all(i.title in waiting and i.id not in waiting for i in manual), waiting
    assert "answers.py" not in carol["output"] + carol["html"]
    assert "answers.md was not found in the submission" in carol["output"]
    modules = re.search(r'<table id="modules">(.*?)</table>', bob["html"], re.S).group(1)
    row = re.search(r"<code>answers\.md</code></td>(.*?)</tr>", modules, re.S).group(1)
    assert "imported" not in row and "numpy" not in row and "read" in row
    for sub in (bob, carol):
        footer = re.search(r"<footer>(.*?)</footer>", sub["html"], re.S).group(1)
        assert "sandbox" not in footer and "namespace" not in sub["html"]
    assert bob["extra_data"]["sandbox_layers"]  # for instructors, in results.json


def test_the_summary_table_names_items_by_title(examples, rubric):
    """The item table's first column, the one a phone keeps, holds each item's title."""
    rows = re.findall(r"<tr class=\"\w+\">\s*<td>(.*?)</td>", examples["bob"]["html"], re.S)
    assert len(rows) == len(rubric.items)
    for cell, item in zip(rows, rubric.items):
        assert f'href="#item-{item.id}"' in cell and item.id not in _shown(cell)
