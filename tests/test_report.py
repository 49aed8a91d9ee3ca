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
