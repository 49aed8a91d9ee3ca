"""Reading a zip nobody vouches for (an LMS's bulk download, a student's own zip).

The rules of `files.py`, for archives: a member's name must stay inside the folder it is
unpacked into (no absolute path, no drive, no `..`), only regular files are taken (no
symbolic or hard link, no device, FIFO or socket, nothing encrypted), and no member is
read past a bound, whatever its header claims (a zip bomb stops at the bound). What is
refused is returned with the reason, never dropped silently.
"""
from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Union

MAX_MEMBERS = 20_000  # entries looked at in one archive, however many it holds
MAX_NAME_BYTES = 255  # one part of a path, as most file systems allow
JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}  # what zip tools add


class ArchiveError(Exception):
    """An archive (or one of its members) that cannot be read; the message says why."""


@dataclass(frozen=True)
class Member:
    """A regular file in the archive, under a checked relative name ('/' between parts)."""

    name: str
    size: int  # as the header says; reading is bounded all the same
    info: zipfile.ZipInfo


@dataclass(frozen=True)
class Refused:
    """An entry not taken: its name as the archive spells it, and why."""

    name: str
    why: str


def open_zip(source: Union[Path, IO[bytes]], label: str) -> zipfile.ZipFile:
    """The archive, or ArchiveError naming `label` and saying what is wrong with it."""
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveError(f"{label}: not a readable zip archive ({exc})") from None


def checked_name(raw: str) -> tuple[str, str]:
    """(the name as a relative '/'-separated path, "") or ("", why it is refused)."""
    name = raw.replace("\\", "/")  # zips made on Windows may separate with backslashes
    if "\0" in name:
        return "", "a name with a NUL character"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "", "an absolute path (it would be written outside the folder)"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return "", "a path with '..' (it would be written outside the folder)"
    if not parts:
        return "", "an entry without a name"
    if any(len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for p in parts):
        return "", f"a name longer than {MAX_NAME_BYTES} bytes"
    return "/".join(parts), ""


def _decoded(info: zipfile.ZipInfo) -> str:
    """The entry's name: zip tools that write UTF-8 often forget the flag that says so, and
    zipfile then reads the bytes as cp437 ("mÃ¼ller" for "müller")."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _kind(info: zipfile.ZipInfo) -> str:
    """"dir", "file", or why the entry is not a regular file."""
    mode = info.external_attr >> 16
    if info.is_dir() or (mode and stat.S_ISDIR(mode)):
        return "dir"
    if info.flag_bits & 0x1:
        return "encrypted (the grader has no password)"
    if info.create_system == 3 and mode:  # made on Unix: the mode says what it is
        if stat.S_ISLNK(mode):
            return "a symbolic link (never followed)"
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            return "not a regular file (a device, FIFO or socket)"
    return "file"


def members(zf: zipfile.ZipFile, limit: int = MAX_MEMBERS) -> tuple[list[Member], list[Refused]]:
    """The archive's regular files (in the archive's order) and the entries refused."""
    taken: list[Member] = []
    refused: list[Refused] = []
    seen: set[str] = set()
    infos = zf.infolist()
    for info in infos[:limit]:
        kind = _kind(info)
        if kind == "dir":
            continue
        name, why = checked_name(_decoded(info))
        if not why and kind != "file":
            why = kind
        if not why and name in seen:
            why = "a second entry of the same name"
        if why:
            refused.append(Refused(info.filename, why))
            continue
        seen.add(name)
        taken.append(Member(name, info.file_size, info))
    if len(infos) > limit:
        refused.append(Refused(f"({len(infos) - limit:,} more entries)",
                               f"beyond the {limit:,} entries read from one archive"))
    return taken, refused


def read(zf: zipfile.ZipFile, member: Member, limit: int) -> bytes:
    """At most `limit` bytes of the member; ArchiveError if it holds more or is broken."""
    if member.size > limit:
        raise ArchiveError(f"larger than {_size(limit)} ({_size(member.size)})")
    try:
        with zf.open(member.info) as fh:
            data = fh.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError,
            EOFError, ValueError) as exc:
        raise ArchiveError(f"cannot be unpacked ({exc})") from None
    if len(data) > limit:
        raise ArchiveError(f"unpacks to more than {_size(limit)}")
    return data


def is_junk(name: str) -> bool:
    """Files zip tools and file browsers add (macOS resource forks, thumbnails)."""
    return any(part in JUNK or part.startswith("._") for part in name.split("/"))


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n:,} bytes"
