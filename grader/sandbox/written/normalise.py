"""An answer's LaTeX as students write it (`\\dfrac`, `{1 \\over 2a}`, `\\ln 3`,
`\\Big(`, `\\mathrm{e}`, `ln(2)`, `2^(1/L)`, `N**2`) in the forms latex2sympy reads."""
from __future__ import annotations

import re

_GREEK_WORDS = ("alpha|beta|gamma|delta|epsilon|zeta|eta|theta|iota|kappa|lambda|rho|sigma|tau|"
                "upsilon|phi|chi|psi|omega|ell|pi|Gamma|Delta|Theta|Lambda|Sigma|Phi|Psi|Omega")
_WORDS = r"\\(?:text(?:rm|it|bf|sf|tt|normal|up)?|mbox)\s*\{[^{}]*\}"


def normalise(latex: str) -> str:
    """`latex` (one answer, annotations already off) in the forms latex2sympy reads."""
    latex = re.sub(_WORDS, " ", latex)  # words left inside the math
    latex = latex.strip().rstrip(".,;").strip()
    latex = re.sub(r"\\[,;:!> ]|\\quad|\\qquad|~|\\(?:rm|it|bf)(?![A-Za-z])", " ", latex)
    latex = re.sub(r"(\d)\{,\}(\d)", r"\1.\2", latex)  # 0{,}5: a decimal comma
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
    return _as_written(latex)


def _as_written(latex: str) -> str:
    """What students type beside LaTeX: `ln(2)`, `sqrt(d_x)`, `**`, `2^(1/L)`, `\\sqrt 2`,
    `2^\\frac1L`, `{\\sigma}_W`, in the LaTeX they mean."""
    latex = re.sub(r"(?<![\\A-Za-z])(ln|log|exp|sqrt|" + _GREEK_WORDS + r")(?![A-Za-z])",
                   r"\\\1", latex)  # sigma_W typed without its backslash is \sigma_W
    latex = re.sub(r"\\log(?![_a-zA-Z])", r"\\ln", latex)
    latex = re.sub(r"\\ln\s*(\d+(?:\.\d+)?)", r"\\ln(\1)", latex)
    latex = latex.replace("**", "^")
    latex = re.sub(r"(?<![\w})\]])\^\s*\{([^{}]+)\}\s*\\sqrt(?!\s*\[)", r"\\sqrt[\1]", latex)  # ᴸ√2
    latex = re.sub(r"\^\s*-\s*(\d+|[A-Za-z]|\\[A-Za-z]+)", r"^{-\1}", latex)
    latex = re.sub(r"\{\s*(\\[A-Za-z]+|[A-Za-z])\s*\}(?=\s*[_^])", r"\1", latex)
    latex = re.sub(r"\^\s*\{\s*\}", "", latex)
    latex = re.sub(r"\\frac\s*([0-9A-Za-z])\s*([0-9A-Za-z])", r"\\frac{\1}{\2}", latex)
    latex = re.sub(r"\\frac\s*(\{[^{}]*\})\s*([0-9A-Za-z])(?![0-9A-Za-z])", r"\\frac\1{\2}",
                   latex)
    latex = re.sub(r"\^\s*(\\frac\s*\{[^{}]*\}\s*\{[^{}]*\})", r"^{\1}", latex)
    for command in ("\\sqrt", "^"):  # an argument in parentheses: its braces
        latex = _paren_argument(latex, command)
    return re.sub(r"\\sqrt\s*(\[[^\]]*\])?\s*(\d+(?:\.\d+)?|[A-Za-z](?:_[A-Za-z0-9])?|"
                  r"\\[A-Za-z]+(?:_[A-Za-z0-9])?)", lambda m: "\\sqrt" + (m.group(1) or "") +
                  "{" + m.group(2) + "}", latex)


def _paren_argument(latex: str, command: str) -> str:
    """`\\sqrt(x + 1)` as `\\sqrt{x + 1}`, `2^(1/L)` as `2^{(1/L)}`: TeX would take the
    parenthesis alone, the student meant the whole."""
    out, i = [], 0
    pattern = re.compile(re.escape(command) + r"\s*(\[[^\]]*\])?\s*\(")
    while True:
        found = pattern.search(latex, i)
        if not found:
            return "".join(out) + latex[i:]
        depth, end = 0, -1
        for j in range(found.end() - 1, len(latex)):
            depth += {"(": 1, ")": -1}.get(latex[j], 0)
            if depth == 0:
                end = j
                break
        if end < 0:
            return "".join(out) + latex[i:]
        inner = latex[found.end():end]
        inner = "(" + inner + ")" if command == "^" else inner
        out.append(latex[i:found.start()] + command + (found.group(1) or "") + "{" + inner + "}")
        i = end + 1


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
