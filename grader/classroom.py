"""A whole class: every student graded as `grade submissions/<name>` would, in parallel,
resumable, then summarised in grades.csv and index.html."""
from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from grader import __version__
from grader.pipeline import Request, grade
from grader.rubric import Rubric
from grader.sandbox import Sandbox
from grader.sandbox.process import mentions_torch
from grader.submission import IGNORED_DIRS, digest_files, locate

FINGERPRINT = "fingerprint"


@dataclass(frozen=True)
class Student:
    name: str
    path: Path
    out: Path


@dataclass
class ClassRun:
    """What a class run did, for the closing summary."""

    students: list[Student]
    graded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # grader failures, by student
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0


def is_class(path: Path, modules: set[str]) -> bool:
    """A folder of student folders: no problem files in PATH itself, but in at least two
    of its sub-folders (directly or one level down). One such sub-folder is a submission
    uploaded as a folder; `grade --class` says otherwise."""
    if locate(path, modules).root == path.resolve() and locate(path, modules).present:
        return False
    return sum(bool(locate(d, modules).present) for d in student_dirs(path)) >= 2


def student_dirs(path: Path) -> list[Path]:
    return sorted(d for d in path.iterdir() if d.is_dir() and not d.is_symlink()
                  and d.name not in IGNORED_DIRS and not d.name.startswith("."))


def fingerprint(student: Path, common: str) -> str:
    """Changes whenever a regrade could give another result: the submission's files, or
    what `common_fingerprint` covers."""
    return digest_files(student, hashlib.sha256(common.encode())).hexdigest()


def common_fingerprint(rubric: Rubric, seed: Optional[int], only: tuple[str, ...]) -> str:
    """The part every student shares: grader version, rubric, reference folder, options."""
    digest = hashlib.sha256()
    for part in (__version__, rubric.sha256, str(seed), ",".join(only)):
        digest.update(part.encode() + b"\0")
    return digest_files(rubric.reference_dir, digest).hexdigest()


def _done(student: Student, print_: str) -> Optional[dict[str, Any]]:
    """The student's earlier results when they are complete and still current."""
    try:
        results = json.loads((student.out / "results.json").read_text())
    except (OSError, ValueError):
        return None
    if (student.out / "report.html").exists() and \
            results.get("extra_data", {}).get(FINGERPRINT) == print_:
        return results
    return None


def grade_class(path: Path, out: Path, rubric: Rubric,
                sandbox_factory: Callable[[], Sandbox], *, seed: Optional[int],
                only: tuple[str, ...] = (), jobs: int = 1, force: bool = False,
                progress: Callable[[Iterator[Any], int], Iterator[Any]] = lambda it, n: it,
                repro: str = "") -> ClassRun:
    """Grade every student folder under `path` into `out/<student>/`, `jobs` at a time in
    worker processes (each with its own sandbox, so their Python work runs in parallel);
    `repro` is appended to each student's reproduce command (e.g. a --rubric option)."""
    start = time.monotonic()
    students = [Student(d.name, d, out / d.name) for d in student_dirs(path)]
    run = ClassRun(students)
    todo = []
    common = common_fingerprint(rubric, seed, only)
    for s in students:
        print_ = fingerprint(s.path, common)
        earlier = None if force else _done(s, print_)
        if earlier is None:
            todo.append((s, print_))
        else:
            run.reused.append(s.name)
            run.results[s.name] = earlier
    uses_torch = {s.name: mentions_torch(s.path) for s, _ in todo}
    if hasattr(sandbox_factory, "ready_for") and todo:  # one set of zygotes for all workers
        sandbox_factory = sandbox_factory.ready_for(torch=any(uses_torch.values()))
    todo.sort(key=lambda sp: uses_torch[sp[0].name])  # the others while torch warms up
    args = (str(rubric.path), sandbox_factory, seed, only, repro)
    if jobs <= 1 or len(todo) <= 1:
        _init_worker(*args[:2])
        done: Iterator[Any] = (_grade_one(s, p, *args[2:]) for s, p in todo)
        _collect(run, progress(done, len(todo)))
    else:
        ctx = _worker_context()
        with concurrent.futures.ProcessPoolExecutor(jobs, ctx, _init_worker, args[:2]) as pool:
            futures = [pool.submit(_grade_one, s, p, *args[2:]) for s, p in todo]
            results = (f.result() for f in concurrent.futures.as_completed(futures))
            _collect(run, progress(results, len(todo)))
    run.seconds = time.monotonic() - start
    return run


def _worker_context() -> Any:
    """Fork workers from this process, which has imported the grader already and has no
    thread yet (forking with threads is unsafe); else start them as fresh interpreters."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _collect(run: ClassRun, done: Iterator[tuple[str, dict[str, Any], str]]) -> None:
    for name, results, error in done:
        run.results[name] = results
        (run.failed.__setitem__(name, error) if error else run.graded.append(name))


_WORKER: dict[str, Any] = {}  # one rubric and one sandbox per worker process


def _init_worker(rubric_path: str, sandbox_factory: Callable[[], Sandbox]) -> None:
    from grader.rubric import load_rubric

    _WORKER.update(rubric=load_rubric(rubric_path), sandbox=sandbox_factory())


def _grade_one(student: Student, print_: str, seed: Optional[int], only: tuple[str, ...],
               repro: str) -> tuple[str, dict[str, Any], str]:
    req = Request(student.path, student.out, _WORKER["rubric"], seed, only,
                  repro=f"grade {student.path}{repro}", extra={FINGERPRINT: print_})
    result = grade(req, _WORKER["sandbox"])
    results = json.loads((student.out / "results.json").read_text())
    return student.name, results, result.internal_error


def summary_lines(run: ClassRun) -> list[str]:
    """The one-screen summary printed at the end of a class run."""
    totals = [r["score"] for r in run.results.values()]
    lines = [f"{len(run.students)} students: {len(run.graded) + len(run.failed)} graded, "
             f"{len(run.reused)} unchanged since the last run, in {run.seconds:.1f} s"]
    if totals:
        top = max(sum(t["max_score"] for t in r["tests"]) for r in run.results.values())
        lines.append(f"score: mean {statistics.mean(totals):.2f}, median "
                     f"{statistics.median(totals):g} of {top:g}")
    slow = slowest(run.results, 3)
    if slow:
        lines.append("slowest: " + ", ".join(f"{n} ({t:.1f} s)" for n, t in slow))
    for name, error in sorted(run.failed.items()):
        lines.append(f"GRADER FAILED on {name}: {error.strip().splitlines()[-1]}")
    return lines


def slowest(results: dict[str, dict[str, Any]], n: int) -> list[tuple[str, float]]:
    times = sorted(((r.get("execution_time", 0.0), name) for name, r in results.items()),
                   reverse=True)
    return [(name, t) for t, name in times[:n]]


def terminal_progress(it: Iterator[Any], total: int) -> Iterator[Any]:
    """A progress bar on a terminal, plain lines otherwise (CI logs, pipes)."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(it, total=total, unit="student", file=sys.stderr)
        return
    for done, item in enumerate(it, 1):
        print(f"graded {done}/{total}", file=sys.stderr, flush=True)
        yield item
