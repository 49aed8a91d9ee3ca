"""The unprivileged user that runs student code when the grader is root: one uid per
running sandbox, claimed by lock file; whatever it leaves behind is killed."""
from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

# Sandbox uids own nothing and have no login. GRADER_SANDBOX_UID and GRADER_SANDBOX_UIDS
# move and size the range, e.g. for tests that count what their own sandboxes left.
BASE_UID = int(os.environ.get("GRADER_SANDBOX_UID", "61000"))
SPAN = int(os.environ.get("GRADER_SANDBOX_UIDS", "4096"))


@contextlib.contextmanager
def claim_uid(base: int = BASE_UID, span: int = SPAN) -> Iterator[int]:
    """A sandbox uid no other grader process holds, by a lock file per uid. The file says
    "1" while in use: a grader that died leaves it so, and the next holder first kills
    whatever that grader's sandbox left behind."""
    if os.geteuid() != 0:
        yield base
        return
    import fcntl  # POSIX's: the student kit carries this module (unused) on Windows too

    lock_dir = Path(tempfile.gettempdir()) / "hwg-uids"
    lock_dir.mkdir(mode=0o700, exist_ok=True)
    for uid in range(base, base + span):
        fd = os.open(lock_dir / str(uid), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        try:
            if os.read(fd, 1) == b"1":  # its last holder died before cleaning up
                kill_user(uid)
            os.pwrite(fd, b"1", 0)
            yield uid
            os.pwrite(fd, b"0", 0)
        finally:
            os.close(fd)  # closing releases the lock
        return
    raise RuntimeError(f"no free sandbox uid in {base}..{base + span - 1}")


def reachable(path: Path) -> bool:
    """Whether every folder down to `path` lets other users through and `path` read."""
    try:
        parts = [path, *path.parents]
        return all(p.stat().st_mode & 0o001 for p in parts) and bool(path.stat().st_mode & 0o004)
    except OSError:
        return False


def site_dirs() -> list[str]:
    return [p for p in sys.path if p.endswith("-packages") and os.path.isdir(p)]


def make_readable(root: Path, uid: int) -> None:
    """Readable by the sandbox user `uid` (through its group) and by no other sandbox,
    writable by nobody but the grader. When not root, there is only one user anyway."""
    group = os.geteuid() == 0
    for folder, _, files in os.walk(root):
        if group:
            os.chown(folder, 0, uid)
        os.chmod(folder, 0o750)
        for name in files:
            path = os.path.join(folder, name)
            if group:
                os.chown(path, 0, uid)
            os.chmod(path, 0o640)


def kill_user(uid: int) -> None:
    """SIGKILL every process of the sandbox user, in rounds, until none is left."""
    for _ in range(20):
        pids = [pid for pid in _pids() if _uid_of(pid) == uid]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.01)


_IPC_RMID = 0
_IPC_REMOVE = {"shm": "shmctl", "msg": "msgctl", "sem": "semctl"}


def remove_ipc(uid: int) -> None:
    """Remove the SysV segments, queues and semaphores that `uid` created: where a sandbox
    had no IPC namespace of its own, they would outlive it and reach the next student."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for kind, call in _IPC_REMOVE.items():
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        except OSError:
            continue
        header = lines[0].split() if lines else []
        for line in lines[1:]:
            row = dict(zip(header, line.split()))
            if row.get("cuid") == str(uid) or row.get("uid") == str(uid):
                ident = int(row.get("shmid") or row.get("msqid") or row.get("semid") or -1)
                if kind == "sem":
                    getattr(libc, call)(ident, 0, _IPC_RMID)
                else:
                    getattr(libc, call)(ident, _IPC_RMID, None)


def _pids() -> list[int]:
    try:
        return [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []


def _uid_of(pid: int) -> Optional[int]:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


@functools.lru_cache(maxsize=1)
def can_drop_to_sandbox_user() -> bool:
    """Root can hand the child to another user only if that user can run Python."""
    return os.geteuid() == 0 and all(
        reachable(Path(p)) for p in {sys.base_prefix, sys.prefix, *site_dirs()})
