"""The autograder zip: the grader modules grading needs (those `grader.gradescope` reaches
through its imports, the sandbox whole, templates of the packages carried), one rubric and
its references, and Gradescope's scripts.

Reproducible: entries sorted, fixed timestamps and modes, so the same inputs give the
same bytes. The instructor's tools that Gradescope never runs (the student kit, the
rubric's mutation and leak checks) stay out."""
from __future__ import annotations

import json
import posixpath
from pathlib import Path

from grader import __version__
from grader.disk.archive import tree, write_zip
from grader.disk.imports import reached, source
from grader.engine import preflight
from grader.rubric.model import load_rubric

PACKAGE = Path(__file__).resolve().parents[1]
FILES = Path(__file__).with_name("files")
SOURCE_SUFFIXES = {".py", ".j2", ".txt", ".sh"}
def build_zip(rubric_path: Path, out: Path) -> list[str]:
    """Write the zip; return the names it holds."""
    rubric = load_rubric(rubric_path)
    problems = preflight.problems(rubric, rubric_path)  # a zip that fails every student
    if problems:
        raise ValueError("the rubric cannot be used:\n" + "\n".join(problems))
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
    entries.update(engine())
    entries.update(tree(rubric.reference_dir, ref_arc, SOURCE_SUFFIXES))
    return write_zip(entries, out)


ENTRIES = ("grader.gradescope.__main__", "grader.gradescope.run", "grader.gradescope.build")


def engine() -> dict[str, tuple[bytes, int]]:
    """The grader's files the autograder runs: the modules its entries import, their
    packages' templates, the sandbox (whose child loads its modules by path) and
    Gradescope's scripts."""
    entries: dict[str, tuple[bytes, int]] = {}
    packages = set()
    for module in reached(ENTRIES):
        path = source(module)
        entries[f"grader/{path.relative_to(PACKAGE).as_posix()}"] = (path.read_bytes(), 0o644)
        packages.add(path.parent)
    for folder in sorted(packages):
        if (folder / "templates").is_dir():
            arc = f"grader/{(folder / 'templates').relative_to(PACKAGE).as_posix()}"
            entries.update(tree(folder / "templates", arc, SOURCE_SUFFIXES))
    entries.update(tree(PACKAGE / "sandbox", "grader/sandbox", SOURCE_SUFFIXES))
    entries.update(tree(FILES, "grader/gradescope/files", SOURCE_SUFFIXES))
    return entries

