"""The autograder zip: the engine, one rubric and its references, and Gradescope's scripts.

Reproducible: entries sorted, fixed timestamps and modes, so the same inputs give the
same bytes. The instructor's tools that Gradescope never runs (the student kit, the
rubric's mutation and leak checks) stay out."""
from __future__ import annotations

import json
import posixpath
from pathlib import Path

from grader import __version__
from grader.archive import tree, write_zip
from grader.rubric import load_rubric

PACKAGE = Path(__file__).resolve().parents[1]
FILES = Path(__file__).with_name("files")
SOURCE_SUFFIXES = {".py", ".j2", ".txt", ".sh"}
NOT_RUN_THERE = ("grader/kit/", "grader/leaks.py", "grader/mathtext.py", "grader/mutants.py")


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
    entries.update({arc: entry for arc, entry in tree(PACKAGE, "grader", SOURCE_SUFFIXES).items()
                    if not arc.startswith(NOT_RUN_THERE)})
    entries.update(tree(rubric.reference_dir, ref_arc, SOURCE_SUFFIXES))
    return write_zip(entries, out)
