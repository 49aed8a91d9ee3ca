"""What the hostile tests share: building a submission from alice's files with hostile code
in it, a rubric with short limits, a loopback listener, and counting what a run left.

Everything counted is this test run's own (its sandbox uids, its daemon token, its IPC
objects and scratch folders), so the tests pass while another grader runs alongside.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import yaml

from conftest import EXAMPLES, GRADE, ROOT, RUBRIC, RUN_TOKEN, ours

SLEEP_TOKEN = f"3601.{RUN_TOKEN}"  # argv of what this run's hostile daemons leave, if they could
Files = dict[str, Any]


def fill(text: str, fmt: dict[str, str]) -> str:
    for key, value in fmt.items():
        text = text.replace("{" + key + "}", value)
    return text


def build(files: Files, dest: Path, fmt: dict[str, str]) -> None:
    """alice's files, changed as `files` says: "name": text (the whole file), "@name": code
    added at its top, (function, body) or a list of them: bodies replaced, a Path: a
    symlink to it, bytes: the file's bytes, a callable: the file's text to its bytes."""
    shutil.copytree(EXAMPLES / "alice", dest)
    if "answers.md" not in files:  # the code's containment: answers.md has tests of its own
        (dest / "answers.md").unlink()  # (test_written.py), and reading it costs a second
    for name, content in files.items():
        path = dest / name.lstrip("@")
        if name.startswith("@"):  # code added at the top of a file
            path.write_text(fill(textwrap.dedent(content), fmt) + path.read_text())
        elif isinstance(content, Path):
            path.unlink(missing_ok=True)
            os.symlink(content, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        elif callable(content):
            path.write_bytes(content(path.read_text()))
        elif isinstance(content, str):
            path.write_text(fill(content, fmt))
        else:
            replace_bodies(path, content if isinstance(content, list) else [content], fmt)


def replace_bodies(path: Path, edits: list[tuple[str, str]], fmt: dict[str, str]) -> None:
    """Replace the body of each named function in a file with hostile code."""
    lines = path.read_text().splitlines()
    for func, body in edits:
        start = next(i for i, line in enumerate(lines) if line.startswith(f"def {func}("))
        end = next((i for i in range(start + 1, len(lines))
                    if lines[i] and not lines[i].startswith((" ", "\t"))), len(lines))
        lines[start + 1:end] = ["    " + fill(body, fmt), ""]
    path.write_text("\n".join(lines) + "\n")


def fast_rubric_at(path: Path, timeout: float = 2, **limits: Any) -> Path:
    """The shipped rubric with short time limits, so hangs cost seconds, not minutes."""
    data = yaml.safe_load(RUBRIC.read_text())
    data["reference"] = str(ROOT / "reference")
    data["defaults"]["timeout"] = timeout
    data["limits"]["import_timeout"] = 5
    data["limits"].update(limits)
    for item in data["items"]:
        item.pop("timeout", None)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


class Listener:
    """TCP and UDP sockets on loopback that record anything the sandbox manages to send."""

    def __init__(self):
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen()
        self.tcp.settimeout(0.2)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.2)
        self.heard: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        while not self.stop.is_set():
            for sock, what in ((self.tcp, "tcp"), (self.udp, "udp")):
                try:
                    sock.accept() if what == "tcp" else sock.recvfrom(100)
                    self.heard.append(what)
                except OSError:
                    pass

    def close(self) -> list[str]:
        self.stop.set()
        self.thread.join()
        self.tcp.close()
        self.udp.close()
        return self.heard


def _uid(pid: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:")))


def leftovers() -> list[str]:
    """Processes of this run's sandbox users, or what its hostile daemons try to leave
    running (another grader's sandboxes on the same machine are not ours to count)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            uid = _uid(pid)
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX":
                continue  # dead, waiting for whoever inherited it to reap it
        except (OSError, StopIteration, ValueError, IndexError):
            continue
        if SLEEP_TOKEN in cmdline or ours(uid):
            found.append(f"{pid} (uid {uid}): {cmdline[:80]}")
    return found


def ipc_objects() -> list[str]:
    """SysV shared memory, queues and semaphores of this run's sandbox users that are
    visible from here (the grader's IPC namespace)."""
    found = []
    for kind in ("shm", "msg", "sem"):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        header = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[0].split()
        for line in lines:
            row = dict(zip(header, line.split()))
            if ours(int(row.get("cuid", -1))) or ours(int(row.get("uid", -1))):
                found.append(f"{kind} {row.get('key')} (uid {row.get('cuid')})")
    return found


PEAK = """
import atexit, sys
def _report():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("GRADER_PEAK_KB " + line.split()[1] + "\\n")
atexit.register(_report)
sys.argv[0] = "grade"
from grader.cli import main
main()
"""


def grade_with_peak(path: Path, out: Path, *args: str, memory_gb: float = 4,
                    timeout: float = 300, env: dict[str, str] | None = None
                    ) -> tuple[subprocess.CompletedProcess, int]:
    """Run `grade` under an address-space bound that keeps the machine safe (prlimit on
    the grader, inherited by all it starts); return it and the grader process's own peak
    resident memory in MB (VmHWM)."""
    bound = str(int(memory_gb * (1 << 30)))
    proc = subprocess.run(["prlimit", f"--as={bound}", sys.executable, "-c", PEAK, str(path),
                           "--out", str(out), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})
    peak = [int(line.split()[1]) for line in proc.stderr.splitlines()
            if line.startswith("GRADER_PEAK_KB ")]
    return proc, (peak[-1] >> 10) if peak else -1


__all__ = ["GRADE", "SLEEP_TOKEN", "Listener", "build", "fast_rubric_at", "fill",
           "grade_with_peak", "ipc_objects", "leftovers", "replace_bodies"]
