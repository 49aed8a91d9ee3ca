"""The Gradescope autograder: the zip, a simulated /autograder, and results.json checked
field by field against Gradescope's format (tests/gradescope_results.schema.json)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from autograder import autograder_root as _autograder_root, build_zip as _build, \
    run_autograder as _run
from conftest import EXAMPLES, RUBRIC, ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("zip") / "autograder.zip")


def test_zip_is_reproducible_small_and_complete(autograder_zip, tmp_path):
    again = _build(tmp_path / "again.zip")
    assert again.read_bytes() == autograder_zip.read_bytes()
    assert autograder_zip.stat().st_size < 200_000
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    assert {"setup.sh", "run_autograder", "requirements.txt", "rubrics/highways.yaml",
            "reference/problem1.py", "reference/mistakes.py", "grader/cli.py",
            "grader/sandbox/child.py", "grader/templates/report.html.j2"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert not any(n.startswith(("tests/", "submissions_example/", ".venv")) for n in names)


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
            assert "python check.py --item p3e --seed" in test["output"]


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

    from grader.rubric import load_rubric
    from grader.seeds import submission_seed

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
        text = by[item]["output"]
        assert "expected" not in text and "d_x =" not in text and "mistake" not in text.lower()
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
