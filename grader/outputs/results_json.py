"""results.json in Gradescope's format, written atomically; the one edge where results become dicts."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, Optional

from grader import __version__
from grader.display.plaintext import first_sentence, to_plain
from grader.display.text import deep_visible, md_code
from grader.engine.outcomes import SubmissionResult
from grader.engine.submission import file_name
from grader.outputs.feedback import item_feedback, pending_titles, summary_line


def to_results(sub: SubmissionResult) -> dict[str, Any]:
    tests = [_test(r, sub) for r in sub.items]
    return {
        "score": round(sub.score, 6),
        "execution_time": round(sub.execution_time, 3),
        "output": overall_output(sub),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "grader_version": __version__,
            "rubric": sub.rubric.model.name,
            "rubric_sha256": sub.rubric.sha256,
            "seed": sub.seed,
            "submission": sub.name,
            "files_found_in": sub.root,
            "sandbox_layers": list(sub.layers),
            "modules": {m.module: {"status": m.status, "detail": m.detail, "backend": m.backend,
                                   "processes": m.processes} for m in sub.modules},
            **({"internal_error": sub.internal_error} if sub.internal_error else {}),
            **({"late": _late(sub)} if sub.late else {}),
            **sub.extra,
        },
    }


def _late(sub: SubmissionResult) -> dict[str, Any]:
    """The late policy's deduction, apart from the items: their scores add up to `earned`."""
    late = sub.late
    return {"deducted": sub.deducted, "earned": round(sub.earned, 6), "why": late.why,
            "rule": late.rule, "zero": late.zero}


def _test(r: Any, sub: SubmissionResult) -> dict[str, Any]:
    return {
        "name": to_plain(r.item.title),  # Gradescope shows test names as plain text
        "number": r.item.id,
        "score": r.score,
        "max_score": r.item.points,
        "status": _status(r),
        "output": item_feedback(r, sub).text(),
        "visibility": r.item.visibility,
        "extra_data": item_extra(r, sub, for_student=True),
    }


def item_extra(r: Any, sub: SubmissionResult, for_student: bool = False) -> dict[str, Any]:
    """An item's `extra_data`: what the class page counts (trials, failure, mistake,
    explanation). A student reads results.json, so of a hidden item it says only which
    item it is (the class page reads the rest from the record, grader/record.py)."""
    base = {"item": r.item.id, "kind": r.item.kind,
            "seed": sub.seed if r.base_seed is None else r.base_seed}
    if r.item.visibility == "hidden" and for_student:
        return {**base, **({"manual": _manual(r)} if r.manual else {})}
    failure = r.failure
    return {**base,
            "item_seed": r.seed,
            "trials": r.trials,
            "failed_trials": r.failed,
            "failure_kind": failure.kind if failure else None,
            "mistake": r.diagnosis.id if r.diagnosis else None,
            "explained": [e.kind for e in r.explanations],
            **_explanation(r),
            "duration": round(r.duration, 4),
            **({"manual": _manual(r)} if r.manual else {}),
            **({"internal_error": r.internal_error} if r.internal_error else {})}


def _status(r: Any) -> str:
    """Gradescope marks a test whose score is below its maximum as failing unless its
    status says "passed": a TA's partial credit is no failure (a 1.5 of 2 is shown in
    green with its points, as in Gradescope's own example); pending manual items fail."""
    return "passed" if r.outcome in ("passed", "partial") else "failed"


def _manual(r: Any) -> str:
    if r.pending:
        return "pending"
    return "nothing to grade" if r.failure is not None else "graded"


def overall_output(sub: SubmissionResult) -> str:
    return "\n".join(_overall(sub, markdown=False))


def overall_markdown(sub: SubmissionResult) -> str:
    """`overall_output` for Gradescope's Markdown: what the student's files or code said
    (folder and file names, error messages) is code, not Markdown."""
    return "\n\n".join(_overall(sub, markdown=True))


def _overall(sub: SubmissionResult, markdown: bool) -> list[str]:
    code = md_code if markdown else str
    strong = (lambda text: f"**{text}**") if markdown else str  # noqa: E731
    lines = [code(summary_line(sub, named=not markdown))]  # Gradescope's folder is not theirs
    if sub.late:
        lines.append(strong(sub.late.line(sub.earned)))
    if sub.pending:
        lines.append(f"Waiting for a TA: {'; '.join(pending_titles(sub))} (not in the score "
                     "yet).")
    if sub.internal_error:
        lines.append(strong("The grader itself failed while grading this submission; your "
                            "instructor has been told.") + " Items not graded score 0 for now.")
    if sub.root not in (".", ""):
        lines.append(f"Your files were found in the folder {code(sub.root + '/')}.")
    lines += [code(note) for note in sub.notes]
    lines += [_module_line(m, code) for m in sub.modules if m.status != "ok"]
    return lines


def _module_line(m: Any, code: Any = str) -> str:
    """What went wrong with one of the student's files, named as they named it (`code`
    marks what came from their files, for Markdown)."""
    name, why = file_name(m.module), m.detail or m.status
    return code(why) if why.startswith(name) else f"{code(name)}: {code(why)}"


def write_json_atomic(data: Any, path: Path, indent: Optional[int] = 2) -> None:
    """Every string as text a person may read (text.visible), in strict JSON; indented
    for people, or (`indent=None`) on one line, which json writes several times faster."""
    write_text_atomic(json.dumps(deep_visible(data), indent=indent, ensure_ascii=False,
                                 allow_nan=False) + "\n", path)


def write_text_atomic(text: str, path: Path) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`: readers see the
    old file or the new one, never half of one. The mode honours the umask, like any tool's
    (TAs read reports through a web server or a shared folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _explanation(r: Any) -> dict[str, str]:
    """The gist of the generic diagnosis's value explanation, for the class page."""
    value = [e for e in r.explanations if e.kind != "inputs"]
    return {"explanation": first_sentence(value[0].message)} if value else {}
