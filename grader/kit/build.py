"""Build the student kit, a zip that unpacks into one folder:

    highways-kit/
      README.md               how to use it
      handout.md, handout.html  the handout (the HTML self-contained: MathML, no scripts)
      problem1.py, ...        skeletons: every function, its signature and docstring,
                              raising NotImplementedError; every constant unset
      check.py                `python check.py [FOLDER]`, `--item ITEM --seed SEED`
      _kit/public.json        the visible items as data, and their public trials
      _kit/public.npz         the arrays of those trials and of their answers
      _kit/grader/...         the engine modules check.py imports, as the grader has them

What it never holds: reference code, mistake functions (their answers on the public
trials are stored under opaque names), hidden items, the rubric file, a constant's
answer. Byte-reproducible: the same rubric, references and grader give the same zip.
"""
from __future__ import annotations

import html
import json
from pathlib import Path
from grader import __version__
from grader.disk.archive import npz_bytes, write_zip
from grader.disk.imports import PACKAGE, module_of, reached, source
from grader.display import markdown
from grader.display.plaintext import to_plain
from grader.kit.public import PublicData, public_checks
from grader.leaks import Detector
from grader.rubric.model import Item, Rubric, load_rubric
from grader.rubric.references import References
from typing import Any, Optional

ENTRY = "grader.kit.check"
NOT_CARRIED = {"grader.kit.build", "grader.kit.public"}  # imported lazily, by the builder only
LAUNCHER = '''\
#!/usr/bin/env python3
"""Check your work before you submit it: `python check.py [FOLDER]`.
Replay a trial from the grader's feedback: `python check.py --item ITEM --seed SEED`.
`python check.py --help` says more; README.md explains what the checks cover."""
import os
import sys

# Said in one line, on any Python that can read this file (2.7 too; macOS's own python3
# is 3.9): the kit's modules would stop with a traceback of their own.
if sys.version_info < (3, 10):
    sys.exit("check.py needs Python 3.10 or newer, and this is Python %d.%d (%s): install "
             "a newer one (python.org, Anaconda) and run check.py with it."
             % (sys.version_info[0], sys.version_info[1], sys.executable))
# The kit's engine first, and not this folder: a file of the student's here (numpy.py,
# random.py, queue.py) must not stand in for what the kit imports.
HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [os.path.join(HERE, "_kit")] + [
    p for p in sys.path if os.path.realpath(p or os.curdir) != HERE]
try:
    import numpy  # noqa: F401 - what the kit needs besides Python
except ImportError as exc:
    sys.exit('check.py needs numpy, which this Python (%s) could not import (%s): '
             'install it with `"%s" -m pip install numpy`.'
             % (sys.executable, exc, sys.executable))
from grader.kit.check import main  # noqa: E402 - after the kit's own folder is on the path

sys.exit(main())
'''


def build_kit(rubric_path: Path, out: Path, notes: Optional[list[str]] = None) -> list[str]:
    """Write the kit's zip to `out`; return the names it holds. `notes` gets what was left
    out because it would give an answer away."""
    rubric = load_rubric(rubric_path)
    top = f"{rubric.model.name}-kit"
    refs = References(rubric.reference_dir)
    detector = Detector(rubric, refs)
    public = public_checks(rubric, refs, detector)
    entries: dict[str, tuple[bytes, int]] = {
        f"{top}/check.py": (LAUNCHER.encode(), 0o755),
        f"{top}/README.md": (readme(rubric, public, top).encode(), 0o644),
        f"{top}/_kit/public.json": (_json(metadata(rubric, public)), 0o644),
        f"{top}/_kit/public.npz": (npz_bytes(dict(sorted(public.arrays.items()))), 0o644),
    }
    if rubric.model.handout:
        handout = (rubric.path.parent / rubric.model.handout).resolve()
        text = handout.read_text(encoding="utf-8")
        for line, leak in detector.leaks_by_line(text, math=False):  # its math: rubric check
            public.withheld.append(f"{handout}:{line}: the handout holds a reference answer: "
                                   f"{leak.text()} (grade rubric check lists every such place)")
        entries[f"{top}/handout.md"] = (text.encode(), 0o644)
        entries[f"{top}/handout.html"] = (handout_html(rubric.model.title, text).encode(),
                                          0o644)
    for module, text in skeletons(rubric).items():
        entries[f"{top}/{module}.py"] = (text.encode(), 0o644)
    if any(i.written for i in rubric.items):
        entries[f"{top}/answers.md"] = (answers_template(rubric).encode(), 0o644)
    for module in engine_modules():
        path = source(module)
        entries[f"{top}/_kit/{path.relative_to(PACKAGE.parent).as_posix()}"] = (
            path.read_bytes(), 0o644)
    if notes is not None:
        notes += public.withheld
    return write_zip(entries, out)


def metadata(rubric: Rubric, public: PublicData) -> dict[str, Any]:
    limits = rubric.model.limits.model_dump()
    for item in public.items:  # what the kit prints is plain text, as on Gradescope
        item["title"] = to_plain(item["title"])
        item["description"] = to_plain(item["description"])
        item["hint"] = to_plain(item["hint"])
        for mistake in item["mistakes"]:
            mistake["message"] = to_plain(mistake["message"])
    return {"title": rubric.model.title, "grader_version": __version__,
            "hidden": sum(i.visibility == "hidden" for i in rubric.items),
            "submission_seconds": limits.pop("submission_seconds"), "limits": limits,
            "items": public.items, "trials": public.trials}


def _json(data: Any) -> bytes:
    # not sort_keys: an item's inputs are drawn in the order the rubric declares them
    return json.dumps(data, indent=1, ensure_ascii=False).encode() + b"\n"


# ------------------------------------------------------------------ the engine it carries

def engine_modules() -> list[str]:
    """The grader modules check.py runs, and nothing else: those it imports, and the
    sandbox's child, which the launcher check.py uses (portable.PortableLauncher) starts by
    path, with the siblings the child loads by path."""
    from grader.sandbox.launch import CHILD

    return reached([ENTRY, module_of(CHILD)], NOT_CARRIED)


# ------------------------------------------------------------------ skeletons

def skeletons(rubric: Rubric) -> dict[str, str]:
    """One file per student module: its functions and constants in the order the rubric
    names them, each documented by its visible items (a hidden one adds nothing)."""
    by_module: dict[str, dict[str, list[Item]]] = {}
    for item in rubric.items:
        if not item.written:  # answered in answers.md (answers_template)
            by_module.setdefault(item.module, {}).setdefault(item.attr, []).append(item)
    return {module: _skeleton(module, attrs) for module, attrs in sorted(by_module.items())}


def answers_template(rubric: Rubric) -> str:
    """answers.md to fill in: a section per part the rubric's written items answer, each
    saying what of it is checked automatically and what a TA grades."""
    parts: dict[str, list[Item]] = {}
    for item in rubric.items:
        if item.written and item.visibility != "hidden":
            parts.setdefault(item.section, []).append(item)
    lines = [f"# {to_plain(rubric.model.title)}: written answers", "",
             "<!-- One section per part, under its heading. Math in LaTeX between dollar "
             "signs; handout.md says what is checked and how. -->"]
    for part, items in parts.items():
        lines += ["", f"## {part}", ""]
        for item in items:
            if item.kind == "manual":
                lines.append(f"<!-- {to_plain(item.title)}: graded by a TA. -->")
                lines.append("")
            elif item.kind == "expression":
                lines += [f"<!-- {to_plain(item.title)}: checked automatically; the last "
                          "display math is the answer. -->", "$$", "$$", ""]
            else:
                op = "+=" if item.mode == "inplace" else "="
                names = item.compare if item.mode == "inplace" else item.targets
                lines += [f"<!-- {to_plain(item.title)}: checked automatically. -->", "```",
                          *(f"{n}[...] {op} ..." for n in names), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def _skeleton(module: str, attrs: dict[str, list[Item]]) -> str:
    lines = [f'"""{module}.py: fill in every function and constant below (handout.md says',
             'what each one is). Check your work with `python check.py` in this folder."""',
             "import numpy as np", ""]
    for attr, items in attrs.items():
        visible = [i for i in items if i.visibility != "hidden"]
        lines.append("")
        if items[0].kind == "constant":
            lines += [f"# {to_plain(i.title)}" for i in visible]
            lines += [f"{attr} = None  # set it to your answer", ""]
            continue
        args = ", ".join(items[0].arg_names)
        lines.append(f"def {attr}({args}):")
        lines.append(_docstring(items[0], visible))
        lines += [f"    raise NotImplementedError({attr!r})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _docstring(item: Item, visible: list[Item]) -> str:
    body: list[str] = []
    for i in visible:
        title = to_plain(i.title)
        body += [title + ("" if title[-1:] in ".?!" else "."), ""]
    descriptions = dict.fromkeys(to_plain(i.description).strip() for i in visible)
    for text in filter(None, descriptions):
        body += [*text.splitlines(), ""]
    if not visible:
        body += ["See the handout.", ""]
    shapes = [f"    {name}: {_kind(item.inputs.get(name))}" for name in item.arg_names]
    body += ["Args:", *shapes]
    if item.outputs:
        body += ["", f"Returns: the tuple ({', '.join(item.outputs)})."]
    if item.mode == "inplace":
        body += ["", f"Updates {', '.join(item.mutable)} in place; returns nothing."]
    text = "\n".join(("    " + line).rstrip() for line in body).replace('"""', "'''")
    return f'    """{text.strip()}\n    """'.replace("\\", "\\\\")


def _kind(spec: Any) -> str:
    if spec is None:
        return "see the handout"
    if spec.array is not None:
        return f"array of shape [{', '.join(map(str, spec.array))}]"
    if spec.int_ is not None or (spec.choice and all(isinstance(c, int) for c in spec.choice)):
        return "int"
    return "float"


# ------------------------------------------------------------------ the texts

def handout_html(title: str, source: str) -> str:
    """The handout as one HTML file that needs nothing else: math as MathML, no scripts."""
    return HANDOUT_PAGE.format(title=html.escape(title),
                               body=markdown.to_html(source))


HANDOUT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1f2328; margin: 0 auto; max-width: 50rem; padding: 1rem; }}
code, pre {{ font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .875rem; }}
pre {{ background: #f6f8fa; padding: .6rem .8rem; border-radius: 6px; white-space: pre-wrap;
      overflow-wrap: anywhere; }}
code {{ overflow-wrap: anywhere; }}
table {{ border-collapse: collapse; display: block; overflow-x: auto; }}
th, td {{ border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left;
         vertical-align: top; }}
math[display="block"] {{ overflow-x: auto; max-width: 100%; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.25rem; margin-top: 1.6rem; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def _written_note(rubric: Rubric) -> str:
    if not any(i.written for i in rubric.items):
        return ""
    return ("\nYour written answers go in `answers.md` (a template is here; the handout's "
            "section\n\"Written answers\" says how to write them). The kit does not check "
            "them: the grader\nchecks final answers and index equations, and TAs grade "
            "derivations and explanations.\n")


def _item_count(items: list[dict[str, Any]], checked: list[dict[str, Any]]) -> str:
    """How many items the kit checks, counted as check.py's table counts them."""
    if len(checked) == len(items):
        return f"{len(items)} items"
    return f"{len(items)} items; {len(items) - len(checked)} of them constants, checked " \
        "only for being set"


def readme(rubric: Rubric, public: PublicData, top: str) -> str:
    checked = [i for i in public.items if i["id"] in public.trials]
    modules = sorted({i.module for i in rubric.items if not i.written})
    files = ", ".join([f"`{m}.py`" for m in modules]
                      + (["`answers.md`"] if any(i.written for i in rubric.items) else []))
    return f"""# {to_plain(rubric.model.title)}: student kit

This folder holds the handout (`handout.md`, or `handout.html` for a browser), a
skeleton of each file you hand in ({files}) and `check.py`, which checks your files
the way the grader does, before you submit them.

## Check your work

You need Python 3.10 or newer and numpy (and PyTorch if a file of yours sets
`BACKEND = "torch"`), on Windows, macOS or Linux. Write your code in the skeleton files,
then, in a terminal in this folder:

    python check.py

(on Windows, `py check.py` if `python` is not found)

or `python check.py path/to/your/folder` for files elsewhere. It runs your files in a
separate process, with the grader's time limits, on a few fixed public trials per item
({_item_count(public.items, checked)}),
and prints the grader's table and feedback: what passed, and for what failed the inputs,
the values expected and yours.

Passing every public check is a good sign, not a grade: the grader calls your
functions on new random trials, more of them, and checks the constants' values,
which the kit does not know.
{_written_note(rubric)}
## Replay a trial from your feedback

Every failed item in your feedback ends with a command such as

    python check.py --item p2c_f --seed 123456

Run it here: it rebuilds exactly the inputs the grader used, calls your function on
them, prints inputs and outputs and saves them to `replay-ITEM-SEED.npz`, to load with
`numpy.load` in a notebook or a debugger. Add `--trial K` for one trial only. The kit
has no expected values for graded trials: compare with the feedback.

## What is in here

`_kit/` holds the grader's own modules that `check.py` uses, and the public trials as
data (`public.json`, `public.npz`). It holds no solutions.
"""
