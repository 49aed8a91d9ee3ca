"""Math in text students read: the LaTeX between dollars and the math-looking runs of
plain text, split at relations and read with the parser students' answers are read
with; and text and numbers compared as written (grader/leaks/ uses them)."""
from __future__ import annotations

import functools
import re
from typing import Any, Iterator

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]", re.S)
_RELATION = re.compile(r"\\(?:approx|simeq|equiv|neq|ne|leq?|geq?|to|rightarrow)(?![A-Za-z])|"
                       r":=|[=<>≈≠≤≥→]")
_TOKEN = re.compile(r"(?:\\?[A-Za-z]+(?:_\{?\\?\w+\}?)?(?:\^\{?\\?\w+\}?)?(?:_\{?\\?\w+\}?)?|"
                    r"\d+(?:\.\d+)?)")  # one symbol or number: nothing to give away
_STOP = {"is", "of", "to", "by", "in", "at", "or", "an", "as", "on", "be", "it", "if",
         "no", "so", "we", "do", "up", "a", "the", "and", "not", "for"}
_FUNCTIONS = {"ln", "log", "exp", "sqrt", "tanh", "sin", "cos"}
_UNICODE = {"−": "-", "·": r"\cdot ", "×": r"\times ", "⊙": r"\cdot ", "σ": r"\sigma ",
            "ℓ": r"\ell ", "π": r"\pi ", "√": r"\sqrt ", "²": "^2", "³": "^3",
            "⁻¹": "^{-1}", "∂": r"\partial ", "≈": "=", "→": "="}
_MARKUP = re.compile(r"\*\*|__|^\s*(?:[-*+]|\d+\.)\s+|^#+\s*|->|=>|\||`", re.M)
_OPERATION = re.compile(r"[\w)}]\s*[-+*/^]\s*[\w(\\{]|^\\(?:ln|log|exp|sqrt)\b\s*[\w(\\{]")


def math_pieces(text: str, plain: bool = True) -> list[str]:
    """The LaTeX of a text's math: what stands between dollars (or \\[ \\]), then, with
    `plain`, runs of the rest that look like math ("ln2", "h − d", "2^(1/L) - 1")."""
    pieces = [next(g for g in m.groups() if g is not None) for m in _MATH.finditer(text)]
    if plain:
        pieces += plain_runs(_MATH.sub(" . ", text))
    return [re.sub(r"\\boxed\s*\{(.*)\}", r"\1", p, flags=re.S) for p in pieces]


def plain_runs(text: str) -> list[str]:
    """Runs of plain text between words and punctuation that hold an operation, as
    LaTeX ("ln2" -> "\\ln 2"); Markdown's own marks are dropped first."""
    text = _MARKUP.sub(" ", text)
    for char, latex in _UNICODE.items():
        text = text.replace(char, latex)
    runs, run = [], []
    for token in re.findall(r"\\[A-Za-z]+|[A-Za-z]+(?:_\{?[A-Za-z0-9]+\}?)?|\d+(?:\.\d+)?|"
                            r"[-+*/^(){}=<>]|\S", text):
        word = token.lower()
        if token.isalpha() and (word in _STOP or (len(token) > 2 and word not in _FUNCTIONS)) \
                or re.fullmatch(r"[.,;:!?'\"\[\]]", token):
            runs.append(run)
            run = []
        else:
            run.append("\\" + token if token in _FUNCTIONS else token)
    runs.append(run)
    found = []
    for tokens in runs:
        piece = balanced(" ".join(tokens))
        if _OPERATION.search(piece):
            found.append(piece)
    return found


def balanced(piece: str) -> str:
    """A run without the unmatched parentheses around it ("ln2 (" -> "ln2")."""
    piece = piece.strip()
    while piece and piece.count("(") != piece.count(")") and piece[0] in "()":
        piece = piece[1:].strip()
    while piece and piece.count("(") != piece.count(")") and piece[-1] in "()":
        piece = piece[:-1].strip()
    return piece


def sides(latex: str) -> list[str]:
    """`a = b \\approx c` -> a, b, c: relations outside braces split the chain."""
    sides, depth, start = [], 0, 0
    for m in re.finditer(r"[{}]|" + _RELATION.pattern, latex):
        if m.group(0) in "{}":
            depth += 1 if m.group(0) == "{" else -1
        elif depth == 0:
            sides.append(latex[start:m.start()])
            start = m.end()
    sides.append(latex[start:])
    return [s.strip().strip(",;.").strip() for s in sides if s.strip()]


def bare_token(latex: str) -> bool:
    """One symbol or number, which gives nothing away but costs a parse (π may)."""
    latex = latex.strip()
    return bool(_TOKEN.fullmatch(latex)) and latex not in ("\\pi", "\\e", "e")


@functools.lru_cache(maxsize=4096)
def parse(latex: str) -> Any:
    """The sympy expression of one side (None when it does not read as one)."""
    from grader.sandbox.written import AnswerError, parse_latex

    try:
        return parse_latex(latex)
    except (AnswerError, Exception):  # noqa: BLE001 - prose, or math of another kind
        return None


def parts(expression: Any) -> Iterator[Any]:
    """The expression, then its sub-expressions that are more than a bare product
    (the 1/d_x in 2/d_x is not stated by it)."""
    import sympy

    yield expression
    seen = {expression}
    for part in sympy.preorder_traversal(expression):
        if isinstance(part, sympy.Expr) and part not in seen and not bare(part):
            seen.add(part)
            yield part


def bare(expression: Any) -> bool:
    """A number that is a fraction, or such a number times powers of symbols."""
    expression = expression.doit()
    if not expression.free_symbols:
        return bool(expression.is_Rational)
    coefficient, factors = expression.as_coeff_mul()
    return coefficient.is_Rational and all(
        f.is_Symbol or (f.is_Pow and f.base.is_Symbol and f.exp.is_Rational) for f in factors)


def rounds_to(number: str, value: float) -> bool:
    """Whether a decimal written with at least 3 significant digits is `value` (or minus
    it) rounded to those digits: "0.6931" is ln 2, "0.69" is too short to tell."""
    digits = len(re.sub(r"[eE].*|[^0-9]", "", number).lstrip("0"))
    if digits < 3:
        return False
    written = abs(float(number))
    return written != 0 and float(f"{abs(value):.{digits}g}") == float(f"{written:.{digits}g}")


def flat(text: str) -> str:
    """Text compared letter for letter: no spaces, braces, sizing or spacing commands."""
    text = re.sub(r"\\(?:left|right|displaystyle|quad|qquad)\b|\\[,;:!]", "", text)
    text = re.sub(r"\\[dt]frac\b", r"\\frac", text)
    for char, latex in (("−", "-"), ("·", "*"), ("⋅", "*")):
        text = text.replace(char, latex)
    return re.sub(r"[\s{}$`]", "", text)
