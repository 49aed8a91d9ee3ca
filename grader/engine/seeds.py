"""The seed a submission is graded with: a property of its code, never of its folder's
name, of luck or of how often it was regraded (docs/rubrics.md, "Seeds and trials").

It is derived from the rubric and a normal form of what the grader reads of the
submission, the same way locally, in a class and on Gradescope:

- a Python file counts by its syntax tree, docstrings left out: comments, blank lines,
  formatting and docstrings do not move the seed, so there is nothing to shop for by
  editing them; any change of what the code does (a lookup table's new entry included)
  draws new inputs;
- answers.md counts by what the grader grades of it: each section's final math and its
  code block of equations, comments and blanks dropped (derivations and explanations are
  for TAs);
- every other file counts by its bytes (the code may read it).

A written item (expression, index) draws from a seed of its own: the rubric's and its
section's graded parts (`written_seeds`), so that one answer meets one set of inputs
whoever wrote it (engine/shared.py evaluates it once for a class).

Docstrings and comments stay in the seed when the code could read them (it names
`open`, `__doc__`, `__file__`, `inspect`, `getattr`, ... or a file of its own): then they
are data, and a table kept in them must meet new inputs as well.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Optional

from grader.disk import files
from grader.engine.executed import Executed, as_utf8, executed_form, remap
from grader.engine.inputs import derive_seed
from grader.engine.memo import Memo

if TYPE_CHECKING:
    from grader.engine.submission import Submission
    from grader.rubric.model import Item, Rubric
    from grader.sandbox import ModuleRun
    from grader.sandbox.written import Section

PARSE_BYTES = 256 << 10  # Python files up to this size count by their tree; larger ones as bytes
PARSE_TOTAL = 1 << 20  # and at most this much Python is parsed per submission
READ_BYTES = files.DIGEST_WHOLE
REWRITE_TOTAL = 256 << 10  # Python rewritten from its tree per submission (executed.py)

# Names through which code can read program text (docstrings, its own or another file):
# a submission that uses one keeps its docstrings and comments in the seed.
READERS = frozenset({
    "__doc__", "__file__", "__loader__", "__spec__", "__cached__", "__code__", "__dict__",
    "__builtins__", "__import__", "builtins", "open", "io", "inspect", "linecache",
    "tokenize", "pydoc", "importlib", "pkgutil", "runpy", "getattr", "vars", "globals",
    "locals", "eval", "exec", "compile", "getsource", "getdoc", "co_consts", "f_code",
    "_getframe", "currentframe", "gc", "loadtxt", "genfromtxt", "fromfile", "fromregex",
    "memmap", "read_text", "read_bytes", "read_csv", "read_table", "read_fwf",
})
_FILE_NAME = re.compile(r"\.(py|md|txt)\b", re.IGNORECASE)


def submission_seed(rubric: Rubric, path: Path) -> int:
    """The seed `path` is graded with under `rubric`, when none is given."""
    from grader.engine.submission import locate

    root = locate(path, {i.module for i in rubric.items}).root
    try:
        form = fingerprint(root)
    except Exception:  # noqa: BLE001 - never a reason not to grade: the bytes, then
        form = files.digest(root).hexdigest()
    return derive_seed(rubric.sha256, "code", form)


def fingerprint(root: Path) -> str:
    """A SHA-256 of the normal form of every regular file below `root` (files.walk: no
    symlink followed, hidden and tools' folders skipped, reads bounded)."""
    found, trees, _, keep_text = _survey(root)
    digest = hashlib.sha256()
    for rel, data in found:
        if rel in trees and not keep_text:
            form = b"py-tree:" + trees[rel]
        elif rel.lower() == "answers.md" and not keep_text:
            form = b"answers:" + answers_form(data.decode("utf-8", "replace")).encode()
        else:
            form = b"bytes:" + data
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(form).digest())
    return digest.hexdigest()


def executed_forms(root: Path) -> dict[str, Executed]:
    """The Python files below `root` that count by their tree, as the sandbox must run
    them (executed.py): rewritten from that tree, so nothing the seed leaves out is
    there for the code to read. By their path relative to `root`."""
    try:
        _, _, forms, keep_text = _survey(root)
    except Exception:  # noqa: BLE001 - the seed then counted the bytes: run them as written
        return {}
    return {} if keep_text else forms


def run_as_seeded(sub: Submission, copy: Path) -> Callable[[ModuleRun], ModuleRun]:
    """Rewrite the private copy's Python files as `executed_forms` says (a problem file
    under both names it is copied as), and return what maps a module's tracebacks back to
    the student's own lines (engine/modules.py calls it before anything runs)."""
    from grader.engine.submission import file_name

    forms = executed_forms(sub.root)
    aliases = {name: file_name(module) for module, name in sub.files.items()}
    placed: dict[str, Executed] = {}
    for rel, form in forms.items():
        for name in {rel, aliases.get(rel, rel)}:
            target = copy / name
            if target.is_file() and not target.is_symlink():
                target.write_bytes(form.source)
                placed[name] = form
    return functools.partial(remap, forms=placed)


def _survey(root: Path) -> tuple[list[tuple[str, bytes]], dict[str, bytes],
                                 dict[str, Executed], bool]:
    """Every file's path and bytes; the normal form of each Python file that counts by its
    tree, and how the sandbox runs it (a file that cannot be rewritten from its tree
    counts by its bytes); whether comments and docstrings count anyway (the code names a
    reader)."""
    found = [(e.rel, _read(e.path)) for e in files.walk(root)]
    python = {rel: as_utf8(data) for rel, data in found if rel.endswith(".py")}
    parsed = _parsed(python)
    keep_text = parsed is None or any(p.reads_text for p in parsed.values())
    forms: dict[str, Executed] = {}
    trees: dict[str, bytes] = {}
    if parsed and not keep_text:
        left = REWRITE_TOTAL
        for rel in sorted(parsed, key=lambda r: (len(python[r]), r)):  # small first, bounded
            left -= len(python[rel])
            form = parsed[rel].executed(python[rel]) if left >= 0 else None
            if form is not None:
                forms[rel], trees[rel] = form, parsed[rel].form
    return found, trees, forms, keep_text


def _read(path: Path) -> bytes:
    try:
        return files.read(path, READ_BYTES)
    except OSError:
        return b""


class _Parsed:
    """What is made of one Python file's text: its normal form, whether it names a
    reader, and (on demand) how the sandbox runs it. The same text gives the same, so it
    is made once per distinct file in a process (`_PARSED`): students of a class hand in
    many files alike (the handout's, a shared helper)."""

    __slots__ = ("form", "reads_text", "_executed")

    def __init__(self, tree: ast.AST):
        self.form = _tree_form(tree)
        self.reads_text = _reads_text(tree)
        self._executed: object = _UNMADE

    def executed(self, data: bytes) -> Optional[Executed]:
        if self._executed is _UNMADE:
            self._executed = executed_form(data)
        return self._executed  # type: ignore[return-value]


_UNMADE = object()
_PARSED = Memo(2048)  # distinct files kept (each at most PARSE_BYTES, most a few KB)


def _parsed(python: dict[str, bytes]) -> Optional[dict[str, _Parsed]]:
    """Each Python file's normal form; a file too large, or that does not parse, is left
    out (it counts by its bytes). None when there is too much Python to parse at all."""
    if sum(len(d) for d in python.values()) > PARSE_TOTAL:
        return None
    made = {}
    for rel, data in python.items():
        if len(data) > PARSE_BYTES:
            continue
        found = _PARSED.get(hashlib.sha256(data).digest(), lambda: _parse(data))
        if found is not None:
            made[rel] = found
    return made


def _parse(data: bytes) -> Optional[_Parsed]:
    try:
        return _Parsed(ast.parse(data))
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _reads_text(tree: ast.AST) -> bool:
    """Whether the code names a way to read docstrings or files (see READERS)."""
    for node in _nodes(tree):
        if isinstance(node, ast.Name) and node.id in READERS:
            return True
        if isinstance(node, ast.Attribute) and node.attr in READERS:
            return True
        if isinstance(node, ast.alias) and node.name.split(".")[0] in READERS:
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in READERS:
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                node.value in READERS or _FILE_NAME.search(node.value)):
            return True
    return False


def _nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, without recursion (a long chain `a + a + ...` is a deep tree)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(ast.iter_child_nodes(node))


class _Mark(str):
    """Punctuation of the normal form, told apart from the code's own strings."""


_CLOSE, _END = _Mark(")"), _Mark("]")
_NAMES: dict[str, _Mark] = {}
_WITH_DOCSTRING = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _tree_form(tree: ast.AST) -> bytes:
    """The tree without docstrings, positions or empty fields: the same bytes for the same
    code on Python 3.10 to 3.13 (whose ast.dump differ), built without recursion."""
    out: list[str] = []
    stack: list[object] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, _Mark):
            out.append(node)
        elif isinstance(node, ast.AST):
            out.append(type(node).__name__ + "(")
            stack.append(_CLOSE)
            for name, value in reversed(_fields(node)):
                stack.append(value)
                stack.append(_NAMES.get(name) or _NAMES.setdefault(name, _Mark(name + ":")))
        elif isinstance(node, list):
            out.append("[")
            stack.append(_END)
            stack.extend(reversed(node))
        else:
            out.append(repr(node) + ",")
    return "".join(out).encode("utf-8", "surrogateescape")


def _fields(node: ast.AST) -> list[tuple[str, object]]:
    found = []
    for name in node._fields:
        value = getattr(node, name, None)
        if value is None or value == [] or name == "type_comment":
            continue
        if name == "body" and isinstance(node, _WITH_DOCSTRING):
            value = _without_docstring(value)
        found.append((name, value))
    return found


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        return body[1:]
    return body


MAX_NORMAL_FORM = 256 * 1024  # characters of answers.md read for its normal form


def answers_form(text: str) -> str:
    """What the grader grades of answers.md, section by section: the final math (spaces
    collapsed; with the inline math written after it, which is the answer when the final
    math only sets a value) and the code block of equations (comments and blanks dropped)."""
    from grader.sandbox.written import sections

    if len(text) > MAX_NORMAL_FORM:  # reading it costs the grader's own time: as written
        return text
    return "\n".join(section_form(section) for _, section in sorted(sections(text).items()))


@functools.lru_cache(maxsize=64)  # the seed, then the written items' seeds: twice each
def section_form(section: Section) -> str:
    """What the grader grades of one section of answers.md (see `answers_form`)."""
    from grader.sandbox.written import AnswerError, code_block, final_maths

    try:
        # all of it: the inline math after a display that only sets a value is the answer
        math = " \0 ".join(" ".join(m.split()) for m in final_maths(section.body))
    except AnswerError:
        math = ""
    try:
        code = code_block(section.body)[0]
    except AnswerError:
        code = ""
    lines = (" ".join(line.split("#", 1)[0].split()) for line in code.splitlines())
    return f"## {section.part}\n{math}\n" + "\n".join(line for line in lines if line)


def written_seeds(rubric: Rubric, path: Path, items: list[Item]) -> dict[str, int]:
    """The seed of each written item whose section answers.md has: from the rubric and
    what the grader grades of that section (`section_form`), not from the code, so that
    students who wrote the same answer meet the same inputs, and the sandbox's answers
    for one serve all (engine/shared.py). A change of the answer draws new inputs."""
    from grader.engine.submission import locate
    from grader.rubric.itemdata import EVALUATED_WRITTEN
    from grader.sandbox import WRITTEN_MODULE
    from grader.sandbox.written import sections

    written = [i for i in items if i.kind in EVALUATED_WRITTEN]
    if not written:
        return {}
    sub = locate(path, {i.module for i in rubric.items})
    if WRITTEN_MODULE not in sub.files:
        return {}
    try:
        data = files.read(sub.root / sub.files[WRITTEN_MODULE], MAX_NORMAL_FORM)
    except OSError:
        return {}
    if len(data) >= MAX_NORMAL_FORM:  # not read whole: the code's seed, as before
        return {}
    found = sections(data.decode("utf-8", "replace"))
    return {i.id: derive_seed(rubric.sha256, "written", section_form(found[i.section]))
            for i in written if i.section in found}
