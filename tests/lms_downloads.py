"""LMS bulk downloads made the way each LMS makes them, for tests of `grade import`.

Each builder follows the LMS's own code or documentation:
- Canvas: lib/content_zipper.rb (get_filename, sanitize_user_name, sanitize_file_name,
  sanitize_attachment_filename) and Attachment.make_unique_filename for re-uploads;
- Moodle: mod/assign/classes/downloader.php (get_student_prefix, and the folder or flat
  layout of load_submissionplugin_filelist; clean_filename);
- Blackboard Learn: the Grade Center's Assignment File Download, files and receipts.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional


def _zip(entries: list[tuple[str, bytes]], when: tuple = (2026, 12, 2, 9, 0, 0)) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return buf.getvalue()


def folder_files(folder: Path) -> list[tuple[str, bytes]]:
    """(relative name, bytes) of every file under `folder`."""
    return [(p.relative_to(folder).as_posix(), p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]


def student_zip(files: list[tuple[str, bytes]], top: str = "") -> bytes:
    """A zip a student makes of their folder (Finder adds __MACOSX entries)."""
    entries = [(f"{top}{name}", data) for name, data in files]
    if top:
        entries.append((f"__MACOSX/{top}._{files[0][0]}", b"\0\5\26\7 resource fork"))
    return _zip(entries)


# ---------------------------------------------------------------- Canvas
@dataclass
class CanvasStudent:
    sortable_name: str  # "Smith, Alice"
    user_id: int
    uploads: list[tuple[int, str, bytes]]  # (attachment id, display name, bytes)
    late: bool = False
    anonymous_id: Optional[str] = None
    text_entry: Optional[str] = None  # an online text entry instead of files


def canvas_user_name(sortable_name: str) -> str:
    """ContentZipper#sanitize_user_name."""
    name = re.sub(r"_(\d+)_", r"\1", sortable_name)
    name = re.sub(r"^(\d+)$", r"\1", name)
    return name.lower()


def canvas_prefix(s: CanvasStudent, anonymize: bool = False) -> str:
    """ContentZipper#get_filename: [name, LATE, id] joined by '_', then only word chars."""
    ident = f"anon_{s.anonymous_id}" if anonymize else str(s.user_id)
    parts = [None if anonymize else canvas_user_name(s.sortable_name),
             "LATE" if s.late else None, ident]
    return re.sub(r"[^\w]", "", "_".join(p for p in parts if p))


def canvas_zip(students: list[CanvasStudent], anonymize: bool = False) -> bytes:
    entries = []
    for s in students:
        called = canvas_prefix(s, anonymize)
        if s.text_entry is not None:
            entries.append((f"{called}_text.html", s.text_entry.encode()))
        for attachment, display, data in s.uploads:
            safe = re.sub(r'[\x00/\\:*?"<>|]+', "_", display)
            entries.append((f"{called}_{attachment}_{safe}", data))
    return _zip(entries)


def canvas_reupload_name(display: str, existing: set[str]) -> str:
    """Attachment.make_unique_filename: `name-1.ext`, `name-2.ext`, ..."""
    if display not in existing:
        return display
    ext = re.search(r"(\.[A-Za-z][A-Za-z0-9]*)*(\.[A-Za-z0-9]*)$", display)
    extension = ext.group(0) if ext else ""
    base = display[: len(display) - len(extension)]
    n = 1
    while f"{base}-{n}{extension}" in existing:
        n += 1
    return f"{base}-{n}{extension}"


# ---------------------------------------------------------------- Moodle
@dataclass
class MoodleStudent:
    full_name: str
    participant_id: int
    files: list[tuple[str, bytes]]  # (path as uploaded, with folders, bytes)
    onlinetext: Optional[str] = None


def moodle_prefix(s: MoodleStudent) -> str:
    """downloader::get_student_prefix: underscores in the name become spaces."""
    return _clean_filename(s.full_name.replace("_", " ") + f"_{s.participant_id}")


def _clean_filename(name: str) -> str:
    return re.sub(r'[\x00-\x1f/\\:*?"<>|]', "", name)


def moodle_zip(students: list[MoodleStudent], layout: str = "folders-4.1") -> bytes:
    """layout: "folders-4.1" (`..._assignsubmission_file/`), "folders-3.x"
    (`..._assignsubmission_file_/`) or "flat" (`..._assignsubmission_file_<name>`)."""
    entries = []
    for s in students:
        prefix = moodle_prefix(s)
        for plugin, files in (("file", s.files),
                              ("onlinetext", [("onlinetext.html", s.onlinetext.encode())]
                               if s.onlinetext else [])):
            for path, data in files:
                base = f"{prefix}_assignsubmission_{plugin}"
                if layout == "flat":
                    entries.append((f"{base}_{Path(path).name}", data))
                else:
                    folder = base + ("_" if layout == "folders-3.x" else "")
                    entries.append((f"{folder}/{path}", data))
    return _zip(entries)


# ---------------------------------------------------------------- Blackboard
@dataclass
class BlackboardAttempt:
    at: dt.datetime  # the server's local time
    files: list[tuple[str, bytes]]  # (original name, bytes)
    zone: str = "EST"
    comment: str = ""


@dataclass
class BlackboardStudent:
    name: str  # "Alice Smith"
    username: str
    attempts: list[BlackboardAttempt] = field(default_factory=list)


def blackboard_receipt(assignment: str, s: BlackboardStudent, a: BlackboardAttempt) -> str:
    stamp = a.at.strftime("%Y-%m-%d-%H-%M-%S")
    when = f"{a.at:%A}, {a.at:%B} {a.at.day}, {a.at.year} {a.at:%I:%M:%S %p} {a.zone}"
    lines = [f"Name: {s.name} ({s.username})", f"Assignment: {assignment}",
             f"Date Submitted: {when}", "Current Grade: Needs Grading", "",
             "Submission Field:", "There is no student submission text data for this "
             "assignment.", "", "Comments:",
             a.comment or "There are no student comments for this assignment.", "", "Files:"]
    if not a.files:
        lines.append("No files were attached to this submission.")
    for original, _ in a.files:
        lines += [f"\tOriginal filename: {original}",
                  f"\tFilename: {assignment}_{s.username}_attempt_{stamp}_{original}"]
    return "\n".join(lines) + "\n\n"


def blackboard_zip(assignment: str, students: list[BlackboardStudent]) -> bytes:
    entries = []
    for s in students:
        for a in s.attempts:
            stamp = a.at.strftime("%Y-%m-%d-%H-%M-%S")
            entries.append((f"{assignment}_{s.username}_attempt_{stamp}.txt",
                            blackboard_receipt(assignment, s, a).encode()))
            entries += [(f"{assignment}_{s.username}_attempt_{stamp}_{original}", data)
                        for original, data in a.files]
    return _zip(entries)
