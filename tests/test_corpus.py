"""Student-like submissions (tests/corpus, and the shared public corpus when present) graded
through the real command line: correct ones get full marks, others lose exactly `fail`."""
from __future__ import annotations

import json

import pytest

from conftest import CORPUS, ROOT, run_grade, short_items

pytestmark = pytest.mark.slow
SHARED = ROOT.parent / "shared" / "corpus"


def _cases():
    for corpus in (CORPUS, SHARED):
        if not (corpus / "expect.json").exists():
            continue
        expect = json.loads((corpus / "expect.json").read_text())
        for name, e in expect["submissions"].items():
            yield pytest.param(corpus / name, e, id=f"{corpus.parent.name}/{name}")


@pytest.mark.parametrize("path, expect", list(_cases()))
def test_corpus_submission_is_judged_right(path, expect, tmp_path):
    proc, results = run_grade(path, tmp_path)
    assert proc.returncode == 0, proc.stderr
    short = short_items(results)
    in_groups = set().union(*map(set, expect["fail_any"])) if expect["fail_any"] else set()
    assert short - in_groups == set(expect["fail"]), expect.get("note")
    for group in expect["fail_any"]:
        assert short & set(group), f"one of {group} should fall short"
