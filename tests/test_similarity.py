"""Similar submissions: disguised copies are flagged, independent work and what everyone
shares are not, and nothing of it reaches a student or a score."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
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
    from grader.classroom.run import output_folder

    subs, reports = tmp_path / "subs", tmp_path / "reports"
    copies = ["copy.student", "index.html", *(f"copy{k}" for k in range(8))]
    for name in copies:
        shutil.copytree(EXAMPLES / "alice", subs / name)
    for path in INDEPENDENT_PATHS[:10]:
        shutil.copytree(path, subs / path.name)
    for folder in sorted(subs.iterdir()):  # reports as a class run leaves them
        (output_folder(reports, folder.name)).mkdir(parents=True)
        (output_folder(reports, folder.name) / "results.json").write_text("{}")
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
    from test_browser import ARTIFACTS, CHROMIUM, FLAGS
    from playwright.sync_api import sync_playwright

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
