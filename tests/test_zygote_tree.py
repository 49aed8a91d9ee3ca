"""A class's zygotes as one tree (issue 26): the first (here the written answers') forks
the others off as it imports what they share, so that numpy, the harness and sympy are
imported once, not once a zygote; each still serves on its own door, a dead one is
noticed and replaced as before, and the first takes the others with it when it dies."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import test_preload

from grader.sandbox.launch import NUMPY, TORCH, Kind, ZygoteLauncher

PRELOAD = ("scipy", "scipy.signal")
WRITTEN = Kind(written=True, eager=True)
# What a student module reports: which libraries were there before its own imports ran
# (torch's name in two parts: a module that names it forks from torch's zygote).
PROBE = """\
import sys
BEFORE = sorted(m for m in ("scipy.signal", "sympy", "tor" + "ch") if m in sys.modules)
{imports}
def before():
    return ",".join(BEFORE)
"""


@pytest.fixture
def tree():
    made = ZygoteLauncher(preload=PRELOAD, many=True)
    made.warm_up(torch=True, written=True)
    yield made
    for zygote in made.zygotes.values():
        zygote.close()


def _run(launcher: ZygoteLauncher, tmp_path: Path, imports: str, name: str) -> str:
    return test_preload._run(launcher, tmp_path, imports, name, PROBE)


def _forked_by(pid: int, expect: int, within: float = 60.0) -> dict[str, int]:
    """The zygotes `pid` forked, by what they hold (torch's library, scipy's, neither),
    once there are `expect` of them (those that share sympy fork once it is imported)."""
    end = time.monotonic() + within
    while True:
        found = {}
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) \
                        != pid or b"zygote.py" not in Path(f"/proc/{entry}/cmdline").read_bytes():
                    continue
                maps = Path(f"/proc/{entry}/maps").read_text()
            except (OSError, ValueError, IndexError):
                continue
            found["torch" if "libtorch" in maps else "scipy" if "/scipy/" in maps
                  else "numpy"] = int(entry)
        if len(found) >= expect or time.monotonic() > end:
            return found
        time.sleep(0.1)


def test_a_class_starts_its_zygotes_as_one_tree(tree, tmp_path):
    first = tree.zygotes[WRITTEN]
    assert set(tree.zygotes) == {NUMPY, TORCH, Kind(preload=PRELOAD), WRITTEN}
    assert first.proc is not None and not first.forked
    assert all(z.forked and z.proc is None for k, z in tree.zygotes.items() if k != WRITTEN)
    assert set(_forked_by(first.proc.pid, 3)) == {"torch", "scipy", "numpy"}
    assert _run(tree, tmp_path, "import scipy.signal", "a") == "scipy.signal"
    assert _run(tree, tmp_path, "import numpy", "b") == ""  # the light one's: no sympy either
    assert _run(tree, tmp_path, "import torch\nBACKEND = 'torch'", "c") == "sympy,torch"
    assert all(z.alive() for z in tree.zygotes.values())


def test_the_first_ends_after_the_others_once_hung_up_on(tree):
    first = tree.zygotes[WRITTEN]
    others = _forked_by(first.proc.pid, 3)
    for zygote in tree.zygotes.values():
        zygote.door.close()
    assert first.proc.wait(30) == 0
    for pid in others.values():  # reaped by the first before it ended
        assert not Path(f"/proc/{pid}").exists() or \
            Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"


def test_a_dead_zygote_of_the_tree_is_noticed_and_left_or_replaced(tree, tmp_path):
    """As a zygote of its own would be: the preloading one's modules fork from the light
    one; torch's modules get a torch zygote of their own."""
    others = _forked_by(tree.zygotes[WRITTEN].proc.pid, 3)
    for name in ("scipy", "torch"):
        os.kill(others[name], signal.SIGKILL)
    time.sleep(0.5)
    assert not tree.zygotes[Kind(preload=PRELOAD)].alive()
    assert _run(tree, tmp_path, "import scipy.signal", "a") == ""  # it imports its own
    assert Kind(preload=PRELOAD) in tree.failed
    assert _run(tree, tmp_path, "import torch\nBACKEND = 'torch'", "b") == "sympy,torch"
    assert tree.zygotes[TORCH].proc is not None  # started on its own
    tree.zygotes[TORCH].close()


def test_the_others_die_with_the_first(tree, tmp_path):
    first = tree.zygotes[WRITTEN]
    others = _forked_by(first.proc.pid, 3)
    first.proc.kill()
    first.proc.wait()
    end = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in others.values()) and \
            time.monotonic() < end:
        time.sleep(0.05)
    assert not any(tree.zygotes[k].alive() for k in (NUMPY, TORCH))
    assert _run(tree, tmp_path, "import numpy", "a") == ""  # a new light zygote's child
    assert tree.zygotes[NUMPY].proc is not None
