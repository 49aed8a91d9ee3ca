"""TA accounts for the app on the network: passwords (scrypt, through werkzeug.security),
sessions, and a limit on login attempts. Accounts and sessions live in the store's SQLite
file beside the grades, so every app process serving the same reports shares them.

A session is a random token in an HttpOnly, SameSite=Strict cookie; the store keeps only
its SHA-256, so a copy of the database opens no session. Logging out, or removing the
account, ends it at once (a signed cookie could not be taken back).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from werkzeug.security import check_password_hash, generate_password_hash

from grader.written.store import create, transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY, password TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL,
    csrf TEXT NOT NULL);
"""
SESSION_SECONDS = 12 * 3600  # a working day; then log in again
MIN_PASSWORD = 10
MAX_NAME = 80


@functools.lru_cache(maxsize=1)
def _dummy() -> str:
    """A hash to check a password against when the account does not exist, so that a
    wrong name takes as long as a wrong password."""
    return generate_password_hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A name or password that cannot be used; the message says why."""


@dataclass(frozen=True)
class Account:
    name: str
    created: float
    sessions: int  # open now


@dataclass(frozen=True)
class Session:
    name: str
    csrf: str  # the token this session's forms carry


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def valid_name(name: str) -> str:
    """A TA's name as stored: trimmed, one line, printable, at most MAX_NAME characters."""
    clean = " ".join(name.split())
    if not clean or len(clean) > MAX_NAME or not clean.isprintable():
        raise AccountError(f"a TA's name is 1 to {MAX_NAME} printable characters: {name!r}")
    return clean


class Accounts:
    def __init__(self, path: Path):
        self.path = path

    def _db(self) -> Any:
        return transaction(self.path)

    def ensure(self) -> None:
        create(self.path, _SCHEMA)

    # -------------------------------------------------------------- accounts
    def add(self, name: str, password: str) -> str:
        """Create an account, or set the password of one that exists; its name."""
        name = valid_name(name)
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
        hashed = generate_password_hash(password)  # scrypt, salted
        with self._db() as con:
            con.execute("INSERT INTO accounts VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
                        "SET password = excluded.password", (name, hashed, time.time()))
            con.execute("DELETE FROM sessions WHERE name = ?", (name,))  # a new password
        return name

    def remove(self, name: str) -> bool:
        """Delete an account and end its sessions; whether it existed."""
        with self._db() as con:
            gone = con.execute("DELETE FROM accounts WHERE name = ?", (name,)).rowcount
            con.execute("DELETE FROM sessions WHERE name = ?", (name,))
        return bool(gone)

    def list(self) -> list[Account]:
        now = time.time()
        with self._db() as con:
            rows = con.execute(
                "SELECT a.name, a.created, (SELECT COUNT(*) FROM sessions s WHERE s.name = "
                "a.name AND s.created > ?) FROM accounts a ORDER BY a.name",
                (now - SESSION_SECONDS,)).fetchall()
        return [Account(*r) for r in rows]

    def exist(self) -> bool:
        with self._db() as con:
            return con.execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None

    def check(self, name: str, password: str) -> Optional[str]:
        """The account's name when the password is its own; None otherwise (in about the
        same time whether or not the name exists)."""
        with self._db() as con:
            row = con.execute("SELECT name, password FROM accounts WHERE name = ?",
                              (" ".join(name.split()),)).fetchone()
        ok = check_password_hash(row[1] if row else _dummy(), password)
        return row[0] if row and ok else None

    # -------------------------------------------------------------- sessions
    def open_session(self, name: str) -> str:
        """A new session for the account; the token for its cookie."""
        token = secrets.token_urlsafe(32)
        with self._db() as con:
            con.execute("DELETE FROM sessions WHERE created < ?",
                        (time.time() - SESSION_SECONDS,))
            con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                        (_digest(token), name, time.time(), secrets.token_urlsafe(24)))
        return token

    def session(self, token: str) -> Optional[Session]:
        """Who the cookie's token logs in, if its session is open and its account exists."""
        if not token:
            return None
        with self._db() as con:
            row = con.execute(
                "SELECT s.name, s.csrf FROM sessions s JOIN accounts a ON a.name = s.name "
                "WHERE s.token_sha256 = ? AND s.created > ?",
                (_digest(token), time.time() - SESSION_SECONDS)).fetchone()
        return Session(*row) if row else None

    def close_session(self, token: str) -> None:
        with self._db() as con:
            con.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_digest(token),))


class Attempts:
    """Failed logins, per client address and per account name: after `limit` failures
    within `window` seconds, no more tries (not even right ones) until the window moves
    on. Guessing a password then takes years, while a TA who mistyped waits a minute."""

    def __init__(self, limit: int = 5, window: float = 60.0):
        self.limit, self.window = limit, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.window]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def wait(self, *keys: str) -> float:
        """Seconds before these keys may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            waits = [self.window - (now - recent[-self.limit]) for key in keys
                     for recent in [self._recent(key, now)] if len(recent) >= self.limit]
        return max(waits, default=0.0)

    MAX_KEYS = 10_000  # names sprayed at the login page cannot grow this without bound

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > self.MAX_KEYS:
                for key in list(self._failures):
                    self._recent(key, now)
            for key in keys:
                self._failures.setdefault(key, []).append(now)


def same(a: str, b: str) -> bool:
    """Compare tokens in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())
