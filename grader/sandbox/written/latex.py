"""A written answer's math parsed with latex2sympy2-extended into SymPy expressions (the
answer itself found by answer.py, its notation by normalise.py), and made into a function
of the item's arguments, the rubric's symbols bound to them."""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Optional, Sequence

from . import fastlatex
from .answer import answers
from .extract import short
from .normalise import _closing, normalise
from .notation import Symbols, meant, symbols_note
from .sections import AnswerError


def _check_braces(latex: str) -> None:
    stack: list[int] = []
    for i, ch in enumerate(latex):
        if ch in "{}" and (i == 0 or latex[i - 1] != "\\"):
            if ch == "{":
                stack.append(i)
            elif not stack:
                raise AnswerError(f"could not read `{short(latex)}`: the brace at "
                                  f"`{short(latex[max(0, i - 12):i + 1], 20)}` closes none "
                                  "that was opened")
            else:
                stack.pop()
    if stack:
        i = stack[-1]
        raise AnswerError(f"could not read `{short(latex)}`: a brace is not closed (the one "
                          f"opened at `{short(latex[max(0, i - 12):i + 1], 20)}`)")
    left, right = len(re.findall(r"\\left\b", latex)), len(re.findall(r"\\right\b", latex))
    if left != right:
        raise AnswerError(f"could not read `{short(latex)}`: {left} \\left but {right} \\right")


def is_value(expression: Any) -> bool:
    """A number or a lone symbol: what a line that only sets something up ends with."""
    return bool(getattr(expression, "is_number", False) or getattr(expression, "is_Symbol", False))


def _check_parentheses(latex: str) -> None:
    if latex.count("(") != latex.count(")"):
        raise AnswerError(f"could not read `{short(latex)}`: {latex.count('(')} opening "
                          f"and {latex.count(')')} closing parentheses")


def parse_latex(latex: str) -> Any:
    """The answer of `latex` as a sympy expression, or an AnswerError that points at the
    place (alternatives "a or b": the first)."""
    return parse_answers(latex)[0][1]


def parse_answers(latex: str) -> list[tuple[str, Any]]:
    """The answer of `latex`: each alternative the student gave, as written and parsed."""
    if not latex.strip():
        raise AnswerError("the answer is empty")
    _check_braces(latex)
    return [(side, _parse_side(side, latex)) for side in answers(latex)]


_FUNCTION_NAMES = {"ln", "log", "exp", "sqrt", "e", "sin", "cos", "tan", "tanh", "sinh", "cosh",
                   "max", "min", "abs", "d"}


def _parse_side(side: str, latex: str) -> Any:
    word = next((m for m in re.finditer(r"\\(?:mathrm|operatorname|text|textrm|mathbb|mathsf|"
                                        r"mathbf|mathit)\s*\{\s*([A-Za-z]{2,})\s*\}", side)
                 if m.group(1).lower() not in _FUNCTION_NAMES), None)
    if word:
        raise AnswerError(f"uses `{word.group(0)}` in `{short(side)}`, which the question "
                          "does not define")
    side = normalise(side)
    _check_parentheses(side)
    while side.startswith("{") and _closing(side, 0) == len(side) - 1:  # {a} is a, not a set
        side = side[1:-1].strip()
    if not side:
        raise AnswerError(f"could not read `{short(latex)}`: nothing after the last `=`")
    try:
        parsed = read_side(side)
    except Exception as exc:  # noqa: BLE001 - the parser's own errors carry the position
        where = _position(str(exc), side)
        raise AnswerError(f"could not read `{short(side)}`{where}") from None
    import sympy

    if not isinstance(parsed, sympy.Expr):
        raise AnswerError(f"`{short(side)}` is not a single expression "
                          f"(it reads as {type(parsed).__name__})")
    return parsed


_CONFIG = dict(basic_latex=True, units=False, malformed_operators=False, nits=False,
               boxed="all", equations=False)


@functools.lru_cache(maxsize=1)
def _normaliser() -> Optional[Callable[[str], str]]:
    """latex2sympy2-extended's own normalisation, configured as its parser is (what the
    parser reads, and so what fastlatex.py reads); None if the package is not there."""
    try:
        from latex2sympy2_extended.math_normalization import (NormalizationConfig,
                                                              normalize_latex)
    except ImportError:
        return None
    return functools.partial(normalize_latex, config=NormalizationConfig(**_CONFIG))


def read_side(side: str) -> Any:
    """`side` (normalised by normalise.py) as latex2sympy2-extended reads it: by
    fastlatex.py when it is the common notation (the same expression, in a millisecond),
    else by the parser itself."""
    normalised = _normaliser()
    if normalised is not None:
        fast = fastlatex.parse(normalised(side))
        if fast is not None:
            return fast
    return latex_parser()(side)


def latex_parser() -> Callable[[str], Any]:
    """latex2sympy2-extended, configured for answers (imported on first use: about 0.4 s)."""
    from latex2sympy2_extended import latex2sympy
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig
    from latex2sympy2_extended.math_normalization import NormalizationConfig

    return functools.partial(latex2sympy, normalization_config=NormalizationConfig(
        **_CONFIG), conversion_config=ConversionConfig(
        interpret_as_mixed_fractions=False, interpret_simple_eq_as_assignment=False,
        lowercase_symbols=False))


# What the warm-up parses: the constructs written answers are made of (fractions, powers
# with sub- and superscripts, Greek and other symbol commands, \left( \right), roots, \ln,
# e^{...}, implicit products), close enough to the token sequences students write that the
# parser's tables for them are built once (a child then reads an answers.md in about
# 0.06 s of CPU instead of 0.45 s). A zygote's children inherit whatever it holds (its
# code, its globals, the parser's and sympy's caches), so nothing here may come from a
# reference or a rubric: these expressions answer no question, and tests/test_secrets.py
# checks that no answer can be found in a child.
WARM_UP = (
    r"\frac{5}{m_y} - \frac{3}{\sqrt{m_y}}",
    r"\alpha^3_\hbar \left(2 - x^3 y \beta_Q\right) + (7 - x^3 y \beta_Q)^{z}",
    r"(3 + x^3 y \beta_Q)^{z - \hbar} - \left(4 + a^{3} b \tau_{Q}\right)^{\hbar} "
    r"\alpha^3_\hbar (5 + x^3 y \beta_Q)",
    r"4 - \hbar x^3 y \beta_Q",
    r"\frac{\ln(5)}{x^3 y z} + \frac{\ln 5}{z x^3 y}",
    r"\sqrt[z]{5} + 3 - e^{\hbar \ln(2 - y)}",
    r"\frac{3^{1/z} + 2}{x^3 y}",
)
_WARMED: list[bool] = []


def warm_parser() -> None:
    """Import the LaTeX parser and parse `WARM_UP` (once), so that ANTLR's prediction
    tables (about a second to build) are there before the first answer needs them."""
    if _WARMED:
        return
    _WARMED.append(True)
    parse = latex_parser()
    for latex in WARM_UP:
        try:
            parse(normalise(latex))
        except Exception:  # noqa: BLE001 - another version of the parser: warm the rest
            pass


def _position(message: str, latex: str) -> str:
    """latex2sympy marks the place with a line of ~ ending in ^ under the source."""
    lines = message.splitlines()
    for k, line in enumerate(lines):
        if line.rstrip().endswith("^") and set(line.strip()) <= {"~", "^"}:
            col = len(line.rstrip()) - 1
            source = lines[k - 1] if k else latex
            before = source[max(0, col - 15):col]
            at = source[col:col + 10]
            if not at.strip():
                return f": it ends too early, after `{short(source[-20:], 20)}`"
            return f": stuck at `{at.strip()}`, after `{before.strip()}`"
    return ""


@functools.lru_cache(maxsize=256)  # the same few symbols in every item: parsed once
def _symbol_key(latex: str) -> tuple[Any, float]:
    """A rubric symbol (`\\sigma_W`, or a power such as `\\sigma^2_\\ell`) as the sympy
    symbol it reads as and the power it stands for."""
    import sympy

    parsed = parse_latex(latex)
    if isinstance(parsed, sympy.Symbol):
        return parsed, 1.0
    if isinstance(parsed, sympy.Pow) and isinstance(parsed.base, sympy.Symbol) \
            and parsed.exp.is_number:
        return parsed.base, float(parsed.exp)
    raise AnswerError(f"the rubric's symbol `{latex}` is not a symbol or a power of one")


def expression_function(expression: Any, symbols: Symbols, params: list[str],
                        texts: Sequence[str] = ()) -> Callable[..., float]:
    """The answer as a function of the item's arguments, in order. `expression` may be a
    list of alternatives the student gave ("a or b", as `texts`): each call then needs
    them to agree."""
    import sympy

    expressions = expression if isinstance(expression, list) else [expression]
    bound: dict[Any, tuple[str, float, str]] = {}
    for latex, name in symbols:
        symbol, power = _symbol_key(latex)
        bound.setdefault(symbol, (name, power, latex))
    expressions = [_bind(e, bound, symbols).subs(sympy.Symbol("e"), sympy.E)
                   for e in expressions]
    order = list(bound)
    texts = list(texts) or [str(e) for e in expressions]
    functions = [_compiled(e, order, params, bound, t) for e, t in zip(expressions, texts)]
    if len(functions) == 1:
        return functions[0]

    def agreed(*args: Any) -> float:
        values = [f(*args) for f in functions]
        if any(abs(v - values[0]) > 1e-9 * max(abs(v), abs(values[0])) for v in values):
            shown = ", ".join(f"`{short(t, 30)}` is {v:.6g}" for t, v in zip(texts, values))
            raise AnswerError(f"gives {len(values)} answers that differ (for "
                              f"{_inputs(dict(zip(params, args)))}: {shown}): keep only "
                              "the final one")
        return values[-1]

    return agreed


def _canon(name: str) -> str:
    return re.sub(r"[\\{}\s]", "", name)


def _bind(expression: Any, bound: dict[Any, tuple[str, float, str]], symbols: Symbols) -> Any:
    """`expression` with the student's spelling of each symbol as the rubric's (`\\sigma_{W}`
    and `\\sigma_W` alike; `l` for `\\ell` where the part has no `l`), or an AnswerError
    naming a symbol the part does not define and the notation meant."""
    from sympy.core.function import AppliedUndef

    applied = sorted({str(f.func) for f in expression.atoms(AppliedUndef)})
    if applied:
        raise AnswerError(f"uses {', '.join(f'`{_latex_name(f)}(...)`' for f in applied)}, "
                          "which the question does not define: write the answer with "
                          f"{symbols_note(symbols)}")
    by_name = {_canon(str(s)): s for s in bound}
    swap, unknown = {}, []
    for s in sorted(expression.free_symbols, key=str):
        if s in bound or str(s) == "e":
            continue
        key = _canon(str(s))
        alias = by_name.get(key) or by_name.get(re.sub(r"(?<![A-Za-z])l(?![A-Za-z])", "ell", key))
        if alias is not None:
            swap[s] = alias
        else:
            unknown.append(_latex_name(str(s)))
    if unknown:
        hints = [f"for `{u}` write {' or '.join(f'`{m}`' for m in meant(u, symbols))}"
                 for u in unknown if meant(u, symbols)]
        raise AnswerError(f"uses {', '.join(f'`{u}`' for u in unknown)}, which the question "
                          "does not define" + (f" ({'; '.join(hints)})" if hints else "")
                          + f"; {symbols_note(symbols)}")
    return expression.xreplace(swap) if swap else expression


def _compiled(expression: Any, order: list[Any], params: list[str],
              bound: dict[Any, tuple[str, float, str]], text: str) -> Callable[..., float]:
    import sympy

    try:  # compiled once: a call is then float arithmetic, as the reference's is
        fast = sympy.lambdify(order, expression, modules=["math"])
    except Exception:  # noqa: BLE001 - a function `math` lacks: sympy evaluates it
        fast = None

    def exact(values: dict[str, Any], point: list[float]) -> float:
        try:
            value = complex(sympy.N(expression.xreplace(dict(zip(order, point))), 20))
        except (TypeError, ValueError):  # a sum that does not close, a set, a boolean
            raise AnswerError(f"`{short(text, 40)}` is not a number for "
                              f"{_inputs(values)}") from None
        if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
            raise AnswerError(f"is not a real number for {_inputs(values)} ({value:g})")
        return value.real

    def answer(*args: Any) -> float:
        values = dict(zip(params, args))
        point = [float(values[name]) ** (1.0 / power) if power != 1 else values[name]
                 for name, power, _ in bound.values()]
        if fast is not None:
            try:
                value = fast(*point)
            except (ValueError, TypeError, ZeroDivisionError, OverflowError):
                value = None  # a negative root, a pole, a huge power: sympy says which
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        return exact(values, [sympy.Float(p, 30) for p in point])

    return answer


def _latex_name(symbol: str) -> str:
    return re.sub(r"^([a-zA-Z]+)(?=_|$)", lambda m: "\\" + m.group(1)
                  if m.group(1) in _GREEK else m.group(1), symbol)


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
          "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi",
          "chi", "psi", "omega", "ell", "Sigma", "Delta", "Gamma", "Lambda", "Omega", "Phi"}


def _inputs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v:g}" if isinstance(v, (int, float)) else k
                     for k, v in values.items())


