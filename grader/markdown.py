"""Rubric text (titles, descriptions, messages): Markdown with $LaTeX$ rendered to HTML and
MathML, offline, or to plain text where no markup can be shown (Gradescope's test names,
the terminal)."""
from __future__ import annotations

import functools
import html
import re

import latex2mathml.converter
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin


def _math(display: str):  # noqa: ANN202 - a markdown-it render rule
    def render(self, tokens, idx, options, env):  # noqa: ANN001
        latex = tokens[idx].content
        try:
            return latex2mathml.converter.convert(latex, display=display)
        except Exception:  # show the source rather than fail the whole report
            return f'<code class="math-error">{html.escape(latex)}</code>'
    return render


@functools.lru_cache(maxsize=None)
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).use(
        dollarmath_plugin, allow_space=True, double_inline=True)
    md.add_render_rule("math_inline", _math("inline"))
    md.add_render_rule("math_inline_double", _math("block"))
    md.add_render_rule("math_block", _math("block"))
    return md


@functools.lru_cache(maxsize=512)
def to_html(text: str) -> str:
    """Safe HTML: raw HTML in the source is escaped, math becomes MathML (no scripts)."""
    return _renderer().render(text)


@functools.lru_cache(maxsize=512)
def to_inline_html(text: str) -> str:
    """One line of rubric Markdown (a title) as inline HTML: no paragraph around it."""
    return _renderer().renderInline(text)


_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)


@functools.lru_cache(maxsize=512)
def to_plain(text: str) -> str:
    """Rubric text with its math as Unicode text ("$\\sigma_W \\to 0$" -> "σ_W →0")."""
    from pylatexenc.latex2text import LatexNodes2Text

    convert = LatexNodes2Text().latex_to_text
    return _MATH.sub(lambda m: convert(m.group(1) or m.group(2)), text)


def first_sentence(text: str) -> str:
    """The gist of a rubric message, in plain text, for a summary line or a table."""
    plain = to_plain(" ".join(text.split())).replace("`", "")
    return re.split(r"(?<=[.!?]) |: |; ", plain, maxsplit=1)[0].rstrip(".")
