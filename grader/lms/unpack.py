"""One student's folder written from a download read: the latest upload of each name, a
zip they uploaded unpacked (with the archive rules of grader/disk/unzip.py), within a
bound of files and bytes; whatever is not taken is listed with the reason, and files
replaced or from earlier attempts are kept in `.aside/` (never graded: `grade` skips
hidden folders).

Only folders this module made are written into, with O_EXCL and O_NOFOLLOW, under names
checked like an archive's (no absolute path, no `..`): a name from the download cannot
reach outside the student's folder.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from grader.disk import unzip
from grader.disk.unzip import ArchiveError
from grader.lms.model import JUNK_WHY, Submission, Upload
from grader.lms.source import Source

STUDENT_FILES = 1000  # files taken from one student
STUDENT_BYTES = 64 << 20  # and their size in all
ASIDE = ".aside"
OTHER_ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".rar", ".7z")


@dataclass
class Budget:
    files: int = STUDENT_FILES
    bytes: int = STUDENT_BYTES

    def why_not(self, size: int) -> str:
        if self.files < 1 or size > self.bytes:
            return (f"beyond the {STUDENT_FILES:,} files and {STUDENT_BYTES >> 20} MB taken "
                    "from one student")
        return ""


@dataclass
class Outcome:
    """What one student's folder got, for students.csv."""

    folder: str
    sub: Submission
    taken: list[str] = field(default_factory=list)
    aside: list[tuple[str, str]] = field(default_factory=list)


def write_student(sub: Submission, source: Source, folder: Path, aside: Path) -> Outcome:
    """Write `sub` into `folder`; files replaced or of earlier attempts into `aside`."""
    out = Outcome(folder.name, sub, aside=list(sub.aside))
    folder.mkdir(parents=True)
    winners: dict[str, Upload] = {}
    kept, budget = Budget(), Budget()
    for u in sorted(sub.uploads, key=lambda u: (u.attempt == "", u.order)):
        if u.attempt:
            _keep(source, u, aside, kept, out, f"from the earlier attempt of {u.attempt}: "
                  "only the latest counts")
            continue
        if u.dest in winners:
            _keep(source, winners[u.dest], aside, kept, out,
                  "replaced by a later upload of the same name")
        winners[u.dest] = u
    ordered = sorted(winners.values(), key=lambda u: (_is_zip(u.dest), u.order))
    for u in ordered:
        _take(source, u, folder, budget, out)
    out.taken.sort()
    return out


def _is_zip(name: str) -> bool:
    return name.lower().endswith(".zip")


def _take(source: Source, u: Upload, folder: Path, budget: Budget, out: Outcome) -> None:
    dest, why = unzip.checked_name(u.dest)
    if why or unzip.is_junk(u.dest):
        out.aside.append((u.member, why or JUNK_WHY))
        return
    why = budget.why_not(source.size(u.member))
    try:
        data = b"" if why else source.read(u.member, budget.bytes)
    except ArchiveError as exc:
        why = f"cannot be read from the download: {exc}"
    if why:
        out.aside.append((u.member, why))
        return
    if _is_zip(dest) and _unpack(data, dest, folder, budget, out):
        return
    if dest.lower().endswith(OTHER_ARCHIVES):
        out.aside.append((dest, "an archive import does not unpack (only zips): kept in the "
                          "folder as uploaded"))
    why = _put(folder, dest, data)
    if why:
        out.aside.append((u.member, why))
        return
    budget.files, budget.bytes = budget.files - 1, budget.bytes - len(data)
    out.taken.append(dest + (f" ({u.renamed})" if u.renamed else ""))


def _unpack(data: bytes, dest: str, folder: Path, budget: Budget, out: Outcome) -> bool:
    """A student's own zip, unpacked into their folder; False (and a note) if unreadable,
    and then it is kept as it came."""
    try:
        zf = unzip.open_zip(io.BytesIO(data), dest)
        members, refused = unzip.members(zf, STUDENT_FILES)
    except ArchiveError as exc:
        out.aside.append((dest, f"{exc}: kept in the folder as uploaded, not unpacked"))
        return False
    out.aside += [(f"{dest}: {r.name}", r.why) for r in refused]
    for m in members:
        where = f"{dest}: {m.name}"
        why = JUNK_WHY if unzip.is_junk(m.name) else budget.why_not(m.size)
        try:
            content = b"" if why else unzip.read(zf, m, budget.bytes)
        except ArchiveError as exc:
            why = str(exc)
        why = why or _put(folder, m.name, content)
        if why:
            out.aside.append((where, why))
            continue
        budget.files, budget.bytes = budget.files - 1, budget.bytes - len(content)
        out.taken.append(f"{m.name} (from {dest})")
    return True


def _keep(source: Source, u: Upload, aside: Path, budget: Budget, out: Outcome,
          why: str) -> None:
    """A file not graded, copied to `aside` under its name in the download if it fits."""
    where = f"kept in {ASIDE}/{aside.name}/{u.member}"
    try:
        if budget.why_not(source.size(u.member)):
            raise ArchiveError("too large to keep")
        data = source.read(u.member, budget.bytes)
        if _put(aside, u.member, data):
            raise ArchiveError("could not be written")
        budget.files, budget.bytes = budget.files - 1, budget.bytes - len(data)
    except ArchiveError as exc:
        where = f"not kept: {exc}"
    out.aside.append((u.dest, f"{why}, {where}"))


def _put(folder: Path, rel: str, data: bytes) -> str:
    """Write a new file at `folder/rel`; why not, or ""."""
    path = folder.joinpath(*rel.split("/"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o644)
    except FileExistsError:
        return "another file or folder of the same name was taken"
    except NotADirectoryError:
        return "a file of the same name as one of its folders was taken"
    except OSError as exc:
        return f"cannot be written ({exc.strerror or exc})"
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return ""
