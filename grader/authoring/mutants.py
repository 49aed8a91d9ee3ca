"""The mutation power of a rubric: `grade rubric check --mutants`.

Every item's reference function (and the helpers of its own module it calls) is mutated
automatically, one change at a time, on its syntax tree: a number changed, an operator
swapped, a comparison loosened, a term dropped, an exponent off by one, a function
swapped for its usual confusion (log for log10, sum for mean, tanh for a sigmoid).
Each mutant is graded as a student's answer on a few seeds, in this process (only trusted
code runs), through the same planning, judging and diagnosis as students. Per item:

- killed:    the mutant lost the item on every seed;
- diagnosed: ... and the feedback named a declared mistake or gave an explanation;
- raises:    killed by an exception (the traceback is the student's explanation);
- weak:      lost the item on some seeds only;
- survived:  never lost it: a hole in the rubric (add trials or edge cases), unless the
             mutant is equivalent to the reference; mark those in the item's
             `equivalent_mutants:` by their id.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import inspect
import textwrap
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

from grader.authoring.selftest import TrustedSandbox
from grader.engine import checks
from grader.rubric.model import Item, Rubric
from grader.rubric.references import References

SEEDS = (11, 22, 33)
SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
         ast.Pow: ast.Mult, ast.FloorDiv: ast.Div, ast.MatMult: ast.Mult}
COMPARES = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt}
CONFUSIONS = {"log": "log10", "log10": "log", "log2": "log", "sum": "mean", "mean": "sum",
              "tanh": "sinh", "sqrt": "square", "maximum": "minimum", "minimum": "maximum",
              "T": "conj"}


@dataclass(frozen=True)
class Mutant:
    id: str  # stable: where and what, hashed
    function: str
    line: int  # in the reference file
    source: str  # the mutated line, as the instructor reads it
    change: str  # "`+` → `-`"
    fn: Callable[..., Any] = field(repr=False, compare=False)

    def describe(self) -> str:
        return f"{self.function}, line {self.line}: {self.change}  [{self.id}]"


@dataclass
class ItemPower:
    item: str
    killed: list[Mutant] = field(default_factory=list)
    diagnosed: list[Mutant] = field(default_factory=list)
    raises: list[Mutant] = field(default_factory=list)
    weak: list[tuple[Mutant, int]] = field(default_factory=list)  # (mutant, seeds lost)
    survived: list[Mutant] = field(default_factory=list)
    equivalent: list[Mutant] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.killed) + len(self.raises) + len(self.weak) + len(self.survived)


def mutants_of(fn: Callable[..., Any]) -> Iterator[Mutant]:
    """Every single-change mutant of `fn` and of the functions of its module it calls."""
    for target in [fn, *_helpers(fn)]:
        yield from _mutate(fn, target)


def _helpers(fn: Callable[..., Any]) -> list[Callable[..., Any]]:
    names = {n.id for n in ast.walk(_tree(fn)) if isinstance(n, ast.Name)}
    return [v for k, v in fn.__globals__.items() if k in names and isinstance(v, types.FunctionType)
            and v.__module__ == fn.__module__ and v is not fn]


def _tree(fn: Callable[..., Any]) -> ast.FunctionDef:
    node = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def _mutate(fn: Callable[..., Any], target: Callable[..., Any]) -> Iterator[Mutant]:
    tree = _tree(target)
    offset = inspect.getsourcelines(target)[1] - 1
    body_nodes = [n for stmt in _code(tree) for n in ast.walk(stmt)]
    for index, node in enumerate(body_nodes):
        for change, replace in _changes(node):
            mutated = copy.deepcopy(tree)
            nodes = [n for stmt in _code(mutated) for n in ast.walk(stmt)]
            if not replace(nodes[index], mutated):
                continue
            ast.fix_missing_locations(mutated)
            made = _compile(fn, target, mutated)
            if made is None:
                continue
            line = offset + getattr(node, "lineno", tree.lineno)
            stmt = next((s for s in ast.walk(mutated) if isinstance(s, ast.stmt)
                         and getattr(s, "lineno", -1) == getattr(node, "lineno", -2)), None)
            source = ast.unparse(stmt).splitlines()[0] if stmt is not None else change
            digest = hashlib.sha256(f"{target.__name__}\0{source}\0{change}".encode())
            yield Mutant(digest.hexdigest()[:8], target.__name__, line, source, change, made)


def _code(tree: ast.FunctionDef) -> list[ast.stmt]:
    """The body without its docstring."""
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


Replace = Callable[[ast.AST, ast.FunctionDef], bool]


def _changes(node: ast.AST) -> Iterator[tuple[str, Replace]]:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        v = node.value
        news = [v + 1, v - 1] if isinstance(v, int) else [v * 2, v / 2, v + 1]
        if v == 0:
            news = [1] if isinstance(v, int) else [1.0]
        for new in dict.fromkeys(news):
            yield f"`{v!r}` → `{new!r}`", _set_constant(new)
    if isinstance(node, ast.BinOp):
        swap = SWAPS.get(type(node.op))
        if swap is not None:
            yield (f"`{_op(node.op)}` → `{_op(swap())}`",
                   lambda n, _t, s=swap: _set(n, "op", s()))
        if isinstance(node.op, (ast.Add, ast.Sub)):
            yield f"`{ast.unparse(node)}` → `{ast.unparse(node.left)}`", _to(lambda n: n.left)
            yield f"`{ast.unparse(node)}` → `{ast.unparse(node.right)}`", _to(lambda n: n.right)
        if isinstance(node.op, ast.Pow):
            for d in (1, -1):
                yield (f"exponent `{ast.unparse(node.right)}` → "
                       f"`{ast.unparse(node.right)} {'+' if d > 0 else '-'} 1`", _exponent(d))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield f"`{ast.unparse(node)}` → `{ast.unparse(node.operand)}`", _to(lambda n: n.operand)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARES:
        new = COMPARES[type(node.ops[0])]
        yield (f"`{_op(node.ops[0])}` → `{_op(new())}`",
               lambda n, _t, c=new: _set(n, "ops", [c()]))
    if isinstance(node, ast.Slice):
        for bound in ("lower", "upper"):
            if getattr(node, bound) is not None:
                for d in (1, -1):
                    yield (f"slice bound `{ast.unparse(getattr(node, bound))}` → "
                           f"`{ast.unparse(getattr(node, bound))} {'+' if d > 0 else '-'} 1`",
                           _bound(bound, d))
    if isinstance(node, ast.Tuple) and len(node.elts) >= 2 and isinstance(node.ctx, ast.Load):
        for k in range(len(node.elts) - 1):
            if ast.dump(node.elts[k]) == ast.dump(node.elts[k + 1]):
                continue  # swapping equals changes nothing
            yield (f"`{ast.unparse(node.elts[k])}` and `{ast.unparse(node.elts[k + 1])}` "
                   "swapped", _swap(k))
    if isinstance(node, ast.Attribute) and node.attr in CONFUSIONS:
        new = CONFUSIONS[node.attr]
        yield f"`{node.attr}` → `{new}`", lambda n, _t, a=new: _set(n, "attr", a)


def _set(node: ast.AST, name: str, value: Any) -> bool:
    setattr(node, name, value)
    return True


def _set_constant(value: Any) -> Replace:
    return lambda n, _t: _set(n, "value", value)


def _to(pick: Callable[[Any], ast.AST]) -> Replace:
    """Replace the node by one of its children, in its parent."""
    def replace(node: ast.AST, tree: ast.FunctionDef) -> bool:
        child = pick(node)
        for parent in ast.walk(tree):
            for name, value in ast.iter_fields(parent):
                if value is node:
                    setattr(parent, name, child)
                    return True
                if isinstance(value, list) and any(v is node for v in value):
                    setattr(parent, name, [child if v is node else v for v in value])
                    return True
        return False
    return replace


def _bound(name: str, delta: int) -> Replace:
    def replace(node: ast.AST, _tree: ast.FunctionDef) -> bool:
        setattr(node, name, ast.BinOp(getattr(node, name), ast.Add() if delta > 0
                                      else ast.Sub(), ast.Constant(1)))
        return True
    return replace


def _swap(k: int) -> Replace:
    def replace(node: ast.AST, _tree: ast.FunctionDef) -> bool:
        assert isinstance(node, ast.Tuple)
        node.elts[k], node.elts[k + 1] = node.elts[k + 1], node.elts[k]
        return True
    return replace


def _exponent(delta: int) -> Replace:
    def replace(node: ast.AST, _tree: ast.FunctionDef) -> bool:
        assert isinstance(node, ast.BinOp)
        node.right = ast.BinOp(node.right, ast.Add() if delta > 0 else ast.Sub(),
                               ast.Constant(1))
        return True
    return replace


def _op(op: ast.AST) -> str:
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
            ast.FloorDiv: "//", ast.MatMult: "@", ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<",
            ast.LtE: "<="}.get(type(op), type(op).__name__)


def _compile(fn: Callable[..., Any], target: Callable[..., Any],
             tree: ast.FunctionDef) -> Optional[Callable[..., Any]]:
    """`fn` with `target` replaced by the mutated tree, in a copy of its module's globals
    (a mutated helper is what the unmutated `fn` then calls)."""
    scope = dict(fn.__globals__)
    module = ast.Module(body=[tree], type_ignores=[])
    try:
        exec(compile(module, f"<mutant of {target.__name__}>", "exec"), scope)  # noqa: S102
    except Exception:  # noqa: BLE001 - a change that does not even compile
        return None
    if target is fn:
        return scope[tree.name]
    return types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)


def power(rubric: Rubric, refs: References, seeds: tuple[int, ...] = SEEDS,
          only: Optional[set[str]] = None) -> list[ItemPower]:
    """Grade every mutant of every item's reference. Items that share a reference (2c's
    three grads) share its mutants: a mutant counts for the items it changes, and
    survives only if every one of them lets it through."""
    groups: dict[str, list[Item]] = {}
    for item in rubric.items:
        if item.kind == "constant" or item.reference is None or item.written or (
                only and item.id not in only):  # written items share the code items' references
            continue
        groups.setdefault(item.reference, []).append(item)
    found = []
    for reference, items in groups.items():
        found += _group_power(items, refs.get(reference), refs, seeds)
    return found


def _group_power(items: list[Item], fn: Callable[..., Any], refs: References,
                 seeds: tuple[int, ...]) -> list[ItemPower]:
    results = {i.id: ItemPower(i.id) for i in items}
    equivalent = {m for i in items for m in (getattr(i, "equivalent_mutants", ()) or ())}
    seen: set[str] = set()
    for mutant in mutants_of(fn):
        if mutant.id in seen:
            continue
        seen.add(mutant.id)
        if mutant.id in equivalent:
            results[items[0].id].equivalent.append(mutant)
            continue
        graded = {i.id: [_grade(i, refs, mutant.fn, seed) for seed in seeds] for i in items}
        losing = [i for i in items if any(not r.passed for r in graded[i.id])]
        if not losing:  # nobody noticed: the first item owns the hole
            results[items[0].id].survived.append(mutant)
            continue
        for item in losing:
            _count(results[item.id], mutant, graded[item.id])
    return list(results.values())


def _count(result: ItemPower, mutant: Mutant, outcomes: list[Any]) -> None:
    lost = [r for r in outcomes if not r.passed]
    if len(lost) < len(outcomes):
        result.weak.append((mutant, len(lost)))
    elif all(r.failure is not None and r.failure.kind in ("raised", "timeout") for r in lost):
        result.raises.append(mutant)
    else:
        result.killed.append(mutant)
        if all(r.diagnosis is not None or any(e.kind != "inputs" for e in r.explanations)
               for r in lost):
            result.diagnosed.append(mutant)


def _grade(item: Item, refs: References, fn: Callable[..., Any], seed: int) -> Any:
    sandbox = TrustedSandbox({item.id: fn}, {item.id: item})
    return checks.judge_in(sandbox, refs, [item], seed)[item.id]


def summary(powers: list[ItemPower], verbose: bool = False) -> list[str]:
    """What `grade rubric check --mutants` prints (`verbose`: also the mutants killed
    without a diagnosis, where the feedback could say more)."""
    lines = []
    for p in powers:
        lines.append(f"{p.item}: {p.total} mutants, {len(p.killed)} killed ({len(p.diagnosed)} "
                     f"diagnosed), {len(p.raises)} raise, {len(p.weak)} sometimes, "
                     f"{len(p.survived)} survived"
                     + (f", {len(p.equivalent)} marked equivalent" if p.equivalent else ""))
        for m, n in p.weak:
            lines.append(f"  sometimes ({n} of {len(SEEDS)} seeds): {m.describe()}\n"
                         f"      {m.source}")
        for m in p.survived:
            lines.append(f"  survived: {m.describe()}\n      {m.source}")
        for m in (m for m in p.killed if m not in p.diagnosed) if verbose else ():
            lines.append(f"  killed, not diagnosed: {m.describe()}\n      {m.source}")
    total = sum(p.total for p in powers)
    killed = sum(len(p.killed) + len(p.raises) for p in powers)
    valued = sum(len(p.killed) for p in powers)
    diagnosed = sum(len(p.diagnosed) for p in powers)
    if total:
        lines.append(f"mutants: {total}, killed {killed} ({100 * killed / total:.0f}%), of "
                     f"which {valued} by wrong values: {diagnosed} diagnosed "
                     f"({100 * diagnosed / max(valued, 1):.0f}%); "
                     f"{sum(len(p.survived) for p in powers)} survived, "
                     f"{sum(len(p.weak) for p in powers)} killed on some seeds only")
    return lines
