"""A student's code as similarity sees it: all their Python files in one document (problem
files first, then helpers), its top-level functions, what each character weighs, and its
winnowing fingerprint. Each document is lexed once (pygments): that one token stream
gives both copydetect's filtered code and the characters' weights."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from grader.disk import files
from grader.engine.submission import MAX_SOURCE, locate
from grader.rubric.model import Rubric

MAX_DOCUMENT = 512 * 1024  # characters of one student's code compared (beyond: left out)
NOISE, GUARANTEE = 25, 30  # copydetect's thresholds (filtered characters)


@dataclass(frozen=True)
class Options:
    threshold: float = 0.6
    min_chars: int = 200
    weights: dict[str, float] = field(default_factory=dict)  # function name -> weight
    default_weight: float = 1.0
    formula_weight: float = 0.1


@dataclass
class Document:
    student: str
    text: str
    regions: list[tuple[int, int, str]]  # (start, end, function or "") in text
    given: np.ndarray  # boolean per character: matches code every student was given
    fingerprint: Any = None
    tokens: list[tuple[int, Any, str]] = field(default_factory=list)  # (position, kind, value)


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
    return Options(conf.threshold, conf.min_chars, weights, 1.0, 0.1)


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
    """All the student's Python files as one text, read through grader.disk.files."""
    sub = locate(folder, {"problem1", "problem2", "problem3"})
    entries = sorted((e for e in files.walk(sub.root) if e.rel.endswith(".py")
                      and e.size <= MAX_SOURCE),
                     key=lambda e: (not re.match(r"problem\d+\.py$", e.rel.lower()), e.rel))
    parts, size = [], 0
    for entry in entries:
        try:
            code = _newlines(files.read(Path(entry.path), MAX_SOURCE).decode("utf-8", "replace"))
        except OSError:
            continue
        if size + len(code) > MAX_DOCUMENT:
            break
        parts.append(f"# file: {entry.rel}\n{code}\n")
        size += len(parts[-1])
    if not parts:
        return None
    text = "".join(parts).rstrip("\n") + "\n"  # as pygments would lex it: one lexing serves all
    return Document(student, text, _regions(text), np.zeros(len(text), dtype=bool),
                    tokens=_lex(text))


_DEF = re.compile(r"(?:async[ \t]+)?def[ \t]+(\w+)|class[ \t]+(\w+)")


def _regions(text: str) -> list[tuple[int, int, str]]:
    """Top-level functions and classes by their lines (student code is never parsed): a
    region runs from its decorators or `def` to the next statement at column 0."""
    regions: list[tuple[int, int, str]] = []
    offset, current, pending = 0, None, None
    for line in text.splitlines(keepends=True):
        if line[:1] and line[:1] not in " \t\r\n#)]}":
            if current is not None:
                regions.append((current[0], offset, current[1]))
                current = None
            match = _DEF.match(line)
            if line.startswith("@"):
                pending = offset if pending is None else pending
            elif match:
                current = (offset if pending is None else pending, match.group(1) or match.group(2))
                pending = None
            else:
                pending = None
        offset += len(line)
    if current is not None:
        regions.append((current[0], len(text), current[1]))
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


def _lex(text: str) -> list[tuple[int, Any, str]]:
    """The document's tokens (position, kind, value). The text is what pygments'
    get_tokens would lex (no CR, no leading blank line, one final newline), so these are
    copydetect's tokens too, with the positions the weights need."""
    from pygments.lexers import PythonLexer

    return list(PythonLexer().get_tokens_unprocessed(text))


def fingerprint(text: str, tokens: Optional[list[tuple[int, Any, str]]] = None,
                boilerplate: Any = None) -> Any:
    """copydetect's CodeFingerprint of `text`, from its tokens (lexed here if not given)."""
    from copydetect import CodeFingerprint
    from copydetect.utils import get_document_fingerprints, get_token_coverage

    if tokens is None:
        text = _newlines(text).strip("\n") + "\n"
        tokens = _lex(text)
    filtered, offsets = _filtered(tokens)
    hashes, idx = get_document_fingerprints(filtered, NOISE, GUARANTEE - NOISE + 1,
                                            boilerplate if boilerplate is not None else [])
    fp = CodeFingerprint.__new__(CodeFingerprint)  # what its constructor sets, lexing aside
    fp.filename, fp.raw_code, fp.filtered_code, fp.offsets = "doc.py", text, filtered, offsets
    fp.hashes, fp.hash_idx, fp.k = hashes, idx, NOISE
    fp.token_coverage = get_token_coverage(idx, NOISE, len(filtered))
    return fp


def _filtered(tokens: list[tuple[int, Any, str]]) -> tuple[str, np.ndarray]:
    """copydetect.utils.filter_code on tokens already lexed: names become V, functions F,
    classes O, strings S; blanks and comments go. Offsets map the filtered code back."""
    from pygments import token

    names = {token.Name, token.Name.Variable, token.Name.Attribute}
    out: list[str] = []
    size, offset, offsets = 0, 0, [[0, 0]]
    for _, kind, value in tokens:
        letter = ("V" if kind in names else "F" if kind in token.Name.Function else
                  "O" if kind in token.Name.Class else
                  "P" if kind in (token.Comment.Preproc, token.Comment.Hashbang) else None)
        if letter is not None:
            out.append(letter)
            size += 1
            offsets.append([size - 1, len(value) - 1 if letter == "O" else offset])
            offset += len(value) - 1
        elif kind in token.Text or kind in token.Comment:
            offsets.append([size - 1, offset])
            offset += len(value)
        elif kind in token.Literal.String and value not in ("'", '"'):
            out.append("S")
            size += 1
            offsets.append([size - 1, offset])
            offset += len(value) - 1
        else:
            out.append('"' if kind in token.Literal.String else value)
            size += len(out[-1])
    return "".join(out), np.array(offsets)


def char_weights(doc: Document, opts: Options) -> np.ndarray:
    """How much each character counts: its function's weight (top-level statements, the
    imports and constants everyone has, weigh as formulas); blanks, comments, docstrings
    and given code 0."""
    from pygments.token import Comment, String, Text, Whitespace

    w = np.full(len(doc.text), opts.formula_weight)
    for start, end, name in doc.regions:
        w[start:end] = opts.weights.get(name, opts.default_weight)
    for pos, kind, value in doc.tokens:
        if kind in Comment or kind in String.Doc or kind in Text or kind in Whitespace:
            w[pos:pos + len(value)] = 0.0
    chars = np.frombuffer(doc.text.encode("utf-32-le"), dtype=np.uint32)
    w[np.isin(chars, [32, 9, 10, 13])] = 0.0
    w[doc.given] = 0.0
    return w
