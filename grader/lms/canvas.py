"""Canvas's "Download Submissions": one flat zip of every student's latest submission.

Canvas (lib/content_zipper.rb) names each file
`{lastfirst}_{LATE_}{user id}_{attachment id}_{file name}`, where lastfirst is the
student's sortable name lower-cased with everything but letters, digits and '_' removed,
LATE_ is there when the submission was late, and the attachment id grows with every
upload. Anonymous grading writes `{LATE_}anon_{anonymous id}` instead of name and id; a
text entry is `..._{user id}_text.html`, a URL `..._{user id}_link.html`. A file a student
uploads again under a name they used before comes back as `name-1.py`, `name-2.py`
(Attachment.make_unique_filename): it goes into their folder under the name they gave,
the latest upload winning.
"""
from __future__ import annotations

import re

from grader.lms.model import Parsed, Upload, Who
from grader.lms.source import Source

_TAIL = r"(?:(?P<attachment>\d+)_(?P<file>.+)|(?P<entry>text|link)\.html)$"
ANONYMOUS = re.compile(r"^(?:(?P<late>LATE)_)?anon_(?P<id>[A-Za-z0-9]+)_" + _TAIL, re.S)
NAMED = re.compile(r"^(?P<name>[^/]+?)_(?:(?P<late>LATE)_)?(?P<id>\d+)_" + _TAIL, re.S)
# Attachment.make_unique_filename's extension, and the "-N" it puts before it
_EXTENSION = re.compile(r"(\.[A-Za-z][A-Za-z0-9]*)*(\.[A-Za-z0-9]*)$")
_AGAIN = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)$", re.S)


def _match(name: str) -> "re.Match[str] | None":
    if "/" in name:
        return None
    return ANONYMOUS.match(name) or NAMED.match(name)


def recognise(names: list[str]) -> int:
    return sum(_match(n) is not None for n in names)


def parse(source: Source, names: list[str], expected: set[str]) -> Parsed:
    parsed = Parsed("canvas")
    for member in names:
        m = _match(member)
        if m is None:
            parsed.aside.append((member, "not named as Canvas names submissions"))
            continue
        anonymous = m.re is ANONYMOUS
        uid = f"anon_{m['id']}" if anonymous else m["id"]
        sub = parsed.of(Who(uid, "" if anonymous else m["name"], uid))
        sub.late = bool(m["late"]) or bool(sub.late)
        display = m["file"] if m["file"] is not None else f"{m['entry']}.html"
        sub.uploads.append(Upload(member, display, (int(m["attachment"] or 0),)))
    for sub in parsed.submissions.values():
        sub.uploads = _originals(sub.uploads, expected)
    return parsed


def _originals(uploads: list[Upload], expected: set[str]) -> list[Upload]:
    """Re-uploads under the name the student gave: `problem1-1.py` is problem1.py when the
    student also has a problem1.py, when problem1.py is a file the rubric expects, or
    when it is Python (a module name cannot hold a '-')."""
    names = {u.dest for u in uploads}
    out = []
    for u in uploads:
        original = _original(u.dest)
        if original and (original in names or original.lower() in expected
                         or original.endswith(".py")):
            u = Upload(u.member, original, u.order,
                       renamed=f"uploaded again as {u.dest}, Canvas's name for a re-upload")
        out.append(u)
    return out


def _original(display: str) -> str:
    """`problem1.py` for `problem1-1.py`; "" when the name has no Canvas suffix."""
    ext = _EXTENSION.search(display)
    extension = ext.group(0) if ext and ext.start() > 0 else ""
    again = _AGAIN.match(display[:len(display) - len(extension)])
    return again["stem"] + extension if again else ""
