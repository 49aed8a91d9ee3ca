"""Written answers as students really write them: every correct notation gets full marks,
no wrong one gains any, and each refusal says what to write (issue 22).

The notations come from how students type math: Markdown editors (VS Code, Typora,
Obsidian: `$...$`, `$$...$$`), Jupyter (bare `\\begin{align}`), Overleaf habits (`align*`,
`\\tag`, `\\label`, `%` comments, `\\dfrac`, `\\left(`), GitHub and GitLab (```math, $`...`$),
Gradescope (`$$$...$$$`), PrairieLearn-style symbolic input (`ln(2)`, `2^(1/L)`, `*`) and
phone keyboards (σ, ℓ, ², ₓ, ·, −, ≈). Each answer goes through the real path: section,
extraction, parsing, the item's trials and its judge (tests/fakes.py runs the sandbox's
own WrittenAnswers in process; test_notations_in_the_real_sandbox runs `grade`)."""
from __future__ import annotations

import json

import pytest
from conftest import run_grade
from fakes import grade_modules
from test_rubric_power import REFERENCE

FENCE = "```"


def _grade(rubric, item_id, body, seed=0):
    part = rubric.item(item_id).section
    text = f"# Written answers\n\nIntro $x$.\n\n## {part}\n\n{body}\n\n## 9z\n\n$$1$$\n"
    return grade_modules(rubric, dict(REFERENCE, answers=text), seed, only=(item_id,))[item_id]


# ---------------------------------------------------------------- right answers, full marks

CORRECT = [
    # 1a: sigma = 1 / d_x
    ("p1a_answer", r"$$\sigma = \frac{1}{d_x}$$"),
    ("p1a_answer", r"\[ \sigma = \dfrac{1}{d_x} \]"),
    ("p1a_answer", r"so \( \sigma = \frac{1}{d_x} \)."),
    ("p1a_answer", r"Thus $\sigma = 1/d_x$."),
    ("p1a_answer", "$$\\begin{aligned}\n\\mathrm{Var}(u_i) &= d_x \\sigma = 1 \\\\\n"
                   "\\sigma &= \\frac{1}{d_x}\n\\end{aligned}$$"),
    ("p1a_answer", "\\begin{equation}\n  \\sigma = \\frac{1}{d_x} \\label{eq:1a}\n\\end{equation}"),
    ("p1a_answer", r"$$\sigma = \frac{1}{d_x} \tag{1}$$"),
    ("p1a_answer", r"$$\sigma = d_x^{-1}.$$"),
    ("p1a_answer", f"{FENCE}math\n\\sigma = \\frac{{1}}{{d_x}}\n{FENCE}"),
    ("p1a_answer", r"$$$\sigma = \frac{1}{d_x}$$$"),
    ("p1a_answer", r"The answer is $`\sigma = \frac{1}{d_x}`$."),
    ("p1a_answer", "$$σ = 1/dₓ$$"),
    ("p1a_answer", "Setting it to one:\n\nσ = 1/d_x"),
    ("p1a_answer", r"$$\sigma=\frac{1}{d_{\text{x}}}$$"),
    ("p1a_answer", r"$$\sigma = \frac{1}{d_x} \quad \text{(the variance, not the std)}$$"),
    ("p1a_answer", "> $$\n> \\sigma = \\frac{1}{d_x}\n> $$"),
    ("p1a_answer", r"$$\sigma = \frac{1}{d\_x}$$"),
    ("p1a_answer", r"$$\boxed{\sigma = \frac{1}{d_x}}$$ which makes $\mathrm{Var}(u_i) = 1$."),
    ("p1a_answer", r"$$\sigma = \frac{1}{d_x} \qquad \text{where } d_x \text{ is the width}$$"),
    ("p1a_answer", "\\begin{align*}\n  d_x \\sigma &= 1 \\\\\n"
                   "  \\implies \\sigma &= \\frac{1}{d_x} % unit variance\n\\end{align*}"),
    ("p1a_answer", r"$$ \sigma = \frac{1}{d_x}, \quad d_x \ge 1 $$"),
    ("p1a_answer", r"$$d_x\sigma = 1 \implies \sigma = \frac1{d_x}$$"),
    ("p1a_answer", r"$$\operatorname{Var}(u_i)=\sum_{j=1}^{d_x}\operatorname{Var}(W_{ij})"
                   r"\operatorname{Var}(x_j)=d_x\sigma\overset{!}{=}1\quad\Longrightarrow\quad"
                   r"\sigma=\frac{1}{d_x}$$"),
    ("p1a_answer", r"$$d_x \sigma = 1, \quad \text{hence} \quad \sigma = \frac{1}{d_x}$$"),
    ("p1a_answer", r"$$\sum_j \mathrm{Var}(W_{ij} x_j) = d_x \sigma = 1, \quad \sigma = \frac{1}{d_x}$$"),
    ("p3b_answer", r"$$\sigma^2_\ell = (1 + N^2 C \sigma_W)^\ell, \quad \ell = 0, 1, \dots, L$$"),
    ("p3a_answer", r"$$\sigma^2_{\ell+1} = \sigma^2_\ell (1 + N^2 C \sigma_W), \qquad \sigma^2_0 = 1$$"),
    ("p3a_answer", "\\begin{aligned}\n\\sigma^2_{\\ell+1} &= \\sigma^2_\\ell (1 + N^2 C \\sigma_W) "
                   "\\\\\n\\sigma^2_0 &= 1\n\\end{aligned}"),
    ("p1a_answer", r"$$\sigma = \frac{1}{d_x} \text{ or equivalently } d_x^{-1}$$"),
    ("p1a_answer", r"$$\sigma \stackrel{!}{=} \frac{1}{d_x} \qquad \blacksquare$$"),
    ("p1a_answer", r"$$\sigma \triangleq \frac{1}{d_x} \;\; \checkmark$$"),
    ("p1a_answer", r"$$\sigma = 1 / d_x \text{ (He init would be } 2/d_x\text{)}$$"),
    ("p1a_answer", r"$$d_x\sigma = 1 \text{ so that } \sigma = \frac{1}{d_x}$$"),
    ("p1a_answer", r"$$\sigma = \frac{1}{d_x} \implies \text{unit variance}$$"),
    ("p1a_answer", r"$$\begin{array}{rcl} d_x \sigma & = & 1 \\ \sigma & = & \frac{1}{d_x} \end{array}$$"),
    ("p1a_answer", r"$$\begin{eqnarray} \sigma &=& \frac{1}{d_x} \end{eqnarray}$$"),
    ("p1a_answer", r"$$\sigma = \frac{1}{d_x} \\$$"),
    # 3a: var_prev (1 + N^2 C sigma_W)
    ("p3a_answer", r"$$\sigma^2_{\ell+1} = \sigma^2_\ell\,(1 + N^2 C \sigma_W)$$"),
    ("p3a_answer", "$$\\begin{aligned} \\sigma^2_{\\ell+1} &= \\sigma^2_\\ell + N^2 C "
                   "\\sigma_W \\sigma^2_\\ell \\\\ &= \\sigma^2_\\ell (1 + N^2 C \\sigma_W) "
                   "\\end{aligned}$$"),
    ("p3a_answer", r"$$\sigma_{\ell+1}^2 = \sigma_\ell^2 \left(1 + N^2 C \sigma_{\text{W}}\right)$$"),
    ("p3a_answer", "$$σ²_{ℓ+1} = σ²_ℓ · (1 + N²·C·σ_W)$$"),
    ("p3a_answer", r"$$\sigma_{\ell+1}^{2}=\sigma_{\ell}^{2}+N^{2}C\sigma_{W}\sigma_{\ell}^{2}$$"),
    ("p3a_answer", "\\begin{align}\n\\sigma^2_{\\ell+1} &= \\sigma^2_\\ell + \\sum_{c,p,q} "
                   "\\mathrm{Var}(W x) \\nonumber \\\\\n&= \\sigma^2_\\ell (1 + N^2 C \\sigma_W)"
                   "\n\\end{align}"),
    ("p3a_answer", r"$$\sigma^2_{\ell+1} = (1 + C N^2 \sigma_w)\,\sigma^2_{l}$$"),
    ("p3a_answer", r"$$\sigma^2_{\ell + 1} = \sigma^2_\ell \cdot (1 + N^2 \cdot C \cdot \sigma_{\mathrm W})$$"),
    ("p3a_answer", r"\[\sigma^2_{\ell+1} = \sigma^2_\ell(1+N^2C\sigma_{\rm W})\]"),
    ("p3a_answer", r"$$\sigma^2_{\ell+1} = \sigma^2_\ell (1 + N^2 C \sigma_W) \quad "
                   r"\text{(the residual adds } \sigma^2_\ell \text{)}$$"),
    ("p3a_answer", r"$$\sigma_{\ell+1}^2 = \sigma_\ell^2 + N^2 C\, \sigma_W\, \sigma_\ell^2 = "
                   r"\sigma_\ell^2 (1 + N^2 C \sigma_W).$$"),
    ("p3a_answer", "$$\\begin{equation}\\begin{split}\n\\sigma^2_{\\ell+1} &= \\sigma^2_\\ell + "
                   "N^2 C \\sigma_W \\sigma^2_\\ell \\\\\n&= \\sigma^2_\\ell(1 + N^2 C \\sigma_W)"
                   "\n\\end{split}\\end{equation}$$"),
    ("p3a_answer", r"$$\sigma^2_{\ell+1} = \sigma^2_\ell\left[1 + N^2 C \sigma_W\right]$$"),
    ("p3a_answer", r"$$\sigma^2_{\ell+1} = \sigma^2_\ell (1 + N^2 C \sigma_W) \qquad \forall \ell \ge 0$$"),
    ("p3a_answer", r"$$\sigma^2_{\ell+1} = \sigma^2_\ell (1 + N**2 * C * \sigma_W)$$"),
    # 3b: (1 + N^2 C sigma_W)^ell
    ("p3b_answer", r"$$\sigma^2_\ell = (1 + N^2 C \sigma_W)^\ell$$"),
    ("p3b_answer", r"$$\sigma^2_\ell = \sigma^2_{\ell-1}(1 + N^2 C \sigma_W) = (1 + N^2 C \sigma_W)^\ell$$"),
    ("p3b_answer", r"$$\sigma_\ell^2 = \left(1+N^2C\sigma_W\right)^{\ell}, \quad \text{since } \sigma_0^2 = 1$$"),
    ("p3b_answer", r"$$(1+N^2C\sigma_W)^l$$"),
    ("p3b_answer", r"$$(1 + N^2 C sigma_W)^{ell}$$"),
    ("p3b_answer", "Unrolling the recursion:\nσ²_ℓ = (1 + N²Cσ_W)^ℓ"),
    ("p3b_answer", "\\begin{gather*}\n\\sigma^2_{\\ell+1} = (1+N^2C\\sigma_W)\\sigma^2_\\ell \\\\\n"
                   "\\sigma^2_\\ell = (1 + N^2 C \\sigma_W)^\\ell\n\\end{gather*}"),
    ("p3b_answer", r"$$\sigma^2_\ell = \exp\left(\ell \ln(1 + N^2 C \sigma_W)\right)$$"),
    ("p3b_answer", r"$$\sigma^2_\ell = (1 + N^2 C \sigma_W)^\ell \qquad (\ell = 0, 1, \ldots, L)$$"),
    ("p3b_answer", r"$$\sigma^2_\ell=(1+N^2 C\sigma_W)^\ell$$ for every layer $\ell$."),
    ("p3b_answer", r"$$\sigma^2_{\ell} = \prod_{k=0}^{\ell-1}(1+N^2C\sigma_W) = (1+N^2C\sigma_W)^{\ell}$$"),
    ("p3b_answer", r"$$\sigma^2_\ell = (1 + N^{2} C \sigma_{W})^{\ell}\,.$$"),
    ("p3b_answer", r"$$\sigma^2_\ell = (1 + N^2 C \sigma_W)^(\ell)$$"),
    # 3c, for large L: ln 2 / (N^2 C L)
    ("p3c_answer", r"$$\sigma_W \approx \frac{\ln 2}{N^2 C L} \quad \text{for large } L$$"),
    ("p3c_answer", r"$$\sigma_W = \frac{\ln 2}{L N^2 C}, \quad L \gg 1$$"),
    ("p3c_answer", r"$$\sigma_W \approx \frac{\ln 2}{N^2CL} \tag{1}$$"),
    ("p3c_answer", "$$σ_W ≈ ln2/(N²CL)$$"),
    ("p3c_answer", r"$$\sigma_W \approx \frac{\log 2}{N^2 C L}\;\;(L\to\infty)$$"),
    ("p3c_answer", r"$$\sigma_W \approx \frac{\ln(2)}{N^{2} \cdot C \cdot L}.$$"),
    ("p3c_answer", r"$$$\sigma_W \approx \dfrac{\ln 2}{N^2 C L}$$$"),
    ("p3c_answer", r"For large $L$, $\sigma_W \approx \frac{\ln 2}{N^2 C L}$."),
    ("p3c_answer", r"Setting $$\sigma^2_L = (1 + N^2 C \sigma_W)^L = 2$$ gives "
                   r"$\sigma_W = \frac{2^{1/L}-1}{N^2 C}$."),
    ("p3c_answer", r"$$\text{For large } L: \quad \sigma_W \approx \frac{\ln 2}{N^2 C L}$$"),
    ("p3c_answer", r"$$\sigma_W \approx \frac{\ln 2}{N^2 C L} \text{ (valid for } L \gg 1\text{)}$$"),
    ("p3c_answer", r"$$\text{for large } L\text{, } \sigma_W \approx \frac{\ln 2}{N^2CL}$$"),
    ("p3c_answer", r"$$\sigma_W \approx \frac{\ln 2}{N^2 C L} \; (L \gg 1)$$"),
    ("p3c_answer", r"$$\sigma_W = \frac{\ln 2}{N^2 C L} + \mathcal{O}\left(\frac{1}{L^2}\right)$$"),
    ("p3c_answer", r"$$\sigma_W = \frac{2^{1/L} - 1}{N^2 C} \xrightarrow{L \to \infty} "
                   r"\frac{\ln 2}{N^2 C L}$$"),
    # 3c, exact: (2^{1/L} - 1) / (N^2 C)
    ("p3c_answer", r"$$\sigma_W = \frac{2^{1/L} - 1}{N^2 C}$$"),
    ("p3c_answer", r"$$\sigma_W = \frac{\sqrt[L]{2}-1}{CN^2}$$"),
    ("p3c_answer", r"$$\sigma_W = \frac{e^{\ln 2 / L} - 1}{N^2 C}$$"),
    ("p3c_answer", r"$$\sigma_W = (2^(1/L) - 1)/(N^2*C)$$"),
    ("p3c_answer", r"$$sigma_W = ln(2)/(N^2*C*L)$$"),
    ("p3c_answer", r"$$\sigma_W=\frac{2^{\frac{1}{L}}-1}{N^{2}C}$$"),
    ("p3c_answer", "$$σ_W = (2^{1/L} − 1)/(N²·C)$$"),
    ("p3c_answer", "$$σ_W = (ᴸ√2 − 1)/(N²C)$$"),
    ("p3c_answer", "σ_W ≈ ½·ln 4/(N²CL)"),
    # 3c, both: the last counts
    ("p3c_answer", r"$$\sigma_W = \frac{2^{1/L}-1}{N^2 C} \approx \frac{\ln 2}{N^2 C L}$$"),
    ("p3c_answer", "\\begin{align*}\n(1+N^2C\\sigma_W)^L &= 2 \\\\\n\\sigma_W &= "
                   "\\frac{2^{1/L}-1}{N^2C} \\\\\n&\\approx \\frac{\\ln 2}{N^2 C L} && "
                   "\\text{(large } L\\text{)}\n\\end{align*}"),
    ("p3c_answer", "$$\\sigma_W = \\begin{cases} \\frac{2^{1/L}-1}{N^2 C} & \\text{exactly} "
                   "\\\\ \\frac{\\ln 2}{N^2 C L} & L \\gg 1 \\end{cases}$$"),
    ("p3c_answer", r"$$\sigma_W = \frac{2^{1/L}-1}{N^2C}, \quad \sigma_W \approx \frac{\ln 2}{N^2CL}$$"),
    # 3d: (1 + N^2 C sigma_W)^{L - ell}
    ("p3d_answer", r"$$\mathrm{Var}(x^\ell.\mathrm{grad}) = (1 + N^2 C \sigma_W)^{L - \ell}$$"),
    ("p3d_answer", r"$$\text{Var}(\bar{x}^\ell) = (1+N^2C\sigma_W)^{L-\ell}$$"),
    ("p3d_answer", "$$(1 + N²Cσ_W)^{L−ℓ}$$"),
    ("p3d_answer", r"$$\operatorname{Var}\left(\frac{\partial \mathcal{L}}{\partial x^\ell}\right) "
                   r"= \left(1+N^{2}C\sigma_{W}\right)^{L-\ell}, \quad 0 \le \ell \le L$$"),
    ("p3d_answer", r"$$(1+N^2C\sigma_W)^{L-l}$$"),
    ("p3d_answer", "\\begin{equation*}\n\\mathrm{Var}(x^\\ell.\\text{grad}) = "
                   "(1 + N^2 C \\sigma_W)^{L-\\ell}\n\\end{equation*}"),
    ("p3d_answer", r"$$\frac{(1 + N^2 C \sigma_W)^L}{(1 + N^2 C \sigma_W)^\ell}$$"),
    ("p3d_answer", r"$$(1+N^2C\sigma_W)^{L-\ell} \qquad \text{(one factor per layer, backwards)}$$"),
    ("p3d_answer", "$$(1 + N²Cσ_W)ᴸ⁻ˡ$$"),
]


@pytest.mark.parametrize("item_id, body", CORRECT)
def test_a_correct_notation_gets_full_marks(rubric, item_id, body):
    result = _grade(rubric, item_id, body)
    assert result.passed and result.score == result.item.points, result.failure


FORWARD = ("f[b, i] = σ(Σ[j](x[b, j] · Wfx[i, j]) + Σ[k](h[b, k] · Wfh[i, k]) + bf[i])\n"
           "d[b, i] = tanh(Σ[j](x[b, j] × Wdx[i, j]) + Σ[k](h[b, k] × Wdh[i, k]) + bd[i])\n"
           "h_next[b, i] = f[b, i]·h[b, i] + (1 − f[b, i])·d[b, i]")
BACKWARD = ("f_grad[b, i] += h_next_grad[b, i] · (h[b, i] − d[b, i])\n"
            "h_grad[b, i] += h_next_grad[b, i] × f[b, i]\n"
            "d_grad[b, i] += h_next_grad[b, i] · (1 − f[b, i])")
LIMIT = ("W_grad[o, c, p, q] = ∑[b, i, j](xᴸ_grad[b, o, i, j] · x₀[b, c, i + p − N // 2, "
         "j + q − N // 2])")
CORRECT_INDEX = [
    ("p2b_equations", f"{FENCE}\n{FORWARD}\n{FENCE}"),
    ("p2b_equations", f"In LaTeX:\n{FENCE}math\nf_{{bi}} = \\sigma(\\ldots)\n{FENCE}\n"
                      f"{FENCE}index\n{FORWARD}\n{FENCE}"),
    ("p2b_equations", f"{FENCE}python\n{FORWARD}\n{FENCE}\n\n{FENCE}math\nh' = f h + (1-f) d\n{FENCE}"),
    ("p2c_equations", f"{FENCE}\n{BACKWARD}\n{FENCE}"),
    ("p2c_equations", f"~~~\n{BACKWARD}\n~~~"),
    ("p2c_equations", "Adding each contribution:\n\n" + "\n".join(f"- `{line}`" for line in
                                                              BACKWARD.splitlines())),
    ("p2b_equations", f"{FENCE}python\n" + FORWARD.replace("σ(", "np.sigmoid(").replace(
        "tanh(", "torch.tanh(").replace("f[b, i]·h", "sigma(0 * x[b, 0] + 1) ** 0 * f[b, i]·h")
     + f"\n{FENCE}"),
    ("p3e_equation", f"{FENCE}\n{LIMIT}\n{FENCE}"),
    ("p3e_equation", f"{FENCE}index\nW_grad[o, c, p, q] = Σ[b, y, z](x0[b, c, y, z] × "
                     f"xL_grad[b, o, y − p + N // 2, z − q + N // 2])\n{FENCE}"),
]


@pytest.mark.parametrize("item_id, body", CORRECT_INDEX)
def test_index_equations_typed_with_unicode_get_full_marks(rubric, item_id, body):
    for seed in (0, 1):
        result = _grade(rubric, item_id, body, seed)
        assert result.passed and result.score == result.item.points, result.failure


def test_habits_from_other_notations_keep_their_meaning():
    """`x^2` is a power with a power's precedence (not `(1 - x)^2`, not XOR)."""
    import numpy as np

    from grader.sandbox import written

    equations = written.parse_equations("y[i] = 1 - x[i]^2 + np.exp(0 * x[i])")
    fn = written.index_function(equations, ["x"], ["y"], False)
    assert fn(np.array([2.0, 3.0]), shapes={"y": [2]}).tolist() == [-2.0, -7.0]


def test_the_table_covers_every_written_part():
    """At least 60 notations, over every expression and index part, both forms of 3c."""
    assert len(CORRECT) + len(CORRECT_INDEX) >= 60
    items = {i for i, _ in CORRECT + CORRECT_INDEX}
    assert items == {"p1a_answer", "p3a_answer", "p3b_answer", "p3c_answer", "p3d_answer",
                     "p2b_equations", "p2c_equations", "p3e_equation"}
    bodies = [b for i, b in CORRECT if i == "p3c_answer"]
    assert any("ln" in b and "2^" not in b for b in bodies)
    assert any("2^" in b and "ln" not in b for b in bodies)


# ---------------------------------------------------------------- wrong answers gain nothing

WRONG = [
    # (item, body, the declared mistake named, or words the refusal must hold)
    ("p3c_answer", r"$$\frac{\ln 2}{N^2 C} \quad \text{for large } L$$", "p3c_no_l"),
    ("p3c_answer", r"$$\sigma_W \approx \frac{\ln 2}{N^2 C}, \quad L \gg 1$$", "p3c_no_l"),
    ("p1a_answer", r"$$\frac{1}{\sqrt{d_x}} \quad \text{for } d_x \ge 1$$", "p1a_std"),
    ("p1a_answer", "$$\\sigma = \\frac{2}{d_x}$$\n<!-- $$\\sigma = \\frac{1}{d_x}$$ -->", "p1a_he"),
    ("p1a_answer", "$$\\sigma = \\frac{2}{d_x}$$\n<!--\n$$\\sigma = \\frac{1}{d_x}$$\n-->", "p1a_he"),
    ("p1a_answer", "$$\\sigma = \\frac{2}{d_x} % \\frac{1}{d_x}\n$$", "p1a_he"),
    ("p1a_answer", r"$$\frac{2}{d_x} \quad \text{not } \frac{1}{d_x}$$", "p1a_he"),
    ("p1a_answer", r"$$\sigma = \frac{1}{d_x}$$ or rather $$\sigma = \frac{2}{d_x}$$", "p1a_he"),
    ("p3a_answer", "$$σ²_ℓ(1 + N·C·σ_W)$$", "p3a_n_not_squared"),
    ("p3a_answer", "$$\\begin{aligned} \\sigma^2_{\\ell+1} &= \\sigma^2_\\ell(1 + N^2 C "
                   "\\sigma_W) - \\sigma^2_\\ell \\\\ &= N^2 C \\sigma_W \\sigma^2_\\ell "
                   "\\end{aligned}$$", "p3a_no_residual"),
    ("p3b_answer", r"$$1 + \ell N^2 C \sigma_W \quad (\text{to first order})$$", "p3b_first_order"),
    ("p3d_answer", r"$$(1+N^2C\sigma_W)^{\ell}, \quad 0 \le \ell \le L$$", "p3d_ell"),
    ("p3d_answer", "$$(1 + N²Cσ_W)^ℓ$$", "p3d_ell"),
    ("p3c_answer", r"$$\frac{\ln 2}{N^2 C} \text{ divided by } L$$", "arithmetic in words"),
    ("p3a_answer", r"$$\sigma^2_\ell(1 + N \text{ squared } C \sigma_W)$$", "arithmetic in words"),
    ("p3c_answer", r"$$\frac{\ln 2}{N^2 C} \quad L$$", "could not tell the answer"),
    ("p3c_answer", r"$$\frac{\ln 2}{N^2 C l}$$", "for `l` write `L`"),
    ("p3b_answer", r"$$\sigma^2_\ell = $$", "nothing after its last `=`"),
    ("p3c_answer", r"$$\frac{\ln 2}{N^2 C} L \gg 1$$", "could not tell where the answer ends"),
    ("p1a_answer", r"$$\frac{1}{2 d_x} \text{ or } \frac{1}{d_x}$$", "answers that differ"),
    ("p1a_answer", r"$$\frac{1}{d_x} \text{ or } \frac{1}{2 d_x}$$", "answers that differ"),
    ("p3b_answer", "$$\\begin{cases} \\sigma^2_{\\ell+1} = (1+N^2C\\sigma_W)\\sigma^2_\\ell \\\\ "
                   "\\sigma^2_0 = 1 \\end{cases}$$", "system of equations"),
    ("p3a_answer", r"$$\sigma^2_\ell (1 + N^2 C \sigma_{in})$$",
     "uses `\\sigma_{in}`, which the question does not define (for `\\sigma_{in}` write "
     "`\\sigma^2_\\ell` or `\\sigma_W`)"),
    ("p3b_answer", r"$$(1 + N^2 C s_W)^\ell$$", "`\\ell`, `\\sigma_W`, `N`, `C`"),
    ("p3a_answer", r"$$\sigma^2_\ell (1 + N^2 C \sigma_W$$",
     "`\\sigma^2_\\ell`, `\\sigma_W`, `N`, `C`"),
    ("p3c_answer", "The variance must be about ln 2 over N squared C L.",
     "has no math: write the final answer as LaTeX between `$$` and `$$`"),
    ("p3c_answer", r"$$\sigma_W \approx \frac{0.693}{N^2 C L}$$", None),
    ("p3c_answer", r"$$(1+N^2C\sigma_W)^L = 2$$ for $L$ layers, so $\sigma_W = 2$.", None),
    ("p1a_answer", r"$$\sigma = \frac{2}{d_x}$$ (recall $\mathrm{Var}(u_i) = d_x \sigma$)", "p1a_he"),
    ("p1a_answer", r"$$\sigma = \frac{2}{d_x} \phantom{= \frac{1}{d_x}}$$", "p1a_he"),
    ("p3a_answer", r"$$\mathrm{Var}(x^{\ell+1}) = (1 + N^2 C \sigma_W)\,\mathrm{Var}(x^\ell)$$",
     "uses `\\mathrm{Var}`"),
    ("p1a_answer", r"$$W_{ij} \sim \mathcal{N}\left(0, \frac{1}{d_x}\right)$$",
     "uses `\\mathcal{N}(...)`, which the question does not define"),
    ("p2c_equations", f"{FENCE}\n{BACKWARD.replace('+=', '=')}\n{FENCE}\n<!--\n{FENCE}\n"
                      f"{BACKWARD}\n{FENCE}\n-->", "p2c_overwrite"),
    ("p3e_equation", f"{FENCE}\n{LIMIT.replace('i + p − N', 'i − p + N').replace('j + q − N', 'j − q + N')}\n"
                     f"{FENCE}", "p3e_flipped_kernel"),
    ("p1a_answer", r"$$\sigma = \frac{1}{d_x + 1} \quad \text{(for large } d_x\text{)}$$", None),
]


@pytest.mark.parametrize("item_id, body, expected", WRONG)
def test_a_wrong_answer_gains_nothing_and_is_told_why(rubric, item_id, body, expected):
    result = _grade(rubric, item_id, body)
    assert not result.passed and result.score == 0
    if expected is None:
        return
    if expected.startswith("p") and " " not in expected:
        assert result.diagnosis is not None and result.diagnosis.id == expected, result.failure
    else:
        assert result.failure.kind in ("unreadable", "raised"), result.failure
        assert expected in result.failure.summary, result.failure.summary


def test_a_part_without_equations_is_shown_its_own_notation(rubric):
    """The 3e message shows 3e's left side, taken from the rubric, not 2c's."""
    limit = _grade(rubric, "p3e_equation", "At the limit it is a cross-correlation.").failure
    assert "`W_grad[o, c, p, q] = ...`" in limit.summary and "f_grad" not in limit.summary
    grads = _grade(rubric, "p2c_equations", "The grads add up.").failure
    assert "`f_grad[b, i] += ...`" in grads.summary and "W_grad" not in grads.summary
    forward = _grade(rubric, "p2b_equations", "$$h' = fh + (1-f)d$$").failure
    assert "`h_next[b, i] = ...`" in forward.summary


def test_what_a_reader_does_not_see_is_not_read_and_math_blocks_are_math():
    from grader.sandbox import written
    from grader.sandbox.written.extract import math_regions
    from grader.sandbox.written.sections import without_code

    text = ("## 1a\n<!--\n## 3a\n$$hidden$$\n```\nW_grad[o] = 0\n```\n-->\nshown $a$ <!-- $b$ -->\n"
            f"{FENCE}math\nx = 1\n{FENCE}\n{FENCE}\ny[i] = 2\n{FENCE}\n{FENCE}latex\nz = 3\n{FENCE}\n")
    assert list(written.sections(text)) == ["1a"]  # a heading in a comment is not one
    body = written.sections(text)["1a"].body
    assert written.final_math(body) == "z = 3"
    assert written.code_block(body) == ("y[i] = 2", 13)  # its line in the section
    assert [m.latex for m in math_regions(without_code(body))] == ["a", "x = 1", "z = 3"]


def test_unicode_means_the_same_in_expressions_and_index_equations():
    from grader.sandbox.written import unicode

    assert unicode.to_latex("σ²_ℓ·(1 − N×C)≈√2") == \
        "\\sigma ^{2}_\\ell \\cdot (1 - N\\times C)\\approx \\sqrt2"
    assert unicode.to_python("y[i] = σ(x[i])·x[i]² − x₀[i]×Σ[j](xᴸ[j])") == \
        "y[i] = σ(x[i])*x[i]**(2) - x0[i]*sum[j](xL[j])"


# ---------------------------------------------------------------- the real sandbox

def test_notations_in_the_real_sandbox(tmp_path):
    """A submission written with environments, unicode, annotations and unusual delimiters,
    graded by `grade` in the sandbox: every written item passes."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "answers.md").write_text(
        "## 1a\n\\begin{align*}\n  d_x \\sigma &= 1 \\\\\n  \\sigma &= \\frac{1}{d_x} \\tag{1}\n"
        "\\end{align*}\n\n## 2b\n" + f"{FENCE}\n{FORWARD}\n{FENCE}\n\n## 2c\n"
        f"{FENCE}\n{BACKWARD}\n{FENCE}\n\n## 3a\nso \\( σ²_{{ℓ+1}} = σ²_ℓ(1 + N²·C·σ_{{\\text{{W}}}}) \\)\n\n"
        "## 3b\n$$$\\sigma^2_\\ell = (1+N^2C\\sigma_W)^l$$$\n\n"
        "## 3c\n$$\\sigma_W \\approx \\frac{\\ln 2}{L N^2 C} \\quad \\text{for large } L$$\n\n"
        "## 3d\n$$\\begin{aligned}\\mathrm{Var}(x^\\ell.\\text{grad}) &= (1+N^2C\\sigma_W)^{L-\\ell}, "
        "&& 0 \\le \\ell \\le L\\end{aligned}$$\n\n## 3e\n" + f"{FENCE}\n{LIMIT}\n{FENCE}\n",
        encoding="utf-8")
    proc, results = run_grade(sub, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    written = {t["extra_data"]["item"]: t for t in results["tests"]
               if t["extra_data"]["kind"] in ("expression", "index")}
    assert len(written) == 8
    assert all(t["score"] == t["max_score"] for t in written.values()), json.dumps(
        {i: t["output"] for i, t in written.items() if t["score"] != t["max_score"]}, indent=1)
