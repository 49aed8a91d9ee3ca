"""A class's submission runs its Python modules one after another in one sandbox child
(`SubprocessSandbox.run_together`): each module finds the process as a child of its own
would, a module that ends badly leaves the rest to fresh children, and a class grades the
same either way."""
from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import EXAMPLES, GRADE, ROOT

from grader.sandbox import Call, Limits, ModuleJob
from grader.sandbox.process import SubprocessSandbox

MODULES = ("m1", "m2", "m3")


def _jobs(tmp_path: Path, sources: dict[str, str], calls: dict[str, list[Call]]) -> list[ModuleJob]:
    for name, source in sources.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    return [ModuleJob(tmp_path.resolve(), name, tuple(calls[name]), Limits(),
                      tuple(m for m in sources if m != name)) for name in sources]


# Which process a call ran in (every sandbox child is PID 1 of its own namespace): a
# token the first module of a process leaves where the next module's look finds it.
WHICH = """
import random, sys, types
def which():
    return sys.modules.setdefault("_process_token",
                                  types.ModuleType(str(random.getrandbits(60)))).__name__
"""


def _call(i: int, attr: str, *args, timeout: float = 5.0) -> Call:
    return Call(i, f"item{i}", attr, "call", args, timeout=timeout)


PROBE = """
    import os, sys, warnings, random
    import numpy as np
    import helper
    def probe(x):
        with np.errstate():
            over = float(np.exp(np.float64(1000.0)))  # inf, or FloatingPointError if raised
        warnings.warn("a warning")  # an error if a filter turned warnings into errors
        return [over, float(np.random.random()), random.random(), helper.VALUE, os.getcwd(),
                sorted(os.listdir(".")), os.environ.get("STUDENT_SETTING"),
                sys.getrecursionlimit(), x]
"""

CHANGER = """
    import os, sys, signal, warnings
    import numpy as np
    import helper
    np.seterr(all="raise")
    warnings.simplefilter("error")
    np.random.seed(7)
    np.random.random()
    os.environ["STUDENT_SETTING"] = "set"
    sys.setrecursionlimit(50000)
    open("left-behind.txt", "w").write("x")
    os.mkdir("folder-left-behind")
    helper.VALUE = "changed by m1"
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    def f(x):
        return x
"""


def test_what_one_module_changes_at_import_the_next_does_not_find(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 'as written'\n")
    sources = {"m1": CHANGER, "m2": PROBE, "m3": PROBE}
    calls = {"m1": [_call(0, "f", 1.0)], "m2": [_call(1, "probe", 2.0)],
             "m3": [_call(2, "probe", 3.0)]}
    sandbox = SubprocessSandbox()
    together = sandbox.run_together(_jobs(tmp_path, sources, calls))
    alone = [sandbox.run(job) for job in _jobs(tmp_path, sources, calls)]
    assert [r.processes for r in together] == [1, 1, 1]
    assert all(r.imported.status == "ok" for r in together + alone)
    for k, call_id in ((1, 1), (2, 2)):
        value = together[k].calls[call_id].value
        assert together[k].calls[call_id].status == "ok", together[k].calls[call_id]
        apart = alone[k].calls[call_id].value  # but the random draws (each process its own)
        assert value[:1] + value[3:4] + value[5:] == apart[:1] + apart[3:4] + apart[5:]
        assert value[1] != np.random.RandomState(7).random_sample(2)[1]  # not m1's seed
        assert value[0] == float("inf") and value[3] == "as written" and value[5] == []
        assert value[6] is None and value[8] == float(call_id + 1)


def test_the_modules_share_one_process_while_each_ends_cleanly(tmp_path):
    sources = {m: WHICH for m in MODULES}
    calls = {m: [_call(k, "which")] for k, m in enumerate(MODULES)}
    sandbox = SubprocessSandbox()
    runs = sandbox.run_together(_jobs(tmp_path, sources, calls))
    assert len({r.calls[k].value for k, r in enumerate(runs)}) == 1
    assert [r.module for r in runs] == list(MODULES)
    assert all("pid namespace" in r.layers for r in runs)
    apart = [sandbox.run(job) for job in _jobs(tmp_path, sources, calls)]
    assert [r.layers for r in apart] == [r.layers for r in runs]


@pytest.mark.parametrize("ending", [
    "import os\nos._exit(3)\n",  # at import
    "def f(x):\n    import os\n    os._exit(3)\n",  # in its call
    "def f(x):\n    while True:\n        pass\n",  # a call that hangs
    "import sys\nsys.stdout.flush()\nprint('x', end='')\nraise SystemExit(2)\n",  # exits
])
def test_a_module_that_ends_badly_leaves_the_next_ones_to_a_fresh_child(tmp_path, ending):
    good = WHICH + "print('output of', __name__)\ndef f(x): return [x, which()]\n"
    sources = {"m1": good, "m2": ending, "m3": good}
    calls = {"m1": [_call(0, "f", 1.0)], "m2": [_call(1, "f", 2.0, timeout=0.5)],
             "m3": [_call(2, "f", 3.0)]}
    runs = SubprocessSandbox().run_together(_jobs(tmp_path, sources, calls))
    assert runs[0].calls[0].status == "ok" and runs[2].calls[2].status == "ok"
    assert runs[2].calls[2].value[0] == 3.0
    assert runs[0].output == "output of m1\n" and runs[2].output == "output of m3\n"
    assert runs[1].calls[1].status != "ok" or runs[1].imported.status != "ok"
    if "_exit" in ending or "while" in ending:  # the child died: m3 got another
        assert runs[2].calls[2].value[1] != runs[0].calls[0].value[1]


@pytest.mark.parametrize("leaves", [
    # ends the child as it forgets this module, before the next one begins
    "import os\nclass Env(dict):\n    def clear(self):\n        os._exit(9)\nos.environ = Env(os.environ)\n",
    "import numpy as np\nnp.random.set_state = None\nimport sys\nsys.modules['bad'] = 0\n",
])
def test_what_a_module_leaves_broken_costs_the_next_nothing(tmp_path, leaves):
    """The child kept for the next module may die meanwhile, or be past repair: the next
    module is graded in a fresh child as if alone."""
    sources = {"m1": leaves + "def f(x): return x\n",
               "m2": WHICH + "def f(x): return [x, which()]\n",
               "m3": WHICH + "def f(x): return [x, which()]\n"}
    calls = {m: [_call(k, "f", float(k))] for k, m in enumerate(MODULES)}
    runs = SubprocessSandbox().run_together(_jobs(tmp_path, sources, calls))
    assert [r.imported.status for r in runs] == ["ok"] * 3
    assert [r.calls[k].status for k, r in enumerate(runs)] == ["ok"] * 3
    assert runs[1].calls[1].value[0] == 1.0 and runs[2].calls[2].value[0] == 2.0
    assert runs[1].calls[1].value[1] == runs[2].calls[2].value[1]  # then shared again


def test_a_slow_submissions_modules_go_side_by_side_as_alone(tmp_path, monkeypatch):
    """Its time budget goes as far as when it is graded alone: once its modules have taken
    a while, the rest run each in a child of its own, at the same time."""
    from grader.sandbox import process

    monkeypatch.setattr(process, "ONE_AFTER_ANOTHER", 0.5)
    slow = WHICH + "import time\ndef f(x):\n    time.sleep(1.0)\n    return [x, which()]\n"
    sources = {m: slow for m in MODULES}
    calls = {m: [_call(k, "f", float(k))] for k, m in enumerate(MODULES)}
    start = time.monotonic()
    runs = SubprocessSandbox().run_together(_jobs(tmp_path, sources, calls))
    assert time.monotonic() - start < 2.9  # 1 s, then the two others at once
    assert [r.calls[k].value[0] for k, r in enumerate(runs)] == [0.0, 1.0, 2.0]
    assert len({r.calls[k].value[1] for k, r in enumerate(runs)}) == 3


def test_the_processes_a_module_started_end_before_the_next_module(tmp_path):
    """As they would with a child of its own: the next module finds none of them."""
    starts = """
import os, sys, time, types
pid = os.fork()
if pid == 0:
    while True:
        time.sleep(0.05)
sys.modules["_started"] = types.ModuleType(str(pid))
def f(x): return x
"""
    looks = """
import os, sys
def f(x):
    pid = int(sys.modules["_started"].__name__)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "gone"
    return "running"
"""
    sources = {"m1": starts, "m2": looks}
    calls = {"m1": [_call(0, "f", 1.0)], "m2": [_call(1, "f", 2.0)]}
    runs = SubprocessSandbox().run_together(_jobs(tmp_path, sources, calls))
    assert runs[0].calls[0].value == 1.0 and runs[1].calls[1].value == "gone"


def test_forgetting_a_torch_module_imports_nothing(tmp_path):
    """Putting torch's settings back costs no import (torch.use_deterministic_algorithms
    imports torch._dynamo: half a second a submission, a class twice as long)."""
    sources = {"m1": "import torch\ndef f(x): return x\n",
               "m2": "import sys\ndef f(x): return 'torch._dynamo' in sys.modules\n"}
    calls = {"m1": [_call(0, "f", 1.0)], "m2": [_call(1, "f", 2.0)]}
    runs = SubprocessSandbox().run_together(_jobs(tmp_path, sources, calls))
    assert runs[0].calls[0].value == 1.0 and runs[1].calls[1].value is False


def test_the_harness_finds_numpy_random_imported(tmp_path):
    """Saving numpy's random state between modules imports nothing either: numpy.random
    (with hashlib and OpenSSL, 12 ms a child) comes with the zygote, so that even a
    child of its own finds it imported."""
    source = "import sys\nAT_IMPORT = 'numpy.random' in sys.modules\ndef f(x): return AT_IMPORT\n"
    job, = _jobs(tmp_path, {"m1": source}, {"m1": [_call(0, "f", 1.0)]})
    assert SubprocessSandbox().run(job).calls[0].value is True  # a child of its own


def test_each_module_keeps_its_own_output(tmp_path):
    sources = {m: f"print('import of {m}')\ndef f(x):\n    print('call of {m}')\n    return x\n"
               for m in MODULES}
    calls = {m: [_call(k, "f", float(k))] for k, m in enumerate(MODULES)}
    runs = SubprocessSandbox().run_together(_jobs(tmp_path, sources, calls))
    assert [r.output for r in runs] == [f"import of {m}\ncall of {m}\n" for m in MODULES]


def test_a_hidden_call_ends_the_sharing(tmp_path):
    """Nothing that ran once a hidden item's inputs were in the process may run code of
    the submission whose output is shown: the next module gets a fresh child."""
    sources = {m: WHICH + "def f(x): return which()\n" for m in MODULES}
    calls = {"m1": [_call(0, "f", 1.0)],
             "m2": [_call(1, "f", 2.0), Call(2, "hid", "f", "call", (3.0,), hidden=True)],
             "m3": [_call(3, "f", 4.0)]}
    runs = SubprocessSandbox().run_together(_jobs(tmp_path, sources, calls))
    pids = [runs[0].calls[0].value, runs[1].calls[1].value, runs[1].calls[2].value,
            runs[2].calls[3].value]
    assert pids[0] == pids[1] == pids[2] != pids[3]


@pytest.mark.slow
def test_a_class_grades_the_same_as_each_submission_alone(tmp_path):
    """Correct styles, broken submissions and mutants of the corpus, graded as a class
    (their modules together) and alone (a process a module): the same scores, item by item."""
    corpus = sorted(p for p in (ROOT / "tests" / "corpus").iterdir() if p.is_dir())
    styles = [p for p in corpus if p.name.startswith(("c_", "b_"))][::2] + \
        [p for p in corpus if p.name.startswith("m_")][::4]
    for style in styles:
        shutil.copytree(style, tmp_path / "class" / style.name)
    subprocess.run([*GRADE, str(tmp_path / "class"), "--out", str(tmp_path / "out"),
                    "--jobs", "2"], check=True, capture_output=True, cwd=ROOT, timeout=600)
    for style in styles:
        out = tmp_path / "alone" / style.name
        subprocess.run([*GRADE, str(style), "--out", str(out)], capture_output=True, cwd=ROOT,
                       timeout=300)
        together = json.loads((tmp_path / "out" / style.name / "results.json").read_text())
        alone = json.loads((out / "results.json").read_text())
        assert {t["name"]: t["score"] for t in together["tests"]} == \
            {t["name"]: t["score"] for t in alone["tests"]}, style.name


class _Spy(SubprocessSandbox):
    def __init__(self) -> None:
        super().__init__()
        self.alone: list[str] = []
        self.together: list[list[str]] = []

    def run(self, job: ModuleJob):
        self.alone.append(job.module)
        return super().run(job)

    def run_together(self, jobs: list[ModuleJob]):
        self.together.append([job.module for job in jobs])
        return super().run_together(jobs)


def test_a_class_runs_a_submissions_modules_together_and_one_submission_apart(tmp_path,
                                                                           rubric):
    """In a class (share: what a class worker asks) the Python modules go to one child,
    answers.md beside them; graded alone (and on Gradescope), a child a module."""
    from grader.pipeline import Request, grade

    runs = {}
    for share in (True, False):
        spy = _Spy()
        result = grade(Request(EXAMPLES / "alice", tmp_path / str(share), rubric, None, (),
                               share=share), spy)
        runs[share] = (spy.together, sorted(spy.alone), sum(i.score for i in result.items))
    assert runs[True][:2] == ([["problem1", "problem2", "problem3"]], ["answers"])
    assert runs[False][:2] == ([], ["answers", "problem1", "problem2", "problem3"])
    assert runs[True][2] == runs[False][2]


def test_inputs_of_one_module_are_its_own(tmp_path):
    """A module's arrays are fresh copies, whichever module ran before in the process."""
    sources = {"m1": "def f(x):\n    x[:] = 0\n    return x\n",
               "m2": "def f(x): return float(x.sum())\n"}
    calls = {"m1": [_call(0, "f", np.ones(3))], "m2": [_call(1, "f", np.ones(3))]}
    runs = SubprocessSandbox().run_together(_jobs(tmp_path, sources, calls))
    assert runs[1].calls[1].value == 3.0
