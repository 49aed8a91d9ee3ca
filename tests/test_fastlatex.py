"""fastlatex.py builds exactly what latex2sympy2-extended builds, or declines (issue 26).

Every final answer of tests/test_written_notations.py and of reference/answers.md, and
generated expressions in the notation students write, are read by both parsers as the
written child reads them (normalise.py, then the parser's own normalisation): wherever
fastlatex.py answers, `srepr` of its expression (nodes, their order, numbers, symbol names
and assumptions) must equal the full parser's, and it must never read what the full parser
refuses. It must also answer for most of them: a reader that always declined would pass
the rest."""
from __future__ import annotations

import random

import pytest
from sympy import srepr

import test_written_notations as notations
from conftest import ROOT
from grader.sandbox import written
from grader.sandbox.written import fastlatex
from grader.sandbox.written.answer import answers
from grader.sandbox.written.latex import _normaliser, latex_parser, read_side
from grader.sandbox.written.normalise import normalise


def _sides() -> list[str]:
    """Every answer side the notations' tests and the reference hand the parser."""
    bodies = [b for _, b in notations.CORRECT] + [w[1] for w in notations.WRONG]
    reference = (ROOT / "reference" / "answers.md").read_text()
    bodies += [s.body for s in written.sections(reference).values()]
    found = set()
    for body in bodies:
        try:
            maths = written.final_maths(body)
        except written.AnswerError:
            continue
        for math in maths:
            try:
                found |= set(answers(math))
            except written.AnswerError:  # refused before any parser reads it
                continue
    return sorted(found)


def _compare(sides: list[str]) -> tuple[int, list[str]]:
    """How many of `sides` fastlatex read, and where it differs from the full parser."""
    full, normalised = latex_parser(), _normaliser()
    assert normalised is not None  # else fastlatex is never used and nothing is tested
    read, differ = 0, []
    for side in sides:
        text = normalise(side)
        fast = fastlatex.parse(normalised(text))
        if fast is None:
            continue
        read += 1
        try:
            want = srepr(full(text))
        except Exception:  # noqa: BLE001 - any refusal of the full parser
            want = "refused"
        if srepr(fast) != want:
            differ.append(f"{side!r}: {srepr(fast)} != {want}")
    return read, differ


def test_every_notation_of_the_tests_reads_the_same():
    sides = _sides()
    read, differ = _compare(sides)
    assert differ == []
    assert len(sides) >= 60 and read >= 0.9 * len(sides)


def test_the_written_child_reads_the_same_either_way():
    full = latex_parser()
    for side in _sides():
        text = normalise(side)
        try:
            want = srepr(full(text))
        except Exception:  # noqa: BLE001
            with pytest.raises(Exception):
                read_side(text)
            continue
        assert srepr(read_side(text)) == want, side


LETTERS = list("abcdexyzNLKCdEIn") + [r"\alpha", r"\sigma", r"\pi", r"\hbar", r"\ell",
                                      r"\lambda", r"\beta", r"\Delta", r"\omega", r"\gamma",
                                      r"\Gamma"]
NUMBERS = ["1", "2", "3", "10", "0", "0.5", "2.25", "07", "12", ".5", "1.", "100", "1e-3"]
SUBSCRIPTS = ["x", "1", "{12}", "{ij}", "{i+1}", r"\ell", r"{\ell}", "{x}", "W", "{out}",
              "{i-1}", "0", r"{\pi}", r"\pi", "{x y}", "{2x}", r"\text{x}"]


class _Generator:
    """Random expressions of the constructs answers are made of, `depth` levels deep."""

    def __init__(self, seed: int, depth: int):
        self.r, self.depth = random.Random(seed), depth

    def atom(self, d: int) -> str:
        r = self.r
        if r.random() < 0.25:
            return r.choice(NUMBERS)
        s = r.choice(LETTERS)
        if r.random() < 0.3:
            s += "_" + r.choice(SUBSCRIPTS)
        if r.random() < 0.3:
            s += "^" + r.choice(["2", "{2}", "{-1}", "x", "{1/2}", "{" + self.expr(d + 1) + "}"])
        return s

    def factor(self, d: int) -> str:
        r, x = self.r.random(), lambda: self.expr(d + 1)
        if d > self.depth or r < 0.4:
            return self.atom(d)
        made = [(0.55, lambda: rf"\frac{{{x()}}}{{{x()}}}"), (0.62, lambda: rf"\sqrt{{{x()}}}"),
                (0.66, lambda: rf"\sqrt[{self.r.choice(['3', 'n', 'L'])}]{{{x()}}}"),
                (0.72, lambda: rf"\ln({x()})"), (0.76, lambda: rf"\exp({x()})"),
                (0.82, lambda: f"e^{{{x()}}}"),
                (0.92, lambda: f"({x()})" + self.r.choice(["", "", "^2", "^{3}", "^{L}"])),
                (1.01, lambda: rf"\left({x()}\right)")]
        return next(make for bound, make in made if r < bound)()

    def term(self, d: int) -> str:
        out = self.factor(d)
        for _ in range(self.r.choice([0, 0, 1, 1, 2])):
            out += self.r.choice([" ", "", r" \cdot ", " * ", "/", r" \times ", " / "])
            out += self.factor(d)
        return out

    def expr(self, d: int = 0) -> str:
        out = self.r.choice(["", "", "", "-"]) + self.term(d)
        for _ in range(self.r.choice([0, 0, 1, 2])):
            out += self.r.choice([" + ", " - ", "+", "-"]) + self.term(d)
        return out


@pytest.mark.slow
@pytest.mark.parametrize("seed, depth, n", [(1, 0, 600), (2, 1, 1200), (3, 3, 400)])
def test_generated_expressions_read_the_same(seed, depth, n):
    make = _Generator(seed, depth)
    read, differ = _compare([make.expr() for _ in range(n)])
    assert differ == []
    assert read >= n // 10  # enough of them in the common notation to mean something
