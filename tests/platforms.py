"""Interpreters that simulate Windows and macOS (tests/simulated_platform.py), for the
student kit's tests and `grade`'s: a venv of an existing Python, with the simulation in
its site-packages, run at every start (a `.pth` file), and the packages of another
environment reached by path (no install: numpy-only's, or the grader's own .venv)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIMULATION = HERE / "simulated_platform.py"
SIMULATED = (SIMULATION, HERE / "simulated_processes.py")  # what the venv gets
HOOK = "00-simulated-platform.pth"  # .pth files run in name order: this one first


def site_packages(python: Path | str) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                          "['purelib'])"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def base_of(python: Path | str) -> str:
    """The interpreter a venv was made from (or `python` itself)."""
    out = subprocess.run([str(python), "-c", "import sys; print(getattr(sys, "
                          "'_base_executable', sys.executable))"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def simulated(system: str, base: str, folder: Path, paths: list[Path]) -> Path:
    """A venv of `base` that lacks what `system` lacks, with `paths` on its sys.path;
    its python, checked to be simulated also when started with -I (as the kit's children
    are)."""
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    site = site_packages(python)
    for path in SIMULATED:
        shutil.copy(path, site / path.name)
    (site / HOOK).write_text(f"import simulated_platform; simulated_platform.apply({system!r})\n")
    (site / "zz-reached-by-path.pth").write_text("".join(f"{p}\n" for p in paths))
    lacks = "fcntl" if system == "windows" else "os.pidfd_open"
    probe = ("import importlib.util, os, sys; assert not os.path.exists('/proc/self'); "
             "assert importlib.util.find_spec('fcntl') is None if sys.argv[1] == 'fcntl' "
             "else not hasattr(os, 'pidfd_open')")
    for flags in ([], ["-I"]):
        run = subprocess.run([str(python), *flags, "-c", probe, lacks], capture_output=True,
                             text=True, timeout=60)
        assert run.returncode == 0, f"{system} {flags}: not simulated: {run.stderr}"
    return python


def python_of(version: str) -> str | None:
    """A CPython of this minor version on this machine (pyenv's, or on PATH)."""
    found = sorted(Path("/root/.pyenv/versions").glob(f"{version}.*/bin/python{version}"))
    candidates = [str(p) for p in found] + [c for c in (f"python{version}",) if shutil.which(c)]
    for candidate in candidates:
        if subprocess.run([candidate, "-c", "import venv"], capture_output=True).returncode == 0:
            return candidate
    return None if version != f"{sys.version_info[0]}.{sys.version_info[1]}" else sys.executable
