"""A written answer's final math, read as a reader would (`\\boxed{}`, else the last
display math, else the last inline math; the last side of a chain), parsed with
latex2sympy2-extended into a SymPy expression, and made into a function of the item's
arguments (the rubric's symbols bound to them)."""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Optional

from .sections import AnswerError, without_code

_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", re.DOTALL)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", re.DOTALL)
_RELATION = re.compile(r"\\approx|\\simeq|\\equiv|\\coloneqq|:=|\\to|\\rightarrow|(?<![<>!\\])=")


def final_math(body: str) -> str:
    """The answer of a section: its last `\\boxed{}`, else its last display math, else
    its last inline math."""
    text = without_code(body)
    boxed = _boxed(text)
    if boxed is not None:
        return boxed
    shown = [m.group(1) or m.group(2) for m in _DISPLAY.finditer(text)]
    if shown:
        return shown[-1].strip()
    inline = [m.group(1) for m in _INLINE.finditer(_DISPLAY.sub(" ", text))]
    if inline:
        return inline[-1].strip()
    raise AnswerError("has no math: write the answer as LaTeX between dollar signs, "
                      "for example `$$y = \\frac{a}{b^2}$$`")


def _boxed(text: str) -> Optional[str]:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed")
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0) if text[j - 1] != "\\" else 0
        if depth == 0:
            return text[i + 1:j].strip()
    raise AnswerError(f"could not read `{short(text[start:])}`: the brace after "
                      "\\boxed is not closed")


def short(latex: str, n: int = 60) -> str:
    latex = " ".join(latex.split())
    return latex if len(latex) <= n else latex[:n - 1] + "…"


def last_side(latex: str) -> str:
    """`a = b \\approx c` -> `c`: relations outside braces split the chain."""
    depth, cut = 0, 0
    for m in re.finditer(r"[{}]|" + _RELATION.pattern, latex):
        token = m.group(0)
        if token in "{}":
            depth += 1 if token == "{" else -1
        elif depth == 0:
            cut = m.end()
    return latex[cut:].strip()


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
    if latex.count("(") != latex.count(")"):
        raise AnswerError(f"could not read `{short(latex)}`: {latex.count('(')} opening "
                          f"and {latex.count(')')} closing parentheses")


def _normalise(latex: str) -> str:
    latex = re.sub(r"\\text\s*\{[^{}]*\}", " ", latex)  # words beside the math
    latex = latex.strip().rstrip(".,;").strip()
    latex = re.sub(r"\\[,;:!]|\\quad|\\qquad|~", " ", latex)
    latex = re.sub(r"\\(?:displaystyle|textstyle|scriptstyle)\b", " ", latex)
    latex = re.sub(r"\\(?:[bB]ig{1,2}|[bB]igg)[lr]?(?=[()\[\]|.]|\\[{}])", "", latex)
    latex = re.sub(r"\\(?:mathrm|mathit|mathbf|mathsf|boldsymbol|operatorname)\s*\{([A-Za-z]+)\}",
                   lambda m: m.group(0) if m.group(1) in ("e", "exp", "ln") else m.group(1),
                   latex)
    latex = re.sub(r"\\[tdc]frac\b", r"\\frac", latex)
    latex = re.sub(r"\\frac\s*(\d)\s*(\d)", r"\\frac{\1}{\2}", latex)
    latex = re.sub(r"\\frac\s*(\d)\s*\{", r"\\frac{\1}{", latex)
    latex = re.sub(r"\\log_\{?e\}?", r"\\ln", latex)
    latex = _over(latex)
    latex = re.sub(r"\\log(?![_a-zA-Z])", r"\\ln", latex)  # natural, as in the handout
    latex = re.sub(r"\\ln\s*\{\s*(\d+(?:\.\d+)?)\s*\}", r"\\ln(\1)", latex)
    latex = re.sub(r"\\ln\s*(\d+(?:\.\d+)?)", r"\\ln(\1)", latex)  # \ln 2 / x: ln(2) / x
    latex = re.sub(r"\\mathrm\{e\}|\\operatorname\{e\}", "e", latex)
    latex = re.sub(r"\\(?:mathrm|text|operatorname)\{(exp|ln)\}", r"\\\1", latex)
    return latex


def _closing(latex: str, start: int) -> int:
    """Where the brace opened at `start` closes (-1: never)."""
    depth = 0
    for i in range(start, len(latex)):
        if latex[i] in "{}" and (i == 0 or latex[i - 1] != "\\"):
            depth += 1 if latex[i] == "{" else -1
            if depth == 0:
                return i
    return -1


def _over(latex: str) -> str:
    """TeX's `a \\over b` (the whole group over the whole group) as `\\frac{a}{b}`."""
    depth, groups = 0, [0]
    for i, ch in enumerate(latex):
        if ch in "{}" and (i == 0 or latex[i - 1] != "\\"):
            if ch == "{":
                depth += 1
                groups.append(i + 1)
            else:
                start = groups.pop() if len(groups) > 1 else 0
                inner = latex[start:i]
                if re.search(r"\\over\b", inner) and depth > 0:
                    return _over(latex[:start] + _over(inner) + latex[i:])
                depth -= 1
    m = None
    depth = 0
    for i, ch in enumerate(latex):
        if ch in "{}" and (i == 0 or latex[i - 1] != "\\"):
            depth += 1 if ch == "{" else -1
        elif depth == 0 and latex.startswith("\\over", i) and not latex[i + 5:i + 6].isalpha():
            m = i
            break
    if m is None:
        return latex
    return "\\frac{" + latex[:m].strip() + "}{" + latex[m + 5:].strip() + "}"


def parse_latex(latex: str) -> Any:
    """A sympy expression, or an AnswerError that points at the place."""
    if not latex.strip():
        raise AnswerError("the answer is empty")
    _check_braces(latex)
    side = last_side(_normalise(latex))
    while side.startswith("{") and _closing(side, 0) == len(side) - 1:  # {a} is a, not a set
        side = side[1:-1].strip()
    if not side:
        raise AnswerError(f"could not read `{short(latex)}`: nothing after the last `=`")
    from latex2sympy2_extended import latex2sympy
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig
    from latex2sympy2_extended.math_normalization import NormalizationConfig

    try:
        parsed = latex2sympy(side, normalization_config=NormalizationConfig(
            basic_latex=True, units=False, malformed_operators=False, nits=False,
            boxed="all", equations=False), conversion_config=ConversionConfig(
            interpret_as_mixed_fractions=False, interpret_simple_eq_as_assignment=False,
            lowercase_symbols=False))
    except Exception as exc:  # noqa: BLE001 - the parser's own errors carry the position
        where = _position(str(exc), side)
        raise AnswerError(f"could not read `{short(side)}`{where}") from None
    import sympy

    if not isinstance(parsed, sympy.Expr):
        raise AnswerError(f"`{short(side)}` is not a single expression "
                          f"(it reads as {type(parsed).__name__})")
    return parsed


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


def expression_function(expression: Any, symbols: list[tuple[str, str]],
                        params: list[str]) -> Callable[..., float]:
    """The answer as a function of the item's arguments, in order."""
    import sympy

    bound = {}
    for latex, name in symbols:
        symbol, power = _symbol_key(latex)
        bound[symbol] = (name, power, latex)
    extra = sorted(str(s) for s in expression.free_symbols if s not in bound
                   and str(s) != "e")
    if extra:
        known = ", ".join(f"`{latex}`" for latex, _ in symbols)
        raise AnswerError(f"uses {', '.join(f'`{_latex_name(s)}`' for s in extra)}, which "
                          f"the question does not define (it may use {known})")
    expression = expression.subs(sympy.Symbol("e"), sympy.E)
    symbols = list(bound)
    try:  # compiled once: a call is then float arithmetic, as the reference's is
        fast = sympy.lambdify(symbols, expression, modules=["math"])
    except Exception:  # noqa: BLE001 - a function `math` lacks: sympy evaluates it
        fast = None

    def exact(values: dict[str, Any], point: list[float]) -> float:
        value = complex(sympy.N(expression.xreplace(dict(zip(symbols, point))), 20))
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


