"""A grade is a property of the code (issue 19, items 3 and 4): the seed comes from the
rubric and the code's normal form, the same way locally, in a class and on Gradescope.
Unchanged code draws the same inputs; a change of what it does draws new ones, so a
lookup table fitted to the feedback never catches up; a change of comments draws none,
so there is nothing to shop for."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import EXAMPLES, by_item, run_grade
from shopping import lucky, recommented, retouched

from grader.engine import checks, seeds
from grader.outputs.feedback import item_feedback
from grader.pipeline import Request, grade
from grader.rubric.references import References


def _seed(rubric, folder: Path) -> int:
    return seeds.submission_seed(rubric, folder)


def test_comments_docstrings_layout_and_prose_leave_the_seed(rubric, tmp_path):
    first = _seed(rubric, EXAMPLES / "alice")
    for k in range(3):
        assert _seed(rubric, recommented(EXAMPLES / "alice", tmp_path / f"r{k}", k)) == first


def test_the_folder_name_does_not_count(rubric, tmp_path):
    shutil.copytree(EXAMPLES / "alice", tmp_path / "someone-else")
    assert _seed(rubric, tmp_path / "someone-else") == _seed(rubric, EXAMPLES / "alice")


@pytest.mark.parametrize("file, old, new", [
    ("problem1.py", "return 1.0 / d_x", "return 1 / d_x"),  # same values, other code
    ("problem3.py", "N * N * C", "C * N * N"),
    ("utils.py", "0.5 * z", "z / 2"),
    ("answers.md", "$$\\sigma = \\frac{1}{d_x}$$", "$$\\sigma = d_x^{-1}$$"),
    ("answers.md", "f_grad[b, i] += h_next_grad[b, i] * (h[b, i] - d[b, i])",
     "f_grad[b, i] += (h[b, i] - d[b, i]) * h_next_grad[b, i]"),
])
def test_a_change_of_the_code_or_of_a_graded_answer_draws_new_inputs(rubric, tmp_path,
                                                                      file, old, new):
    folder = tmp_path / "alice"
    shutil.copytree(EXAMPLES / "alice", folder)
    text = (folder / file).read_text()
    assert old in text
    (folder / file).write_text(text.replace(old, new))
    assert _seed(rubric, folder) != _seed(rubric, EXAMPLES / "alice")


def test_a_new_data_file_draws_new_inputs(rubric, tmp_path):
    folder = tmp_path / "alice"
    shutil.copytree(EXAMPLES / "alice", folder)
    (folder / "table.json").write_text('{"5": 0.2}')  # the code may read it
    assert _seed(rubric, folder) != _seed(rubric, EXAMPLES / "alice")


@pytest.mark.parametrize("reader", [
    "TABLE = open(__file__).read()", "import inspect", "DOC = init_variance.__doc__",
    "WORDS = getattr(init_variance, '__d' + 'oc__')", "import numpy\nT = numpy.loadtxt('x.txt')",
])
def test_code_that_can_read_its_own_text_keeps_comments_in_the_seed(rubric, tmp_path, reader):
    """A table kept in comments or docstrings is data when the code can read it."""
    folder = tmp_path / "a"
    shutil.copytree(EXAMPLES / "alice", folder)
    path = folder / "problem1.py"
    path.write_text(path.read_text() + "\n" + reader + "\n")
    before = _seed(rubric, folder)
    path.write_text(path.read_text() + "# {5: 0.2}\n")
    assert _seed(rubric, folder) != before


@pytest.mark.parametrize("content", [
    b"x = (" * 300 + b"1" + b")" * 300,  # deeper than the parser goes
    b"y = " + b" + ".join([b"a"] * 60_000),  # a tree too deep to walk by recursion
    b"\xff\xfe\x00binary",
    b"z = 1\n" * 100_000,  # larger than the parser is given
])
def test_files_that_do_not_parse_count_by_their_bytes(rubric, tmp_path, content):
    folder = tmp_path / "a"
    shutil.copytree(EXAMPLES / "alice", folder)
    (folder / "helper.py").write_bytes(content)
    first = _seed(rubric, folder)
    assert isinstance(first, int) and first == _seed(rubric, folder)
    (folder / "helper.py").write_bytes(content + b"\n# another comment\n")
    assert _seed(rubric, folder) != first


# ------------------------------------------------------------------ fitting to feedback

def _shown(feedback: str) -> tuple[dict[str, str], str]:
    """The failing trial's inputs and the expected value, as the feedback shows them."""
    inputs = re.search(r"^Inputs of that trial: (.*)$", feedback, re.M).group(1)
    expected = re.search(r"^expected (\S+), got", feedback, re.M).group(1)
    return dict(p.split(" = ") for p in inputs.split(", ")), expected


TABLE_CODE = '''import math

TABLE = {table!r}


def variance_at_layer(ell, sigma_w, N, C):
    key = (str(ell), "%.6g" % sigma_w, str(N), str(C))  # as the feedback shows them
    return TABLE.get(key, 1.0)
'''


@pytest.mark.slow
def test_a_lookup_table_fitted_to_the_feedback_never_catches_up(rubric, tmp_path):
    """Issue 19, item 3: with the same inputs at every regrade, a table of what the
    feedback showed passed 6 of 7 scalar items after 18 regrades. Each new entry changes
    the code, so each regrade draws new inputs: p3b (12 trials) is failed 14 times in a
    row, though the table learns every failing trial exactly (as if the feedback showed
    all digits), and regrading unchanged code gives the same inputs and feedback."""
    from grader.sandbox.process import SubprocessSandbox

    folder = tmp_path / "fitter"
    folder.mkdir()
    right = References(rubric.reference_dir).get(rubric.item("p3b").reference)
    sandbox = SubprocessSandbox.ready_for(torch=False)()
    table: dict[tuple[str, ...], float] = {}
    item = rubric.item("p3b")
    used = []
    for regrade in range(14):
        (folder / "problem3.py").write_text(TABLE_CODE.format(table=table))
        result = grade(Request(folder, tmp_path / f"out{regrade}", rubric, only=("p3b",)),
                       sandbox)
        (mine,) = result.items
        assert not mine.passed, f"the table passed p3b at regrade {regrade}"
        shown, _ = _shown(item_feedback(mine, result).text())
        trial = checks.draw_trials_for(item, result.seed)[mine.failure.trial]
        table[tuple(shown[n] for n in ("ell", "sigma_w", "N", "C"))] = float(
            checks.run_reference(item, trial, right))
        used.append(result.seed)
    assert len(set(used)) == len(used)  # every new entry drew new inputs
    again = grade(Request(folder, tmp_path / "again", rubric, only=("p3b",)), sandbox)
    before = grade(Request(folder, tmp_path / "before", rubric, only=("p3b",)), sandbox)
    assert again.seed == before.seed and again.items[0].failure == before.items[0].failure


def test_feedback_values_are_too_coarse_to_copy_into_a_table(rubric):
    """Four digits show what is wrong; copied into a table, most fail the tolerance (with
    six, all passed). Values within the tolerance of a short number (1.00001 for a tiny
    sigma_W) pass at any number of digits: the seed, not the digits, defeats a table."""
    from grader.engine.compare import compare_arrays

    item = rubric.item("p3b")
    right = References(rubric.reference_dir).get(item.reference)
    copied = passed = 0
    for seed in range(30):
        for trial in checks.draw_trials_for(item, seed):
            expected = float(checks.run_reference(item, trial, right))
            mismatch = compare_arrays(0.0, np.asarray(expected), item.rtol, item.atol, "x")
            if mismatch is None or expected == 1.0:  # 1 is exact in any number of digits
                continue
            shown = float(re.match(r"expected (\S+),", mismatch.lines[0]).group(1))
            copied += 1
            passed += compare_arrays(shown, np.asarray(expected), item.rtol, item.atol,
                                     "x") is None
    assert copied > 300 and passed / copied < 1 / 3


# ------------------------------------------------------------------ shopping, locally

@pytest.mark.slow
def test_shopping_locally_finds_no_luck_and_comments_change_nothing(tmp_path):
    """Issue 19, item 4: code wrong whenever d_x = 5 fails p2b at every resubmission;
    resubmitting it with other comments gives the same seed and the same grade."""
    wrong = lucky(tmp_path / "lucky")
    _, first = run_grade(wrong, tmp_path / "out")
    assert by_item(first)["p2b"]["score"] == 0
    for k in range(2):
        _, same = run_grade(recommented(wrong, tmp_path / f"c{k}", k), tmp_path / f"oc{k}")
        assert same["extra_data"]["seed"] == first["extra_data"]["seed"]
        assert [(t["score"], t["output"]) for t in same["tests"]] == \
            [(t["score"], t["output"]) for t in first["tests"]]
    for k in range(3):
        _, other = run_grade(retouched(wrong, tmp_path / f"t{k}", k), tmp_path / f"ot{k}")
        assert other["extra_data"]["seed"] != first["extra_data"]["seed"]
        assert by_item(other)["p2b"]["score"] == 0, other["extra_data"]["seed"]


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
def test_a_file_saved_by_a_windows_editor_counts_by_its_code_too(rubric, tmp_path, encoding):
    """Notepad's "Unicode" (UTF-16) or an ANSI code page: the sandbox runs such a file
    converted to UTF-8, and the seed reads the same conversion, so its comments neither
    draw new inputs nor reach the code (a file counted by its bytes would do both)."""
    seeds_of, runs = [], []
    for k, comment in enumerate(("# première version", "# dernière retouche, 5 -> 0.2")):
        folder = tmp_path / f"v{k}"
        shutil.copytree(EXAMPLES / "alice", folder)
        code = (folder / "problem1.py").read_text(encoding="utf-8")
        (folder / "problem1.py").write_bytes(f"{comment}\n{code}".encode(encoding))
        seeds_of.append(_seed(rubric, folder))
        runs.append(seeds.executed_forms(folder).get("problem1.py"))
    assert seeds_of[0] == seeds_of[1]
    assert runs[0] is not None and runs[0].source == runs[1].source
    assert b"version" not in runs[0].source and b"retouche" not in runs[1].source


def _written_seeds(rubric, folder: Path) -> dict[str, int]:
    return seeds.written_seeds(rubric, folder, list(rubric.items))


def test_a_written_answer_draws_its_inputs_from_its_own_section(rubric, tmp_path):
    """A written item's seed is the rubric's and its section's (what is graded of it):
    the same for students whose code differs, new when that answer changes, and the
    same whatever prose or other sections say."""
    alice = _written_seeds(rubric, EXAMPLES / "alice")
    assert set(alice) == {i.id for i in rubric.items if i.kind in ("expression", "index")}
    other_code = tmp_path / "other-code"
    shutil.copytree(EXAMPLES / "alice", other_code)
    (other_code / "problem1.py").write_text(
        (other_code / "problem1.py").read_text().replace("return 1.0 / d_x", "return 1 / d_x"))
    assert _seed(rubric, other_code) != _seed(rubric, EXAMPLES / "alice")
    assert _written_seeds(rubric, other_code) == alice
    changed = tmp_path / "changed"
    shutil.copytree(EXAMPLES / "alice", changed)
    text = (changed / "answers.md").read_text()
    text = text.replace("$$\\sigma = \\frac{1}{d_x}$$", "$$\\sigma = d_x^{-1}$$")
    text = text.replace("\n## 2c", "\nWords for a TA, not graded here.\n\n## 2c")
    (changed / "answers.md").write_text(text)
    now = _written_seeds(rubric, changed)
    differ = {k for k in alice if alice[k] != now[k]}
    assert differ == {i.id for i in rubric.items if i.kind == "expression" and
                      i.section == "1a"}


def test_a_written_item_replays_from_the_seed_its_feedback_gives(rubric, tmp_path):
    """results.json gives each written item the seed it was drawn from: `--item ITEM
    --seed SEED` replays exactly its trials."""
    from grader.sandbox.process import SubprocessSandbox

    full = grade(Request(EXAMPLES / "alice", tmp_path / "full", rubric), SubprocessSandbox())
    item = next(r for r in full.items if r.item.kind == "expression")
    base = _written_seeds(rubric, EXAMPLES / "alice")[item.item.id]
    assert item.base_seed == base and item.seed == checks.item_seed(base, item.item)
    _, results = run_grade(EXAMPLES / "alice", tmp_path / "out")
    assert by_item(results)[item.item.id]["extra_data"]["seed"] == base
    code = next(r for r in full.items if r.item.kind == "function")
    assert by_item(results)[code.item.id]["extra_data"]["seed"] == full.seed
    replay = grade(Request(EXAMPLES / "alice", tmp_path / "replay", rubric, base,
                           (item.item.id,)), SubprocessSandbox())
    assert replay.items[0].seed == item.seed and replay.items[0].trials == item.trials
