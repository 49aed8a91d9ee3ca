"""The rubric's `policy:` section: what lateness costs, and how many submissions count.

    policy:
      late:
        due: 2026-12-01T23:59:00-05:00  # Gradescope's own due dates (and extensions) win
        timezone: America/New_York      # for times that carry no zone (Blackboard's)
        penalty: 10%                    # per day (or hour) started: of the points, or points
        per: day
        grace_minutes: 15
        cap: 50%                        # never more than this in all
        cutoff: 7                       # more days late (or: late_due_date): the score is 0
        flagged: 1                      # the LMS says "late" but not when: this many days
      submissions:                      # Gradescope only
        max: 5
        keep: best                      # or last: the score kept beyond the cap

`late: none` (or no `late:`) deducts nothing. Deductions are a line of their own in every
output, never folded into an item's score.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_AMOUNT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def amount(value: Union[float, str], possible: float) -> float:
    """Points for an amount written as points (3) or as a share of `possible` ("10%")."""
    if isinstance(value, str):
        number, percent = _AMOUNT.match(value).groups()  # type: ignore[union-attr]
        return float(number) * possible / 100 if percent else float(number)
    return float(value)


def shown(value: Union[float, str]) -> str:
    """An amount as the rubric wrote it, for the messages: "10% of the points", "2 points"."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return f"{value.strip()} of the points"
    points = amount(value, 0.0)
    return f"{points:g} point{'' if points == 1 else 's'}"


def moment(value: Any) -> Any:
    """A due date as YAML gives it: a datetime, a date (the end of that day), or text in
    ISO 8601 ("2026-12-01 23:59", "2026-12-01T23:59:00-05:00", "...Z")."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(23, 59, 59))
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:  # a date alone
                return moment(dt.date.fromisoformat(text))
            return dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise ValueError("not a date and time in ISO 8601 (2026-12-01T23:59:00-05:00)") \
                from None
    return value


class LatePolicy(_Frozen):
    """What a late submission loses, in points the grader gives; never below 0."""

    due: Optional[dt.datetime] = Field(None, description="the due date (a date alone: the "
                                       "end of that day); on Gradescope the assignment's own "
                                       "and each student's extension win")
    timezone: str = Field("UTC", description="IANA zone of times written without one")
    penalty: Union[float, str] = Field(description="per `per` started: points (2) or a share "
                                       "of the points the grader gives (\"10%\")")
    per: Literal["day", "hour"] = "day"
    grace_minutes: float = Field(0.0, ge=0, description="minutes after the due date that "
                                 "still count as on time")
    cap: Optional[Union[float, str]] = Field(None, description="the most deducted in all")
    cutoff: Optional[Union[float, str]] = Field(None, description="more `per` late than "
                                                "this, or past Gradescope's late due date "
                                                "(late_due_date): the score is 0")
    flagged: float = Field(1.0, ge=0, description="when the LMS says late without saying "
                           "when (Canvas): how many `per` late that counts as")

    @field_validator("due", mode="before")
    @classmethod
    def _due(cls, value: Any) -> Any:
        return moment(value)

    @field_validator("penalty", "cap")
    @classmethod
    def _amount(cls, value: Any) -> Any:
        if isinstance(value, str) and not _AMOUNT.match(value):
            raise ValueError("an amount is points (2) or a share of the points (\"10%\")")
        if not isinstance(value, str) and value is not None and value < 0:
            raise ValueError("an amount cannot be negative")
        return value

    @field_validator("cutoff")
    @classmethod
    def _cutoff(cls, value: Any) -> Any:
        if value is None or value == "late_due_date" or \
                (not isinstance(value, str) and value > 0):
            return value
        raise ValueError("a number of days (or hours) above 0, or late_due_date")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value

    def due_at(self) -> Optional[dt.datetime]:
        return aware(self.due, self.timezone) if self.due else None


class SubmissionLimit(_Frozen):
    """Gradescope: how many submissions are graded; later ones keep an earlier score."""

    max: int = Field(ge=1, description="submissions graded (earlier ones, by time)")
    keep: Literal["best", "last"] = Field("best", description="beyond the cap, the score "
                                          "kept: the best graded one, or the last")


class Policy(_Frozen):
    late: Optional[LatePolicy] = Field(None, description="none: nothing is deducted")
    submissions: Optional[SubmissionLimit] = None

    @model_validator(mode="before")
    @classmethod
    def _none(cls, data: Any) -> Any:
        if isinstance(data, dict) and str(data.get("late", "")).strip().lower() == "none":
            return {**data, "late": None}
        return data


def zone(name: str) -> dt.tzinfo:
    """The time zone of an IANA name ("UTC" needs no tz database)."""
    if name.upper() in ("UTC", "Z", "GMT"):
        return dt.timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name: Europe/Paris, "
                         "America/New_York, UTC)") from None


def aware(moment_: dt.datetime, zone_name: str) -> dt.datetime:
    """`moment_` with a zone: its own, or `zone_name`'s."""
    return moment_ if moment_.tzinfo else moment_.replace(tzinfo=zone(zone_name))
