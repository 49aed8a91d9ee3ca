"""Rubric items as plain data: what the student kit carries of each visible item, and the
frozen dataclasses that stand for the rubric's models where pydantic is not installed.

They have the attributes the engine reads (inputs.py, compare.py, checks.py, feedback.py)
and nothing else: no reference code, no mistake functions (only opaque names of stored
answers), no hidden item.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

Expr = Any
EVALUATED_WRITTEN = ("expression", "index")  # the written kinds the sandbox evaluates


@dataclass(frozen=True)
class InputData:
    int_: Optional[tuple[Expr, Expr]] = None
    log: bool = False
    odd: bool = False
    uniform: Optional[tuple[Expr, Expr]] = None
    loguniform: Optional[tuple[Expr, Expr]] = None
    choice: Optional[tuple[Expr, ...]] = None
    value: Optional[Expr] = None
    array: Optional[tuple[Expr, ...]] = None
    normal: Optional[tuple[Expr, Expr]] = None


@dataclass(frozen=True)
class MistakeData:
    reference: str  # the stored answers' name (opaque in the kit)
    message: str

    @property
    def id(self) -> str:
        return self.reference.rsplit(".", 1)[-1]


class StudentNames:
    """What an item's `student` and `args` name, for the rubric's Item and for ItemData."""

    student: str
    args: Optional[tuple[str, ...]]
    inputs: dict[str, Any]

    @property
    def module(self) -> str:
        return self.student.split(".")[0]

    @property
    def attr(self) -> str:
        return self.student.split(".")[1]

    @property
    def mode(self) -> str:
        """How the engine calls and judges it: function, inplace or constant (expression
        and index items are written answers called like functions)."""
        kind = getattr(self, "kind", "function")
        if kind == "index":
            return "inplace" if getattr(self, "mutable", ()) else "function"
        return "function" if kind == "expression" else kind

    @property
    def arg_names(self) -> tuple[str, ...]:
        return self.args if self.args is not None else tuple(self.inputs)


@dataclass(frozen=True)
class ItemData(StudentNames):
    id: str
    title: str
    student: str
    kind: str = "function"
    description: str = ""
    points: float = 1.0
    visibility: str = "visible"
    reference: Optional[str] = None
    alternatives: tuple[str, ...] = ()
    expected: Any = None
    expects: str = ""  # a constant's kind of value ("a string"), kept where its value is not
    normalize: tuple[str, ...] = ()
    inputs: dict[str, InputData] = field(default_factory=dict)
    args: Optional[tuple[str, ...]] = None
    outputs: Optional[tuple[str, ...]] = None
    mutable: tuple[str, ...] = ()
    compare: tuple[str, ...] = ()
    edge_cases: tuple[dict[str, Expr], ...] = ()
    trials: int = 10
    rtol: float = 1e-5
    atol: float = 1e-8
    timeout: float = 10.0
    mistakes: tuple[MistakeData, ...] = ()
    hint: str = ""
    diagnose: Any = True  # True, False or {check: setting} (see grader/engine/diagnose/)


_TUPLES = ("alternatives", "normalize", "args", "outputs", "mutable", "compare", "edge_cases")


def expects(item: Any) -> str:
    """What kind of value a constant item takes, in a student's words (never the value
    itself): what the kit knows of a constant, and what the feedback asks for when it is
    not set."""
    if getattr(item, "expects", ""):
        return item.expects
    value = item.expected
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True or False"
    if isinstance(value, str):
        return "a string"
    return "a number" if isinstance(value, (int, float)) else "an array of numbers"


def item_from_data(data: dict[str, Any]) -> ItemData:
    """The inverse of `item_to_data`."""
    fields = dict(data)
    fields["inputs"] = {name: InputData(**{k: tuple(v) if isinstance(v, list) else v
                                           for k, v in spec.items()})
                        for name, spec in data.get("inputs", {}).items()}
    fields["mistakes"] = tuple(MistakeData(**m) for m in data.get("mistakes", ()))
    for name in _TUPLES:
        if fields.get(name) is not None:
            fields[name] = tuple(fields[name])
    return ItemData(**fields)


def item_to_data(item: Any, **override: Any) -> dict[str, Any]:
    """A rubric Item (or ItemData) as JSON-able data; `override` replaces fields (the kit
    renames references and mistakes, and drops what it must not carry)."""
    data = {name: getattr(item, name) for name in ItemData.__dataclass_fields__
            if name != "expects"}
    data["expects"] = expects(item)
    data["inputs"] = {name: {k: getattr(spec, k) for k in InputData.__dataclass_fields__
                             if getattr(spec, k) not in (None, False)}
                      for name, spec in item.inputs.items()}
    data["mistakes"] = [{"reference": m.reference, "message": m.message} for m in item.mistakes]
    if not isinstance(item.diagnose, bool):  # the rubric's model: its fields as data
        data["diagnose"] = {k: list(v) if isinstance(v, tuple) else v
                            for k, v in vars(item.diagnose).items()}
    data.update(override)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}
