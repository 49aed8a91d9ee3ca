"""What a zygote may import before its first fork, besides numpy and torch: the libraries the
handout lets students import (scipy, matplotlib) and sympy, when enough of a class imports
them (grader/sandbox/preload.py reads which, as text).

Loaded by path in the zygote (like child.py's siblings), so it imports nothing of the
grader. Nothing here comes from a student, a reference or a rubric: the zygote gets module
names only, each checked against `PRELOADABLE`, and its warm-ups compute nothing that
answers a question.
"""
from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import threading

# The modules a zygote may preload: importing them runs no student code, starts no thread
# (one thread each for the numerical libraries: see launch.base_env) and has no effect a
# child could see but the module being there already. Submodules a student reaches as an
# attribute (`scipy.signal.windows`) come with their package.
PRELOADABLE = (
    "scipy", "scipy.fft", "scipy.integrate", "scipy.interpolate", "scipy.linalg",
    "scipy.ndimage", "scipy.optimize", "scipy.signal", "scipy.sparse", "scipy.special",
    "scipy.stats", "sympy", "matplotlib", "matplotlib.pyplot",
)


def allowed(names: list[str]) -> list[str]:
    """`names` that may be preloaded, in `PRELOADABLE`'s order; any other is dropped."""
    return [name for name in PRELOADABLE if name in set(names)]


def preload(names: list[str]) -> list[str]:
    """Import `names` (those allowed) and warm what every child would set up again: sympy's
    printers and solvers, matplotlib's font list (built once here, with a configuration
    folder of its own that is gone before the first fork). A library that cannot be
    imported is left out (a child that imports it is told so itself); one that starts a
    thread ends the zygote. Returns what was imported."""
    names, done = allowed(names), []
    plots = [n for n in names if n.startswith("matplotlib")]
    if plots and _import_matplotlib(plots):
        done += plots
    for name in names:
        if name not in done and _imported(name):
            done.append(name)
    if "sympy" in done:
        warm_sympy()
    single_threaded("preloading " + ", ".join(done))
    return done


def _imported(name: str) -> bool:
    try:
        importlib.import_module(name)
    except Exception:  # noqa: BLE001 - not installed, or broken: the children's own concern
        return False
    return True


def warm_sympy() -> None:
    """Run sympy's lazy set-up once (the printers lambdify uses, the solvers): a forked
    child then starts with them. The expressions answer nothing."""
    import sympy

    x, y = sympy.symbols("x y", positive=True)
    expression = (1 + 3 * x) ** y / sympy.sqrt(x) + sympy.log(2 * x) - sympy.exp(-y)
    for modules in ("math", "numpy"):
        sympy.lambdify((x, y), expression, modules=modules)(1.5, 2.0)
    sympy.solve(sympy.Eq(x * y, 3), x)


def _import_matplotlib(names: list[str]) -> bool:
    """matplotlib builds its font list at import and caches it in its configuration folder:
    a private one here, removed once the list is in memory (children, whose home is their
    own work folder, then never build it again)."""
    folder = tempfile.mkdtemp(prefix="hwg-zygote-mpl-")
    os.environ["MPLCONFIGDIR"] = folder
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        if not all(_imported(name) for name in names):
            return False
        if "matplotlib.pyplot" in sys.modules:
            import matplotlib.font_manager  # noqa: F401 - its font list, built now
        return True
    finally:
        del os.environ["MPLCONFIGDIR"]
        shutil.rmtree(folder, ignore_errors=True)


def single_threaded(what: str) -> None:
    """Exit if `what` started a thread: forking a process with two would not be safe (the
    grader then starts fresh interpreters instead)."""
    if threading.active_count() != 1 or len(os.listdir("/proc/self/task")) != 1:
        sys.exit(f"zygote: {what} started a thread; forking would not be safe")
