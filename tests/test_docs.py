"""docs/rubrics.md's worked example, run exactly as written: the docs cannot rot."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import GRADE, ROOT

pytestmark = pytest.mark.slow
BLOCK = re.compile(r'```\w+ title="([^"]+)"\n(.*?)```', re.S)


def test_worked_example_adds_a_problem_without_engine_code(tmp_path):
    text = (ROOT / "docs" / "rubrics.md").read_text()
    files = dict(BLOCK.findall(text))
    assert {"reference/problem4.py", "rubrics/leaky.yaml", "submission/problem4.py"} <= set(files)
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    commands = re.findall(r"^grade (rubric check rubrics/leaky.yaml|submission/ .*)$", text, re.M)
    assert len(commands) == 2
    check = subprocess.run([*GRADE, *commands[0].split()], cwd=tmp_path, capture_output=True,
                           text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 errors, 0 warnings" in check.stdout
    graded = subprocess.run([*GRADE, *commands[1].split(), "--out", "out"], cwd=tmp_path,
                            capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert graded.returncode == 0, graded.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["score"] == 2 and results["tests"][0]["extra_data"]["item"] == "p4"
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "problem4.py").write_text(files["submission/problem4.py"].replace(
        "np.maximum(z, 0) + alpha * np.minimum(z, 0)", "alpha * np.maximum(z, 0) + np.minimum(z, 0)"))
    subprocess.run([*GRADE, "wrong", "--rubric", "rubrics/leaky.yaml", "--out", "out2"],
                   cwd=tmp_path, capture_output=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    test = json.loads((tmp_path / "out2" / "results.json").read_text())["tests"][0]
    assert test["score"] == 0 and test["extra_data"]["mistake"] == "leaky_relu_swapped"
    (wrong / "problem4.py").write_text(files["submission/problem4.py"].replace(
        "return np.maximum(z, 0) + alpha * np.minimum(z, 0)",
        "return 2 * np.where(z > 0, z, alpha * z)"))
    subprocess.run([*GRADE, "wrong", "--rubric", "rubrics/leaky.yaml", "--out", "out3"],
                   cwd=tmp_path, capture_output=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    test = json.loads((tmp_path / "out3" / "results.json").read_text())["tests"][0]
    assert test["score"] == 0 and test["extra_data"]["mistake"] is None
    assert "Diagnosis: Your answer is twice the right one: a factor 2 too many. This holds on " \
        "every failing trial (10 of 10)." in test["output"]
