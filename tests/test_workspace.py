"""Where the grader's scratch folders go: the temporary folder, or for a class a tmpfs in
memory when there is one with room (grader/disk/workspace.py); and the sweep of those a
dead grader left, in either place."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import EXAMPLES, GRADE

from grader.disk import workspace


def test_memory_is_a_tmpfs_with_room(monkeypatch, tmp_path):
    """/dev/shm qualifies only as a tmpfs with MEMORY_FREE bytes free; a folder on disk
    never does, nor a tmpfs too small (a container's 64 MB)."""
    mounts = Path("/proc/self/mounts").read_text().split("\n")
    shm = [line.split() for line in mounts if line.split()[1:2] == ["/dev/shm"]]
    tmpfs = bool(shm) and shm[-1][2] == "tmpfs" and "noexec" not in shm[-1][3].split(",")
    monkeypatch.setattr(workspace, "MEMORY_FREE", 1)
    assert workspace.memory_root() == (Path("/dev/shm") if tmpfs else None)
    monkeypatch.setattr(workspace, "MEMORY_FREE", 1 << 60)  # more than any machine has
    assert workspace.memory_root() is None
    monkeypatch.setattr(workspace, "MEMORY_FREE", 1)
    monkeypatch.setattr(workspace, "MEMORY", tmp_path)  # on disk: no mount of its own
    assert workspace.memory_root() is None


def test_in_memory_moves_the_scratch_folders_and_puts_them_back(tmp_path):
    default = workspace.root()
    with workspace.in_memory(tmp_path):
        with workspace.folder("probe") as made:
            assert made.parent == tmp_path and (made / workspace.LOCK).exists()
        assert not made.exists()
    assert workspace.root() == default
    with workspace.in_memory(None):
        assert workspace.root() == default


def test_a_class_works_in_memory_when_it_can(tmp_path):
    """The class's workers copy each submission under memory_root() when there is one
    (the module's own file says where it was imported from), else in the temporary
    folder; one submission alone always in the temporary folder."""
    klass = tmp_path / "class"
    for name in ("ann", "bob"):
        shutil.copytree(EXAMPLES / "alice", klass / name)
        (klass / name / "answers.md").unlink()
        source = klass / name / "problem1.py"
        source.write_text('print("WHERE", __file__)\n' + source.read_text())
    out = tmp_path / "out"
    subprocess.run([*GRADE, str(klass), "--out", str(out), "--jobs", "2"], check=True,
                   capture_output=True)
    expected = workspace.memory_root() or Path(tempfile.gettempdir())
    for name in ("ann", "bob"):
        record = json.loads((out / name / ".result.json").read_text())
        printed = next(m["output"] for m in record["modules"] if m["module"] == "problem1")
        where = Path(printed.split()[1])
        assert where.is_relative_to(expected) and where.parent.parent.name.startswith("hwg-mod-")
        assert not where.parent.parent.exists()  # and removed after
    alone = tmp_path / "alone"
    subprocess.run([*GRADE, str(klass / "ann"), "--out", str(alone)], check=True,
                   capture_output=True)
    record = json.loads((alone / ".result.json").read_text())
    printed = next(m["output"] for m in record["modules"] if m["module"] == "problem1")
    assert Path(printed.split()[1]).is_relative_to(tempfile.gettempdir())


def test_the_sweep_looks_in_memory_too(monkeypatch, tmp_path):
    """A dead grader's folder in memory holds memory until someone removes it: the next
    grader's sweep does, and leaves a live one's alone."""
    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.setattr(workspace, "MEMORY", memory)
    dead = memory / "hwg-sub-dead"
    (dead / "submission").mkdir(parents=True)
    (dead / workspace.LOCK).write_text("")
    old = time.time() - 2 * workspace.YOUNG
    os.utime(dead, (old, old))
    with workspace.in_memory(memory), workspace.folder("sub") as live:
        os.utime(live, (old, old))
        removed = workspace.sweep()
        assert dead in removed and not dead.exists()
        assert live.exists() and live not in removed
