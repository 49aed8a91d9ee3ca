"""Reports opened in a real browser: headless Chromium from Debian, driven by Playwright."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, run_grade

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: run scripts/setup-browser"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    for name in ("bob", "carol"):
        run_grade(EXAMPLES / name, out / name)
    return out


def _open(browser, path: Path, width: int, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: problems.append(f"request {r.url}")
            if not r.url.startswith("file:") else None)
    page.goto(path.as_uri())
    return page, problems


@pytest.mark.parametrize("name", ["bob", "carol"])
def test_report_loads_clean_and_shows_every_item(browser, reports, rubric, name):
    page, problems = _open(browser, reports / name / "report.html", 1100)
    assert problems == []
    for item in rubric.items:
        assert page.locator(f"#item-{item.id}").is_visible()
    assert page.locator("#total").inner_text().endswith("/ 32 points")
    assert page.locator("math").count() > 10  # MathML rendered natively
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"), full_page=True)
    page.close()


def test_summary_links_jump_to_their_item(browser, reports):
    page, _ = _open(browser, reports / "bob" / "report.html", 1100)
    page.click("#summary a[href='#item-p3e']")
    assert page.url.endswith("#item-p3e")
    assert page.locator("#item-p3e").is_visible()
    box = page.locator("#item-p3e").bounding_box()
    assert -2 <= box["y"] < 200  # scrolled into view (to within a fraction of a pixel)
    page.close()


def test_report_fits_a_phone(browser, reports):
    page, problems = _open(browser, reports / "bob" / "report.html", 375, 800)
    assert problems == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    page.screenshot(path=str(ARTIFACTS / "report-bob-phone.png"), full_page=False)
    page.close()


def test_report_prints(browser, reports):
    page, _ = _open(browser, reports / "bob" / "report.html", 1100)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    page.close()


@pytest.fixture(scope="module")
def class_summary(tmp_path_factory):
    import subprocess

    from conftest import GRADE

    out = tmp_path_factory.mktemp("class")
    subprocess.run([*GRADE, str(EXAMPLES), "--out", str(out), "--class"], cwd=ROOT, check=True,
                   capture_output=True)
    return out / "index.html"


def test_class_summary_loads_clean_and_shows_the_class(browser, class_summary, rubric):
    page, problems = _open(browser, class_summary, 1200)
    assert problems == []
    assert page.locator("#n-students").inner_text() == "3"
    rows = page.locator("#items tbody tr")
    assert rows.count() == len(rubric.items)
    assert page.locator("#histogram .bar > span").count() > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "class-summary.png"), full_page=True)
    page.close()


def test_class_table_sorts_and_links_to_reports(browser, class_summary):
    page, problems = _open(browser, class_summary, 1200)
    names = lambda: page.locator("#students tbody tr td:first-child a").all_inner_texts()  # noqa: E731
    assert names() == ["alice", "bob", "carol"]
    page.click("#students thead th:nth-child(2)")  # Total, ascending
    assert names() == ["carol", "bob", "alice"]
    page.click("#students thead th:nth-child(2)")  # and descending
    assert names() == ["alice", "bob", "carol"]
    page.click("#students a:text('bob')")
    page.wait_for_load_state()
    assert page.url.endswith("/bob/report.html")
    assert page.locator("#total").inner_text() == "14 / 32 points"
    assert problems == []
    page.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_class_summary_fits_a_laptop_and_a_phone(browser, class_summary, width):
    page, problems = _open(browser, class_summary, width, 800)
    assert problems == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    if width == 1280:  # every column of the students table in view, the time column too
        last = page.locator("#students thead th").last.bounding_box()
        assert last["x"] + last["width"] <= width, last
    label = page.locator("#histogram .bin").first.bounding_box()
    assert label["height"] >= 9, label  # a phone's screen shrinks the chart, not its labels
    page.screenshot(path=str(ARTIFACTS / f"class-summary-{width}.png"), full_page=True)
    page.close()


def test_item_titles_show_their_math(browser, reports):
    page, _ = _open(browser, reports / "bob" / "report.html", 1100)
    assert page.locator("#item-p3c h2 math").count() >= 1  # $\sigma_W$ in the title
    assert "$" not in page.locator("#item-p3c h2").inner_text()
    assert page.locator("#summary math").count() >= 3
    page.close()


@pytest.mark.parametrize("width", [1100, 390])
def test_the_kit_handout_loads_clean_with_its_math_and_fits(browser, tmp_path, width):
    import zipfile

    from grader.kit import build_kit

    build_kit(ROOT / "rubrics" / "highways.yaml", tmp_path / "kit.zip")
    with zipfile.ZipFile(tmp_path / "kit.zip") as zf:
        zf.extractall(tmp_path)
    page, problems = _open(browser, tmp_path / "highways-kit" / "handout.html", width)
    assert problems == []
    assert page.locator("h1").inner_text().startswith("Highways")
    assert page.locator("math").count() > 30
    assert page.locator("h2", has_text="the student kit").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"kit-handout-{width}.png"), full_page=False)
    page.close()


SIDEWAYS = "document.documentElement.scrollWidth - window.innerWidth"
WIDTHS = [(1280, 800), (390, 844)]  # a laptop, a phone

# Every piece of text on the page as the boxes of its lines (a formula as one box), and
# the pairs of boxes that cover each other by more than a pixel each way: text over text.
OVERLAPS = """() => {
  const boxes = [];
  const add = (r, what) => { if (r.width > 0.5 && r.height > 0.5)
    boxes.push([r.left, r.top, r.right, r.bottom, what]); };
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walk.nextNode());) {
    const text = node.textContent.trim();
    if (!text || node.parentElement.closest("math, script, style")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) add(r, text.slice(0, 40));
  }
  for (const m of document.querySelectorAll("math")) add(m.getBoundingClientRect(), "<math>");
  const found = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, b] = [boxes[i], boxes[j]];
    const x = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
    const y = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
    if (x > 1 && y > 1) found.push(a[4] + " | " + b[4]);
  }
  return found.slice(0, 10);
}"""


@pytest.mark.parametrize("width, height", WIDTHS)
@pytest.mark.parametrize("name", ["bob", "carol"])
def test_a_report_reads_on_a_laptop_and_a_phone(browser, reports, rubric, name, width, height):
    """No sideways scroll, no text over text, and every item named by its title: the
    phone drops the ids, not the titles (issue 23)."""
    page, problems = _open(browser, reports / name / "report.html", width, height)
    assert problems == []
    assert page.evaluate(SIDEWAYS) <= 1
    assert page.evaluate(OVERLAPS) == []
    for item in rubric.items:
        title = page.locator(f"#summary a[href='#item-{item.id}']")
        assert title.is_visible() and title.inner_text().strip(), item.id
        assert item.id not in title.inner_text()
    assert page.locator("#summary td:nth-child(2)").first.is_visible() == (width > 640)
    page.screenshot(path=str(ARTIFACTS / f"report-{name}-{width}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("width, height", WIDTHS)
def test_the_class_summary_reads_on_a_laptop_and_a_phone(browser, class_summary, width, height):
    """No sideways scroll, no text over text; the histogram's bins hold whole points, as
    the totals do; manual items that wait for a TA are neither passed nor failed, and
    their cells are as blank as in grades.csv (issue 23)."""
    page, problems = _open(browser, class_summary, width, height)
    assert problems == []
    assert page.evaluate(SIDEWAYS) <= 1
    assert page.evaluate(OVERLAPS) == []
    labels = page.locator("#histogram .row:not(.meta) .bin").all_inner_texts()
    bins = [_bin(label) for label in labels]
    assert bins[0][0] == 0 and bins[-1][1] == 32 and 3 <= len(bins) <= 12, labels
    assert all(b[0] == a[1] + 1 for a, b in zip(bins, bins[1:])), labels  # no gap, no overlap
    for box in page.locator("#histogram .bin").all():
        assert box.bounding_box()["height"] >= 9
    manual = page.locator("#items tbody tr", has=page.locator("code", has_text="p1a_derivation"))
    # alice and bob wait for a TA; carol wrote no answers.md, so nothing waits (0, said why)
    assert "2 waiting for a TA" in manual.inner_text() and "0/3" not in manual.inner_text()
    cells = page.locator("#students td.waiting")
    assert cells.count() == 6 and set(cells.all_inner_texts()) == {"TA"}
    page.screenshot(path=str(ARTIFACTS / f"class-summary-reads-{width}.png"), full_page=True)
    page.close()


def _bin(label: str) -> tuple[int, int]:
    """"5–9" -> (5, 9); "32" -> (32, 32): whole points only, or the match fails."""
    found = re.fullmatch(r"(\d+)(?:–(\d+))?", label.strip())
    assert found, label
    return int(found.group(1)), int(found.group(2) or found.group(1))
