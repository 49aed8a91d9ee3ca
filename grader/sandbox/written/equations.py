"""Index equations (2b, 2c, 3e): a section's code block of lines such as
`y[b, i] += u[b, i] * (v[b, i] + 1)`, read by Python's parser into a
tree that is interpreted here, never `eval`ed: every index runs over the axis it names, a
`sum[...]` over its bracket's indices, and an array read outside its bounds is 0 (zero
padding)."""
from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from .extract import short
from .sections import AnswerError, code_blocks, scan
from .unicode import to_python

MAX_CELLS = 20_000_000  # numbers one index equation may touch at once


def code_block(body: str, example: str = "") -> tuple[str, int]:
    """The section's equations: its code block tagged `index`, else its last code block;
    with the line in the section where they start. `example`: what this part's equations
    define, as the rubric writes it (`W_grad[o, c, p, q] = ...`)."""
    blocks = code_blocks(body)
    if not blocks:
        found = _equation_lines(body)
        if found:
            return found
        raise AnswerError("has no code block of equations: put them between lines of "
                          "three backticks, one equation a line"
                          + (f": {example}" if example else ""))
    tagged = [b for b in blocks if b[0] == "index"]
    _, code, line = (tagged or blocks)[-1]
    return code, line


_EQUATION_LINE = re.compile(r"^[ \t]*(?:[-*+][ \t]+)?`?([A-Za-z_]\w*[ \t]*\[[^\]\n]*\][ \t]*"
                            r"[+-]?=[^=`\n][^`\n]*)`?[ \t]*$")


def _equation_lines(body: str) -> Optional[tuple[str, int]]:
    """Equations written as lines of text (or inline code) for want of a code block:
    `f_grad[b, i] += ...` on lines of their own, read as if they were fenced."""
    found = [(line.number, m.group(1)) for line in scan(body) if line.role == "text"
             for m in [_EQUATION_LINE.match(line.text)] if m]
    if not found:
        return None
    first = found[0][0]
    lines = [""] * (found[-1][0] - first + 1)
    for k, equation in found:
        lines[k - first] = equation
    return "\n".join(lines), first


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)), "σ": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh, "exp": np.exp, "log": np.log, "ln": np.log, "sqrt": np.sqrt,
    "abs": np.abs, "relu": lambda x: np.maximum(x, 0.0),
    "sigma": lambda x: 1.0 / (1.0 + np.exp(-x)),
}
_CONSTANTS = {"pi": math.pi, "π": math.pi, "e": math.e}
_SUMS = {"sum", "Σ"}
_OPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
        ast.Pow: np.power, ast.FloorDiv: np.floor_divide, ast.Mod: np.mod}


@dataclass(frozen=True)
class Equation:
    target: str
    indices: tuple[str, ...]
    op: str  # "=", "+=", "-="
    value: ast.expr
    line: int
    text: str


def _as_meant(source: str) -> str:
    """What students type from habit, as the notation means it: `x^2` is `x**2` (with the
    power's precedence), `np.tanh(...)` and `torch.sigmoid(...)` are `tanh(...)`,
    `sigma(...)`."""
    source = source.replace("^", "**")
    return re.sub(r"\b(?:np|numpy|torch|math|F|torch\.nn\.functional)\.(?=(?:" +
                  "|".join(_FUNCTIONS) + r")\s*\()", "", source)


def parse_equations(code: str, first_line: int = 1) -> list[Equation]:
    """Equations `A[i, j] = expression` (or `+=`, `-=`), one a line, `#` comments."""
    source = _as_meant(to_python(code))
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        line = (exc.lineno or 1)
        read = source.splitlines()[line - 1] if 0 < line <= len(source.splitlines()) else ""
        text = code.splitlines()[line - 1] if 0 < line <= len(code.splitlines()) else ""
        col = max(0, (exc.offset or 1) - 1)
        raise AnswerError(f"could not read line {line + first_line - 1} of answers.md, "
                          f"`{short(text.strip())}`: {exc.msg}, near "
                          f"`{short(read[max(0, col - 10):col + 10].strip(), 30)}`"
                          + (" (multiplication needs `*`)" if "invalid syntax" in exc.msg
                             or "comma" in exc.msg else "")) from None
    lines = code.splitlines()
    equations = []
    for stmt in tree.body:
        text = lines[stmt.lineno - 1].strip() if stmt.lineno <= len(lines) else ""
        where = f"line {stmt.lineno + first_line - 1}, `{short(text)}`"
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, op, value = stmt.targets[0], "=", stmt.value
        elif isinstance(stmt, ast.AugAssign) and type(stmt.op) in (ast.Add, ast.Sub):
            target, op, value = stmt.target, "+=" if isinstance(stmt.op, ast.Add) else "-=", \
                stmt.value
        else:
            raise AnswerError(f"{where} is not an equation `A[i, j] = ...` "
                              "(or `+=`, `-=`)")
        if isinstance(target, ast.Name):
            name, indices = target.id, ()
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            name, indices = target.value.id, _index_names(target.slice, where)
        else:
            raise AnswerError(f"{where}: the left side must be an array with its indices, "
                              "like `W_grad[o, c, p, q]`")
        if len(set(indices)) != len(indices):
            raise AnswerError(f"{where}: an index appears twice on the left side")
        equations.append(Equation(name, indices, op, value, stmt.lineno + first_line - 1, text))
    if not equations:
        raise AnswerError("the code block holds no equations")
    return equations


def _index_names(node: ast.expr, where: str) -> tuple[str, ...]:
    parts = node.elts if isinstance(node, ast.Tuple) else [node]
    if not all(isinstance(p, ast.Name) for p in parts):
        raise AnswerError(f"{where}: the indices of the left side must be plain names, "
                          "like `[b, i]`")
    return tuple(p.id for p in parts)


class _Space:
    """The indices of one equation, each an axis of a broadcast grid."""

    def __init__(self, names: list[str], sizes: dict[str, int]):
        self.names, self.sizes = names, sizes
        self.axis = {n: k for k, n in enumerate(names)}

    def grid(self, name: str) -> np.ndarray:
        shape = [1] * len(self.names)
        shape[self.axis[name]] = self.sizes[name]
        return np.arange(self.sizes[name]).reshape(shape)


def index_function(equations: list[Equation], params: list[str], targets: list[str],
                   inplace: bool) -> Callable[..., Any]:
    """The equations as a function of the item's arguments: the `targets` they define, in
    order (one alone as itself), or, in place, the arrays they update."""
    defined = {e.target for e in equations}
    missing = [t for t in targets if t not in defined]
    if missing:
        raise AnswerError(f"the equations do not define {', '.join(f'`{t}`' for t in missing)}"
                          f" (they define {', '.join(f'`{t}`' for t in sorted(defined))})")

    prepared: dict[int, _Prepared] = {}  # each equation's tree work, done on its first call

    def answer(*args: Any, shapes: Optional[dict[str, list[int]]] = None) -> Any:
        env: dict[str, Any] = dict(zip(params, args))
        for k, eq in enumerate(equations):
            if k not in prepared:  # what an equation reads depends on its text and on
                prepared[k] = _prepare(eq, env)  # which names hold values: alike every call
            _apply(eq, prepared[k], env, shapes or {}, set(params))
        if inplace:
            return None
        values = [np.asarray(env[t], dtype=np.float64) for t in targets]
        return values[0] if len(values) == 1 else tuple(values)

    return answer


@dataclass(frozen=True)
class _Prepared:
    """An equation's right side made ready to run: its sums' indices renamed apart, the
    indices it runs over, and the arrays it reads with their index expressions."""
    value: ast.expr
    names: tuple[str, ...]
    reads: tuple[tuple[str, tuple[ast.expr, ...]], ...]
    where: str


def _prepare(eq: Equation, env: dict[str, Any]) -> _Prepared:
    where = f"line {eq.line}, `{short(eq.text)}`"
    value = _Fresh(where).visit(_copy(eq.value))
    bound = _bound_indices(value, where)
    names = list(eq.indices) + [b for b in bound if b not in eq.indices]
    if len(names) != len(set(eq.indices)) + len(set(bound) - set(eq.indices)) or \
            set(bound) & set(eq.indices):
        raise AnswerError(f"{where}: an index is summed over and also on the left side")
    for n in names:
        if n in env or n in _CONSTANTS:
            raise AnswerError(f"{where}: `{n}` is an index here but also "
                              + ("an input" if n in env else "a constant"))
    heads = {id(s.func) for s in ast.walk(value) if _is_sum(s)}
    reads = tuple((sub.value.id, tuple(sub.slice.elts if isinstance(sub.slice, ast.Tuple)
                                       else [sub.slice]))
                  for sub in ast.walk(value) if isinstance(sub, ast.Subscript)
                  and isinstance(sub.value, ast.Name) and id(sub) not in heads)
    return _Prepared(value, tuple(names), reads, where)


def _apply(eq: Equation, prep: _Prepared, env: dict[str, Any], shapes: dict[str, list[int]],
           inputs: set[str]) -> None:
    where, names = prep.where, list(prep.names)
    sizes = _sizes(eq, prep, env, shapes)
    cells = math.prod(sizes.values()) if sizes else 1
    if cells > MAX_CELLS:
        raise AnswerError(f"{where} runs over {cells:,} combinations of indices; the limit "
                          f"is {MAX_CELLS:,}")
    space = _Space(names, sizes)
    with np.errstate(all="ignore"):
        value = _eval(prep.value, env, space, where)
    value = np.asarray(value, dtype=np.float64)
    left = [sizes[n] for n in eq.indices]
    try:
        full = np.broadcast_to(value, left + [1] * (len(names) - len(eq.indices)))
    except ValueError:
        raise AnswerError(f"{where}: an index summed over is used outside its `sum[...]`") \
            from None
    result = full.reshape(left)
    if eq.op == "=":
        if eq.target in inputs and isinstance(env[eq.target], np.ndarray) and \
                env[eq.target].shape == result.shape:
            env[eq.target][...] = result  # the caller's array, overwritten
        else:
            env[eq.target] = np.array(result, dtype=np.float64)
        return
    if eq.target not in env:
        raise AnswerError(f"{where}: `{eq.target}` gets `{eq.op}` but has no value yet")
    target = env[eq.target]
    if np.shape(target) != result.shape:
        raise AnswerError(f"{where}: `{eq.target}` has shape {list(np.shape(target))}, the "
                          f"right side {list(result.shape)}")
    if eq.op == "+=":
        np.add(target, result, out=target)
    else:
        np.subtract(target, result, out=target)


def _copy(node: Any) -> Any:
    """A copy of a tree that _Fresh may rewrite (three times as fast as copy.deepcopy):
    every node and list new, the leaves (names, numbers: immutable) shared."""
    if isinstance(node, ast.AST):  # every field given (Python 3.13 warns of one left out)
        return node.__class__(**{name: _copy(value) for name, value in ast.iter_fields(node)},
                              **{name: getattr(node, name) for name in node._attributes
                                 if hasattr(node, name)})
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


class _Fresh(ast.NodeTransformer):
    """Each sum's indices renamed apart (`j` becomes `j#1`, `j#2`, ...), so that two sums
    over `j` may run over different axes: `sum[j](A[i, j] * x[b, j]) + sum[j](...)`."""

    def __init__(self, where: str):
        self.where, self.count = where, 0

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if not _is_sum(node):
            return self.generic_visit(node)
        names = _index_names(node.func.slice, self.where)
        inner = [n.id for s in ast.walk(node.args[0] if node.args else node) if _is_sum(s)
                 for n in (s.func.slice.elts if isinstance(s.func.slice, ast.Tuple)
                           else [s.func.slice]) if isinstance(n, ast.Name)]
        if set(names) & set(inner):
            raise AnswerError(f"{self.where}: a sum inside a sum over the same index")
        self.generic_visit(node)
        self.count += 1
        rename = {n: f"{n}#{self.count}" for n in names}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in rename:
                sub.id = rename[sub.id]
        return node


def _bound_indices(node: ast.AST, where: str) -> list[str]:
    found: list[str] = []
    for sub in ast.walk(node):
        if _is_sum(sub):
            for n in _index_names(sub.func.slice, where):
                if n in found:
                    raise AnswerError(f"{where}: `{n}` is summed over twice")
                found.append(n)
    return found


def _is_sum(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Subscript) and \
        isinstance(node.func.value, ast.Name) and node.func.value.id in _SUMS


def _sizes(eq: Equation, prep: _Prepared, env: dict[str, Any],
           shapes: dict[str, list[int]]) -> dict[str, int]:
    """Each index runs over the axis it stands alone in: of an input or an array defined
    before, or of the left side's declared shape."""
    names, where = prep.names, prep.where
    seen: dict[str, list[tuple[int, str]]] = {n: [] for n in names}
    declared = shapes.get(eq.target)
    if declared is not None:
        if len(declared) != len(eq.indices):
            raise AnswerError(f"{where}: `{eq.target}` has {len(declared)} axes, not "
                              f"{len(eq.indices)}")
        for n, size in zip(eq.indices, declared):
            seen[n].append((int(size), f"axis {eq.indices.index(n)} of {eq.target}"))
    elif eq.target in env and np.ndim(env[eq.target]) == len(eq.indices) and eq.indices:
        for k, n in enumerate(eq.indices):
            seen[n].append((np.shape(env[eq.target])[k], f"axis {k} of {eq.target}"))
    for name, parts in prep.reads:
        if name not in env:
            continue
        shape = np.shape(env[name])
        if len(parts) != len(shape):
            raise AnswerError(f"{where}: `{name}` has {len(shape)} axes but is "
                              f"indexed with {len(parts)}")
        for k, p in enumerate(parts):
            if isinstance(p, ast.Name) and p.id in seen:
                seen[p.id].append((shape[k], f"axis {k} of {name}"))
    sizes = {}
    for n, uses in seen.items():
        if not uses:
            raise AnswerError(f"{where}: cannot tell what `{_shown(n)}` runs over: use it alone as "
                              f"an index of an input array somewhere in the equation")
        if len({u[0] for u in uses}) > 1:
            a, b = uses[0], next(u for u in uses if u[0] != uses[0][0])
            raise AnswerError(f"{where}: `{_shown(n)}` runs over {a[0]} values as {a[1]} but over "
                              f"{b[0]} as {b[1]}")
        sizes[n] = uses[0][0]
    return sizes


def _shown(index: str) -> str:
    return index.split("#")[0]


def _eval(node: ast.AST, env: dict[str, Any], space: _Space, where: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
            not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in space.axis:
            return space.grid(node.id)
        if node.id in env and np.ndim(env[node.id]) == 0:
            return env[node.id] if not isinstance(env[node.id], np.ndarray) \
                else env[node.id].item()
        if node.id in env:
            raise AnswerError(f"{where}: `{node.id}` is an array: give its indices, "
                              f"like `{node.id}[{', '.join('ijkl'[:np.ndim(env[node.id])])}]`")
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise AnswerError(f"{where}: `{node.id}` is neither an input, an index nor an array "
                          f"defined above (inputs: {', '.join(sorted(k for k in env))})")
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left, env, space, where),
                                   _eval(node.right, env, space, where))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval(node.operand, env, space, where)
        return np.negative(value) if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return _read(node, env, space, where)
    if _is_sum(node):
        if len(node.args) != 1 or node.keywords:
            raise AnswerError(f"{where}: `sum[...]` takes one expression in parentheses")
        value = np.asarray(_eval(node.args[0], env, space, where), dtype=np.float64)
        axes = tuple(space.axis[n] for n in _index_names(node.func.slice, where))
        full = list(np.broadcast_shapes(value.shape, (1,) * len(space.names)))
        for a in axes:
            full[a] = space.sizes[space.names[a]]
        return np.broadcast_to(value, full).sum(axis=axes, keepdims=True)
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Subscript, ast.Constant)) \
            or isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id in env:
        raise AnswerError(f"{where}: `{short(ast.unparse(node.func), 30)}` is followed by "
                          "parentheses: multiplication needs `*`")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn = _FUNCTIONS.get(node.func.id)
        if fn is None or len(node.args) != 1 or node.keywords:
            raise AnswerError(f"{where}: `{node.func.id}(...)` is not one of the functions "
                              f"{', '.join(sorted(_FUNCTIONS))} of one argument"
                              + (", or `sum[i, j](...)`" if node.func.id in _SUMS else ""))
        return fn(_eval(node.args[0], env, space, where))
    raise AnswerError(f"{where}: `{short(ast.unparse(node), 30)}` is not arithmetic on "
                      "indexed arrays")


def _read(node: ast.Subscript, env: dict[str, Any], space: _Space, where: str) -> np.ndarray:
    name = node.value.id
    if name not in env:
        raise AnswerError(f"{where}: `{name}` is neither an input nor an array defined above")
    array = np.asarray(env[name], dtype=np.float64)
    parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    if len(parts) != array.ndim:
        raise AnswerError(f"{where}: `{name}` has {array.ndim} axes but is indexed with "
                          f"{len(parts)}")
    axes = [space.axis.get(p.id) if isinstance(p, ast.Name) else None for p in parts]
    if None not in axes and len(set(axes)) == len(axes):  # `x[b, j]`: each index alone runs
        shape = [1] * len(space.names)                     # over its axis (see _sizes), so
        for a in axes:                                     # the array itself, its axes
            shape[a] = space.sizes[space.names[a]]         # placed on the grid's
        return array.transpose(np.argsort(axes)).reshape(shape)
    indices = []
    for p in parts:
        value = np.asarray(_eval(p, env, space, where))
        if value.dtype.kind not in "iu":
            if not np.all(np.equal(np.mod(value, 1), 0)):
                raise AnswerError(f"{where}: the index `{short(ast.unparse(p), 30)}` of "
                                  f"`{name}` is not a whole number")
            value = value.astype(np.int64)
        indices.append(value)
    indices = np.broadcast_arrays(*indices, np.zeros((1,) * len(space.names), dtype=np.int64))
    indices = indices[:-1]
    inside = np.ones(indices[0].shape if indices else (), dtype=bool)
    clipped = []
    for k, idx in enumerate(indices):
        inside &= (idx >= 0) & (idx < array.shape[k])
        clipped.append(np.clip(idx, 0, max(array.shape[k] - 1, 0)))
    if array.size == 0:
        return np.zeros(inside.shape)
    return np.where(inside, array[tuple(clipped)], 0.0)


