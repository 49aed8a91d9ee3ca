"""`grade rubric check`: everything that can be wrong with a rubric, pointing at the line.

Schema problems come from loading; then every reference must exist, every student
attribute must be named in the handout, every input must be drawable; then the self-test:
the reference and a float32 port of it score full marks, every declared mistake loses
its item, and a warning where a mistake slips through too often.
"""
from __future__ import annotations

import math
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.authoring import selftest
from grader.engine import preflight
from grader.rubric.model import Rubric, RubricError, load_rubric
from grader.rubric.references import References

SLIP_WARNING = 0.01  # warn when a mistake passes its item on more than 1% of seeds
LOOSE = 100  # warn when an rtol is this many times what float32 needs


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check(path: Path, seeds: int = 40) -> Report:
    report = Report()
    try:
        rubric = load_rubric(path)
    except RubricError as exc:
        report.errors += exc.problems
        return report
    at = preflight.locator(path, rubric)
    refs = preflight.references(rubric, report.errors, at)
    if refs is None:
        return report
    report.errors += preflight.reference_problems(rubric, refs, at)
    _check_handout(rubric, report, at)
    report.errors += preflight.input_problems(rubric, at)
    if report.errors:
        return report
    _check_leaks(rubric, refs, report, at)
    try:
        _self_test(rubric, refs, report, at, seeds)
    except Exception as exc:  # noqa: BLE001 - a reference that raises: where, and what
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        report.errors.append(f"{path}: the self-test stopped: {frame.filename}:{frame.lineno} "
                             f"(in {frame.name}) raised {type(exc).__name__}: {exc}")
    return report


def _check_handout(rubric: Rubric, report: Report, at: Any) -> None:
    if not rubric.model.handout:
        return
    handout = (rubric.path.parent / rubric.model.handout).resolve()
    try:
        text = handout.read_text(encoding="utf-8")
    except OSError as exc:
        report.errors.append(at("handout") + f"handout: {exc}")
        return
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))  # whole names, not substrings
    for i, item in enumerate(rubric.items):
        if item.written:  # answered in answers.md, under the part's heading
            missing = [w for w in ("answers.md", item.section) if w not in text]
            if missing:
                report.errors.append(at("items", i, "section") + f"items[{i}].section: "
                                     f"{' and '.join(missing)} not named in {handout.name}, "
                                     "so students cannot know where to answer")
            continue
        for name, what in ((f"{item.module}", f"the module {item.module}.py"),
                           (item.attr, item.attr)):
            if name not in words:
                report.errors.append(at("items", i, "student") + f"items[{i}].student: "
                                     f"{item.student!r}: {what} is not named in "
                                     f"{handout.name}, so students cannot know to define it")
                break


def _check_leaks(rubric: Rubric, refs: References, report: Report, at: Any) -> None:
    """Text students read must not give a right answer away (grader/leaks/): a mistake
    message or hint, shown to a student whose answer is wrong, is an error; the title or
    description of a written item (a question to derive) and a handout passage are
    warnings, since a statement may define the very function it asks for (the author
    decides; a code item's description often does, and is not read)."""
    from grader.leaks import Detector

    detector = Detector(rubric, refs)
    for i, item in enumerate(rubric.items):
        texts = [(("hint",), item.hint, report.errors)]
        texts += [(("mistakes", k, "message"), m.message, report.errors)
                  for k, m in enumerate(item.mistakes)]
        if item.written:
            texts += [(("title",), item.title, report.warnings),
                      (("description",), item.description, report.warnings)]
        for loc, text, found in texts:
            leak = detector.leak(text) if text else None
            if leak:
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
                found.append(at("items", i, *loc) + f"items[{i}]{where}: gives the answer "
                             f"away: {leak.text()}; say what is wrong without it")
    if rubric.model.handout:
        handout = (rubric.path.parent / rubric.model.handout).resolve()
        for line, leak in detector.leaks_by_line(handout.read_text(encoding="utf-8")):
            report.warnings.append(f"{handout}:{line}: gives the answer away: {leak.text()};"
                                   " unless the question states it, use an example that "
                                   "answers nothing")


def _self_test(rubric: Rubric, refs: References, report: Report, at: Any, seeds: int) -> None:
    for label, port in (("the reference", False), ("a float32 port of the reference", True)):
        for problem in selftest.reference_failures(rubric, refs, range(min(seeds, 10)), port)[:5]:
            item_id = problem.split(" ", 1)[0]
            i = [it.id for it in rubric.items].index(item_id)
            report.errors.append(at("items", i) + f"items[{i}]: {label} does not score full "
                                 f"marks: {problem} (tolerances too tight?)")
    _check_tolerances(rubric, refs, report, at, range(min(seeds, 10)))
    ids = [it.id for it in rubric.items]
    for power in selftest.mistake_power(rubric, refs, range(seeds)):
        i = ids.index(power.item)
        k = [m.id for m in rubric.items[i].mistakes].index(power.mistake)
        where = at("items", i, "mistakes", k) + f"items[{i}].mistakes[{k}]: {power.mistake}: "
        if power.slipped == power.seeds:
            report.errors.append(where + "never loses its item: the checks cannot tell it "
                                 "from a right answer")
        elif power.slip_rate > SLIP_WARNING:
            report.warnings.append(where + f"passes {power.item} on {power.slipped} of "
                                   f"{power.seeds} seeds ({100 * power.slip_rate:.0f}%): add "
                                   "trials or edge cases, or widen the input ranges")
        elif power.misdiagnosed:
            report.warnings.append(where + f"caught, but not named on {power.misdiagnosed} of "
                                   f"{power.seeds} seeds: another mistake matches it too")
        else:
            report.notes.append(f"{power.item}: {power.mistake} caught and named on all "
                                f"{power.seeds} seeds")


def _check_tolerances(rubric: Rubric, refs: References, report: Report, at: Any,
                      seeds: range) -> None:
    """An rtol far looser than float32 needs lets near misses pass (a hard-coded ln 2 of
    0.6931 is 7e-5 off): say so, and what float32 really loses."""
    ids = [it.id for it in rubric.items]
    for loss in selftest.float32_loss(rubric, refs, seeds):
        i = ids.index(loss.item)
        where = at("items", i, "rtol") + f"items[{i}].rtol: "
        need = f"float32 loses at most {loss.needed_rtol:.2g} on {loss.item}"
        if loss.margin > LOOSE:
            report.warnings.append(where + f"{loss.rtol:g} is {loss.margin:.0f} times looser "
                                   f"than needed ({need}): answers that far off would pass; "
                                   f"{suggested_rtol(loss.needed_rtol):g} keeps a margin of 10")
        else:
            report.notes.append(f"{loss.item}: rtol {loss.rtol:g}, {need}")


def suggested_rtol(needed: float) -> float:
    """Ten times what float32 needs, rounded up to one significant digit (at least 1e-6)."""
    target = max(10 * needed, 1e-6)
    exponent = math.floor(math.log10(target))
    return math.ceil(target / 10 ** exponent) * 10 ** exponent
