"""Student-facing feedback: what was checked, what went wrong, and how to reproduce it."""
from __future__ import annotations

import re
from dataclasses import dataclass

from grader.outcomes import ItemResult, SubmissionResult


MODULE_LEVEL = {"import", "missing_file", "missing", "not_run"}  # no trial explains these


@dataclass(frozen=True)
class Feedback:
    """Feedback for one item, in parts the HTML report lays out and results.json joins."""

    verdict: str
    checked: str
    failure: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    diagnosis: str = ""
    traceback: str = ""
    hint: str = ""
    repro: str = ""

    def text(self) -> str:
        parts = [self.verdict, self.checked]
        if self.params:
            parts.append("Inputs of that trial: " + ", ".join(self.params))
        parts += list(self.failure)
        if self.diagnosis:
            parts.append(f"Likely mistake: {self.diagnosis}")
        if self.traceback:
            parts.append("Traceback (your files only):\n" + self.traceback)
        if self.hint:
            parts.append(f"Hint: {self.hint}")
        if self.repro:
            parts.append(f"Reproduce: {self.repro}")
        return "\n".join(p for p in parts if p)


    def markdown(self) -> str:
        """The same feedback in Markdown, as Gradescope renders it (math in $$...$$)."""
        parts = [f"**{self.verdict}**", self.checked]
        if self.params:
            parts.append("Inputs of that trial: " + ", ".join(f"`{p}`" for p in self.params))
        if self.failure:
            parts.append("```\n" + "\n".join(self.failure) + "\n```")
        if self.diagnosis:
            parts.append(f"**Likely mistake:** {_gradescope_math(self.diagnosis)}")
        if self.traceback:
            parts.append("Traceback (your files only):\n\n```\n" + self.traceback + "\n```")
        if self.hint:
            parts.append(f"**Hint:** {_gradescope_math(self.hint)}")
        if self.repro:
            parts.append(f"Reproduce: `{self.repro}`")
        return "\n\n".join(p for p in parts if p)


def _gradescope_math(text: str) -> str:
    """Gradescope's Markdown renders LaTeX between double dollars, inline or not."""
    return re.sub(r"(?<![$\\])\$([^$]+)\$(?!\$)", r"$$\1$$", text)


def item_feedback(result: ItemResult, sub: SubmissionResult) -> Feedback:
    """Hidden items say only whether they passed: no inputs, values or diagnoses."""
    item = result.item
    hidden = item.visibility == "hidden"
    if result.internal_error:
        return Feedback("Not graded: the grader itself failed on this item; your instructor "
                        "has been told.", "")
    if item.kind == "constant":
        checked = f"Checked the value of {item.student}."
    else:
        checked = (f"Checked {item.student} on {result.trials} trials with random inputs "
                   f"(edge cases first); {result.trials - result.failed} passed.")
    if result.passed:
        return Feedback("Passed.", checked)
    failure = result.failure
    if hidden:
        return Feedback("Failed.", checked)
    whole_module = failure is not None and failure.kind in MODULE_LEVEL
    if failure is None:
        verdict = "Failed."
    elif whole_module or item.kind == "constant":
        verdict, checked = f"Failed: {failure.summary}.", ""
    else:
        verdict = f"Failed on trial {failure.trial + 1} of {result.trials}: {failure.summary}."
    return Feedback(
        verdict=verdict,
        checked=checked,
        failure=failure.lines if failure else (),
        params=tuple(f"{k} = {v}" for k, v in failure.params.items())
        if failure and not whole_module else (),
        diagnosis=result.diagnosis.message.strip() if result.diagnosis else "",
        traceback=failure.traceback if failure else "",
        hint=item.hint.strip(),
        repro=f"{sub.repro} --item {item.id} --seed {sub.seed}" if item.kind != "constant" else "",
    )


def summary_line(sub: SubmissionResult) -> str:
    passed = sum(r.passed for r in sub.items)
    return (f"{sub.name}: {sub.score:g} / {sub.max_score:g} points, "
            f"{passed} of {len(sub.items)} items passed")
