"""What a sandbox child says, read by the parent (process.py's sandbox on Linux, and
portable.py's, the kit's, anywhere): its frames into an attempt's import and call
outcomes, the time each call may take, the output kept, and whom an early end is charged to.
Every duration is the grader's own clock; nothing the child says about time is used."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional

from grader.sandbox import (Call, CallOutcome, Frame, ImportOutcome, ModuleJob, StudentError,
                            wire)
from grader.sandbox.outbox import Requests

SLACK = 10.0  # seconds the harness may take between two calls
CALL_STATUSES = {"ok", "raised", "missing", "bad_output"}


@dataclass
class _Attempt:
    imported: Optional[ImportOutcome] = None
    results: dict[int, CallOutcome] = field(default_factory=dict)
    ended: str = ""  # why the child stopped early: a time-out, a crash, bad data
    timed_out: bool = False
    done: bool = False
    output: bytearray = field(default_factory=bytearray)
    dropped: int = 0
    layers: tuple[str, ...] = ()
    blamed: Optional[int] = None  # the call in progress, or whose code caused an early end
    signal: Optional[int] = None  # the signal the worker, as PID 1, says it sent itself
    messages: int = 0
    since: float = 0.0  # time.monotonic() when the call in progress (or the import) began
    out_of_time: bool = False  # the submission's time ran out: no call's own fault
    sealed: bool = False  # the hidden calls were sent: output is no longer kept


def _on_message(message: Any, size: int, attempt: _Attempt, calls: dict[int, Call],
                job: ModuleJob, deadline: float, limit: str) -> tuple[float, str]:
    """The child runs the calls in the order given, each right after the one before:
    the call in progress is the first without a result, and its time starts then.
    Every duration is the grader's own clock; nothing the child says about time is used."""
    attempt.messages += 1
    if isinstance(message, wire.Malformed):  # after the good frames of the same read
        raise ValueError(message.reason)
    if isinstance(message, wire.Oversize):  # skipped unread: charged to the call in progress
        if attempt.blamed is None:
            raise ValueError(f"{size} bytes before any call")
        return _record(attempt, calls, job, attempt.blamed, CallOutcome(
            "oversize", detail=message.describe(job.limits.answer_bytes),
            duration=time.monotonic() - attempt.since, size=size))
    if not isinstance(message, dict):
        raise ValueError("a message that is not a mapping")
    event = message["event"]
    if event == "confined":  # the harness's first words, said before any student code ran
        if attempt.messages != 1:
            raise ValueError("a second report of the sandbox's layers")
        attempt.layers = _layers(message["layers"])
        return deadline, limit
    if event == "imported":
        if attempt.imported is not None or attempt.messages != 2:
            raise ValueError("a second import report")
        attempt.imported = _parse_import(message, time.monotonic() - attempt.since)
        return _next_call(attempt, calls)
    if event == "result":
        call_id = message["call"]
        if call_id != attempt.blamed:
            # A call answered already, answering again (a forked copy of the child): its
            # code is to blame. Any other id is a forgery by the code of the call in
            # progress, which is charged, not the call the forger named.
            attempt.blamed = call_id if call_id in attempt.results else attempt.blamed
            raise ValueError(f"an answer out of turn (for call {str(call_id)[:20]})")
        return _record(attempt, calls, job, call_id,
                       _parse_call(message, time.monotonic() - attempt.since, size))
    if event == "done":
        attempt.done = True
        return deadline, limit
    if event == "signal":
        attempt.signal = int(message["signal"])
        return deadline, limit
    raise ValueError(f"unknown event {str(event)[:40]!r}")


def _record(attempt: _Attempt, calls: dict[int, Call], job: ModuleJob, call_id: int,
            outcome: CallOutcome) -> tuple[float, str]:
    """Keep what `job.receive` makes of a call's outcome."""
    if job.receive is not None:
        outcome = job.receive(calls[call_id], outcome)
    attempt.results[call_id] = outcome
    return _next_call(attempt, calls)


def _layers(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise ValueError("layers that are not a list")
    return tuple(str(x)[:80] for x in raw[:30])


def _next_call(attempt: _Attempt, calls: dict[int, Call]) -> tuple[float, str]:
    """The deadline of the call that starts now, or of the child's last words."""
    now = time.monotonic()
    attempt.since = now
    done = len(attempt.results)  # answered in order, so the next is the one after those
    call = list(calls.values())[done] if done < len(calls) else None
    if call is None:
        attempt.blamed = None
        return now + SLACK, "the sandbox stalled after its last call"
    attempt.blamed = call.id
    return now + call.timeout, f"timed out after {call.timeout:g} s"


def _blame(attempt: _Attempt, pending: list[Call], results: dict[int, CallOutcome]) -> None:
    """Charge an early end to the call in progress and skip the rest of that item's trials."""
    started = attempt.blamed
    if started is None:  # died before the first call: charge the first one waiting
        started = next((c.id for c in pending if c.id not in results), None)
    if started is None:
        return
    status = "timeout" if attempt.timed_out else "crashed"
    results.setdefault(started, CallOutcome(status, detail=attempt.ended))  # an answer stands
    item = next(c.item for c in pending if c.id == started)
    for call in pending:
        if call.item == item and call.id not in results:
            results[call.id] = CallOutcome("skipped", detail=f"an earlier trial {attempt.ended}")


def _parse_import(message: dict[str, Any], duration: float) -> ImportOutcome:
    if message.get("ok") is True:
        backend = message.get("backend") if message.get("backend") in ("torch", "numpy") else "numpy"
        return ImportOutcome("ok", duration=duration, backend=backend)
    return ImportOutcome("raised", error=_parse_error(message.get("error")), duration=duration)


def _parse_call(message: dict[str, Any], duration: float, size: int) -> CallOutcome:
    status = message.get("status")
    if status not in CALL_STATUSES:
        raise ValueError(f"unknown call status {str(status)[:40]!r}")
    args = message.get("args")
    return CallOutcome(status, value=wire.checked(message.get("value")),
                       args_after=tuple(wire.checked(a) for a in args)
                       if isinstance(args, list) else None,
                       error=_parse_error(message.get("error")), duration=duration, size=size)


def _parse_error(raw: Any) -> Optional[StudentError]:
    if not isinstance(raw, dict):
        return None
    text = lambda v, n=2000: v[:n] if isinstance(v, str) else None  # noqa: E731
    number = lambda v: v if type(v) is int else None  # noqa: E731
    frames = tuple(
        Frame(text(f.get("file"), 300) or "?", number(f.get("line")) or 0,
              text(f.get("function"), 200) or "?", text(f.get("code"), 300) or "")
        for f in (raw.get("traceback") or [])[:20] if isinstance(f, dict))
    return StudentError(text(raw.get("type"), 200) or "Exception", text(raw.get("message")) or "",
                        frames, text(raw.get("filename"), 300), number(raw.get("lineno")),
                        text(raw.get("text"), 500))


def _keep(attempt: _Attempt, data: bytes, cap: int) -> None:
    if attempt.sealed:  # printed once hidden inputs were in the process: never shown
        return
    room = max(0, cap - len(attempt.output))
    attempt.output += data[:room]
    attempt.dropped += len(data) - min(room, len(data))


def _past(deadline: Optional[float]) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def time_left(attempt: _Attempt, job: ModuleJob, deadline: float, limit: str) -> float:
    """Seconds before the call in progress (or the submission) overruns its time; once it
    has, 0, and the attempt says which limit it was."""
    if _past(job.deadline):
        attempt.ended, attempt.out_of_time = job.deadline_note, True
        return 0.0
    remaining = min(deadline, job.deadline or deadline) - time.monotonic()
    if remaining <= 0:
        attempt.timed_out, attempt.ended = True, limit
    return remaining


def read_messages(reader: wire.FrameReader, data: bytes, attempt: _Attempt,
                  calls: dict[int, Call], job: ModuleJob, deadline: float,
                  limit: str) -> Optional[tuple[float, str]]:
    """Take the messages `data` completes: the deadline and limit of what runs now, or
    None when the child sent malformed data (the attempt then says so)."""
    try:
        for message, size in reader.feed_sized(data):
            deadline, limit = _on_message(message, size, attempt, calls, job, deadline, limit)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        attempt.ended = f"the sandbox sent malformed data ({str(exc)[:200]})"
        return None
    return deadline, limit


def visible_answered(attempt: _Attempt, requests: Requests) -> bool:
    """Whether the module imported and answered every visible call: the hidden calls
    may go to it now."""
    return attempt.imported is not None and attempt.imported.status == "ok" \
        and len(attempt.results) >= requests.shown
