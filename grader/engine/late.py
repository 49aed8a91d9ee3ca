"""Lateness: when a submission arrived against when it was due, and what the rubric's late
policy (grader/rubric/policy.py) takes off the total for it.

The arrival comes from outside the submission's files: `grade import` records what the
LMS's download says (Canvas's LATE flag, Blackboard's attempt times) and Gradescope's
submission_metadata.json gives times, due dates and extensions. The result is a
`Lateness` (grader/engine/outcomes.py), shown as a line of its own, or None.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Optional

from grader.engine.outcomes import Lateness
from grader.rubric.policy import LatePolicy, amount, aware, shown


@dataclass(frozen=True)
class Submitted:
    """When and how a submission arrived, as the LMS (or Gradescope) says."""

    at: Optional[dt.datetime] = None  # None: not said (Canvas, Moodle)
    late: Optional[bool] = None  # the LMS's own verdict (Canvas's LATE_); None: not said
    due: Optional[dt.datetime] = None  # this student's due date, when the LMS gives one
    extension: bool = False  # `due` is the student's own (an extension)
    late_due: Optional[dt.datetime] = None  # the last moment the LMS takes late work
    source: str = ""  # who says so: "Canvas", "Blackboard", "Gradescope"


def assess(policy: LatePolicy, arrival: Submitted, possible: float) -> Optional[Lateness]:
    """What `policy` deducts for `arrival`, out of `possible` points; None when nothing
    (on time, within the grace period, or nothing known of when it came)."""
    unit = dt.timedelta(days=1) if policy.per == "day" else dt.timedelta(hours=1)
    due = aware(arrival.due, policy.timezone) if arrival.due else policy.due_at()
    if arrival.at is not None and due is not None:
        at = aware(arrival.at, policy.timezone)
        over = at - due - dt.timedelta(minutes=policy.grace_minutes)
        if over <= dt.timedelta(0):
            return None
        units = math.ceil(over / unit)
        whose = "your extended due date" if arrival.extension else "the due date"
        why = (f"submitted {_span(at - due)} after {whose} ({_when(due)}): "
               f"{_count(units, policy.per)} started")
        cut = _cutoff(policy, arrival, due, unit)
        if cut is not None and at > cut[0]:
            return Lateness(f"{why}, past the cut-off: {cut[1]}", "past it the rubric gives 0",
                            zero=True)
    elif arrival.late:
        units = policy.flagged
        why = (f"{arrival.source or 'the LMS'} marked it late without saying when, which "
               f"counts as {_count(units, policy.per)} late")
    else:
        return None
    if units <= 0:
        return None
    points = amount(policy.penalty, possible) * units
    if policy.cap is not None:
        points = min(points, amount(policy.cap, possible))
    rule = f"the rubric takes {shown(policy.penalty)} per {policy.per} started"
    if policy.cap is not None:
        rule += f", at most {shown(policy.cap)}"
    return Lateness(why, rule, round(points, 6))


def _cutoff(policy: LatePolicy, arrival: Submitted, due: dt.datetime,
            unit: dt.timedelta) -> Optional[tuple[dt.datetime, str]]:
    """When the score becomes 0, and how to say it: so long after the due date, or the
    LMS's own late due date (Gradescope's, the student's own with an extension)."""
    if policy.cutoff == "late_due_date":
        if arrival.late_due is None:
            return None
        late_due = aware(arrival.late_due, policy.timezone)
        return late_due, f"the late due date ({_when(late_due)})"
    if policy.cutoff is None:
        return None
    return due + float(policy.cutoff) * unit, \
        f"{_count(float(policy.cutoff), policy.per)} after the due date"


def _count(n: float, unit: str) -> str:
    return f"{n:g} {unit}{'' if n == 1 else 's'}"


def _span(delta: dt.timedelta) -> str:
    """1 day 2 hours 5 minutes (minutes dropped past a day)."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [_count(days, "day") if days else "", _count(hours, "hour") if hours else "",
             _count(minutes, "minute") if minutes and not days else ""]
    return " ".join(p for p in parts if p) or "less than a minute"


def _when(moment: dt.datetime) -> str:
    offset = moment.strftime("%z")
    zone = moment.tzname() if moment.tzname() and not moment.tzname().startswith("UTC") \
        else ("UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}")
    return f"{moment:%Y-%m-%d %H:%M} {zone}"
