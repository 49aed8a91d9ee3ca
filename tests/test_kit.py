"""The student kit (issue 12): built by `grade kit`, it holds no secret, a correct submission
passes every public check, every declared mistake fails its own, replays rebuild exactly
the graded inputs, and it runs on a machine with only numpy."""
from __future__ import annotations

import ast
import inspect
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import EXAMPLES, GRADE, ROOT, RUBRIC, by_item, run_grade
from kits import build as _build, student_kit as _student_kit, unpack as _unpack

from grader.authoring.selftest import TrustedSandbox
from grader.display.plaintext import to_plain
from grader.engine import checks
from grader.kit.check import Kit, check, replay
from grader.kit.public import WITHHELD
from grader.rubric.model import load_rubric
from grader.rubric.references import References

HIDDEN = ("p3d", "p2c_d")  # made hidden in a copy of the rubric, to see that nothing of them leaks


@pytest.fixture(scope="module")
def kit_dir(kit_zip, tmp_path_factory) -> Path:
    return _unpack(kit_zip, tmp_path_factory.mktemp("unpacked"))


@pytest.fixture(scope="module")
def hidden_rubric(tmp_path_factory) -> Path:
    data = yaml.safe_load(RUBRIC.read_text())
    data["reference"] = str(ROOT / "reference")
    data["handout"] = str(ROOT / "docs" / "handout.md")
    for item in data["items"]:
        if item["id"] in HIDDEN:
            item["visibility"] = "hidden"
    path = tmp_path_factory.mktemp("hidden") / "hidden.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def hidden_kit(hidden_rubric, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hidden-kit")
    return _unpack(_build(hidden_rubric, out / "kit.zip"), out / "unpacked")


def _texts(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".npz"}


def _kit(folder: Path) -> Kit:
    return Kit.load(folder / "_kit" / "public.json")


# ------------------------------------------------------------------ what it holds

def test_the_kit_holds_the_handout_skeletons_checker_and_engine(kit_dir):
    names = {p.relative_to(kit_dir).as_posix() for p in kit_dir.rglob("*") if p.is_file()}
    assert {"README.md", "handout.md", "handout.html", "check.py", "problem1.py", "problem2.py",
            "problem3.py", "_kit/public.json", "_kit/public.npz",
            "_kit/grader/kit/check.py", "_kit/grader/engine/compare.py", "_kit/grader/engine/inputs.py",
            "_kit/grader/outputs/feedback.py", "_kit/grader/sandbox/child.py"} <= names
    # the engine's own modules, byte for byte: one code path with the grader
    for name in names:
        if name.startswith("_kit/grader/"):
            assert (kit_dir / name).read_bytes() == (ROOT / name[len("_kit/"):]).read_bytes()
    for builder_only in ("rubric/model.py", "rubric/references.py", "pipeline.py",
                         "authoring/selftest.py", "kit/build.py", "kit/public.py",
                         "display/markdown.py"):
        assert f"_kit/grader/{builder_only}" not in names
    handout = (kit_dir / "handout.html").read_text()
    assert not re.search(r'<script|<link|\bsrc=|href="(?!#)', handout)  # self-contained
    assert "<math" in handout


def test_the_kit_has_an_answers_template_with_every_written_part_and_no_answer(kit_dir, rubric):
    from grader.sandbox.written import sections

    template = (kit_dir / "answers.md").read_text()
    parts = sections(template)
    assert list(parts) == list(dict.fromkeys(i.section for i in rubric.items if i.written))
    assert "W_grad[...] = ..." in parts["3e"].body and "f_grad[...] += ..." in parts["2c"].body
    assert "graded by a TA" in parts["1b"].body
    reference = (ROOT / "reference" / "answers.md").read_text()
    assert "frac{1}{d_x}" not in template and "sum[b, i, j]" not in template
    assert "sum[" not in template.replace(reference, "")
    assert "`answers.md`" in (kit_dir / "README.md").read_text()


def test_skeletons_have_every_function_raising_not_implemented(kit_dir, rubric):
    for module in ("problem1", "problem2", "problem3"):
        tree = ast.parse((kit_dir / f"{module}.py").read_text())
        functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
        for item in rubric.items:
            if item.module != module:
                continue
            if item.kind == "constant":
                assert re.search(rf"^{item.attr} = None", (kit_dir / f"{module}.py").read_text(),
                                 re.M)
                continue
            fn = functions[item.attr]
            assert [a.arg for a in fn.args.args] == list(item.arg_names)
            assert ast.get_docstring(fn) and "Args:" in ast.get_docstring(fn)
            assert isinstance(fn.body[-1], ast.Raise)
    doc = ast.get_docstring(next(f for f in ast.parse((kit_dir / "problem2.py").read_text()).body
                                 if isinstance(f, ast.FunctionDef) and f.name == "ugrnn_forward"))
    assert "x: array of shape [B, d_x]" in doc and "Returns: the tuple (h_next, f, d)." in doc


def test_the_kit_is_byte_reproducible(kit_zip, tmp_path):
    again = _build(RUBRIC, tmp_path / "again.zip")
    assert again.read_bytes() == kit_zip.read_bytes()


def test_no_reference_no_mistake_no_hidden_item_no_rubric_internals(hidden_kit, hidden_rubric):
    texts = _texts(hidden_kit)
    everything = "\n".join(texts.values())
    # reference source: no file of it, and no line of any reference function's body
    reference = ROOT / "reference"
    for path in reference.glob("*.py"):
        assert path.read_text() not in texts.values()
        tree = ast.parse(path.read_text())
        for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            body = fn.body[1:] if ast.get_docstring(fn) else fn.body
            for stmt in body:
                line = ast.unparse(stmt).splitlines()[0]
                if len(line) >= 20:
                    assert line not in everything, (path.name, fn.name, line)
            if path.name == "mistakes.py":
                assert fn.name not in everything  # not even a mistake's name
    assert "mistakes." not in everything and not any(n.endswith((".yaml", ".yml")) for n in texts)
    rubric = load_rubric(hidden_rubric)
    meta = json.loads(texts["_kit/public.json"])
    # hidden items: no id, no title, no trial, no array
    for item in rubric.items:
        if item.visibility != "hidden":
            continue
        for secret in (item.id, item.title, to_plain(item.title)):
            assert secret not in everything, secret
        assert item.id not in meta["trials"]
    with np.load(hidden_kit / "_kit" / "public.npz") as npz:
        keys = npz.files
    assert keys and not any(k.split("/")[0] in HIDDEN for k in keys)
    assert meta["hidden"] == len(HIDDEN)
    # every stored answer under an opaque name; no constant's answer
    for item in meta["items"]:
        assert item["expected"] is None
        names = [item["reference"], *item["alternatives"], *(m["reference"] for m in item["mistakes"])]
        assert all(re.fullmatch(rf"{item['id']}\.(accepted|mistake)\d+", n) for n in names if n)
    assert "hidden (graded, never shown here)" in _kit(hidden_kit).coverage()
    # a function only a hidden item checks keeps its signature, not what the item says of it
    doc = ast.get_docstring(next(f for f in ast.parse(texts["problem3.py"]).body
                                 if isinstance(f, ast.FunctionDef) and f.name == "grad_variance"))
    assert doc.startswith("See the handout.")


def _reachable(kit_dir: Path) -> set[str]:
    """The kit's modules that running check.py can reach, found without the builder: the
    imports of the kit's check.py (the standard library's modulefinder, inside the kit
    only), the child that the checker's launcher starts by path, and what the child loads
    by path."""
    import modulefinder
    from grader.sandbox import launch, portable

    assert portable.PortableSandbox.__name__ in (ROOT / "grader/kit/check.py").read_text()
    assert "str(CHILD)" in inspect.getsource(portable.PortableLauncher.start)
    kit = kit_dir / "_kit"
    finder = modulefinder.ModuleFinder(path=[str(kit)])
    finder.run_script(str(kit_dir / "check.py"))
    found = {m.__file__ for m in finder.modules.values() if m.__file__}
    child = kit / "grader" / "sandbox" / launch.CHILD.name
    found.add(str(child))
    for name in re.findall(r'^\w+ = _load\("(\w+)"\)', child.read_text(), re.M):
        loaded = child.with_name(name)
        found |= _relatively_imported(loaded / "__init__.py") if loaded.is_dir() \
            else {str(loaded.with_suffix(".py"))}
    return {Path(f).resolve().relative_to(kit_dir.resolve()).as_posix() for f in found}


def _relatively_imported(init: Path) -> set[str]:
    """A package loaded by path, and the siblings its modules import (`from .x import`)."""
    found, todo = set(), [init]
    while todo:
        path = todo.pop()
        if str(path) in found or not path.is_file():
            continue
        found.add(str(path))
        todo += [init.parent / f"{node.module}.py" for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module]
    return found


def test_every_module_in_the_kit_is_one_check_py_runs(kit_dir):
    """Issue 19: the kit shipped the zygote (and its warm-up strings, reference answers)
    though check.py never starts one."""
    carried = {p.relative_to(kit_dir).as_posix() for p in (kit_dir / "_kit").rglob("*.py")}
    reachable = _reachable(kit_dir)
    assert "_kit/grader/sandbox/child.py" in reachable and "_kit/grader/engine/checks.py" in reachable
    assert "_kit/grader/sandbox/written/latex.py" in reachable
    assert carried - reachable == set()
    assert "_kit/grader/sandbox/zygote.py" not in carried


def _answer_forms(rubric) -> tuple[list[str], dict[str, float]]:
    """Every reference answer as the kit might hold it: the final math of each written
    part (and every equivalent form in reference/answers.md), as LaTeX, as plain text, as
    sympy writes it; the index equations' right sides; and the answers' constants."""
    import sympy

    from grader.leaks import Detector
    from grader.leaks.mathtext import flat as _flat
    from grader.sandbox.written import answers, final_math, parse_latex, sections

    reference = (rubric.reference_dir / "answers.md").read_text()
    parts = sections(reference)
    latex = [answers(final_math(parts[i.section].body))[-1] for i in rubric.items
             if i.kind == "expression"]
    detector = Detector(rubric, References(rubric.reference_dir))
    latex += [text for _, text, _ in detector.expressions]
    forms = []
    for text in latex:
        expression = parse_latex(text)
        forms += [_flat(text), _flat(to_plain(f"${text}$")), _flat(sympy.latex(expression)),
                  _flat(str(expression)), _flat(str(expression).replace("**", "^"))]
    for part in parts.values():
        for line in re.findall(r"^\w+\[[^\]]*\] [-+]?= (.+)$", part.body, re.M):
            forms.append(_flat(line))
    return sorted({f for f in forms if len(f) >= 4}), detector.constants


def test_no_file_of_the_kit_holds_a_reference_answer(kit_zip, rubric):
    """Issue 19: public.json held h − d, 3b's factor and 3c's ln 2 in mistake messages;
    the handout's answers.md template gave 1a's answer as its example."""
    from grader.leaks.mathtext import flat as _flat, rounds_to

    forms, constants = _answer_forms(rubric)
    assert "\\frac1d_x" in forms and "1/d_x" in forms and 0.6931 < constants["p3c"] < 0.6932
    with zipfile.ZipFile(kit_zip) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            if name.endswith(".npz"):
                with np.load(io.BytesIO(data)) as npz:
                    for key in npz.files:
                        for item, value in constants.items():
                            assert not np.isclose(np.abs(npz[key]), value, rtol=1e-9).any(), \
                                (name, key, item)
                continue
            text = data.decode("utf-8")
            flat, plain = _flat(text), _flat(to_plain(text))
            for form in forms:
                assert form not in flat and form not in plain, (name, form)
            for number in re.findall(r"(?<![\w.])\d+\.\d+", text):
                for item, value in constants.items():
                    assert not rounds_to(number, value), (name, number, item)
    meta = json.loads(zipfile.ZipFile(kit_zip).read("highways-kit/_kit/public.json"))
    messages = " ".join(m["message"] for i in meta["items"] for m in i["mistakes"])
    for leaked in ("h − d", "h - d", "ln2", "ln 2", "2^1/L", "1 + N^2 C σ_W)"):
        assert leaked not in messages, leaked


def test_a_message_that_gives_the_answer_away_is_withheld(tmp_path):
    """A rubric whose message states the answer still builds a kit, without it, and the
    builder says so (grade rubric check refuses such a rubric)."""
    data = yaml.safe_load(RUBRIC.read_text())
    data["reference"] = str(ROOT / "reference")
    data["handout"] = str(ROOT / "docs" / "handout.md")
    p3c = next(i for i in data["items"] if i["id"] == "p3c")
    p3c["mistakes"][3]["message"] = "Solving gives $\\ln 2$ (or $2^{1/L} - 1$), not 1."
    path = tmp_path / "leaky.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "kit.zip"
    proc = subprocess.run([*GRADE, "kit", "--rubric", str(path), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "p3c: mistakes.p3c_no_log's message left out: it gives the answer away" in proc.stderr
    meta = json.loads(zipfile.ZipFile(out).read("highways-kit/_kit/public.json"))
    message = next(i for i in meta["items"] if i["id"] == "p3c")["mistakes"][3]["message"]
    assert message == WITHHELD


# ------------------------------------------------------------------ public checks

def _answers(rubric, refs, **replace):
    answers = {i.id: refs.get(i.reference) for i in rubric.items
               if i.kind != "constant" and not i.written}
    return {**answers, **replace}


def test_right_answers_pass_every_public_check(kit_dir, rubric):
    kit, refs = _kit(kit_dir), References(rubric.reference_dir)
    items = {i.id: i for i in rubric.items}
    result = check(EXAMPLES / "alice", kit, TrustedSandbox(_answers(rubric, refs), items))
    assert [r.item.id for r in result.items if not r.passed] == []
    for item in rubric.items:  # and each accepted alternative
        for alternative in (item.alternatives if not item.written else ()):
            result = check(EXAMPLES / "alice", kit, TrustedSandbox(
                _answers(rubric, refs, **{item.id: refs.get(alternative)}), items))
            assert all(r.passed for r in result.items), (item.id, alternative)


def test_every_declared_mistake_fails_its_public_check_and_is_named(kit_dir, rubric):
    kit, refs = _kit(kit_dir), References(rubric.reference_dir)
    items = {i.id: i for i in rubric.items}
    for item in rubric.items:
        if item.written:  # the kit does not check answers.md
            continue
        for mistake in item.mistakes:
            result = check(EXAMPLES / "alice", kit, TrustedSandbox(
                _answers(rubric, refs, **{item.id: refs.get(mistake.reference)}), items))
            mine = next(r for r in result.items if r.item.id == item.id)
            assert not mine.passed, mistake.reference
            if mine.diagnosis is not None:  # a mistake that raises has nothing to name
                assert mine.diagnosis.message == to_plain(mistake.message), mistake.reference


def test_a_replay_draws_the_graded_inputs(kit_dir, rubric):
    kit = _kit(kit_dir)
    for item in rubric.items:
        if item.kind == "constant" or item.written:
            continue
        for seed in (0, 12345, 2**31 - 1):
            (graded,), _ = checks.plan([item], seed)
            (replayed,), _ = checks.plan([kit.item(item.id)], seed)
            assert len(graded.trials) == len(replayed.trials)
            for g, r in zip(graded.trials, replayed.trials):
                assert list(g.values) == list(r.values)
                for name in g.values:
                    assert np.array_equal(g.values[name], r.values[name]), (item.id, name)


def test_a_replay_that_cannot_be_saved_still_shows_the_trials(kit_dir, tmp_path):
    """Run from a folder the student cannot write to (C:\\Program Files, /), the replay
    ended in a PermissionError traceback, its inputs and outputs never shown."""
    out = tmp_path / "replay-p1a-1.npz"
    out.mkdir()  # not writable as a file, even by root
    lines = replay(EXAMPLES / "alice", _kit(kit_dir), "p1a", 1, 1, out)
    assert lines[2] == "trial 1 of 12 (an edge case):" and "  -> returned = " in lines[4]
    assert lines[-1].startswith(f"could not save inputs and outputs to {out} (")
    assert lines[-1].endswith("): run check.py from a folder you can write to")


def test_the_coverage_says_what_is_and_is_not_checked(kit_dir):
    # the README counts the items as the table does ("12 items" there, "0 of 14" here)
    readme = (kit_dir / "README.md").read_text(encoding="utf-8")
    assert "(14 items; 2 of them constants, checked only for being set)," in readme
    text = _kit(kit_dir).coverage()
    # 14 items, as the table counts them (issue 21): the 2 constants are only checked as set
    assert text.startswith("Public checks: 14 items, 12 of them on 3 trials each. Your "
                           "submission is graded on 12 new random trials per item.")
    assert "RELU_VARIANCE_CHANGE, ACTIVATION_LIMIT_WELL_DEFINED" in text


# ------------------------------------------------------------------ as a student runs it

@pytest.mark.slow
def test_a_student_with_only_numpy_checks_and_replays(kit_zip, numpy_only, tmp_path):
    alice = _student_kit(kit_zip, tmp_path / "a", EXAMPLES / "alice")
    run = subprocess.run([str(numpy_only), "check.py"], cwd=alice, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "highways-kit: 14 of 14 items pass the public checks" in run.stdout
    assert run.stdout.startswith("Public checks: 14 items, 12 of them on 3 trials each.")

    bob = _student_kit(kit_zip, tmp_path / "b", EXAMPLES / "bob")
    run = subprocess.run([str(numpy_only), "check.py"], cwd=bob, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    assert re.search(r"FAIL p1a +failed: the return value is wrong \(likely: You returned "
                     r"the standard deviation\)", run.stdout)
    assert "Likely mistake: You overwrote the gradient instead of adding to it" in run.stdout
    # the grader's own feedback for bob names a trial; the kit replays exactly it
    _, results = run_grade(EXAMPLES / "bob", tmp_path / "graded")
    output = by_item(results)["p2c_f"]["output"]
    command = re.search(r"python check\.py --item p2c_f --seed (\d+)", output)
    assert command, output
    seed = int(command.group(1))
    run = subprocess.run([str(numpy_only), "check.py", "--item", "p2c_f", "--seed", str(seed)],
                         cwd=bob, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "trial 1 of 12 (an edge case):" in run.stdout and "f_grad after the call" in run.stdout
    rubric = load_rubric(RUBRIC)
    (plan,), _ = checks.plan([rubric.item("p2c_f")], seed)
    with np.load(bob / f"replay-p2c_f-{seed}.npz") as saved:
        for trial in plan.trials:
            for name, value in trial.values.items():
                assert np.array_equal(saved[f"trial{trial.index + 1}/{name}"], value)
            # bob overwrites the grads: what comes back is the increment alone
            assert saved[f"trial{trial.index + 1}/f_grad_after"].shape == \
                trial.values["f_grad"].shape


@pytest.mark.slow
def test_the_kit_reports_a_missing_torch_plainly(kit_zip, numpy_only, tmp_path):
    folder = _student_kit(kit_zip, tmp_path, ROOT / "tests" / "corpus" / "c_torch_add_inplace")
    run = subprocess.run([str(numpy_only), "check.py"], cwd=folder, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 1
    assert "No module named 'torch'" in run.stdout


@pytest.mark.slow
def test_the_students_own_files_beside_check_py_never_stand_in_for_the_kits(
        kit_zip, numpy_only, tmp_path):
    """A scratch numpy.py (or random.py, queue.py) in the kit's folder, where the problem
    files go, was imported by check.py itself: the kit crashed in its own code."""
    folder = _student_kit(kit_zip, tmp_path, EXAMPLES / "alice")
    for name in ("numpy", "random", "queue", "pathlib"):
        (folder / f"{name}.py").write_text(f"raise SystemExit('the student {name}.py ran')\n")
    run = subprocess.run([str(numpy_only), "check.py"], cwd=folder, capture_output=True,
                         text=True, timeout=300)
    assert (run.returncode, run.stderr) == (0, ""), run.stderr
    assert "highways-kit: 14 of 14 items pass the public checks" in run.stdout


def _launch(kit_dir: Path) -> str:
    """check.py run in this process (sys.path and the version as the test set them):
    what it exits with."""
    code = (kit_dir / "check.py").read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as ended:
        exec(compile(code, str(kit_dir / "check.py"), "exec"),
             {"__file__": str(kit_dir / "check.py"), "__name__": "__main__"})
    return str(ended.value.code)


def test_check_py_on_a_python_too_old_or_without_numpy_says_so_in_one_line(
        kit_dir, monkeypatch):
    """macOS's own python3 is 3.9: the kit stopped deep in its modules ("'NameError'
    object has no attribute 'name'"), and on a Python without numpy with a traceback."""
    import sys

    code = (kit_dir / "check.py").read_text(encoding="utf-8")
    assert not [n for n in ast.walk(ast.parse(code)) if isinstance(n, (ast.JoinedStr,
                                                                        ast.NamedExpr))]
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "version_info", (3, 9, 6, "final", 0))
    assert _launch(kit_dir) == (
        f"check.py needs Python 3.10 or newer, and this is Python 3.9 ({sys.executable}): "
        "install a newer one (python.org, Anaconda) and run check.py with it.")
    monkeypatch.undo()
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setitem(sys.modules, "numpy", None)
    said = _launch(kit_dir)
    assert said.startswith(f"check.py needs numpy, which this Python ({sys.executable}) "
                           "could not import (")
    assert said.endswith(f'install it with `"{sys.executable}" -m pip install numpy`.')


def test_a_folder_whose_trailing_backslash_became_a_quote_is_found(kit_dir, tmp_path):
    """PowerShell passes a completed `'.\\my work\\'` on as `".\\my work\\"`: Python reads
    `.\\my work"`, and the kit said there was no such folder."""
    import sys

    folder = tmp_path / "my work"
    shutil.copytree(EXAMPLES / "alice", folder)
    run = subprocess.run([sys.executable, str(kit_dir / "check.py"), "--item", "p1a",
                          "--seed", "1", "--trial", "1", f'{folder}"'], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "trial 1 of 12 (an edge case):" in run.stdout
