"""Written answers (answers.md): its sections, and the math in them made into functions.

The grader never evaluates what a student wrote in its own process. The sandboxed child
loads this module by path (like wire.py) when the module to run is `answers`: each
expression or index item then becomes a function of the item's inputs, called on the same
trials as code and judged by the grader as code is. The trusted process uses only
`sections` (to show a TA the text); nothing here imports the grader package.

- An **expression** answer is the section's final math, `\\boxed{...}` or else its last
  display math (`$$...$$`, `\\[...\\]`) or else its last inline `$...$`. Of a chain
  `y = \\frac{1}{2a}` or `a \\approx b` the last side is the answer. It is read
  with latex2sympy2-extended and evaluated with the rubric's symbols bound to the inputs.
- An **index** answer is the section's code block of equations such as
  `C[i, k] = sum[j](A[i, j] * B[j, k])` or `s[b] += sum[i](x[b, i] * x[b, i])`.
  Python's parser reads them into a tree that is interpreted here (never `eval`ed): every
  index runs over the axis it names, a sum over its bracket's indices, and an array read
  outside its bounds is 0 (zero padding).
"""
from __future__ import annotations

import ast
import functools
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

ANSWERS_FILE = "answers.md"
MAX_CELLS = 20_000_000  # numbers one index equation may touch at once


class AnswerError(Exception):
    """What a student's written answer does wrong, in words the student can act on."""


# ---------------------------------------------------------------------------- sections

_HEADING = re.compile(r"^(#{1,3})[ \t]+(?:(?:problem|part|question|exercise)[ \t]*)?"
                      r"(\d+[ \t]*[a-z])\b[ \t]*[:.)\-]?(.*)$", re.IGNORECASE)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Section:
    part: str  # "1a"
    heading: str  # the heading line as written
    body: str  # everything up to the next part's heading
    line: int  # 1-based line of the heading


def sections(text: str) -> dict[str, Section]:
    """The parts of answers.md by their id: headings `## 1a`, `## 1a: derivation`,
    `### Problem 3e)`; the first heading of a part wins, text under later headings that
    name no part stays with the part above. Headings inside code blocks do not count."""
    found: dict[str, Section] = {}
    current: Optional[tuple[str, str, int]] = None
    lines: list[str] = []
    fence = ""

    def close() -> None:
        if current is not None and current[0] not in found:
            found[current[0]] = Section(current[0], current[1], "\n".join(lines).rstrip(),
                                        current[2])  # body line k is line `line + k`

    for number, line in enumerate(text.splitlines(), 1):
        opened = _FENCE.match(line)
        if opened and (not fence or opened.group(1)[0] == fence[0]
                       and len(opened.group(1)) >= len(fence)):
            fence = "" if fence else opened.group(1)
        heading = None if fence or opened else _HEADING.match(line)
        if heading:
            close()
            current = (re.sub(r"\s+", "", heading.group(2)).lower(), line.strip(), number)
            lines = []
        elif current is not None:
            lines.append(line)
    close()
    return found


def read_answers(root: str) -> str:
    import os

    path = os.path.join(root, ANSWERS_FILE)
    if not os.path.exists(path):
        raise AnswerError(f"{ANSWERS_FILE} was not found in the submission")
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read(4 << 20)


def find_section(text: str, part: str) -> Section:
    found = sections(text)
    if part not in found:
        raise AnswerError(f"{ANSWERS_FILE} has no section `## {part}`"
                          + (f" (it has {', '.join(sorted(found))})" if found else
                             " (it has no section headings like `## 1a`)"))
    return found[part]


# ---------------------------------------------------------------------------- expressions

_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", re.DOTALL)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", re.DOTALL)
_RELATION = re.compile(r"\\approx|\\simeq|\\equiv|\\coloneqq|:=|\\to|\\rightarrow|(?<![<>!\\])=")


def final_math(body: str) -> str:
    """The answer of a section: its last `\\boxed{}`, else its last display math, else
    its last inline math."""
    text = _without_code(body)
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
                      "for example `$$y = \\frac{1}{2a}$$`")


def _without_code(text: str) -> str:
    out, fence = [], ""
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if opened:
            fence = "" if fence else opened.group(1)
            continue
        if not fence:
            out.append(line)
    return re.sub(r"`[^`\n]*`", " ", "\n".join(out))


def _boxed(text: str) -> Optional[str]:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed")
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0) if text[j - 1] != "\\" else 0
        if depth == 0:
            return text[i + 1:j].strip()
    raise AnswerError(f"could not read `{_short(text[start:])}`: the brace after "
                      "\\boxed is not closed")


def _short(latex: str, n: int = 60) -> str:
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
                raise AnswerError(f"could not read `{_short(latex)}`: the brace at "
                                  f"`{_short(latex[max(0, i - 12):i + 1], 20)}` closes none "
                                  "that was opened")
            else:
                stack.pop()
    if stack:
        i = stack[-1]
        raise AnswerError(f"could not read `{_short(latex)}`: a brace is not closed (the one "
                          f"opened at `{_short(latex[max(0, i - 12):i + 1], 20)}`)")
    left, right = len(re.findall(r"\\left\b", latex)), len(re.findall(r"\\right\b", latex))
    if left != right:
        raise AnswerError(f"could not read `{_short(latex)}`: {left} \\left but {right} \\right")
    if latex.count("(") != latex.count(")"):
        raise AnswerError(f"could not read `{_short(latex)}`: {latex.count('(')} opening "
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
        raise AnswerError(f"could not read `{_short(latex)}`: nothing after the last `=`")
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
        raise AnswerError(f"could not read `{_short(side)}`{where}") from None
    import sympy

    if not isinstance(parsed, sympy.Expr):
        raise AnswerError(f"`{_short(side)}` is not a single expression "
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
                return f": it ends too early, after `{_short(source[-20:], 20)}`"
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


# ---------------------------------------------------------------------------- index equations

def code_block(body: str) -> tuple[str, int]:
    """The section's equations: its code block tagged `index`, else its last code block;
    with the line in the section where they start."""
    blocks: list[tuple[str, str, int]] = []
    fence, info, start, lines = "", "", 0, []
    for number, line in enumerate(body.splitlines(), 1):
        opened = _FENCE.match(line)
        if opened and not fence:
            fence, info, start, lines = opened.group(1), line.strip()[len(opened.group(1)):], \
                number, []
        elif opened and line.strip().startswith(fence[0] * len(fence)) and \
                not line.strip().strip(fence[0]):
            blocks.append((info.strip().lower(), "\n".join(lines), start + 1))
            fence = ""
        elif fence:
            lines.append(line)
    if fence:
        blocks.append((info.strip().lower(), "\n".join(lines), start + 1))
    if not blocks:
        raise AnswerError("has no code block of equations: put them between lines of "
                          "three backticks, one equation a line, "
                          "e.g. `C[i, k] = sum[j](A[i, j] * B[j, k])`")
    tagged = [b for b in blocks if b[0] == "index"]
    _, code, line = (tagged or blocks)[-1]
    return code, line


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)), "σ": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh, "exp": np.exp, "log": np.log, "ln": np.log, "sqrt": np.sqrt,
    "abs": np.abs, "relu": lambda x: np.maximum(x, 0.0),
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


def parse_equations(code: str, first_line: int = 1) -> list[Equation]:
    """Equations `A[i, j] = expression` (or `+=`, `-=`), one a line, `#` comments."""
    source = code.replace("·", "*").replace("×", "*").replace("−", "-")
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        line = (exc.lineno or 1)
        text = source.splitlines()[line - 1] if 0 < line <= len(source.splitlines()) else ""
        col = max(0, (exc.offset or 1) - 1)
        raise AnswerError(f"could not read line {line + first_line - 1} of answers.md, "
                          f"`{_short(text.strip())}`: {exc.msg}, near "
                          f"`{_short(text[max(0, col - 10):col + 10].strip(), 30)}`"
                          + (" (multiplication needs `*`)" if "invalid syntax" in exc.msg
                             or "comma" in exc.msg else "")) from None
    lines = source.splitlines()
    equations = []
    for stmt in tree.body:
        text = lines[stmt.lineno - 1].strip() if stmt.lineno <= len(lines) else ""
        where = f"line {stmt.lineno + first_line - 1}, `{_short(text)}`"
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

    def answer(*args: Any, shapes: Optional[dict[str, list[int]]] = None) -> Any:
        env: dict[str, Any] = dict(zip(params, args))
        for eq in equations:
            _apply(eq, env, shapes or {}, set(params))
        if inplace:
            return None
        values = [np.asarray(env[t], dtype=np.float64) for t in targets]
        return values[0] if len(values) == 1 else tuple(values)

    return answer


def _apply(eq: Equation, env: dict[str, Any], shapes: dict[str, list[int]],
           inputs: set[str]) -> None:
    where = f"line {eq.line}, `{_short(eq.text)}`"
    eq = Equation(eq.target, eq.indices, eq.op, _Fresh(where).visit(_copy(eq.value)), eq.line,
                  eq.text)
    bound = _bound_indices(eq.value, where)
    names = list(eq.indices) + [b for b in bound if b not in eq.indices]
    if len(names) != len(set(eq.indices)) + len(set(bound) - set(eq.indices)) or \
            set(bound) & set(eq.indices):
        raise AnswerError(f"{where}: an index is summed over and also on the left side")
    for n in names:
        if n in env or n in _CONSTANTS:
            raise AnswerError(f"{where}: `{n}` is an index here but also "
                              + ("an input" if n in env else "a constant"))
    sizes = _sizes(eq, names, env, shapes, where)
    cells = math.prod(sizes.values()) if sizes else 1
    if cells > MAX_CELLS:
        raise AnswerError(f"{where} runs over {cells:,} combinations of indices; the limit "
                          f"is {MAX_CELLS:,}")
    space = _Space(names, sizes)
    with np.errstate(all="ignore"):
        value = _eval(eq.value, env, space, where)
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


def _copy(node: ast.expr) -> ast.expr:
    import copy

    return copy.deepcopy(node)


class _Fresh(ast.NodeTransformer):
    """Each sum's indices renamed apart (`j` becomes `j#1`, `j#2`, ...), so that two sums
    over `j` may run over different axes: `sum[j](Wfx[i, j] * x[b, j]) + sum[j](...)`."""

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


def _sizes(eq: Equation, names: list[str], env: dict[str, Any],
           shapes: dict[str, list[int]], where: str) -> dict[str, int]:
    """Each index runs over the axis it stands alone in: of an input or an array defined
    before, or of the left side's declared shape."""
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
    for sub in ast.walk(eq.value):
        if isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name) and \
                sub.value.id in env and not _is_sum_head(sub, eq.value):
            parts = sub.slice.elts if isinstance(sub.slice, ast.Tuple) else [sub.slice]
            shape = np.shape(env[sub.value.id])
            if len(parts) != len(shape):
                raise AnswerError(f"{where}: `{sub.value.id}` has {len(shape)} axes but is "
                                  f"indexed with {len(parts)}")
            for k, p in enumerate(parts):
                if isinstance(p, ast.Name) and p.id in seen:
                    seen[p.id].append((shape[k], f"axis {k} of {sub.value.id}"))
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


def _is_sum_head(node: ast.AST, root: ast.AST) -> bool:
    return any(_is_sum(s) and s.func is node for s in ast.walk(root))


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
        raise AnswerError(f"{where}: `{_short(ast.unparse(node.func), 30)}` is followed by "
                          "parentheses: multiplication needs `*`")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn = _FUNCTIONS.get(node.func.id)
        if fn is None or len(node.args) != 1 or node.keywords:
            raise AnswerError(f"{where}: `{node.func.id}(...)` is not one of the functions "
                              f"{', '.join(sorted(_FUNCTIONS))} of one argument"
                              + (", or `sum[i, j](...)`" if node.func.id in _SUMS else ""))
        return fn(_eval(node.args[0], env, space, where))
    raise AnswerError(f"{where}: `{_short(ast.unparse(node), 30)}` is not arithmetic on "
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
    indices = []
    for p in parts:
        value = np.asarray(_eval(p, env, space, where))
        if value.dtype.kind not in "iu":
            if not np.all(np.equal(np.mod(value, 1), 0)):
                raise AnswerError(f"{where}: the index `{_short(ast.unparse(p), 30)}` of "
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


# ---------------------------------------------------------------------------- in the sandbox

class WrittenAnswers:
    """What the child runs in place of an imported module: each call's `spec` (the item's
    kind, section, symbols, arguments) makes the function that call is made on."""

    def __init__(self, root: str, text: Optional[str] = None):
        self.root = root
        self.text = text  # the answers themselves, for tests that need no files
        self._made: dict[str, Any] = {}
        try:  # the parser's import (about a second) counts against the import's time
            import latex2sympy2_extended.latex2sympy2  # noqa: F401
            import latex2sympy2_extended.math_normalization  # noqa: F401
            import sympy  # noqa: F401
        except ImportError:  # said when an expression item needs it
            pass

    def function(self, spec: dict[str, Any]) -> Callable[..., Any]:
        key = repr(sorted((k, repr(v)) for k, v in spec.items() if k != "shapes"))
        if key not in self._made:
            try:
                self._made[key] = self._make(spec)
            except AnswerError as exc:
                self._made[key] = exc
        made = self._made[key]
        if isinstance(made, AnswerError):
            raise made
        if spec["kind"] == "index":
            return lambda *args: made(*args, shapes=spec.get("shapes") or {})
        return made

    def _make(self, spec: dict[str, Any]) -> Callable[..., Any]:
        if self.text is None:
            self.text = read_answers(self.root)
        section = find_section(self.text, spec["section"])
        if spec["kind"] == "expression":
            expression = parse_latex(final_math(section.body))
            return expression_function(expression, [tuple(s) for s in spec["symbols"]],
                                       list(spec["params"]))
        code, line = code_block(section.body)
        equations = parse_equations(code, section.line + line)
        return index_function(equations, list(spec["params"]), list(spec["targets"]),
                              bool(spec.get("inplace")))
