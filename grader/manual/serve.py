"""Serving the TAs' app: cheroot (CherryPy's production WSGI server: a thread pool, TLS
built in; waitress has no TLS), never Flask's development server.

On loopback the app is as it always was, for one machine. Bound to anything else it asks
for an account (auth.py), refuses to start with no account to log in with, and without
`--certfile/--keyfile` says loudly that passwords and answers cross the network in clear.
"""
from __future__ import annotations

import ipaddress
import os
import sys
import threading
from pathlib import Path
from typing import Any, Optional, TextIO

from grader.rubric.model import Rubric


class ServeError(ValueError):
    """The app cannot be served as asked; the message says why and what to do."""


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host`: localhost, 127.0.0.0/8 or ::1."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: whatever it resolves to, others may reach it


def warning(host: str, port: int) -> str:
    bar = "!" * 78
    return (f"{bar}\nWARNING: grade manual serves http://{host}:{port}/ WITHOUT TLS.\n"
            "Anyone on the network path can read TAs' passwords, their session cookies\n"
            "(and so act as them) and students' answers. Give --certfile and --keyfile\n"
            f"(a certificate for this machine's name), or keep the app on 127.0.0.1.\n{bar}")


def check(reports: Path, host: str, login: bool, certfile: Optional[Path],
          keyfile: Optional[Path]) -> bool:
    """Whether TAs must log in; a ServeError when the app cannot be served so."""
    from grader.manual.accounts import Accounts
    from grader.written.store import DB_NAME

    if (certfile is None) != (keyfile is None):
        raise ServeError("TLS needs both --certfile and --keyfile")
    for path in (certfile, keyfile):
        if path is not None and not path.is_file():
            raise ServeError(f"{path}: no such file")
    required = login or not is_loopback(host)
    if required:
        accounts = Accounts(reports.resolve() / DB_NAME)
        accounts.ensure()
        if not accounts.exist():
            raise ServeError(
                f"serving on {host} needs TA accounts, and there are none: add one with "
                f"`grade manual users add NAME --reports {reports}` (or serve on 127.0.0.1)")
    return required


def serve(reports: Path, rubric: Rubric, host: str, port: int, hosts: tuple[str, ...] = (),
          *, login: bool = False, certfile: Optional[Path] = None,
          keyfile: Optional[Path] = None, say: TextIO = sys.stderr) -> None:
    """Serve until Ctrl-C (or SIGTERM)."""
    from cheroot import wsgi

    from grader.manual.app import create_app

    required = check(reports, host, login, certfile, keyfile)
    tls = certfile is not None
    app = create_app(reports, rubric, (host, *hosts), login=required, tls=tls)
    server = wsgi.Server((host, port), app, numthreads=8, server_name="grade-manual",
                         shutdown_timeout=2)
    if tls:
        from cheroot.ssl.builtin import BuiltinSSLAdapter

        server.ssl_adapter = BuiltinSSLAdapter(str(certfile), str(keyfile))
    server.prepare()  # binds now: the port (0: one the system chose) is known below
    bound = server.bind_addr[1] if isinstance(server.bind_addr, tuple) else port
    if not tls and not is_loopback(host):
        print(warning(host, bound), file=say, flush=True)
    scheme = "https" if tls else "http"
    print(f"manual grading of {reports} at {scheme}://{host}:{bound}/ "
          f"({'TA accounts' if required else 'no login: this machine only'}; Ctrl-C stops)",
          flush=True)
    stopped = _stop_on_signals(server)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        stopped.start_once()
        stopped.wait()


STOP_SECONDS = 8.0


class _Stopper:
    """Stops the server once, from a thread of its own, started by Ctrl-C or SIGTERM (or
    by serve()'s end): cheroot may swallow the KeyboardInterrupt a press raises in its
    loop (the app then ran on, seen in the tests), and its stop joins without a bound a
    worker its forced close did not free. So a press stops the server whatever its loop
    does, and a stop not done within STOP_SECONDS ends the process: every grade is
    committed as it is saved, so nothing is lost by not waiting."""

    def __init__(self, server: Any):
        self.server, self.thread = server, None
        self.lock = threading.RLock()  # the signal handler may run inside start_once

    def start_once(self) -> None:
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._stop, daemon=True)
                self.thread.start()

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join()

    def _stop(self) -> None:
        stopping = threading.Thread(target=self.server.stop, daemon=True)
        stopping.start()
        stopping.join(STOP_SECONDS)
        if stopping.is_alive():
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            os._exit(0)


def _stop_on_signals(server: Any) -> _Stopper:
    import signal

    stopper = _Stopper(server)

    def stop(*_: object) -> None:
        stopper.start_once()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return stopper
