"""An in-process stand-in for the sandbox, for fast unit tests of checks (never the product)."""
from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from grader.sandbox import child  # the child's own conversion, so values look as they would
from grader.sandbox import CallOutcome, ImportOutcome, ModuleJob, ModuleRun, StudentError
from grader.sandbox.wire import decode_frame, encode

_WRITTEN: dict[str, Any] = {}  # answers.md text -> its functions, made once


class InProcessSandbox:
    """Calls plain Python objects standing for student modules: {"problem1": namespace}."""

    layers = ("in-process fake (tests only)",)

    def __init__(self, modules: dict[str, Any]):
        self.modules = modules

    def run(self, job: ModuleJob) -> ModuleRun:
        module = self.modules.get(job.module)
        if module is None:
            return ModuleRun(job.module, ImportOutcome("missing"),
                             {c.id: CallOutcome("not_run") for c in job.calls})
        return ModuleRun(job.module, ImportOutcome("ok"),
                         {c.id: self._call(module, c) for c in job.calls}, processes=0)

    def _call(self, module: Any, call: Any) -> CallOutcome:
        if call.spec is not None:  # written answers: the text of answers.md
            from grader.sandbox.written import AnswerError, WrittenAnswers

            try:
                made = _WRITTEN.setdefault(module, WrittenAnswers(".", module))
                target = made.function(call.spec)
            except AnswerError as exc:
                return CallOutcome("raised", error=StudentError("AnswerError", str(exc)))
        elif not hasattr(module, call.attr):
            return CallOutcome("missing")
        else:
            target = getattr(module, call.attr)
        args = [child._to_student(a, None) for a in call.args]
        start = time.perf_counter()
        try:
            value = target(*args) if call.kind == "call" else target
        except Exception as exc:
            if type(exc).__name__ == "AnswerError":
                return CallOutcome("raised", error=StudentError("AnswerError", str(exc)))
            return CallOutcome("raised", error=StudentError(type(exc).__name__, str(exc)))
        message = {"value": child._to_wire(value)}
        if call.report_args:
            message["args"] = [child._to_wire(a) for a in args]
        back = decode_frame(encode(message))  # through the wire, as in the real sandbox
        args_after = tuple(back["args"]) if "args" in back else None
        return CallOutcome("ok", value=back["value"], args_after=args_after,
                           duration=time.perf_counter() - start)


def namespace(**attrs: Any) -> SimpleNamespace:
    return SimpleNamespace(**attrs)


def grade_modules(rubric: Any, modules: dict[str, Any], seed: int,
                  only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Plan, run in-process and judge: {item id: ItemResult}."""
    from grader.engine import checks
    from grader.rubric.references import References

    items = [i for i in rubric.items if not only or i.id in only]
    return checks.judge_in(InProcessSandbox(modules), References(rubric.reference_dir),
                           items, seed)
