"""Unicode that editors and phone keyboards put into math (σ, ℓ, ·, ², ₓ, ≈, √, 𝜎, ...),
one table read two ways: as LaTeX for expressions (`σ²_ℓ` is `\\sigma^{2}_\\ell`) and as
Python for index equations (`h·(1 − f)` is `h*(1 - f)`), so a character means the same in
every answer."""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

# character: (LaTeX, Python); None where it has no meaning in index equations
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon",
    "ϵ": "epsilon", "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "vartheta", "ι": "iota",
    "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ϖ": "varpi",
    "ρ": "rho", "ϱ": "varrho", "σ": "sigma", "ς": "varsigma", "τ": "tau", "υ": "upsilon",
    "φ": "varphi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma",
    "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma",
    "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}
_LATIN_LOOKALIKES = dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX"))  # Greek capitals that are Latin
TABLE: dict[str, tuple[str, Optional[str]]] = {
    **{c: ("\\" + name + " ", {"π": "pi", "Σ": "sum"}.get(c)) for c, name in _GREEK.items()},
    **{c: (latin, latin) for c, latin in _LATIN_LOOKALIKES.items()},
    "ℓ": ("\\ell ", "l"), "∑": ("\\sum ", "sum"), "∏": ("\\prod ", None),
    "·": ("\\cdot ", "*"), "⋅": ("\\cdot ", "*"), "∙": ("\\cdot ", "*"), "•": ("\\cdot ", "*"),
    "×": ("\\times ", "*"), "∗": ("*", "*"), "÷": ("\\div ", "/"), "∕": ("/", "/"),
    "⁄": ("/", "/"), "−": ("-", "-"), "–": ("-", "-"), "‐": ("-", "-"), "‑": ("-", "-"),
    "＋": ("+", "+"), "±": ("\\pm ", None), "∓": ("\\mp ", None),
    "≈": ("\\approx ", None), "≃": ("\\simeq ", None), "≅": ("\\approx ", None),
    "∼": ("\\sim ", None), "≡": ("\\equiv ", None), "≔": (":=", "="), "≠": ("\\neq ", None),
    "≤": ("\\le ", None), "⩽": ("\\le ", None), "≥": ("\\ge ", None), "⩾": ("\\ge ", None),
    "≪": ("\\ll ", None), "≫": ("\\gg ", None), "→": ("\\to ", None), "⟶": ("\\to ", None),
    "⇒": ("\\Rightarrow ", None), "⟹": ("\\implies ", None), "∞": ("\\infty ", None),
    "∈": ("\\in ", None), "∀": ("\\forall ", None), "∂": ("\\partial ", None),
    "′": ("'", None), "’": ("'", None), "‘": ("'", None), "…": ("\\ldots ", None),
    "⋯": ("\\cdots ", None), "∣": ("|", None), "ⅇ": ("e", "e"), "ℯ": ("e", "e"),
    "√": ("\\sqrt", "sqrt"), "∛": ("\\sqrt[3]", None), "∜": ("\\sqrt[4]", None),
}
_SPACES = dict.fromkeys("\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                        "\u202f\u205f\u3000", " ")
_INVISIBLE = dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", "")


def _script(ch: str) -> tuple[str, str]:
    """('^' or '_', the plain character) for a superscript or subscript character."""
    tag, _, code = unicodedata.decomposition(ch).partition(" ")
    if tag not in ("<super>", "<sub>") or not code:
        return "", ""
    plain = chr(int(code.split()[0], 16))
    return ("^" if tag == "<super>" else "_"), {"−": "-"}.get(plain, plain)


def _plain(ch: str) -> str:
    """A styled letter or digit (𝜎, 𝐿, fullwidth ＮＣ) as the plain one; a fraction (½) as
    `a⁄b`, which the callers read as their fraction."""
    tag = unicodedata.decomposition(ch).partition(" ")[0]
    return unicodedata.normalize("NFKC", ch) if tag in ("<font>", "<wide>", "<narrow>",
                                                         "<fraction>") else ch


def _fraction(chars: str, latex: bool) -> str:
    """`1⁄2` (from ½) as `{\\frac{1}{2}}` or `(1/2)`; a lone fraction slash as `/`."""
    return re.sub(r"(\d+)⁄(\d+)", (lambda m: "{\\frac{%s}{%s}}" % m.groups()) if latex else
                  (lambda m: "(%s/%s)" % m.groups()), chars)


def _runs(text: str) -> list[tuple[str, str]]:
    """`text` cut into (kind, characters): kind '^' or '_' for a run of superscript or
    subscript characters, '' for anything else."""
    runs: list[tuple[str, str]] = []
    for ch in text.translate({**_SPACES, **_INVISIBLE}):
        kind, plain = _script(ch) if ord(ch) > 127 and ch not in TABLE else ("", ch)
        if not kind and ch not in TABLE and ord(ch) > 127:
            plain = _plain(ch)
        if runs and runs[-1][0] == kind and kind:
            runs[-1] = (kind, runs[-1][1] + plain)
        else:
            runs.append((kind, plain))
    return runs


def to_latex(text: str) -> str:
    """`text` with its math characters as LaTeX: `σ²_ℓ(1 + N²·C·σ_W)` becomes
    `\\sigma ^{2}_\\ell (1 + N^{2}\\cdot C\\cdot \\sigma _W)`."""
    if text.isascii():
        return text
    out = []
    for kind, chars in _runs(text):
        if kind:
            out.append(kind + "{" + to_latex(chars) + "}")
        else:
            out.append("".join(TABLE[c][0] if c in TABLE else c
                               for c in _fraction(chars, latex=True)))
    return "".join(out)


def to_python(code: str) -> str:
    """Index equations with their math characters as Python: `·` and `×` are `*`, `−` is
    `-`, `x²` is `x**(2)`, `x₀` is `x0` and `xᴸ_grad` is `xL_grad` (as Python reads such
    names), `Σ[j](...)` is `sum[j](...)`; Greek letters stay names (`σ(...)` is sigmoid)."""
    if code.isascii():
        return code
    out: list[str] = []
    for kind, chars in _runs(code):
        in_name = bool(out) and bool(re.search(r"\w$", out[-1]))
        if kind == "^" and not (in_name and chars.isalpha()):
            out.append("**(" + to_python(chars) + ")")
        elif kind:
            out.append(to_python(chars))
        else:
            out.append("".join(TABLE[c][1] or c if c in TABLE else c
                               for c in _fraction(chars, latex=False)))
    return "".join(out)


def unknown(text: str) -> list[str]:
    """The characters beyond ASCII that `to_latex` leaves as they are (nothing reads them)."""
    return sorted({c for c in to_latex(text) if ord(c) > 127 and not c.isspace()})

