"""Safe arithmetic on rubric expressions such as `d_x + d_h` or `1 / (N**2 * C)`."""
from __future__ import annotations

import ast
import functools
import math
import operator
from collections.abc import Mapping
from typing import Any, Union

Number = Union[int, float]

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_FUNCS = {"min": min, "max": max, "sqrt": math.sqrt, "log": math.log, "exp": math.exp}


class ExprError(ValueError):
    """An expression that is not plain arithmetic on known names."""


def names_in(expr: str | Number) -> set[str]:
    """The free names an expression refers to (functions excluded)."""
    if not isinstance(expr, str):
        return set()
    tree = _parse(expr)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in _FUNCS}


def evaluate(expr: str | Number, env: Mapping[str, Number]) -> Number:
    """Evaluate `expr` with the names in `env`; numbers pass through unchanged."""
    if isinstance(expr, bool) or not isinstance(expr, (str, int, float)):
        raise ExprError(f"{expr!r} is not a number or an arithmetic expression")
    if not isinstance(expr, str):
        return expr
    try:
        return eval(_compiled(expr), _GLOBALS, env)  # noqa: S307 - validated by _compiled
    except NameError as exc:
        known = ", ".join(sorted(env)) or "none yet"
        raise ExprError(f"{expr!r}: unknown name {exc.name!r} (known here: {known})") from None
    except (ZeroDivisionError, OverflowError, ValueError, TypeError) as exc:
        raise ExprError(f"{expr!r}: {exc}") from None


@functools.lru_cache(maxsize=1024)
def _parse(expr: str) -> ast.Expression:
    try:
        return ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"{expr!r} is not a valid expression ({exc.msg})") from None


_GLOBALS = {"__builtins__": {}, **_FUNCS}


@functools.lru_cache(maxsize=1024)
def _compiled(expr: str) -> Any:
    """Byte code for an expression made only of numbers, names, arithmetic and the few
    functions above: checked node by node first, so eval can run nothing else."""
    tree = _parse(expr)
    _check(tree.body, expr)
    return compile(tree, "<rubric expression>", "eval")


def _check(node: ast.AST, src: str) -> None:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return
    if isinstance(node, ast.Name) and node.id not in _GLOBALS or (
            isinstance(node, ast.Name) and node.id in _FUNCS):
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        _check(node.left, src)
        _check(node.right, src)
        return
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _check(node.operand, src)
        return
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCS and not node.keywords):
        for arg in node.args:
            _check(arg, src)
        return
    raise ExprError(f"{src!r}: only numbers, names, + - * / // % ** and "
                    f"{', '.join(sorted(_FUNCS))}() are allowed")
