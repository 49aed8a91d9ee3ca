"""What an LMS's download says, as data: who handed in, which of its files go where in
their folder, and what is left aside and why. The format modules (canvas.py, moodle.py,
blackboard.py, folders.py) read names into these; unpack.py writes them out."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from grader.classroom.imported import JUNK as JUNK_WHY  # noqa: F401 - one wording, here and in reports


@dataclass(frozen=True)
class Who:
    """A student as the LMS names them."""

    key: str  # unique in the download: the LMS's id, or the username
    name: str = ""
    id: str = ""  # the LMS's id (Canvas's user id, Moodle's participant id)
    login: str = ""  # the username (Blackboard)


@dataclass(frozen=True)
class Upload:
    """One file of a student's submission: where it is in the download, the name it gets in
    their folder, and which wins when two get the same name (the greater `order`)."""

    member: str
    dest: str
    order: tuple = ()
    attempt: str = ""  # an earlier attempt's label: kept aside under it, never graded
    renamed: str = ""  # why `dest` is not the name in the download, if it is not


@dataclass
class Submission:
    who: Who
    uploads: list[Upload] = field(default_factory=list)
    aside: list[tuple[str, str]] = field(default_factory=list)  # (name, why)
    late: Optional[bool] = None  # None: the LMS does not say
    submitted: str = ""  # ISO 8601, when the LMS says


@dataclass
class Parsed:
    """A download read: every student's submission, and the files that are nobody's."""

    lms: str
    submissions: dict[str, Submission] = field(default_factory=dict)  # by Who.key
    aside: list[tuple[str, str]] = field(default_factory=list)

    def of(self, who: Who) -> Submission:
        """The submission of `who`, made when first seen (a later sighting may name them)."""
        sub = self.submissions.setdefault(who.key, Submission(who))
        if not sub.who.name and who.name:
            sub.who = who
        return sub


def slug(text: str) -> str:
    """A folder name from a person's name: letters, digits, '-', '.', '_' only."""
    return re.sub(r"[^\w.-]+", "_", text).strip("._-")[:60]
