"""A simulated /autograder for tests: the upload zip built, unpacked, and run_autograder
run the way Gradescope runs it, with results.json checked against Gradescope's format."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema

from conftest import RUBRIC, ROOT

SCHEMA = json.loads((ROOT / "tests" / "gradescope_results.schema.json").read_text())
VENV_BIN = Path(sys.executable).parent


def build_zip(out: Path, rubric: Path = RUBRIC) -> Path:
    subprocess.run([sys.executable, "-m", "grader.gradescope", "build", "--rubric", str(rubric),
                    "--out", str(out)], cwd=ROOT, check=True, capture_output=True)
    return out


def autograder_root(tmp: Path, zip_path: Path, submission: Path | None,
                    metadata: dict | None = None) -> Path:
    root = tmp / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "results").mkdir()
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        os.chmod(root / "source" / script, 0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    if submission is not None:
        shutil.copytree(submission, root / "submission", dirs_exist_ok=True)
    (root / "submission_metadata.json").write_text(json.dumps(metadata or
        {"id": 4242, "created_at": "2026-11-27T10:00:00Z", "users": [{"id": 7, "name": "S"}],
         "assignment": {"id": 1, "title": "Highways"}, "previous_submissions": []}))
    return root


def run_autograder(root: Path, path: str | None = None) -> dict:
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "PATH": path or f"{VENV_BIN}:/usr/bin:/bin"}
    subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, timeout=600,
                   capture_output=True)
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    return results


