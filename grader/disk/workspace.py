"""The grader's scratch folders, and sweeping those that a dead grader left behind.

Each folder holds a lock for as long as the grader (or the class worker) using it lives:
the kernel releases it when that process dies, however it dies. A grader that starts
removes every folder whose lock is free, and never one whose owner is still running
(another clone, a benchmark, a class worker on the same machine).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

from grader.disk.files import flags

PREFIX = "hwg-"
LOCK = ".owner"
KEEP = {"hwg-uids"}  # sandbox uid claims live there, see sandbox/users.py
UNLOCKED_AGE = 3600  # seconds: a folder without a lock file (one being made) waits this long
YOUNG = 60  # seconds: a folder this new is never swept (its lock may be a moment away)


def root() -> Path:
    return Path(tempfile.gettempdir())


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
    """Remove the scratch folders of graders that died; return them."""
    removed = []
    for path in root().glob(f"{PREFIX}*"):
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
