"""Whether a text students read gives away a right answer (docs/rubrics.md, "Messages
that give the answer away").

`grade rubric check` runs it on every mistake message and hint (an error), on written
items' titles and descriptions and on the handout (warnings); the student kit replaces a
message or hint it flags. A text gives an item's answer away when

- it holds the text of a reference answer (reference/answers.md: a final answer, an
  index equation's right-hand side), compared with spaces, braces and `\\left`/`\\right`
  dropped, as LaTeX and as the plain text the kit prints; or a decimal that rounds to a
  constant of an answer (0.6931 for ln 2); or
- a piece of its math (LaTeX between dollars, or math-looking runs of plain text), read
  as a function of the item's inputs (the rubric's `symbols`, or the inputs' names) and
  evaluated on the item's trials, is the answer, or the answer times a product of powers
  of the inputs (`\\ln 2` for ln 2 / (L N² C), `h - d` for what adds to f_grad), or raised
  to such a product is the answer (the per-layer factor of 3b). A bare number or a bare
  product of symbols ("$N^2$, not $N$") counts only when it is the answer itself.

Only trusted text is read here (the rubric, the handout, the references), in the
grader's own process. May import the engine (to draw trials and run references), the
sandbox's answers.md reader and what lies below them.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import numpy as np

from grader.engine.checks import run_reference
from grader.engine.inputs import draw_trials
from grader.leaks.mathtext import (bare, bare_token, flat, math_pieces, parse, parts, rounds_to,
                             sides)
from grader.display.plaintext import to_plain
from grader.rubric.references import References
from grader.rubric.model import Item, Rubric

SEEDS = (0,)  # the trials an answer is compared on: these seeds' draws of each item
MAX_POWER = 4  # exponents tried for the inputs in a factor

@dataclass(frozen=True)
class Leak:
    """What gives an item's answer away, and how."""

    item: str
    piece: str
    how: str

    def text(self) -> str:
        return f"`{self.piece}` {self.how} of {self.item}"


@dataclass
class _Answer:
    """An item's right answers on its sample trials, element by element: each accepted
    answer (each output, each compared array) as one flat array, beside the inputs that
    go with its elements (scalars repeated, arrays of the answer's shape flattened)."""

    item: Item
    values: list[tuple[np.ndarray, dict[str, np.ndarray]]]  # (answer, inputs), flat
    symbols: dict[str, str]  # LaTeX -> input name


class Detector:
    """Built once per rubric: the answers to compare with, then `leak(text)` per text."""

    def __init__(self, rubric: Rubric, refs: References):
        self.rubric = rubric
        self.answers = [a for a in (_answer(i, refs, rubric) for i in rubric.items) if a]
        self.expressions = list(self._answer_expressions())
        self.forms = list(_literal_forms(rubric, self.expressions))
        self.constants = _constants(self.expressions)
        self._first: dict[str, Optional[Leak]] = {}

    def leak(self, text: str) -> Optional[Leak]:
        """The first way `text` gives an answer away, or None."""
        if text not in self._first:
            self._first[text] = next(self.leaks(text), None)
        return self._first[text]

    def leaks(self, text: str, math: bool = True) -> Iterator[Leak]:
        """Every way `text` gives an answer away (without `math`, only its text and its
        numbers are compared: no math is read)."""
        written, plain = flat(text), flat(to_plain(text))
        for item_id, form in self.forms:
            if (form[0] and form[0] in written) or (form[1] and form[1] in plain):
                yield Leak(item_id, form[2], "is the text of the reference answer")
        for number in re.findall(r"(?<![\w.])\d+\.\d{2,}(?:[eE][-+]?\d+)?", text):
            for item_id, value in self.constants.items():
                if rounds_to(number, value):
                    yield Leak(item_id, number, f"is {value:.6g}, a constant of the answer")
        if not math:
            return
        for piece in math_pieces(text):
            for side in sides(piece):
                found = self.judge(side)
                if found:
                    yield found

    def leaks_by_line(self, text: str, math: bool = True) -> Iterator[tuple[int, Leak]]:
        """Every leak of a Markdown document, paragraph by paragraph, with its line."""
        line = 1
        for paragraph in re.split(r"(\n\s*\n)", text):
            for leak in self.leaks(paragraph, math):
                at = paragraph.find(leak.piece)
                yield line + (paragraph[:at].count("\n") if at >= 0 else 0), leak
            line += paragraph.count("\n")

    def judge(self, latex: str) -> Optional[Leak]:
        """Whether one side of a relation is an answer, or its answer up to other inputs'
        factors or powers, or holds an answer as it is (see the module)."""
        expression = None if bare_token(latex) else parse(latex)
        if expression is None:
            return None
        for k, part in enumerate(parts(expression)):
            for answer in self.answers:
                how = _compare(part, answer, exact=k > 0)
                if how:
                    return Leak(answer.item.id, latex.strip(), how if k == 0 else
                                f"holds `{part}`, which {how}")
        return None

    def _answer_expressions(self) -> Iterator[tuple[str, str, Any]]:
        """Math of reference/answers.md that is an item's answer: (item, LaTeX, sympy)."""
        path = self.rubric.reference_dir / "answers.md"
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        for piece in math_pieces(text, plain=False):
            for side in sides(piece):
                expression = None if bare_token(side) else parse(side)
                if expression is None:
                    continue
                for answer in self.answers:
                    if _compare(expression, answer, exact=True):
                        yield answer.item.id, side.strip(), expression
                        break



def _constants(expressions: list[tuple[str, str, Any]]) -> dict[str, float]:
    """The numbers in the answers that are not simple fractions, by item (ln 2 of 3c,
    2π/(π − 1) of 1b): each answer with every symbol set to 1."""
    found = {}
    for item_id, _, expression in expressions:
        constant = expression.subs({s: 1 for s in expression.free_symbols})
        if constant.is_number and not constant.is_Rational:
            found.setdefault(item_id, float(constant))
    return found


# ------------------------------------------------------------------ comparing numbers

def _answer(item: Item, refs: References, rubric: Rubric) -> Optional[_Answer]:
    if item.kind in ("manual", "constant") or not item.reference:
        return None
    trials = [t for seed in SEEDS for t in draw_trials(item, seed)]
    values = []
    for name in (item.reference, *item.alternatives):
        fn = refs.get(name)
        per_trial = []
        for trial in trials:
            got = run_reference(item, trial, fn)
            if item.mode == "inplace":
                per_trial.append([got[n] - trial.values[n] for n in item.compare])
            else:
                per_trial.append(list(got) if item.outputs else [got])
        for k in range(len(per_trial[0])):
            answer = [np.asarray(p[k], dtype=np.float64) for p in per_trial]
            values.append((np.concatenate([a.ravel() for a in answer]),
                           _columns(item, [t.values for t in trials], [a.shape for a in answer])))
    return _Answer(item, values, _symbols(item, rubric))


def _columns(item: Item, trials: list[dict[str, Any]],
             shapes: list[tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Each input beside the answer's elements: scalars repeated, arrays of the answer's
    shape flattened (other arrays cannot go with its elements)."""
    columns: dict[str, np.ndarray] = {}
    for name in item.inputs:
        values = [np.asarray(t[name], dtype=np.float64) for t in trials]
        if all(v.ndim == 0 or v.shape == shape for v, shape in zip(values, shapes)):
            columns[name] = np.concatenate([np.broadcast_to(v, shape).ravel()
                                            for v, shape in zip(values, shapes)])
    return columns


def _symbols(item: Item, rubric: Rubric) -> dict[str, str]:
    """How the item's inputs are written in math: the rubric's `symbols` of any item (for
    the inputs this one has), and each input's own name."""
    from grader.sandbox.written.latex import _GREEK

    found: dict[str, str] = {}
    for other in rubric.items:
        for latex, name in getattr(other, "symbols", {}).items():
            if name in item.inputs:
                found[latex] = name
    for name in item.inputs:
        head = name.split("_")[0]
        found.setdefault("\\" + name if head in _GREEK else name, name)
    return found


def _bind(expression: Any, answer: _Answer) -> list[tuple[Callable[..., Any],
                                                         tuple[tuple[str, float], ...]]]:
    """Ways to evaluate `expression` on the item's inputs, with the input (and power) each
    of its arguments is: its symbols as the item writes them, and, when one symbol is
    unknown, that one read as each scalar input in turn (the same formula at ℓ = L is
    still the answer)."""
    bound = _bound(tuple(sorted(answer.symbols.items())))
    free = [s for s in expression.free_symbols if s not in bound and str(s) != "e"]
    if len(free) > 1:
        return []
    options = [bound] if not free else [
        {**bound, free[0]: (name, 1.0)} for name, spec in answer.item.inputs.items()
        if spec.array is None]
    made = []
    for option in options:
        symbols = tuple(sorted((s for s in expression.free_symbols if s in option), key=str))
        fn = _lambdify(expression, symbols)
        if fn is not None:
            made.append((fn, tuple(option[s] for s in symbols)))
    return made


@functools.lru_cache(maxsize=64)
def _bound(symbols: tuple[tuple[str, str], ...]) -> dict[Any, tuple[str, float]]:
    """The sympy symbol (and power) each LaTeX symbol reads as, to its input's name."""
    from grader.sandbox.written import AnswerError
    from grader.sandbox.written.latex import _symbol_key

    bound: dict[Any, tuple[str, float]] = {}
    for latex, name in symbols:
        try:
            symbol, power = _symbol_key(latex)
        except (AnswerError, Exception):  # noqa: BLE001 - a name that is no symbol
            continue
        bound.setdefault(symbol, (name, power))
    return bound


@functools.lru_cache(maxsize=4096)
def _lambdify(expression: Any, symbols: tuple[Any, ...]) -> Optional[Callable[..., Any]]:
    import sympy

    try:
        return sympy.lambdify(symbols, expression.subs(sympy.Symbol("e"), sympy.E),
                              [{"log": _log}, "numpy"])
    except Exception:  # noqa: BLE001 - a function numpy lacks
        return None


def _compare(expression: Any, answer: _Answer, exact: bool = False) -> str:
    """How `expression` gives `answer` away ("" when it does not)."""
    is_bare = bare(expression)
    for fn, how in _bind(expression, answer):
        used = {name for name, _ in how}
        for r, columns in answer.values:
            if not used <= set(columns):
                continue
            try:
                with np.errstate(all="ignore"):
                    e = np.broadcast_to(np.asarray(fn(*[columns[name] ** (1.0 / power)
                                                        for name, power in how]),
                                                   dtype=np.float64), r.shape)
            except Exception:  # noqa: BLE001 - not a function of these inputs
                continue
            if _same(e, r):
                return "is the answer"
            if exact or is_bare:
                continue
            others = {n: c for n, c in columns.items() if n not in used}
            with np.errstate(all="ignore"):
                factor = _monomial(e / r, others)
                if factor:
                    return f"is the answer times {factor}"
                exponent = np.where((e > 0) & (r > 0), np.log(r) / np.log(e), np.nan)
            factor = _monomial(exponent, others)
            if factor and factor != "1":
                return f"raised to {factor} is the answer"
    return ""


def _same(e: np.ndarray, r: np.ndarray) -> bool:
    ok = np.isfinite(e) & np.isfinite(r)
    return int(ok.sum()) >= 3 and bool(np.any(r[ok] != 0)) and \
        bool(np.allclose(e[ok], r[ok], rtol=1e-7, atol=1e-12))


def _monomial(ratio: np.ndarray, inputs: dict[str, np.ndarray]) -> str:
    """The product of powers of the inputs that `ratio` is (up to its sign), or ""."""
    names = list(inputs)
    with np.errstate(all="ignore"):
        logs = np.column_stack([np.log(np.abs(inputs[n])) for n in names]) if names else \
            np.zeros((len(ratio), 0))
        target = np.log(np.abs(ratio))
    rows = np.isfinite(target) & np.all(np.isfinite(logs), axis=1)
    if rows.sum() < len(names) + 3:
        return ""
    logs, target = logs[rows], target[rows]
    varies = [k for k in range(len(names)) if np.ptp(logs[:, k]) > 1e-9]
    matrix = logs[:, varies]
    powers = np.round(np.linalg.lstsq(matrix, target, rcond=None)[0]) if varies else \
        np.zeros(0)
    if np.any(np.abs(powers) > MAX_POWER) or not np.allclose(matrix @ powers, target,
                                                                atol=1e-7):
        return ""
    shown = [(names[k], int(p)) for k, p in zip(varies, powers) if p]
    return " ".join(n if p == 1 else f"{n}^{p}" for n, p in shown) or "1"


def _log(x: Any, base: Any = None) -> Any:
    """sympy's log(x, base), as the parser writes `\\ln 2`, for numpy."""
    return np.log(x) if base is None else np.log(x) / np.log(base)


# ------------------------------------------------------------------ the answers' own text

def _literal_forms(rubric: Rubric, expressions: list[tuple[str, str, Any]]
                   ) -> Iterator[tuple[str, tuple[str, str, str]]]:
    """(item, (LaTeX form, plain form, as written)) of every reference answer's text long
    enough to mean something: the answers' math and the index equations' right sides."""
    from grader.sandbox.written import sections

    seen = set()
    for item_id, latex, _ in expressions:
        forms = (flat(latex), flat(to_plain(f"${latex}$")), latex)
        if len(forms[0]) >= 4 and forms[0] not in seen:
            seen.add(forms[0])
            yield item_id, forms
    path = rubric.reference_dir / "answers.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    written = {i.section: i.id for i in rubric.items if i.kind == "index"}
    for part, section in sections(text).items():
        for match in re.finditer(r"^\s*[A-Za-z_]\w*\s*\[[^\]]*\]\s*[-+]?=\s*(.+?)\s*$",
                                 _code(section.body), re.M):
            rhs = match.group(1).split("#")[0].strip()
            if len(flat(rhs)) >= 8:
                yield written.get(part, f"section {part}"), (flat(rhs), flat(rhs), rhs)


def _code(text: str) -> str:
    """The contents of the fenced code blocks of a Markdown text."""
    return "\n".join(m.group(1) for m in re.finditer(r"^```[^\n]*\n(.*?)^```", text,
                                                      re.M | re.S))
