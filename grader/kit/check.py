"""The student kit's checker: `python check.py [FOLDER]` and `python check.py --item ITEM
--seed SEED [--trial K] [FOLDER]`.

It runs the student's files out of process, as the grader does (the same sandbox, with
the layers a student's own machine offers, and the same time limits), and judges them
with the grader's own modules against answers stored in the kit: a few public trials per
visible item, whose inputs and expected outputs were computed from the reference when
the kit was built. It prints the grader's table and feedback words.

A replay draws exactly the inputs of the trials the grader drew for that seed (the input
generators are not secret; only expected values are), calls the student's function on
them, prints inputs and outputs and saves them to an .npz file.

Needs numpy only (torch for a module that sets BACKEND = "torch"), on Windows, macOS and
Linux alike: its sandbox is grader/sandbox/portable.py, and nothing it carries imports at
the top what one of them lacks (tests/test_kit_platforms.py runs it in a simulated
Windows and macOS).
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from grader.display.plaintext import counted
from grader.display.text import terminal
from grader.engine import checks, submission
from grader.engine.coverage import trial_count
from grader.engine.inputs import Trial, show
from grader.engine.modules import Schedule, run_modules
from grader.engine.outcomes import SubmissionResult
from grader.outputs import feedback
from grader.rubric.itemdata import ItemData, item_from_data
from grader.sandbox import Limits
from grader.sandbox.portable import PortableSandbox, stop_all

DATA = Path(__file__).resolve().parents[2] / "public.json"


@dataclass(frozen=True)
class Kit:
    """What the kit knows: its visible items, their public trials, and what it covers."""

    title: str
    items: list[ItemData]
    trials: dict[str, tuple[Trial, ...]]
    answers: dict[str, list[dict[str, Any]]]
    hidden: int
    limits: Limits
    submission_seconds: float

    @classmethod
    def load(cls, path: Path = DATA) -> Kit:
        meta = json.loads(path.read_text(encoding="utf-8"))
        with np.load(path.with_suffix(".npz")) as npz:
            arrays = {k: npz[k] for k in npz.files}
        items = [item_from_data(d) for d in meta["items"]]
        trials = {i: tuple(Trial(t["index"], _settle(t["inputs"], arrays), t["edge"])
                           for t in ts) for i, ts in meta["trials"].items()}
        answers = {i: [{n: _settle(v, arrays) for n, v in t["answers"].items()} for t in ts]
                   for i, ts in meta["trials"].items()}
        return cls(meta["title"], items, trials, answers, meta["hidden"],
                   Limits(**meta["limits"]), meta["submission_seconds"])

    def item(self, item_id: str) -> ItemData:
        return next(i for i in self.items if i.id == item_id)

    def coverage(self) -> str:
        """What the public checks cover, and what the grader checks besides."""
        checked = [i for i in self.items if i.id in self.trials]
        counts = sorted({len(self.trials[i.id]) for i in checked})
        each = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"
        graded = "/".join(map(str, sorted({trial_count(i) for i in checked})))
        some = "" if len(checked) == len(self.items) else f" {len(checked)} of them on"
        lines = [f"Public checks: {len(self.items)} items,{some} {each} trials each. Your "
                 f"submission is graded on {graded} new random trials per item"
                 + (f", and {counted(self.hidden, 'item')} {'is' if self.hidden == 1 else 'are'}"
                    " hidden (graded, never shown here)." if self.hidden else ".")]
        constants = [i.attr for i in self.items if i.kind == "constant"]
        if constants:
            lines.append(f"Constants ({', '.join(constants)}) are checked here only for being "
                         "set; the grader checks their values.")
        return "\n".join(lines)


def _settle(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, dict):
        if "$array" in value:
            return arrays[value["$array"]]
        if "$scalar" in value:
            return np.float64(value["$scalar"])
        if "$list" in value:
            return [_settle(v, arrays) for v in value["$list"]]
        if "$raises" in value:
            return _RAISES
        return {k: _settle(v, arrays) for k, v in value.items()}
    return value


_RAISES = object()  # a declared mistake that does not apply to these inputs


class StoredReferences:
    """Stands for the reference folder: each name ("p2b.accepted0", "p2b.mistake3")
    answers with what was stored for the trial whose inputs it is called with (the judge
    calls it on copies of them)."""

    def __init__(self, kit: Kit):
        self.kit = kit
        self._made: dict[str, Callable[..., Any]] = {}

    def get(self, name: str) -> Callable[..., Any]:
        if name not in self._made:
            item = self.kit.item(name.rsplit(".", 1)[0])
            self._made[name] = _answer(item, self.kit.trials[item.id],
                                       [a[name] for a in self.kit.answers[item.id]])
        return self._made[name]


def _answer(item: ItemData, trials: tuple[Trial, ...], answers: list[Any]) -> Callable[..., Any]:
    def stored(*args: Any) -> Any:
        for trial, answer in zip(trials, answers):
            if all(_same(a, b) for a, b in zip(args, trial.args(item))):
                break
        else:
            raise LookupError("no stored trial has these inputs")
        if answer is _RAISES:
            raise ValueError("the stored answer does not apply to these inputs")
        if item.mode == "inplace":
            for name, arg in zip(item.arg_names, args):
                if name in answer:
                    arg[...] = answer[name]
            return None
        return tuple(answer) if item.outputs else answer
    return stored


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
            and bool(np.array_equal(a, b))
    return a == b


def check(folder: Path, kit: Kit, sandbox: Optional[Any] = None) -> SubmissionResult:
    """Grade `folder` on the public checks (constants: whether they are set), as the
    grader does: each answer judged as it arrives, within the submission's time budget."""
    items = kit.items
    plans, calls = checks.plan(items, 0, stored=lambda item: kit.trials.get(
        item.id, (Trial(0, {}),)))
    sub = submission.locate(folder, {i.module for i in items})
    judge = checks.Judge(StoredReferences(kit), kit.limits)
    schedule = Schedule(kit.limits, time.monotonic() + kit.submission_seconds,
                        f"the submission used up its {kit.submission_seconds:g} s",
                        judge.receiver(plans))
    runs, _ = run_modules(sub, checks.calls_by_module(items, calls), sandbox or _sandbox(),
                          schedule)
    results = tuple(judge.judge(p, runs[p.item.module]) for p in plans)
    return SubmissionResult(name=sub.name, rubric=None, seed=None, items=results)


def _sandbox() -> PortableSandbox:
    """Fresh interpreters, the time and resource limits, on any desktop OS; none of the
    Linux-only layers a grader adds."""
    return PortableSandbox()


def replay(folder: Path, kit: Kit, item_id: str, seed: int, trial: Optional[int],
           out: Path) -> list[str]:
    """Call the student's function on the trials the grader drew for `seed`; print and
    save inputs and outputs (never an expected value: the kit has none for these)."""
    item = kit.item(item_id)
    plans, calls = checks.plan([item], seed)
    p = plans[0]
    total = len(p.trials)
    if trial is not None:
        keep = [k for k, t in enumerate(p.trials) if t.index == trial - 1]
        if not keep:
            raise ValueError(f"{item_id} has trials 1 to {len(p.trials)}, not {trial}")
        p = checks.Plan(item, p.seed, tuple(p.trials[k] for k in keep),
                        tuple(p.call_ids[k] for k in keep))
        calls = [c for c in calls if c.id in p.call_ids]
    sub = submission.locate(folder, {item.module})
    runs, _ = run_modules(sub, {item.module: tuple(calls)}, _sandbox(), Schedule(kit.limits))
    run = runs[item.module]
    lines: list[str] = [f"{item.id} ({item.title}), seed {seed}: the inputs of the graded "
                        "trials and what your code returns on them; the feedback says what "
                        "was expected.", ""]
    saved: dict[str, np.ndarray] = {}
    for t, call_id in zip(p.trials, p.call_ids):
        lines.append(f"trial {t.index + 1} of {total}{' (an edge case)' if t.edge else ''}:")
        for name, value in t.values.items():
            lines.append(f"  {name} = {show(value)}")
            saved[f"trial{t.index + 1}/{name}"] = np.asarray(value)
        if run.imported.status == "ok":
            lines += ["  " + line for line in _outcome_lines(item, run.calls[call_id], saved,
                                                               t.index + 1)]
    if run.imported.status != "ok":
        error = run.imported.error
        lines += ["", f"{item.module}.py could not be run, so only the inputs are shown:",
                  error.format_traceback() if error else run.imported.detail]
    try:
        np.savez(out, **saved)
    except OSError as exc:  # a folder the student may not write to (C:\Program Files, /)
        lines.append(f"could not save inputs and outputs to {out} ({exc.strerror or exc}): "
                     "run check.py from a folder you can write to")
    else:
        lines.append(f"saved inputs and outputs to {out} (np.load it in a notebook or a "
                     "debugger)")
    return lines


def _outcome_lines(item: ItemData, outcome: Any, saved: dict[str, np.ndarray],
                   k: int) -> list[str]:
    if outcome.status != "ok":
        if outcome.error:
            return ["-> raised an exception:", *outcome.error.format_traceback().splitlines()]
        return [f"-> {outcome.detail or outcome.status}"]
    if item.mode == "inplace":
        lines = []
        for name, value in zip(item.arg_names, outcome.args_after or ()):
            if name in item.mutable:
                lines.append(f"-> {name} after the call = {show(value)}")
                saved[f"trial{k}/{name}_after"] = np.asarray(value)
        return lines
    values = outcome.value if item.outputs and isinstance(outcome.value, list) else [outcome.value]
    names = item.outputs or ("returned",)
    for name, value in zip(names, values):
        try:
            saved[f"trial{k}/{name}"] = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            pass
    return [f"-> {name} = {show(value)}" for name, value in zip(names, values)]


def main(argv: Optional[list[str]] = None) -> int:
    """check.py's command line; what it prints ends quietly where its reader does
    (`python check.py | head`)."""
    _plain_output()
    _stop_children_on_ctrl_c()
    try:
        code = _main(argv)
        sys.stdout.flush()
    except KeyboardInterrupt:
        print("check.py: stopped (Ctrl-C)", file=sys.stderr)
        return 130
    except OSError as exc:
        if not _reader_gone(exc):
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # for the exit's flush
        return 1
    return code


def _stop_children_on_ctrl_c() -> None:
    """Ctrl-C ends the student's code at once, with all it started: KeyboardInterrupt
    alone reached the main thread only, which then waited for the sandbox's threads,
    each for its child's time limit, and a second Ctrl-C left the children running."""
    def stop(signum: int, frame: Any) -> None:
        stop_all()
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, stop)


def _plain_output() -> None:
    """UTF-8 into a pipe or a file on every OS (Windows writes its ANSI code page there,
    which has no σ), so that what is saved is the same everywhere; a terminal that cannot
    show a character shows '?' instead of stopping."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None or not hasattr(stream, "reconfigure"):
            continue
        if not stream.isatty():
            stream.reconfigure(encoding="utf-8")
        elif stream.encoding.replace("-", "").lower() != "utf8":
            stream.reconfigure(errors="replace")


def _reader_gone(exc: OSError) -> bool:
    """Whether writing failed because what reads the output has closed it (Windows says
    so with EINVAL)."""
    return isinstance(exc, BrokenPipeError) or (sys.platform == "win32"
                                                 and exc.errno == errno.EINVAL)


def _as_meant(folder: Path) -> Path:
    """The folder, also when Windows' command line turned its trailing backslash into a
    quote: PowerShell completes `'.\\my work\\'` and passes it on as `".\\my work\\"`,
    which Python reads as `.\\my work"`."""
    text = str(folder)
    if not folder.is_dir() and text.endswith('"') and Path(text[:-1]).is_dir():
        return Path(text[:-1])
    return folder


def _main(argv: Optional[list[str]]) -> int:
    ap = argparse.ArgumentParser(prog="check.py", description="Check your work before "
                                 "submitting, or replay a trial from the grader's feedback.")
    ap.add_argument("folder", nargs="?", type=Path, default=DATA.parents[1],
                    help="the folder with problem1.py, problem2.py, problem3.py "
                         "(default: the kit's own folder)")
    ap.add_argument("--item", help="replay this item's trials (from the feedback)")
    ap.add_argument("--seed", type=int, help="with --item: the seed the feedback names")
    ap.add_argument("--trial", type=int, help="with --item: only this trial (1, 2, ...)")
    args = ap.parse_args(argv)
    kit = Kit.load()
    args.folder = _as_meant(args.folder)
    if not args.folder.is_dir():
        ap.error(f"{args.folder}: no such folder")
    if args.item:
        if args.seed is None:
            ap.error("--item needs --seed: copy both from the feedback's Reproduce line")
        if args.item not in {i.id for i in kit.items if i.kind != "constant"}:
            ap.error(f"unknown item {args.item} (the kit has "
                     f"{', '.join(i.id for i in kit.items if i.kind != 'constant')})")
        out = Path(f"replay-{args.item}-{args.seed}.npz").resolve()
        try:
            lines = replay(args.folder, kit, args.item, args.seed, args.trial, out)
        except ValueError as exc:
            ap.error(str(exc))
        for line in lines:
            print(terminal(line))
        return 0
    result = check(args.folder, kit)
    print(terminal(kit.coverage()) + "\n")
    passed = sum(r.passed for r in result.items)
    summary = f"{result.name}: {passed} of {counted(len(result.items), 'item')} pass the public checks"
    for line in feedback.table(result, summary=summary, points=False):
        print(line)
    for r in result.items:
        if not r.passed:
            print(f"\n{r.item.id}:\n" + terminal(feedback.item_feedback(r, result).text()))
    return 0 if passed == len(result.items) else 1


if __name__ == "__main__":
    sys.exit(main())
