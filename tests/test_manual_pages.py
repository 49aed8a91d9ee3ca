"""The TAs' app and what students read of its grades, as first-time users met them (issue
23, items 4 and 5), in Chromium at a laptop's size (1280x800) and a phone's (390x844):
every page measured (no sideways scroll, no control or box cut or flush against the
screen's edge, no text over other text); a TA's partial credit shown as partial; a TA's
comment rendered as math and inert; a confirmation after each save naming whom it saved;
students who handed in nothing kept out of the queue, graded 0 with the reason."""
from __future__ import annotations

import csv
import json
import re
import shutil
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from conftest import EXAMPLES, GRADE, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SIZES = [(1280, 800), (390, 844)]
IDS = ["laptop", "phone"]
MARGIN = 8  # px a box keeps from the screen's edges
ARTIFACTS = ROOT / "test-artifacts"
NOTHING = ("carol", "erin")  # no answers.md (carol), an empty folder (erin)
ITEM = "p1a_derivation"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """alice and bob wrote answers.md; carol did not; erin's folder is empty."""
    root = tmp_path_factory.mktemp("class")
    for name in ("alice", "bob", "carol"):
        shutil.copytree(EXAMPLES / name, root / "submissions" / name)
    (root / "submissions" / "erin").mkdir()
    proc = subprocess.run([*GRADE, str(root / "submissions"), "--out", str(root / "reports"),
                           "--jobs", "2"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return root / "reports"


@pytest.fixture
def reports(graded, tmp_path) -> Path:
    shutil.copytree(graded, tmp_path / "reports")
    return tmp_path / "reports"


@contextmanager
def serving(reports: Path) -> Iterator[str]:
    proc = subprocess.Popen([*GRADE, "manual", str(reports), "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+)/ ", line)
        assert found, line + proc.stderr.read()
        yield found.group(1)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, FLAGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def _ta(browser, url: str, size: tuple[int, int], name: str = "Ann"):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(url)
    page.fill("#ta-name", name)
    page.click("text=Start grading")
    return context, page


# What a person sees go wrong on a page, measured from the boxes Chromium laid out.
LAYOUT = """(margin) => {
  const w = window.innerWidth, problems = [];
  if (document.documentElement.scrollWidth > w)
    problems.push(`scrolls sideways: ${document.documentElement.scrollWidth} px wide`);
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '') +
    (el.name ? `[name=${el.name}]` : '');
  const boxes = 'input:not([type=hidden]), textarea, button, select, label.criterion, ' +
    'table, pre, .student-frame, .warn, .ok, .comment, .diagnosis, .badge';
  for (const el of document.querySelectorAll(boxes)) {
    const r = el.getBoundingClientRect();
    if (!r.width) continue;
    if (r.left < margin || r.right > w - margin)
      problems.push(`${describe(el)} at ${Math.round(r.left)}-${Math.round(r.right)} px`);
  }
  for (const el of document.querySelectorAll('body *')) {  // content hidden in its box
    const cs = getComputedStyle(el), field = el.matches('input, textarea');
    if (((cs.overflowX !== 'visible' || field) && el.scrollWidth > el.clientWidth + 1) ||
        ((cs.overflowY !== 'visible' || el.matches('textarea')) &&
         el.scrollHeight > el.clientHeight + 1))
      problems.push(`${describe(el)} cuts its content: ${el.scrollWidth}x${el.scrollHeight}` +
                    ` in ${el.clientWidth}x${el.clientHeight}`);
  }
  const owners = [], rects = [];  // text, line by line; math and controls whole
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode;
    const parent = node.parentElement;  // (what a closed <details> holds is not shown)
    if (!node.textContent.trim() || parent.closest('math, textarea, option') ||
        !parent.checkVisibility() ||
        (parent.closest('details:not([open])') && !parent.closest('summary'))) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) if (r.width && r.height) { owners.push(node); rects.push(r); }
  }
  for (const el of document.querySelectorAll('math, input:not([type=hidden]), textarea, button, select')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.height && el.checkVisibility()) { owners.push(el); rects.push(r); }
  }
  for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
    const a = rects[i], b = rects[j];
    if (owners[i].contains(owners[j]) || owners[j].contains(owners[i])) continue;
    const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (dx > 2 && dy > 2)
      problems.push(`overlap: "${owners[i].textContent.trim().slice(0, 30)}" and ` +
                    `"${owners[j].textContent.trim().slice(0, 30)}"`);
  }
  return problems;
}"""


def assert_fits(page, what: str) -> None:
    page.wait_for_load_state()  # a click that submits a form may leave the next page loading
    problems = page.evaluate(LAYOUT, MARGIN)
    width = page.viewport_size["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"manual-{what}-{width}.png"), full_page=True)
    assert problems == [], f"{what} at {width} px: {problems}"


def _results(reports: Path, student: str) -> dict:
    return json.loads((reports / student / "results.json").read_text())


def _test(reports: Path, student: str, item: str = ITEM) -> dict:
    return next(t for t in _results(reports, student)["tests"] if t["extra_data"]["item"] == item)


# ---------------------------------------------------------------- item 5: the pages fit

@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_every_page_of_the_app_fits_a_laptop_and_a_phone(browser, reports, rubric, size):
    """The questions page was 539 px wide on a 390 px phone, the criteria page 847 px with
    its LaTeX cut inside its inputs, and the grading page's boxes ran to the screen's edge."""
    from grader.written.store import DB_NAME, Store

    store = Store(reports / DB_NAME)
    store.ensure(rubric)
    for student in ("alice", "bob"):  # p1b fully graded: its page lists who and how much
        store.save("p1b_explanation", student, ["halves"], "", "Ben", 0)
    with serving(reports) as url:
        context, page = _ta(browser, url, size)
        assert_fits(page, "questions")
        page.goto(f"{url}/item/{ITEM}/criteria")
        assert_fits(page, "criteria")
        texts = page.locator("#criteria [name=text]")
        assert texts.first.input_value().startswith("Writes $\\mathrm{Var}")
        for student in ("alice", "bob", "carol"):
            page.goto(f"{url}/item/{ITEM}/{student}")
            assert_fits(page, f"answer-{student}")
        page.goto(f"{url}/item/p1b_explanation")
        assert page.locator("#done").is_visible()
        assert_fits(page, "done")
        context.close()


# ---------------------------------------------------------------- item 4: what TAs and students see

@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_save_and_next_confirms_whom_it_saved(browser, reports, size):
    with serving(reports) as url:
        context, page = _ta(browser, url, size)
        page.goto(f"{url}/item/{ITEM}")
        first = page.locator("#student").inner_text()
        page.check("input[value=independence]")
        page.check("input[value=product]")
        page.click("#save")
        second = page.locator("#student").inner_text()
        assert second != first
        assert page.locator("#saved").inner_text() == f"Saved: {first}, 1.5 / 2 points for {ITEM}."
        assert_fits(page, "saved")
        page.click("#save")  # nothing ticked: 0 points, and the queue is done
        assert "No answer is left" in page.locator("#done").inner_text()
        assert page.locator("#saved").inner_text() == f"Saved: {second}, 0 / 2 points for {ITEM}."
        page.goto(f"{url}/item/{ITEM}/{first}?saved={second}")  # a link does not fake one:
        assert page.locator("#saved").count() == 1  # Ann did save that grade
        other, page2 = _ta(browser, url, size, "Ben")
        page2.goto(f"{url}/item/{ITEM}/{first}?saved={second}")
        assert page2.locator("#saved").count() == 0  # but Ben did not
        other.close()
        context.close()


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_students_who_handed_in_nothing_are_graded_0_and_listed_apart(browser, reports, rubric,
                                                                     size):
    """4 of 20 students of the trial class (no answers.md, or an empty folder) were shown to
    TAs one by one, with nothing to grade."""
    from grader.engine import record
    from grader.outputs.feedback import table

    for student, why in zip(NOTHING, ("no answers.md and no PDF were handed in",) * 2):
        test = _test(reports, student)
        assert (test["score"], test["status"]) == (0, "failed")
        assert test["extra_data"]["manual"] == "nothing to grade"
        assert why in test["output"] and "Waits for a TA" not in test["output"]
        lines = table(record.read(reports / student, rubric))
        assert any(re.match(rf"\s+FAIL {ITEM}\s+0/2\s+failed: {why}", ln) for ln in lines), lines
    rows = {r["student"]: r for r in csv.DictReader((reports / "grades.csv").open())}
    assert rows["carol"]["waiting_for_ta"] == "" and rows["erin"]["waiting_for_ta"] == ""
    assert rows["alice"]["waiting_for_ta"] == "p1a_derivation p1b_explanation p3e_explanation"
    with serving(reports) as url:
        context, page = _ta(browser, url, size)
        row = page.locator(f'#questions tr[data-item="{ITEM}"]')
        assert row.locator(".count").inner_text() == "0 / 2"
        row.locator("details.apart summary").click()
        assert "+ 2 with nothing to grade" in row.locator("details.apart").inner_text()
        assert_fits(page, "questions-apart")
        page.goto(f"{url}/item/{ITEM}")
        seen = []
        while page.locator("#student").count():
            seen.append(page.locator("#student").inner_text())
            page.click("#save")
            page.wait_for_load_state()  # the click returns once the next page has begun
        assert sorted(seen) == ["alice", "bob"]
        apart = page.locator("#apart")
        for student in NOTHING:
            assert f"{student}: no answers.md and no PDF were handed in" in apart.inner_text()
        assert_fits(page, "done-apart")
        page.click("#apart a:text('carol')")  # a TA may grade one after all: it replaces the 0
        assert "not in the queue" in page.locator("#position").inner_text()
        page.check("input[value=independence]")
        page.click("#save")
        context.close()
    from grader.manual.merge import merge_grades
    from grader.written.store import DB_NAME, Store

    merge_grades(reports, rubric, Store(reports / DB_NAME))  # every student, as --import does
    assert _test(reports, "carol")["score"] == 1
    assert _test(reports, "carol")["extra_data"]["manual"] == "graded"
    assert _test(reports, "erin")["extra_data"]["manual"] == "nothing to grade"


COMMENT = ("Right until $\\sigma = 1/d_x$; see [my notes](https://evil.test/x) "
           "<b>not bold</b>\nand ![x](https://evil.test/t.png) on a line of its own.")


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_partial_credit_reads_as_partial_and_the_comment_as_math(browser, reports, rubric,
                                                                size):
    """A TA's 1.5 of 2 carried a red "failed" badge, and the comment's $...$ showed raw
    beside criteria rendered as math."""
    from grader.engine import record
    from grader.outputs.feedback import table

    with serving(reports) as url:
        context, page = _ta(browser, url, size)
        page.goto(f"{url}/item/{ITEM}/alice")
        page.check("input[value=independence]")
        page.check("input[value=product]")
        page.fill("#comment", COMMENT)
        page.click("#save")
        context.close()
    test = _test(reports, "alice")
    assert (test["score"], test["status"]) == (1.5, "passed")  # Gradescope: no failure
    lines = table(record.read(reports / "alice", rubric))
    assert any(re.match(rf"\s+part {ITEM}\s+1.5/2\s+graded by a TA", ln) for ln in lines), lines
    items = (reports / "index.html").read_text().split('<table id="items">')[1]
    row = items.split(f"<code>{ITEM}</code>")[1].split("</tr>")[0]
    assert "something else" not in row  # the class page: not a failure of unknown kind
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("file:") else None)
    page.goto((reports / "alice" / "report.html").as_uri())
    section = page.locator(f"#item-{ITEM}")
    badge = section.locator(".badge")
    assert badge.inner_text() == "partial credit" and "failed" not in badge.get_attribute("class")
    assert badge.evaluate("b => getComputedStyle(b).backgroundColor") != "rgb(180, 35, 24)"
    summary = page.locator(f"#summary tr:has(a[href='#item-{ITEM}']) .badge")
    assert summary.inner_text() == "partial credit"
    comment = section.locator(".comment")
    assert comment.locator("math").count() == 1 and "$" not in comment.inner_text()
    assert comment.locator("a, b, img, [src], [href]").count() == 0
    shown = comment.inner_text()
    for text in ("<b>not bold</b>", "https://evil.test/x", "https://evil.test/t.png"):
        assert text in shown
    assert comment.locator("br").count() == 1  # the TA's line break kept
    assert outside == []
    assert_fits(page, "report-partial")
    page.close()
