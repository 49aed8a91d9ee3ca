"""Comparing outputs: what is accepted (float32, lists, tensors' arrays) and what is not."""
from __future__ import annotations

import re

import numpy as np
import pytest

from grader.engine.compare import NotNumeric, as_array, compare_arrays, compare_constant
from grader.rubric.model import Item
from grader.sandbox.wire import BadValue

EXP = np.array([[1.0, -2.0], [0.5, 3.0]])


def test_float32_and_lists_are_accepted():
    assert compare_arrays(EXP.astype(np.float32), EXP, 1e-4, 1e-6, "x") is None
    assert compare_arrays(EXP.tolist(), EXP, 1e-4, 1e-6, "x") is None


def test_a_value_mismatch_says_where_and_by_how_much():
    got = EXP.copy()
    got[1, 0] = 0.7
    m = compare_arrays(got, EXP, 1e-4, 1e-6, "W_x")
    assert m.kind == "value" and m.summary == "W_x is wrong at [1, 0]"
    assert m.lines[0] == "at [1, 0]: expected 0.5, got 0.7"
    assert m.lines[1].startswith("expected: [[") and "(shape [2, 2])" in m.lines[1]
    assert m.lines[2].startswith("got:      [[") and "0.7" in m.lines[2]  # small: whole
    assert "1 of 4 values" in m.lines[3] and "rtol 0.0001" in m.lines[3]
    assert "max absolute error 0.2" in m.lines[4]


def test_a_large_array_shows_the_values_around_the_first_wrong_one():
    expected = np.arange(60.0).reshape(3, 20)
    got = expected.copy()
    got[1, 7], got[2, 19] = 9.0, 0.0
    m = compare_arrays(got, expected, 1e-6, 0.0, "x")
    assert m.summary == "x is wrong at [1, 7]"
    assert m.lines[0] == "at [1, 7]: expected 27, got 9"
    assert m.lines[1] == "around it: expected[1, 5:10] = [25, 26, 27, 28, 29] (shape [5])"
    assert m.lines[2] == "                got[1, 5:10] = [25, 26, 9, 28, 29] (shape [5])"


def test_one_index_names_the_failure_and_the_largest_error_says_where_it_is():
    """The summary, the values shown and their window agree on one index (the first wrong
    value); the largest error, elsewhere, is named as such (issue 23)."""
    expected = np.ones((2, 2, 1, 30))
    got = expected.copy()
    got[0, 0, 0, 0] = 1.5  # the first wrong value
    got[1, 1, 0, 2] = 9.0  # the largest error
    m = compare_arrays(got, expected, 1e-5, 1e-8, "the return value")
    assert m.summary == "the return value is wrong at [0, 0, 0, 0]"
    shown = "\n".join(m.lines)
    assert "[1, 1, 0, 2]" not in m.summary and "[0, 0, 0, 0]" in m.lines[0]
    assert m.lines[1].startswith("around it: expected[0, 0, 0, 0:3] = ")
    assert m.lines[-1].startswith("max absolute error 8 at [1, 1, 0, 2], max relative")
    named = re.findall(r"\bat (\[[\d, ]+\])", shown.replace(m.lines[-1], ""))
    assert set(named) == {"[0, 0, 0, 0]"}, shown  # wherever an index is named, but the last


@pytest.mark.parametrize("got, kind", [
    (EXP.T[:1], "shape"), (EXP.ravel(), "shape"), (None, "type"), ("1.0", "type"),
    (True, "type"), ([[1.0, 2.0], [3.0]], "type"), (BadValue("an array of dtype object"), "type"),
    (np.full((2, 2), np.nan), "nonfinite"), (np.full((2, 2), np.inf), "nonfinite"),
])
def test_wrong_kinds_of_output_fail_with_their_own_kind(got, kind):
    assert compare_arrays(got, EXP, 1e-4, 1e-6, "x").kind == kind


def test_nan_has_its_own_message():
    got = EXP.copy()
    got[0, 1] = np.nan
    assert compare_arrays(got, EXP, 1e-4, 1e-6, "x").summary == "x contains nan at [0, 1]"


BIG = np.finfo(np.float64).max


@pytest.mark.parametrize("got, expected, kind", [
    ([np.inf, 1.0], [np.inf, 1.0], "nonfinite"),  # inf - inf: the long way, no warning
    ([np.nan, 1.0], [np.nan, 1.0], "nonfinite"),
    ([2.0, 1.0], [np.inf, 1.0], None),  # an infinite allowance takes any finite number
    ([np.inf, 1.0], [BIG, 1.0], "nonfinite"),
    ([BIG, 1.0], [-BIG, 1.0], "value"),  # a difference that overflows: no warning either
    ([1.0, 1.0 + 1e-9], [1.0, 1.0], None),
])
def test_infinite_and_huge_values_are_judged_alike_on_every_path(got, expected, kind):
    """Right answers take a one-pass check; anything it does not accept is judged the long
    way, which must find the same, and neither may warn."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mismatch = compare_arrays(np.array(got), np.array(expected), 1e-4, 1e-6, "x")
    assert (mismatch.kind if mismatch else None) == kind


def test_scalars_accept_a_single_element_array():
    assert compare_arrays(np.array([0.25]), np.asarray(0.25), 1e-4, 0, "v") is None
    assert compare_arrays(0.25, np.asarray(0.25), 1e-4, 0, "v") is None
    assert compare_arrays(np.array([0.25, 0.25]), np.asarray(0.25), 1e-4, 0, "v").kind == "shape"


def test_none_says_return_may_be_missing():
    with pytest.raises(NotNumeric, match="return"):
        as_array(None)


def _const(expected, normalize=()):
    return Item(id="c", title="C", points=1, student="m.C", kind="constant",
                expected=expected, normalize=normalize)


@pytest.mark.parametrize("got, ok", [
    (False, True), (0, True), ("False", True), (True, False), (1, False), ("no idea", False),
    (None, False),
])
def test_boolean_constants(got, ok):
    assert (compare_constant(_const(False), got) is None) == ok


def test_string_constants_follow_the_rubrics_normalisation():
    item = _const("increase", ("strip", "lower"))
    assert compare_constant(item, "  Increase\n") is None
    assert compare_constant(item, "decrease").kind == "constant"
    assert compare_constant(_const("increase"), "Increase") is not None


@pytest.mark.parametrize("expected, kind", [("increase", "a string"), (False, "True or False"),
                                            (0.5, "a number")])
def test_a_constant_left_at_none_is_not_set_yet_and_says_what_it_takes(expected, kind):
    """Issue 21: the skeleton's `None` read as "raised AttributeError: ... 'function'"."""
    mismatch = compare_constant(_const(expected), None)
    assert (mismatch.kind, mismatch.summary) == (
        "constant", f"C is not set yet (it is None): set it to {kind}")
