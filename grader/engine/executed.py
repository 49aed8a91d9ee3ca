"""What the sandbox imports of a Python file whose seed is its normal form: the file
rewritten from its syntax tree (docstrings left out, comments and layout gone), so that
code cannot read what the seed leaves out.

A seed that ignores comments is sound only if the code cannot read them: a table kept in
comments, docstrings, spacing or blank lines (read with `_io.FileIO(sys.argv[0])`,
`traceback`, `os.popen("cat ...")`, line numbers) would otherwise change what the code
returns while the inputs stay the same, and so fit the feedback regrade after regrade.
Rewritten from its tree, the file the child imports is a function of what the seed
counts. Tracebacks are mapped back to the student's own lines and text.
"""
from __future__ import annotations

import ast
import codecs
import re
from dataclasses import dataclass, replace
from typing import Optional

from grader.sandbox import Frame, ModuleRun, StudentError

_WITH_DOCSTRING = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def as_utf8(data: bytes) -> bytes:
    """A source file as the sandbox's copy holds it: one saved as UTF-16 with its byte
    order mark (Notepad's "Unicode", PowerShell 5's `>`), which Python cannot read at
    all, or in a legacy encoding (cp1252, an editor's default on Windows) without a
    coding line, rewritten as UTF-8, so an accent in a comment does not cost a student
    the whole file. The seed reads the same text, so such a file's comments count no more
    than a UTF-8 file's."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    if any(_CODING.match(line) for line in data.splitlines()[:2]):
        return data  # the file says what it is; Python honours that
    return data.decode("cp1252", errors="replace").encode("utf-8")


@dataclass(frozen=True)
class Executed:
    """A file as the sandbox runs it, and how its lines map back to the student's."""

    source: bytes
    lines: dict[int, int]  # line of `source` -> the student's line
    original: tuple[str, ...]  # the student's lines, for tracebacks


def executed_form(data: bytes) -> Optional[Executed]:
    """The file rewritten from its tree, or None when it cannot be (it does not parse,
    or the rewritten text would not parse back to the same tree): it then counts by its
    bytes in the seed and runs as written."""
    try:
        tree = ast.parse(data)
        _strip_docstrings(tree)
        source = ast.unparse(tree)
        again = ast.parse(source)
        if ast.dump(again) != ast.dump(tree):
            return None
        text = data.decode("utf-8")
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError,
            UnicodeDecodeError):
        return None
    return Executed(source.encode("utf-8") + b"\n", _line_map(tree, again),
                    tuple(text.splitlines()))


def _strip_docstrings(tree: ast.AST) -> None:
    """Take every docstring out (a body left empty gets `pass`)."""
    for node in ast.walk(tree):
        if isinstance(node, _WITH_DOCSTRING) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                node.body = node.body[1:] or ([] if isinstance(node, ast.Module)
                                              else [ast.Pass()])


def _line_map(original: ast.AST, rewritten: ast.AST) -> dict[int, int]:
    """Each line of the rewritten file -> the student's line of the outermost node that
    starts there (the two trees have the same shape)."""
    lines: dict[int, int] = {}
    for mine, theirs in zip(ast.walk(rewritten), ast.walk(original)):
        at, was = getattr(mine, "lineno", None), getattr(theirs, "lineno", None)
        if at is not None and was is not None:
            lines.setdefault(at, was)
    return lines


def remap(run: ModuleRun, forms: dict[str, Executed]) -> ModuleRun:
    """`run` with every frame in a rewritten file pointing at the student's own line."""
    if not forms:
        return run
    imported = run.imported
    if imported.error is not None:
        imported = replace(imported, error=_error(imported.error, forms))
    calls = {k: replace(c, error=_error(c.error, forms)) if c.error is not None else c
             for k, c in run.calls.items()}
    return replace(run, imported=imported, calls=calls)


def _error(error: StudentError, forms: dict[str, Executed]) -> StudentError:
    return replace(error, traceback=tuple(_frame(f, forms) for f in error.traceback))


def _frame(frame: Frame, forms: dict[str, Executed]) -> Frame:
    form = forms.get(frame.file)
    if form is None:
        return frame
    line = form.lines.get(frame.line) or max(
        (was for at, was in form.lines.items() if at <= frame.line), default=0)
    code = form.original[line - 1].strip()[:300] if 0 < line <= len(form.original) else ""
    return replace(frame, line=line, code=code)

