"""What an earlier module of a class's submission may leave in the child it shares with the
next (`SubprocessSandbox.run_together`): each case is something a student's module does,
often honestly, after which the next module must be graded as it is alone, in a child of
its own."""
from __future__ import annotations

import time
from dataclasses import replace

import pytest
from test_together import WHICH, _call, _jobs

from grader.sandbox import process
from grader.sandbox.process import SubprocessSandbox

FAST = "def f(x):\n    return x\n"


def _compared(tmp_path, first: str, second: str, *args):
    """The second module's answer after `first` in the shared child, and alone."""
    sources = {"m1": first + "\n" + FAST, "m2": second}
    calls = {"m1": [_call(0, "f", 0.0)], "m2": [_call(1, "f", *args)]}
    sandbox = SubprocessSandbox()
    together = sandbox.run_together(_jobs(tmp_path, sources, calls))
    alone = sandbox.run(_jobs(tmp_path, sources, calls)[1])
    assert together[0].calls[0].status == "ok", together[0].calls[0]
    return together[1], alone


def test_a_slow_module_leaves_the_next_ones_their_time_budget(tmp_path, monkeypatch):
    """An honest but slow module, each call in time, that uses most of the submission's
    budget: graded alone, the modules after it run beside it from the start and are
    graded; in a class they must not wait for it past the budget."""
    monkeypatch.setattr(process, "ONE_AFTER_ANOTHER", 1.0)
    sandbox = SubprocessSandbox()
    sandbox.run(_jobs(tmp_path, {"m0": FAST}, {"m0": [_call(9, "f", 0.0)]})[0])  # warm
    slow = WHICH + "import time\ndef f(x):\n    time.sleep(0.6)\n    return which()\n"
    sources = {"m1": WHICH + "def f(x):\n    return which()\n", "m2": slow, "m3": FAST}
    calls = {"m1": [_call(0, "f", 0.0)], "m2": [_call(k, "f", float(k)) for k in range(1, 7)],
             "m3": [_call(7, "f", 7.0)]}
    deadline = time.monotonic() + 3.0
    runs = sandbox.run_together([replace(job, deadline=deadline)
                                 for job in _jobs(tmp_path, sources, calls)])
    assert runs[0].calls[0].value == runs[1].calls[1].value  # m2 followed m1 in its child
    assert runs[1].calls[6].status == "not_run"  # the budget ran out during m2
    assert runs[2].calls[7].status == "ok" and runs[2].calls[7].value == 7.0


@pytest.mark.parametrize("timer", ["ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF"])
def test_a_timer_left_running_does_not_end_the_next_module(tmp_path, timer):
    """A timeout the student set at import (signal.alarm, setitimer) and never cancelled
    ends their own child alone; in the shared child it must not end the next module's."""
    first = f"import signal\nsignal.setitimer(signal.{timer}, 0.3)\n"
    spins = "import time\ndef f(x):\n    end = time.monotonic() + 0.8\n" \
        "    while time.monotonic() < end:\n        pass\n    return x\n"
    together, alone = _compared(tmp_path, first, spins, 1.0)
    assert alone.calls[1].status == "ok"
    assert together.calls[1].status == "ok", together.calls[1]


SETTINGS = """
import decimal
import numpy as np
import torch
def f(x):
    return [torch.are_deterministic_algorithms_enabled(), torch.is_anomaly_enabled(),
            float(torch.tensor([1e-310], dtype=torch.float64)[0] * 1.0),
            str(torch.ones(1).device), str(torch.tensor([1.23456])), str(np.array([1.23456])),
            str(decimal.Decimal(1) / decimal.Decimal(3))]
"""

CHANGES = """
import decimal
import numpy as np
import torch
torch.use_deterministic_algorithms(True)
torch.autograd.set_detect_anomaly(True)
torch.set_flush_denormal(True)
torch.set_default_device("cpu")
torch.set_printoptions(precision=1)
np.set_printoptions(precision=1)
decimal.getcontext().prec = 5
"""


def test_library_settings_of_one_module_are_not_the_next_ones(tmp_path):
    """Settings students set at import for reproducibility, debugging or printing."""
    together, alone = _compared(tmp_path, CHANGES, SETTINGS, 1.0)
    assert alone.calls[1].status == "ok", alone.calls[1]
    assert together.calls[1].value == alone.calls[1].value


def test_a_setting_that_can_be_made_once_per_process(tmp_path):
    """torch.set_num_interop_threads raises when called a second time in a process: the
    next module, which calls it at import as every module of the student does, imports."""
    once = "import torch\ntorch.set_num_interop_threads(1)\n"
    together, alone = _compared(tmp_path, once, once + FAST, 1.0)
    assert alone.imported.status == "ok"
    assert together.imported.status == "ok", together.imported
    assert together.calls[1].value == 1.0


def test_a_thread_left_running_is_not_the_next_modules(tmp_path):
    """A thread the module started (a progress printer, a background worker) takes CPU
    from the next module and prints in its output: the next module gets a child without it."""
    first = "import threading, time\ndef work():\n    while True:\n        time.sleep(0.01)\n" \
        "threading.Thread(target=work, daemon=True).start()\n"
    counts = "import threading\ndef f(x):\n    return threading.active_count()\n"
    together, alone = _compared(tmp_path, first, counts, 1.0)
    assert together.calls[1].value == alone.calls[1].value == 1


def test_a_module_written_in_the_working_folder_is_forgotten(tmp_path):
    """A helper module a module writes into its working folder and imports from there."""
    def writes(value: int) -> str:
        return f"import os, sys\nopen('gen.py', 'w').write('VALUE = {value}')\n" \
            "sys.path.insert(0, os.getcwd())\nimport gen\n"
    together, alone = _compared(tmp_path, writes(1), writes(2) + "def f(x):\n    return gen.VALUE\n",
                                1.0)
    assert alone.calls[1].value == 2
    assert together.calls[1].value == 2


def test_a_helper_in_a_folder_without_init_is_imported_again(tmp_path):
    """helpers/state.py with no helpers/__init__.py (a namespace package, which has no
    __file__): `from helpers import state` in the next module must not find the module
    the one before changed, through the package's attribute."""
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "state.py").write_text("COUNT = [0]\n")
    uses = "from helpers import state\nstate.COUNT[0] += 1\n"
    together, alone = _compared(tmp_path, uses, uses + "def f(x):\n    return state.COUNT[0]\n",
                                1.0)
    assert alone.calls[1].value == 1
    assert together.calls[1].value == 1


def test_a_module_whose_leftovers_hang_as_they_go_costs_the_next_nothing(tmp_path):
    """An object of the module's whose __del__ never returns, run as the child forgets the
    module: the next module is not charged a time-out at its import."""
    first = "class Slow:\n    def __del__(self):\n        while True:\n            pass\n" \
        "class Cycle:\n    pass\nCYCLE = Cycle()\nCYCLE.me, CYCLE.slow = CYCLE, Slow()\n"
    sources = {"m1": first + FAST, "m2": FAST}
    calls = {"m1": [_call(0, "f", 0.0)], "m2": [_call(1, "f", 1.0)]}
    jobs = [replace(job, limits=replace(job.limits, import_timeout=2.0))
            for job in _jobs(tmp_path, sources, calls)]
    runs = SubprocessSandbox().run_together(jobs)
    assert runs[1].imported.status == "ok", runs[1].imported
    assert runs[1].calls[1].value == 1.0
