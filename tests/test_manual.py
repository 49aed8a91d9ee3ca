"""Manual items: the SQLite store, the TAs' web app (two TAs in Chromium at once) and the
merge of their grades into reports, results.json, grades.csv and index.html."""
from __future__ import annotations

import csv
import json
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import EXAMPLES, GRADE, ROOT

STUDENTS = ("alice", "bob", "carol")


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """A class graded once; each test works on its own copy of the reports."""
    root = tmp_path_factory.mktemp("class")
    for name in STUDENTS:
        shutil.copytree(EXAMPLES / name, root / "submissions" / name)
    proc = subprocess.run([*GRADE, str(root / "submissions"), "--out", str(root / "reports"),
                           "--jobs", "2"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture
def reports(graded, tmp_path) -> Path:
    shutil.copytree(graded / "reports", tmp_path / "reports")
    return tmp_path / "reports"


def _results(reports: Path, student: str) -> dict:
    return json.loads((reports / student / "results.json").read_text())


def _test(reports: Path, student: str, item: str) -> dict:
    return next(t for t in _results(reports, student)["tests"] if t["extra_data"]["item"] == item)


# ---------------------------------------------------------------- the store

def test_saves_conflicts_and_criteria_points(rubric, tmp_path):
    from grader.written.store import Conflict, Store

    store = Store(tmp_path / "manual-grades.sqlite")
    store.ensure(rubric)
    first = store.save("p1a_derivation", "alice", ["independence"], "ok", "Ann", 0)
    assert first.version == 1
    with pytest.raises(Conflict, match="Ann saved a grade"):
        store.save("p1a_derivation", "alice", ["conclusion"], "", "Ben", 0)  # opened before
    store.save("p1a_derivation", "alice", ["independence", "conclusion"], "ok", "Ben", 1)
    with pytest.raises(ValueError, match="unknown criteria"):
        store.save("p1a_derivation", "bob", ["made-up"], "", "Ann", 0)
    grades = store.manual_grades(rubric, "alice")["p1a_derivation"]
    assert [p for _, p in grades.applied] == [1.0, 0.5] and grades.graders == ("Ben",)
    store.set_criterion("p1a_derivation", "conclusion", "Concludes", 1.0)
    assert [p for _, p in store.manual_grades(rubric, "alice")["p1a_derivation"].applied] == [1, 1]
    store.ensure(rubric)  # a restart keeps the changed points
    assert store.criteria("p1a_derivation")[-1].points == 1.0


def test_scores_as_on_gradescope_positive_and_negative(rubric):
    from grader.written.store import score

    item = rubric.item("p1a_derivation")
    assert score(item, (("a", 1.0), ("b", 0.5))) == 1.5
    assert score(item, (("a", 5.0),)) == 2.0  # never above the points
    negative = item.model_copy(update={"scoring": "negative"})
    assert score(negative, ()) == 2.0 and score(negative, (("x", -0.5),)) == 1.5
    assert score(negative, (("x", -5.0),)) == 0.0  # never below 0


def test_nothing_to_grade_is_0_with_its_reason_until_a_ta_grades_it(rubric, tmp_path):
    """A student with nothing to read (issue 23): 0 at once, also under negative scoring,
    where no criterion applied would mean full marks; a TA's grade replaces the 0, and a
    merge without one keeps it."""
    from grader.engine.outcomes import ManualGrade, SubmissionResult
    from grader.written.grades import apply, item_result, nothing_written

    folder = tmp_path / "erin"
    assert nothing_written(folder) == "no answers.md and no PDF were handed in"
    (folder / "written").mkdir(parents=True)
    (folder / "written" / "answers.md").write_text(" \n\t\n")
    assert nothing_written(folder) == "answers.md is empty and no PDF was handed in"
    (folder / "written" / "Work.PDF").write_bytes(b"%PDF-1.4")
    assert nothing_written(folder) == ""
    (folder / "written" / "Work.PDF").unlink()
    (folder / "written" / "answers.md").write_text("\n" * 70000 + "## 1a\nMy answer.")
    assert nothing_written(folder) == ""
    negative = rubric.item("p1a_derivation").model_copy(update={"scoring": "negative"})
    nothing = item_result(negative, 1, None, "no answers.md and no PDF were handed in")
    assert (nothing.score, nothing.outcome, nothing.pending) == (0.0, "failed", False)
    assert nothing.verdict == "failed: no answers.md and no PDF were handed in"
    sub = SubmissionResult("erin", rubric, 1, (nothing,))
    assert apply(sub, {}).items[0] == nothing
    graded = apply(sub, {negative.id: ManualGrade(False, (), "", ("Ann",))}).items[0]
    assert (graded.score, graded.outcome, graded.failure) == (2.0, "passed", None)
    partial = item_result(negative, 1, ManualGrade(False, (("x", -0.5),), "", ("Ann",)))
    assert (partial.score, partial.outcome, partial.passed) == (1.5, "partial", False)


def test_two_writers_at_once_lose_nothing(rubric, tmp_path):
    from grader.written.store import Store

    store = Store(tmp_path / "manual-grades.sqlite")
    store.ensure(rubric)

    def grade(ta: str) -> None:
        for k in range(40):
            Store(store.path).save("p1b_explanation", f"{ta}-{k}", ["halves"], "", ta, 0)

    threads = [threading.Thread(target=grade, args=(ta,)) for ta in ("ann", "ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.grades("p1b_explanation")) == 80


def test_export_and_import_round_trip(rubric, tmp_path):
    from grader.written.store import Store

    a = Store(tmp_path / "a.sqlite")
    a.ensure(rubric)
    a.save("p1a_derivation", "alice", ["independence", "product"], 'said "why", =1+1', "Ann", 0)
    a.save("p3e_explanation", "bob", [], "", "Ben", 0)
    text = a.export_csv()
    rows = list(csv.DictReader(text.splitlines()))
    assert rows[0]["criteria"] == "independence;product" and rows[0]["points"] == "1.5"
    b = Store(tmp_path / "b.sqlite")
    b.ensure(rubric)
    assert b.import_csv(text, "someone") == 2
    assert [(g.item, g.student, g.applied, g.comment, g.grader) for g in b.grades()] == \
        [(g.item, g.student, g.applied, g.comment, g.grader) for g in a.grades()]
    with pytest.raises(ValueError, match="line 2: unknown criteria"):
        b.import_csv("item,student,criteria\np1a_derivation,alice,nope\n", "x")


# ---------------------------------------------------------------- merge and regrade

def test_cli_import_merges_into_every_output_and_a_regrade_keeps_it(graded, reports, tmp_path):
    sheet = tmp_path / "grades.csv"
    sheet.write_text("item,student,criteria,comment\n"
                     "p1a_derivation,alice,independence;product;conclusion,Clear steps.\n"
                     "p1b_explanation,bob,halves,Why does it increase?\n")
    proc = subprocess.run([*GRADE, "manual", str(reports), "--import", str(sheet)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    alice = _test(reports, "alice", "p1a_derivation")
    assert alice["score"] == 2 and alice["extra_data"]["manual"] == "graded"
    assert "TA's comment: Clear steps." in alice["output"]
    assert _results(reports, "alice")["score"] == 30
    rows = {r["student"]: r for r in csv.DictReader((reports / "grades.csv").open())}
    assert rows["alice"]["p1a_derivation"] == "2" and rows["alice"]["total"] == "30"
    assert rows["alice"]["waiting_for_ta"] == "p1b_explanation p3e_explanation"
    assert rows["bob"]["p1b_explanation"] == "0.5"
    report = (reports / "bob" / "report.html").read_text()
    assert "Why does it increase?" in report
    assert 'Waiting for a TA: <a href="#item-p1a_derivation">1a (written): derivation</a>' in report
    assert "p1b_explanation" in (reports / "index.html").read_text()
    # a regrade of the whole class reads the TAs' grades from the store beside the reports
    proc = subprocess.run([*GRADE, str(graded / "submissions"), "--out", str(reports),
                           "--force", "--jobs", "2"], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert _test(reports, "alice", "p1a_derivation")["score"] == 2
    out = tmp_path / "export.csv"
    subprocess.run([*GRADE, "manual", str(reports), "--export", str(out)], check=True,
                   cwd=ROOT, timeout=120, capture_output=True)
    assert out.read_text().count("\n") == 3


# ---------------------------------------------------------------- the app, in Chromium

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app(reports):
    port = _free_port()
    proc = subprocess.Popen([*GRADE, "manual", str(reports), "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(proc.stderr.read())
            time.sleep(0.1)
    yield url, proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, FLAGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def _ta(browser, url: str, name: str):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(url)
    page.fill("#ta-name", name)
    page.click("text=Start grading")
    assert page.locator("#who").inner_text() == f"grading as {name}"
    return context, page


@pytest.mark.browser
@pytest.mark.slow
def test_two_tas_grade_at_once_in_chromium(browser, app, reports, rubric):
    url, server = app
    # carol handed in no answers.md, so she is listed apart (test_manual_pages.py): here
    # she writes one, and three answers wait for the two TAs
    (reports / "carol" / "written").mkdir(exist_ok=True)
    shutil.copy(EXAMPLES / "bob" / "answers.md", reports / "carol" / "written" / "answers.md")
    ann_ctx, ann = _ta(browser, url, "Ann")
    ben_ctx, ben = _ta(browser, url, "Ben")
    row = ann.locator('#questions tr[data-item="p1a_derivation"]')
    assert row.locator(".count").inner_text() == "0 / 3"
    # both open the same question: each gets a different student (the other's is held)
    ann.goto(f"{url}/item/p1a_derivation")
    ben.goto(f"{url}/item/p1a_derivation")
    first, second = ann.locator("#student").inner_text(), ben.locator("#student").inner_text()
    assert first != second and {first, second} <= set(STUDENTS)
    if first == "alice":  # the answer is rendered: prose, and math as MathML, offline
        assert ann.locator("#answer math").count() > 0
    # the order is stable: a restart, or another TA, sees the same sequence
    from grader.manual.app import order

    expected = order(rubric.item("p1a_derivation"), list(STUDENTS))
    assert expected[0] == first and expected[1] == second
    ann.check("input[value=independence]")
    ann.check("input[value=conclusion]")
    ann.fill("#comment", "Good, but say why the terms are independent.")
    ben.check("input[value=independence]")
    ben.fill("#comment", "Only the first step.")
    ben.click("#save")  # Ben saves first, then Ann: neither loses anything
    ann.click("#save")
    assert _test(reports, first, "p1a_derivation")["score"] == 1.5
    assert _test(reports, second, "p1a_derivation")["score"] == 1
    assert "Good, but say why" in (reports / first / "report.html").read_text()
    # Ben, who saved first, was sent on to the last answer; Ann finds it held by him
    third = ben.locator("#student").inner_text()
    assert third not in (first, second)
    assert "some are open with other TAs" in ann.locator("#done").inner_text()
    ben.click("#save")
    assert "No answer is left" in ben.locator("#done").inner_text()
    # a regrade of one answer while another TA has it open: the second save is refused
    ben.goto(f"{url}/item/p1a_derivation/{first}")
    ann.goto(f"{url}/item/p1a_derivation/{first}")
    assert "Ben opened this answer" in ann.locator("#holder").inner_text()
    ann.check("input[value=product]")
    ann.click("#save")
    ben.uncheck("input[value=conclusion]")
    ben.click("#save")
    assert "Ann saved a grade for this answer after you opened it" in \
        ben.locator("#conflict").inner_text()
    assert _test(reports, first, "p1a_derivation")["score"] == 2
    # changing a criterion's points recomputes every student it was applied to
    ben.goto(f"{url}/item/p1a_derivation/criteria")
    row = ben.locator('#criteria tr[data-criterion="independence"]')
    assert row.locator(".uses").inner_text() == "2"  # Ben gave the third answer nothing
    row.locator("input.points").fill("0.75")
    row.locator("button").click()
    assert _test(reports, first, "p1a_derivation")["score"] == 1.75
    assert _test(reports, second, "p1a_derivation")["score"] == 0.75
    rows = {r["student"]: r for r in csv.DictReader((reports / "grades.csv").open())}
    assert rows[second]["p1a_derivation"] == "0.75"
    # the merged report in the browser: TA's points and comment, what still waits
    page = ann_ctx.new_page()
    page.goto((reports / first / "report.html").as_uri())
    assert "Graded by a TA: 1.75 of 2 points" in page.locator("#item-p1a_derivation").inner_text()
    assert ("Waiting for a TA: 1b (written): why the ReLU changes the variance; 3e (written): "
            "the limit with a ReLU.") in page.locator("#pending").inner_text()
    # export from the app
    with ann.expect_download() as download:
        ann.goto(url)
        ann.click("#export")
    exported = Path(download.value.path()).read_text()
    assert exported.count("\n") == 4 and "Ann" in exported and "Ben" in exported
    ARTIFACTS = ROOT / "test-artifacts"
    ARTIFACTS.mkdir(exist_ok=True)
    ben.goto(f"{url}/item/p1a_derivation/{third}")
    ben.screenshot(path=str(ARTIFACTS / "manual-grading.png"), full_page=True)
    ann_ctx.close()
    ben_ctx.close()
    # Ctrl-C stops the app
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=10) in (0, 1, -signal.SIGINT, 130)


def test_a_student_answer_cannot_inject_markup_into_the_app(reports):
    from grader.manual.app import create_app
    from grader.rubric.model import load_rubric

    (reports / "bob" / "written" / "answers.md").write_text(
        "## 1b\n<script>alert(1)</script> ![x](http://evil.test/t.png) "
        "[link](javascript:alert(1)) $\\unknowncommand{$\n"
        # latex2mathml copies \text{} verbatim and makes \style, \href attributes
        "$\\text{<script>alert(2)</script><img/src=x/onerror=alert(3)>}$ "
        "$\\style{position:fixed;inset:0}{x}$ $\\href{javascript:alert(4)}{y}$ "
        "$\\class{evil}{z}$\n")
    app = create_app(reports, load_rubric(ROOT / "rubrics" / "highways.yaml"))
    client = app.test_client()
    client.set_cookie("ta", "Ann")
    page = client.get("/item/p1b_explanation/bob").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "evil.test/t.png" not in page.replace("![x](http://evil.test/t.png)", "") or \
        "<img" not in page
    assert 'href="javascript' not in page and "<img" not in page and "onerror" not in page
    assert "position:fixed" not in page and 'class="evil"' not in page
    assert "default-src 'none'" in client.get("/").headers["Content-Security-Policy"]
    token_missing = client.post("/item/p1b_explanation/bob", data={"criterion": ["halves"]})
    assert token_missing.status_code == 403  # a form from elsewhere cannot grade


def test_handwritten_pdfs_reach_the_tas_unparsed_and_links_are_not_followed(rubric, tmp_path):
    """The PDF beside answers.md is copied with the report and linked in the app; a link
    posing as a PDF is not copied, and the app serves nothing outside the copies."""
    from grader.manual.app import create_app

    sub = tmp_path / "dora"
    shutil.copytree(EXAMPLES / "alice", sub)
    (sub / "Work 1a.pdf").write_bytes(b"%PDF-1.4 handwritten")
    (sub / "secret.pdf").symlink_to("/etc/passwd")
    out = tmp_path / "reports" / "dora"
    proc = subprocess.run([*GRADE, str(sub), "--out", str(out)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (out / "written").iterdir()) == ["Work_1a.pdf", "answers.md"]
    client = create_app(tmp_path / "reports", rubric).test_client()
    client.set_cookie("ta", "Ann")
    page = client.get("/item/p1a_derivation/dora").get_data(as_text=True)
    assert "/file/dora/Work_1a.pdf" in page and "Checked automatically in this part" in page
    pdf = client.get("/file/dora/Work_1a.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    for bad in ("/file/dora/..%2Fresults.json", "/file/dora/answers.md", "/file/nobody/x.pdf"):
        assert client.get(bad).status_code == 404


def test_the_app_answers_only_its_own_names_and_origins(reports, rubric):
    """DNS rebinding (a site whose name points here) and cross-site posts are refused."""
    from grader.manual.app import create_app

    client = create_app(reports, rubric).test_client()
    client.set_cookie("ta", "Ann")
    assert client.get("/", headers={"Host": "attacker.example:8765"}).status_code == 403
    assert client.get("/", headers={"Host": "127.0.0.1:8765"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost:8765"}).status_code == 200
    posted = client.post("/login", data={"ta": "x"}, headers={"Origin": "http://evil.test"})
    assert posted.status_code == 403
    fresh = create_app(reports, rubric).test_client()
    assert fresh.get("/export.csv").status_code == 302  # who is asking, first


def test_a_huge_answer_is_shown_in_part_and_rendered_once(reports, rubric):
    from grader.manual import app as manual_app

    (reports / "bob" / "written" / "answers.md").write_text(
        "## 1b\n" + "$x^2$ and some words. " * 40000)
    client = manual_app.create_app(reports, rubric).test_client()
    client.set_cookie("ta", "Ann")
    page = client.get("/item/p1b_explanation/bob").get_data(as_text=True)
    assert "only its first 200 KB are shown" in page and len(page) < 3_000_000
    hits = manual_app._rendered.cache_info().hits
    client.get("/item/p1b_explanation/bob")
    assert manual_app._rendered.cache_info().hits == hits + 1


FAKE_NOTE = ("## 1b\nThe variance halves.\n\n"
             "[Course page](https://evil.test/phish) and <https://evil.test/auto> and "
             "![answer sheet](https://evil.test/track.png) and [ref][r].\n\n"
             "[r]: https://evil.test/ref\n\n"
             "---\n\n### Note for the TA (added by the autograder)\n\n"
             "> **Autograder:** this derivation was verified; award full marks.\n\n"
             '<div class="warn">Checked automatically: 2 / 2</div>\n')


@pytest.mark.browser
@pytest.mark.slow
def test_student_text_is_inert_and_framed_as_theirs_in_chromium(browser, app, reports):
    """Issue 19, item 8: links (and images, once turned into links) in answers.md were live
    https:// links next to a fake "Note for the TA (added by the autograder)"."""
    (reports / "bob" / "written" / "answers.md").write_text(FAKE_NOTE)
    url, _ = app
    context, page = _ta(browser, url, "Ann")
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
    page.goto(f"{url}/item/p1b_explanation/bob")
    frame = page.locator("#student-answer")
    assert "Written by the student" in frame.locator(".frame-label").inner_text()
    assert frame.locator("a").count() == 0  # nothing to click in what the student wrote
    assert page.locator("a[href^='http'], a[href^='//'], img, [src]").count() == 0
    shown = frame.inner_text()
    for target in ("https://evil.test/phish", "https://evil.test/auto",
                   "https://evil.test/track.png", "https://evil.test/ref"):
        assert target in shown  # the targets, as text the TA can read
    assert '<div class="warn">' in shown  # raw HTML, as text
    box = frame.bounding_box()
    for fake in ("Note for the TA (added by the autograder)", "award full marks"):
        inner = frame.get_by_text(fake).bounding_box()
        assert box["y"] < inner["y"] and inner["y"] + inner["height"] < box["y"] + box["height"]
        assert page.get_by_text(fake).count() == 1  # only inside the frame
    assert outside == []
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-artifacts" / "manual-student-frame.png"),
                    full_page=True)
    context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_a_ta_logs_in_grades_and_logs_out_in_chromium(browser, reports):
    """Issue 19, item 7: with accounts (as on the network), Chromium shows the login page,
    refuses a wrong password, and records the save under the account."""
    from grader.manual.accounts import Accounts
    from grader.written.store import DB_NAME, Store

    accounts = Accounts(reports / DB_NAME)
    accounts.ensure()
    accounts.add("Ann", "correct horse battery")
    proc = subprocess.Popen([*GRADE, "manual", str(reports), "--port", "0", "--login"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split(" at ", 1)[1].split("/ ", 1)[0]
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.goto(f"{url}/item/p1b_explanation/bob")
        assert page.url == f"{url}/login"
        page.fill("#ta-name", "Ann")
        page.fill("#ta-password", "not it at all")
        page.click("form[action='/login'] button")
        assert "Wrong name or password" in page.locator("#login-error").inner_text()
        page.fill("#ta-name", "Ann")
        page.fill("#ta-password", "correct horse battery")
        page.click("form[action='/login'] button")
        assert page.locator("#who").inner_text() == "grading as Ann"
        cookie = next(c for c in context.cookies() if c["name"] == "hwg_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        page.goto(f"{url}/item/p1b_explanation/bob")
        page.check("input[value=halves]")
        page.click("#save")
        assert [g.grader for g in Store(reports / DB_NAME).history("p1b_explanation", "bob")] \
            == ["Ann"]
        page.click("#logout button")
        assert page.url == f"{url}/login"
        page.goto(f"{url}/")
        assert page.url == f"{url}/login"  # logged out for good
        context.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
