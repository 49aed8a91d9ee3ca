"""Safe arithmetic on rubric expressions such as `d_x + d_h` or `1 / (N**2 * C)`."""
from __future__ import annotations

import ast
import functools
import math
import operator
from collections.abc import Mapping
from typing import Union

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
    return _eval(_parse(expr).body, env, expr)


@functools.lru_cache(maxsize=1024)
def _parse(expr: str) -> ast.Expression:
    try:
        return ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"{expr!r} is not a valid expression ({exc.msg})") from None


def _eval(node: ast.AST, env: Mapping[str, Number], src: str) -> Number:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in env:
            known = ", ".join(sorted(env)) or "none yet"
            raise ExprError(f"{src!r}: unknown name {node.id!r} (known here: {known})")
        return env[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval(node.left, env, src), _eval(node.right, env, src)
        try:
            return _BINOPS[type(node.op)](left, right)
        except (ZeroDivisionError, OverflowError) as exc:
            raise ExprError(f"{src!r}: {exc}") from None
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, env, src))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCS and not node.keywords):
        return _FUNCS[node.func.id](*(_eval(a, env, src) for a in node.args))
    raise ExprError(f"{src!r}: only numbers, names, + - * / // % ** and "
                    f"{', '.join(sorted(_FUNCS))}() are allowed")
