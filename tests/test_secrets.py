"""No answer and no hidden input within a student's reach (issue 19, items 1 and 11).

Nothing derived from the reference or the rubric's answers may be in a process that runs
student code; a hidden item's inputs reach the child only once it is called, after every
visible call has been answered, and nothing printed from then on is shown. Each test runs
real sandbox children, forked from a zygote (that has read an answers.md, so its LaTeX
parser is warm) and started as fresh interpreters, and looks with tests/spy.py at
everything a student can reach.
"""
from __future__ import annotations

import ast
import re
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

import spy
from conftest import EXAMPLES, ROOT
from grader.engine import checks
from grader.engine.checks import run_reference
from grader.pipeline import Request, grade
from grader.rubric.references import References
from grader.sandbox import Call, Limits, ModuleJob
from grader.sandbox import written
from grader.sandbox.written.normalise import normalise
from grader.sandbox.launch import SpawnLauncher, ZygoteLauncher
from grader.sandbox.process import SubprocessSandbox

SEED = 20261206
LIMITS = Limits(import_timeout=60.0, memory_mb=2048)
ROUTES = ["zygote", "spawn"]


@pytest.fixture(scope="module")
def sandboxes(rubric, tmp_path_factory):
    """Per route, a sandbox whose zygote has read an answers.md that answers nothing
    (so that what the warm-up leaves behind is there to be found)."""
    folder = tmp_path_factory.mktemp("warm")
    (folder / "answers.md").write_text("## 1a\n\n$$\\sigma = \\frac{2}{d_x^2}$$\n\n"
                                       "## 3c\n\n$$\\frac{\\ln 3}{N C}$$\n")
    made = {}
    for route, launcher in (("zygote", ZygoteLauncher(many=True)), ("spawn", SpawnLauncher())):
        sandbox = SubprocessSandbox(launcher=launcher)
        items = [i for i in rubric.items if i.kind == "expression"]
        _, calls = checks.plan(items, SEED)
        run = sandbox.run(ModuleJob(folder, "answers", tuple(calls)))
        assert run.imported.status == "ok", run.imported
        made[route] = sandbox
    yield made
    for sandbox in made.values():
        for zygote in getattr(sandbox.launcher, "zygotes", {}).values():
            zygote.close()


def _answers(rubric) -> tuple[list[str], list[str]]:
    """The reference's answers as text (the written ones from reference/answers.md, any
    math in the rubric's texts that is one of them, and the code's formulas) and as
    sympy reads the written ones."""
    text = (ROOT / "reference" / "answers.md").read_text()
    texts, exprs = set(), set()
    for item in rubric.items:
        if item.kind not in ("expression", "index"):
            continue
        body = written.find_section(text, item.section).body
        if item.kind == "expression":
            final = written.final_math(body)
            texts |= {final, *written.answers(final), *written.answers(normalise(final))}
            exprs.add(str(written.parse_latex(final)))
            texts |= _stated_in_rubric(rubric, item)
        else:
            code, _ = written.code_block(body)
            for line in (s.strip() for s in code.splitlines()):
                if line and not line.startswith("#"):
                    texts |= {line, re.split(r"[+-]?=", line, 1)[1].strip()}
    return sorted(texts | set(_reference_code(rubric))), sorted(exprs)


FORMULA = (ast.BinOp, ast.UnaryOp, ast.Slice)  # what makes code a formula


def _reference_code(rubric) -> list[str]:
    """The reference's formulas as its code writes them: what every function a rubric
    item names returns or assigns (and the arguments of the calls in it), as in the
    source, where long enough to be no common idiom."""
    found = set()
    for name in {n for i in rubric.items for n in (i.reference, *i.alternatives) if n}:
        module, function = name.rsplit(".", 1)
        source = (rubric.reference_dir / f"{module}.py").read_text()
        tree = next(n for n in ast.walk(ast.parse(source))
                    if isinstance(n, ast.FunctionDef) and n.name == function)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Return, ast.Assign, ast.AugAssign)) and node.value:
                parts = [node.value] + [a for c in ast.walk(node.value)
                                        if isinstance(c, ast.Call) for a in c.args]
                found |= {ast.get_source_segment(source, p) for p in parts
                          if any(isinstance(x, FORMULA) for x in ast.walk(p))}
                found |= {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant)
                          and isinstance(c.value, str)}
    return sorted(t for t in found if t and len(t) >= 14)


def _stated_in_rubric(rubric, item) -> set[str]:
    """Math anywhere in the rubric's texts that evaluates to `item`'s reference."""
    refs = References(rubric.reference_dir)
    trials = checks.draw_trials_for(item, SEED)[:6]
    spec = checks.written_spec(item, trials[0])
    strings = [s for other in rubric.items for s in _strings(other.model_dump())]
    found = set()
    for snippet in {m for s in strings for m in spy.math_snippets(s)}:
        try:
            answer = written.expression_function(written.parse_latex(snippet),
                                                 [tuple(s) for s in spec["symbols"]],
                                                 spec["params"])
            if all(np.isclose(answer(*t.args(item)), run_reference(item, t, refs.get(
                    item.reference)), rtol=1e-9) for t in trials):
                found |= {snippet, *written.answers(snippet)}
        except Exception:  # noqa: BLE001 - not math, or not this item's answer
            continue
    return found


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _module_calls(rubric, module: str) -> list[Call]:
    items = [i for i in rubric.items if i.kind not in ("manual", "expression", "index")
             and i.module == module]
    _, calls = checks.plan(items, SEED)
    return calls


def _values(rubric, module: str) -> list[float]:
    """The reference's values on the trials this module's child is called with."""
    refs = References(rubric.reference_dir)
    items = [i for i in rubric.items if i.kind not in ("manual", "constant", "expression",
                                                        "index") and i.module == module]
    plans, calls = checks.plan(items, SEED)
    values = [x for p in plans for t in p.trials
              for x in spy.numbers_in(run_reference(p.item, t, refs.get(p.item.reference)))]
    return spy.distinctive(values, [x for c in calls for x in spy.numbers_in(c.args)])


def _stub(rubric, module: str) -> str:
    """A module with every function of `module` returning 0: no formula of its own."""
    names = {i.attr for i in rubric.items if i.module == module and i.kind != "manual"}
    return "".join(f"def {n}(*args):\n    return 0.0\n" for n in sorted(names))


CONTROL_TEXT = "has no math: write the final answer as LaTeX"  # written/__init__.py's, in every child
CONTROL_VALUE = 0.7315926535897931  # an input of the spy's own call: the request is looked at


def _look(sandbox, folder: Path, module: str, calls: list[Call], needles: str) -> list[str]:
    """`look` called last, after every other call, on what the module held at import."""
    look = Call(len(calls), "spy", "look", "call", (needles, CONTROL_VALUE, False),
                timeout=60.0)
    run = sandbox.run(ModuleJob(folder, module, (*calls, look), LIMITS))
    assert run.imported.status == "ok", (run.imported, run.output[-2000:])
    outcome = run.calls[look.id]
    assert outcome.status == "ok", (outcome, run.output[-2000:])
    return outcome.value


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("module", ["problem1", "problem2", "problem3"])
def test_no_answer_is_within_a_childs_reach(route, module, sandboxes, rubric, tmp_path):
    texts, exprs = _answers(rubric)
    values = _values(rubric, module)
    assert texts and exprs and (values or module == "problem1")
    folder = spy.install(tmp_path / "sub", {module: _stub(rubric, module)})
    answer = _look(sandboxes[route], folder, module, _module_calls(rubric, module),
                   spy.encode(texts + [CONTROL_TEXT], exprs, values + [CONTROL_VALUE]))
    counts, found = spy.hits(answer)
    assert counts["strings"] > 20_000 and counts["numbers"] > 100, counts  # it did look
    controls = [h for h in found if CONTROL_TEXT in h or repr(CONTROL_VALUE) in h]
    assert len(controls) == 2, found  # both found: the spy looks where they are
    assert [h for h in found if h not in controls] == []


@pytest.mark.slow
def test_no_answer_in_the_files_a_child_may_read(sandboxes, rubric, tmp_path):
    """The interpreter's folders too (a package's metadata holds its README)."""
    texts, _ = _answers(rubric)
    folder = spy.install(tmp_path / "sub", {"problem1": _stub(rubric, "problem1")},
                         prefixes=True)
    control = "OS routines for NT or Posix"  # os.py's docstring: in every Python
    answer = _look(sandboxes["zygote"], folder, "problem1", [],
                   spy.encode(texts + [control], [], []))
    _, found = spy.hits(answer)
    assert any(h.startswith(f"in a file: text {control!r}") for h in found), found[:5]
    assert [h for h in found if control not in h] == []


HARVEST = r'''
import gc, sys, types

PARAMS = {"init_variance": ["d_x"], "layer_variance": ["var_prev", "sigma_w", "N", "C"],
          "variance_at_layer": ["ell", "sigma_w", "N", "C"],
          "sigma_w_for_doubling": ["L", "N", "C"],
          "grad_variance": ["ell", "L", "sigma_w", "N", "C"]}
SYMBOLS = [["d_x", "d_x"], ["\\sigma^2_\\ell", "var_prev"], ["\\sigma_W", "sigma_w"],
           ["\\ell", "ell"], ["N", "N"], ["C", "C"], ["L", "L"]]
_found = {}


def _strings():
    """Every string this process holds: module globals, code constants, gc's objects."""
    out, seen, stack = [], set(), [*sys.modules.values(), *gc.get_objects()]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if type(obj) is str:
            out.append(obj)
        elif type(obj) is types.CodeType:
            stack += list(obj.co_consts)
        elif type(obj) not in (int, float, bool, bytes):
            stack += gc.get_referents(obj)
    return out


def _collect():
    """The harness's own parser, on every string that reads as math in exactly a
    function's parameters: the likeliest answer, with no formula of our own."""
    parser = sys.modules.get("_grader_written")
    for text in set(_strings()) if parser else ():
        if "\\" not in text or len(text) > 120 or "\n" in text:
            continue
        try:
            expr = parser.parse_latex(text)
        except Exception:
            continue
        for fn, params in PARAMS.items():
            try:
                mine = [s for s in SYMBOLS if s[1] in params]
                f = parser.expression_function(expr, mine, params)
            except Exception:
                continue
            if len(expr.free_symbols) > _found.get(fn, (0, None))[0]:
                _found[fn] = (len(expr.free_symbols), f)


_collect()  # at import, where the time limit is generous


def _harvest(name):
    if name not in _found:
        raise NotImplementedError(name)
    return _found[name][1]
'''


def _attacker(folder: Path, harvest: bool) -> Path:
    """problem1.py and problem3.py whose formulas are whatever the harvest finds (or,
    without `harvest`, none), and an answers.md so that the zygote reads one."""
    body = "    return _harvest({name!r})(*args)\n" if harvest else \
        "    raise NotImplementedError({name!r})\n"
    folder.mkdir()
    for module, names in (("problem1", ["init_variance"]),
                          ("problem3", ["layer_variance", "variance_at_layer",
                                        "sigma_w_for_doubling", "grad_variance"])):
        (folder / f"{module}.py").write_text(HARVEST + "".join(
            f"\ndef {n}(*args):\n" + body.format(name=n) for n in names))
    shutil.copy(EXAMPLES / "bob" / "answers.md", folder / "answers.md")
    return folder


@pytest.mark.slow
def test_answers_harvested_from_the_zygote_score_nothing(sandboxes, rubric, tmp_path):
    """The attack of issue 19: a submission with no formula of its own reads the answers
    the zygote warmed its parser with, parses them with the harness's parser, and scores
    with them; it must score as a submission with no formula does."""
    code = ("p1a", "p3a", "p3b", "p3c", "p3d")
    scores = {}
    for harvest in (True, False):
        folder = _attacker(tmp_path / f"harvest-{harvest}", harvest)
        result = grade(Request(folder, tmp_path / f"out-{harvest}", rubric, SEED, only=code),
                       sandboxes["zygote"])
        assert [m.status for m in result.modules] == ["ok", "ok"], result.modules
        scores[harvest] = {r.item.id: r.score for r in result.items}
    assert scores[True] == scores[False] == dict.fromkeys(code, 0.0)


HIDDEN_VALUE = 0.4837261950374619
HIDDEN_ARRAY = np.array([[0.2903847561029384, -1.3748291056473829],
                         [1.0584736291047563, 0.7261530948273615]])
VISIBLE_VALUE = 0.8371946205318462

PEEK = textwrap.dedent('''
    import os
    print("imported in", os.getpid())

    def visible(x):
        print("visible call with", repr(x))
        return x

    def hidden(x, a):
        print("hidden call with", repr(x), a.tolist(), flush=True)
        if x > 0:
            os._exit(3)  # a fresh child takes the other hidden item's call
        return float(x + a.sum())
''')


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES)
def test_hidden_inputs_reach_the_child_only_when_called(route, sandboxes, tmp_path):
    """At import, and during every visible call, no hidden input is anywhere the module can
    look (memory, the request, descriptors, /proc/self, files); what the hidden calls
    print, and what a process started after one prints, is never shown."""
    folder = spy.install(tmp_path / "sub", {"peek": PEEK})
    needles = spy.encode([repr(HIDDEN_VALUE)[2:], repr(float(HIDDEN_ARRAY[0, 1]))[3:]], [],
                         [HIDDEN_VALUE, -HIDDEN_VALUE, *HIDDEN_ARRAY.ravel().tolist(),
                          VISIBLE_VALUE])
    calls = (Call(0, "h1", "hidden", "call", (HIDDEN_VALUE, HIDDEN_ARRAY), hidden=True),
             Call(1, "h2", "hidden", "call", (-HIDDEN_VALUE, HIDDEN_ARRAY), hidden=True),
             Call(2, "v", "visible", "call", (VISIBLE_VALUE,)),
             Call(3, "s", "look", "call", (needles, CONTROL_VALUE), timeout=60.0))
    run = sandboxes[route].run(ModuleJob(folder, "peek", calls, LIMITS))
    counts, found = spy.hits(run.calls[3].value)
    assert counts["strings"] > 20_000, counts
    assert sorted(found) == [f"at import: value {VISIBLE_VALUE!r}",  # the visible call's own
                             f"at the call: value {VISIBLE_VALUE!r}"], found
    assert run.calls[2].value == VISIBLE_VALUE
    assert run.calls[0].status == "crashed" and run.processes == 2
    assert run.calls[1].value == pytest.approx(-HIDDEN_VALUE + HIDDEN_ARRAY.sum())
    assert f"visible call with {VISIBLE_VALUE!r}" in run.output  # shown: before the hidden
    assert "hidden call" not in run.output and repr(HIDDEN_VALUE)[2:] not in run.output
    assert run.output.count("imported in") == 1, run.output  # the second process: unseen


DUMP = textwrap.dedent('''
    import gc, os, stat, sys
    import numpy as np


    def _numbers(obj, out, depth=0):
        """Every float in a tree of dicts, lists and arrays (an array's first three)."""
        if depth > 12:
            return
        if type(obj) is float:
            out.append(repr(obj))
        elif isinstance(obj, np.ndarray) and obj.dtype.kind == "f":
            out += [repr(float(x)) for x in obj.ravel()[:3]]
        elif isinstance(obj, dict):
            for v in list(obj.values()):
                _numbers(v, out, depth + 1)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                _numbers(v, out, depth + 1)


    def _descriptors():
        seen = []
        for fd in range(64):
            try:
                mode = os.fstat(fd).st_mode
            except OSError:
                continue
            seen.append(f"{fd}: {stat.filemode(mode)}")
            if stat.S_ISFIFO(mode) or stat.S_ISREG(mode):
                blocking = os.get_blocking(fd)
                try:
                    os.set_blocking(fd, False)
                    seen.append(repr(os.read(fd, 4096)))
                except OSError as exc:
                    seen.append(type(exc).__name__)
                finally:
                    os.set_blocking(fd, blocking)
        return seen


    def _file(path):
        try:
            with open(path, "rb") as fh:
                return fh.read(4096)
        except OSError as exc:
            return type(exc).__name__


    _seen = []
    _frame = sys._getframe()
    while _frame is not None:  # the harness's frames: the request it read, if it holds it
        _numbers(dict(_frame.f_locals), _seen)
        _frame = _frame.f_back
    for _obj in gc.get_objects():
        if isinstance(_obj, dict) and "calls" in _obj:
            _numbers(_obj, _seen)
    print("REQUEST", " ".join(_seen))
    print("ARGV", sys.argv, "CMDLINE", _file("/proc/self/cmdline"))
    print("ENV", dict(os.environ), _file("/proc/self/environ"))
    print("FDS", _descriptors())
''')

TELL = textwrap.dedent('''

    _told = {name: globals()[name] for name in ("ugrnn_forward", "grad_variance")
             if name in globals()}


    def _telling(name):
        def call(*args):
            print("HIDDEN CALL", name, [repr(float(np.ravel(a)[0])) for a in args])
            return _told[name](*args)
        return call


    for _name in _told:
        globals()[_name] = _telling(_name)
''')


@pytest.mark.slow
def test_a_module_that_dumps_what_it_can_read_at_import_shows_no_hidden_input(
        rubric, tmp_path):
    """Graded for real, with 2b and 3d hidden: the module prints at import all it can
    read (the request in the harness's frames, argv, /proc/self, the environment, every
    descriptor), and the hidden functions print their inputs when called; the reports
    show what the visible calls were given, and nothing of the hidden ones."""
    from hidden import hidden_rubric_at
    from grader.rubric.model import load_rubric

    hidden = load_rubric(hidden_rubric_at(tmp_path / "hidden.yaml", ("p2b", "p3d")))
    folder = tmp_path / "dumper"
    shutil.copytree(EXAMPLES / "alice", folder)
    (folder / "answers.md").unlink()
    for name in ("problem2.py", "problem3.py"):
        code = (folder / name).read_text()
        (folder / name).write_text(DUMP + code + TELL)
    out = tmp_path / "out"
    only = ("p2a", "p2b", "p2c_f", "p3a", "p3d")
    result = grade(Request(folder, out, hidden, SEED, only=only), SubprocessSandbox())
    assert {r.item.id for r in result.items if r.passed} == set(only), result.internal_error
    plans, _ = checks.plan([i for i in hidden.items if i.id in only], SEED)
    inputs = {p.item.id: spy.distinctive([x for t in p.trials for a in t.args(p.item)
                                          for x in spy.numbers_in(a)[:3]], [])
              for p in plans}
    assert inputs["p2b"] and inputs["p3d"] and inputs["p2a"]
    shown = "\n".join(f.read_text(errors="replace") for f in out.rglob("*") if f.is_file())
    assert "REQUEST" in shown and "FDS" in shown and "HIDDEN CALL" not in shown
    assert any(repr(x) in shown for x in inputs["p2a"])  # what a visible call was given
    assert [x for item in ("p2b", "p3d") for x in inputs[item] if repr(x) in shown] == []
