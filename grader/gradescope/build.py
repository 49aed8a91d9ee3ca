"""The autograder zip: the engine, one rubric and its references, and Gradescope's scripts.

Reproducible: entries sorted, fixed timestamps and modes, so the same inputs give the
same bytes."""
from __future__ import annotations

import json
import posixpath
import zipfile
from pathlib import Path

from grader import __version__
from grader.rubric import load_rubric

PACKAGE = Path(__file__).resolve().parents[1]
FILES = Path(__file__).with_name("files")
EPOCH = (1980, 1, 1, 0, 0, 0)
SOURCE_SUFFIXES = {".py", ".j2", ".txt", ".sh"}


def build_zip(rubric_path: Path, out: Path) -> list[str]:
    """Write the zip; return the names it holds."""
    rubric = load_rubric(rubric_path)
    rubric_arc = f"rubrics/{rubric.path.name}"
    ref_arc = posixpath.normpath(posixpath.join("rubrics", rubric.model.reference))
    if ref_arc.startswith("..") or ref_arc in (".", "rubrics"):
        raise ValueError(f"{rubric.path}: reference {rubric.model.reference!r} must be a "
                         "folder beside or below the rubric's parent folder")
    entries: dict[str, tuple[bytes, int]] = {
        "setup.sh": ((FILES / "setup.sh").read_text().replace("@REFERENCE@", ref_arc)
                     .encode(), 0o755),
        "run_autograder": ((FILES / "run_autograder").read_bytes(), 0o755),
        "requirements.txt": ((FILES / "requirements.txt").read_bytes(), 0o644),
        rubric_arc: (rubric.path.read_bytes(), 0o644),
        "gradescope.json": (json.dumps({"rubric": rubric_arc, "grader_version": __version__},
                                       indent=1).encode() + b"\n", 0o644),
    }
    entries.update(_tree(PACKAGE, "grader"))
    entries.update(_tree(rubric.reference_dir, ref_arc))
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(entries):
            data, mode = entries[name]
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return sorted(entries)


def _tree(folder: Path, arc: str) -> dict[str, tuple[bytes, int]]:
    return {f"{arc}/{p.relative_to(folder).as_posix()}": (p.read_bytes(), 0o644)
            for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix in SOURCE_SUFFIXES}
