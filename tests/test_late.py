"""Late policies as rubric data: parsing, what they deduct and why, where the deduction is
shown (a line of its own, never inside an item), and Gradescope's submission_metadata.json
(its documented format and what it writes today) read for due dates, extensions and the
cap on graded submissions."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest
import yaml

from conftest import RUBRIC, ROOT

UTC = dt.timezone.utc
DUE = dt.datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
POLICY = {"due": "2026-12-01T23:59:00Z", "penalty": "10%", "per": "day", "grace_minutes": 15,
          "cap": "50%", "cutoff": 7}


def policy(**changes):
    from grader.rubric.policy import LatePolicy

    return LatePolicy.model_validate({**POLICY, **changes})


def assess(p, **arrival):
    from grader.engine.late import Submitted, assess as run

    return run(p, Submitted(**arrival), 32.0)


@pytest.mark.parametrize("arrival, points, zero, why", [
    ({"at": DUE - dt.timedelta(hours=1)}, None, False, None),
    ({"at": DUE + dt.timedelta(minutes=10)}, None, False, None),  # within the grace period
    ({"at": DUE + dt.timedelta(minutes=16)}, 3.2, False, "16 minutes after the due date"),
    ({"at": DUE + dt.timedelta(days=1, hours=2)}, 6.4, False, "1 day 2 hours after"),
    ({"at": DUE + dt.timedelta(days=6, hours=1)}, 16.0, False, "7 days started"),  # the cap
    ({"at": DUE + dt.timedelta(days=7, minutes=1)}, None, True,
     "7 days started, past the cut-off: 7 days after the due date"),
    ({"at": DUE + dt.timedelta(days=2), "late_due": DUE + dt.timedelta(days=1)}, 6.4, False,
     "2 days started"),  # the LMS's late due date is no cut-off unless the rubric says so
    ({"late": True, "source": "Canvas"}, 3.2, False, "Canvas marked it late without saying"),
    ({"late": False, "source": "Canvas"}, None, False, None),
    ({}, None, False, None),  # nothing known of when it came
    ({"at": DUE + dt.timedelta(days=2), "due": DUE + dt.timedelta(days=3), "extension": True},
     None, False, None),  # an extension
    ({"at": DUE + dt.timedelta(days=2), "due": DUE + dt.timedelta(days=1), "extension": True},
     3.2, False, "after your extended due date"),
])
def test_what_a_late_policy_deducts_and_says(arrival, points, zero, why):
    late = assess(policy(), **arrival)
    if points is None and not zero:
        assert late is None
        return
    assert late.zero == zero and (zero or late.points == pytest.approx(points))
    assert why in late.why
    assert late.line(30.0).startswith(f"Late: -{30.0 if zero else points:g} points: ")


def test_the_late_due_date_as_cut_off():
    p = policy(cutoff="late_due_date")
    late = assess(p, at=DUE + dt.timedelta(days=2), late_due=DUE + dt.timedelta(days=1))
    assert late.zero and "past the cut-off: the late due date (2026-12-02 23:59 UTC)" in late.why
    assert assess(p, at=DUE + dt.timedelta(days=2)).points == pytest.approx(6.4)  # none said


def test_points_per_hour_and_times_without_a_zone():
    p = policy(due="2026-12-01 23:59", timezone="America/New_York", penalty=2, per="hour",
               cap=None, cutoff=None, grace_minutes=0)
    naive = dt.datetime(2026, 12, 2, 3, 4)  # local time, as Blackboard's file names give it
    late = assess(p, at=naive)
    assert late.points == 8 and "3 hours 5 minutes" in late.why and "4 hours started" in late.why
    assert "2 points per hour started" in late.rule
    # the same moment in UTC (08:04Z, 5 hours behind New York in December) is as late
    assert assess(p, at=dt.datetime(2026, 12, 2, 8, 4, tzinfo=UTC)).points == 8
    # a date alone is the end of that day
    assert policy(due="2026-12-01").due_at().time() == dt.time(23, 59, 59)


def test_a_deduction_takes_no_more_than_was_earned():
    from grader.engine.outcomes import Lateness

    assert Lateness("w", "r", points=6.4).deducted(2.0) == 2.0
    assert Lateness("w", "r", zero=True).deducted(25.5) == 25.5


def _rubric_with(tmp_path, policy_text):
    data = yaml.safe_load(RUBRIC.read_text())
    data["reference"] = str(ROOT / "reference")
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False) + policy_text)
    return path


@pytest.mark.parametrize("text, message", [
    ("policy:\n  late:\n    penalty: ten percent\n", "policy.late.penalty: 'ten percent'"),
    ("policy:\n  late:\n    penalty: 1\n    timezone: Mars/Olympus\n", "unknown time zone"),
    ("policy:\n  late:\n    penalty: 1\n    due: next friday\n", "not a date and time"),
    ("policy:\n  late:\n    penalty: 1\n    per: week\n", "policy.late.per"),
    ("policy:\n  late:\n    penalty: 1\n    cutof: 3\n", "did you mean 'cutoff'?"),
    ("policy:\n  submissions:\n    max: 0\n", "policy.submissions.max"),
    ("policy:\n  late:\n    penalty: 1\n    cutoff: -2\n", "policy.late.cutoff: -2: a number"),
    ("policy:\n  late:\n    penalty: 1\n    cutoff: late\n", "or late_due_date"),
])
def test_a_bad_policy_is_named_with_its_line(tmp_path, text, message):
    from grader.rubric.model import RubricError, load_rubric

    path = _rubric_with(tmp_path, text)
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert message in str(err.value) and f"{path}:" in str(err.value)


def test_late_none_and_a_full_policy_load(tmp_path):
    from grader.rubric.model import load_rubric

    assert load_rubric(_rubric_with(tmp_path, "policy:\n  late: none\n")).model.policy.late is None
    full = load_rubric(_rubric_with(tmp_path, "policy:\n  late:\n    due: 2026-12-01T23:59:00"
                                    "-05:00\n    penalty: 10%\n  submissions:\n    max: 3\n"
                                    "    keep: last\n")).model.policy
    assert full.late.due_at() == dt.datetime(2026, 12, 2, 4, 59, tzinfo=UTC)
    assert (full.submissions.max, full.submissions.keep) == (3, "last")


@pytest.fixture(scope="module")
def graded(rubric):
    """A submission's typed result (graded in-process), late by two days."""
    import fakes
    from grader.engine.late import assess as run, Submitted
    from grader.engine.outcomes import SubmissionResult
    from reference import problem1

    items = fakes.grade_modules(rubric, {"problem1": problem1}, seed=3, only=("p1a", "p1b"))
    sub = SubmissionResult("dora", rubric, 3, tuple(items.values()))
    return replace(sub, late=run(policy(), Submitted(at=DUE + dt.timedelta(days=1, hours=5)),
                                 sub.max_score))


def test_the_deduction_is_a_line_of_its_own_in_every_output(graded):
    from grader.outputs.feedback import table
    from grader.outputs.report import render_report
    from grader.outputs.results_json import overall_markdown, to_results

    assert graded.earned == 2 and graded.max_score == 2 and graded.deducted == pytest.approx(0.4)
    results = to_results(graded)
    assert results["score"] == pytest.approx(1.6)
    assert [t["score"] for t in results["tests"]] == [1, 1]  # items keep what they earned
    late = results["extra_data"]["late"]
    assert late["deducted"] == pytest.approx(0.4) and late["earned"] == 2
    assert "1 day 5 hours after the due date (2026-12-01 23:59 UTC): 2 days started" in late["why"]
    assert "Late: -0.4 points: submitted 1 day 5 hours" in results["output"]
    assert "**Late: -0.4 points" in overall_markdown(graded)
    html = render_report(graded)
    assert 'id="late"' in html and 'id="late-row"' in html and "-0.4" in html
    lines = table(graded)
    assert lines[-1].split()[:2] == ["late", "-0.4"]


def test_the_record_keeps_the_deduction_for_a_tas_merge(graded):
    from grader.engine import record

    again = record.from_record(json.loads(json.dumps(record.to_record(graded))), graded.rubric)
    assert again.late == graded.late and again.score == graded.score


# ------------------------------------------------------------------ Gradescope's metadata
DOCUMENTED = {  # docs/submission_metadata.md, as Gradescope documents it
    "id": 123456, "created_at": "2018-07-03T14:22:32.365935-07:00",
    "assignment": {"due_date": "2018-07-01T23:00:00.000000-07:00", "group_size": 4,
                   "group_submission": True, "id": 25828, "course_id": 1234,
                   "late_due_date": None, "release_date": "2018-06-02T00:00:00.000000-07:00",
                   "title": "Programming Assignment 1", "total_points": "20.0"},
    "submission_method": "upload",
    "users": [{"email": "student@example.com", "id": 1234, "name": "Student User"}],
    "previous_submissions": [{"submission_time": "2018-07-01T14:24:48.087023-07:00",
                              "score": 0.0, "results": {"score": 0.0, "tests": []}}],
}
TODAY = {  # what Gradescope writes now (autograder_samples issue 60): per-user dates
    "id": 87184652, "created_at": "2021-09-16T10:25:53.109082-07:00", "assignment_id": None,
    "users": [{"id": 233634, "email": "a@uni.example", "name": "A", "sid": None,
               "assignment": {"release_date": "2021-09-10T18:00:00.000000-07:00",
                              "due_date": "2021-09-17T18:00:00.000000-07:00",
                              "late_due_date": "2021-12-17T20:00:00.000000-08:00"}}],
    "assignment": {"id": 1482034, "title": "Project 1", "total_points": "100.0",
                   "release_date": "2021-09-10T18:00:00.000000-07:00",
                   "due_date": "2021-09-14T18:00:00.000000-07:00", "course_id": 267363,
                   "group_submission": False, "group_size": None,
                   "late_due_date": "2021-12-17T20:00:00.000000-08:00"},
    "previous_submissions": [
        {"submission_time": "2021-09-12T10:00:00.000000-07:00", "score": "30.0",
         "autograder_error": False, "results": {"score": 30.0, "output": "first",
                                                "tests": [{"name": "t", "score": 30}]}},
        {"submission_time": "2021-09-11T10:00:00.000000-07:00", "score": "12.5",
         "autograder_error": False, "results": {"score": 12.5, "tests": []}},
        {"submission_time": "2021-09-13T10:00:00.000000-07:00", "score": "0.0",
         "autograder_error": True, "results": None},
        {"submission_time": "2021-09-14T10:00:00.000000-07:00", "score": "20.0",
         "autograder_error": False, "results": {"score": 20.0, "tests": []}},
    ],
}


def _metadata(tmp_path, data):
    from grader.gradescope import metadata

    (tmp_path / "submission_metadata.json").write_text(json.dumps(data))
    return metadata.read(tmp_path)


def test_gradescope_metadata_gives_time_due_date_and_extension(tmp_path):
    documented = _metadata(tmp_path, DOCUMENTED).arrival
    assert documented.due == dt.datetime(2018, 7, 2, 6, 0, tzinfo=UTC) and not documented.extension
    late = assess(policy(due=None), **vars(documented))
    assert "1 day 15 hours after the due date (2018-07-01 23:00 UTC-07:00): 2 days" in late.why
    assert late.points == pytest.approx(6.4)
    today = _metadata(tmp_path, TODAY).arrival  # the student's own due date: 3 days later
    assert today.extension and today.due == dt.datetime(2021, 9, 18, 1, 0, tzinfo=UTC)
    assert today.late_due == dt.datetime(2021, 12, 18, 4, 0, tzinfo=UTC)
    assert assess(policy(due=None), **vars(today)) is None
    assert _metadata(tmp_path, {"users": "x", "assignment": [], "created_at": 7}).arrival.at is None


@pytest.mark.parametrize("cap, keep, score, from_", [
    (3, "best", 30.0, "2021-09-12"),  # earlier ones by time; the failed run does not count
    (3, "last", 20.0, "2021-09-14"),
    (2, "last", 30.0, "2021-09-12"),
    (4, "best", None, None),  # this is the fourth counted: it is graded
])
def test_the_cap_on_graded_submissions_keeps_an_earlier_score(tmp_path, cap, keep, score, from_):
    from grader.gradescope.metadata import kept_results
    from grader.rubric.policy import SubmissionLimit

    kept = kept_results(_metadata(tmp_path, TODAY), SubmissionLimit(max=cap, keep=keep))
    if score is None:
        assert kept is None
        return
    assert kept["score"] == score and kept["output_format"] == "md"
    assert kept["output"].startswith(f"**This is submission 5; the rubric grades {cap} ")
    assert f"{keep} graded submission of {from_}" in kept["output"]
    assert kept["extra_data"]["submission_cap"]["submission"] == 5
