"""Finding a submission's files (directly or one folder down) and making a private copy."""
from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", "node_modules"}
MAX_FILES = 2000
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Submission:
    """A student's folder, the folder where the problem files sit, and which are present."""

    name: str
    path: Path
    root: Path
    present: frozenset[str]

    def has(self, module: str) -> bool:
        return module in self.present


def locate(path: Path, modules: set[str]) -> Submission:
    """The shallowest folder at or one level below `path` holding any of the modules."""
    path = path.resolve()
    candidates = [path] + sorted(d for d in _subdirs(path))
    best = max(candidates, key=lambda d: (len(_present(d, modules)), d == path, _neg(d)))
    if not _present(best, modules):
        best = path
    return Submission(path.name, path, best, frozenset(_present(best, modules)))


def _neg(d: Path) -> tuple[int, ...]:
    return tuple(-ord(c) for c in d.name)  # alphabetical order wins ties


def _subdirs(path: Path) -> list[Path]:
    try:
        return [d for d in path.iterdir() if d.is_dir() and not d.is_symlink()
                and d.name not in IGNORED_DIRS and not d.name.startswith(".")]
    except OSError:
        return []


def _present(folder: Path, modules: set[str]) -> set[str]:
    """Modules whose file is here (a regular file; `Problem1.py` counts as problem1)."""
    try:
        names = {p.name.lower(): p for p in folder.iterdir() if p.is_file() and not p.is_symlink()}
    except OSError:
        return set()
    return {m for m in modules if f"{m.lower()}.py" in names}


def digest_files(folder: Path, digest: Any = None) -> Any:
    """Names and contents of every regular file below `folder`, fed into a sha256."""
    digest = digest or hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest


def found_files(sub: Submission, most: int = 8) -> str:
    """What the student's folder does hold, for a message about what it does not."""
    try:
        names = sorted(p.name for p in sub.root.iterdir() if not p.name.startswith("."))
    except OSError:
        names = []
    if not names:
        return "the folder is empty"
    shown = ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")
    where = "" if sub.root == sub.path else f" in {sub.root.name}/"
    return f"found{where}: {shown}"


def private_copy(sub: Submission, modules: set[str], dest: Path) -> Path:
    """Copy the submission's folder (regular files only, bounded) to `dest`; return its root.

    Problem files are also written under their canonical lower-case names."""
    dest.mkdir(parents=True, exist_ok=True)
    count, size = 0, 0
    for src in sorted(sub.root.rglob("*")):
        rel = src.relative_to(sub.root)
        if any(part in IGNORED_DIRS for part in rel.parts) or src.is_symlink() or not src.is_file():
            continue
        count, size = count + 1, size + src.stat().st_size
        if count > MAX_FILES or size > MAX_BYTES:
            break
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        if target.suffix == ".py":
            _as_utf8(target)
        canonical = {f"{m.lower()}.py": f"{m}.py" for m in modules}.get(rel.name.lower())
        if len(rel.parts) == 1 and canonical and canonical != rel.name:
            shutil.copyfile(src, dest / canonical)
    return dest.resolve()


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _as_utf8(path: Path) -> None:
    """Rewrite a source file saved in a legacy encoding (cp1252, an editor's default on
    Windows) as UTF-8, so an accent in a comment does not cost a student the whole file."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
    if any(_CODING.match(line) for line in data.splitlines()[:2]):
        return  # the file says what it is; Python honours that
    path.write_text(data.decode("cp1252", errors="replace"), encoding="utf-8")
