"""Zygotes that preload what a class imports (issue 26): which libraries a class's files
import is read as text, never run; the modules that import one of them fork from a zygote
that has imported them, the others from the light one; a library that is missing or starts
a thread costs the speed-up, never a child."""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT
from grader.classroom.run import grade_class
from grader.sandbox import Call, Limits, ModuleJob, preload, warm
from grader.sandbox.launch import NUMPY, Kind, ZygoteLauncher, base_env
from grader.sandbox.process import SubprocessSandbox

SIGNAL = ("scipy", "scipy.signal")
# What a student module reports: which libraries were there before its own imports ran.
PROBE = """\
import sys
BEFORE = sorted(m for m in ("scipy", "scipy.signal", "sympy", "matplotlib.pyplot")
                if m in sys.modules)
{imports}
def before():
    return ",".join(BEFORE)
"""


def test_imports_are_read_from_the_text_in_every_form():
    source = textwrap.dedent("""\
        import numpy as np, scipy.signal as sg
        from scipy import ndimage, special as sp
        from scipy.stats import norm
        from matplotlib import pyplot as plt
            import sympy  # inside a function
        # import scipy.optimize (a comment)
        from os import path
        import scipyx, mysympy
    """).encode()
    assert preload.modules_in(source) == {"scipy", "scipy.signal", "scipy.ndimage",
                                          "scipy.special", "scipy.stats", "matplotlib",
                                          "matplotlib.pyplot", "sympy"}


def test_a_class_preloads_what_at_least_two_students_import(tmp_path):
    students = []
    for i, line in enumerate(["import scipy.signal", "from scipy import signal, ndimage",
                              "import sympy", "import numpy"]):
        folder = tmp_path / f"s{i}"
        folder.mkdir()
        (folder / "problem1.py").write_text(line + "\n")
        students.append(folder)
    (students[3] / "answers.md").write_text("## 1a\n\n$$1$$\n")
    assert preload.survey(students) == (("scipy.signal",), True)
    assert preload.survey(students[:2]) == (("scipy.signal",), False)
    assert preload.survey(students[2:3]) == (("sympy",), False)  # alone: all it imports
    assert preload.survey([students[3]]) == ((), True)


def _run(launcher: ZygoteLauncher, tmp_path: Path, imports: str, name: str,
         probe: str = PROBE) -> str:
    """What a module made of `probe` (with `imports`) reports, run in a child of `launcher`."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "mod.py").write_text(probe.format(imports=imports))
    job = ModuleJob(folder.resolve(), "mod", (Call(0, "i0", "before", "call", (),
                                                    timeout=30.0),),
                    Limits(import_timeout=60.0))
    run = SubprocessSandbox(launcher=launcher).run(job)
    assert run.imported.status == "ok", run.imported
    assert "forked from a pre-started interpreter" in run.layers
    return run.calls[0].value


@pytest.fixture
def launcher():
    made = ZygoteLauncher(preload=SIGNAL)
    yield made
    for zygote in made.zygotes.values():
        zygote.close()


def test_modules_importing_the_class_libraries_fork_from_the_zygote_that_has_them(
        launcher, tmp_path):
    launcher.warm_up()
    assert set(launcher.zygotes) == {NUMPY, Kind(preload=SIGNAL)}
    assert _run(launcher, tmp_path, "from scipy import signal", "a") == "scipy,scipy.signal"
    assert _run(launcher, tmp_path, "import numpy", "b") == ""  # the light zygote's child
    assert _run(launcher, tmp_path, "import sympy", "c") == ""  # not this class's: its own


def test_a_dead_preloading_zygote_leaves_its_modules_to_the_light_one(launcher, tmp_path):
    launcher.warm_up()
    preloading = launcher.zygotes[Kind(preload=SIGNAL)]
    preloading.proc.kill()
    preloading.proc.wait()
    assert _run(launcher, tmp_path, "import scipy.signal", "a") == ""  # it imports its own
    assert _run(launcher, tmp_path, "import scipy.signal", "b") == ""
    assert Kind(preload=SIGNAL) not in launcher.zygotes  # not started again for each child
    assert launcher.kind(imports=frozenset(SIGNAL)) == NUMPY


def test_zygotes_hung_up_on_end_and_a_later_sandbox_starts_them_again(launcher, tmp_path):
    """A class run hangs up on its zygotes as soon as its workers are done (they end
    while its pages are written); a sandbox used after that starts new ones, the
    preloading one too: hung up on is not dead."""
    from grader.sandbox import launch

    launcher.warm_up()
    before = dict(launcher.zygotes)
    launch.hang_up_zygotes()
    for zygote in before.values():
        assert zygote.proc.wait(20) == 0  # each ended on its own, having been hung up on
    assert _run(launcher, tmp_path, "from scipy import signal", "a") == "scipy,scipy.signal"
    assert launcher.zygotes[Kind(preload=SIGNAL)] is not before[Kind(preload=SIGNAL)]
    assert not launcher.failed


def _preload_with(tmp_path: Path, library: str) -> subprocess.CompletedProcess:
    """warm.preload(["scipy", "sympy"]) in a fresh interpreter in which `scipy` is the
    package whose __init__ is `library`."""
    fake = tmp_path / "fake" / "scipy"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(library)
    code = (f"import sys; sys.path.insert(0, {str(fake.parent)!r}); "
            f"sys.path.insert(0, {str(Path(warm.__file__).parent)!r}); import warm; "
            "print(warm.preload(['scipy', 'sympy']))")
    return subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                          env=base_env(), timeout=120)  # a zygote's: one thread each


def test_a_library_that_cannot_be_imported_is_left_to_the_children(tmp_path):
    done = _preload_with(tmp_path, "raise ImportError('no compiled parts')\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['sympy']"


def test_a_library_that_starts_a_thread_ends_the_zygote(tmp_path):
    done = _preload_with(tmp_path, "import threading, time\n"
                                   "threading.Thread(target=time.sleep, args=(60,), "
                                   "daemon=True).start()\n")
    assert done.returncode != 0
    assert "started a thread; forking would not be safe" in done.stderr


class _Recording(SubprocessSandbox):
    """A sandbox class whose `ready_for` records what a class run asks of it."""

    asked: list[dict] = []

    @classmethod
    def ready_for(cls, **kw):
        cls.asked.append(kw)
        return SubprocessSandbox.ready_for(**kw)


def test_a_class_run_starts_the_zygotes_its_students_need(rubric, tmp_path):
    klass = tmp_path / "class"
    for name in ("s1", "s2"):  # scipy.signal and scipy.special, in problem2 and problem3
        shutil.copytree(ROOT / "tests" / "corpus" / "c_scipy_signal", klass / name)
    shutil.copytree(EXAMPLES / "alice", klass / "s3")  # numpy only, and an answers.md
    shutil.copytree(ROOT / "tests" / "corpus" / "c_torch_add_inplace", klass / "s0")
    _Recording.asked.clear()
    run = grade_class(klass, tmp_path / "out", rubric, _Recording, seed=0, jobs=1)
    assert _Recording.asked == [dict(torch=True, written=True, many=True,
                                     preload=("scipy", "scipy.signal", "scipy.special"))]
    # one worker: graded in the order handed out, the zygotes that take longest to warm
    # up (libraries, then torch) needed last
    assert list(run.results) == ["s3", "s1", "s2", "s0"]
    assert {name: result["score"] for name, result in run.results.items()} == \
        {"s0": 18, "s1": 18, "s2": 18, "s3": 28}


def test_the_written_zygote_warm_up_leaves_nothing_for_a_child_to_import():
    """The answers' zygote reads a neutral document every step of the way (written/
    __init__.py, `warm_answers`): reading the reference's answers after it imports no
    module (lambdify's printers, sympy's lazily imported parts), each child would
    otherwise import them again (tens of milliseconds a student)."""
    script = textwrap.dedent(f"""
        import importlib.util, sys
        import numpy as np
        sys.path.insert(0, {str(ROOT / "grader" / "sandbox")!r})
        folder = {str(ROOT / "grader" / "sandbox" / "written")!r}
        spec = importlib.util.spec_from_file_location(
            "_grader_written", folder + "/__init__.py", submodule_search_locations=[folder])
        written = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = written
        spec.loader.exec_module(written)
        written.warm_parser()
        values = written.warm_answers()
        assert all(np.all(np.isfinite(v)) for v in values), values
        before = set(sys.modules)
        from grader.rubric.model import load_rubric
        from grader.engine import checks
        after_grader = set(sys.modules)
        items = [i for i in load_rubric({str(ROOT / "rubrics" / "highways.yaml")!r}).model.items
                 if i.kind in ("expression", "index")]
        _, calls = checks.plan(items, 5)
        made = written.WrittenAnswers("/", open({str(ROOT / "reference" / "answers.md")!r}).read())
        for call in calls:
            made.function(call.spec)(*call.args)
        print(sorted(set(sys.modules) - after_grader))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
