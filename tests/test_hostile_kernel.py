"""Kernel objects that could outlive or bypass a sandbox (issue 10, families 4 and 5):
shared memory, SysV segments and queues, keyrings, new namespaces and other system calls
a sandbox never needs, other sandboxes' files, disk, and scratch folders of dead graders.

A student whose forbidden call succeeds returns a wrong value, so every item at full
marks means every such call failed."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import GRADE, ROOT, ours, short_items
from hostile import build, grade_with_peak, ipc_objects, leftovers

pytestmark = pytest.mark.slow

LIBC = """
import ctypes, errno, os
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
def _sys(*args):
    result = _libc.syscall(*args)
    return result, ctypes.get_errno()
"""
# x86_64 numbers: each must fail inside the sandbox with EPERM (most succeed for root, and
# keyrings, io_uring and user namespaces for anyone, where there is no filter).
FORBIDDEN = {
    "unshare(CLONE_NEWUSER)": "_sys(272, 0x10000000)",
    "unshare(CLONE_NEWNS)": "_sys(272, 0x00020000)",
    "clone(CLONE_NEWUSER)": "_sys(56, 0x10000000 | 17, 0, 0, 0, 0)",
    "keyctl(JOIN_SESSION_KEYRING)": "_sys(250, 1, None)",
    "add_key(user keyring)": "_sys(248, b'user', b'hwg', b'secret', 6, -4)",
    "request_key": "_sys(249, b'user', b'hwg', None, -4)",
    "io_uring_setup": "_sys(425, 8, ctypes.create_string_buffer(120))",
    "ptrace(TRACEME)": "_sys(101, 0, 0, 0, 0)",
    "bpf": "_sys(321, 0, ctypes.create_string_buffer(128), 128)",
    "perf_event_open": "_sys(298, ctypes.create_string_buffer(128), 0, -1, -1, 0)",
    "mount tmpfs": "_sys(165, b'none', b'.', b'tmpfs', 0, None)",
    "memfd_create": "_sys(319, b'x', 0)",
    "userfaultfd": "_sys(323, 0)",
}


def _all_denied_body() -> str:
    tries = ", ".join(f"({name!r}, lambda: {call})" for name, call in FORBIDDEN.items())
    return (f"got = [(n, *f()) for n, f in [{tries}]]\n"
            "    allowed = [n for n, r, e in got if r >= 0 or e not in (errno.EPERM, errno.ENOSYS)]\n"
            "    if allowed:\n"
            "        print('ALLOWED', allowed)\n"
            "        return -1.0\n"
            "    return 1.0 / d_x")


def _grade(files: dict, tmp_path: Path, rubric: Path, **kw) -> dict:
    build(files, tmp_path / "sub", {})
    proc, _ = grade_with_peak(tmp_path / "sub", tmp_path / "out", "--rubric", str(rubric), **kw)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert "internal_error" not in results["extra_data"]
    assert leftovers() == [] and ipc_objects() == []
    return results


def test_system_calls_a_sandbox_never_needs_are_denied(fast_rubric, tmp_path):
    results = _grade({"@problem1.py": LIBC, "problem1.py": ("init_variance", _all_denied_body())},
                     tmp_path, fast_rubric)
    assert short_items(results) == set(), (tmp_path / "out" / "report.html").read_text()[-3000:]
    layers = results["extra_data"]["sandbox_layers"]
    assert {"seccomp filter", "ipc namespace", "disk quota", "address space limit"} <= set(layers)


def test_shared_memory_counts_against_the_memory_limit(fast_rubric, tmp_path):
    body = textwrap.dedent("""\
        import mmap
        m = mmap.mmap(-1, 3 << 30, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
        for i in range(0, len(m), 1 << 20):
            m[i] = 1
        return 1.0 / d_x""").replace("\n", "\n    ")
    results = _grade({"problem1.py": ("init_variance", body)}, tmp_path, fast_rubric,
                     memory_gb=8)
    assert short_items(results) == {"p1a"}
    p1a = next(t for t in results["tests"] if t["extra_data"]["item"] == "p1a")
    assert "ran out of memory (limit 512 MiB)" in p1a["output"]


SYSV = LIBC + """
def _segment_and_queue():
    shm = _libc.shmget(0x4857, 1 << 30, 0o1666)  # IPC_CREAT | 0666, 1 GiB, never removed
    queue = _libc.msgget(0x4858, 0o1666)
    message = ctypes.create_string_buffer(b"\\x01\\0\\0\\0\\0\\0\\0\\0secret from the sender")
    _libc.msgsnd(queue, message, 24, 0o4000)  # IPC_NOWAIT
    return shm, queue
def _receive():
    queue = _libc.msgget(0x4858, 0)
    buf = ctypes.create_string_buffer(64)
    got = _libc.msgrcv(queue, buf, 56, 0, 0o4000) if queue >= 0 else -1
    return buf.raw[8:30] if got > 0 else b""
"""


def test_sysv_objects_die_with_the_sandbox_and_carry_nothing_to_the_next(fast_rubric,
                                                                         tmp_path):
    """Sender and receiver graded in one class: the receiver hears nothing, and no
    segment or queue is left in the grader's namespace afterwards."""
    klass, out = tmp_path / "class", tmp_path / "out"
    build({"@problem1.py": SYSV, "problem1.py": ("init_variance", (
        "shm, queue = _segment_and_queue()\n"
        "    return 1.0 / d_x if shm >= 0 and queue >= 0 else -1.0"))}, klass / "a_sender", {})
    build({"@problem1.py": SYSV, "problem1.py": ("init_variance", (
        "heard = _receive()\n    print('HEARD', heard)\n"
        "    return -1.0 if heard else 1.0 / d_x"))}, klass / "b_receiver", {})
    proc = subprocess.run([*GRADE, str(klass), "--out", str(out), "--jobs", "1", "--rubric",
                           str(fast_rubric)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for student in ("a_sender", "b_receiver"):
        results = json.loads((out / student / "results.json").read_text())
        assert short_items(results) == set(), student
    assert "secret" not in (out / "b_receiver" / "report.html").read_text()
    assert ipc_objects() == [] and leftovers() == []


DISK = textwrap.dedent("""\
    import os
    written = 0
    for i in range(40):  # 40 files of 15 MiB: under the per-file limit, 600 MiB in all
        try:
            with open(f"f{i}", "wb") as fh:
                fh.write(b"0" * (15 << 20))
            written += 1
        except OSError:
            break
    for place in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            with open(os.path.join(place, "hwg-escape"), "wb") as fh:
                fh.write(b"x")
            return -1.0
        except OSError:
            pass
    with open("last", "wb") as fh:
        fh.write(b"0" * (15 << 20))""").replace("\n", "\n    ")


def test_a_quota_covers_everything_a_sandbox_writes(fast_rubric, tmp_path):
    results = _grade({"problem3.py": ("layer_variance", DISK)}, tmp_path, fast_rubric)
    assert short_items(results) == {"p3a"}
    p3a = next(t for t in results["tests"] if t["extra_data"]["item"] == "p3a")
    assert "filled its disk quota (64 MiB for all the files it writes)" in p3a["output"]
    for place in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not os.path.exists(os.path.join(place, "hwg-escape"))


def _in_use(folder: Path) -> bool:
    """Whether a live process holds the folder's lock (grader/disk/workspace.py)."""
    import fcntl

    try:
        fd = os.open(folder / ".owner", os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


@pytest.mark.skipif(os.geteuid() != 0, reason="sandbox users exist only when root")
def test_another_sandbox_cannot_read_a_private_copy_even_without_landlock(tmp_path):
    """Permissions keep a live copy (root:<its uid>, 0750/0640) from other sandbox uids,
    with Landlock off so that it is the only barrier."""
    sys.path.insert(0, str(ROOT))
    from grader.disk import workspace
    from grader.sandbox import Call, Limits, ModuleJob, users
    from grader.sandbox.process import SubprocessSandbox

    with workspace.folder("victim") as victim, users.claim_uid() as victim_uid:
        copy = victim / "submission"
        copy.mkdir()
        (copy / "problem1.py").write_text("SECRET = 1\n")
        users.make_readable(copy, victim_uid)
        attacker = tmp_path / "attacker"
        attacker.mkdir()
        (attacker / "mod.py").write_text(textwrap.dedent("""\
            def peek(path):
                try:
                    return open(path).read()
                except OSError as exc:
                    return f"denied: {exc.errno}"
        """))
        sandbox = SubprocessSandbox(landlock=False)
        run = sandbox.run(ModuleJob(attacker, "mod", (
            Call(0, "peek", "peek", "call", (str(copy / "problem1.py"),)),), Limits()))
    assert run.calls[0].value == "denied: 13", run


def test_scratch_folders_of_dead_graders_are_swept_and_live_ones_kept(fast_rubric, tmp_path):
    sys.path.insert(0, str(ROOT))
    from grader.disk import workspace

    make = ("import sys; sys.path.insert(0, {root!r}); from grader.disk import workspace\n"
            "ctx = workspace.folder('sub'); path = ctx.__enter__()\n"
            "(path / 'left.txt').write_text('x'); print(path, flush=True)\n"
            "import os, time\n{end}")
    dead = subprocess.run([sys.executable, "-c", make.format(root=str(ROOT), end="os._exit(0)")],
                          capture_output=True, text=True, check=True).stdout.strip()
    live_proc = subprocess.Popen([sys.executable, "-c", make.format(
        root=str(ROOT), end="time.sleep(120)")], stdout=subprocess.PIPE, text=True)
    try:
        live = live_proc.stdout.readline().strip()
        assert Path(live, "left.txt").exists()  # (another grader may sweep `dead` first)
        an_hour_ago = time.time() - 3600  # a folder a minute old is never swept
        for path in (dead, live):
            if os.path.exists(path):
                os.utime(path, (an_hour_ago, an_hour_ago))
        build({}, tmp_path / "sub", {})
        proc, _ = grade_with_peak(tmp_path / "sub", tmp_path / "out", "--rubric",
                                  str(fast_rubric))
        assert proc.returncode == 0
        assert not Path(dead).exists()
        assert Path(live, "left.txt").exists()  # its grader is alive
    finally:
        live_proc.kill()
        live_proc.wait()
    assert Path(live) in workspace.sweep()
    bases = {workspace.root(), workspace.MEMORY}  # a class's scratch is in memory
    left = [p for base in bases for p in base.glob("hwg-*") if p.is_dir() and p.name != "hwg-uids"
            and not _in_use(p)  # a live grader's folder is no leftover
            and time.time() - p.stat().st_mtime >= workspace.YOUNG  # nor one the sweep leaves
            # by design (a test before this one, on this worker, killed its grader just now)
            and any(ours(f.stat().st_uid) for f in p.rglob("*") if not f.is_symlink())]
    assert left == []
    shutil.rmtree(tmp_path / "sub")


@pytest.mark.skipif(os.geteuid() != 0, reason="sandbox users exist only when root")
def test_without_an_ipc_namespace_the_grader_removes_what_the_sandbox_made(tmp_path):
    sys.path.insert(0, str(ROOT))
    from grader.sandbox import Call, Limits, ModuleJob
    from grader.sandbox.process import SubprocessSandbox

    (tmp_path / "mod.py").write_text(SYSV + "def make():\n    return list(_segment_and_queue())\n")
    run = SubprocessSandbox(namespaces=False).run(
        ModuleJob(tmp_path, "mod", (Call(0, "make", "make", "call"),), Limits()))
    assert run.calls[0].status == "ok" and min(run.calls[0].value) >= 0, run
    assert "ipc namespace" not in run.layers
    assert ipc_objects() == []
