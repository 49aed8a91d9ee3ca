"""The shape of grader/: packages in layers, imports that only run down, no cycles, no
module a newcomer cannot read in one sitting.

LAYERS is the one place the layer order is written: a module may import its own package
and the packages of lower layers, never a higher one nor another package of its own layer.
Every import counts, those inside functions included (a lazy import is still a
dependency), but not those under `if TYPE_CHECKING:`.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

GRADER = Path(__file__).resolve().parent.parent / "grader"

LAYERS: list[tuple[str, ...]] = [
    ("grader", "grader.display"),  # the package's face; text shown safely (CSV included)
    ("grader.disk",),  # files: a student's folder read safely, names, scratch, zips
    ("grader.rubric",),
    ("grader.sandbox",),  # the one door into student code
    ("grader.engine",),  # grading one submission's items
    ("grader.written",),  # manual items' grades and their store
    ("grader.outputs",),  # feedback, report.html, results.json
    ("grader.pipeline", "grader.leaks"),  # the whole flow for one submission; answer leaks
    ("grader.kit", "grader.authoring"),  # the student kit; rubric authors' tools
    ("grader.classroom",),  # a whole class
    ("grader.similarity", "grader.lms"),  # copied code; LMS downloads to student folders
    ("grader.manual", "grader.gradescope"),  # the TAs' app; the Gradescope adapter
    ("grader.commands",),  # what the command line does once its arguments are parsed
    ("grader.cli",),
]
MAX_LINES = 450
MAX_LOOSE = 8  # modules directly in grader/, __init__.py and cli.py among them


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(GRADER.rglob("*.py")):
        parts = path.relative_to(GRADER.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _typing_only(tree: ast.AST) -> set[int]:
    return {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The grader modules `name` imports (a package's __init__ counts for `from pkg import`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _typing_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in known else origin
                       for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def layer_of(module: str) -> tuple[int, str]:
    """The layer and the package (the longest LAYERS entry that holds the module)."""
    best = (-1, "")
    for level, packages in enumerate(LAYERS):
        for package in packages:
            if (module == package or module.startswith(package + ".")) \
                    and len(package) > len(best[1]):
                best = (level, package)
    return best


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer() -> None:
    assert [m for m in modules() if layer_of(m)[0] < 0] == []


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_imports_run_down_the_layers() -> None:
    wrong = []
    for module, targets in graph().items():
        level, package = layer_of(module)
        for target in sorted(targets):
            t_level, t_package = layer_of(target)
            if t_package == package or target == "grader":  # the face: every import runs it
                continue
            if t_level >= level:
                wrong.append(f"{module} (layer {level}) imports {target} (layer {t_level})")
    assert wrong == []


def test_modules_are_short() -> None:
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_few_loose_modules_at_the_top() -> None:
    loose = sorted(p.name for p in GRADER.glob("*.py"))
    assert len(loose) <= MAX_LOOSE, loose
    assert "cli.py" in loose and "__init__.py" in loose


@pytest.mark.parametrize("package", sorted({p for layer in LAYERS for p in layer}
                                           - {"grader", "grader.cli", "grader.pipeline"}))
def test_packages_say_what_they_own(package: str) -> None:
    init = GRADER.parent / Path(*package.split(".")) / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert doc and len(doc) > 80, f"{init} needs a docstring: what it owns, what it may import"


def test_the_checker_sees_a_cycle_and_an_upward_import() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer_of("grader.engine.checks") > layer_of("grader.rubric.model")
    assert layer_of("grader.cli")[0] == len(LAYERS) - 1
