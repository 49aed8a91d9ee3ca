"""The Gradescope autograder: the zip, a simulated /autograder, and results.json checked
field by field against Gradescope's format (tests/gradescope_results.schema.json)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from autograder import autograder_root as _autograder_root
from autograder import build_zip as _build
from autograder import run_autograder as _run
from conftest import EXAMPLES, ROOT, RUBRIC

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("zip") / "autograder.zip")


def test_zip_is_reproducible_small_and_complete(autograder_zip, tmp_path):
    again = _build(tmp_path / "again.zip")
    assert again.read_bytes() == autograder_zip.read_bytes()
    # about 210 KB: the grader's engine and its whole sandbox package (the child loads its
    # modules by path), now with the kit's portable launcher and the class's zygote kinds
    assert autograder_zip.stat().st_size < 250_000
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    assert {"setup.sh", "run_autograder", "requirements.txt", "rubrics/highways.yaml",
            "reference/problem1.py", "reference/mistakes.py", "grader/pipeline.py",
            "grader/sandbox/child.py", "grader/sandbox/written/latex.py",
            "grader/outputs/templates/report.html.j2"} <= names
    # only what grading needs: no class, kit, TA app, similarity or rubric tools
    assert not any(n.startswith(("grader/classroom/", "grader/kit/", "grader/manual/",
                                 "grader/similarity/", "grader/authoring/", "grader/cli.py"))
                   for n in names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert not any(n.startswith(("tests/", "submissions_example/", ".venv")) for n in names)
    assert "grader/written/store.py" in names and "grader/manual/app.py" not in names


@pytest.mark.parametrize("name, source, score", [
    ("correct", EXAMPLES / "alice", 28),  # code and written answers; no manual items
    ("wrong", EXAMPLES / "bob", 14),
    ("hostile", ROOT.parent / "shared" / "corpus" / "h_function_hangs", 17),
    ("empty", None, 0),
])
def test_run_autograder_grades_into_results_json(autograder_zip, tmp_path, name, source, score):
    if source is not None and not source.exists():
        source = EXAMPLES / "carol"  # the shared corpus is beside the repository in CI
        score = 8
    results = _run(_autograder_root(tmp_path, autograder_zip, source))
    assert results["score"] == score
    # manual items stay with Gradescope's own manual grading; written answers are graded
    assert not [t for t in results["tests"] if t["extra_data"]["kind"] == "manual"]
    assert {"p1a_answer", "p3e_equation"} <= {t["extra_data"]["item"] for t in results["tests"]}
    assert results["stdout_visibility"] == "hidden" and results["visibility"] == "visible"
    assert {t["extra_data"]["item"] for t in results["tests"]} >= {"p1a", "p3e_activation"}
    for test in results["tests"]:
        assert test["output_format"] == "md" and test["output"]
        if test["status"] == "failed" and test["extra_data"]["item"] == "p3e":
            # a missing file has nothing to replay: no reproduce line (issue 21)
            missing = "problem3.py was not found" in test["output"]
            assert ("python check.py --item p3e --seed" in test["output"]) != missing


def test_same_files_same_seed_new_files_new_seed(autograder_zip, tmp_path):
    first = _run(_autograder_root(tmp_path / "a", autograder_zip, EXAMPLES / "bob"))
    again = _run(_autograder_root(tmp_path / "b", autograder_zip, EXAMPLES / "bob"))
    assert first["extra_data"]["seed"] == again["extra_data"]["seed"]
    assert [t["output"] for t in first["tests"]] == [t["output"] for t in again["tests"]]
    changed = _autograder_root(tmp_path / "c", autograder_zip, EXAMPLES / "bob")
    (changed / "submission" / "notes.txt").write_text("resubmitted")
    assert _run(changed)["extra_data"]["seed"] != first["extra_data"]["seed"]


def test_resubmitting_with_other_comments_shops_for_nothing(autograder_zip, tmp_path):
    """Issue 19, item 4: on Gradescope, code wrong whenever d_x = 5 passed p2b on 4 of 12
    resubmissions that changed only a comment. Now a comment keeps the seed and the
    grade, a change of code draws new inputs that still meet d_x = 5, and the seed is
    the one `grade` gives the same files locally."""
    from shopping import lucky, recommented, retouched

    from grader.rubric.model import load_rubric
    from grader.engine.seeds import submission_seed

    wrong = lucky(tmp_path / "wrong")
    runs = {"first": wrong, "recommented": recommented(wrong, tmp_path / "c", 1),
            "retouched": retouched(wrong, tmp_path / "t", 2)}
    results = {k: _run(_autograder_root(tmp_path / k, autograder_zip, v))
               for k, v in runs.items()}
    seed = results["first"]["extra_data"]["seed"]
    assert results["recommented"]["extra_data"]["seed"] == seed
    assert results["retouched"]["extra_data"]["seed"] != seed
    assert results["recommented"]["score"] == results["first"]["score"]
    for k, r in results.items():
        p2b = next(t for t in r["tests"] if t["extra_data"]["item"] == "p2b")
        assert p2b["score"] == 0, k
    assert seed == submission_seed(load_rubric(RUBRIC), wrong)  # as locally


def _variant(tmp: Path, edit) -> Path:
    data = yaml.safe_load(RUBRIC.read_text())
    edit(data)
    path = tmp / "rubrics" / "variant.yaml"
    path.parent.mkdir(parents=True)
    shutil.copytree(ROOT / "reference", tmp / "reference")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return _build(tmp / "variant.zip", path)


def test_hidden_items_leak_nothing(tmp_path):
    def hide(data):
        for item in data["items"]:
            if item["id"] in ("p1a", "p2c_f"):
                item["visibility"] = "hidden"
    zip_path = _variant(tmp_path, hide)
    results = _run(_autograder_root(tmp_path, zip_path, EXAMPLES / "bob"))
    by = {t["extra_data"]["item"]: t for t in results["tests"]}
    for item in ("p1a", "p2c_f"):
        assert by[item]["visibility"] == "hidden" and by[item]["status"] == "failed"
        assert by[item]["output"] == "**Failed.**"  # passed or failed, nothing else
        assert set(by[item]["extra_data"]) <= {"item", "kind", "seed"}, by[item]["extra_data"]
    assert "expected" in by["p3b"]["output"]  # visible items keep their details


def test_time_budget_reports_the_rest_as_not_graded(tmp_path):
    def short(data):
        data["gradescope"] = {"time_budget": 2}
    zip_path = _variant(tmp_path, short)
    hang = tmp_path / "hang"
    shutil.copytree(EXAMPLES / "alice", hang)
    for name in ("problem1.py", "problem2.py", "problem3.py"):
        (hang / name).write_text("while True:\n    pass\n")
    (hang / "answers.md").unlink()  # the code alone: its first hang uses up the budget
    results = _run(_autograder_root(tmp_path, zip_path, hang))
    assert results["score"] == 0
    assert all("time budget" in t["output"] for t in results["tests"]
               if t["extra_data"]["kind"] not in ("expression", "index"))


def test_a_failing_grader_still_writes_a_visible_and_a_hidden_entry(autograder_zip, tmp_path):
    root = _autograder_root(tmp_path, autograder_zip, EXAMPLES / "alice")
    (root / "source" / "gradescope.json").write_text("{broken")
    results = _run(root)
    visible = [t for t in results["tests"] if t["visibility"] == "visible"]
    hidden = [t for t in results["tests"] if t["visibility"] == "hidden"]
    assert "your instructor has been told" in visible[0]["output"]
    assert "Traceback" in hidden[0]["output"] and "JSONDecodeError" in hidden[0]["output"]


def test_a_broken_python_still_leaves_results_json(autograder_zip, tmp_path):
    root = _autograder_root(tmp_path, autograder_zip, EXAMPLES / "alice")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\nexit 1\n")
    os.chmod(fake / "python3", 0o755)
    results = _run(root, path=f"{fake}:/usr/bin:/bin")
    assert results["score"] == 0 and "autograder failed" in results["output"]


def test_setup_sh_installs_into_a_fresh_python(autograder_zip, tmp_path):
    """setup.sh on an image that has only Python (a fresh venv here; its torch step takes
    the local CPU build), then run_autograder with that Python."""
    venv = tmp_path / "image"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    root = _autograder_root(tmp_path, autograder_zip, EXAMPLES / "alice")
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "PATH": f"{venv}/bin:/usr/bin:/bin"}
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source",
                           env=env, capture_output=True, text=True, timeout=900)
    assert setup.returncode == 0, setup.stderr[-2000:]
    assert "setup.sh: done" in setup.stdout
    check = subprocess.run([f"{venv}/bin/python", "-c", "import torch, numpy, jinja2, pydantic;"
                            "print(torch.__version__)"], capture_output=True, text=True)
    assert "+cpu" in check.stdout
    if os.geteuid() == 0:
        assert oct((root / "source" / "reference").stat().st_mode)[-3:] == "700"
    results = _run(root, path=f"{venv}/bin:/usr/bin:/bin")
    assert results["score"] == 28


def _metadata(created: str, due: str, own_due: str | None = None, previous=()) -> dict:
    """submission_metadata.json as Gradescope writes it today: per-user dates too."""
    user = {"id": 7, "email": "s@uni.example", "name": "S", "sid": None}
    if own_due:
        user["assignment"] = {"release_date": "2026-11-01T00:00:00.000000-05:00",
                              "due_date": own_due, "late_due_date": None}
    return {"id": 4243, "created_at": created, "users": [user], "submission_method": "upload",
            "assignment": {"id": 1, "title": "Highways", "due_date": due, "late_due_date": None,
                           "total_points": "32.0"},
            "previous_submissions": list(previous)}


def test_the_late_policy_reads_gradescope_due_dates_and_extensions(tmp_path):
    def late(data):
        data["policy"] = {"late": {"penalty": "10%", "cap": "50%"}}
    zip_path = _variant(tmp_path, late)
    due = "2026-12-01T23:59:00.000000-05:00"
    late_root = _autograder_root(tmp_path / "late", zip_path, EXAMPLES / "alice",
                                 _metadata("2026-12-04T20:00:00.123456-05:00", due))
    results = _run(late_root)
    earned = sum(t["score"] for t in results["tests"])
    # 10% of the 28 points the autograder gives (Gradescope grades the manual items) a day
    assert earned == 28 and results["score"] == pytest.approx(28 - 3 * 2.8)
    assert results["extra_data"]["late"]["deducted"] == pytest.approx(8.4)
    assert "**Late: -8.4 points: submitted 2 days 20 hours after the due date (2026-12-01 23:59" \
           " UTC-05:00): 3 days started; the rubric takes 10% of the points per day started, " \
           "at most 50% of the points.**" in results["output"]
    extended = _run(_autograder_root(tmp_path / "extended", zip_path, EXAMPLES / "alice",
                                     _metadata("2026-12-04T20:00:00.123456-05:00", due,
                                               own_due="2026-12-04T23:59:00.000000-05:00")))
    assert extended["score"] == 28 and "late" not in extended["extra_data"]


def test_beyond_the_cap_an_earlier_score_stands_and_nothing_is_graded(tmp_path):
    def cap(data):
        data["policy"] = {"submissions": {"max": 2, "keep": "best"}}
    zip_path = _variant(tmp_path, cap)
    first = _run(_autograder_root(tmp_path / "1", zip_path, EXAMPLES / "bob"))
    earlier = [{"submission_time": "2026-11-20T10:00:00.000000-05:00", "score": str(first["score"]),
                "autograder_error": False, "results": first},
               {"submission_time": "2026-11-21T10:00:00.000000-05:00", "score": "3.0",
                "autograder_error": False, "results": {"score": 3.0, "tests": []}}]
    root = _autograder_root(tmp_path / "3", zip_path, EXAMPLES / "alice",
                            _metadata("2026-11-22T10:00:00.0-05:00", "2026-12-01T23:59:00-05:00",
                                      previous=earlier))
    results = _run(root)
    assert results["score"] == first["score"] == 14
    assert results["tests"] == first["tests"]  # bob's graded submission, not alice's files
    assert results["output"].startswith("**This is submission 3; the rubric grades 2 "
                                        "submissions, and this one was not graded.** Your score "
                                        "stays that of your best graded submission of "
                                        "2026-11-20 10:00: 14 points.")
    assert results["extra_data"]["submission_cap"] == {
        "max": 2, "keep": "best", "submission": 3, "kept_from": "2026-11-20T10:00:00-05:00"}


def test_the_top_line_names_no_folder_and_a_missing_answers_md_is_named_right(autograder_zip,
                                                                              tmp_path):
    """Gradescope's folder is `submission`, not the student: the top line is their score;
    carol uploaded no answers.md, and is told so in those words (issue 23)."""
    results = _run(_autograder_root(tmp_path, autograder_zip, EXAMPLES / "carol"))
    first = results["output"].splitlines()[0]
    assert re.fullmatch(r"`8 / 28 points, \d+ of \d+ items passed`", first), first
    assert "answers.py" not in results["output"]
    assert "`answers.md was not found in the submission" in results["output"]


FAKE_PIP = """#!/bin/sh
# A python3 whose pip finds no CPU build of torch on the image's index, and no network.
case "$*" in
  *--version*) echo "pip 23.0"; exit 0 ;;
  *--extra-index-url*) echo "ERROR: fallback: network is unreachable" >&2; exit 1 ;;
  *torch*) echo "ERROR: No matching distribution found for torch (first attempt)" >&2; exit 1 ;;
esac
exit 0
"""


def test_setup_sh_keeps_the_first_install_attempts_error(tmp_path):
    """When the image's index has no CPU build of torch, the log shows why (the first
    attempt's error), then the fallback's (issue 23)."""
    fake = tmp_path / "python3"
    fake.write_text(FAKE_PIP)
    fake.chmod(0o755)
    env = {**os.environ, "PYTHON": str(fake), "GRADESCOPE_ROOT": str(tmp_path / "ag")}
    setup = ROOT / "grader" / "gradescope" / "files" / "setup.sh"
    proc = subprocess.run(["bash", str(setup)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0  # no torch: setup stops (before any user is created)
    assert "No matching distribution found for torch (first attempt)" in proc.stderr
    assert "network is unreachable" in proc.stderr
    assert proc.stderr.index("first attempt") < proc.stderr.index("network is unreachable")


def test_a_zip_whose_rubric_lost_its_reference_is_not_built(tmp_path):
    """The rubric copied away from its reference folder would fail every student on
    Gradescope: the build refuses it, at the rubric's line (issue 23)."""
    rubric = tmp_path / "looser.yaml"
    shutil.copy(RUBRIC, rubric)
    proc = subprocess.run([sys.executable, "-m", "grader.gradescope", "build", "--rubric",
                           str(rubric), "--out", str(tmp_path / "autograder.zip")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0 and not (tmp_path / "autograder.zip").exists()
    line = next(i for i, text in enumerate(rubric.read_text().splitlines(), 1)
                if text.startswith("reference:"))
    assert f"{rubric}:{line}: reference: '../reference' is {tmp_path.parent / 'reference'}, " \
        "which is not a folder" in proc.stderr, proc.stderr
