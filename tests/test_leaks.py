"""What gives a right answer away (issue 19, item 2): the text of a reference answer, an
answer's constant, or math that is an answer up to a factor or power of other inputs,
as LaTeX or as the plain text the kit prints; and what does not (the shipped rubric's
own messages, which say what is wrong without the answer)."""
from __future__ import annotations

import pytest

from grader.leaks import Detector
from grader.leaks.mathtext import math_pieces, rounds_to
from grader.display.plaintext import to_plain
from grader.rubric.references import References


@pytest.fixture(scope="module")
def detector(rubric) -> Detector:
    return Detector(rubric, References(rubric.reference_dir))


GIVE_AWAY = [
    # the three messages of the attack, as the rubric had them, and as the kit printed them
    ("The sign is flipped: $\\partial h_{t+1} / \\partial f = h - d$.", "p2c_f"),
    ("The sign is flipped: ∂h_t+1/∂f = h − d.", "p2c_f"),
    ("You used the first-order expansion $1 + \\ell N^2 C \\sigma_W$; the variance "
     "multiplies by $(1 + N^2 C \\sigma_W)$ at every layer.", "p3"),
    ("Solving $(1 + N^2 C \\sigma_W)^L = 2$ gives $\\ln 2$ (or $2^{1/L} - 1$), not 1.", "p3"),
    ("Solving gives ln2 (or 2^1/L − 1), not 1.", "p3c"),
    # the answers in other forms
    ("The variance is $d_x^{-1}$.", "p1a"),
    ("Return $\\sigma = \\frac{1}{d_x}$.", "p1a"),
    ("Use 1/d_x here.", "p1a"),
    ("It is $\\frac{\\log 2}{N^2 C L}$ for large $L$.", "p3c"),
    ("Hard-code 0.6931 where you need it.", "p3c"),
    ("The gradient reads `f_grad[b, i] += h_next_grad[b, i] * (h[b, i] - d[b, i])`.",
     "p2c_equations"),
    ("Its exponent: $(1 + N^2 C \\sigma_W)^{L - \\ell}$.", "p3d"),
    ("The factor $\\frac{2\\pi}{\\pi - 1}$ is missing.", "p1b_exact"),
]


@pytest.mark.parametrize("text, item", GIVE_AWAY)
def test_a_text_that_gives_an_answer_away_is_flagged(detector, text, item):
    leak = detector.leak(text)
    assert leak is not None, text
    assert leak.item.startswith(item), leak.text()


KEEP = [
    "You returned He's $2/d_x$, which is meant for a ReLU after the layer.",
    "Each output sums over an $N \\times N$ window: the factor is $N^2$, not $N$.",
    "You multiplied by the sigmoid's derivative $f(1 - f)$: `f_grad` is the gradient "
    "with respect to $f$ itself.",
    "The exponent is off by one: $\\sigma^2_0 = 1$, so after $\\ell$ layers the factor "
    "appears $\\ell$ times.",
    "Kernels of $1 \\times 1$ ($N = 1$), $d_x \\ne d_h$, a constant rounded to 3.14 for "
    "$\\pi$, and $u = Wx + b$.",
    "For example `$$y = \\frac{1}{2a}$$`, or `C[i, k] = sum[j](A[i, j] * B[j, k])`.",
]


@pytest.mark.parametrize("text", KEEP)
def test_a_text_that_says_what_is_wrong_is_not_flagged(detector, text):
    assert detector.leak(text) is None, detector.leak(text).text()


def test_no_text_of_the_shipped_rubric_gives_an_answer_away(detector, rubric):
    for item in rubric.items:
        for text in (item.title, item.description, item.hint,
                     *(m.message for m in item.mistakes)):
            for form in (text, to_plain(text)):
                leak = detector.leak(form) if form else None
                assert leak is None, (item.id, leak.text())


def test_the_answers_and_their_constants_are_found(detector):
    found = {(item, latex) for item, latex, _ in detector.expressions}
    assert ("p1a", "\\dfrac{1}{d_x}") in found
    assert ("p3c", "\\frac{\\ln 2}{L N^2 C}") in found and \
        ("p3c", "\\frac{2^{1/L} - 1}{N^2 C}") in found
    assert detector.constants == pytest.approx({"p1b_exact": 2.933884413848520,
                                                "p3c": 0.6931471805599453})


def test_plain_math_is_read_and_numbers_are_matched_to_their_digits():
    assert "h - d" in math_pieces("the sign: ∂h/∂f = h − d.")[0]
    assert math_pieces("it was *really* a good try - no math here") == []
    assert rounds_to("0.6931", 0.6931471805599453) and rounds_to("0.693147", 0.69314718)
    assert not rounds_to("0.6932", 0.6931471805599453) and not rounds_to("0.69", 0.6931)
