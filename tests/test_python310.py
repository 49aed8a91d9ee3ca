"""The grader's own code must run on Python 3.10, Gradescope's default image."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.slow
VENV310 = ROOT / ".venv310"
REQUIREMENTS = ROOT / "grader" / "gradescope" / "files" / "requirements.txt"


def test_vermin_finds_nothing_newer_than_3_10():
    vermin = str(Path(sys.executable).with_name("vermin"))
    proc = subprocess.run([vermin, "--target=3.10-", "--violations", "--no-tips",
                           "--eval-annotations", str(ROOT / "grader")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _python310() -> str:
    candidates = [str(p) for p in sorted(Path("/root/.pyenv/versions").glob("3.10*/bin/python3.10"))]
    candidates += [c for c in ("python3.10", "/usr/bin/python3.10") if shutil.which(c)]
    for candidate in candidates:  # pyenv's shims exist but may not run
        if subprocess.run([candidate, "-c", "import venv"], capture_output=True).returncode == 0:
            return candidate
    raise AssertionError("no Python 3.10 on this machine: the vermin check above still runs")


def test_grading_runs_on_a_real_python_3_10(tmp_path):
    python = VENV310 / "bin" / "python"
    probe = subprocess.run([str(python), "-c", "import sys; assert sys.prefix != sys.base_prefix"],
                           capture_output=True) if python.exists() else None
    if probe is None or probe.returncode != 0:  # missing or broken: made anew
        shutil.rmtree(VENV310, ignore_errors=True)
        subprocess.run([_python310(), "-m", "venv", str(VENV310)], check=True)
    grader_deps = tmp_path / "requirements.txt"  # scipy and matplotlib serve student code
    grader_deps.write_text("".join(line + "\n" for line in REQUIREMENTS.read_text().splitlines()
                                   if not line.startswith(("scipy", "matplotlib"))))
    install = subprocess.run([str(python), "-m", "pip", "install", "-q",
                              "--disable-pip-version-check", "-r", str(grader_deps)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    assert subprocess.run([str(python), "-c", "import sys; print(sys.version_info[:2])"],
                          capture_output=True, text=True).stdout.strip() == "(3, 10)"
    for name, score in (("bob", 14), ("carol", 8)):  # bob: code and answers.md
        proc = subprocess.run([str(python), "-m", "grader.cli", str(EXAMPLES / name), "--out",
                               str(tmp_path / name)], cwd=ROOT, capture_output=True, text=True,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert json.loads((tmp_path / name / "results.json").read_text())["score"] == score
