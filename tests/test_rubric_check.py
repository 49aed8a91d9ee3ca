"""`grade rubric check` and `grade explain`: broken rubrics refused or warned about at the
right line; the shipped rubric passes its own self-test."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import GRADE, ROOT

pytestmark = pytest.mark.slow


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def copy(tmp_path):
    """A copy of the shipped rubric, references and handout to break."""
    for folder in ("rubrics", "reference", "docs"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path / "rubrics" / "highways.yaml"


def _check(path, *args):
    return subprocess.run([*GRADE, "rubric", "check", str(path), "--seeds", "20", *args],
                          capture_output=True, text=True, cwd=ROOT)


def _edit(path, old, new, count=1):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))
    return path.read_text()


def test_the_shipped_rubric_passes(copy):
    proc = _check(copy, "-v")
    assert proc.returncode == 0, proc.stdout
    assert "0 errors, 0 warnings; self-test passed" in proc.stdout
    assert "p1a: p1a_std caught and named on all 20 seeds" in proc.stdout


CASES = [
    # (old, new, the line to point at, expected message, error or warning)
    ("    reference: problem1.init_variance\n", "    reference: problem1.init_varianse\n",
     "problem1.init_varianse", "did you mean problem1.init_variance?", "error"),
    ("mistakes.p3e_batch0\n", "mistakes.p3e_batch_zero\n", "p3e_batch_zero",
     "has no 'p3e_batch_zero' (did you mean mistakes.p3e_batch", "error"),
    ("student: problem1.init_variance", "student: problem1.init_varience",
     "init_varience", "init_varience is not named in handout.md", "error"),
    ("      W: {int: [2, 8]}", "      W: {int: [8, 2]}", "W: {int: [8, 2]}",
     "cannot draw the inputs: W: int range [8, 2] is empty", "error"),
    ("      W: {int: [2, 8]}", "      W: {int: [2, 8], lgo: true}", "lgo: true",
     "unknown field 'lgo' (did you mean 'log'?)", "error"),
    ("    atol: 1.0e-4\n", "    atol: 0\n    rtol: 0\n", "id: p3e",
     "a float32 port of the reference does not score full marks", "error"),
    ("    rtol: 1.0e-6        # ten times what float32 loses here\n", "    rtol: 1.0e+9\n",
     "reference: mistakes.p1a_std", "p1a_std: never loses its item", "error"),
    ("    rtol: 1.0e-6        # ten times what float32 loses here\n", "    rtol: 1.0e-3\n",
     "rtol: 1.0e-3", "items[0].rtol: 0.001 is", "warning"),
    ("student: problem1.init_variance", "student: problem9.init_variance",
     "problem9.init_variance", "the module problem9.py is not named in handout.md", "error"),
    ("student: problem1.init_variance", "student: problem1.init_var",
     "problem1.init_var", "init_var is not named in handout.md", "error"),
    ("total_points: 32", "total_points: 17", "total_points: 17",
     "total_points: the items add up to 32 points, total_points says 17", "error"),
    ("  timeout: 5         # seconds per call", "  timeout: -5", "timeout: -5",
     "defaults.timeout: -5: Input should be greater than 0", "error"),
    ("  visibility: visible\n", "  visibility: [visible\n", "visibility: [visible",
     "not valid YAML", "error"),
    # issue 19: a message that states the answer must not reach a student
    ("        message: >-\n          The sign is flipped: look again at which of $h$ and $d$ "
     "the gate $f$ multiplies\n          when you differentiate $h_{t+1}$ with respect to $f$.\n",
     "        message: \"The sign is flipped: $\\\\partial h_{t+1} / \\\\partial f = h - d$.\"\n",
     "The sign is flipped: $", "mistakes[1].message: gives the answer away: `h - d` is the "
     "answer times h_next_grad^-1 of p2c_f", "error"),
    ("(exact or for large $L$).\"", "(about 0.6931 / (L N^2 C)).\"", "about 0.6931",
     "description: gives the answer away: `0.6931` is 0.693147, a constant of the answer "
     "of p3c", "warning"),  # a statement may define what it asks for: warned, not refused
]


@pytest.mark.parametrize("old, new, anchor, message, level", CASES,
                         ids=[c[3][:40] for c in CASES])
def test_broken_rubrics_are_refused_or_warned_at_the_line(copy, old, new, anchor, message, level):
    text = _edit(copy, old, new)
    proc = _check(copy)
    lines = [line for line in proc.stdout.splitlines() if message in line]
    assert lines, proc.stdout
    assert lines[0].startswith(f"{level}: {copy}:{_line(text, anchor)}:"), (lines[0], proc.stdout)
    assert proc.returncode == (4 if level == "error" else 0)


def test_a_mistake_that_slips_through_on_some_seeds_is_warned_about(copy):
    """A mistake wrong only in a middle band of a wide input (d_x of 10 to 30, one draw in
    ten) is met on some seeds only: more trials or an edge case would catch it."""
    mistakes = copy.parent.parent / "reference" / "mistakes.py"
    mistakes.write_text(mistakes.read_text() + "\n\ndef p1a_middle(d_x):\n"
                        "    return 2.0 / d_x if 10 <= d_x <= 30 else 1.0 / d_x\n")
    text = _edit(copy, "      - reference: mistakes.p1a_he\n",
                 "      - reference: mistakes.p1a_middle\n        message: in the middle\n"
                 "      - reference: mistakes.p1a_he\n")
    proc = _check(copy)
    assert f"warning: {copy}:{_line(text, 'mistakes.p1a_middle')}: items[0].mistakes[1]: " \
           "p1a_middle: passes p1a on" in proc.stdout, proc.stdout


def test_too_few_trials_for_a_small_input_get_what_they_need(copy):
    """Two trials for d_x in 1 to 3 let p1a_std (right for d_x = 1) through on a third of
    the seeds; now every d_x is met, whatever `trials` says, and it never slips."""
    _edit(copy, "      d_x: {int: [1, 100000], log: true}\n    edge_cases: &p1a_edges\n"
          "      - {d_x: 1}\n      - {d_x: 2}\n      - {d_x: 100000}\n",
          "      d_x: {int: [1, 3]}\n    trials: 2\n    edge_cases: &p1a_edges\n"
          "      - {d_x: 1}\n")
    proc = _check(copy, "-v")
    assert "p1a: p1a_std caught and named on all 20 seeds" in proc.stdout, proc.stdout


def test_a_handout_that_gives_an_answer_as_its_example_is_warned_about(copy):
    handout = copy.parent.parent / "docs" / "handout.md"
    text = _edit(handout, "Derivation, then the final answer:\n$$\\sigma = ...$$",
                 "Derivation, then the final answer:\n$$\\sigma = \\frac{1}{d_x}$$")
    proc = _check(copy)
    assert f"warning: {handout.resolve()}:{_line(text, 'frac{1}{d_x}')}: gives the answer " \
           "away: `\\frac{1}{d_x}` is the answer of p1a" in proc.stdout, proc.stdout


def test_a_bad_default_is_one_problem_and_paths_are_as_given(copy):
    _edit(copy, "  timeout: 5         # seconds per call", "  timeout: -5")
    _edit(copy, "    reference: problem1.init_variance\n", "    reference: problem1.nope\n")
    proc = subprocess.run([*GRADE, "rubric", "check", "rubrics/highways.yaml"],
                          capture_output=True, text=True, cwd=copy.parent.parent)
    problems = [line for line in proc.stdout.splitlines() if line.startswith("error: ")]
    assert len(problems) == 1 and "defaults.timeout" in problems[0], proc.stdout
    _edit(copy, "  timeout: -5", "  timeout: 5")
    proc = subprocess.run([*GRADE, "rubric", "check", "rubrics/highways.yaml"],
                          capture_output=True, text=True, cwd=copy.parent.parent)
    problems = [line for line in proc.stdout.splitlines() if line.startswith("error: ")]
    assert problems and all(p.startswith("error: rubrics/highways.yaml:") for p in problems), \
        proc.stdout
    assert "<unicode string>" not in proc.stdout


def test_a_mistake_equal_to_the_right_answer_is_an_error(copy):
    mistakes = copy.parent.parent / "reference" / "mistakes.py"
    mistakes.write_text(mistakes.read_text() + "\n\ndef p1a_same(d_x):\n    return 1.0 / d_x\n")
    text = _edit(copy, "      - reference: mistakes.p1a_he\n",
                 "      - reference: mistakes.p1a_same\n        message: same\n"
                 "      - reference: mistakes.p1a_he\n")
    proc = _check(copy)
    assert f"{copy}:{_line(text, 'mistakes.p1a_same')}: items[0].mistakes[1]: p1a_same: " \
           "never loses its item: the checks cannot tell it from a right answer" in proc.stdout


def test_explain_answers_a_regrade_request():
    proc = subprocess.run([*GRADE, "explain", "p3e", "--seed", "5"], capture_output=True,
                          text=True, cwd=ROOT)
    out = proc.stdout
    assert proc.returncode == 0
    for text in ("problem3.weight_grad_limit", "0.0001 + 0.0001 * |expected|", "10 s per call",
                 "x0           float64 array [B, C, H, W]", "N            integer in [1, 5], odd",
                 "p3e_flipped_kernel", "conv2d` is a cross-correlation", "trials for --seed 5:",
                 "1 (edge): B=1, C=1"):
        assert text in out, text
