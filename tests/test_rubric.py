"""Loading rubrics: the shipped one is valid; broken ones are refused naming line and field."""
from __future__ import annotations

import textwrap

import pytest

from grader.rubric.model import RubricError, load_rubric

BASE = """\
name: t
title: T
reference: {ref}
items:
  - id: a
    title: A
    points: 1
    student: problem1.init_variance
    reference: problem1.init_variance
    inputs:
      d_x: {{int: [1, 10]}}
"""


def test_the_shipped_rubric_is_valid(rubric):
    assert [i.id for i in rubric.items] == [
        "p1a", "p1b", "p1b_exact", "p2a", "p2b", "p2c_f", "p2c_h", "p2c_d",
        "p3a", "p3b", "p3c", "p3d", "p3e", "p3e_activation",
        "p1a_answer", "p1a_derivation", "p1b_explanation", "p2b_equations", "p2c_equations",
        "p3a_answer", "p3b_answer", "p3c_answer", "p3d_answer", "p3e_equation",
        "p3e_explanation"]
    assert sum(i.points for i in rubric.items) == rubric.model.total_points
    assert len(rubric.sha256) == 64


def test_defaults_fill_items_that_do_not_set_a_field(rubric):
    assert rubric.item("p1a").trials == 12 and rubric.item("p1a").timeout == 5
    assert rubric.item("p3e").timeout == 10  # an item's own value wins


def _write(tmp_path, text):
    from conftest import ROOT

    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent(text).format(ref=ROOT / "reference"))
    return path


@pytest.mark.parametrize("edit, expected", [
    (("    points: 1", "    points: -1"), ":7: items[0].points: -1: Input should be greater than 0"),
    (("    points: 1", "    pionts: 1"), "unknown field 'pionts' (did you mean 'points'?)"),
    (("      d_x: {{int: [1, 10]}}", "      d_x: {{int: [1, 10], rtol: 1}}"),
     "items[0].inputs.d_x.rtol: unknown field 'rtol'"),
    (("    points: 1", "    points: 1\n    rtol: -1"), ":8: items[0].rtol: -1"),
    (("    student: problem1.init_variance", "    student: init_variance"),
     "items[0].student: 'init_variance'"),
    (("      d_x: {{int: [1, 10]}}", "      d_x: {{int: [1, n]}}\n      n: {{int: [1, 3]}}"),
     "d_x refers to n, which must be drawn before it"),
    (("      d_x: {{int: [1, 10]}}", "      d_x: {{int: [1, 10], uniform: [0, 1]}}"),
     "exactly one of"),
    (("    reference: problem1.init_variance\n", ""), "a function item needs a reference"),
    (("title: T", "title: T\ntotal_points: 3"), "items add up to 1 points, total_points says 3"),
    (("    points: 1", "    points: 1\n    args: [x]"), "args names x, not among the inputs"),
    (("    points: 1", "    points: 1\n    trials: 1\n    edge_cases: [{{d_x: 1}}, {{d_x: 2}}]"),
     "2 edge cases but only 1 trials"),
])
def test_broken_rubrics_are_refused_with_file_line_and_field(tmp_path, edit, expected):
    text = BASE.replace(*edit)
    assert text != BASE
    with pytest.raises(RubricError) as err:
        load_rubric(_write(tmp_path, text))
    assert expected in str(err.value)
    assert str(tmp_path / "r.yaml") in str(err.value)


def test_duplicate_ids_are_refused(tmp_path):
    text = BASE + BASE[BASE.index("  - id: a"):]
    with pytest.raises(RubricError, match="duplicate item ids: a"):
        load_rubric(_write(tmp_path, text))


def test_unreadable_yaml_is_one_problem(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("items: [unclosed\n")
    with pytest.raises(RubricError, match=f"^{path}:1:8: not valid YAML: while parsing a flow"):
        load_rubric(path)
