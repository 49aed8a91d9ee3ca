"""The per-student HTML report: self-contained (inline CSS, MathML), rendered with jinja2."""
from __future__ import annotations

import functools

import jinja2
from markupsafe import Markup

from grader import __version__
from grader.feedback import item_feedback, summary_line
from grader.markdown import to_html
from grader.outcomes import SubmissionResult


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["markdown"] = lambda text: Markup(to_html(text))
    env.filters["points"] = lambda x: f"{x:g}"
    return env


def render_report(sub: SubmissionResult) -> str:
    rows = [(r, item_feedback(r, sub)) for r in sub.items]
    return _env().get_template("report.html.j2").render(
        sub=sub, rows=rows, summary=summary_line(sub), version=__version__)
