"""A download to import, read safely whether it is the LMS's zip or the folder it was
unpacked into: its regular files under checked relative names, what was refused and why,
and bounded reads (grader/disk/unzip.py for a zip, grader/disk/files.py for a folder:
no link followed, nothing but regular files opened, nothing read past a bound)."""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from grader.disk import files, unzip
from grader.disk.unzip import ArchiveError, Refused

MAX_MEMBERS = unzip.MAX_MEMBERS


@dataclass
class Source:
    """The download's files (relative names, '/' between parts) below `prefix`."""

    label: str
    sizes: dict[str, int]  # name -> size, in the download's order
    refused: list[Refused]
    zf: Optional[zipfile.ZipFile] = None
    members: dict[str, unzip.Member] = field(default_factory=dict)
    root: Optional[Path] = None
    prefix: str = ""  # a folder wrapping everything, stripped from the names

    @property
    def names(self) -> list[str]:
        n = len(self.prefix)
        return [name[n:] for name in self.sizes if name.startswith(self.prefix)]

    def size(self, name: str) -> int:
        return self.sizes[self.prefix + name]

    def read(self, name: str, limit: int) -> bytes:
        """At most `limit` bytes of a file; ArchiveError if larger or unreadable."""
        full = self.prefix + name
        if self.zf is not None:
            return unzip.read(self.zf, self.members[full], limit)
        try:
            data = files.read(self.root / full, limit + 1)
        except OSError as exc:
            raise ArchiveError(f"cannot be read ({exc.strerror or exc})") from None
        if len(data) > limit:
            raise ArchiveError(f"larger than {limit:,} bytes")
        return data

    def tops(self) -> set[str]:
        """The first part of every name (folders and files at the top)."""
        return {name.split("/", 1)[0] + ("/" if "/" in name else "") for name in self.names}

    def unwrapped(self) -> Optional[Source]:
        """The same download without a single folder that holds all of it, if one does."""
        tops = self.tops()
        if len(tops) != 1 or not next(iter(tops)).endswith("/"):
            return None
        return Source(self.label, self.sizes, self.refused, self.zf, self.members, self.root,
                      self.prefix + next(iter(tops)))


def open_source(path: Path) -> Source:
    """The download at `path` (a zip or a folder); ArchiveError naming it if unreadable."""
    if path.is_dir():
        return _folder(path)
    zf = unzip.open_zip(path, str(path))
    taken, refused = unzip.members(zf)
    return Source(str(path), {m.name: m.size for m in taken}, refused, zf,
                  {m.name: m for m in taken})


def _folder(root: Path) -> Source:
    """Every entry below `root`, depth first: regular files taken, the rest refused."""
    sizes: dict[str, int] = {}
    refused: list[Refused] = []
    stack = [(root, "")]
    seen = 0
    while stack:
        where, prefix = stack.pop()
        subdirs = []
        for entry in files.entries(where):
            seen += 1
            if seen > MAX_MEMBERS:
                refused.append(Refused("(more entries)", f"beyond the {MAX_MEMBERS:,} "
                                       "entries read from one download"))
                return Source(str(root), sizes, refused, root=root)
            name = prefix + os.fsdecode(entry.name)
            if files.is_dir(entry):
                subdirs.append((Path(entry.path), name + "/"))
            elif files.regular(entry):
                try:
                    sizes[name] = entry.stat(follow_symlinks=False).st_size
                except OSError as exc:
                    refused.append(Refused(name, f"cannot be read ({exc.strerror})"))
            else:
                refused.append(Refused(name, "a symbolic link (never followed)"
                                       if entry.is_symlink() else "not a regular file "
                                       "(a device, FIFO or socket)"))
        stack.extend(reversed(subdirs))
    return Source(str(root), sizes, refused, root=root)
