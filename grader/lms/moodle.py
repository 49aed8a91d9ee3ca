"""Moodle's "Download all submissions" (mod/assign): a folder per student and plugin.

Moodle 3.1 and later ("Download submissions in folders", the default) write
`{Full Name}_{participant id}_assignsubmission_file_/` (4.1 and later drop the last '_')
holding the student's files with the folders they uploaded them in; the older flat
layout is `{Full Name}_{participant id}_assignsubmission_file_{file name}`. Underscores
in names become spaces, so the first '_' ends the name. The participant id is the one
Moodle's grading worksheet calls "Participant N"; blind marking names everyone
"Participant", team submissions `{group name}_{group id}`. Online text comes in an
`..._assignsubmission_onlinetext` folder as onlinetext.html. The download says nothing
of when a student submitted or whether it was late.
"""
from __future__ import annotations

import re

from grader.lms.model import Parsed, Upload, Who
from grader.lms.source import Source

_PREFIX = r"^(?P<name>[^_/]+?)(?:_(?P<id>\d+))?_assignsubmission_(?P<plugin>[a-z]+)"
IN_FOLDER = re.compile(_PREFIX + r"_?/(?P<file>.+)$", re.S)
FLAT = re.compile(_PREFIX + r"_(?P<file>[^/]+)$", re.S)


def _match(name: str) -> "re.Match[str] | None":
    return IN_FOLDER.match(name) or FLAT.match(name)


def recognise(names: list[str]) -> int:
    return sum(_match(n) is not None for n in names)


def parse(source: Source, names: list[str], expected: set[str]) -> Parsed:
    parsed = Parsed("moodle")
    for order, member in enumerate(names):
        m = _match(member)
        if m is None:
            parsed.aside.append((member, "not named as Moodle names submissions"))
            continue
        key = m["id"] or m["name"]
        sub = parsed.of(Who(key, m["name"].strip(), m["id"] or ""))
        sub.uploads.append(Upload(member, m["file"], (order,)))
    return parsed
