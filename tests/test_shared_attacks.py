"""Red-team scenarios for written answers shared in a class (grader/engine/shared.py): a
student's results.json must be what the same submission gets graded alone, whichever
classmates were graded before it, durations aside."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLES
from grader.engine import shared
from grader.pipeline import Request, grade
from grader.sandbox.process import SubprocessSandbox

TIMES = {"duration", "execution_time"}


@pytest.fixture(autouse=True)
def _fresh():
    shared.forget()
    yield
    shared.forget()


def _timeless(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in TIMES}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def _results(folder: Path, out: Path, rubric, sandbox, share: bool) -> dict:
    grade(Request(folder, out, rubric, share=share), sandbox)
    found = _timeless(json.loads((out / "results.json").read_text()))
    found["extra_data"].pop("files_found_in", None)  # the folder graded, not what it got
    return found


BROKEN = {  # sections that end in the answer's own error (kept, and shown to the student)
    "none": lambda t: t,
    "unreadable 3a": lambda t: t.replace(r"N^2 C \sigma_W\right)$$", r"N^2 C \sigma_W\right($$"),
    "3e's equation": lambda t: t.replace("W_grad[o, c, p, q] = sum", "W_grad[o, o, p, q] = sum"),
}


@pytest.mark.parametrize("edit", list(BROKEN))
def test_results_json_in_a_class_is_the_students_own_alone(rubric, tmp_path, edit):
    """The third of three students alike gets every answer from what was kept; the second
    has a child per section: neither may show it (the answers' processes included)."""
    sandbox = SubprocessSandbox()
    folders = []
    for name in ("s1", "s2", "s3"):
        folders.append(tmp_path / "class" / name)
        shutil.copytree(EXAMPLES / "alice", folders[-1])
        answers = folders[-1] / "answers.md"
        edited = BROKEN[edit](answers.read_text())
        assert edited != answers.read_text() or edit == "none"
        answers.write_text(edited)
    in_class = [_results(f, tmp_path / "out" / f.name, rubric, sandbox, True) for f in folders]
    for folder, got in zip(folders, in_class):
        alone = _results(folder, tmp_path / "alone" / folder.name, rubric, sandbox, False)
        assert got == alone, folder.name
