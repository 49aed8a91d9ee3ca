"""Student text shown to people (issue 10, family 6): exception messages, printed output,
returned strings, file and folder names full of Markdown, HTML and terminal escapes are
shown as text in results.json, Gradescope's Markdown, the reports, the class page,
grades.csv and the terminal: never interpreted."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from autograder import autograder_root, build_zip, run_autograder
from conftest import GRADE, ROOT
from hostile import build

pytestmark = pytest.mark.slow
# What a student may try to slip in: a fence closer, a fake heading, an image that
# tracks, a link that phishes, raw HTML, colour and cursor escapes, an OSC 52 clipboard
# write, C1 controls, a NUL, a bidi override.
EVIL = ("```\n\n## Passed, 18/18\n\n![t](http://evil.test/track.png) [log in](http://evil.test)"
        " <img src=x onerror=alert(1)> <b>bold</b> \x1b[2K\x1b[32m ok \x1b]52;c;aGk=\x07"
        " \x9b2J \x00 \u202egnp.exe \r fake line")
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
MARKUP = re.compile(r"<img|<script|<a\s|<b>|<h[1-6]", re.I)  # none in Gradescope's Markdown
STUDENT_HTML = re.compile(r"<img|<b>bold|href=\"http://evil|onerror=alert\(1\)>", re.I)  # in our pages


def _evil_submission(dest: Path) -> None:
    """Every way alice's files can carry the text into what the grader shows."""
    build({
        "@problem1.py": f"print({EVIL!r})\nimport sys\nsys.stderr.write({EVIL!r})\n",
        "problem1.py": ("init_variance", f"raise ValueError({EVIL!r})"),
        "@problem2.py": "import importlib\n_evil = importlib.import_module('evil\\x1b[31m')\n",
        "problem2.py": ("split_weights", "return _evil.boom()"),
        "@problem3.py": f"RETURNED = {EVIL!r}\n",
    }, dest, {})
    (dest / "evil\x1b[31m.py").write_text(f"def boom():\n    raise RuntimeError({EVIL!r})\n")
    text = (dest / "problem1.py").read_text()
    (dest / "problem1.py").write_text(text.replace('RELU_VARIANCE_CHANGE = "increase"',
                                                   f"RELU_VARIANCE_CHANGE = {EVIL!r}"))


def _strings(data) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in _strings(k) + _strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return []


def _no_controls(text: str, where: str) -> None:
    found = CONTROLS.findall(text)
    assert not found, f"{where}: {found[:5]}"


def _html_shows_no_student_markup(page: str, where: str) -> None:
    _no_controls(page, where)
    assert not STUDENT_HTML.search(page), f"{where}: {STUDENT_HTML.search(page).group()}"


def _markdown_shows_no_student_markup(markdown: str, where: str) -> None:
    _no_controls(markdown, where)
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert not MARKUP.search(html), f"{where}: {html[:2000]}"


NAME = "st\x1b[31mudent \u202eexe"


def test_a_single_submission_shows_student_text_as_text(tmp_path):
    sub = tmp_path / NAME
    _evil_submission(sub)
    out = tmp_path / "out"
    proc = subprocess.run([*GRADE, str(sub), "--out", str(out)], capture_output=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for stream in (proc.stdout, proc.stderr):
        _no_controls(stream.decode("utf-8", "replace"), "terminal")
    results = json.loads((out / "results.json").read_text())
    for text in _strings(results):
        _no_controls(text, "results.json")
    failed = {t["extra_data"]["item"] for t in results["tests"] if t["status"] == "failed"}
    assert {"p1a", "p1b", "p2a"} <= failed
    report = (out / "report.html").read_text()
    _html_shows_no_student_markup(report, "report.html")
    assert "## Passed, 18/18" in report and "\\x1b[32m ok" in report  # shown, as text


def test_gradescope_markdown_shows_student_text_as_code(tmp_path):
    sub = tmp_path / "upload"
    _evil_submission(sub)
    root = autograder_root(tmp_path, build_zip(tmp_path / "ag.zip"), sub)
    results = run_autograder(root)
    assert results["output_format"] == "md"
    _markdown_shows_no_student_markup(results["output"], "overall output")
    for test in results["tests"]:
        _markdown_shows_no_student_markup(test["output"], test["extra_data"]["item"])
    p1a = next(t for t in results["tests"] if t["extra_data"]["item"] == "p1a")
    assert "## Passed, 18/18" in p1a["output"]  # there, inside code


def test_a_class_page_and_gradebook_show_names_as_text(fast_rubric, tmp_path):
    klass, out = tmp_path / "class", tmp_path / "out"
    _evil_submission(klass / NAME)
    build({}, klass / "=HYPERLINK(\"http://evil.test\")", {})
    proc = subprocess.run([*GRADE, str(klass), "--out", str(out), "--jobs", "2", "--rubric",
                           str(fast_rubric)], capture_output=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    _no_controls(proc.stdout.decode("utf-8", "replace"), "class terminal")
    _html_shows_no_student_markup((out / "index.html").read_text(), "index.html")
    gradebook = (out / "grades.csv").read_text()
    _no_controls(gradebook, "grades.csv")
    assert not any(line.startswith("=") for line in gradebook.splitlines())
    assert os.path.isdir(out / NAME)
