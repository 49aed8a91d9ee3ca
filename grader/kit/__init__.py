"""The student kit: the handout, skeleton files and `check.py`, which runs a student's
files on public checks and replays graded trials with the grader's own modules.

`grade kit` builds it (grader/kit/build.py); the kit carries grader/kit/check.py and the
part of the engine it imports, never this package's builder or any reference."""
from __future__ import annotations

from pathlib import Path
from typing import Optional


def build_kit(rubric_path: Path, out: Path, notes: Optional[list[str]] = None) -> list[str]:
    """Write the kit's zip to `out`; return the names it holds (`notes` gets what was
    left out because it would give an answer away)."""
    from grader.kit.build import build_kit as build

    return build(rubric_path, out, notes)
