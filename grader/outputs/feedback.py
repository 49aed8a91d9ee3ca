"""Student-facing feedback: what was checked, what went wrong, and how to reproduce it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from grader.display import text
from grader.display.plaintext import to_plain
from grader.display.text import md_block, md_code
from grader.engine.outcomes import ItemResult, SubmissionResult

MODULE_LEVEL = {"import", "missing_file", "missing", "not_run", "unreadable"}  # no trial explains these


@dataclass(frozen=True)
class Feedback:
    """Feedback for one item, in parts the HTML report lays out and results.json joins.

    `verdict` is the grader's own words; `summary`, `failure` and `traceback` may quote
    what the student's code said, so Markdown shows them as code, never as Markdown."""

    verdict: str
    checked: str
    summary: str = ""
    failure: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    diagnosis: str = ""
    explanations: tuple[str, ...] = ()  # the generic diagnosis (grader/engine/diagnose/)
    traceback: str = ""
    hint: str = ""
    repro: str = ""
    criteria: tuple[str, ...] = ()  # manual items: what the TAs applied, with points
    comment: str = ""  # manual items: the TAs' words

    @property
    def headline(self) -> str:
        return f"{self.verdict}: {self.summary}." if self.summary else self.verdict

    def text(self) -> str:
        parts = [self.headline, self.checked]
        if self.params:
            parts.append("Inputs of that trial: " + ", ".join(self.params))
        parts += list(self.failure)
        if self.diagnosis:
            parts.append(f"Likely mistake: {self.diagnosis}")
        parts += [f"Diagnosis: {e}" for e in self.explanations]
        parts += list(self.criteria)
        if self.comment:
            parts.append(f"TA's comment: {self.comment}")
        if self.traceback:
            parts.append("Traceback (your files only):\n" + self.traceback)
        if self.hint:
            parts.append(f"Hint: {self.hint}")
        if self.repro:
            parts.append(f"Reproduce: {self.repro}")
        return "\n".join(p for p in parts if p)

    def markdown(self) -> str:
        """The same feedback in Markdown, as Gradescope renders it (math in $$...$$).
        Only the grader's and the rubric's words are Markdown; the rest is code."""
        parts = [f"**{self.verdict}:** {md_code(self.summary)}" if self.summary
                 else f"**{self.verdict}**", self.checked]
        if self.params:
            parts.append("Inputs of that trial: " + ", ".join(md_code(p) for p in self.params))
        if self.failure:
            parts.append(md_block("\n".join(self.failure)))
        if self.diagnosis:
            parts.append(f"**Likely mistake:** {_gradescope_math(self.diagnosis)}")
        parts += [f"**Diagnosis:** {_gradescope_math(e)}" for e in self.explanations]
        parts += [_gradescope_math(c) for c in self.criteria]
        if self.comment:
            parts.append(f"**TA's comment:** {md_code(self.comment)}")
        if self.traceback:
            parts.append("Traceback (your files only):\n\n" + md_block(self.traceback))
        if self.hint:
            parts.append(f"**Hint:** {_gradescope_math(self.hint)}")
        if self.repro:
            parts.append(f"Reproduce: {md_code(self.repro)}")
        return "\n\n".join(p for p in parts if p)


def _gradescope_math(text: str) -> str:
    """Gradescope's Markdown renders LaTeX between double dollars, inline or not."""
    return re.sub(r"(?<![$\\])\$([^$]+)\$(?!\$)", r"$$\1$$", text)


def item_feedback(result: ItemResult, sub: SubmissionResult,
                  for_student: bool = True) -> Feedback:
    """What a student reads of an item. A hidden item says only whether it passed (not
    its trials, inputs, values, diagnoses or what it checks); `for_student=False`, for
    the instructor's terminal, says all."""
    item = result.item
    if result.internal_error:
        return Feedback("Not graded: the grader itself failed on this item; your instructor "
                        "has been told.", "")
    if item.visibility == "hidden" and for_student:
        return Feedback("Waits for a TA." if result.pending else
                        "Passed." if result.passed else "Failed.", "")
    if result.manual is not None:
        return _manual_feedback(result)
    section = getattr(item, "section", None)
    what = f"your answer in section ## {section} of answers.md" if section else item.student
    if item.kind == "constant":
        checked = f"Checked the value of {item.student}."
    else:
        checked = (f"Checked {what} on {result.trials} trials with random inputs "
                   f"(edge cases first); {result.trials - result.failed} passed.")
    if result.passed:
        return Feedback("Passed.", checked)
    failure = result.failure
    whole_module = failure is not None and failure.kind in MODULE_LEVEL
    summary = failure.summary if failure else ""
    if failure is None:
        verdict = "Failed."
    elif whole_module or item.kind == "constant":
        verdict, checked = "Failed", ""
    else:
        verdict = f"Failed on trial {failure.trial + 1} of {result.trials}"
    return Feedback(
        verdict=verdict,
        checked=checked,
        summary=summary,
        failure=failure.lines if failure else (),
        params=tuple(f"{k} = {v}" for k, v in failure.params.items())
        if failure and not whole_module else (),
        diagnosis=result.diagnosis.message.strip() if result.diagnosis else "",
        explanations=tuple(e.text() for e in result.explanations),
        traceback=failure.traceback if failure else "",
        hint=item.hint.strip(),
        repro=kit_command(item.id, sub.seed) if item.kind != "constant" and sub.seed is not None
        and not section and not (failure and failure.kind == "missing_file") else "",
    )


def _manual_feedback(result: ItemResult) -> Feedback:
    item, grade = result.item, result.manual
    where = f"your answer in section ## {item.section} of answers.md"
    if grade.pending:
        return Feedback("Waits for a TA.", f"A TA grades {where}; these points are not in "
                        "your score yet.")
    if result.failure is not None:  # nothing to grade (grader.written.grades)
        return Feedback("Nothing for a TA to grade", f"A TA grades {where} or a PDF of your "
                        f"handwritten work, but {result.failure.summary}: 0 points. If you "
                        "did hand it in, tell your instructor.")
    applied = tuple(f"{'+' if p >= 0 else '−'}{abs(p):g}: {text.strip()}"
                    for text, p in grade.applied)
    return Feedback(f"Graded by a TA: {result.score:g} of {item.points:g} points.",
                    f"A TA graded {where}" + (", applying:" if applied else
                                              "; no rubric line applied."),
                    criteria=applied, comment=grade.comment.strip())


def kit_command(item_id: str, seed: int) -> str:
    """What a student runs, in the student kit's folder, to replay an item's trials."""
    return f"python check.py --item {item_id} --seed {seed}"


def table(result: SubmissionResult, mark: Any = None, summary: str = "",
          points: bool = True) -> list[str]:
    """For a terminal, as `grade` and the kit's check.py print it: the summary line (or
    `summary`) and one line per item (mark, id, points unless not `points`, verdict),
    what the student's code said made safe (text.terminal); `mark(passed)` may colour
    the mark."""
    mark = mark or (lambda passed: "ok  " if passed else "FAIL")
    width = max((len(r.item.id) for r in result.items), default=4)
    lines = [text.terminal(line) for line in (summary or summary_line(result), *result.notes)]
    for r in result.items:
        score = f"  {f'{r.score:g}/{r.item.points:g}':>7}" if points else ""
        shown = {"pending": "TA  ", "partial": "part"}.get(r.outcome) or mark(r.passed)
        lines.append(f"  {shown} {r.item.id:<{width}}{score}  "
                     f"{text.terminal(r.verdict)}")
    if result.late:  # a line of its own, never folded into an item
        lines.append(f"  late {'':<{width}}{f'-{result.deducted:g}':>9}  "
                     f"{text.terminal(result.late.line(result.earned))}")
    return lines


def summary_line(sub: SubmissionResult, named: bool = True) -> str:
    """"bob: 14 / 32 points, ..."; without `named` where the folder's name is not the
    student's own (Gradescope's is `submission`)."""
    passed = sum(r.passed for r in sub.items)
    return (f"{text.name(sub.name) + ': ' if named else ''}{sub.score:g} / {sub.max_score:g} "
            f"points, {passed} of {len(sub.items)} items passed")


def pending_titles(sub: SubmissionResult) -> list[str]:
    """The titles (plain text) of the manual items that wait for a TA: what students read,
    never the rubric's ids."""
    return [to_plain(r.item.title) for r in sub.items if r.pending]
