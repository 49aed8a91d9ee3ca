"""`grade` on real submission folders, through the real command line and sandbox."""
from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from conftest import EXAMPLES, by_item, run_grade, short_items

EXPECT = json.loads((EXAMPLES / "expect.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECT["submissions"]))
def test_examples_lose_exactly_the_items_they_break(name, tmp_path):
    proc, results = run_grade(EXAMPLES / name, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert short_items(results) == set(EXPECT["submissions"][name]["fail"])
    assert (tmp_path / "report.html").exists()
    assert f"{tmp_path / 'report.html'}" in proc.stdout


def test_alice_gets_full_marks_and_a_table(tmp_path):
    proc, results = run_grade(EXAMPLES / "alice", tmp_path)
    # every automatic item, code and written; the derivations and explanations wait for a TA
    assert results["score"] == 28 and sum(t["max_score"] for t in results["tests"]) == 32
    assert all(t["status"] == "passed" for t in results["tests"]
               if t["extra_data"]["kind"] != "manual")
    assert "alice: 28 / 32 points" in proc.stdout
    assert proc.stdout.count("ok  ") == 22 and proc.stdout.count("TA  ") == 3


def test_bob_mistakes_are_diagnosed(tmp_path):
    _, results = run_grade(EXAMPLES / "bob", tmp_path)
    mistakes = {i: t["extra_data"]["mistake"] for i, t in by_item(results).items()
                if t["status"] == "failed" and t["extra_data"]["kind"] != "manual"}
    assert mistakes == {"p1a": "p1a_std", "p2c_f": "p2c_overwrite", "p2c_h": "p2c_overwrite",
                        "p2c_d": "p2c_overwrite", "p3b": "p3b_first_order",
                        "p3e": "p3e_flipped_kernel",  # and the same mistakes, written:
                        "p1a_answer": "p1a_std", "p2c_equations": "p2c_overwrite",
                        "p3b_answer": "p3b_first_order", "p3e_equation": "p3e_flipped_kernel"}
    p1a = by_item(results)["p1a"]["output"]
    assert "standard deviation" in p1a
    assert "expected" in p1a and "got" in p1a
    assert f"--item p1a --seed {results['extra_data']['seed']}" in p1a


def test_carol_messages_say_what_broke(tmp_path):
    _, results = run_grade(EXAMPLES / "carol", tmp_path)
    items = by_item(results)
    assert "problem1.py was not found" in items["p1a"]["output"]
    backward = items["p2c_f"]["output"]
    assert "raised IndexError" in backward
    assert 'File "problem2.py"' in backward  # the student's own frame ...
    assert "child.py" not in backward and "grader" not in backward  # ... and only theirs
    assert "does not define a function 'weight_grad_limit'" in items["p3e"]["output"]
    assert items["p3c"]["status"] == "passed"  # the exact formula is accepted
    # a replay of a missing file has nothing to show: no reproduce line (issue 21)
    assert "Reproduce:" not in items["p1a"]["output"] and "Reproduce:" in backward


def test_a_constant_left_as_the_skeleton_has_it_is_not_set_yet(tmp_path):
    """Issue 21: a constant left at None read "raised AttributeError: module 'problem1' has
    no attribute 'function'", with an empty traceback."""
    folder = tmp_path / "sub"
    shutil.copytree(EXAMPLES / "alice", folder)
    for name, constant in (("problem1.py", "RELU_VARIANCE_CHANGE"),
                           ("problem3.py", "ACTIVATION_LIMIT_WELL_DEFINED")):
        text = (folder / name).read_text()
        (folder / name).write_text(re.sub(rf"^{constant} = .*$", f"{constant} = None", text,
                                          flags=re.M))
    _, results = run_grade(folder, tmp_path / "out")
    items = by_item(results)
    assert items["p1b"]["output"] == ("Failed: RELU_VARIANCE_CHANGE is not set yet (it is "
                                      "None): set it to a string.")
    assert "ACTIVATION_LIMIT_WELL_DEFINED is not set yet (it is None): set it to True or " \
        "False" in items["p3e_activation"]["output"]


def test_results_json_follows_the_contract(tmp_path):
    _, results = run_grade(EXAMPLES / "bob", tmp_path)
    assert {"score", "execution_time", "output", "tests", "visibility", "stdout_visibility",
            "extra_data"} <= set(results)
    assert isinstance(results["execution_time"], (int, float))
    for test in results["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "visibility",
                "extra_data"} <= set(test)
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert isinstance(test["extra_data"]["seed"], int)
    assert results["score"] == sum(t["score"] for t in results["tests"])
    assert len(results["extra_data"]["rubric_sha256"]) == 64


def test_same_files_same_seed_give_identical_feedback(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _, first = run_grade(EXAMPLES / "bob", a)
    _, second = run_grade(EXAMPLES / "bob", b)
    strip = lambda r: [(t["score"], t["output"]) for t in r["tests"]]  # noqa: E731
    assert strip(first) == strip(second)
    assert first["extra_data"]["seed"] == second["extra_data"]["seed"]
    assert (a / "report.html").read_bytes() == (b / "report.html").read_bytes()


def test_seed_option_changes_the_inputs_and_is_recorded(tmp_path):
    _, one = run_grade(EXAMPLES / "bob", tmp_path / "one", "--seed", "1")
    _, two = run_grade(EXAMPLES / "bob", tmp_path / "two", "--seed", "2")
    assert one["extra_data"]["seed"] == 1 and two["extra_data"]["seed"] == 2
    assert by_item(one)["p3e"]["output"] != by_item(two)["p3e"]["output"]
    assert short_items(one) == short_items(two)


def test_reproduce_command_replays_the_same_failing_trial_beside_the_full_grading(tmp_path):
    out = tmp_path / "bob"
    _, full = run_grade(EXAMPLES / "bob", out)
    before = {n: (out / n).read_bytes() for n in ("results.json", "report.html")}
    seed = full["extra_data"]["seed"]
    line = by_item(full)["p2c_f"]["output"].splitlines()[-1]
    assert line == f"Reproduce: python check.py --item p2c_f --seed {seed}"  # the kit's
    proc, _ = run_grade(EXAMPLES / "bob", out, "--item", "p2c_f", "--seed", str(seed))
    assert {n: (out / n).read_bytes() for n in before} == before  # the full grading stays
    single = json.loads((out / "replay" / f"p2c_f-{seed}" / "results.json").read_text())
    assert [t["extra_data"]["item"] for t in single["tests"]] == ["p2c_f"]
    assert single["tests"][0]["output"] == by_item(full)["p2c_f"]["output"]
    assert "expected " in proc.stdout and "Inputs of that trial:" in proc.stdout


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_outputs_honour_the_umask(umask, tmp_path):
    import subprocess

    from conftest import GRADE, ROOT

    proc = subprocess.run([*GRADE, str(EXAMPLES / "alice"), "--out", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, preexec_fn=lambda: os.umask(umask))
    assert proc.returncode == 0
    for name in ("results.json", "report.html"):
        assert (tmp_path / "out" / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_default_output_folder_is_reports_by_name(tmp_path):
    import subprocess

    from conftest import GRADE, ROOT

    proc = subprocess.run([*GRADE, str(EXAMPLES / "alice")], capture_output=True, text=True,
                          cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "reports" / "alice" / "results.json").exists()
    assert (tmp_path / "reports" / "alice" / "report.html").exists()


@pytest.mark.parametrize("args, code, message", [
    (["/no/such/folder"], 3, "no such folder"),
    ([str(EXAMPLES / "alice"), "--item", "p9z"], 2, "unknown item p9z"),
    ([str(EXAMPLES / "alice"), "--rubric", "/no/such.yaml"], 4, "cannot read rubric"),
])
def test_cli_refuses_what_cannot_be_graded_with_one_clear_line(args, code, message, tmp_path):
    import subprocess

    from conftest import GRADE, ROOT

    proc = subprocess.run([*GRADE, *args, "--out", str(tmp_path)], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == code
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
