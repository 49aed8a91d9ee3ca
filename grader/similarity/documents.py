"""A student's code as similarity sees it: all their Python files in one document (problem
files first, then helpers), its files' and top-level functions' places, copydetect's
filtered code and what each character weighs. Each document is lexed once (pygments):
that one token stream gives both the filtered code and the characters' weights."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from grader.disk import files
from grader.engine.submission import MAX_SOURCE, locate
from grader.rubric.model import Rubric
from grader.similarity import channels
from grader.similarity.channels import Channel, Tokens

BLANKS = [32, 9, 10, 13, 12, 11]  # space, tab, newline, return, form feed, vertical tab
MAX_DOCUMENT = 512 * 1024  # characters of one student's code compared (beyond: left out)


@dataclass(frozen=True)
class Options:
    threshold: float = 0.6
    min_chars: int = 200
    weights: dict[str, float] = field(default_factory=dict)  # function name -> weight
    default_weight: float = 1.0
    formula_weight: float = 0.1
    near: float = 0.4  # "worth a look" from this score up to the threshold
    min_part_chars: int = 100  # a file's or function's share counts from this many
    part_threshold: float = 0.8  # a file or function this much copied flags the pair


@dataclass(frozen=True)
class Document:
    """One student's code: the text, where its files and top-level functions are, its
    tokens, and the two channels read from them (channels.py)."""
    student: str
    text: str
    regions: list[tuple[int, int, str]]  # top-level functions and classes: (start, end, name)
    files: list[tuple[int, int, str]]  # each file's code in text: (start, end, path)
    tokens: Tokens  # one lexing
    code: Channel
    verbatim: Channel


def options(rubric: Rubric) -> Options:
    """The rubric's functions: substantial ones (2 points or more, or in-place) weigh 1,
    the rest (one-line formulas) `formula_weight`; the rubric's `similarity:` overrides."""
    from grader.rubric.references import References

    refs = References(rubric.reference_dir)
    weights: dict[str, float] = {}
    for item in rubric.items:
        if item.written or item.kind == "constant" or item.reference is None:
            continue
        weights[item.attr] = 1.0 if _statements(refs.get(item.reference)) > 1 else 0.1
    conf = rubric.model.similarity
    weights.update(conf.weights)
    return Options(threshold=conf.threshold, min_chars=conf.min_chars, weights=weights,
                   near=conf.near, min_part_chars=conf.min_part_chars,
                   part_threshold=conf.part_threshold)


def _statements(fn: Any) -> int:
    """Statements in a (trusted) reference function's body, its docstring aside: one
    for a one-line formula (1a), more for substantial code (2b, 2c, 3e)."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return 1
    body = getattr(tree, "body", [])
    return len([s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))])


def document(student: str, folder: Path) -> Optional[Document]:
    """All the student's Python files as one text, read through grader.disk.files, lexed
    once: that one token stream gives the filtered code and the characters' weights."""
    sub = locate(folder, {"problem1", "problem2", "problem3"})
    entries = sorted((e for e in files.walk(sub.root) if e.rel.endswith(".py")
                      and e.size <= MAX_SOURCE),
                     key=lambda e: (not re.match(r"problem\d+\.py$", e.rel.lower()), e.rel))
    parts: list[str] = []
    placed: list[tuple[int, int, str]] = []  # each file's code: (start, end, path)
    size = 0
    for entry in entries:
        try:
            code = _newlines(files.read(Path(entry.path), MAX_SOURCE).decode("utf-8", "replace"))
        except OSError:
            continue
        if size + len(code) > MAX_DOCUMENT:
            break
        marker = f"# file: {entry.rel}\n"
        placed.append((size + len(marker), size + len(marker) + len(code), entry.rel))
        parts.append(f"{marker}{code}\n")
        size += len(parts[-1])
    if not parts:
        return None
    text = "".join(parts).rstrip("\n") + "\n"  # as pygments would lex it
    placed = [(s, min(e, len(text)), rel) for s, e, rel in placed]
    regions = [r for s, e, _ in placed for r in _regions(text[s:e], s)]
    tokens = _lex(text)
    markers = np.zeros(len(text), dtype=bool)
    for start, _, path in placed:
        markers[start - len(f"# file: {path}\n"):start] = True
    return Document(student, text, regions, placed, tokens, channels.code(tokens),
                    channels.text(text, tokens, markers))


_DEF = re.compile(r"(?:async[ \t]+)?def[ \t]+(\w+)|class[ \t]+(\w+)")


def _regions(text: str, offset: int = 0) -> list[tuple[int, int, str]]:
    """One file's top-level functions and classes by their lines (student code is never
    parsed): a region runs from its decorators or `def` to the next statement at column 0,
    or the file's end; positions are `offset` on."""
    regions: list[tuple[int, int, str]] = []
    at, current, pending = offset, None, None
    for line in text.splitlines(keepends=True):
        if line[:1] and line[:1] not in " \t\r\n#)]}":
            if current is not None:
                regions.append((current[0], at, current[1]))
                current = None
            match = _DEF.match(line)
            if line.startswith("@"):
                pending = at if pending is None else pending
            elif match:
                current = (at if pending is None else pending, match.group(1) or match.group(2))
                pending = None
            else:
                pending = None
        at += len(line)
    if current is not None:
        regions.append((current[0], offset + len(text), current[1]))
    return regions


def given_code(rubric: Rubric) -> list[str]:
    """What every student was given, and what every right answer shares: the kit's
    skeletons, the handout's code blocks, and the reference solutions (their idiomatic
    lines, such as the forward pass's matrix products, are what independent students
    write alike; a class's own common code is found by counting, in compare_class)."""
    from grader.kit.build import skeletons

    texts = list(skeletons(rubric).values())
    texts += [p.read_text(encoding="utf-8") for p in sorted(rubric.reference_dir.glob("*.py"))
              if p.name not in ("mistakes.py", "__init__.py")]
    if rubric.model.handout:
        handout = (rubric.path.parent / rubric.model.handout).read_text(encoding="utf-8")
        texts += re.findall(r"```(?:python|py)?\n(.*?)```", handout, re.DOTALL)
    return texts


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def given_channels(text: str) -> tuple[str, str]:
    """Given code (not a student's) as the two channels read it."""
    text = _newlines(text).strip("\n") + "\n"
    tokens = _lex(text)
    return channels.code(tokens).filtered, channels.text(text, tokens).filtered


def _lex(text: str) -> Tokens:
    """The document's tokens (position, kind, value). The text is what pygments'
    get_tokens would lex (no CR, no leading blank line, one final newline), so these are
    copydetect's tokens too, with the positions the weights need."""
    from pygments.lexers import PythonLexer

    return list(PythonLexer().get_tokens_unprocessed(text))


def _header_end(tokens: Tokens, start: int, end: int) -> int:
    """Where the `def` line(s) of the function at `start` end: after the colon that
    closes its signature."""
    import bisect

    depth, seen = 0, False
    for pos, _, value in tokens[bisect.bisect_left(tokens, (start,)):]:
        if pos >= end:
            break
        if value == "def":
            seen = True
        elif seen and value in ("(", "[", "{"):
            depth += 1
        elif seen and value in (")", "]", "}"):
            depth -= 1
        elif seen and depth == 0 and value == ":":
            return pos + 1
    return start


def char_weights(doc: Document, opts: Options) -> tuple[np.ndarray, np.ndarray]:
    """How much each character of the text counts, for the code channel and the text
    channel. Code: its function's weight (top-level statements, the imports and constants
    everyone has, weigh as formulas); blanks, comments, docstrings and the rubric's
    functions' `def` lines (the skeleton gave them) 0. Text: the same, but comments and
    docstrings weigh as much as substantial code (a copied comment is a copy). Weights are
    whole 1/1024ths, so that sums of them are exact in any order (a pair's figures are the
    same however they were added up)."""
    w = np.full(len(doc.text), opts.formula_weight)
    for start, end, name in doc.regions:
        w[start:end] = opts.weights.get(name, opts.default_weight)
        if name in opts.weights:
            w[start:_header_end(doc.tokens, start, end)] = 0.0
    kinds = {kind: channels.prose(kind) for kind in {kind for _, kind, _ in doc.tokens}}
    each = np.repeat(np.array([{True: 1, None: 2, False: 0}[kinds[kind]]
                               for _, kind, _ in doc.tokens], dtype=np.int8),
                     [len(value) for _, _, value in doc.tokens])
    prose = w.copy()
    prose[each == 1] = opts.default_weight
    w[each == 1] = 0.0
    chars = np.frombuffer(doc.text.encode("utf-32-le"), dtype=np.uint32)
    blank = (each == 2) | np.isin(chars, BLANKS)
    w[blank] = prose[blank] = 0.0
    for start, _, path in doc.files:  # the `# file:` lines are the grader's
        prose[start - len(f"# file: {path}\n"):start] = 0.0
    return np.round(w * 1024) / 1024, np.round(prose * 1024) / 1024
