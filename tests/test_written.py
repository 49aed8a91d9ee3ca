"""Written answers (answers.md): sections, expression and index items, in many equivalent
forms and wrong ones, judged as code is (trials, tolerances, alternatives, mistakes)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import EXAMPLES, ROOT, run_grade
from fakes import grade_modules
from test_rubric_power import REFERENCE

from grader.sandbox import written

SYMBOLIC = ["p1a_answer", "p3a_answer", "p3b_answer", "p3c_answer", "p3d_answer"]
INDEX = ["p2b_equations", "p2c_equations", "p3e_equation"]


def _grade(rubric, text, item_id, seed=0):
    return grade_modules(rubric, dict(REFERENCE, answers=text), seed, only=(item_id,))[item_id]


def _section(part, body):
    return f"# My answers\n\nSome words first.\n\n## {part}\n\n{body}\n\n## 9z\n\nnot this\n"


# ---------------------------------------------------------------- sections and final math

def test_sections_by_heading_whatever_the_style():
    text = ("# Title\n## 1a\nfirst\n### my derivation\nstill 1a\n## 1B: why\nb\n"
            "```\n## 2a\n```\n### Problem 2c)\nc\n## 1a\nignored: the first 1a wins\n")
    found = written.sections(text)
    assert sorted(found) == ["1a", "1b", "2c"]
    assert "still 1a" in found["1a"].body and "ignored" not in found["1a"].body
    assert "## 2a" in found["1b"].body  # a heading inside a code block is text
    assert found["2c"].line == 11


@pytest.mark.parametrize("body, answer", [
    ("so $$\\sigma = \\frac{1}{d_x}$$ where $d_x$ is the width", "\\sigma = \\frac{1}{d_x}"),
    ("\\[ a = 1 \\] and then \\[ b = 2 \\]", "b = 2"),
    ("we find $x = 3$, hence $\\sigma = 1/d_x$.", "\\sigma = 1/d_x"),
    ("$$a$$ but $\\boxed{\\frac{1}{d_x}}$ and $$c$$", "\\frac{1}{d_x}"),
    ("`$$not math$$` in code, and $$real$$", "real"),
])
def test_the_final_math_of_a_section(body, answer):
    assert written.final_math(body) == answer


# ---------------------------------------------------------------- expression items

EQUIVALENT = {
    "p1a_answer": ["\\sigma = \\frac{1}{d_x}", "\\frac{1}{d_{x}}", "d_x^{-1}", "1/d_x",
                   "\\sigma = \\dfrac{2}{2 d_x}", "\\boxed{\\tfrac{1}{d_x}}",
                   "\\mathrm{Var}(W_{ij}) = \\sigma = \\frac{1}{d_x}.", "{1 \\over d_x}",
                   "\\sigma = \\frac1{d_x} \\text{ (a variance)}"],
    "p3a_answer": ["\\sigma^2_{\\ell+1} = \\sigma^2_\\ell (1 + N^2 C \\sigma_W)",
                   "\\sigma_\\ell^2 + N^2 C \\sigma_W \\sigma_\\ell^2",
                   "\\sigma^{2}_{\\ell}\\left(1+CN^{2}\\sigma_{w}\\right)",
                   "(1 + C \\cdot N^2 \\cdot \\sigma_W) \\times \\sigma^2_\\ell",
                   "\\Big(1 + N^2 C \\sigma_{\\mathrm{W}}\\Big) \\sigma_{\\ell}^{2}"],
    "p3b_answer": ["(1 + N^2 C \\sigma_W)^{\\ell}", "\\left(1+N^{2}C\\sigma_{W}\\right)^\\ell",
                   "e^{\\ell \\ln(1 + N^2 C \\sigma_W)}",
                   "\\exp\\left(\\ell \\log\\left(1 + N^2 C \\sigma_W\\right)\\right)",
                   "\\sigma^2_\\ell = \\prod_{k=1}^{\\ell} (1 + N^2 C \\sigma_W)"],
    "p3c_answer": ["\\sigma_W \\approx \\frac{\\ln 2}{N^2 C L}", "\\frac{\\log 2}{L N^2 C}",
                   "\\ln 2 / (N^2 C L)", "\\frac{2^{1/L} - 1}{N^2 C}",
                   "\\sigma_W = \\frac{\\sqrt[L]{2} - 1}{C N^2}",
                   "\\frac{0.5 \\ln 4}{N^{2} C L}", "{2^{1/L} - 1 \\over N^2 C}",
                   "\\frac{\\log_e 2}{N^2 C L} \\quad \\text{for large L}"],
    "p3d_answer": ["(1 + N^2 C \\sigma_W)^{L - \\ell}",
                   "\\frac{(1 + N^2 C \\sigma_W)^L}{(1 + N^2 C \\sigma_W)^\\ell}",
                   "\\mathrm{Var}(x^\\ell.\\mathrm{grad}) = (1+N^2C\\sigma_W)^{-\\ell+L}"],
}


@pytest.mark.parametrize("item_id, latex", [(i, f) for i, forms in EQUIVALENT.items()
                                            for f in forms])
def test_equivalent_forms_of_an_expression_pass(rubric, item_id, latex):
    part = rubric.item(item_id).section
    result = _grade(rubric, _section(part, f"It follows that\n$$ {latex} $$"), item_id)
    assert result.passed, result.failure


@pytest.mark.parametrize("item_id, latex, mistake", [
    ("p1a_answer", "\\frac{1}{\\sqrt{d_x}}", "p1a_std"),
    ("p1a_answer", "\\sigma = 2 / d_x", "p1a_he"),
    ("p3a_answer", "\\sigma^2_\\ell (1 + N C \\sigma_W)", "p3a_n_not_squared"),
    ("p3a_answer", "N^2 C \\sigma_W \\sigma^2_\\ell", "p3a_no_residual"),
    ("p3b_answer", "1 + \\ell N^2 C \\sigma_W", "p3b_first_order"),
    ("p3c_answer", "\\frac{\\ln 2}{N^2 C}", "p3c_no_l"),
    ("p3d_answer", "(1 + N^2 C \\sigma_W)^{\\ell}", "p3d_ell"),
])
def test_a_declared_mistake_written_as_math_is_named(rubric, item_id, latex, mistake):
    _assert_named(rubric, item_id, f"$${latex}$$", mistake)


def _assert_named(rubric, item_id, body, mistake):
    """The answer `body` in the item's section fails, and the declared mistake is named."""
    result = _grade(rubric, _section(rubric.item(item_id).section, body), item_id)
    assert not result.passed
    assert result.diagnosis is not None and result.diagnosis.id == mistake


@pytest.mark.parametrize("item_id, latex", [
    ("p1a_answer", "\\frac{1}{d_x + 1}"), ("p3b_answer", "(1 + N^2 C \\sigma_W)^{\\ell + 1}"),
    ("p3c_answer", "\\frac{\\ln 3}{N^2 C L}"), ("p3d_answer", "(1 + N C \\sigma_W)^{L}"),
])
def test_wrong_expressions_fail(rubric, item_id, latex):
    part = rubric.item(item_id).section
    assert not _grade(rubric, _section(part, f"$${latex}$$"), item_id).passed


@pytest.mark.parametrize("latex, words", [
    ("\\frac{1}{d_x", "a brace is not closed"),
    ("\\frac{1}{d_x}}", "closes none that was opened"),
    ("\\frac{\\alpha}{d_x}", "uses `\\alpha`, which the question does not define"),
    ("\\left(1 / d_x", "\\left but"),
    ("1 / d_x +", "could not read `1 / d_x +`"),
])
def test_an_unreadable_answer_says_where(rubric, latex, words):
    result = _grade(rubric, _section("1a", f"$${latex}$$"), "p1a_answer")
    assert not result.passed and result.failure.kind == "unreadable"
    assert words in result.failure.summary and "## 1a" in result.failure.summary


def test_no_section_no_math_and_no_file_are_said_so(rubric):
    no_section = _grade(rubric, "## 1b\n$$x$$", "p1a_answer").failure
    assert no_section.kind == "missing" and "no section `## 1a` (it has 1b)" in no_section.summary
    no_math = _grade(rubric, "## 1a\nsigma is one over d_x", "p1a_answer").failure
    assert "has no math" in no_math.summary


# ---------------------------------------------------------------- index items

FORWARD = """
f[b, i] = sigmoid(sum[j](x[b, j] * Wfx[i, j]) + sum[k](h[b, k] * Wfh[i, k]) + bf[i])
d[b, i] = tanh(sum[j](x[b, j] * Wdx[i, j]) + sum[k](h[b, k] * Wdh[i, k]) + bd[i])
h_next[b, i] = f[b, i] * h[b, i] + (1 - f[b, i]) * d[b, i]
"""
EQUATIONS = {
    "p2b_equations": [
        FORWARD,
        FORWARD.replace("[b, i]", "[n, u]").replace("[i, j]", "[u, j]").replace(
            "[i, k]", "[u, k]").replace("[b, j]", "[n, j]").replace("[b, k]", "[n, k]")
        .replace("bf[i]", "bf[u]").replace("bd[i]", "bd[u]"),
        # pre-activations as arrays of their own, exp written out, in another order
        "a[b, i] = sum[j](Wfx[i, j] * x[b, j]) + sum[j](Wfh[i, j] * h[b, j]) + bf[i]\n"
        "c[b, i] = sum[j](Wdx[i, j] * x[b, j]) + sum[j](Wdh[i, j] * h[b, j]) + bd[i]\n"
        "d[b, i] = (exp(c[b, i]) - exp(-c[b, i])) / (exp(c[b, i]) + exp(-c[b, i]))\n"
        "f[b, i] = 1 / (1 + exp(-a[b, i]))\n"
        "h_next[b, i] = d[b, i] + f[b, i] * (h[b, i] - d[b, i])  # the same, regrouped\n",
    ],
    "p2c_equations": [
        "f_grad[b, i] += h_next_grad[b, i] * (h[b, i] - d[b, i])\n"
        "h_grad[b, i] += h_next_grad[b, i] * f[b, i]\n"
        "d_grad[b, i] += h_next_grad[b, i] * (1 - f[b, i])",
        "d_grad[b,i] += h_next_grad[b,i] - f[b,i]*h_next_grad[b,i]\n"
        "h_grad[b,i] += f[b,i] · h_next_grad[b,i]\n"
        "f_grad[b,i] -= h_next_grad[b,i] * (d[b,i] - h[b,i])",
    ],
    "p3e_equation": [
        "W_grad[o, c, p, q] = sum[b, i, j](xL_grad[b, o, i, j] * x0[b, c, i + p - N // 2, "
        "j + q - N // 2])",
        # the other way round: the input pixel moves, the gradient is shifted back
        "W_grad[o, c, p, q] = Σ[b, y, z](x0[b, c, y, z] * xL_grad[b, o, y - p + N // 2, "
        "z - q + N // 2])",
    ],
}


@pytest.mark.parametrize("item_id, code", [(i, c) for i, cs in EQUATIONS.items() for c in cs])
def test_equivalent_index_equations_pass(rubric, item_id, code):
    part = rubric.item(item_id).section
    for seed in (0, 1):
        result = _grade(rubric, _section(part, f"```\n{code}\n```"), item_id, seed)
        assert result.passed, result.failure


@pytest.mark.parametrize("item_id, code, mistake", [
    ("p2c_equations", "f_grad[b, i] = h_next_grad[b, i] * (h[b, i] - d[b, i])\n"
                      "h_grad[b, i] = h_next_grad[b, i] * f[b, i]\n"
                      "d_grad[b, i] = h_next_grad[b, i] * (1 - f[b, i])", "p2c_overwrite"),
    ("p2c_equations", "f_grad[b, i] += h_next_grad[b, i] * (h[b, i] - d[b, i])\n"
                      "h_grad[b, i] += h_next_grad[b, i] * (1 - f[b, i])\n"
                      "d_grad[b, i] += h_next_grad[b, i] * f[b, i]", "p2c_gate_swapped"),
    ("p3e_equation", "W_grad[o, c, p, q] = sum[b, i, j](xL_grad[b, o, i, j] * "
                     "x0[b, c, i - p + N // 2, j - q + N // 2])", "p3e_flipped_kernel"),
    ("p3e_equation", "W_grad[o, c, p, q] = sum[b, i, j](xL_grad[b, c, i, j] * "
                     "x0[b, o, i + p - N // 2, j + q - N // 2])", "p3e_channels_swapped"),
    ("p2b_equations", FORWARD.replace("(1 - f[b, i]) * d", "f[b, i] * d").replace(
        "f[b, i] * h[b, i]", "(1 - f[b, i]) * h[b, i]"), "p2b_gate_swapped"),
])
def test_a_declared_mistake_in_index_equations_is_named(rubric, item_id, code, mistake):
    _assert_named(rubric, item_id, f"```index\n{code}\n```", mistake)


@pytest.mark.parametrize("code, words", [
    ("f_grad[b, i] += h_next_grad[b, i] (h[b, i] - d[b, i])", "multiplication needs `*`"),
    ("f_grad[b, i] += h_next_grad[b, i] * (h[b, i] - d[b, i]", "could not read line 8 of answers.md"),
    ("f_grad[b, i] += hnext[b, i]", "`hnext` is neither an input"),
    ("import os", "is not an equation"),
    ("f_grad[b, i] += f[b, i, j]", "has 2 axes but is indexed with 3"),
    ("f_grad[b, i] += f[b, q]", "`q` is neither an input, an index"),
    ("f_grad[b, i] += sum[q](f[b, i])", "cannot tell what `q` runs over"),
    ("f_grad[b, i] += __import__('os').system('true')", "is not arithmetic"),
    ("f_grad[b, i] += open(h[b, i])", "not one of the functions"),
])
def test_unreadable_equations_say_where(rubric, code, words):
    result = _grade(rubric, _section("2c", f"```\n{code}\n```"), "p2c_equations")
    assert not result.passed and result.failure.kind == "unreadable", result.failure
    assert words in result.failure.summary, result.failure.summary


def test_the_equations_must_define_every_target(rubric):
    code = "f[b, i] = sigmoid(bf[i] + 0 * x[b, 0])"
    result = _grade(rubric, _section("2b", f"```\n{code}\n```"), "p2b_equations")
    assert "do not define `h_next`, `d`" in result.failure.summary


def test_out_of_range_reads_are_zero_padding():
    eqs = written.parse_equations("y[i] = x[i - 1] + x[i + 1]")
    import numpy as np

    fn = written.index_function(eqs, ["x"], ["y"], False)
    assert fn(np.array([1.0, 2.0, 3.0]), shapes={"y": [3]}).tolist() == [2.0, 4.0, 2.0]


def test_reads_in_any_axis_order_are_the_arrays_own_values():
    """An array read with plain indices is the array itself placed on the index grid, in
    whatever order its indices come; reads with offsets go through the padded path. Both
    agree with numpy, on every call of the same function."""
    import numpy as np

    eqs = written.parse_equations("y[b, i] = sum[j](a[j, i] * x[b, j]) + t[i, b, i - i]\n"
                                  "z[i, b] = y[b, i] * x[b, i + 0]")
    fn = written.index_function(eqs, ["a", "x", "t"], ["y", "z"], False)
    rng = np.random.default_rng(1)
    for b, n in ((2, 3), (4, 3), (1, 5)):
        a, x, t = rng.random((n, n)), rng.random((b, n)), rng.random((n, b, 1))
        y, z = fn(a, x, t, shapes={})
        assert np.allclose(y, x @ a + t[:, :, 0].T)
        assert np.allclose(z, (y * x).T)


# ---------------------------------------------------------------- in the real sandbox

def test_written_answers_are_read_in_the_sandbox_never_here(rubric, tmp_path):
    """The example submission with answers.md through the whole pipeline: expressions and
    equations pass, manual items wait for a TA, and no LaTeX parser entered this process."""
    out = tmp_path / "out"
    script = ("import sys\nfrom pathlib import Path\nfrom grader import pipeline\n"
              "from grader.rubric.model import load_rubric\n"
              "from grader.sandbox.process import SubprocessSandbox\n"
              f"r = pipeline.grade(pipeline.Request(Path({str(EXAMPLES / 'alice')!r}), "
              f"Path({str(out)!r}), load_rubric({str(rubric.path)!r})), SubprocessSandbox())\n"
              "print(sorted(m for m in sys.modules if 'sympy' in m or 'antlr' in m))\n"
              "print(' '.join(i.item.id for i in r.items if i.passed))\nprint(r.pending)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    parsers, passed, pending = proc.stdout.splitlines()
    assert parsers == "[]"  # no LaTeX parser entered the grader's own process
    assert set(SYMBOLIC + INDEX) <= set(passed.split()), passed
    assert pending == "('p1a_derivation', 'p1b_explanation', 'p3e_explanation')"
    assert (out / "written" / "answers.md").read_text() == (EXAMPLES / "alice" / "answers.md").read_text()
    data = json.loads((out / "results.json").read_text())
    waiting = [t for t in data["tests"] if t["extra_data"].get("manual") == "pending"]
    assert len(waiting) == 3 and all(t["score"] == 0 for t in waiting)
    assert ("Waiting for a TA: 1a (written): derivation; 1b (written): why the ReLU changes "
            "the variance; 3e (written): the limit with a ReLU (not in") in data["output"]
    assert "waits for a TA" in (out / "report.html").read_text()


def test_hostile_math_is_contained_by_the_call_limits(tmp_path):
    """A tower of powers, and an equation over a billion index combinations: each costs its
    own item, within the time limit, and the rest of the submission is graded."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "answers.md").write_text(
        "## 1a\n$$10^{10^{10^{10^{10}}}}$$\n"
        "## 3b\n$$(1 + N^2 C \\sigma_W)^{\\ell} + 0 \\cdot 99^{99^{99^{99}}}$$\n"
        "## 2c\n```\nf_grad[b, i] += sum[p, q, r, s, t](h[b, i] + 0 * f[p, q] * d[r, s] * h[t, p])\n```\n"
        "## 3a\n$$\\sigma^2_\\ell (1 + N^2 C \\sigma_W)$$\n")
    (sub / "problem1.py").write_text("def init_variance(d_x):\n    return 1 / d_x\n")
    proc, results = run_grade(sub, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    by = {t["extra_data"]["item"]: t for t in results["tests"]}
    assert by["p1a"]["score"] == 1 and by["p3a_answer"]["score"] == 1
    for item in ("p1a_answer", "p2c_equations"):
        assert by[item]["score"] == 0
    assert results["execution_time"] < 120


def test_a_package_of_the_students_cannot_stand_in_for_the_parser(tmp_path):
    """The child that reads answers.md does not put the submission on sys.path: a
    `latex2sympy2_extended` package in it that would answer every item is never imported."""
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLES / "alice", sub)
    (sub / "answers.md").write_text("".join(f"## {p}\n\n" for p in
                                            ("1a", "2b", "2c", "3a", "3b", "3c", "3d", "3e")))
    fake = sub / "latex2sympy2_extended"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "import sys\nw = sys.modules.get('_grader_written')\n"
        "if w:\n    w.WrittenAnswers.function = lambda self, spec: (lambda *a: 0.0)\n")
    proc, results = run_grade(sub, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    written = [t for t in results["tests"] if t["extra_data"]["kind"] in ("expression", "index")]
    assert written and all(t["score"] == 0 for t in written)
    assert results["score"] == 18  # the code, and nothing for empty sections
