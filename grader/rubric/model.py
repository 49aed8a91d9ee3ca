"""The rubric: YAML that instructors edit, validated into frozen models the engine reads."""
from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from grader.rubric import DEFAULT_RUBRIC, expr  # noqa: F401 - DEFAULT_RUBRIC's home is the package
from grader.rubric.itemdata import StudentNames
from grader.rubric.policy import LatePolicy, Policy, SubmissionLimit

Expr = Union[int, float, str]
Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]
Kind = Literal["function", "inplace", "constant", "expression", "index", "manual"]
WRITTEN = ("expression", "index", "manual")  # kinds answered in answers.md, not in code
ANSWERS = "answers"  # the module name written items stand for (answers.md)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class InputSpec(_Frozen):
    """How one input is drawn per trial; exactly one of int, uniform, loguniform, choice,
    value or array. Bounds and shapes may name inputs drawn before this one."""

    int_: Optional[tuple[Expr, Expr]] = Field(None, alias="int", description="integer in [lo, hi]")
    log: bool = Field(False, description="with int: log-uniform, so small and large are alike")
    odd: bool = Field(False, description="with int: odd values only")
    uniform: Optional[tuple[Expr, Expr]] = Field(None, description="float in [lo, hi]; "
                                                 "with array: the elements' range")
    loguniform: Optional[tuple[Expr, Expr]] = Field(None, description="float, log-uniform")
    choice: Optional[tuple[Expr, ...]] = Field(None, description="one of these values")
    value: Optional[Expr] = Field(None, description="a fixed value or expression")
    array: Optional[tuple[Expr, ...]] = Field(None, description="float64 array of this shape")
    normal: Optional[tuple[Expr, Expr]] = Field(None, description="with array: mean and std "
                                                "of the elements (default 0, 1)")

    @model_validator(mode="after")
    def _one_kind(self) -> InputSpec:
        kinds = [k for k in ("int_", "loguniform", "choice", "value", "array")
                 if getattr(self, k) is not None]
        if self.uniform is not None and self.array is None:
            kinds.append("uniform")
        if len(kinds) != 1:
            named = ", ".join(k.rstrip("_") for k in kinds) or "none"
            raise ValueError("give exactly one of int, uniform, loguniform, choice, value, "
                             f"array (got {named})")
        if self.normal is not None and self.array is None:
            raise ValueError("normal goes with array")
        if (self.log or self.odd) and self.int_ is None:
            raise ValueError("log and odd go with int")
        return self

    def references(self) -> set[str]:
        """Names of other inputs this one's bounds or shape depend on."""
        parts = [*(self.int_ or ()), *(self.uniform or ()), *(self.loguniform or ()),
                 *(self.choice or ()), *(self.array or ()), *(self.normal or ())]
        if self.value is not None:
            parts.append(self.value)
        return set().union(*(expr.names_in(p) for p in parts)) if parts else set()


class Mistake(_Frozen):
    """A known wrong answer: a reference function that computes it, and what to tell."""

    reference: str = Field(description="module.function in the reference folder")
    message: str = Field(description="what a student whose output matches it should read")

    @property
    def id(self) -> str:
        return self.reference.rsplit(".", 1)[-1]


class Diagnose(_Frozen):
    """Which explanations of undeclared mistakes an item tries (grader/engine/diagnose/): each
    on unless set to false; `shift` may list the integer arguments to shift by one."""

    ratio: bool = Field(True, description="a constant factor, named or made of the inputs")
    offset: bool = Field(True, description="the right answer plus a constant or an input")
    shift: Union[bool, tuple[str, ...]] = Field(True, description="the right answer for an "
                                                "integer argument off by one")
    substitute: bool = Field(True, description="the right answer for an input changed "
                             "(a sign, a factor 2, left out, 1 - x, swapped with another)")
    rearranged: bool = Field(True, description="axes transposed, reversed, summed; outputs "
                             "swapped; an input returned; only the first row right")
    activation: bool = Field(True, description="another activation of the right "
                             "pre-activation")
    inplace: bool = Field(True, description="grads untouched, overwritten, or with the "
                          "wrong sign or scale")
    close: bool = Field(True, description="right to a few significant digits only")
    inputs: bool = Field(True, description="which inputs fail")


class Criterion(_Frozen):
    """One line of a manual item's rubric, as on Gradescope: points it adds (or, negative,
    takes away) when a TA applies it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="stable name: TAs' "
                    "grades refer to it, so renaming it drops them")
    text: str = Field(description="what the TA checks, Markdown and $math$")
    points: float = Field(description="added when applied (negative: deducted)")


class Item(_Frozen, StudentNames):
    """One graded rubric item."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    description: str = ""
    points: float = Field(gt=0)
    visibility: Visibility = "visible"
    student: str = Field(pattern=r"^[A-Za-z_]\w*\.[A-Za-z_]\w*$",
                         description="module.attribute the student defines (written items: "
                         "answers.<id>, set for them)")
    kind: Kind = "function"
    reference: Optional[str] = Field(None, pattern=r"^[A-Za-z_]\w*\.[A-Za-z_]\w*$")
    alternatives: tuple[str, ...] = Field((), description="other references also accepted")
    expected: Any = Field(None, description="constant items: the right value")
    normalize: tuple[Literal["strip", "lower"], ...] = ()
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    args: Optional[tuple[str, ...]] = Field(None, description="inputs passed, in order "
                                            "(default: all inputs)")
    outputs: Optional[tuple[str, ...]] = Field(None, description="names of a tuple's parts")
    mutable: tuple[str, ...] = Field((), description="inplace: arguments allowed to change")
    compare: tuple[str, ...] = Field((), description="inplace: arguments checked after the call")
    edge_cases: tuple[dict[str, Expr], ...] = ()
    trials: int = Field(10, ge=1, le=1000)
    rtol: float = Field(1e-5, ge=0)
    atol: float = Field(1e-8, ge=0)
    timeout: float = Field(10.0, gt=0, le=600)
    mistakes: tuple[Mistake, ...] = ()
    hint: str = Field("", description="shown with every failure of this item")
    diagnose: Union[bool, Diagnose] = Field(True, description="explanations tried when no "
                                            "declared mistake matches (false: none)")
    equivalent_mutants: tuple[str, ...] = Field((), description="ids of mutants of the "
                                                "reference (grade rubric check --mutants) "
                                                "that are the same function")
    section: Optional[str] = Field(None, pattern=r"^\d+[a-z]$", description="written "
                                   "items: the part of answers.md (`## 1a`) that answers it")
    symbols: dict[str, str] = Field(default_factory=dict, description="expression: the "
                                    "LaTeX symbol (or power of one) each argument is written "
                                    "as, e.g. '\\sigma_W': sigma_w, '\\sigma^2_\\ell': var_prev")
    targets: tuple[str, ...] = Field((), description="index: the arrays the equations "
                                     "define, returned in this order")
    shapes: dict[str, tuple[Expr, ...]] = Field(default_factory=dict, description="index: "
                                                "the shape of a target no input's axis gives")
    criteria: tuple[Criterion, ...] = Field((), description="manual: what TAs apply")
    scoring: Literal["positive", "negative"] = Field("positive", description="manual: start "
                                                     "at 0 and add (positive), or at the "
                                                     "points and deduct (negative)")

    @model_validator(mode="before")
    @classmethod
    def _written_student(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") in WRITTEN and "student" not in data \
                and isinstance(data.get("id"), str):
            data = {**data, "student": f"{ANSWERS}.{data['id']}"}
        if isinstance(data, dict) and data.get("kind") == "manual":
            data = {k: v for k, v in data.items()  # defaults for code make no sense here
                    if k not in ("trials", "rtol", "atol", "timeout")}
        return data

    @property
    def written(self) -> bool:
        return self.kind in WRITTEN

    @field_validator("inputs")
    @classmethod
    def _drawn_in_order(cls, inputs: dict[str, InputSpec]) -> dict[str, InputSpec]:
        seen: set[str] = set()
        for name, spec in inputs.items():
            unknown = spec.references() - seen
            if unknown:
                raise ValueError(f"{name} refers to {', '.join(sorted(unknown))}, "
                                 "which must be drawn before it")
            seen.add(name)
        return inputs

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        names = set(self.inputs)
        for field, values in (("args", self.args or ()), ("mutable", self.mutable),
                              ("compare", self.compare)):
            missing = [v for v in values if v not in names]
            if missing:
                raise ValueError(f"{field} names {', '.join(missing)}, not among the inputs")
        for case in self.edge_cases:
            if set(case) - names:
                raise ValueError(f"edge case {case} names {', '.join(sorted(set(case) - names))}"
                                 ", not among the inputs")
        if len(self.edge_cases) > self.trials:
            raise ValueError(f"{len(self.edge_cases)} edge cases but only {self.trials} trials")
        self._written_fields()
        if self.kind == "manual":
            return self
        if self.kind == "constant":
            if self.expected is None or self.inputs:
                raise ValueError("a constant item needs expected and takes no inputs")
        elif self.reference is None:
            raise ValueError(f"a {self.kind} item needs a reference")
        if self.mode == "inplace" and (not self.compare or set(self.compare) - set(self.mutable)):
            raise ValueError("an inplace item needs compare, a subset of mutable")
        return self

    def _written_fields(self) -> None:
        if self.written != (self.section is not None):
            raise ValueError("section goes with (and only with) the written kinds "
                             "expression, index and manual")
        if self.written and self.module != ANSWERS:
            raise ValueError(f"a written item's student is {ANSWERS}.<id> (answers.md)")
        for field, kind in (("symbols", "expression"), ("targets", "index"),
                            ("shapes", "index"), ("criteria", "manual")):
            if getattr(self, field) and self.kind != kind:
                raise ValueError(f"{field} goes with kind: {kind}")
        if self.kind == "manual" and (self.inputs or self.reference or self.mistakes):
            raise ValueError("a manual item has no inputs, reference or mistakes: TAs grade it")
        if self.kind == "expression":
            unknown = sorted(set(self.symbols.values()) - set(self.arg_names))
            if unknown:
                raise ValueError(f"symbols name {', '.join(unknown)}, not among the arguments")
            if self.outputs:
                raise ValueError("an expression item's answer is one number: no outputs")
        if self.kind == "index":
            if bool(self.targets) == bool(self.mutable):
                raise ValueError("an index item either defines targets (returned) or "
                                 "updates mutable arguments in place")
            if set(self.shapes) - set(self.targets):
                raise ValueError("shapes names arrays that are not targets")
            if self.outputs and len(self.outputs) != len(self.targets):
                raise ValueError("outputs and targets differ in length")


class Defaults(_Frozen):
    """Values every item takes unless it sets its own (with the items' own bounds)."""

    trials: int = Field(10, ge=1, le=1000)
    rtol: float = Field(1e-5, ge=0)
    atol: float = Field(1e-8, ge=0)
    timeout: float = Field(10.0, gt=0, le=600)
    visibility: Visibility = "visible"


class Limits(_Frozen):
    """Limits on the sandboxed process that runs one student module."""

    import_timeout: float = Field(20.0, gt=0, le=600, description="seconds to import a module")
    output_bytes: int = Field(65536, ge=1024, description="student output kept per module")
    memory_mb: int = Field(512, ge=64, description="memory (heap and mappings) of the process")
    file_mb: int = Field(16, ge=1, description="largest file the student may write")
    disk_mb: int = Field(64, ge=1, description="all the files the student's module writes")
    open_files: int = Field(256, ge=16, description="open file descriptors")
    processes: int = Field(64, ge=4, description="processes and threads of the sandbox user")
    answer_mb: float = Field(16.0, gt=0, le=1024, description="largest answer one call may "
                             "return (on the wire)")
    submission_seconds: float = Field(120.0, gt=0, le=3600, description="wall-clock time "
                                      "for grading one submission; calls not reached by "
                                      "then are not run")


class GradescopeOptions(_Frozen):
    """How results appear on Gradescope."""

    time_budget: float = Field(480.0, gt=0, description="seconds for grading one submission; "
                               "items not reached by then are reported as not graded")
    stdout_visibility: Visibility = Field("hidden", description="who sees what student code "
                                          "printed (and the grader's log)")
    visibility: Visibility = Field("visible", description="the whole result's visibility")


class SimilarityOptions(_Frozen):
    """How `grade similarity` weighs and flags pairs (grader/similarity/)."""

    threshold: float = Field(0.6, gt=0, le=1, description="flag pairs whose weighted "
                             "share of matching code is at least this")
    min_chars: int = Field(200, ge=0, description="and whose matching code is at least "
                           "this long (more than a shared formula)")
    near: float = Field(0.4, gt=0, le=1, description="pairs from this share up to the "
                        "threshold are listed apart, worth a look")
    part_threshold: float = Field(0.8, gt=0, le=1, description="flag pairs where this share "
                                  "of any one file or substantial function matches")
    min_part_chars: int = Field(100, ge=0, description="and at least this much of it (more "
                                "than the lines every solution shares)")
    weights: dict[str, float] = Field(default_factory=dict, description="function name -> "
                                      "weight (default: 1, the rubric's one-line formulas "
                                      "0.1)")


class RubricModel(_Frozen):
    name: str
    title: str
    reference: str = Field(description="folder of reference modules, relative to the rubric")
    handout: Optional[str] = Field(None, description="the student handout, relative to the "
                                   "rubric: every student attribute must be named in it")
    total_points: Optional[float] = None
    defaults: Defaults = Defaults()
    limits: Limits = Limits()
    gradescope: GradescopeOptions = GradescopeOptions()
    similarity: SimilarityOptions = SimilarityOptions()
    policy: Policy = Policy()  # lateness and the cap on graded submissions (policy.py)
    items: tuple[Item, ...]

    @model_validator(mode="after")
    def _unique_and_summed(self) -> RubricModel:
        ids = [i.id for i in self.items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate item ids: {', '.join(dupes)}")
        total = sum(i.points for i in self.items)
        if self.total_points is not None and abs(total - self.total_points) > 1e-9:
            raise ValueError(f"total_points: the items add up to {total:g} points, "
                             f"total_points says {self.total_points:g}")
        return self


@dataclass(frozen=True)
class Rubric:
    """A validated rubric with where it came from."""

    model: RubricModel
    path: Path
    sha256: str

    @property
    def items(self) -> tuple[Item, ...]:
        return self.model.items

    @property
    def reference_dir(self) -> Path:
        return (self.path.parent / self.model.reference).resolve()

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


class RubricError(Exception):
    """A rubric that cannot be used; each problem names file, line, field and value."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when built with it


def load_rubric(path: str | Path) -> Rubric:
    """Read, merge defaults into items, validate; raise RubricError naming every problem."""
    path = Path(path)
    try:
        text = path.read_bytes()
        raw = yaml.load(text.decode("utf-8"), Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:  # its own text names the file "<unicode string>"
        raise RubricError([_yaml_error(path, exc)]) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RubricError([f"{path}: cannot read rubric: {exc}"]) from None
    if not isinstance(raw, dict):
        raise RubricError([f"{path}: a rubric is a mapping with name, title, reference, items"])
    defaults = raw.get("defaults") or {}
    try:  # on their own first: a bad default is one problem at its line, not one per item
        Defaults.model_validate(defaults)
    except ValidationError as exc:
        node = yaml.compose(text.decode("utf-8"), Loader=_SAFE_LOADER)
        raise RubricError([_describe(path, node, {**err, "loc": ("defaults", *err["loc"])})
                           for err in exc.errors()]) from None
    if isinstance(raw.get("items"), list):
        raw["items"] = [{**defaults, **it} if isinstance(it, dict) else it for it in raw["items"]]
    try:
        model = RubricModel.model_validate(raw)
    except ValidationError as exc:
        node = yaml.compose(text.decode("utf-8"), Loader=_SAFE_LOADER)  # for line numbers
        raise RubricError([_describe(path, node, err) for err in exc.errors()]) from None
    return Rubric(model=model, path=path.resolve(), sha256=hashlib.sha256(text).hexdigest())


def _yaml_error(path: Path, exc: yaml.MarkedYAMLError) -> str:
    """Where the construct that broke began (a list opened, never closed), and what broke."""
    start, found = exc.context_mark or exc.problem_mark, exc.problem_mark
    where = f"{start.line + 1}:{start.column + 1}" if start else "1"
    what = "; ".join(p for p in (exc.context, exc.problem) if p) or "a syntax error"
    if found is not None and start is not found and found.line != start.line:
        what += f" (at line {found.line + 1})"
    return f"{path}:{where}: not valid YAML: {what}"


def _describe(path: Path, node: yaml.Node | None, err: dict[str, Any]) -> str:
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    msg = err["msg"].removeprefix("Value error, ")
    field, _, rest = msg.partition(": ")
    if not loc and rest and field in RubricModel.model_fields:  # a check of the whole
        loc, msg = [field], rest                                 # rubric, about one field
    line = _line_of(node, loc)
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    if err["type"] == "extra_forbidden" and loc:
        msg = f"unknown field {loc[-1]!r}" + _suggest(str(loc[-1]), loc[:-1])
    elif "input" in err and err["type"] != "missing" and not isinstance(err["input"], dict):
        msg = f"{err['input']!r}: {msg}"
    return f"{path}:{line}: {where or '(top)'}: {msg}"


def _suggest(word: str, parent: list[Any]) -> str:
    fields = {"items": Item, "defaults": Defaults, "limits": Limits, "mistakes": Mistake,
              "criteria": Criterion, "similarity": SimilarityOptions,
              "inputs": InputSpec, "gradescope": GradescopeOptions, "policy": Policy,
              "late": LatePolicy, "submissions": SubmissionLimit}
    model = RubricModel
    for part in parent:
        if isinstance(part, str) and part in fields:
            model = fields[part]
    known = [f.alias or name for name, f in model.model_fields.items()]
    close = difflib.get_close_matches(word, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def line_of(path: Path, loc: list[Any]) -> int:
    """1-based line of the field at `loc` (e.g. ["items", 3, "rtol"]) in a rubric file."""
    try:
        return _line_of(yaml.compose(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER), loc)
    except (OSError, yaml.YAMLError):
        return 1


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int:
    """1-based line of the deepest YAML node on the path `loc`."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(part)]
            if not match:
                break
            key, node = match[0]
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
