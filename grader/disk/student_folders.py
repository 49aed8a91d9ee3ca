"""Who a student is, and where their outputs go in a class.

A student is their submission folder's name, whatever bytes it holds. Two keys follow:

- `key(name)`: the same name as text that says exactly which folder it was (the TAs'
  store, URLs, CSV, results.json): `%`, control characters and bytes that are not UTF-8
  are %-escaped, every other character is itself, so `alice` is `alice`.
- `placements(names)`: the output folder of every student of a class, injective over the
  class on any file system. A name is its own folder unless it is one of the class's own
  files (`index.html`), ends in `.student` (as renamed folders do), is too long for the
  suffix, or looks like another student's (the same up to case, Unicode normalisation,
  or bytes shown as escapes: `Bob` and `bob` collide on a case-insensitive disk, and
  `café` in NFC and NFD, or a byte `\\xe9` and the text `\\xe9`, read the same). Each
  renamed folder says why, and the summary, grades.csv and index.html repeat it.

Folders depend on the class's names only, so a rerun finds every student where the last
run left them.
"""
from __future__ import annotations

import hashlib
import unicodedata
import urllib.parse
from dataclasses import dataclass

from grader.display import text

CLASS_OUTPUTS = {"index.html", "grades.csv", "changes.csv", "canvas.csv", "moodle.csv",
                 "blackboard.csv", "similarity.html",
                 "similarity.json", ".class-options.json", "manual-grades.sqlite",
                 "manual-grades.sqlite-wal", "manual-grades.sqlite-shm",
                 "manual-grades.sqlite-journal"}  # the class's own files in --out
SUFFIX = ".student"
NAME_MAX = 255  # bytes in one file name (Linux, macOS, Windows alike)


def key(name: str) -> str:
    """The student's key: `name` as visible text, injective (`name_of` reverses it)."""
    out = []
    for ch in name:
        if ch == "%" or text.visible(ch) != ch:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogateescape")))
        else:
            out.append(ch)
    return "".join(out)


def name_of(student_key: str) -> str:
    """The folder name a key stands for (a byte that was not UTF-8 as os.fsdecode has it)."""
    return urllib.parse.unquote(student_key, errors="surrogateescape")


@dataclass(frozen=True)
class Placement:
    folder: str  # the output folder's name, under the class's --out
    why: str = ""  # why it is not the student's name; "" when it is


def _raw(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def _fit(name: str, tag: str) -> str:
    """`name` + `tag`, the name cut (at a character) to keep the whole within NAME_MAX."""
    room = NAME_MAX - len(_raw(tag))
    raw = _raw(name)
    while len(raw) > room:
        name = name[:-1]
        raw = _raw(name)
    return name + tag


def own_folder(name: str) -> Placement:
    """The folder a name gets alone: itself, or with the suffix when it is reserved. One to
    one: a suffixed folder ends in `.student`, and no name kept as it is does."""
    folded = unicodedata.normalize("NFC", name).casefold()
    if folded in CLASS_OUTPUTS:
        why = f"named like the class's own {folded}"
    elif folded.endswith(SUFFIX):
        why = f"its name ends in {SUFFIX}, as renamed folders' names do"
    else:
        return Placement(name)
    if len(_raw(name + SUFFIX)) > NAME_MAX:
        return Placement(_hashed(name, 64), why + ", and too long to add the suffix")
    return Placement(name + SUFFIX, why)


def _hashed(name: str, digits: int) -> str:
    digest = hashlib.sha256(_raw(name)).hexdigest()[:digits]
    return _fit(name, f".{digest}{SUFFIX}")


def lookalike(folder: str) -> str:
    """What a folder name is the same as on a case- or normalisation-insensitive disk, or
    to a reader (escapes shown for bytes that are not UTF-8 and for controls)."""
    shown = unicodedata.normalize("NFKC", text.name(folder))
    return unicodedata.normalize("NFKC", shown.casefold())


def placements(names: list[str]) -> dict[str, Placement]:
    """Every student's output folder, distinct even up to `lookalike`: students whose
    folders would look alike all get their name with a digest of its bytes."""
    placed = {n: own_folder(n) for n in names}
    for digits in (8, 64):
        groups: dict[str, list[str]] = {}
        for n in sorted(names):
            groups.setdefault(lookalike(placed[n].folder), []).append(n)
        clashes = [g for g in groups.values() if len(g) > 1]
        if not clashes:
            return placed
        for group in clashes:
            shown = ", ".join(text.name(n) for n in group)
            for n in group:
                placed[n] = Placement(_hashed(n, digits), f"its name looks like another "
                                      f"student's ({shown}: the same up to case, Unicode "
                                      f"normalisation or bytes that are not UTF-8)")
    raise RuntimeError("output folders still collide after renaming")  # sha256 would have to
