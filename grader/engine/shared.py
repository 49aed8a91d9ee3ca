"""Written answers evaluated once for every student of a class who wrote the same section.

A written item's inputs come from the rubric and what the grader grades of its section
(seeds.written_seeds), so students whose section reads alike meet the same trials, and
the sandbox would give each of them the same answers. Those answers are kept (bounded,
in this process) only when a child produced them that was given that one section and
nothing else: never from the child of a student's whole answers.md, whose other sections
might have been written to make it answer wrongly for the rest of the class. A section
gets such a child of its own the second time it is met; one that nobody else wrote costs
what it did before (one child per student for all their sections).

Kept are answers whose every call ran to its end (a value, or the answer's own error);
a timeout, a crash or running out of memory depends on the moment, and is never kept.
Answers that are all values are kept for the section's text wherever it stands in the
file (students' prose before it differs); answers with an error say the section's line,
and are kept for that line only.
"""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from grader.disk import workspace
from grader.engine.checks import Plan
from grader.engine.memo import Memo
from grader.engine.seeds import MAX_NORMAL_FORM
from grader.rubric.itemdata import EVALUATED_WRITTEN
from grader.sandbox import WRITTEN_MODULE, CallOutcome, ImportOutcome, ModuleJob, ModuleRun, Sandbox
from grader.sandbox.written import ANSWERS_FILE, AnswerError, Section, read_answers, sections

_ENDED_IN_ITS_OWN_ERROR = "AnswerError"


_KEPT = Memo(2048)  # a section's key -> the outcomes of its trials, in order
_SEEN = Memo(65536)  # the keys of sections met once


def forget() -> None:
    """Drop every kept answer (tests; a process grades one rubric's class at a time)."""
    _KEPT.clear()
    _SEEN.clear()


class SharingSandbox:
    """`inner`, except that the written answers' job takes what is kept for a section
    instead of asking a child again, and gives a section met for the second time a
    child of its own whose answers are then kept."""

    def __init__(self, inner: Sandbox, plans: list[Plan], rubric_sha: str):
        self.inner = inner
        self.rubric_sha = rubric_sha
        self.plans = [p for p in plans if p.item.kind in EVALUATED_WRITTEN]
        # Python modules (never answers.md, which `run` shares) as `inner` runs them
        self.run_together = getattr(inner, "run_together", None)

    def run(self, job: ModuleJob) -> ModuleRun:
        if job.module != WRITTEN_MODULE or _too_large(job):
            return self.inner.run(job)
        try:
            found = sections(read_answers(str(job.root)))
        except AnswerError:  # no answers.md: its child says so
            return self.inner.run(job)
        kept: dict[int, CallOutcome] = {}
        own: dict[str, tuple[Plan, Section]] = {}
        asked = {c.id for c in job.calls}
        for plan in self.plans:
            section = found.get(plan.item.section)
            if section is None or not asked.issuperset(plan.call_ids):
                continue
            key, anywhere = self._key(plan, section), self._key(plan, section, anywhere=True)
            outcomes = _KEPT.find(anywhere) or _KEPT.find(key)
            if outcomes is not None and len(outcomes) == len(plan.call_ids):
                kept.update(zip(plan.call_ids, outcomes))
            elif anywhere in _SEEN:
                own[key] = (plan, section)
            else:
                _SEEN.put(anywhere, True)
        alone = {cid for plan, _ in own.values() for cid in plan.call_ids}
        rest = tuple(c for c in job.calls if c.id not in kept and c.id not in alone)
        runs = self._run_alone(job, own)
        if rest or not (kept or runs):
            runs.append(self.inner.run(replace(job, calls=rest)))
        return _merged(job, runs, kept)

    def _key(self, plan: Plan, section: Section, anywhere: bool = False) -> str:
        """What answers are kept under: the section as written, at its line or (`anywhere`)
        at any line."""
        return hashlib.sha256("\x1f".join(map(str, (
            self.rubric_sha, plan.item.id, plan.seed, len(plan.call_ids), section.part,
            "" if anywhere else section.line, section.heading, section.body))).encode(
                "utf-8", "surrogateescape")).hexdigest()

    def _run_alone(self, job: ModuleJob, own: dict[str, tuple[Plan, Section]]
                   ) -> list[ModuleRun]:
        """Each section in a child given only that section (at its own line, so that
        what the child says of a line is what it says in the whole file), its answers
        kept when they are all the answer's own."""
        if not own:
            return []

        def one(key: str) -> ModuleRun:
            plan, section = own[key]
            text = "\n" * (section.line - 1) + section.heading + "\n" + section.body
            if sections(text).get(section.part) != section:  # read otherwise alone: not shared
                return self.inner.run(replace(job, calls=_calls(job, plan)))
            with workspace.folder("answer") as folder:
                (folder / ANSWERS_FILE).write_text(text, encoding="utf-8")
                run = self.inner.run(replace(job, root=folder, calls=_calls(job, plan)))
            outcomes = tuple(run.calls.get(cid) for cid in plan.call_ids)
            if run.imported.status == "ok" and all(o is not None and _settled(o)
                                                   for o in outcomes):
                values = all(o.status == "ok" for o in outcomes)  # no line in any of them
                _KEPT.put(self._key(plan, section, anywhere=True) if values else key, outcomes)
            return run

        with ThreadPoolExecutor(max_workers=min(2, len(own))) as pool:  # the class runs too
            return list(pool.map(one, list(own)))


def _too_large(job: ModuleJob) -> bool:
    """An answers.md larger than the seed reads (seeds.MAX_NORMAL_FORM): its items are
    drawn from the code's seed, shared by nobody, and it is not read here."""
    try:
        return (job.root / ANSWERS_FILE).stat().st_size > MAX_NORMAL_FORM
    except OSError:
        return True


def _calls(job: ModuleJob, plan: Plan) -> tuple:
    mine = set(plan.call_ids)
    return tuple(c for c in job.calls if c.id in mine)


def _settled(outcome: CallOutcome) -> bool:
    """An outcome that any child given the same section would give again."""
    if outcome.status == "ok":
        return True
    return outcome.status == "raised" and outcome.error is not None and \
        outcome.error.type == _ENDED_IN_ITS_OWN_ERROR


def _merged(job: ModuleJob, runs: list[ModuleRun],
            kept: dict[int, CallOutcome]) -> ModuleRun:
    """One run of the module: what the children said, and what was kept. It counts the
    processes one child of the whole answers.md would have taken (1, and one more for each
    child started again after one died), not the children sharing took: results.json must
    not tell a student graded in a class from one graded alone."""
    calls = dict(kept)
    for run in runs:
        calls.update(run.calls)
    failed = next((r.imported for r in runs if r.imported.status != "ok"), None)
    imported = failed or (runs[0].imported if runs else ImportOutcome("ok"))
    return ModuleRun(job.module, imported, calls,
                     output="".join(r.output for r in runs),
                     output_dropped=sum(r.output_dropped for r in runs),
                     processes=1 + sum(max(0, r.processes - 1) for r in runs),
                     layers=next((r.layers for r in runs if r.layers), ()))
