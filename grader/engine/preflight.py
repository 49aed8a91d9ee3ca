"""Before any student is touched: what would make the grader fail on every one of them,
each problem at the rubric's file and line. A reference folder that is not there (a
rubric's paths are relative to its own folder, so a copy saved elsewhere loses it), a
reference, alternative or mistake the folder does not hold, inputs that cannot be drawn.
`grade` and the Gradescope build refuse such a rubric; `grade rubric check` reports the
same, then checks the handout and self-tests."""
from __future__ import annotations

import difflib
import importlib
from pathlib import Path
from typing import Callable, Optional

from grader.engine.inputs import InputError, draw_trials
from grader.rubric.model import Rubric, line_of
from grader.rubric.references import ReferenceError_, References

At = Callable[..., str]  # location in the rubric -> "path:line: "


def problems(rubric: Rubric, path: Optional[Path] = None) -> list[str]:
    """Every such problem; `path` is the rubric as the user named it (default: its own)."""
    at = locator(path or rubric.path, rubric)
    errors: list[str] = []
    refs = references(rubric, errors, at)
    if refs is not None:
        errors += reference_problems(rubric, refs, at)
    return errors + input_problems(rubric, at)


def locator(path: Path, rubric: Rubric) -> At:
    """`path:line: ` of the field at a location in the rubric, the path as given."""
    return lambda *loc: f"{path}:{line_of(rubric.path, list(loc))}: "


def references(rubric: Rubric, errors: list[str], at: At) -> Optional[References]:
    """The rubric's reference folder loaded, or None with the reason added to `errors`."""
    folder, given = rubric.reference_dir, rubric.model.reference
    if not folder.is_dir():
        relative = "" if Path(given).is_absolute() else \
            f" (a rubric's paths are relative to the rubric's own folder, {rubric.path.parent})"
        errors.append(at("reference") + f"reference: {given!r} is {folder}, which is not a "
                      f"folder{relative}")
        return None
    try:
        return References(folder)
    except Exception as exc:  # noqa: BLE001 - the reference's own __init__.py raised
        errors.append(at("reference") + f"reference: {folder} cannot be loaded: {_why(exc)}")
        return None


def reference_problems(rubric: Rubric, refs: References, at: At) -> list[str]:
    """Every reference, alternative and mistake the folder does not hold (or that raises
    when its module is imported)."""
    errors = []
    for i, item in enumerate(rubric.items):
        names = [(("reference",), item.reference)] if item.reference else []
        names += [(("alternatives", k), a) for k, a in enumerate(item.alternatives)]
        names += [(("mistakes", k, "reference"), m.reference) for k, m in enumerate(item.mistakes)]
        for loc, dotted in names:
            try:
                refs.get(dotted)
            except Exception as exc:  # noqa: BLE001 - not there, or its module raised
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
                errors.append(at("items", i, *loc) + f"items[{i}]{where}: {dotted!r}: "
                              f"{_why(exc)}{_suggest(refs, dotted)}")
    return errors


def input_problems(rubric: Rubric, at: At) -> list[str]:
    """Items whose inputs cannot be drawn (tried on a few seeds)."""
    errors = []
    for i, item in enumerate(rubric.items):
        for seed in range(5):
            try:
                draw_trials(item, seed)
            except InputError as exc:
                errors.append(at("items", i, "inputs", exc.name) + f"items[{i}].inputs."
                              f"{exc.name}: cannot draw the inputs: {exc}")
                break
    return errors


def _why(exc: BaseException) -> str:
    """What went wrong loading a reference, in words (our own exceptions' names aside)."""
    return str(exc) if isinstance(exc, ReferenceError_) else f"{type(exc).__name__}: {exc}"


def _suggest(refs: References, dotted: str) -> str:
    module_name, attr = dotted.rsplit(".", 1)
    try:
        module = importlib.import_module(f"{refs.package}.{module_name}")
    except Exception:  # noqa: BLE001 - said already
        return ""
    close = difflib.get_close_matches(attr, [n for n in dir(module) if not n.startswith("_")], 1)
    return f" (did you mean {module_name}.{close[0]}?)" if close else ""
