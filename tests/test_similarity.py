"""Similar submissions: disguised copies are flagged, independent work and what everyone
shares are not, and nothing of it reaches a student or a score."""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, EXAMPLES, GRADE, ROOT
from grader import similarity as sim
from similar_class import INDEPENDENT as INDEPENDENT_PATHS

INDEPENDENT = [p.name for p in INDEPENDENT_PATHS if p.name != "alice"]  # written apart


def _renamed(text: str) -> str:
    for a, b in [("x_pad", "padded"), ("windows", "patches"), ("r", "half"),
                 ("h_next", "new_state"), ("_growth", "_factor"), ("sigmoid", "logistic"),
                 ("d", "cand")]:
        text = re.sub(rf"\b{a}\b", b, text)
    return text


def _recommented(text: str) -> str:
    text = re.sub(r'""".*?"""', '"""All my own work."""', text, flags=re.S)
    return re.sub(r"#.*", "# derived on paper", text)


def _reordered(text: str) -> str:
    head, *defs = re.split(r"(?m)^(?=def |ACTIVATION|# relu)", text)
    return head + "".join(reversed(defs))


def _to_helper(folder: Path) -> None:
    """3e's body moves into a helper module the problem file calls."""
    p3 = folder / "problem3.py"
    text = p3.read_text()
    body = re.search(r"(?ms)^def weight_grad_limit.*?(?=^\S)", text).group(0)
    (folder / "convtools.py").write_text(
        "import numpy as np\nfrom numpy.lib.stride_tricks import sliding_window_view\n\n\n"
        + body.replace("def weight_grad_limit", "def wgrad"))
    p3.write_text(text.replace(body, "def weight_grad_limit(x0, xL_grad, N):\n"
                                     "    from convtools import wgrad\n"
                                     "    return wgrad(x0, xL_grad, N)\n\n\n"))


def _copy(src: Path, dst: Path, *edits) -> Path:
    shutil.copytree(src, dst)
    for path in dst.glob("*.py"):
        text = path.read_text()
        for edit in edits:
            if edit is not _to_helper:
                text = edit(text)
        path.write_text(text)
    if _to_helper in edits:
        _to_helper(dst)
    return dst


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("similar")
    shutil.copytree(EXAMPLES / "alice", root / "alice")
    _copy(EXAMPLES / "alice", root / "renamed", _renamed)
    _copy(EXAMPLES / "alice", root / "reordered", _reordered)
    _copy(EXAMPLES / "alice", root / "recommented", _recommented)
    _copy(EXAMPLES / "alice", root / "helper", _to_helper)
    _copy(EXAMPLES / "alice", root / "everything", _renamed, _recommented, _reordered, _to_helper)
    for path in INDEPENDENT_PATHS:
        if path.name != "alice":
            shutil.copytree(path, root / path.name)
    return root


def _pairs(rubric, root: Path, names: list[str]) -> dict[frozenset, sim.Pair]:
    docs = [sim.document(n, root / n) for n in names]
    result = sim.compare_class(docs, sim.given_code(rubric), sim.options(rubric))
    return {frozenset((p.a, p.b)): p for p in result.pairs}


def _flagged(p: sim.Pair | None) -> bool:
    return p is not None and p.strength >= 1


@pytest.mark.parametrize("disguise", ["renamed", "reordered", "recommented", "helper",
                                      "everything"])
def test_a_disguised_copy_is_flagged(rubric, klass, disguise):
    pair = _pairs(rubric, klass, ["alice", disguise, *INDEPENDENT]).get(
        frozenset(("alice", disguise)))
    assert _flagged(pair), pair
    assert pair.reason.share >= 0.8 and pair.reason.chars >= 100  # and says which code


def test_independent_solutions_are_not_flagged(rubric, klass):
    pairs = _pairs(rubric, klass, ["alice", *INDEPENDENT])
    assert not [(sorted(k), p.reason) for k, p in pairs.items() if _flagged(p)]


def test_the_skeleton_and_the_shared_formulas_are_not_evidence(rubric, tmp_path):
    """Two students who filled the kit's skeletons with the same one-line formulas, and
    wrote 2b, 2c and 3e each their own way, are not flagged."""
    from grader.kit.build import skeletons

    bodies = {"init_variance": "return 1 / d_x", "relu_init_variance":
              "return 2 * math.pi / ((math.pi - 1) * d_x)", "layer_variance":
              "return var_prev * (1 + N ** 2 * C * sigma_w)", "variance_at_layer":
              "return (1 + N ** 2 * C * sigma_w) ** ell", "sigma_w_for_doubling":
              "return math.log(2) / (N ** 2 * C * L)", "grad_variance":
              "return (1 + N ** 2 * C * sigma_w) ** (L - ell)",
              "split_weights": "return W[:, :d_x], W[:, d_x:]"}
    for student, source in (("ann", CORPUS / "c_loops_index"), ("ben", CORPUS / "c_prints_einsum")):
        folder = tmp_path / student
        folder.mkdir()
        for module, text in skeletons(rubric).items():
            for name, body in bodies.items():
                text = re.sub(rf"(def {name}\(.*?\n(?:    .*\n)*?)    raise NotImplementedError.*\n",
                              lambda m: m.group(1) + f"    {body}\n", text)
            own = (source / f"{module}.py").read_text()
            text = "import math\n" + text + "\n\n# my own work below\n" + own
            (folder / f"{module}.py").write_text(text)
    pair = _pairs(rubric, tmp_path, ["ann", "ben"]).get(frozenset(("ann", "ben")))
    assert not _flagged(pair), pair


def test_substantial_functions_weigh_more_than_formulas(rubric):
    weights = sim.options(rubric).weights
    assert weights["ugrnn_forward"] == weights["ugrnn_backward"] == \
        weights["weight_grad_limit"] == 1.0
    assert weights["init_variance"] == weights["grad_variance"] == 0.1


def test_a_class_run_writes_the_instructors_report_and_changes_nothing_else(klass, tmp_path):
    root = tmp_path / "subs"
    for name in ("alice", "renamed", "helper", "c_loops_index"):
        shutil.copytree(klass / name, root / name)
    plain, flagged = tmp_path / "plain", tmp_path / "flagged"
    for out, extra in ((plain, []), (flagged, ["--similarity"])):
        proc = subprocess.run([*GRADE, str(root), "--out", str(out), "--jobs", "2", *extra],
                              capture_output=True, text=True, cwd=ROOT, timeout=600)
        assert proc.returncode == 0, proc.stderr
    assert "similarity: 3 of 6 pairs flagged, 1 ring" in proc.stdout
    for name in ("alice", "renamed", "helper", "c_loops_index"):
        a = json.loads((plain / name / "results.json").read_text())
        b = json.loads((flagged / name / "results.json").read_text())
        assert a["score"] == b["score"] and [t["output"] for t in a["tests"]] == \
            [t["output"] for t in b["tests"]]
        report = (flagged / name / "report.html").read_text().lower()
        assert "similar" not in report and "copydetect" not in report
    index = (flagged / "index.html").read_text()
    assert 'href="similarity.html"' in index and "Ring of 3: alice, helper, renamed" in index
    assert not (plain / "similarity.html").exists()
    data = json.loads((flagged / "similarity.json").read_text())
    assert data["flagged"] == 3 and {frozenset((p["a"], p["b"])) for p in data["flagged_pairs"]} \
        == {frozenset(p) for p in (("alice", "renamed"), ("alice", "helper"),
                                   ("helper", "renamed"))}
    # grade similarity on the reports gives the same, and finds the submissions itself
    (flagged / "similarity.html").unlink()
    proc = subprocess.run([*GRADE, "similarity", str(flagged)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (flagged / "similarity.html").exists() and "3 of 6 pairs flagged" in proc.stdout


def test_every_student_is_compared_and_identical_copies_do_not_hide_each_other(rubric,
                                                                               tmp_path):
    """A student whose folder ends in `.student` (or is called index.html, reported into
    `index.html.student`) was never compared, and ten identical copies in a class of 20
    made their code "common" and hid each other: they are one ring now."""
    subs, reports = tmp_path / "subs", tmp_path / "reports"
    copies = ["copy.student", "index.html", *(f"copy{k}" for k in range(8))]
    for name in copies:
        shutil.copytree(EXAMPLES / "alice", subs / name)
    for path in INDEPENDENT_PATHS[:10]:
        shutil.copytree(path, subs / path.name)
    reports_as_a_class_leaves_them(reports, [f.name for f in subs.iterdir()])
    summary = sim.run(reports, subs, rubric)
    assert summary["students"] == 20
    data = json.loads((reports / sim.DATA).read_text())
    flagged = {frozenset((p["a"], p["b"])) for p in data["flagged_pairs"]}
    assert {frozenset((a, b)) for a in copies for b in copies if a != b} <= flagged
    assert not [sorted(p) for p in flagged if p & set(copies) and not p <= set(copies)]
    assert [r["members"] for r in data["rings"]] == [sorted(copies)]


@pytest.mark.browser
@pytest.mark.slow
def test_the_report_opens_in_chromium_side_by_side(klass, tmp_path, rubric):
    from playwright.sync_api import sync_playwright
    from test_browser import ARTIFACTS, CHROMIUM, FLAGS

    reports = tmp_path / "reports"
    for name in ("alice", "everything", "c_prints_einsum"):
        (reports / name).mkdir(parents=True)
        (reports / name / "results.json").write_text("{}")
    summary = sim.run(reports, klass, rubric)
    assert summary["flagged"] == 1
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        outside = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("file:") else None)
        page.goto((reports / sim.REPORT).as_uri())
        assert page.locator("#instructors-only").is_visible()
        assert page.locator("#pairs tbody tr").count() == 1
        assert page.locator("#pair-1 mark").count() > 3  # matching regions, both sides
        assert page.locator("#pair-1 .sides pre").count() == 2
        assert "weight_grad_limit" in page.locator("#pair-1").inner_text()
        assert outside == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "similarity.png"), full_page=False)
        browser.close()


@pytest.mark.browser
@pytest.mark.slow
def test_the_report_fits_a_phone(rubric, tmp_path):
    """At 390 px wide the page does not scroll sideways: no element reaches past the
    screen's edge (tables become lists, code wraps)."""
    from playwright.sync_api import sync_playwright
    from test_browser import ARTIFACTS, CHROMIUM, FLAGS

    subs, reports, _, _ = _mixed_class(tmp_path)
    sim.run(reports, subs, rubric)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto((reports / sim.REPORT).as_uri())
        assert page.locator("section.ring, section.pair, table").count() > 5
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        beyond = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .map(e => [e, e.getBoundingClientRect()])
            .filter(([e, r]) => r.width > 0 && (r.left < -1 || r.right > window.innerWidth + 1))
            .map(([e, r]) => `${e.tagName}.${e.className} ${Math.round(r.left)}-${Math.round(r.right)}`)""")
        assert beyond == []
        cell = page.locator("#ring-1 table td").first.bounding_box()
        assert cell["width"] > 200  # a row's cells stack, each the screen's width
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "similarity-phone.png"), full_page=False)
        browser.close()


def _corpus_documents() -> list[sim.Document]:
    folders = sorted((ROOT / "tests" / "corpus").iterdir()) + list(INDEPENDENT_PATHS)
    return [d for d in (sim.document(f.name, f) for f in folders if f.is_dir()) if d]


def test_one_lexing_gives_copydetects_filtered_code() -> None:
    """Each document is lexed once; the code channel read from those tokens is what
    copydetect's own lexing gives (numbers aside: the channel writes every number as #)."""
    from copydetect.utils import filter_code

    from grader.similarity import channels

    docs = _corpus_documents()
    for doc in docs:
        theirs, offsets = filter_code(doc.text, "doc.py", "python")
        assert channels.code(doc.tokens, number=None).filtered == theirs, doc.student
        assert doc.code.filtered == channels.code(doc.tokens).filtered
        assert len(doc.code.filtered) == len(doc.code.chars) == len(doc.code.whole)
    assert len(docs) > 50


def test_winnowing_selects_what_copydetect_selects() -> None:
    """Stable hashes in, copydetect's winnowing and ours pick the same fingerprints (and
    the same first place of each); only the hash is ours, the same in every process."""
    from copydetect.utils import winnow as theirs

    from grader.similarity.winnow import codes, kgram_hashes, winnow

    for doc in _corpus_documents():
        hashes = kgram_hashes(codes(doc.code.filtered))
        picked = winnow(hashes)
        ours = {int(h): int(i) for i, h in sorted(zip(picked, hashes[picked]), reverse=True)}
        their_hashes, their_idx = theirs(hashes, 6)
        assert ours == dict(zip(map(int, their_hashes), map(int, their_idx))), doc.student


def test_each_document_is_lexed_once(klass, rubric, tmp_path, monkeypatch) -> None:
    """A class run lexes each student's document once, and each piece of given code once."""
    from pygments.lexers import PythonLexer

    lexed = []
    real = PythonLexer.get_tokens_unprocessed
    monkeypatch.setattr(PythonLexer, "get_tokens_unprocessed",
                        lambda self, text, *a: lexed.append(text) or real(self, text, *a))
    reports = tmp_path / "reports"
    names = ["alice", "renamed", "everything", "c_prints_einsum"]
    for name in names:
        (reports / name).mkdir(parents=True)
        (reports / name / "results.json").write_text("{}")
    sim.run(reports, klass, rubric)
    given = len(sim.given_code(rubric))
    assert len(lexed) == len(names) + given
    assert sorted(t for t in lexed if t.startswith("# file: ")) == sorted(
        sim.document(n, klass / n).text for n in names)


def _mixed_class(root: Path) -> tuple[Path, Path, set[frozenset], list[list[str]]]:
    """Eight independent students, a ring of three copies of a ninth, one who copied
    problem3.py into their own work, one who took problem2.py and problem3.py from two
    others: the submissions, the reports (as a class run leaves them), the pairs that
    must be flagged and the ring."""
    from similar_class import DISGUISES, ring, single_file_copy, two_sources

    by = {p.name: p for p in INDEPENDENT_PATHS}
    held_out = {"i_classes", "c_prints_einsum", "i_loops_plain"}
    subs, reports = root / "subs", root / "reports"
    for name, path in by.items():
        if name not in held_out:
            shutil.copytree(path, subs / name, ignore=shutil.ignore_patterns("answers.md"))
    members = ring(by["i_classes"], 3, subs, "ring")
    single_file_copy(by["c_prints_einsum"], by["i_einsum"], "problem3.py", subs / "one-file",
                     DISGUISES["renamed"])
    two_sources(by["i_loops_plain"], by["i_torch_module"], by["i_helper_modules"],
                subs / "two-sources", DISGUISES["everything"])
    reports_as_a_class_leaves_them(reports, [f.name for f in subs.iterdir()])
    expected = {frozenset(p) for p in (("one-file", "i_einsum"), ("two-sources", "i_torch_module"),
                                       ("two-sources", "i_helper_modules"))}
    expected |= {frozenset((a, b)) for a in members for b in members if a < b}
    return subs, reports, expected, [members]


@pytest.mark.slow
def test_the_report_is_the_same_under_any_hash_seed(rubric, tmp_path):
    """The same files give the same similarity.json and similarity.html, byte for byte,
    whatever PYTHONHASHSEED the process runs under (copydetect's hash() was salted per
    process: scores, orders and counts changed between runs); and under each, the copies
    of a mixed class are flagged, the ring is one entry, and nothing else is flagged."""
    subs, reports, expected, rings = _mixed_class(tmp_path)
    script = ("import sys; from pathlib import Path; from grader import similarity; "
              "from grader.rubric.model import load_rubric; "
              "similarity.run(Path(sys.argv[1]), Path(sys.argv[2]), load_rubric(Path(sys.argv[3])))")
    seen = set()
    for seed in range(10):
        proc = subprocess.run([sys.executable, "-c", script, str(reports), str(subs),
                               str(rubric.path)], capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}, timeout=300)
        assert proc.returncode == 0, proc.stderr
        seen.add(((reports / sim.DATA).read_bytes(), (reports / sim.REPORT).read_bytes()))
        data = json.loads((reports / sim.DATA).read_text())
        assert {frozenset((p["a"], p["b"])) for p in data["flagged_pairs"]} == expected
        assert [r["members"] for r in data["rings"]] == rings
    assert len(seen) == 1


def test_the_page_shows_what_the_json_holds(rubric, tmp_path):
    """Every pair, figure and count of similarity.json is on similarity.html as the JSON
    gives it; index.html lists every flagged pair and ring (or how many more)."""
    from grader.classroom.records import read_similarity

    subs, reports, expected, rings = _mixed_class(tmp_path)
    sim.run(reports, subs, rubric)
    data = json.loads((reports / sim.DATA).read_text())
    page = html.unescape((reports / sim.REPORT).read_text())
    assert f"Flagged: {data['flagged']} pairs, 1 ring" in page
    assert f"Worth a look: {data['near_misses']} pair" in page
    for p in data["flagged_pairs"] + data["near_pairs"]:
        assert p["what"] in page
        rows = sim.report.evidence_rows(p)  # files, and functions whose file does not flag
        assert {e["name"] for e in p["evidence"] if e["kind"] == "file"} <= {
            r[side] for r in rows for side in ("a", "b")}
        for r in rows:
            a, b = ("-" if r[f"{side}_share"] is None else f"{100 * r[f'{side}_share']:.1f}%"
                    for side in ("a", "b"))
            assert re.search(".*?".join(map(re.escape, (r["a"] or "-", a, r["b"] or "-", b,
                                                        f">{r['chars']}<"))), page, re.S), r
        assert f"{100 * p['whole']['a']:.1f}% of {p['a']}'s" in page
    assert data["left_out"]["groups"] == 8 + 1 + 2  # the ring is one group
    assert f"{100 * data['left_out']['given']:.1f}% of the class's weighed code" in page
    for top in data["top"]:  # the same figures as the pairs, rounded once
        if top["ring"] is None:
            pair = next(p for p in data["flagged_pairs"] if (p["a"], p["b"]) == (top["a"], top["b"]))
            assert (top["score"], top["what"]) == (pair["score"], pair["what"])
    assert len(data["top"]) + data["top_more"] == 1 + len(expected) - 3  # the ring, the rest
    assert read_similarity(reports) == data


def test_highlights_start_and_end_on_tokens_and_stay_in_their_file(rubric, klass):
    """A highlight never starts or ends inside a name (`de[f relu_sigma`) and never runs
    across a `# file:` line."""
    docs = [sim.document(n, klass / n) for n in ("alice", "everything", "helper")]
    result = sim.compare_class(docs, sim.given_code(rubric), sim.options(rubric))
    assert result.pairs
    for pair in result.pairs:
        for doc, spans in zip((docs[pair.numbers[0]], docs[pair.numbers[1]]),
                              result.slices(pair)):
            starts = {pos for pos, _, _ in doc.tokens}
            ends = {pos + len(value) for pos, _, value in doc.tokens}
            assert spans
            for s, e in spans:
                assert s in starts and e in ends, doc.text[s:e]
                assert "# file:" not in doc.text[s:e]
                assert any(start <= s and e <= end for start, end, _ in doc.files)


def test_an_older_summary_does_not_break_the_class_page(tmp_path):
    from grader.classroom.records import read_similarity

    (tmp_path / sim.DATA).write_text(json.dumps({"flagged": 1, "pairs": 3, "top": []}))
    assert read_similarity(tmp_path) is None


def test_the_details_agree_with_the_class_pass(rubric, klass):
    """The pairs shown are computed again, pair by pair: their figures are the class-wide
    pass's exactly (weights in whole 1/1024ths add up the same in any order)."""
    from grader.similarity import compare

    names = ["alice", *sorted(p.name for p in klass.iterdir() if p.name != "alice")]
    docs = [sim.document(n, klass / n) for n in names]
    result = sim.compare_class(docs, sim.given_code(rubric), sim.options(rubric))
    strengths = compare.class_strengths(result.channels)
    near = sim.options(rubric).near / sim.options(rubric).threshold
    assert {p.numbers: p.strength for p in result.pairs} == {
        k: s for k, s in strengths.items() if s >= near}
    assert len(result.pairs) > 10 and result.compared == len(strengths)


def reports_as_a_class_leaves_them(reports: Path, names: list[str]) -> None:
    """A report folder for each student, where a class run places it, naming its student."""
    from grader.disk.student_folders import key, placements

    placed = placements(names)
    for name in names:
        (reports / placed[name].folder).mkdir(parents=True)
        (reports / placed[name].folder / "results.json").write_text(
            json.dumps({"extra_data": {"student": key(name)}}))
