"""Inside Gradescope's image: grade ROOT/submission into ROOT/results/results.json.

Seeds come from the rubric and the submitted code, as everywhere (grader/seeds.py): a
resubmission of the same code gets the same inputs and the same feedback, whatever its
comments say, while any change of what the code does draws new inputs, so answers fitted
to the inputs a failure message showed do not carry over.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Optional

from grader import __version__
from grader.display.text import md_block

SOURCE = Path(__file__).resolve().parents[2]


def run_autograder(root: Optional[Path] = None) -> None:
    start = time.monotonic()
    root = Path(root or os.environ.get("GRADESCOPE_ROOT", "/autograder"))
    target = root / "results" / "results.json"
    try:
        data = _grade(root, start)
    except BaseException:  # noqa: BLE001 - whatever happens, Gradescope gets a result
        data = _failed(traceback.format_exc())
    from grader.outputs.results_json import write_json_atomic

    write_json_atomic(data, target)
    print(f"results: {target} ({data.get('score', 0)} points)")


def _grade(root: Path, start: float) -> dict[str, Any]:
    from grader.disk.workspace import folder, sweep
    from grader.gradescope import metadata
    from grader.outputs.feedback import item_feedback
    from grader.outputs.results_json import overall_markdown, to_results
    from grader.pipeline import Request, grade, seed_of
    from grader.rubric.model import load_rubric
    from grader.sandbox.process import SubprocessSandbox

    sweep()
    config = json.loads((SOURCE / "gradescope.json").read_text())
    rubric = load_rubric(SOURCE / config["rubric"])
    options = rubric.model.gradescope
    meta = metadata.read(root)
    cap = rubric.model.policy.submissions
    kept = metadata.kept_results(meta, cap) if cap and meta else None
    if kept is not None:  # beyond the rubric's cap: an earlier score stands, and it says so
        print(f"not graded: submission beyond the rubric's {cap.max}; kept {kept['score']}")
        return kept
    submission = root / "submission"
    private(root)
    seed = seed_of(rubric, submission)
    with folder("gs") as out:
        result = grade(Request(submission, out, rubric, seed,
                               extra={"submission_id": _submission_id(root)},
                               deadline=start + options.time_budget,
                               parallel=False,  # one sandbox at a time fits 768 MB
                               manual=False,  # Gradescope's own manual grading has them
                               arrival=meta.arrival if meta else None),  # the late policy
                       SubprocessSandbox.ready_for_one(submission)())
    data = to_results(result)
    data.update(visibility=options.visibility, stdout_visibility=options.stdout_visibility,
                output=overall_markdown(result), output_format="md")
    for test, item in zip(data["tests"], result.items):
        test["output"] = item_feedback(item, result).markdown()
        test["output_format"] = "md"
    if result.internal_error:
        data["tests"].append(_traceback_entry(result.internal_error))
    for line in _log(result, detail=options.stdout_visibility == "hidden"):
        print(line)
    return data


def private(root: Path) -> None:
    """The upload and its metadata readable by root alone. The sandbox runs a rewritten
    private copy (engine/executed.py); where Landlock is missing (Gradescope's containers
    may lack it) the sandbox user could otherwise read the upload as written, comments
    and answers.md's prose included, which the seed leaves out, and fit the feedback."""
    if os.geteuid() != 0:
        return  # no sandbox user to keep out: the sandbox runs as this user anyway
    for path, mode in ((root / "submission", 0o700), (root / "submission_metadata.json", 0o600)):
        try:
            os.chmod(path, mode, follow_symlinks=False)
        except (OSError, NotImplementedError):
            continue


def _submission_id(root: Path) -> str:
    try:
        meta = json.loads((root / "submission_metadata.json").read_text())
        return str(meta.get("id", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def _failed(tb: str) -> dict[str, Any]:
    """The grader broke: a visible entry that says so, and a hidden one with the cause."""
    return {
        "score": 0.0, "execution_time": 0.0, "output_format": "md",
        "output": "**The autograder failed while grading this submission; your instructor "
                  "has been told.** Your score is not final.",
        "visibility": "visible", "stdout_visibility": "hidden",
        "tests": [{"name": "The autograder failed", "number": "grader", "score": 0.0,
                   "max_score": 0.0, "status": "failed", "visibility": "visible",
                   "output": "The autograder failed; your instructor has been told.",
                   "extra_data": {"item": "grader_failed", "seed": 0}},
                  _traceback_entry(tb)],
        "extra_data": {"grader_version": __version__, "grader_failed": True},
    }


def _traceback_entry(tb: str) -> dict[str, Any]:
    return {"name": "Grader error (instructors only)", "number": "grader_traceback",
            "score": 0.0, "max_score": 0.0, "status": "failed", "visibility": "hidden",
            "output": md_block(tb), "output_format": "md",
            "extra_data": {"item": "grader_traceback", "seed": 0}}


def _log(result: Any, detail: bool) -> list[str]:
    """For the instructor's view of run_autograder's output; where the rubric shows that
    output to students too (`gradescope.stdout_visibility`), a hidden item's line says
    only whether it passed."""
    from grader.display.text import terminal

    late = [terminal(result.late.line(result.earned))] if result.late else []
    return [terminal(f"{r.item.id}: {r.score:g}/{r.item.points:g} " + (
        r.verdict if detail or r.item.visibility != "hidden" else
        "passed" if r.passed else "failed")) for r in result.items] + late


if __name__ == "__main__":
    run_autograder(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
