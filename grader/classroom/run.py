"""A whole class: every student graded as `grade submissions/<name>` would, in parallel,
resumable, then summarised in grades.csv and index.html.

One student can break nothing but their own grading: whatever goes wrong while grading
them (the grader's own failure, their worker killed for memory or crashed, a worker
that hangs past the watchdog) gives them a results.json that says so, the others are
graded as usual, and a rerun regrades that student again.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Generator, Iterator, Optional

from grader import __version__
from grader.classroom import changes
from grader.classroom.changes import StudentChange
from grader.classroom.imported import Arrival
from grader.classroom.pool import (dead, end_helpers, second_ctrl_c_exits, stop_now, worker_context,
                                   workers_of)
from grader.classroom.progress import InFlight
from grader.classroom.safeguard import Breaker, GraderBroken, grader_failed
from grader.classroom.student import Outcome, Student, earlier_results, failed_outright
from grader.disk import files, student_folders, workspace
from grader.engine.submission import IGNORED_DIRS, digest_files, locate
from grader.rubric.model import Rubric
from grader.sandbox import Sandbox, launch, preload
from grader.sandbox.process import mentions_torch

FINGERPRINT = "fingerprint"
STUDENT = "student"  # in results.json's extra_data: the student's key (student_folders.key)


@dataclass
class ClassRun:
    """What a class run did, for the closing summary."""

    students: list[Student]
    graded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # grader failures, by student
    kept: list[str] = field(default_factory=list)  # failed, so their last results stay
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0
    interrupted: bool = False  # Ctrl-C: the students not in `results` were not graded
    previous: dict[str, dict[str, Any]] = field(default_factory=dict)  # before this run
    changes: list[StudentChange] = field(default_factory=list)
    stopped: Optional[GraderBroken] = None  # the grader failed on the first students

    @property
    def not_graded(self) -> list[str]:
        return [s.name for s in self.students if s.name not in self.results]

    @property
    def renamed(self) -> list[Student]:
        """Students whose output folder is not their name, and why (to be said)."""
        return [s for s in self.students if s.renamed]


def is_class(path: Path, modules: set[str]) -> bool:
    """A folder of student folders: no problem files in PATH itself, but in at least two
    of its sub-folders (directly or one level down). One such sub-folder is a submission
    uploaded as a folder; `grade --class` says otherwise."""
    if locate(path, modules).root == path.resolve() and locate(path, modules).present:
        return False
    return sum(bool(locate(d, modules).present) for d in student_dirs(path)) >= 2


def student_dirs(path: Path) -> list[Path]:
    return [Path(e.path) for e in files.entries(path) if files.is_dir(e)
            and e.name not in IGNORED_DIRS and not e.name.startswith(".")]


def fingerprint(files_digest: str, common: str) -> str:
    """Changes whenever a regrade could give another result: the submission's files (their
    digest), or what `common_fingerprint` covers."""
    return hashlib.sha256(f"{common}\0{files_digest}".encode()).hexdigest()


def common_fingerprint(rubric: Rubric, seed: Optional[int], only: tuple[str, ...]) -> str:
    """The part every student shares: grader version, rubric, reference folder, options."""
    digest = hashlib.sha256()
    for part in (__version__, rubric.sha256, str(seed), ",".join(only)):
        digest.update(part.encode() + b"\0")
    return digest_files(rubric.reference_dir, digest).hexdigest()


def _theirs(student: Student, results: dict[str, Any]) -> bool:
    """Whether results found in the student's folder are theirs: they name the student
    (older results, which do not, are theirs when the folder is their own name)."""
    extra = results.get("extra_data", {})
    if not isinstance(extra, dict):
        return False
    if STUDENT in extra:
        return extra[STUDENT] == student_folders.key(student.name)
    return student.earlier.name == student.name


def _current(folder: Path, results: Optional[dict[str, Any]], print_: str) -> bool:
    """Whether the results in `folder` are complete and still current."""
    extra = (results or {}).get("extra_data", {})
    return (folder / "report.html").exists() and extra.get(FINGERPRINT) == print_ \
        and not grader_failed(results or {})  # the grader failed on them: try again


def grade_class(path: Path, out: Path, rubric: Rubric,
                sandbox_factory: Callable[[], Sandbox], *, seed: Optional[int],
                only: tuple[str, ...] = (), jobs: int = 1, force: bool = False,
                progress: Callable[[Iterator[Any], int], Iterator[Any]] = lambda it, n: it,
                into: Optional[Path] = None,
                arrivals: Optional[dict[str, Arrival]] = None) -> ClassRun:
    """Grade every student folder under `path` into `out/<student>/`, `jobs` at a time in
    worker processes (each with its own sandbox, so their Python work runs in parallel).
    With `into` (a dry run), write there instead and leave `out` as it is; the changes
    are still those since the results in `out`. `arrivals`: what `grade import` recorded
    of each student's submission (students.csv), for the late policy and their report."""
    start = time.monotonic()
    came = arrivals or {}
    dirs = student_dirs(path)
    placed = student_folders.placements([d.name for d in dirs])
    students = []
    for d in dirs:
        folder, why = placed[d.name].folder, placed[d.name].why
        students.append(Student(d.name, d, _out(into or out, d, folder, rubric, seed, only),
                                _out(out, d, folder, rubric, seed, only), why, folder,
                                came[d.name].submitted_as() if d.name in came else None,
                                came[d.name].notes() if d.name in came else ()))
    run = ClassRun(students)
    try:
        with second_ctrl_c_exits():
            _grade_all(run, rubric, sandbox_factory, seed, only, jobs, force, progress)
    except KeyboardInterrupt:  # Ctrl-C: what was graded stands, the rest waits for a rerun
        run.interrupted = True
    except RuntimeError as exc:  # Ctrl-C inside a lock's release: Python then raises this
        if not isinstance(exc.__context__, KeyboardInterrupt):
            raise
        run.interrupted = True
    except GraderBroken as exc:  # no use grading the rest: what they had stays
        run.stopped = exc
    run.changes = [c for name, old in sorted(run.previous.items()) if name in run.results
                   for c in [changes.between(name, old, run.results[name])] if c]
    run.seconds = time.monotonic() - start
    return run


def _grade_all(run: ClassRun, rubric: Rubric, sandbox_factory: Callable[[], Sandbox],
               seed: Optional[int], only: tuple[str, ...], jobs: int, force: bool,
               progress: Callable[[Iterator[Any], int], Iterator[Any]]) -> None:
    students, todo = run.students, []
    common = common_fingerprint(rubric, seed, only)
    for s in students:
        files_digest = digest_files(s.path).hexdigest()
        print_ = fingerprint(files_digest + s.own(), common)
        earlier = earlier_results(s) if not only else None  # a replay always runs
        if earlier is not None and not _theirs(s, earlier):
            earlier = None  # another student's, from a run that gave them this folder
        if earlier is not None and not force and _current(s.earlier, earlier, print_):
            run.reused.append(s.name)
            run.results[s.name] = earlier
            continue
        todo.append((s, print_, {FINGERPRINT: print_, changes.GRADING: common,
                                 changes.FILES: files_digest}))
        if earlier is not None:
            run.previous[s.name] = earlier
    uses_torch = {s.name: mentions_torch(s.path) for s, _, _ in todo}
    libraries: tuple[str, ...] = ()
    each: list[frozenset[str]] = [frozenset()] * len(todo)
    if hasattr(sandbox_factory, "ready_for") and todo:  # one set of zygotes for all workers
        libraries, written, each = preload.survey_each(s.path for s, _, _ in todo)
        sandbox_factory = sandbox_factory.ready_for(
            torch=any(uses_torch.values()), preload=libraries, written=written,
            many=len(todo) > 1)
    waits = {s.name: (uses_torch[s.name], bool(imports & set(libraries)))  # for a zygote
             for (s, _, _), imports in zip(todo, each)}                    # past numpy's
    todo.sort(key=lambda job: waits[job[0].name])  # the others while those zygotes warm up
    if not todo:
        return
    scratch = workspace.memory_root()  # this process's and the workers' scratch folders
    args = (str(rubric.path), sandbox_factory, seed, only)
    watchdog = 2 * rubric.model.limits.submission_seconds + 60
    began = time.time()
    done = _in_pool(todo, jobs, args, rubric, watchdog, scratch)
    try:
        with workspace.in_memory(scratch):
            _collect(run, progress(done, len(todo)), Breaker(len(todo)))
    finally:
        done.close()  # interrupted while not inside it: its workers are stopped all the same
        end_helpers()
        launch.hang_up_zygotes()  # they end while the class's pages are written
        _finished_meanwhile(run, todo, began)


def _finished_meanwhile(run: ClassRun, todo: list[tuple[Student, str, dict[str, str]]],
                        began: float) -> None:
    """Students whose worker wrote their outputs whole as the run was stopped, before
    their outcome reached this process: graded, as the next run will find them."""
    for s, print_, _ in todo:
        if s.name in run.results:
            continue
        try:
            if (s.out / "report.html").stat().st_mtime < began:
                continue  # an earlier run's
            results = json.loads((s.out / "results.json").read_text())
        except (OSError, ValueError):
            continue
        if isinstance(results, dict) and _current(s.out, results, print_):
            run.results[s.name] = results
            run.graded.append(s.name)


def _out(out: Path, student: Path, placed: str, rubric: Rubric, seed: Optional[int],
         only: tuple[str, ...]) -> Path:
    from grader.pipeline import replay_folder, seed_of

    folder = out / placed
    return replay_folder(folder, only, seed_of(rubric, student, seed)) if only else folder


def _in_pool(todo: list[tuple[Student, str, dict[str, str]]], jobs: int, args: tuple,
             rubric: Rubric, watchdog: float,
             scratch: Optional[Path]) -> Iterator[Outcome | InFlight]:
    """Grade in `jobs` worker processes, their scratch folders under `scratch` if not
    None (workspace.in_memory); a worker that dies or hangs costs its student only
    (pebble starts another), who gets a results.json saying what happened."""
    import pebble  # a class's alone: Gradescope's image grades one submission without it

    pool = pebble.ProcessPool(max(1, jobs), initializer=_init_worker,
                              initargs=(*args[:2], scratch), context=worker_context())
    try:
        with workspace.folder("workers") as marks:
            lost = yield from _results(pool, todo, args, rubric, watchdog, marks, jobs)
    except BaseException:  # Ctrl-C (or the consumer gone): stop at once, hand out no more
        stop_now(pool)
        raise
    if lost:  # its task may still look in flight to pebble, until the watchdog
        pool.stop()
    else:
        pool.close()
    pool.join()


def _results(pool: Any, todo: list[tuple[Student, str, dict[str, str]]], args: tuple,
             rubric: Rubric, watchdog: float, marks: Path,
             jobs: int) -> Generator[Outcome | InFlight, None, bool]:
    """Yield each student's outcome as it comes; return whether a worker died unnoticed."""
    lost = False
    futures = {pool.schedule(_grade_one, (s, extra, *args[2:], str(marks / str(i))),
                             timeout=watchdog): (s, marks / str(i))
               for i, (s, _, extra) in enumerate(todo)}
    pending: set = set(futures)
    dead_since: dict = {}
    started: dict = {}  # future -> its worker's pid, once read
    began: dict = {}  # future -> when its worker was first seen holding it
    while pending:
        done, _ = concurrent.futures.wait(pending, timeout=0.5,
                                          return_when=concurrent.futures.FIRST_COMPLETED)
        for future in done:
            pending.discard(future)
            student = futures[future][0]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - the worker died or hung: theirs alone
                result = failed_outright(student, rubric, args[2], args[3], _why(exc, watchdog))
            yield result
        pids = workers_of(pending, futures, started, ahead=2 * jobs + 2)
        for future in dead(pids, dead_since):
            pending.discard(future)  # pebble may not notice (it lost a race): we do
            lost = True
            yield failed_outright(futures[future][0], rubric, args[2], args[3],
                        "the worker grading this student died (killed, perhaps for memory)")
        now = time.monotonic()
        yield InFlight.since({futures[f][0].name: began.setdefault(f, now)
                              for f in pids if f in pending})
    return lost


def _why(exc: BaseException, watchdog: float) -> str:
    import pebble

    if isinstance(exc, pebble.ProcessExpired):
        return f"the worker grading this student died ({exc}; exit code {exc.exitcode})"
    if isinstance(exc, concurrent.futures.TimeoutError):
        return f"grading this student took longer than {watchdog:g} s; the worker was stopped"
    return "".join(traceback.format_exception(exc))


def _collect(run: ClassRun, done: Iterator[Any], breaker: Breaker) -> None:
    for event in done:
        if isinstance(event, InFlight):
            continue
        run.results[event.name] = event.results
        if event.error:
            run.failed[event.name] = event.error
        else:
            run.graded.append(event.name)
        if event.error and not grader_failed(event.results):
            run.kept.append(event.name)
        breaker.record(event)


def _init_worker(rubric_path: str, sandbox_factory: Callable[[], Sandbox],
                 scratch: Optional[Path]) -> None:
    """Runs in each worker. The grading itself is in classroom/worker.py, which the
    workers' fork server imported (pool.worker_context): the process that coordinates the
    class never imports the grading pipeline."""
    from grader.classroom import worker

    worker.init(rubric_path, sandbox_factory, scratch)


def _grade_one(*args: Any) -> Outcome:
    from grader.classroom import worker

    return worker.grade_one(*args)
