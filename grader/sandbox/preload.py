"""Which libraries a class's code imports, read as text (never run), so that a zygote can
import them once for the whole class instead of once per sandboxed process.

A student module that imports scipy.signal pays about 0.9 s of CPU to import it in its
child, matplotlib.pyplot about 0.7 s (its font list built again in each child's fresh
home); every module of every such student pays it again. A zygote that has imported what
at least `LEAST` students import (of `warm.PRELOADABLE`: the libraries the handout lets
students use) pays it once, and the children of modules that import any of it fork from
that zygote (the others from the light one, which forks faster).
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Iterable

from grader.disk import files
from grader.sandbox.warm import PRELOADABLE
from grader.sandbox.written.sections import ANSWERS_FILE

LEAST = 2  # students of a class who must import a module for it to be preloaded
READ = 1 << 20  # bytes read of each file

_IMPORT = re.compile(rb"^[ \t]*import[ \t]+([\w. \t,]+)", re.M)
_FROM = re.compile(rb"^[ \t]*from[ \t]+(\w[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)", re.M)


def imported(root: Path, skip: tuple[str, ...] = ()) -> frozenset[str]:
    """The preloadable modules that `.py` files below `root` (but those whose stem is in
    `skip`: the other graded modules) import at any level, as their text says."""
    return _scan(root, skip)[0]


def survey(roots: Iterable[Path]) -> tuple[tuple[str, ...], bool]:
    """For the submissions at `roots` (a class, or one): what their zygote preloads
    (`for_class`), and whether any has an answers.md (its written answers' zygote then
    starts up front)."""
    libraries, answers, _ = survey_each(roots)
    return libraries, answers


def survey_each(roots: Iterable[Path]) -> tuple[tuple[str, ...], bool, list[frozenset[str]]]:
    """`survey`, and the preloadable modules each submission imports, in order."""
    scans = [_scan(root) for root in roots]
    return (for_class(modules for modules, _ in scans), any(answers for _, answers in scans),
            [modules for modules, _ in scans])


def _scan(root: Path, skip: tuple[str, ...] = ()) -> tuple[frozenset[str], bool]:
    found: set[str] = set()
    answers = False
    for entry in files.walk(root):
        answers = answers or Path(entry.rel).name == ANSWERS_FILE
        if entry.rel.endswith(".py") and Path(entry.rel).stem not in skip:
            try:
                found |= modules_in(files.read(entry.path, READ))
            except OSError:
                continue
    return frozenset(found), answers


def modules_in(source: bytes) -> set[str]:
    """The preloadable modules `import a.b as c, d` and `from a.b import c, d` lines of
    `source` name (a submodule counts as its nearest preloadable package)."""
    names = []
    for m in _IMPORT.finditer(source):
        names += [part.split()[0] for part in m.group(1).decode("ascii", "replace").split(",")
                  if part.split()]
    for m in _FROM.finditer(source):
        origin = m.group(1).decode("ascii", "replace")
        names.append(origin)
        inner = m.group(2).decode("ascii", "replace").strip("() \t")
        names += [f"{origin}.{part.split()[0]}" for part in inner.split(",") if part.split()]
    return {known for known in map(_preloadable, names) if known}


def _preloadable(name: str) -> str:
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        if ".".join(parts[:k]) in PRELOADABLE:
            return ".".join(parts[:k])
    return ""


def for_class(students: Iterable[frozenset[str]]) -> tuple[str, ...]:
    """What a class's zygote preloads: the modules at least `LEAST` of its students import
    (all that a lone student imports), in `PRELOADABLE`'s order."""
    counts: Counter[str] = Counter()
    n = 0
    for modules in students:
        counts.update(modules)
        n += 1
    least = min(LEAST, max(n, 1))
    return tuple(m for m in PRELOADABLE if counts[m] >= least)
