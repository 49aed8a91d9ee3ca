"""What to write instead: the handout's notation for a part's symbols, as the rubric gives
it (`symbols:` for an expression, the targets with their indices for index equations), and
the symbol a student most likely meant by one the part does not define."""
from __future__ import annotations

import re
from typing import Any, Sequence

Symbols = Sequence[Sequence[str]]  # (LaTeX as the handout writes it, argument), rubric order


def handout_symbols(symbols: Symbols) -> list[str]:
    """One notation per argument: the first the rubric lists (`\\sigma_W`, not its alias
    `\\sigma_w`)."""
    seen: dict[str, str] = {}
    for latex, name in symbols:
        seen.setdefault(name, latex)
    return list(seen.values())


def symbols_note(symbols: Symbols) -> str:
    listed = handout_symbols(symbols)
    if not listed:
        return ""
    return "its symbols as the handout writes them: " + ", ".join(f"`{s}`" for s in listed)


def _letters(latex: str) -> str:
    """`\\sigma^2_\\ell` -> `sigma`: the name a symbol is built on, lower case."""
    return re.sub(r"^\\", "", re.split(r"[_^{}\s]", latex.strip().lstrip("{"), maxsplit=1)[0]
                  ).lower()


def meant(unknown: str, symbols: Symbols) -> list[str]:
    """The part's symbols that `unknown` (as the student wrote it) may stand for: the same
    letter or Greek name (`\\sigma_{in}`, `σ_w`), or the same letters (`dx` for `d_x`)."""
    listed = handout_symbols(symbols)
    base = _letters(unknown)
    flat = re.sub(r"[^a-z]", "", unknown.lower().replace("\\", ""))
    same = [s for s in listed if _letters(s) == base]
    if not same:
        same = [s for s in listed if re.sub(r"[^a-z]", "", s.lower().replace("\\", "")) == flat]
    return same


def index_example(spec: dict[str, Any]) -> str:
    """The left sides a part's equations define, from the rubric: `W_grad[o, c, p, q] = ...`
    for 3e, `f_grad[b, i] += ...` for 2c."""
    op = "+=" if spec.get("inplace") else "="
    shown = spec.get("notation") or [f"{t}[...]" for t in spec.get("targets") or ()]
    return ", ".join(f"`{s} {op} ...`" for s in shown)
