"""Mutation power of a rubric (issue 13): every reference mutated on its syntax tree, each
mutant graded; the shipped rubric kills them and diagnoses most, and a weak rubric's
holes are listed with their source line until they are fixed or marked equivalent."""
from __future__ import annotations

import subprocess

import pytest
import yaml
from conftest import GRADE, ROOT, RUBRIC

from grader.authoring import mutants
from grader.rubric.model import load_rubric
from grader.rubric.references import References

pytestmark = pytest.mark.slow


def test_mutants_are_single_changes_with_stable_ids(rubric):
    refs = References(rubric.reference_dir)
    made = list(mutants.mutants_of(refs.get("problem3.layer_variance")))
    changes = {m.change for m in made}
    assert {"`*` → `/`", "`1.0` → `2.0`", "exponent `2` → `2 + 1`", "`2` → `3`"} <= changes
    assert all(m.source != "return var_prev * (1.0 + N ** 2 * C * sigma_w)" for m in made)
    again = list(mutants.mutants_of(refs.get("problem3.layer_variance")))
    assert [m.id for m in made] == [m.id for m in again]
    assert len({m.id for m in made}) == len(made)
    v = dict(var_prev=2.0, sigma_w=0.1, N=3, C=2)
    assert {m.fn(**v) for m in made if m.change == "`*` → `/`"} >= {2.0 / (1 + 9 * 2 * 0.1)}


def test_the_shipped_rubric_kills_every_mutant_and_diagnoses_most(rubric):
    powers = mutants.power(rubric, References(rubric.reference_dir))
    total = sum(p.total for p in powers)
    killed = sum(len(p.killed) + len(p.raises) for p in powers)
    by_values = sum(len(p.killed) for p in powers)
    diagnosed = sum(len(p.diagnosed) for p in powers)
    assert total > 100
    assert [m.describe() for p in powers for m in p.survived] == []
    assert killed >= 0.9 * total
    assert diagnosed >= 0.7 * by_values, mutants.summary(powers, verbose=True)


def _weak(tmp_path, equivalent=()):
    """The rubric with 3a's variance of the weights pinned to 0: N and C no longer matter."""
    data = yaml.safe_load(RUBRIC.read_text())
    data["reference"] = str(ROOT / "reference")
    data["handout"] = str(ROOT / "docs" / "handout.md")
    item = next(i for i in data["items"] if i["id"] == "p3a")
    item["inputs"] = {**item["inputs"], "sigma_w": {"value": 0.0}}
    item["edge_cases"] = [{k: v for k, v in case.items() if k != "sigma_w"}
                          for case in item["edge_cases"]]
    item["mistakes"] = []
    if equivalent:
        item["equivalent_mutants"] = list(equivalent)
    data["items"] = [item]  # the rest of the rubric is checked above
    data["total_points"] = item["points"]
    path = tmp_path / "weak.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_weak_rubric_shows_its_survivors_until_they_are_marked(tmp_path):
    rubric = load_rubric(_weak(tmp_path))
    (power,) = mutants.power(rubric, References(rubric.reference_dir), only={"p3a"})
    survivors = {m.change: m for m in power.survived}
    assert "`2` → `3`" in survivors and "N ** 3" in survivors["`2` → `3`"].source
    source = (ROOT / "reference" / "problem3.py").read_text().splitlines()
    assert "return var_prev * (1.0 + N**2" in source[survivors["`2` → `3`"].line - 1]
    marked = load_rubric(_weak(tmp_path, [survivors["`2` → `3`"].id]))
    (power,) = mutants.power(marked, References(marked.reference_dir), only={"p3a"})
    assert "`2` → `3`" not in {m.change for m in power.survived}
    assert [m.change for m in power.equivalent] == ["`2` → `3`"]


def test_rubric_check_mutants_reports_holes_as_warnings(tmp_path):
    proc = subprocess.run([*GRADE, "rubric", "check", str(_weak(tmp_path)), "--mutants",
                           "--seeds", "5"], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "p3a: " in proc.stdout and "survived: layer_variance, line " in proc.stdout
    assert "warning: " in proc.stdout and "a mutant survives" in proc.stdout
    assert "mutants: " in proc.stdout
