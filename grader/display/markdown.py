"""Rubric text (titles, descriptions, messages): Markdown with $LaTeX$ rendered to HTML and
MathML, offline (grader/display/plaintext.py makes plain text of it)."""
from __future__ import annotations

import functools
import html

import latex2mathml.converter
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from grader.display.text import visible

MATHML_TAGS = {"math", "mi", "mn", "mo", "ms", "mtext", "mrow", "msup", "msub", "msubsup",
               "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr",
               "mtd", "mspace", "mstyle", "mpadded", "mphantom", "menclose", "merror"}
MATHML_ATTRIBUTES = {"*": {
    "xmlns", "display", "mathvariant", "mathsize", "stretchy", "fence", "separator", "lspace",
    "rspace", "linethickness", "columnalign", "rowalign", "columnlines", "rowlines",
    "rowspacing", "columnspacing", "frame", "align", "displaystyle", "scriptlevel", "accent",
    "accentunder", "movablelimits", "form", "largeop", "symmetric", "minsize", "maxsize",
    "width", "height", "depth", "notation", "open", "close"}}


def safe_mathml(latex: str, display: str) -> str:
    """MathML of `latex`, cleaned by an allow-list (nh3): latex2mathml copies `\\text{}`
    verbatim and turns `\\style`, `\\class`, `\\href` into attributes, so whatever a
    student writes as math could otherwise be markup and script."""
    import nh3

    return nh3.clean(latex2mathml.converter.convert(latex, display=display),
                     tags=MATHML_TAGS, attributes=MATHML_ATTRIBUTES, link_rel=None,
                     strip_comments=True)


def _math(display: str):  # noqa: ANN202 - a markdown-it render rule
    def render(self, tokens, idx, options, env):  # noqa: ANN001
        latex = tokens[idx].content
        try:
            return safe_mathml(latex, display)
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



@functools.lru_cache(maxsize=None)
def _student_renderer(breaks: bool = False) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": breaks}).use(
        dollarmath_plugin, allow_space=True, double_inline=True)
    md.add_render_rule("math_inline", _math("inline"))
    md.add_render_rule("math_inline_double", _math("block"))
    md.add_render_rule("math_block", _math("block"))
    md.add_render_rule("link_open", _inert_link_open)
    md.add_render_rule("link_close", _inert_link_close)
    md.add_render_rule("image", _inert_image)
    return md


def _target(url: str, what: str = "link to") -> str:
    return f' <span class="link-target">({what} <code>{html.escape(url)}</code>)</span>'


def _inert_link_open(self, tokens, idx, options, env):  # noqa: ANN001, ANN202 - a render rule
    token = tokens[idx]
    env.setdefault("links", []).append("" if token.markup == "autolink" else
                                       str(token.attrGet("href") or ""))
    return '<span class="student-link">'


def _inert_link_close(self, tokens, idx, options, env):  # noqa: ANN001, ANN202
    url = env["links"].pop() if env.get("links") else ""
    return "</span>" + (_target(url) if url else "")


def _inert_image(self, tokens, idx, options, env):  # noqa: ANN001, ANN202
    alt = html.escape(tokens[idx].content)
    return f'<span class="student-image">[image: {alt}]</span>' + \
        _target(str(tokens[idx].attrGet("src") or ""), "image at")


def student_html(text: str) -> str:
    """A student's Markdown (answers.md) for a TA to read, inert: raw HTML is text, a link
    is its words and then its target as text (nothing to click), an image is its
    description and address (never fetched), math is MathML cleaned by an allow-list."""
    return _student_renderer().render(text, {})


@functools.lru_cache(maxsize=512)
def comment_html(text: str) -> str:
    """A TA's comment for the student's report: inert as a student's answer is (the TA
    typed it into a form; nothing in it may become a link, markup or script), math as
    MathML like the rubric's criteria beside it, the TA's line breaks kept and control
    characters made visible, as everywhere in a report."""
    return _student_renderer(breaks=True).render(visible(text), {})
