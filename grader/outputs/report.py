"""The per-student HTML report: self-contained (inline CSS, MathML), rendered with jinja2."""
from __future__ import annotations

import functools
from typing import Any

import jinja2
from markupsafe import Markup

from grader import __version__
from grader.display.markdown import comment_html, to_html, to_inline_html
from grader.display.text import visible
from grader.engine.outcomes import SubmissionResult
from grader.engine.submission import file_name
from grader.outputs.feedback import item_feedback, summary_line


BADGES = {"pending": "waits for a TA", "partial": "partial credit"}  # ItemResult.outcome


@functools.lru_cache(maxsize=None)
def environment(package: str = "grader.outputs") -> jinja2.Environment:
    """The environment of a package's templates (its `templates/` folder): every value is
    escaped for HTML and, being text, shown with its control characters made visible
    (text.visible), markup the grader made itself (rendered rubric Markdown) aside."""
    env = jinja2.Environment(loader=jinja2.PackageLoader(package, "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, finalize=_shown)
    env.filters["markdown"] = lambda text: Markup(to_html(text))
    env.filters["inline_markdown"] = lambda text: Markup(to_inline_html(text))
    env.filters["comment_markdown"] = lambda text: Markup(comment_html(text))
    env.filters["points"] = lambda x: f"{x:g}"
    env.filters["file_name"] = file_name
    env.globals["BADGES"] = BADGES
    return env


def _shown(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def render_report(sub: SubmissionResult) -> str:
    rows = [(r, item_feedback(r, sub)) for r in sub.items]
    return environment().get_template("report.html.j2").render(
        sub=sub, rows=rows, summary=summary_line(sub), version=__version__)
