"""Written answers (answers.md): its sections, and the math in them made into functions.

The grader never evaluates what a student wrote in its own process. The sandboxed child
loads this module by path (like wire.py) when the module to run is `answers`: each
expression or index item then becomes a function of the item's inputs, called on the same
trials as code and judged by the grader as code is. The trusted process uses only
`sections` (to show a TA the text); nothing here imports the grader package.

- An **expression** answer is the section's final math (extract.py): `\\boxed{...}` or else
  its last display math (`$$...$$`, `\\[...\\]`, a bare `\\begin{align*}`, a ```math block)
  or else its last inline math (`$...$`, `\\(...\\)`). Of an environment the last line, of a
  chain `y = \\frac{a}{b^2}` or `a \\approx b` the last side is the answer, and
  annotations (`\\text{for large } L`, `\\quad L \\gg 1`, `\\tag{1}`) are not (answer.py).
  Unicode (`σ²_ℓ`, `·`) reads as its LaTeX (unicode.py). It is read with
  latex2sympy2-extended and evaluated with the rubric's symbols bound to the inputs.
- An **index** answer is the section's code block of equations such as
  `y[b, i] += u[b, i] * (v[b, i] + 1)` or
  `z[o, p] = sum[b, i](u[b, o, i] * v[b, i + p - K // 2])`.
  Python's parser reads them into a tree that is interpreted here (never `eval`ed): every
  index runs over the axis it names, a sum over its bracket's indices, and an array read
  outside its bounds is 0 (zero padding).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from .answer import RELATION, answers
from .equations import MAX_CELLS, code_block, index_function, parse_equations
from .extract import final_math, final_maths
from .latex import expression_function, is_value, parse_answers, parse_latex, warm_parser
from .notation import index_example, symbols_note
from .sections import ANSWERS_FILE, AnswerError, Section, find_section, read_answers, sections

__all__ = ["ANSWERS_FILE", "MAX_CELLS", "AnswerError", "Section", "WrittenAnswers", "answers",
           "code_block", "expression_function", "final_math", "find_section",
           "index_function", "parse_answers", "parse_equations", "parse_latex",
           "read_answers", "sections", "warm_answers", "warm_parser"]


class WrittenAnswers:
    """What the child runs in place of an imported module: each call's `spec` (the item's
    kind, section, symbols, arguments) makes the function that call is made on."""

    def __init__(self, root: str, text: Optional[str] = None):
        self.root = root
        self.text = text  # the answers themselves, for tests that need no files
        self._made: dict[str, Any] = {}
        self._sections: Optional[dict[str, Section]] = None  # the text's, read once
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
        if self._sections is None:
            self._sections = sections(self.text)
        section = find_section(self.text, spec["section"], self._sections)
        if spec["kind"] == "expression":
            symbols = [tuple(s) for s in spec["symbols"]]
            try:
                found = _final_answer(final_maths(section.body))
                return expression_function([e for _, e in found], symbols,
                                           list(spec["params"]), [t for t, _ in found])
            except AnswerError as exc:  # every refusal says how the handout writes it
                note = symbols_note(symbols)
                raise AnswerError(_with_note(str(exc), note)) from None
        code, line = code_block(section.body, index_example(spec))
        equations = parse_equations(code, section.line + line)
        return index_function(equations, list(spec["params"]), list(spec["targets"]),
                              bool(spec.get("inplace")))


def _final_answer(candidates: list[str]) -> list[tuple[str, Any]]:
    """The answer of the final math; but when that is only a value (`... = 2`), the last
    statement with an expression written after it in the text (`so $\\sigma_W = ...$`)."""
    found = parse_answers(candidates[0])
    if all(is_value(e) for _, e in found):
        for later in candidates[1:]:
            try:
                then = parse_answers(later)
            except AnswerError:
                continue
            if RELATION.search(later) and not any(is_value(e) for _, e in then):
                return then  # a statement (it has a relation) whose side is an expression
    return found


def _with_note(message: str, note: str) -> str:
    if message == "has no math":
        return ("has no math: write the final answer as LaTeX between `$$` and `$$` (or in "
                f"`\\boxed{{...}}`), with {note}")
    return message if not note or note in message else f"{message} ({note})"


# What `warm_answers` reads: a document laid out as answers.md is (parts, prose, display
# math, an environment, a code block of equations) whose math answers no question (see
# latex.WARM_UP; tests/test_secrets.py checks that no answer can be found in a child).
_WARM_DOCUMENT = r"""# Warm-up

## 9a
Words first, then $q = 3$ and
$$m_y = \frac{3}{\sqrt{m_y}} - \frac{\ln 5}{x^3 y} \approx \boxed{\frac{(2 - x)^{-3} e^{-y}}{4 \, m_y^{2}}}$$

Or: $(2 + x y^2)^{y - m_y}$ or $3^{1/m_y} + 1$.

## 9b
\begin{align*}
z_{k} &= x^{1/3} \left(1 - \frac{y}{2}\right)^{-2} \\
&= \sqrt[3]{x} \cdot (1 - y/2)^{-2} - \log(3) + \exp(-x) \quad \text{for } x \gg 1
\end{align*}

## 9z
Each step: $$\mathrm{Var}(t) = (2 + x y^2)^{y - m_y}$$

## 9c
```index
# neutral
t[b, i] = sigmoid(sum[j](a[i, j] * u[b, j])) * tanh(c[i] - u[b, i + 1 - 3 // 2])
t[b, i] += (1 - t[b, i]) * u[b, i] ** 2
```
"""


def warm_answers() -> list[Any]:
    """Read `_WARM_DOCUMENT` as a child reads answers.md, every step of the way (sections,
    the final math, the parser, lambdify's printers, the index interpreter), so that what
    each of those builds on first use (regular expressions, lazily imported printers) is
    built once, in the zygote. Returns what each part gave."""
    import numpy as np

    made = WrittenAnswers("/", _WARM_DOCUMENT)
    symbols = [["m_y", "m"], ["x", "x"], ["y", "y"]]
    values: list[Any] = [made.function({"kind": "expression", "section": part,
                                        "params": ["m", "x", "y"], "symbols": symbols})(*point)
                         for part in ("9a", "9b", "9z")
                         for point in ((2.5, 0.5, 0.25), (7.0, 3.0, 1.5))]
    rng = np.random.default_rng(0)
    values.append(made.function({"kind": "index", "section": "9c", "params": ["a", "u", "c"],
                                 "targets": ["t"], "inplace": False, "notation": ["t[b, i]"],
                                 "shapes": {}})(rng.random((3, 3)), rng.random((2, 3)),
                                                rng.random(3)))
    return values
