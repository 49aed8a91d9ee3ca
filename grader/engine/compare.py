"""Judging one trial: turn what came back into float64 arrays and compare with tolerance."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np

from grader.engine.inputs import FULL, show
from grader.rubric.itemdata import expects

# A failing trial's values are shown to VALUE_DIGITS significant digits, its errors to
# ERROR_DIGITS: enough to see what is wrong and by how much, too few to copy an expected
# value into a table that passes the tolerance (docs/rubrics.md, "Seeds and trials").
VALUE_DIGITS = 4
ERROR_DIGITS = 2
from grader.sandbox.wire import BadValue

if TYPE_CHECKING:  # the student kit compares without the rubric's models
    from grader.rubric.model import Item


@dataclass(frozen=True)
class Mismatch:
    """Why one output is not accepted; `lines` say by how much and where."""

    kind: str  # type, shape, length, nonfinite, value, changed_input, constant
    summary: str
    lines: tuple[str, ...] = ()


class NotNumeric(Exception):
    """A returned value that cannot be read as numbers."""


def as_array(value: Any) -> np.ndarray:
    """Float64 array from a number, an array or a (nested) list of them."""
    if isinstance(value, BadValue):
        raise NotNumeric(value.reason)
    if value is None:
        raise NotNumeric("None (is a `return` missing?)")
    if isinstance(value, bool) or (isinstance(value, np.ndarray) and value.dtype.kind == "b"):
        raise NotNumeric("a boolean, not a number")
    if isinstance(value, str):
        raise NotNumeric(f"the string {value[:40]!r}")
    if isinstance(value, np.ndarray):
        return np.asarray(value, dtype=np.float64)  # no copy of what is float64 already
    if isinstance(value, (int, float)):
        return np.asarray(float(value))
    if isinstance(value, list):
        if _has_non_numbers(value):
            raise NotNumeric("a list holding something other than numbers")
        try:
            return np.array(value, dtype=np.float64)
        except (ValueError, TypeError):
            raise NotNumeric("a ragged list (rows of different lengths)") from None
    raise NotNumeric(f"a {type(value).__name__}")


def _has_non_numbers(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_non_numbers(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.dtype.kind == "b"
    return isinstance(value, bool) or not isinstance(value, (int, float))


def compare_arrays(got_raw: Any, expected: np.ndarray, rtol: float, atol: float,
                   what: str) -> Optional[Mismatch]:
    """None when `got_raw` matches `expected` elementwise within atol + rtol·|expected|."""
    if type(got_raw) in (float, int) and np.ndim(expected) == 0:  # a number: in floats
        try:
            got_f, expected_f = float(got_raw), float(expected)
        except (TypeError, ValueError, OverflowError):
            pass  # said below, as for any value
        else:
            if math.isfinite(got_f) and abs(got_f - expected_f) <= atol + rtol * abs(expected_f):
                return None  # what the arrays below would find; anything else, they say
    try:
        got = as_array(got_raw)
    except NotNumeric as exc:
        return Mismatch("type", f"{what} is {exc}")
    expected = np.asarray(expected, dtype=np.float64)
    if expected.ndim == 0 and got.size == 1:
        got = got.reshape(())
    if got.shape != expected.shape:
        return Mismatch("shape", f"{what} has shape {_shape(got)}, expected {_shape(expected)}")
    with np.errstate(invalid="ignore", over="ignore"):  # a student's inf or 1e308: no warning
        if (np.abs(got - expected) <= atol + rtol * np.abs(expected)).all():
            return None  # what _values_differ finds of a right answer, in one pass
        return _values_differ(got, expected, rtol, atol, what)


def _values_differ(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float,
                   what: str) -> Optional[Mismatch]:
    """compare_arrays' judgement of arrays of the same shape, with what it says of them:
    NaN and infinities first, then the values outside the tolerance."""
    finite = np.isfinite(got)
    if not finite.all():
        where = _index(np.argwhere(~finite)[0]) if got.ndim else ""
        bad = got[~finite].flat[0]
        return Mismatch("nonfinite", f"{what} contains {bad}{' at ' + where if where else ''}",
                        (f"{int((~finite).sum())} of {got.size} values are NaN or infinite",))
    err = np.abs(got - expected)
    allowed = atol + rtol * np.abs(expected)
    wrong = err > allowed
    if not wrong.any():
        return None
    # One index names the failure: the first wrong value (in C order), which the values
    # shown are around; the largest error, when elsewhere, says where it is.
    first = tuple(int(i) for i in np.argwhere(wrong)[0]) if err.ndim else ()
    largest = np.unravel_index(np.argmax(err), err.shape) if err.ndim else ()
    rel = err / np.where(expected == 0, np.inf, np.abs(expected))
    where = f" at {_index(first)}" if err.ndim else ""
    at_largest = f" at {_index(largest)}" if err.ndim and tuple(largest) != first else ""
    return Mismatch("value", f"{what} is wrong{where}", (
        f"{where.strip() + ': ' if where else ''}expected {_num(expected[first])}, "
        f"got {_num(got[first])}",
        *_values(expected, got, first),
        f"{int(wrong.sum())} of {err.size} values are outside the tolerance "
        f"(rtol {rtol:g}, atol {atol:g})",
        f"max absolute error {_num(err.max(), ERROR_DIGITS)}{at_largest}, "
        f"max relative error {_num(rel.max(), ERROR_DIGITS)}",
    ))


def _values(expected: np.ndarray, got: np.ndarray, first: tuple[int, ...]) -> tuple[str, ...]:
    """Both arrays whole when small, else the values around the first wrong one."""
    if expected.size <= 1:  # the line before says it all
        return ()
    if expected.size <= FULL:
        return (f"expected: {show(expected, VALUE_DIGITS)}",
                f"got:      {show(got, VALUE_DIGITS)}")
    lo, hi = max(0, first[-1] - 2), first[-1] + 3
    window = (*first[:-1], slice(lo, hi))
    where = "[" + ", ".join([*map(str, first[:-1]), f"{lo}:{min(hi, expected.shape[-1])}"]) + "]"
    return (f"around it: expected{where} = {show(expected[window], VALUE_DIGITS)}",
            f"{'got':>19}{where} = {show(got[window], VALUE_DIGITS)}")  # under "expected"


def compare_output(item: Item, got: Any, expected: Any) -> Optional[Mismatch]:
    """Compare a function's return value, part by part when it returns a tuple."""
    if not item.outputs:
        return compare_arrays(got, expected, item.rtol, item.atol, "the return value")
    n = len(item.outputs)
    if not isinstance(got, list) or len(got) != n:
        kind = f"{len(got)} values" if isinstance(got, list) else _kind(got)
        return Mismatch("length", f"expected a tuple of {n} ({', '.join(item.outputs)}), "
                        f"got {kind}")
    for name, part, exp in zip(item.outputs, got, expected):
        mismatch = compare_arrays(part, exp, item.rtol, item.atol, name)
        if mismatch:
            return mismatch
    return None


def compare_inplace(item: Item, after: Optional[Sequence[Any]], before: dict[str, Any],
                    expected: dict[str, Any], mutable: Optional[Sequence[str]] = None
                    ) -> Optional[Mismatch]:
    """Check the updated arguments, then that nothing else was touched (but `mutable`,
    by default the item's own)."""
    names = item.arg_names
    if after is None or len(after) != len(names):
        return Mismatch("type", "the arguments did not come back from the call")
    got = dict(zip(names, after))
    for name in item.compare:
        mismatch = compare_arrays(got[name], expected[name], item.rtol, item.atol, name)
        if mismatch:
            return mismatch
    return unchanged_inputs(item, got, before, mutable)


def unchanged_inputs(item: Item, got: dict[str, Any], before: dict[str, Any],
                     mutable: Optional[Sequence[str]] = None) -> Optional[Mismatch]:
    allowed = item.mutable if mutable is None else mutable
    for name in item.arg_names:
        if name in allowed or not isinstance(before[name], np.ndarray):
            continue
        value = got[name]
        if not (isinstance(value, np.ndarray) and value.shape == before[name].shape
                and (_same_bytes(value, before[name])
                     or np.array_equal(value, before[name], equal_nan=True))):
            return Mismatch("changed_input", f"{name} was changed, but it is an input that "
                            "must stay as it was")
    return None


def _same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """The same values for certain, cheaply: the same dtype and bytes (what an input left
    alone comes back as; anything else is for array_equal to say)."""
    return a.dtype == b.dtype and a.nbytes <= 1 << 20 and a.tobytes() == b.tobytes()


def compare_constant(item: Item, got: Any) -> Optional[Mismatch]:
    """Constants: strings after the rubric's normalisation, booleans, or numbers. With no
    right value to compare (the student kit keeps it secret), only whether it is set."""
    want = item.expected
    if got is None:  # as the skeleton leaves it
        kind = expects(item)
        return Mismatch("constant", f"{item.attr} is not set yet (it is None)"
                        + (f": set it to {kind}" if kind else ""))
    if want is None:
        return None
    if isinstance(want, bool):
        value = _as_bool(got)
        if value is None:
            return Mismatch("type", f"expected True or False, got {_kind(got)}")
        return None if value == want else Mismatch("constant", f"{value} is not the right answer")
    if isinstance(want, str):
        if not isinstance(got, str):
            return Mismatch("type", f"expected a string, got {_kind(got)}")
        value = _normalize(got, item.normalize)
        if value == _normalize(want, item.normalize):
            return None
        return Mismatch("constant", f"{got.strip()[:60]!r} is not the right answer")
    return compare_arrays(got, np.asarray(want, dtype=np.float64), item.rtol, item.atol,
                          "the value")


def _as_bool(value: Any) -> Optional[bool]:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _normalize(text: str, steps: Sequence[str]) -> str:
    for step in steps:
        text = text.strip() if step == "strip" else text.lower()
    return text


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {_shape(value)}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return f"{type(value).__name__} {value!r}"[:80]


def _shape(arr: np.ndarray) -> str:
    return "()" if arr.ndim == 0 else str(list(arr.shape))


def _index(idx: Any) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _num(x: Any, digits: int = VALUE_DIGITS) -> str:
    return f"{float(x):.{digits}g}"
