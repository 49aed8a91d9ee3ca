"""The grader's scratch folders, and sweeping those that a dead grader left behind.

Each folder holds a lock for as long as the grader (or the class worker) using it lives:
the kernel releases it when that process dies, however it dies. A grader that starts
removes every folder whose lock is free, and never one whose owner is still running
(another clone, a benchmark, a class worker on the same machine).

Scratch folders live in the temporary folder, or for a class in memory (`in_memory`):
a class makes and removes some thirty files a student, and on a disk file system that
keeps newly freed inodes out of use for a minute or more (ext4 without a journal) each new
file then searches past all of those: about a second of a class of 250, more with each
class graded after it.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

from grader.disk.files import flags

PREFIX = "hwg-"
LOCK = ".owner"
KEEP = {"hwg-uids"}  # sandbox uid claims live there, see sandbox/users.py
UNLOCKED_AGE = 3600  # seconds: a folder without a lock file (one being made) waits this long
YOUNG = 60  # seconds: a folder this new is never swept (its lock may be a moment away)


MEMORY = Path("/dev/shm")  # a tmpfs on most Linux systems
MEMORY_FREE = 1 << 30  # bytes it must have free for a class's scratch (a few MB a worker)
_CHOSEN: list[Path] = []  # the root in_memory chose for this process, if any


def root() -> Path:
    return _CHOSEN[0] if _CHOSEN else Path(tempfile.gettempdir())


def memory_root() -> Optional[Path]:
    """MEMORY, when it is a tmpfs (files there need no disk) that this process may write
    in and execute from, with MEMORY_FREE bytes free (a container's is often 64 MB); or
    None."""
    mounted = None
    try:
        for line in Path("/proc/self/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) >= 4 and fields[1] == str(MEMORY):
                mounted = fields  # the last one mounted there is the one in use
        if mounted is None or mounted[2] != "tmpfs" or "noexec" in mounted[3].split(","):
            return None
        if not os.access(MEMORY, os.W_OK | os.X_OK):
            return None
        free = os.statvfs(MEMORY)
    except OSError:
        return None
    return MEMORY if free.f_bavail * free.f_frsize >= MEMORY_FREE else None


def use(where: Optional[Path]) -> None:
    """Make this process's scratch folders under `where` (memory_root's answer, which a
    class hands its workers) from now on; None: in the temporary folder."""
    _CHOSEN[:] = [where] if where is not None else []


@contextlib.contextmanager
def in_memory(where: Optional[Path]) -> Iterator[None]:
    """`use(where)` while inside, if `where` is not None."""
    before = list(_CHOSEN)
    if where is not None:
        use(where)
    try:
        yield
    finally:
        _CHOSEN[:] = before


@contextlib.contextmanager
def folder(kind: str, passable: bool = False) -> Iterator[Path]:
    """A fresh folder, locked while in use and removed after; private to the grader, or
    `passable`: other users may pass through it to what is theirs inside, not list it."""
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-", dir=root()))
    fd = os.open(path / LOCK, os.O_CREAT | os.O_RDWR | flags("O_CLOEXEC"), 0o600)
    try:
        _hold(fd)
        os.chmod(path, 0o711 if passable else 0o700)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)
        if path.exists():  # Windows removes no file that is open: the lock file, now
            shutil.rmtree(path, ignore_errors=True)


def _hold(fd: int) -> None:
    """Lock the folder's lock file for this process's life (the kernel lets go when the
    process dies). Nothing on Windows, which has no flock, and where no grader sweeps
    (grade needs Linux): the student kit makes its scratch folders there too."""
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def sweep() -> list[Path]:
    """Remove the scratch folders of graders that died, on disk and in memory; return
    them."""
    removed = []
    bases = dict.fromkeys((Path(tempfile.gettempdir()), root(), MEMORY))
    for path in (p for base in bases for p in base.glob(f"{PREFIX}*")):
        if path.name in KEEP or path.is_symlink() or not path.is_dir():
            continue
        if _abandoned(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _abandoned(path: Path) -> bool:
    import fcntl  # a grader's sweep: Linux only

    try:
        if time.time() - path.stat().st_mtime < YOUNG:
            return False  # made a moment ago: between mkdtemp and flock, it looks unlocked
        fd = os.open(path / LOCK, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        try:
            return time.time() - path.stat().st_mtime > UNLOCKED_AGE
        except OSError:
            return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # its grader is alive
    finally:
        os.close(fd)
    return True
