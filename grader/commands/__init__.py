"""What the `grade` command does once its arguments are parsed (grader/cli.py parses them):
exit codes and one-line errors, the rubric loaded and checked before any student is
touched, a class run and what it prints, one submission's table.

May import every package below the command line (tests/test_architecture.py)."""
from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Optional

import click

from grader.rubric import DEFAULT_RUBRIC

if TYPE_CHECKING:  # loading a rubric imports pydantic: only once a command needs one
    from grader.rubric.model import Rubric


class ExitCode(enum.IntEnum):
    OK = 0  # grading finished, whatever the scores
    INTERNAL_ERROR = 1
    USAGE_ERROR = 2
    NO_INPUT = 3  # the submission path does not exist
    BAD_RUBRIC = 4
    NEEDS_LINUX = 5  # macOS, Windows: the sandbox is made of Linux's parts (sandbox/host.py)
    INTERRUPTED = 130  # Ctrl-C on a class: what was graded is written, marked partial


def fail(code: ExitCode, message: str) -> NoReturn:
    click.echo(f"grade: {message}", err=True)
    sys.exit(code)


def rubric_or_exit(rubric_path: Optional[Path]) -> Rubric:
    from grader.rubric.model import RubricError, load_rubric

    try:
        return load_rubric(rubric_path or DEFAULT_RUBRIC)
    except RubricError as exc:
        fail(ExitCode.BAD_RUBRIC, "the rubric cannot be used:\n" + "\n".join(exc.problems))
        raise  # unreachable: _fail exits


def usable(rubric: Rubric, given: Optional[Path]) -> None:
    """Refuse, before any student is touched, a rubric the grader would fail on for every
    student: its reference folder, every name in it, its inputs (`grade rubric check`
    without the self-test)."""
    from grader.engine import preflight

    problems = preflight.problems(rubric, given or DEFAULT_RUBRIC)
    if problems:
        fail(ExitCode.BAD_RUBRIC, "the rubric cannot be used:\n" + "\n".join(problems))
