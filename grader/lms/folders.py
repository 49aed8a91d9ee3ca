"""A download already laid out one folder per student (what `grade` takes as a class),
passed through: each top-level folder is a student, its files keep their paths."""
from __future__ import annotations

from grader.disk.files import IGNORED_DIRS
from grader.lms.model import Parsed, Upload, Who
from grader.lms.source import Source


def recognise(names: list[str]) -> int:
    return sum("/" in n for n in names)


def parse(source: Source, names: list[str], expected: set[str]) -> Parsed:
    parsed = Parsed("folders")
    for order, member in enumerate(names):
        top, sep, rest = member.partition("/")
        if not sep:
            parsed.aside.append((member, "not in a student's folder"))
        elif top.startswith(".") or top in IGNORED_DIRS:
            parsed.aside.append((member, "in a hidden or tool's folder, not a student's"))
        else:
            parsed.of(Who(top)).uploads.append(Upload(member, rest, (order,)))
    return parsed
