"""Reading a student's folder as root without trusting it.

Three rules, kept here so that no other module has to remember them: never follow a
symlink (out of the submission or anywhere), never open anything that is not a regular
file (a FIFO or /proc/kmsg blocks forever), and never read more than a bound (a 3 GiB
sparse file is not read whole). Names are whatever bytes the student's zip tool wrote;
they stay `os.fsdecode`d strings here and become readable text only where shown
(`grader.display.text.name`).
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

# not the student's own: tools' litter, and the student kit's engine (_kit, when a student
# hands in the kit's folder with their files in it)
IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", "node_modules", "_kit"}
MAX_ENTRIES = 20_000  # entries looked at in one submission, however many it holds
MAX_DEPTH = 16
DIGEST_WHOLE = 16 << 20  # files up to this size are digested whole; larger ones by their start


def flags(*names: str) -> int:
    """The open(2) flags of these names that this system has, or-ed together: the student
    kit reads files with this module on Windows too, which has none of POSIX's but
    O_BINARY (without which reads there translate newlines)."""
    found = 0
    for name in names:
        found |= getattr(os, name, 0)
    return found


_OPEN = os.O_RDONLY | flags("O_NOFOLLOW", "O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "O_BINARY")


class NotRegular(OSError):
    """A path that is a symlink, a FIFO, a device or a folder where a file was wanted."""


@dataclass(frozen=True)
class Entry:
    """A regular file found under a folder, not following symlinks."""

    path: Path
    rel: str  # relative to the folder walked, with '/' between parts
    size: int
    mtime_ns: int


def entries(folder: Path) -> list[os.DirEntry]:
    """The folder's entries sorted by name; none when it cannot be listed."""
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def regular(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def walk(folder: Path, limit: int = MAX_ENTRIES) -> Iterator[Entry]:
    """Regular files below `folder` in sorted order, depth first, skipping symlinks, hidden
    and junk folders; at most `limit` entries (files and folders) are looked at."""
    seen = 0
    stack: list[tuple[Path, str, int]] = [(folder, "", 0)]
    while stack:
        where, prefix, depth = stack.pop()
        found = entries(where)
        subdirs = []
        for entry in found:
            seen += 1
            if seen > limit:
                return
            if is_dir(entry):
                if depth < MAX_DEPTH and entry.name not in IGNORED_DIRS \
                        and not entry.name.startswith("."):
                    subdirs.append((Path(entry.path), f"{prefix}{entry.name}/", depth + 1))
            elif regular(entry):
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                yield Entry(Path(entry.path), prefix + entry.name, st.st_size, st.st_mtime_ns)
        stack.extend(reversed(subdirs))


def read(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file; NotRegular for anything else, without
    blocking on it (a FIFO, a device) and without following a symlink."""
    if not hasattr(os, "O_NOFOLLOW") and os.path.islink(path):  # Windows: look first
        raise NotRegular(f"{os.fsdecode(path)} is a symlink")
    fd = os.open(path, _OPEN)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(f"{os.fsdecode(path)} is not a regular file")
        if _OPEN & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def copy(src: Path, dest: Path, limit: int) -> int:
    """Copy a regular file of at most `limit` bytes; the number of bytes copied."""
    data = read(src, limit)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return len(data)


def mentions(folder: Path, word: bytes, skip: tuple[str, ...] = (),
             limit: int = 1 << 20) -> bool:
    """Whether a `.py` file below `folder` (but those whose stem is in `skip`) holds `word`
    within its first `limit` bytes."""
    for entry in walk(folder):
        if entry.rel.endswith(".py") and Path(entry.rel).stem not in skip:
            try:
                if word in read(entry.path, limit):
                    return True
            except OSError:
                continue
    return False


def digest(folder: Path, into: Any = None) -> Any:
    """Names and contents of the regular files below `folder`, fed into a sha256. Files
    larger than DIGEST_WHOLE count by their size, time and first DIGEST_WHOLE bytes."""
    into = into or hashlib.sha256()
    for entry in walk(folder):
        into.update(os.fsencode(entry.rel) + b"\0")
        try:
            data = read(entry.path, DIGEST_WHOLE)
        except OSError:
            data = b""
        if entry.size > DIGEST_WHOLE:
            into.update(f"{entry.size}:{entry.mtime_ns}:".encode())
        into.update(hashlib.sha256(data).digest())
    return into
