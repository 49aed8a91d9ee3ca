"""Shared fixtures: the project's paths, the rubric, and a `grade` runner for end-to-end tests."""
from __future__ import annotations

import json
import subprocess
import sys
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


@pytest.fixture(scope="session")
def rubric():
    from grader.rubric import load_rubric

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


def short_items(results: dict[str, Any]) -> set[str]:
    """Items that scored below their maximum."""
    return {i for i, t in by_item(results).items() if float(t["score"]) < float(t["max_score"])}
