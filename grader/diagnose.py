"""Explanations of wrong answers nobody declared.

After the declared mistakes have had their chance (and none matched), a failing item's
trials are looked at together: the student's outputs, the reference's and the inputs.
A catalogue of explanations is tried in order, each of which says what the student's
output *is* (not what it is not):

- inplace:    grads untouched (rebinding), holding the increment alone (overwriting), or
              an increment with the wrong sign or scale;
- ratio:      a constant factor, named where it can be (-1, 2, 1/2, π, ln 2, log10 e) or
              made of the inputs (B, 1/B, N², ...), of the answer or of one output;
- shift:      the right answer for an integer parameter off by one (ℓ - 1, L + 1, ...);
- offset:     the right answer plus a constant or plus/minus an input;
- substitute: the right answer for an input changed the way formulas go wrong (a sign,
              a factor, left out, 1 - x, x ± 1, a reciprocal, transposed, two swapped);
- rearranged: axes transposed or reversed, an axis summed or not, the outputs of a tuple
              swapped, an input handed back, only the first row right, 1 - the right
              one, a shape one longer, one output off by a constant;
- activation: another activation of the right pre-activation, or of a scaled one;
- close:      right to a few significant digits only (float16, a rounded constant);
- inputs:     which inputs fail: a feature of the inputs that separates the failing
              trials from the passing ones ("passes all 4 with N ≤ 3, fails all 8 with N ≥ 5").

Each says on how many of the failing trials it holds. Only the first value explanation
that holds on every failing trial is given, or else the one that holds on most (half at
least), and the inputs explanation besides. A rubric item tunes them with `diagnose:`.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Sequence

import numpy as np

from grader.plaintext import counted

if TYPE_CHECKING:  # the student kit carries this module without the rubric's models
    from grader.inputs import Trial
    from grader.rubric import Item

CHECKS = ("ratio", "offset", "shift", "substitute", "rearranged", "activation", "inplace",
          "close", "inputs")
MAX_ELEMENTS = 1 << 16  # larger outputs are not rearranged (permutations cost a copy each)


@dataclass(frozen=True)
class Explanation:
    """One explanation of a failing item, for a student to read."""

    kind: str  # one of CHECKS
    message: str  # Markdown, math in $...$
    matched: int  # failing trials it holds on
    failing: int  # failing trials it could be tried on

    @property
    def exact(self) -> bool:
        return self.matched == self.failing

    def text(self) -> str:
        if self.kind == "inputs":
            return self.message
        end = "" if self.message.endswith(("?", ".", "!")) else "."
        how = (f"This holds on every failing trial ({self.matched} of {self.failing})."
               if self.exact else f"This holds on {self.matched} of the {self.failing} "
               "failing trials, not on all of them.")
        return f"{self.message}{end} {how}"


@dataclass(frozen=True)
class Part:
    """One compared output of one trial: a return value (or a tuple's part), or an
    argument updated in place (with its value before the call)."""

    name: str
    expected: np.ndarray
    got: Optional[np.ndarray]  # None: not a number array (a string, None, ...)
    before: Optional[np.ndarray] = None


@dataclass(frozen=True)
class Case:
    """One trial seen by the diagnosis."""

    trial: Trial
    failed: bool
    parts: Optional[tuple[Part, ...]]  # None: no output to compare (raised, timed out, ...)


def options(item: Item) -> dict[str, Any]:
    """The item's `diagnose:` setting as {check: True, False or its settings}: true or
    absent turns every check on, false every one off, a mapping sets each (a rubric model
    or, in the student kit, plain data)."""
    setting = getattr(item, "diagnose", True)
    if isinstance(setting, bool) or setting is None:
        return dict.fromkeys(CHECKS, setting is not False)
    chosen = setting if isinstance(setting, dict) else vars(setting)
    return {k: chosen.get(k, True) for k in CHECKS}


def explain(item: Item, cases: Sequence[Case],
            reference: Optional[Callable[[Item, Trial, dict[str, Any]], Any]] = None,
            ) -> tuple[Explanation, ...]:
    """Explanations of the failing `cases`, best first; `reference(item, trial, values)`
    computes the right answer for other inputs (for shifted parameters), if it can."""
    opts = options(item)
    failing = [c for c in cases if c.failed]
    if not failing:
        return ()
    found: list[Explanation] = []
    with_output = [c for c in failing if c.parts is not None
                   and all(p.got is not None for p in c.parts)]
    if with_output:
        value = _value_explanation(item, with_output, opts, reference)
        if value is not None:
            found.append(value)
    if opts["inputs"]:
        split = _inputs(cases, opts["inputs"])
        if split is not None:
            found.append(split)
    return tuple(found)


Attempt = Callable[[Case], Any]  # a message, a list of them, or None


def _attempts(item: Item, opts: dict[str, Any],
              reference: Optional[Callable[..., Any]]) -> list[tuple[str, Attempt]]:
    """The per-trial part of the catalogue, in the order it is tried: (kind, what it
    makes of one trial). Ratios come between the in-place ones and these (_candidates)."""
    found: list[tuple[str, Attempt]] = []
    if opts["shift"] and reference is not None:
        found += [("shift", partial(_shifted, item, reference=reference, param=p, delta=d))
                  for p in _shiftable(item, opts["shift"]) for d in (-1, 1)]
    if opts["offset"] and item.mode != "inplace":
        found.append(("offset", partial(_offset, item)))
    if opts["substitute"] and reference is not None:
        found += [("substitute", partial(_substituted, item, reference=reference, change=c))
                  for c in _substitutions(item)]
    if opts["rearranged"]:
        found += [("rearranged", partial(f, item)) for f in (
            _swapped_outputs, _permuted, _reversed, _reduced, _an_input, _first_only,
            _complement, _off_by_one_shape, _part_offset)]
    if opts["activation"] and item.mode != "inplace":
        found.append(("activation", partial(_activation, item)))
    if opts["close"]:
        found.append(("close", partial(_half, item)))
    return found


def _value_explanation(item: Item, cases: list[Case], opts: dict[str, Any],
                       reference: Optional[Callable[..., Any]]) -> Optional[Explanation]:
    """The first explanation that holds on every trial, else the one that holds on most
    (half of them at least)."""
    best: Optional[Explanation] = None
    for candidate in _candidates(item, cases, opts, reference):
        if candidate is None:
            continue
        if candidate.exact:
            return candidate
        if 2 * candidate.matched >= candidate.failing and (
                best is None or candidate.matched > best.matched):
            best = candidate
    return best


def _candidates(item: Item, cases: list[Case], opts: dict[str, Any],
                reference: Optional[Callable[..., Any]]) -> Iterator[Optional[Explanation]]:
    if item.mode == "inplace" and opts["inplace"]:
        yield _per_trial("inplace", _untouched, cases)
        yield _per_trial("inplace", partial(_overwritten, item), cases)
        yield _ratio(item, cases, increment=True)
    if opts["ratio"] and item.mode != "inplace":
        yield _ratio(item, cases)
        if item.outputs and len(item.outputs) > 1:  # one part of a tuple off by a factor
            for name in item.outputs:
                alone = [replace(c, parts=tuple(p for p in c.parts if p.name == name))
                         for c in cases if c.parts is not None]
                found = _ratio(item, alone)
                if found is not None:
                    yield replace(found, message=found.message.replace(
                        "Your answer", f"Your {name}", 1), failing=len(cases))
    for kind, attempt in _attempts(item, opts, reference):
        yield _per_trial(kind, attempt, cases)
    if opts["close"]:
        yield _close(item, cases)


def _per_trial(kind: str, attempt: Attempt, cases: list[Case]) -> Optional[Explanation]:
    """An explanation that says the same of every trial it holds on. An attempt gives
    one message, or the list of all that hold on a trial (a trial where sigma_w = 1
    is explained by both `+ 1` and `+ sigma_w`): the one most trials agree on wins."""
    held = [_messages(_safely(attempt, c)) for c in cases]
    counts: dict[str, int] = {}
    for messages in held:
        for m in dict.fromkeys(messages):
            counts[m] = counts.get(m, 0) + 1
    if not counts:
        return None
    message = max(counts, key=lambda m: counts[m])  # the first of those most agree on
    return Explanation(kind, message, counts[message], len(cases))


def _messages(found: Any) -> list[str]:
    if found is None:
        return []
    return [found] if isinstance(found, str) else list(found)


def _safely(attempt: Callable[[Case], Any], case: Case) -> Any:
    try:
        with np.errstate(all="ignore"):
            return attempt(case)
    except Exception:  # noqa: BLE001 - a student's odd output explains nothing, breaks nothing
        return None


# ------------------------------------------------------------------ comparing

def _close_to(got: np.ndarray, want: np.ndarray, item: Item) -> bool:
    if got.shape != want.shape or not np.isfinite(got).all():
        return False
    return bool(np.all(np.abs(got - want) <= item.atol + item.rtol * np.abs(want)))


def _all_close(item: Item, case: Case, make: Callable[[Part], Optional[np.ndarray]]) -> bool:
    """Whether every part's output equals what `make` makes of it (and one at least
    differs from the right answer: else this explains nothing)."""
    assert case.parts is not None
    made = [make(p) for p in case.parts]
    return all(m is not None and _close_to(p.got, m, item) for p, m in zip(case.parts, made)) \
        and not all(_close_to(p.got, p.expected, item) for p in case.parts)


# ------------------------------------------------------------------ ratio

NAMED: tuple[tuple[float, str], ...] = (
    (-1.0, "$-1$ times the right one: the sign is flipped"),
    (2.0, "twice the right one: a factor 2 too many"),
    (0.5, "half the right one: a factor 2 missing"),
    (-2.0, "$-2$ times the right one"),
    (-0.5, "$-1/2$ times the right one"),
    (3.0, "3 times the right one"),
    (1 / 3, "a third of the right one"),
    (4.0, "4 times the right one"),
    (0.25, "a quarter of the right one"),
    (math.pi, "$\\pi$ times the right one"),
    (1 / math.pi, "$1/\\pi$ times the right one"),
    (2 * math.pi, "$2\\pi$ times the right one"),
    (math.log(2), "$\\ln 2$ times the right one: a natural log where the formula has $\\log_2$?"),
    (1 / math.log(2), "$1/\\ln 2$ times the right one: $\\log_2$ where the formula has $\\ln$?"),
    (math.log10(math.e), "$\\log_{10} e \\approx 0.434$ times the right one: "
     "`log10` where the formula has the natural log?"),
    (math.log(10), "$\\ln 10 \\approx 2.303$ times the right one: the natural log where "
     "the formula has $\\log_{10}$?"),
    (math.e, "$e$ times the right one"),
    (1 / math.e, "$1/e$ times the right one"),
    (math.sqrt(2), "$\\sqrt 2$ times the right one"),
    (1 / math.sqrt(2), "$1/\\sqrt 2$ times the right one"),
)


def _ratio(item: Item, cases: list[Case], increment: bool = False) -> Optional[Explanation]:
    """got = c · expected (of the increment, for in-place items), with one c for every
    trial it holds on: a named constant, or a factor made of each trial's inputs."""
    found = [(case, f) for case in cases
             for f in [_safely(lambda c: _factor(item, c, increment), case)] if f is not None]
    if not found:
        return None
    kind = "inplace" if increment else "ratio"
    what = "The amount you add" if increment else "Your answer"
    for value, name in NAMED:
        if all(abs(f - value) <= 1e-5 * abs(value) for _, f in found):
            return Explanation(kind, f"{what} is {name}", len(found), len(cases))
    for expression, value_of in _input_factors(found[0][0].trial):
        if all(_is(f, _safely(lambda c: value_of(c.trial), case)) for case, f in found):
            return Explanation(kind, f"{what} is ${expression}$ times the right one"
                               + _factor_hint(expression), len(found), len(cases))
    first = found[0][1]
    if abs(first - 1) > 1e-2 and all(abs(f - first) <= 1e-5 * abs(first) for _, f in found):
        return Explanation(kind, f"{what} is {first:.3g} times the right one: a constant "
                           "factor is off", len(found), len(cases))
    return None


def _factor_hint(expression: str) -> str:
    if expression.startswith("1/") and " " not in expression and "^" not in expression:
        return f": a mean over ${expression[2:]}$ where a sum belongs, or a division too many?"
    if " " not in expression and "^" not in expression and "(" not in expression:
        return f": a sum over ${expression}$ where a mean belongs, or a factor too many?"
    return ""


def _is(f: float, value: Optional[float]) -> bool:
    return value is not None and abs(f - value) <= 1e-6 * abs(value)


def _factor(item: Item, case: Case, increment: bool) -> Optional[float]:
    """The c with got = c · expected on this trial (all parts at once), if there is one."""
    assert case.parts is not None
    if increment:
        pairs = [(p.got - p.before, p.expected - p.before) for p in case.parts
                 if p.before is not None]
    else:
        pairs = [(p.got, p.expected) for p in case.parts]
    if not pairs or any(g.shape != e.shape for g, e in pairs):
        return None
    g = np.concatenate([g.ravel() for g, _ in pairs])
    e = np.concatenate([e.ravel() for _, e in pairs])
    if not (np.isfinite(g).all() and np.isfinite(e).all()) or not np.any(np.abs(e) > 1e-12):
        return None
    c = float(np.dot(g, e) / np.dot(e, e))
    if not math.isfinite(c) or abs(c - 1) < 1e-9 or abs(c) < 1e-12:
        return None
    if not np.all(np.abs(g - c * e) <= 10 * (item.atol + item.rtol * np.abs(c * e))
                  + 1e-9 * abs(c) * np.abs(e).max()):
        return None
    return c


def _input_factors(trial: Trial) -> Iterator[tuple[str, Callable[[Trial], float]]]:
    """Factors made of the integer inputs (p, 1/p, p², 1/p², √p, p ± 1, p·q, p²·q and
    their inverses), each with how to compute it for any trial."""
    ints = [k for k, v in trial.values.items()
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool)]

    def of(f: Callable[..., float], *names: str) -> Callable[[Trial], float]:
        return lambda t: float(f(*(float(t.values[n]) for n in names)))

    for name in ints:
        n = _math_name(name)
        yield n, of(lambda p: p, name)
        yield f"1/{n}", of(lambda p: 1 / p, name)
        yield f"{n}^2", of(lambda p: p * p, name)
        yield f"1/{n}^2", of(lambda p: 1 / (p * p), name)
        yield f"\\sqrt{{{n}}}", of(math.sqrt, name)
        yield f"1/\\sqrt{{{n}}}", of(lambda p: 1 / math.sqrt(p), name)
        yield f"({n} - 1)", of(lambda p: p - 1, name)
        yield f"1/({n} - 1)", of(lambda p: 1 / (p - 1), name)
        yield f"({n} + 1)", of(lambda p: p + 1, name)
        yield f"1/({n} + 1)", of(lambda p: 1 / (p + 1), name)
        yield f"{n}/2", of(lambda p: p / 2, name)
        yield f"2/{n}", of(lambda p: 2 / p, name)
    for a, b in itertools.combinations(ints, 2):
        na, nb = _math_name(a), _math_name(b)
        yield f"{na} {nb}", of(lambda u, w: u * w, a, b)
        yield f"1/({na} {nb})", of(lambda u, w: 1 / (u * w), a, b)
        yield f"{na}^2 {nb}", of(lambda u, w: u * u * w, a, b)
        yield f"{nb}^2 {na}", of(lambda u, w: w * w * u, a, b)
        yield f"1/({na}^2 {nb})", of(lambda u, w: 1 / (u * u * w), a, b)
        yield f"1/({nb}^2 {na})", of(lambda u, w: 1 / (w * w * u), a, b)


GREEK = {"ell": "\\ell", "sigma_w": "\\sigma_W", "sigma": "\\sigma"}


def _math_name(name: str) -> str:
    if name in GREEK:
        return GREEK[name]
    head, _, tail = name.partition("_")
    return f"{head}_{{{tail}}}" if tail else name


def _offset(item: Item, case: Case) -> list[str]:
    """got = expected + k, with k a small constant or (±) one of the inputs."""
    assert case.parts is not None
    if len(case.parts) != 1:
        return []
    part = case.parts[0]
    g, e = part.got, part.expected
    if g.shape != e.shape or not np.isfinite(g).all():
        return []
    d = g - e
    tol = 10 * (item.atol + item.rtol * np.maximum(np.abs(g), np.abs(e)))
    found = []
    for name, value in case.trial.values.items():
        v = numbers(value)
        if v is None or not np.any(v != 0) or (v.shape != d.shape and v.ndim):
            continue
        for sign, words in ((1, "plus"), (-1, "minus")):
            if np.all(np.abs(d - sign * v) <= tol):
                found.append(f"Your answer is the right one {words} `{name}`: a term "
                             f"{'too many' if sign > 0 else 'missing'}?")
    for k, words in ((1.0, "plus 1"), (-1.0, "minus 1"), (2.0, "plus 2"), (-2.0, "minus 2"),
                     (0.5, "plus 1/2"), (-0.5, "minus 1/2")):
        if np.all(np.abs(d - k) <= tol):
            found.append(f"Your answer is the right one {words}: a term too many or missing?")
    return found


def numbers(value: Any) -> Optional[np.ndarray]:
    """A value (a student's output, an input) as float64 numbers, or None (a string, None,
    a boolean, ragged lists)."""
    if value is None or isinstance(value, (str, bytes, bool)):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return None


# ------------------------------------------------------------------ shifted parameters

def _shiftable(item: Item, setting: Any) -> list[str]:
    """Integer arguments that no array's shape depends on (shifting those is a question
    of another shape, not of a formula)."""
    if isinstance(setting, (list, tuple)):
        return [p for p in setting if p in item.inputs]
    dims = _dims(item)
    return [name for name, spec in item.inputs.items() if spec.int_ is not None
            and name in item.arg_names and name not in dims]


def _names_in(expression: Any) -> set[str]:
    try:
        from grader import expr

        return set(expr.names_in(expression))
    except Exception:  # noqa: BLE001
        return {expression} if isinstance(expression, str) else set()


def _shifted(item: Item, case: Case, *, reference: Callable[..., Any], param: str,
             delta: int) -> Optional[str]:
    values = dict(case.trial.values)
    values[param] = values[param] + delta
    want = _parts_of(item, reference(item, case.trial, values), case)
    if want is None or not _all_close(item, case, lambda p: want.get(p.name)):
        return None
    n = _math_name(param)
    sign = "-" if delta < 0 else "+"
    return (f"Your answer is the right one for ${n} {sign} 1$ in place of ${n}$: an exponent, "
            "a count or a range off by one?")


Change = tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]  # (words, new inputs)


def _substitutions(item: Item) -> list[Change]:
    """Inputs changed the way formulas go wrong: a sign, a factor, a reciprocal, a term set
    to zero (one or two of them), 1 - x or x ± 1 for x, a transpose, two inputs of the same
    kind swapped, a scalar times a factor made of the integer inputs. Never the arguments
    an in-place item updates; integers only by sign, factor 2 or zero (shift does ± 1)."""
    changes: list[Change] = []
    names = [n for n in item.arg_names if n not in item.mutable and n in item.inputs]
    dims = _dims(item)
    floats = [n for n in names if item.inputs[n].int_ is None]
    ints = [n for n in names if item.inputs[n].int_ is not None and n not in dims]

    def put(name: str, f: Callable[[Any], Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        return lambda values: {**values, name: f(values[name])}

    for n in floats:
        changes += [(f"`{n}` replaced by `-{n}`", put(n, lambda v: -v)),
                    (f"`{n}` replaced by `2 * {n}`", put(n, lambda v: 2 * v)),
                    (f"`{n}` replaced by `{n} / 2`", put(n, lambda v: v / 2)),
                    (f"`{n}` left out (taken as 0)", put(n, lambda v: v * 0)),
                    (f"`{n}` replaced by `1 / {n}`", put(n, lambda v: 1 / v)),
                    (f"`{n}` replaced by `1 - {n}`", put(n, lambda v: 1 - v)),
                    (f"`{n}` replaced by `{n} - 1`", put(n, lambda v: v - 1)),
                    (f"`{n}` replaced by `{n} + 1`", put(n, lambda v: v + 1)),
                    (f"`{n}` replaced by `{n} + 1/2`", put(n, lambda v: v + 0.5)),
                    (f"`{n}` replaced by `{n} - 1/2`", put(n, lambda v: v - 0.5)),
                    (f"`{n}` replaced by `{n}` squared", put(n, lambda v: v * v))]
        if item.inputs[n].array is not None and len(item.inputs[n].array) == 2:
            changes.append((f"`{n}` transposed", put(n, lambda v: v.T if v.shape[0] ==
                                                     v.shape[1] else None)))
    for n in ints:
        changes += [(f"`{n}` replaced by `-{n}`", put(n, lambda v: -v)),
                    (f"`{n}` left out (taken as 0)", put(n, lambda v: 0)),
                    (f"`{n}` replaced by `2 * {n}`", put(n, lambda v: 2 * v))]
    for a, b in itertools.combinations(floats, 2):
        changes.append((f"`{a}` and `{b}` left out (taken as 0)",
                        lambda values, a=a, b=b: {**values, a: values[a] * 0, b: values[b] * 0}))
        if (item.inputs[a].array is None) == (item.inputs[b].array is None):
            changes.append((f"`{a}` and `{b}` swapped",
                            lambda values, a=a, b=b: {**values, a: values[b], b: values[a]}))
    for n in (f for f in floats if item.inputs[f].array is None):  # sigma_w times N, ...
        changes += [(f"`{n}` multiplied by ${expression}$",
                     lambda values, n=n, of=of: {**values, n: values[n] * of(_AsTrial(values))})
                    for expression, of in _input_factors(_AsTrial(_example(item)))]
    return changes


class _AsTrial:
    def __init__(self, values: dict[str, Any]):
        self.values = values


def _example(item: Item) -> dict[str, Any]:
    """Integer inputs with placeholder values: which factors exist, not their values."""
    return {n: 2 for n, spec in item.inputs.items() if spec.int_ is not None}


def _dims(item: Item) -> set[str]:
    dims: set[str] = set()
    for spec in item.inputs.values():
        for d in spec.array or ():
            dims |= _names_in(d)
    return dims


def _substituted(item: Item, case: Case, *, reference: Callable[..., Any],
                 change: Change) -> Optional[str]:
    words, make = change
    values = make(dict(case.trial.values))
    if any(v is None for v in values.values()):
        return None
    want = _parts_of(item, reference(item, case.trial, values), case)
    if want is None or not _all_close(item, case, lambda p: want.get(p.name)):
        return None
    return f"Your answer is what the right formula gives with {words}"


def _parts_of(item: Item, value: Any, case: Case) -> Optional[dict[str, np.ndarray]]:
    """The reference's answer for other inputs, by part name."""
    assert case.parts is not None
    if item.mode == "inplace":
        return {p.name: _array(value[p.name]) for p in case.parts}
    if item.outputs:
        return {name: _array(v) for name, v in zip(item.outputs, value)}
    return {case.parts[0].name: _array(value)}


def _array(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


# ------------------------------------------------------------------ rearranged outputs

def _swapped_outputs(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    parts = case.parts
    if not item.outputs or len(parts) < 2:
        return None
    for order in itertools.permutations(range(len(parts))):
        if order == tuple(range(len(parts))):
            continue
        if all(_close_to(p.got, parts[j].expected, item) for p, j in zip(parts, order)):
            names = ", ".join(parts[j].name for j in order)
            return (f"Your function returns the right values in the wrong order: "
                    f"({names}) instead of ({', '.join(p.name for p in parts)})")
    return None


def _permuted(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    for part in case.parts:
        e = part.expected
        if e.ndim < 2 or e.size > MAX_ELEMENTS or part.got.size != e.size:
            continue
        for perm in itertools.permutations(range(e.ndim)):
            if perm == tuple(range(e.ndim)):
                continue
            moved = np.transpose(e, perm)
            if moved.shape == part.got.shape and _close_to(part.got, moved, item) \
                    and not _close_to(part.got, e, item):
                return f"Your {part.name} {_axes_words(perm)}"
    return None


def _axes_words(perm: tuple[int, ...]) -> str:
    if len(perm) == 2:
        return "is the transpose of the right one"
    moved = [i for i, p in enumerate(perm) if p != i]
    if len(moved) == 2:
        return f"has the right values with axes {moved[0]} and {moved[1]} swapped"
    return f"has the right values with its axes in the order {perm}"


def _reversed(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    for part in case.parts:
        e = part.expected
        if e.ndim == 0 or e.size > MAX_ELEMENTS or part.got.shape != e.shape:
            continue
        axes_list = [a for r in range(1, min(e.ndim, 3) + 1)
                     for a in itertools.combinations(range(e.ndim), r)]
        for axes in axes_list:
            if any(e.shape[a] < 2 for a in axes):
                continue
            if _close_to(part.got, np.flip(e, axes), item) and not _close_to(part.got, e, item):
                which = (f"axis {axes[0]}" if len(axes) == 1 else
                         "axes " + " and ".join(map(str, axes)))
                return f"Your {part.name} has the right values in reverse order along {which}"
    return None


def _reduced(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    for part in case.parts:
        e, g = part.expected, part.got
        if e.size > MAX_ELEMENTS or g.size > MAX_ELEMENTS:
            continue
        if g.ndim == e.ndim - 1:
            for axis in range(e.ndim):
                for how, f in (("summed", np.sum), ("averaged", np.mean)):
                    if _close_to(g, f(e, axis=axis), item):
                        return (f"Your {part.name} is the right one {how} over axis {axis}; "
                                f"that axis must stay")
        if g.ndim == e.ndim + 1:
            for axis in range(g.ndim):
                for how, f in (("summing", np.sum), ("averaging", np.mean)):
                    if _close_to(f(g, axis=axis), e, item):
                        return (f"Your {part.name} has an extra axis {axis}: {how} over "
                                "it gives the right answer")
    return None


def _an_input(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    for part in case.parts:
        if part.before is not None:
            continue  # in-place: handled by _untouched
        for name, value in case.trial.values.items():
            v = numbers(value)
            if v is not None and v.shape == part.got.shape and _close_to(part.got, v, item) \
                    and not _close_to(part.got, part.expected, item):
                what = f"Your {part.name} is" if item.outputs else "Your function returns"
                return f"{what} the input `{name}` unchanged"
    return None


def _your(item: Item, part: Part) -> str:
    """How a message names the output it is about: the part of a tuple, or the answer."""
    return f"Your {part.name}" if item.outputs else "Your answer"


def _off_by_one_shape(item: Item, case: Case) -> Optional[str]:
    """A part one longer or shorter than the right one along a single axis."""
    assert case.parts is not None
    for part in case.parts:
        g, e = part.got.shape, part.expected.shape
        if len(g) != len(e) or g == e:
            continue
        diff = [k for k in range(len(g)) if g[k] != e[k]]
        if len(diff) == 1 and abs(g[diff[0]] - e[diff[0]]) == 1:
            k = diff[0]
            longer = "one longer" if g[k] > e[k] else "one shorter"
            return (f"{_your(item, part)} is {longer} along axis {k} than the right one: a slice or a range "
                    "off by one?")
    return None


def _part_offset(item: Item, case: Case) -> Optional[str]:
    """One part of a tuple that is the right one plus a constant (1/2, 1/4, 1)."""
    assert case.parts is not None
    if len(case.parts) < 2:
        return None
    for part in case.parts:
        g, e = part.got, part.expected
        if g.shape != e.shape or _close_to(g, e, item):
            continue
        for k in (0.5, -0.5, 0.25, -0.25, 1.0, -1.0):
            if _close_to(g, e + k, item):
                words = f"plus {k:g}" if k > 0 else f"minus {-k:g}"
                return f"{_your(item, part)} is the right one {words}: a term too many or missing?"
    return None


def _complement(item: Item, case: Case) -> Optional[str]:
    """A part that is 1 minus the right one (a gate the wrong way round)."""
    assert case.parts is not None
    for part in case.parts:
        if part.got.shape == part.expected.shape and _close_to(part.got, 1 - part.expected,
                                                               item) \
                and not _close_to(part.got, part.expected, item):
            return f"{_your(item, part)} is 1 minus the right one: a gate or a probability the wrong way round?"
    return None


def _first_only(item: Item, case: Case) -> Optional[str]:
    """Right exactly where some axis has index 0 (the first example of a batch)."""
    assert case.parts is not None
    for part in case.parts:
        e, g = part.expected, part.got
        if e.ndim == 0 or g.shape != e.shape:
            continue
        right = np.abs(g - e) <= item.atol + item.rtol * np.abs(e)
        for axis in range(e.ndim):
            if e.shape[axis] < 2:
                continue
            first = np.zeros(e.shape, dtype=bool)
            index = [slice(None)] * e.ndim
            index[axis] = 0
            first[tuple(index)] = True
            if np.array_equal(right, first):
                row = "row" if axis == 0 else f"entry along axis {axis}"
                return (f"Your {part.name} is right only at index 0 of axis {axis} (the "
                        f"first {row}); every other one is wrong: the rest of the batch is "
                        "not computed, or not from its own inputs?")
    return None


# ------------------------------------------------------------------ activations

ACTIVATIONS: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...] = (
    ("a sigmoid", lambda z: 1 / (1 + np.exp(-z))),
    ("a tanh", np.tanh),
    ("a ReLU", lambda z: np.maximum(z, 0)),
    ("no activation", lambda z: z),
    ("an exp", np.exp),
)


SCALES = ((2.0, "twice"), (0.5, "half"), (3.0, "3 times"), (-1.0, "minus"), (4.0, "4 times"),
          (0.25, "a quarter of"))


def _activation(item: Item, case: Case) -> Optional[str]:
    """A part that is another activation of the right pre-activation (which the right
    answer, a sigmoid's or a tanh's output, gives back)."""
    assert case.parts is not None
    for part in case.parts:
        e, g = part.expected, part.got
        if g.shape != e.shape or _close_to(g, e, item):
            continue
        inverses = []  # where the output saturates, its pre-activation is lost: left out
        with np.errstate(all="ignore"):
            if np.all(np.abs(e) <= 1):
                inverses.append(("a tanh", np.arctanh(e), np.abs(e) < 1 - 1e-6))
            if np.all((e >= 0) & (e <= 1)):
                inverses.append(("a sigmoid", np.log(e / (1 - e)), (e > 1e-6) & (e < 1 - 1e-6)))
        inverses = [(right, z[ok], g[ok]) for right, z, ok in inverses if ok.any()]
        what = _your(item, part)
        found = [f"{what} looks like {name} applied where {right} belongs"
                 for right, z, got in inverses for name, act in ACTIVATIONS
                 if name != right and _close_to(got, act(z), item)]
        found += [f"{what} is {right} of {words} the right pre-activation"
                  for right, z, got in inverses for k, words in SCALES
                  if _close_to(got, dict(ACTIVATIONS)[right](k * z), item)]
        if found:
            return found
    return []


# ------------------------------------------------------------------ in place

def _untouched(case: Case) -> Optional[str]:
    assert case.parts is not None
    parts = [p for p in case.parts if p.before is not None]
    if not parts or not all(np.array_equal(p.got, p.before) for p in parts):
        return None
    names = ", ".join(f"`{p.name}`" for p in parts)
    return (f"{names} came back exactly as it went in: a line such as "
            f"`{parts[0].name} = {parts[0].name} + ...` makes a new array and leaves the "
            f"caller's unchanged; update it in place (`{parts[0].name} += ...`)")


def _overwritten(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    parts = [p for p in case.parts if p.before is not None]
    if not parts or all(np.allclose(p.before, 0) for p in parts):
        return None
    if not all(_close_to(p.got, p.expected - p.before, item) for p in parts):
        return None
    return (f"`{parts[0].name}` holds only what this call adds: you overwrote what it held "
            "instead of adding to it (`+=`, not `=`)")


# ------------------------------------------------------------------ close

def _half(item: Item, case: Case) -> Optional[str]:
    """Values that are all float16 numbers, where the right ones are not."""
    assert case.parts is not None
    for p in case.parts:
        if p.got.shape != p.expected.shape or not np.isfinite(p.got).all():
            return None
    if not all(_is_half(p.got) for p in case.parts) or all(_is_half(p.expected)
                                                           for p in case.parts):
        return None
    return ("Your values are float16 numbers, which hold about 3 significant digits (and "
            "nothing below $6 \\cdot 10^{-5}$ exactly): compute in float32 or float64")


def _is_half(values: np.ndarray) -> bool:
    with np.errstate(over="ignore"):
        return bool(np.array_equal(values.astype(np.float16).astype(np.float64), values))


def _worst(item: Item, case: Case) -> Optional[float]:
    """The largest relative error of a trial, if its output has the right shapes."""
    assert case.parts is not None
    worst = 0.0
    for p in case.parts:
        if p.got.shape != p.expected.shape or not np.isfinite(p.got).all():
            return None
        scale = np.maximum(np.abs(p.expected), item.atol or 1e-300)
        worst = max(worst, float(np.max(np.abs(p.got - p.expected) / scale)))
    return worst


def _close(item: Item, cases: list[Case]) -> Optional[Explanation]:
    """Right to a few significant digits on every trial it holds on."""
    errors = [e for e in (_safely(partial(_worst, item), c) for c in cases)
              if e is not None and 0 < e <= 1e-2]
    if not errors:
        return None
    digits = max(1, int(math.floor(-math.log10(max(errors)))))
    return Explanation("close", f"Your answer is close but outside the tolerance: it agrees "
                       f"with the right one to about {digits} significant digits only; a "
                       "constant rounded to a few digits (3.14 for $\\pi$), an "
                       "approximation of the formula, or a computation in float16?",
                       len(errors), len(cases))


# ------------------------------------------------------------------ which inputs fail

def _inputs(cases: Sequence[Case], setting: Any) -> Optional[Explanation]:
    """A feature of the inputs that separates the failing trials from the passing ones."""
    passing = [c for c in cases if not c.failed]
    failing = [c for c in cases if c.failed]
    if not passing or not failing:
        return None
    scalars = _scalars(cases)
    found = [f for finder in (_by_threshold, _by_relation, _by_value)
             for f in finder(scalars, passing, failing)]
    if not found:
        return None
    sentence = found[0][0]
    others = list(dict.fromkeys(short for _, short in found[1:]))[:3]
    if others:  # several features tell the same trials apart: name them all
        sentence += f"; the failing trials are also those with {', '.join(others)}"
    return Explanation("inputs", f"Which inputs fail: your function {sentence}.",
                       len(failing), len(failing))


Found = list[tuple[str, str]]  # (the sentence, the failing trials' feature alone)


def _by_threshold(scalars: list[str], passing: list[Case], failing: list[Case]) -> Found:
    """"passes all 4 trials with N ≤ 3, fails all 8 with N ≥ 5"."""
    found = []
    for name in scalars:
        n = _math_name(name)
        p = {c.trial.values[name] for c in passing}
        f = {c.trial.values[name] for c in failing}
        for low, high, verbs in ((p, f, ("passes", "fails")), (f, p, ("fails", "passes"))):
            if max(low) < min(high):
                group, other = (passing, failing) if low is p else (failing, passing)
                below = f"= {max(low)}" if len(low) == 1 else f"\\le {max(low)}"
                above = f"= {min(high)}" if len(high) == 1 else f"\\ge {min(high)}"
                fails = above if low is p else below
                found.append((f"{verbs[0]} all {_n(group)} with ${n} {below}$, {verbs[1]} all "
                              f"{_n(other)} with ${n} {above}$", f"${n} {fails}$"))
    return found


def _by_relation(scalars: list[str], passing: list[Case], failing: list[Case]) -> Found:
    """Square or not, ℓ = L or not, H < W."""
    relations = (("=", "\\ne", lambda u, w: u == w), ("<", "\\ge", lambda u, w: u < w),
                 (">", "\\le", lambda u, w: u > w))
    found = []
    for a, b in itertools.combinations(scalars, 2):
        na, nb = _math_name(a), _math_name(b)
        for rel, negated, holds in relations:
            on = lambda c: holds(c.trial.values[a], c.trial.values[b])  # noqa: E731
            if all(on(c) for c in passing) and not any(on(c) for c in failing):
                found.append((f"passes all {_n(passing)} with ${na} {rel} {nb}$, fails all "
                              f"{_n(failing)} with ${na} {negated} {nb}$",
                              f"${na} {negated} {nb}$"))
            if all(on(c) for c in failing) and not any(on(c) for c in passing):
                found.append((f"fails all {_n(failing)} with ${na} {rel} {nb}$, passes all "
                              f"{_n(passing)} with ${na} {negated} {nb}$",
                              f"${na} {rel} {nb}$"))
    return found


def _by_value(scalars: list[str], passing: list[Case], failing: list[Case]) -> Found:
    """One value alone passes (or fails): "passes all 6 with N = 3, fails all 6 with N ∈ {1, 5}"."""
    found = []
    for name in scalars:
        n = _math_name(name)
        p = {c.trial.values[name] for c in passing}
        f = {c.trial.values[name] for c in failing}
        if len(p) == 1 and not p & f:
            found.append((f"passes all {_n(passing)} with ${n} = {next(iter(p))}$, fails all "
                          f"{_n(failing)} with ${n} {_range(f)}$", f"${n} {_range(f)}$"))
        if len(f) == 1 and not p & f:
            found.append((f"fails all {_n(failing)} with ${n} = {next(iter(f))}$, passes all "
                          f"{_n(passing)} with ${n} {_range(p)}$", f"${n} = {next(iter(f))}$"))
    return found


def _scalars(cases: Sequence[Case]) -> list[str]:
    names = [k for k, v in cases[0].trial.values.items()
             if isinstance(v, (int, np.integer)) and not isinstance(v, bool)]
    return [k for k in names if len({c.trial.values[k] for c in cases}) > 1]


def _range(values: set) -> str:
    if len(values) == 1:
        return f"= {next(iter(values))}"
    if len(values) <= 4:
        return "\\in \\{" + ", ".join(map(str, sorted(values))) + "\\}"
    return f"\\in [{min(values)}, {max(values)}]"


def _n(group: Sequence[Case]) -> str:
    return counted(len(group), "trial")
