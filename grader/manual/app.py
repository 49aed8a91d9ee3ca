"""`grade manual REPORTS`: the TAs' web app for manual items (Flask, state in SQLite).

TAs grade question by question: each sees the students' answers to one item in a stable
pseudo-random order (the same for every TA, skipping answers another TA has open), the
answer's section of answers.md rendered offline (Markdown, math as MathML), the PDFs the
student handed in, and the item's criteria to tick, with a comment. Every save is merged
at once into that student's results.json and report.html, and into the class's
grades.csv and index.html. Changing a criterion's points recomputes every student it was
applied to. Grades go out and come back in as CSV. Who is grading: auth.py (a typed name
on loopback, accounts beyond it); how it is served: serve.py (cheroot).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Optional

from flask import (Flask, abort, make_response, redirect, render_template, request, send_file,
                   url_for)
from markupsafe import Markup

from grader.classroom.records import report_folders
from grader.disk.student_folders import name_of
from grader.display import text
from grader.display.markdown import student_html, to_html, to_inline_html
from grader.manual import merge
from grader.manual.accounts import Accounts
from grader.manual.auth import check_token, form_token, install, ta
from grader.manual.queue import order, queue  # noqa: F401 - order: importable from the app, as before
from grader.rubric.model import Item, Rubric
from grader.sandbox.written.sections import Section, sections
from grader.written.grades import pdfs
from grader.written.store import DB_NAME, Conflict, Store, manual_items, score

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_ANSWERS_BYTES = 4 << 20


CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
MAX_SHOWN = 200 * 1024  # characters of one answer rendered for a TA (the rest: a note)


def _allowed_hosts(extra: tuple[str, ...]) -> set[str]:
    """Host names the app answers to: loopback, this machine's names, and `extra`. A page
    elsewhere whose name is made to point here (DNS rebinding) is refused."""
    import socket

    names = {"localhost", "127.0.0.1", "::1", socket.gethostname(), socket.getfqdn(), *extra}
    return {n.lower() for n in names if n}


def _host_ok(host: str, allowed: set[str]) -> bool:
    import ipaddress

    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
    try:
        ipaddress.ip_address(name)
        return True  # an address typed by a TA; a rebinding attack needs a name
    except ValueError:
        return name.lower() in allowed


def shown(student: str) -> str:
    """A student's key as a TA reads it: the folder's name (bytes not UTF-8 as escapes)."""
    return text.name(name_of(student))


def create_app(reports: Path, rubric: Rubric, hosts: tuple[str, ...] = (), *,
               login: bool = False, tls: bool = False) -> Flask:
    """The app; with `login`, every page needs a TA's account (auth.py), with `tls` its
    cookies are Secure."""
    reports = reports.resolve()
    allowed = _allowed_hosts(hosts)
    store = Store(reports / DB_NAME)
    store.ensure(rubric)
    accounts = Accounts(store.path)
    accounts.ensure()
    items = {i.id: i for i in manual_items(rubric)}
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config["MAX_CONTENT_LENGTH"] = 8 << 20
    env = app.jinja_env
    env.autoescape = True  # Flask escapes only *.html templates by itself; these are *.j2
    env.undefined = __import__("jinja2").StrictUndefined
    env.filters["markdown"] = lambda text: Markup(to_html(text))
    env.filters["student_markdown"] = lambda text: Markup(_rendered(text))
    env.filters["inline_markdown"] = lambda text: Markup(to_inline_html(text))
    env.filters["points"] = lambda x: f"{x:g}"
    env.filters["student"] = shown
    env.globals.update(rubric=rubric)

    def folders() -> dict[str, Path]:
        return report_folders(reports)

    @app.context_processor
    def who() -> dict[str, Any]:
        return {"ta": ta(), "token": form_token(), "login": login}

    @app.before_request
    def same_origin() -> Any:
        from urllib.parse import urlsplit

        if not _host_ok(request.host or "", allowed):
            abort(403, "unknown host name: start grade manual with --allow-host NAME")
        origin = request.headers.get("Origin")
        if request.method == "POST" and origin and urlsplit(origin).netloc != request.host:
            abort(403, "a form from another site")
        return None

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"  # no-referrer: Origin "null"
        response.headers["Cache-Control"] = "no-store"
        if tls:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    install(app, accounts, required=login, secure=tls)

    def item_or_404(item_id: str) -> Item:
        if item_id not in items:
            abort(404, f"no manual item {item_id}")
        return items[item_id]

    def merged(students: list[str]) -> list[str]:
        """Merge these students' grades into their outputs and the class's; the problems."""
        return [f"{shown(s)}: {why}"
                for s, why in merge.merge_grades(reports, rubric, store, students).items()]

    def saved_grade(item: Item, student: str) -> Optional[tuple[str, float]]:
        """(student, points) of the grade this TA just saved, for the page that follows the
        save to confirm it; None unless that grade is in the store under this TA."""
        grade = store.grade(item.id, student) if student else None
        if grade is None or grade.grader != ta():
            return None
        by_id = {c.id: c for c in store.criteria(item.id)}
        return student, score(item, tuple((by_id[c].text, by_id[c].points)
                                          for c in grade.applied if c in by_id))

    @app.get("/")
    def index() -> Any:
        if ta() is None:
            return render_template("login.html.j2", required=login, error=None)
        all_folders = folders()
        progress = []
        for item in items.values():
            graded = {g.student for g in store.grades(item.id)} & set(all_folders)
            lined = queue(item, all_folders, graded)
            progress.append((item, len(graded), len(lined.students), lined.apart))
        return render_template("index.html.j2", ta=ta(), progress=progress, reports=reports)

    @app.get("/item/<item_id>")
    def next_answer(item_id: str) -> Any:
        item = item_or_404(item_id)
        if ta() is None:
            return redirect(url_for("index"))
        saved = request.args.get("saved", "")
        graded = {g.student: g for g in store.grades(item.id)}
        lined = queue(item, folders(), set(graded))
        busy = store.claimed(item.id, ta())
        for s in lined.students:  # claimed here, so that two TAs asking at once differ
            if s not in graded and s not in busy and store.claim(item.id, s, ta()) is None:
                return redirect(url_for("answer", item_id=item.id, student=s,
                                        **({"saved": saved} if saved else {})))
        rows = [(s, graded.get(s), s in busy) for s in lined.students]
        by_id = {c.id: c for c in store.criteria(item.id)}
        return render_template("done.html.j2", item=item, rows=rows, ta=ta(), apart=lined.apart,
                               saved=saved_grade(item, saved),
                               points=lambda g: score(item, tuple(
                                   (by_id[c].text, by_id[c].points) for c in g.applied
                                   if c in by_id)))

    @app.route("/item/<item_id>/<student>", methods=["GET", "POST"])
    def answer(item_id: str, student: str) -> Any:
        item = item_or_404(item_id)
        if ta() is None:
            return redirect(url_for("index"))
        all_folders = folders()
        if student not in all_folders:
            abort(404, f"no student {shown(student)}")
        conflict, problems = None, []
        if request.method == "POST":
            check_token()
            applied = request.form.getlist("criterion")
            version = int(request.form.get("version") or 0)
            try:
                store.save(item.id, student, applied, request.form.get("comment", "")[:20000],
                           ta(), version)
            except Conflict as exc:
                conflict = str(exc)
            except ValueError as exc:
                abort(400, str(exc))
            else:
                problems = merged([student])
                if not problems:
                    return redirect(url_for("next_answer", item_id=item.id, saved=student))
        holder = store.claim(item.id, student, ta())
        grade = store.grade(item.id, student)
        students = queue(item, all_folders, {g.student for g in store.grades(item.id)}).students
        section, note = _section(all_folders[student], item)
        return render_template(
            "answer.html.j2", item=item, student=student, section=section, note=note,
            checked=_checked(all_folders[student], rubric, item),
            pdfs=pdfs(all_folders[student]), criteria=store.criteria(item.id), grade=grade,
            holder=holder, conflict=conflict, problems=problems, ta=ta(),
            position=students.index(student) + 1 if student in students else 0,
            count=len(students), applied=set(grade.applied) if grade else set(),
            saved=saved_grade(item, request.args.get("saved", "")))

    @app.get("/file/<student>/<name>")
    def pdf(student: str, name: str) -> Any:
        folder = folders().get(student)
        if folder is None or not name.lower().endswith(".pdf") or "/" in name or \
                name.startswith("."):
            abort(404)
        path = folder / "written" / name
        if not path.is_file() or path.is_symlink():
            abort(404)
        return send_file(path, mimetype="application/pdf")

    @app.route("/item/<item_id>/criteria", methods=["GET", "POST"])
    def criteria(item_id: str) -> Any:
        item = item_or_404(item_id)
        if request.method == "POST":
            check_token()
            cid = request.form.get("id", "").strip().lower()
            text = " ".join(request.form.get("text", "").split())  # one line, as in the rubric
            try:
                points = float(request.form.get("points", ""))
            except ValueError:
                abort(400, "points must be a number")
            if not cid or not text:
                abort(400, "a criterion needs an id and a text")
            store.set_criterion(item.id, cid, text, points)
            affected = [g.student for g in store.grades(item.id) if cid in g.applied]
            merged(affected)
            return redirect(url_for("criteria", item_id=item.id))
        uses = {}
        for g in store.grades(item.id):
            for c in g.applied:
                uses[c] = uses.get(c, 0) + 1
        return render_template("criteria.html.j2", item=item, criteria=store.criteria(item.id),
                               uses=uses, ta=ta())

    @app.get("/export.csv")
    def export() -> Any:
        if ta() is None:
            return redirect(url_for("index"))
        response = make_response(store.export_csv())
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = "attachment; filename=manual-grades.csv"
        return response

    @app.post("/import")
    def import_csv() -> Any:
        check_token()
        upload = request.files.get("file")
        if upload is None:
            abort(400, "no file")
        try:
            count = store.import_csv(upload.read().decode("utf-8-sig"), ta() or "import",
                                     by=ta() if login else None)
        except (ValueError, UnicodeDecodeError) as exc:
            abort(400, f"cannot import: {exc}")
        merged(sorted({g.student for g in store.grades()}))
        return redirect(url_for("index", imported=count))

    return app


def _section(folder: Path, item: Item) -> tuple[Optional[Section], str]:
    path = folder / "written" / "answers.md"
    try:
        stat = path.stat()
    except OSError:
        return None, "This student handed in no answers.md."
    return _read_section(str(path), stat.st_mtime_ns, stat.st_size, item.section)


@functools.lru_cache(maxsize=256)
def _read_section(path: str, mtime: int, size: int, part: str) -> tuple[Optional[Section], str]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read(MAX_ANSWERS_BYTES)
    found = sections(text)
    if part not in found:
        return None, f"answers.md has no section `## {part}`" + (
            f" (it has {', '.join(sorted(found))})." if found else ".")
    section = found[part]
    if len(section.body) > MAX_SHOWN:
        return Section(section.part, section.heading, section.body[:MAX_SHOWN], section.line), \
            f"The section is {len(section.body) // 1024:,} KB long: only its first " \
            f"{MAX_SHOWN // 1024} KB are shown."
    return section, ""


@functools.lru_cache(maxsize=256)
def _rendered(body: str) -> str:
    return student_html(body)


def _checked(folder: Path, rubric: Rubric, item: Item) -> list[tuple[str, str, str]]:
    """What the grader found of the same part's automatic items: (id, points, verdict)."""
    import json

    try:
        tests = json.loads((folder / "results.json").read_text(encoding="utf-8"))["tests"]
    except (OSError, ValueError, KeyError):
        return []
    same = {i.id for i in rubric.items if i.section == item.section and i.kind != "manual"}
    return [(t["extra_data"]["item"], f"{t['score']:g} / {t['max_score']:g}",
             t["output"].split("\n", 1)[0]) for t in tests
            if isinstance(t, dict) and t.get("extra_data", {}).get("item") in same]
