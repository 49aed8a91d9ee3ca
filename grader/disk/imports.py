"""Which of the grader's modules an entry point needs, read from their imports (never run):
the student kit and the Gradescope zip carry exactly those."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterable

PACKAGE = Path(__file__).resolve().parents[1]  # grader/


def reached(entries: Iterable[str], not_carried: Iterable[str] = ()) -> list[str]:
    """The grader modules the entries import, followed through every import (relative
    ones and those in functions too, but not under TYPE_CHECKING) and every sibling a
    module loads by path (the sandbox's child), with the packages around them;
    `not_carried` and what only they import are left out."""
    skip = set(not_carried)
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        module = todo.pop()
        if module in seen or module in skip:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:k]) for k in range(1, len(parts))]  # the packages around it
        todo += _imports(module)
        todo += _loaded_by_path(module)
    return sorted(seen)


def module_of(path: Path) -> str:
    """The dotted name of a module of the grader, from its file."""
    return ".".join(path.resolve().relative_to(PACKAGE.parent).with_suffix("").parts)


def source(module: str) -> Path:
    path = PACKAGE.parent / Path(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _imports(module: str) -> Iterable[str]:
    tree_ = ast.parse(source(module).read_text(encoding="utf-8"))
    typing_only = {id(n) for node in ast.walk(tree_) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    for node in ast.walk(tree_):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "grader")
        elif isinstance(node, ast.ImportFrom):
            origin = _absolute(module, node)
            if origin.split(".")[0] != "grader":
                continue
            yield origin
            for alias in node.names:  # `from grader.engine import compare`: a module itself
                name = f"{origin}.{alias.name}"
                path = PACKAGE.parent / Path(*name.split("."))
                if path.with_suffix(".py").is_file() or path.is_dir():
                    yield name


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The module a `from ... import` names, relative ones (`from .sections`) resolved."""
    if not node.level:
        return node.module or ""
    package = module if source(module).name == "__init__.py" else module.rpartition(".")[0]
    base = package.split(".")[:len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _loaded_by_path(module: str) -> list[str]:
    """Siblings a module loads by path, as the sandbox's child does: calls with one string
    argument of a function of its own that calls `spec_from_file_location`."""
    tree_ = ast.parse(source(module).read_text(encoding="utf-8"))
    loaders = {f.name for f in tree_.body if isinstance(f, ast.FunctionDef)
               and "spec_from_file_location" in ast.unparse(f)}
    package = module.rsplit(".", 1)[0]
    return [f"{package}.{call.args[0].value}" for call in ast.walk(tree_)
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and call.func.id in loaders and len(call.args) == 1
            and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)]
