"""Shared fixtures: the project's paths, the rubric, and a `grade` runner for end-to-end tests."""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = ROOT / "rubrics" / "highways.yaml"
EXAMPLES = ROOT / "submissions_example"
CORPUS = ROOT / "tests" / "corpus"
GRADE = [sys.executable, "-m", "grader.cli"]

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

UID_SPAN = 1024


def _claim_uid_range() -> tuple[int, int]:
    """A range of sandbox uids for this test run alone (held by a lock for the session):
    what a test counts as left behind is then its own, even while another grader, another
    clone's tests or a benchmark run on the same machine."""
    locks = Path(tempfile.gettempdir()) / "hwg-test-uid-ranges"
    locks.mkdir(mode=0o700, exist_ok=True)
    for k in range(256):
        base = 200_000 + k * UID_SPAN
        fd = os.open(locks / str(base), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return base, fd
    raise RuntimeError("no free range of sandbox uids for the tests")


# Set before any grader module is imported, and inherited by every `grade` a test starts.
SANDBOX_UIDS, _UID_LOCK = _claim_uid_range()
os.environ["GRADER_SANDBOX_UID"] = str(SANDBOX_UIDS)
os.environ["GRADER_SANDBOX_UIDS"] = str(UID_SPAN)
RUN_TOKEN = f"{SANDBOX_UIDS // UID_SPAN}{os.getpid() % 1000:03d}"  # unique to this run


def ours(uid: int) -> bool:
    """Whether `uid` is one of this test run's sandbox users."""
    return SANDBOX_UIDS <= uid < SANDBOX_UIDS + UID_SPAN


@pytest.fixture(scope="session")
def fast_rubric(tmp_path_factory) -> Path:
    """The shipped rubric with short time limits, so hangs cost seconds, not minutes."""
    from hostile import fast_rubric_at

    return fast_rubric_at(tmp_path_factory.mktemp("rubric") / "hostile.yaml")


@pytest.fixture(scope="session")
def kit_zip(tmp_path_factory) -> Path:
    """The student kit, as `grade kit` builds it from the shipped rubric."""
    from kits import build

    return build(RUBRIC, tmp_path_factory.mktemp("kit") / "highways-kit.zip")


@pytest.fixture(scope="session")
def numpy_only(tmp_path_factory) -> Path:
    """A fresh venv holding numpy alone (Python 3.10 when the machine has it): a student's."""
    from kits import numpy_venv
    from platforms import python_of

    base = python_of("3.10") or sys.executable
    return numpy_venv(base, tmp_path_factory.mktemp("venv") / "numpy-only")


@pytest.fixture(scope="session")
def rubric():
    from grader.rubric.model import load_rubric

    return load_rubric(RUBRIC)


def run_grade(path: Path, out: Path, *args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, Any]:
    """Run the real command line; return the process and the parsed results.json (or None)."""
    proc = subprocess.run([*GRADE, str(path), "--out", str(out), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)
    results = out / "results.json"
    return proc, json.loads(results.read_text()) if results.exists() else None


def by_item(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["extra_data"]["item"]: t for t in results["tests"]}


def feedback(results: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """What a student is told, item by item: for comparing two gradings of one submission."""
    return [(t["extra_data"]["item"], t["score"], t["output"]) for t in results["tests"]]


WRITTEN = {"expression", "index", "manual"}  # answered in answers.md (tests/test_written.py)


def short_items(results: dict[str, Any], written: bool = False) -> set[str]:
    """Items that scored below their maximum: code items, and with `written` also those
    answered in answers.md."""
    return {i for i, t in by_item(results).items() if float(t["score"]) < float(t["max_score"])
            and (written or t["extra_data"].get("kind") not in WRITTEN)}
