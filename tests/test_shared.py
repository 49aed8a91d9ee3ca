"""Written answers shared by the students of a class who wrote the same section
(grader/engine/shared.py): the same grades as graded alone, and what is shared never comes
from a child that read more than that one section."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import EXAMPLES, feedback
from grader.engine import shared
from grader.pipeline import Request, grade
from grader.sandbox import WRITTEN_MODULE, CallOutcome, ModuleJob, ModuleRun
from grader.sandbox.process import SubprocessSandbox
from grader.sandbox.written import sections


class Recording:
    """The real sandbox, noting what each answers child was given."""

    def __init__(self):
        self.inner = SubprocessSandbox()
        self.jobs: list[tuple[list[str], int, ModuleRun]] = []  # sections, calls, run

    def run(self, job: ModuleJob) -> ModuleRun:
        run = self.inner.run(job)
        if job.module == WRITTEN_MODULE:
            text = (job.root / "answers.md").read_text()
            self.jobs.append((sorted(sections(text)), len(job.calls), run))
        return run


@pytest.fixture(autouse=True)
def _fresh():
    shared.forget()
    yield
    shared.forget()


def _student(tmp_path: Path, name: str, edit=None, code_edit=None) -> Path:
    folder = tmp_path / "class" / name
    shutil.copytree(EXAMPLES / "alice", folder)
    if edit:
        (folder / "answers.md").write_text(edit((folder / "answers.md").read_text()))
    if code_edit:
        (folder / "problem1.py").write_text(code_edit((folder / "problem1.py").read_text()))
    return folder


def _alone(rubric, folder: Path, out: Path) -> list:
    grade(Request(folder, out, rubric), SubprocessSandbox())
    return feedback(json.loads((out / "results.json").read_text()))


def _graded_in_turn(rubric, tmp_path: Path, students: list[Path]) -> tuple[Recording, list]:
    """Grade `students` one after the other, sharing, in one recorded sandbox; what each
    was told."""
    sandbox, graded = Recording(), []
    for folder in students:
        out = tmp_path / "out" / folder.name
        grade(Request(folder, out, rubric, share=True), sandbox)
        graded.append(feedback(json.loads((out / "results.json").read_text())))
    return sandbox, graded


def test_a_section_met_again_is_read_alone_then_shared_with_the_same_grades(rubric, tmp_path):
    wrong_3a = lambda t: t.replace(r"N^2 C \sigma_W\right)$$", r"N C \sigma_W\right)$$")
    other_code = lambda t: t.replace("return 1.0 / d_x", "return 1 / d_x")
    students = [_student(tmp_path, "s1"), _student(tmp_path, "s2", code_edit=other_code),
                _student(tmp_path, "s3"), _student(tmp_path, "s4", wrong_3a),
                _student(tmp_path, "s5", wrong_3a)]
    sandbox, graded = _graded_in_turn(rubric, tmp_path, students)
    written = [i for i in rubric.items if i.kind in ("expression", "index")]
    parts = sorted(sections((EXAMPLES / "alice" / "answers.md").read_text()))
    calls = sum(i.trials for i in written)
    assert [(j[0], j[1]) for j in sandbox.jobs[:1]] == [(parts, calls)]  # s1: one child, all
    alone = sandbox.jobs[1:1 + len(written)]  # s2: each written item's section in a child of its own
    assert len(alone) == len(written) and all(len(j[0]) == 1 for j in alone)
    assert sorted(sum(j[1] for j in alone if j[0] == [i.section]) // i.trials
                  for i in written) == [1] * len(written)
    # s3: nothing left to run; s4: its new 3a read with the rest of its file (met once);
    # s5: that 3a met again, read alone
    assert [(len(j[0]), j[1]) for j in sandbox.jobs[1 + len(written):]] == \
        [(len(parts), rubric.item("p3a_answer").trials), (1, rubric.item("p3a_answer").trials)]
    kept = {id(o) for _, outcomes in shared._KEPT.data.values() for o in outcomes}
    whole = {id(o) for secs, _, run in sandbox.jobs if len(secs) > 1 for o in run.calls.values()}
    assert kept and not kept & whole  # nothing a whole file's child said is shared
    for folder, got in zip(students, graded):  # the same grades as graded alone
        assert got == _alone(rubric, folder, tmp_path / "alone" / folder.name), folder.name
    assert dict((i, s) for i, s, _ in graded[3])["p3a_answer"] == 0


def test_a_section_written_alike_is_shared_wherever_it_stands(rubric, tmp_path):
    """Students write their own prose around the handout's notation: a section met again
    at another line is read alone and its values shared from then on; an answer that
    ends in an error names its line, so it is shared at that line only."""
    moved = lambda k: lambda t: f"Answers of s{k}.\n" + "\n" * k + t  # noqa: E731
    broken = lambda t: t.replace("h_next[b, i] = f[b, i]", "h_next[b, i] += f[b, i]")  # noqa: E731
    students = [_student(tmp_path, f"s{k}", moved(k)) for k in range(3)]
    students += [_student(tmp_path, f"b{k}", lambda t, k=k: moved(k)(broken(t))) for k in range(3)]
    sandbox, graded = _graded_in_turn(rubric, tmp_path, students)
    written = [i for i in rubric.items if i.kind in ("expression", "index")]
    jobs = [(j[0], j[1]) for j in sandbox.jobs]
    alone = [(["2b"], rubric.item("p2b_equations").trials)]
    # s0: one child for all; s1 (two lines further down): each section alone; s2: none;
    # b0: its 2b with the rest of its file; b1, b2: their 2b alone, each at its own line
    assert len(jobs) == 1 + len(written) + 1 + 2, jobs
    assert all(len(secs) == 1 for secs, _ in jobs[1:1 + len(written)])
    assert jobs[-2:] == alone * 2 and len(jobs[-3][0]) > 1
    for folder, got in zip(students, graded):  # the same grades, lines and all, as alone
        assert got == _alone(rubric, folder, tmp_path / "alone" / folder.name), folder.name
    line = next(n for n, text in enumerate((EXAMPLES / "alice" / "answers.md").read_text()
                                           .splitlines(), 1) if text.startswith("h_next[b, i] ="))
    for k in (1, 2):  # b1's line is b1's own, b2's is b2's (k + 1 lines more than alice's)
        assert f"line {line + k + 1}, " in dict((i, o) for i, _, o in graded[3 + k])[
            "p2b_equations"]


class Flaky:
    """A sandbox in which one item's first answer ends in a timeout."""

    def __init__(self):
        self.inner, self.asked = SubprocessSandbox(), 0

    def run(self, job: ModuleJob) -> ModuleRun:
        run = self.inner.run(job)
        if job.module != WRITTEN_MODULE:
            return run
        self.asked += 1
        slow = [c.id for c in job.calls if c.item == "p3a_answer"]
        if not slow:
            return run
        return replace(run, calls={**run.calls, slow[0]: CallOutcome("timeout", detail="slow")})


def test_answers_that_depend_on_the_moment_are_never_kept(rubric, tmp_path):
    sandbox = Flaky()
    for k in range(4):
        folder = _student(tmp_path, f"s{k}")
        grade(Request(folder, tmp_path / "out" / folder.name, rubric, share=True), sandbox)
    written = [i.id for i in rubric.items if i.kind in ("expression", "index")]
    assert len(shared._KEPT.data) == len(written) - 1
    # s0: one child; s1: one an item; s2, s3: 3a (never kept) in a child of its own again
    assert sandbox.asked == 1 + len(written) + 2
