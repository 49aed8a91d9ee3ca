"""One submission from the command line: its table of items, and a replay's feedback."""
from __future__ import annotations

from pathlib import Path

import click

from grader.engine.outcomes import SubmissionResult


def print_table(result: SubmissionResult, out: Path) -> None:
    from grader.display.plaintext import failure_line
    from grader.display.text import terminal
    from grader.outputs.feedback import table

    mark = lambda passed: click.style("ok  ", fg="green") if passed \
        else click.style("FAIL", fg="red")  # noqa: E731
    for line in table(result, mark):
        click.echo(line)
    if result.internal_error:
        click.echo(click.style("The grader itself failed on this submission (a bug or a bad "
                               "rubric, not the student's fault):", fg="red"), err=True)
        click.echo(terminal(failure_line(result.internal_error)), err=True)
    for r in result.items:
        if r.internal_error and not result.internal_error:
            click.echo(terminal(f"grader error on {r.item.id}: {failure_line(r.internal_error)}"),
                       err=True)
    if any(r.internal_error for r in result.items):
        click.echo(terminal(f"(the tracebacks are in {out / 'results.json'}, under "
                            "internal_error)"), err=True)
    click.echo(terminal(f"report:  {out / 'report.html'}"))
    click.echo(terminal(f"results: {out / 'results.json'}"))


def print_replay(result: SubmissionResult) -> None:
    """A replay shows each item's whole feedback: the trial's inputs, what was wrong (a
    hidden item's too: this is the instructor's terminal)."""
    from grader.display.text import terminal
    from grader.outputs.feedback import item_feedback

    for r in result.items:
        click.echo(f"\n{r.item.id}:")
        click.echo(terminal(item_feedback(r, result, for_student=False).text()))
