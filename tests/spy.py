"""A student module that takes stock of everything its sandbox process can reach, and what
is a secret to look for there: the reference's answers, and hidden items' inputs.

`SPY` is installed as `spy.py` in a submission and imported by its problem files: at
import it gathers every string, number, array and sympy expression reachable from its
frames, every module, the objects the garbage collector tracks and what they refer to
(code constants included), and the text of /proc/self (command line, environment,
descriptors; pipes read without blocking or consuming what is not there yet) and of the
files under the folders it may read. A call `look(encoded)` then gathers again, decodes
the needles (sent shifted by one character, so that they are not in what it gathered)
and returns where it found each: the child never holds a needle in the clear while it
takes stock.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

SPY = r'''
import gc, json, os, stat, sys, types
import numpy as np

TEXT_FILES = (".py", ".md", ".txt", ".json", ".yaml", ".yml", ".toml", ".cfg", ".pth",
              ".bin", ".csv", ".html", ".j2", ".ini")


def _reach():
    """Every string, float, float array and sympy expression reachable in this process."""
    found = {"strings": [], "numbers": [], "arrays": [], "exprs": []}
    keep, seen = [], set()
    stack = [sys.modules, *sys.modules.values(), *gc.get_objects()]
    frame = sys._getframe()
    while frame is not None:
        stack += [frame, frame.f_locals, frame.f_code]
        frame = frame.f_back
    basic = getattr(sys.modules.get("sympy"), "Basic", ())
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        keep.append(obj)  # alive while we look: no id is reused
        kind = type(obj)
        if kind is str:
            found["strings"].append(obj)
        elif kind in (bytes, bytearray):
            found["strings"].append(bytes(obj).decode("latin-1"))
        elif kind is float or isinstance(obj, np.floating):
            found["numbers"].append(float(obj))
        elif kind is np.ndarray:
            if obj.dtype.kind == "f" and obj.size:
                found["arrays"].append(obj)
            stack += gc.get_referents(obj)
        elif kind is types.CodeType:
            stack += [*obj.co_consts, *obj.co_names, *obj.co_varnames]
        elif kind not in (int, bool, type(None)):
            if basic and isinstance(obj, basic):
                found["exprs"].append(obj)
            stack += gc.get_referents(obj)
    found["strings"] += _files()
    return found


def _read(path, limit=1 << 22):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode) and not path.startswith("/proc/"):
            return ""
        return os.read(fd, limit).decode("latin-1")
    except OSError:
        return ""
    finally:
        os.close(fd)


def _descriptors():
    """Every open descriptor: where it leads, and what can be read from it now (a pipe
    is read without blocking, then left as it was, blocking or not)."""
    texts = []
    for fd in range(1024):  # /proc/self/fd itself may not be listable here
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        try:
            texts.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
        if stat.S_ISREG(mode):
            try:
                texts.append(os.pread(fd, 1 << 22, 0).decode("latin-1"))
            except OSError:
                pass
        elif stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            blocking = os.get_blocking(fd)
            try:
                os.set_blocking(fd, False)
                texts.append(os.read(fd, 1 << 20).decode("latin-1"))
            except OSError:
                pass
            finally:
                try:
                    os.set_blocking(fd, blocking)
                except OSError:
                    pass
    return texts


def _files():
    """/proc/self, the descriptors, and every text file under the folders this process
    may have been given (its copy, its work folder and the one above it, the temporary
    folders; the interpreter's own are searched by `look`)."""
    texts = [_read(f"/proc/self/{name}") for name in ("cmdline", "environ", "maps", "status")]
    texts += _descriptors() + list(sys.argv) + [f"{k}={v}" for k, v in os.environ.items()]
    here = os.path.dirname(os.path.abspath(__file__))
    roots = {here, os.getcwd(), os.path.dirname(os.getcwd()), "/tmp", "/var/tmp", "/dev/shm",
             os.environ.get("HOME", "/"), os.environ.get("TMPDIR", "/tmp")}
    for root in sorted(roots):
        for folder, subs, names in os.walk(root):
            subs[:] = [s for s in subs if not s.startswith("__pycache__")]
            for name in names:
                if name.endswith(TEXT_FILES) or name in ("METADATA", "RECORD", "PKG-INFO"):
                    texts.append(_read(os.path.join(folder, name)))
    return [t for t in texts if t]


AT_IMPORT = _reach()


def look(encoded, control=None, again=True):
    """Where each needle was found, at import and (if `again`) now; `encoded` is JSON
    shifted by one (`control`, a number, is only there to be found)."""
    now = _reach() if again else AT_IMPORT
    needles = json.loads("".join(chr(ord(c) - 1) for c in encoded))
    hits = []
    for when, found in (("at import", AT_IMPORT), ("at the call", now))[:1 + again]:
        hits += _search(when, found, needles)
    if os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), "SPY_PREFIXES")):
        hits += _grep(needles["texts"])
    return [f"strings={len(now['strings'])}", f"numbers={len(now['numbers'])}",
            f"arrays={len(now['arrays'])}", f"exprs={len(now['exprs'])}"] + hits


def _grep(texts):
    """Every file under the interpreter's folders (text or not) that holds a needle: grep
    reads them from here, under this process's confinement, and names each file that
    matches; which needles it holds is then looked up in it."""
    import subprocess
    listed = os.path.join(os.getcwd(), "needles")
    with open(listed, "w") as fh:
        fh.write("\n".join(texts) + "\n")
    roots = sorted({sys.prefix, sys.base_prefix, sys.exec_prefix})
    done = subprocess.run(["grep", "-rlsF", "--exclude=*.so", "--exclude=*.so.*",
                           "--exclude=*.a", "-f", listed, *roots],  # built elsewhere
                          capture_output=True, text=True, errors="replace")
    hits = [f"grep: exit {done.returncode}"] if done.returncode not in (0, 1) else []
    for path in done.stdout.splitlines():
        data = _read(path, 1 << 30)
        hits += [f"in a file: text {t!r} in {path}" for t in texts if t in data]
    return hits


def _search(when, found, needles):
    hits = []
    text = "\0".join("".join(s.split()) for s in found["strings"])
    for needle in needles["texts"]:
        if "".join(needle.split()) in text:
            hits.append(f"{when}: text {needle!r}")
    shown = {str(e) for e in found["exprs"]}
    for needle in needles["exprs"]:
        if needle in shown:
            hits.append(f"{when}: expression {needle!r}")
    numbers = np.sort(np.concatenate([np.array(found["numbers"] + [np.inf]), *(
        a.astype(np.float64).ravel() for a in found["arrays"])]))
    for value in needles["values"]:
        at = np.searchsorted(numbers, value)
        near = numbers[max(0, at - 1):at + 1]
        if np.any(np.abs(near - value) <= 1e-12 * abs(value)):
            hits.append(f"{when}: value {value!r}")
    return hits
'''


def encode(texts: list[str], exprs: list[str], values: list[float]) -> str:
    """The needles as `look` takes them: JSON, every character shifted by one."""
    plain = json.dumps({"texts": texts, "exprs": exprs, "values": values})
    return "".join(chr(ord(c) + 1) for c in plain)


def hits(answer: list[str]) -> tuple[dict[str, int], list[str]]:
    """`look`'s answer: what it gathered (counts), and where it found needles."""
    counts = {k: int(v) for k, v in (s.split("=") for s in answer[:4])}
    return counts, list(answer[4:])


CONSTANTS = (1.0, math.pi, math.e, math.log(2), math.log(10), math.sqrt(2), math.sqrt(3))


def distinctive(values: list[float], inputs: list[float]) -> list[float]:
    """Values no process holds by chance: not a round number (1e-05, 0.25), nor a small
    fraction of a well-known constant (1/3, ln 2, pi/4), nor one of the calls' inputs."""
    kept = []
    for v in values:
        v = float(v)
        if not np.isfinite(v) or float(f"{v:.6g}") == v or any(
                abs(v / c * m - round(v / c * m)) < 1e-9 for c in CONSTANTS for m in range(1, 17)):
            continue
        if any(abs(v - x) <= 1e-12 * abs(v) for x in inputs):
            continue
        kept.append(v)
    return sorted(set(kept))


def numbers_in(value: Any) -> list[float]:
    """Every number in a call's arguments or a reference's value."""
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in numbers_in(v)]
    if isinstance(value, np.ndarray):
        return [float(x) for x in value.ravel()]
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return [float(value)]
    return []


def math_snippets(text: str) -> list[str]:
    """The LaTeX between dollar signs in a text of the rubric."""
    return [m.group(1) or m.group(2) for m in
            re.finditer(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", text, re.DOTALL)]


def install(folder: Path, modules: dict[str, str], prefixes: bool = False) -> Path:
    """A submission whose `modules` (name -> source after `from spy import *`) spy."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spy.py").write_text(SPY)
    if prefixes:
        (folder / "SPY_PREFIXES").write_text("")
    for name, source in modules.items():
        (folder / f"{name}.py").write_text("from spy import *\n" + source)
    return folder
