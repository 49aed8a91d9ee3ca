"""The one door into student code: jobs go in, plain-data outcomes come out.

`Sandbox` is a one-method interface so tests can swap in a fake; the product always runs
student code in a separate process (see process.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Optional, Protocol

CallStatus = Literal["ok", "raised", "missing", "bad_output", "oversize", "timeout",
                     "crashed", "skipped", "not_run"]
ImportStatus = Literal["ok", "missing", "raised", "timeout", "crashed", "not_run"]


@dataclass(frozen=True)
class Call:
    """One call (or attribute read) the grader wants made in the student's module."""

    id: int
    item: str
    attr: str
    kind: Literal["call", "get"]
    args: tuple[Any, ...] = ()
    report_args: bool = False
    timeout: float = 10.0
    spec: Optional[dict[str, Any]] = None  # written answers: what the function is made of
    # A hidden item's call: the child gets it only once every other call of its process has
    # been answered, and nothing the process prints from then on is shown (see process.py).
    hidden: bool = False


WRITTEN_MODULE = "answers"  # answers.md: its items are functions the child makes from the text


@dataclass(frozen=True)
class Limits:
    """Resource limits on one sandboxed process (the rubric's `limits`)."""

    import_timeout: float = 20.0
    output_bytes: int = 65536
    memory_mb: int = 512
    file_mb: int = 16
    disk_mb: int = 64
    open_files: int = 256
    processes: int = 64
    answer_mb: float = 16.0

    @property
    def answer_bytes(self) -> int:
        return int(self.answer_mb * (1 << 20))


@dataclass(frozen=True)
class ModuleJob:
    """Everything one sandboxed process needs: a private copy of the submission and calls."""

    root: Path
    module: str
    calls: tuple[Call, ...]
    limits: Limits = Limits()
    others: tuple[str, ...] = ()  # the other graded modules of the submission
    deadline: Optional[float] = None  # time.monotonic() after which no call is started
    deadline_note: str = "the grader's time budget for this submission ran out"
    # Sees each call's outcome as it arrives and returns what to keep of it: the grader
    # judges large values at once and keeps only the verdict.
    receive: Optional[Callable[[Call, CallOutcome], CallOutcome]] = None

    @property
    def import_timeout(self) -> float:
        return self.limits.import_timeout

    @property
    def output_bytes(self) -> int:
        return self.limits.output_bytes


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    function: str
    code: str


@dataclass(frozen=True)
class StudentError:
    """An exception raised by student code, reduced to text and the student's own frames."""

    type: str
    message: str
    traceback: tuple[Frame, ...] = ()
    filename: Optional[str] = None
    lineno: Optional[int] = None
    text: Optional[str] = None

    def headline(self) -> str:
        """One line, whatever the message holds (a newline is shown as \\n)."""
        message = self.message.replace("\n", "\\n")
        if self.type in ("SyntaxError", "IndentationError", "TabError") and self.lineno:
            return f"{self.type} at {self.filename or 'line'}:{self.lineno}: {message}"
        return f"{self.type}: {message}" if message else self.type

    def format_traceback(self) -> str:
        lines = [f'  File "{f.file}", line {f.line}, in {f.function}\n    {f.code}'.rstrip()
                 for f in self.traceback]
        if self.text and self.lineno:
            lines.append(f'  File "{self.filename}", line {self.lineno}\n    {self.text.rstrip()}')
        return "\n".join(lines + [self.headline()])


@dataclass(frozen=True)
class CallOutcome:
    """What came back from one call: a value, or why there is none."""

    status: CallStatus
    value: Any = None
    args_after: Optional[tuple[Any, ...]] = None
    error: Optional[StudentError] = None
    duration: float = 0.0  # measured by the grader, from the end of the call before
    detail: str = ""
    size: int = 0  # bytes of the answer on the wire
    judged: Any = None  # the grader's verdict, when it judged the value on arrival


@dataclass(frozen=True)
class ImportOutcome:
    status: ImportStatus
    error: Optional[StudentError] = None
    duration: float = 0.0
    detail: str = ""
    backend: str = "numpy"


@dataclass(frozen=True)
class ModuleRun:
    """The outcome of running one module's calls, possibly across several processes."""

    module: str
    imported: ImportOutcome
    calls: dict[int, CallOutcome] = field(default_factory=dict)
    output: str = ""
    output_dropped: int = 0
    processes: int = 0
    layers: tuple[str, ...] = ()


class Sandbox(Protocol):
    def run(self, job: ModuleJob) -> ModuleRun:
        """Run the job's calls in the student's module and return what came back."""
