"""Finding a submission's files (directly or one folder down) and making a private copy.

Everything here reads the student's folder through grader.disk.files: no symlink is followed,
nothing but regular files is opened, and nothing is read past a bound.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.disk import files
from grader.disk.files import IGNORED_DIRS
from grader.display import text
from grader.engine.executed import as_utf8
from grader.sandbox import WRITTEN_MODULE

__all__ = ["IGNORED_DIRS", "Submission", "locate", "private_copy", "found_files", "digest_files"]

MAX_SOURCE = 4 << 20  # a problem file larger than this is not a source file
EXTRA_FILES = 500  # other files copied next to the problem files...
EXTRA_BYTES = 16 << 20  # ...and their size in all


@dataclass(frozen=True)
class Submission:
    """A student's folder, the folder where the problem files sit, and which are present
    (file name by module, as the student spelled it)."""

    name: str
    path: Path
    root: Path
    files: dict[str, str]

    @property
    def present(self) -> frozenset[str]:
        return frozenset(self.files)

    def has(self, module: str) -> bool:
        return module in self.files


def locate(path: Path, modules: set[str]) -> Submission:
    """The shallowest folder at or one level below `path` holding any of the modules."""
    path = path.resolve()
    candidates = [path] + [Path(e.path) for e in files.entries(path) if _student_dir(e)]
    found = {d: _present(d, modules) for d in candidates}
    best = max(candidates, key=lambda d: (len(found[d]), d == path, _neg(d)))
    if not found[best]:
        best = path
    return Submission(path.name, path, best, found[best])


def _student_dir(entry) -> bool:  # noqa: ANN001 - an os.DirEntry
    return files.is_dir(entry) and entry.name not in IGNORED_DIRS \
        and not entry.name.startswith(".")


def _neg(d: Path) -> tuple[int, ...]:
    return tuple(-ord(c) for c in d.name)  # alphabetical order wins ties


def file_name(module: str) -> str:
    """The file a module stands for: `problem1.py`, and `answers.md` for written answers."""
    return f"{module}.md" if module == WRITTEN_MODULE else f"{module}.py"


def _present(folder: Path, modules: set[str]) -> dict[str, str]:
    """Modules whose file is here: a regular file (`Problem1.py` counts as problem1) of a
    size a source file can have."""
    names = {e.name.lower(): e for e in files.entries(folder) if files.regular(e)}
    present = {}
    for m in modules:
        entry = names.get(file_name(m).lower())
        if entry is not None and _size(entry) <= MAX_SOURCE:
            present[m] = entry.name
    return present


def _size(entry) -> int:  # noqa: ANN001 - an os.DirEntry
    try:
        return entry.stat(follow_symlinks=False).st_size
    except OSError:
        return MAX_SOURCE + 1


def digest_files(folder: Path, digest=None):  # noqa: ANN001, ANN201 - a hashlib object
    """Names and contents of every regular file below `folder`, fed into a sha256."""
    return files.digest(folder, digest)


def found_files(sub: Submission, most: int = 8) -> str:
    """What the student's folder does hold, for a message about what it does not."""
    listed = [e for e in files.entries(sub.root) if not e.name.startswith(".")]
    names = [text.name(e.name) + ("/" if files.is_dir(e) else "") for e in listed]
    if not names:
        return "the folder is empty"
    shown = ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")
    where = "" if sub.root == sub.path else f" in {text.name(sub.root.name)}/"
    large = [text.name(e.name) for e in listed if files.regular(e)
             and e.name.lower().endswith(".py") and _size(e) > MAX_SOURCE]
    too_big = f"; too large for a source file (over {MAX_SOURCE >> 20} MB): " \
        f"{', '.join(large)}" if large else ""
    return f"found{where}: {shown}{too_big}"


@dataclass(frozen=True)
class Copy:
    """The private copy, and what of the student's folder was left out of it."""

    root: Path
    left_out: tuple[str, ...] = ()  # readable names, with sizes
    left_out_count: int = 0


def private_copy(sub: Submission, modules: set[str], dest: Path) -> Copy:
    """Copy the problem files first, under their canonical lower-case names, then the other
    regular files below the submission's folder while they fit EXTRA_FILES and EXTRA_BYTES:
    Python files (helpers the problem files may import) before the rest, shallow before
    deep. Whatever did not fit is named in `left_out`."""
    dest.mkdir(parents=True, exist_ok=True)
    taken = set()
    for module, filename in sorted(sub.files.items()):
        for name in {file_name(module), filename}:  # a helper may import it by either name
            files.copy(sub.root / filename, dest / name, MAX_SOURCE)
        taken.add(filename)
    count, size, left_out, dropped = 0, 0, [], 0
    rest = sorted(files.walk(sub.root),
                  key=lambda e: (not e.rel.endswith(".py"), e.rel.count("/"), e.rel))
    for entry in rest:
        if entry.rel in taken:
            continue
        if count + 1 > EXTRA_FILES or size + entry.size > EXTRA_BYTES:
            dropped += 1
            if len(left_out) < 5:
                left_out.append(f"{text.name(entry.rel)} ({_human(entry.size)})")
            continue
        try:
            size += files.copy(entry.path, dest / entry.rel, EXTRA_BYTES - size)
        except OSError:
            continue
        count += 1
    for path in dest.rglob("*.py"):
        _as_utf8(path)
    return Copy(dest.resolve(), tuple(left_out), dropped)


def _human(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def _as_utf8(path: Path) -> None:
    """Rewrite the copy of a source file in UTF-8 when it is not (executed.as_utf8)."""
    data = path.read_bytes()
    source = as_utf8(data)
    if source != data:
        path.write_bytes(source)


WRITTEN_DIR = "written"  # answers.md and PDFs, kept beside the report for the TAs
MAX_PDFS, MAX_PDF_BYTES = 5, 32 << 20


def keep_written(sub: Submission, out: Path) -> None:
    """What TAs read: answers.md and the PDFs of handwritten work (not parsed), copied
    from the student's folder through grader.disk.files (no link followed, bounded)."""
    dest = out / WRITTEN_DIR
    shutil.rmtree(dest, ignore_errors=True)
    wanted = [e for e in files.entries(sub.root) if files.regular(e) and (
        e.name.lower() == "answers.md" or e.name.lower().endswith(".pdf"))]
    pdfs = 0
    for entry in sorted(wanted, key=lambda e: e.name):
        is_pdf = entry.name.lower().endswith(".pdf")
        if is_pdf and pdfs >= MAX_PDFS:
            continue
        dest.mkdir(parents=True, exist_ok=True)
        name = "answers.md" if not is_pdf else _safe_name(entry.name)
        try:
            files.copy(Path(entry.path), dest / name, MAX_PDF_BYTES if is_pdf else 4 << 20)
        except OSError:
            continue
        pdfs += is_pdf


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100] or "work.pdf"
