"""What the student kit's tests share: building the kit with the real command line,
unpacking it as a student would, and a venv holding numpy alone (the fixtures that use
them are in conftest.py)."""
from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

from conftest import GRADE, ROOT


def build(rubric: Path, out: Path) -> Path:
    proc = subprocess.run([*GRADE, "kit", "--rubric", str(rubric), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stdout
    return out


def unpack(zip_path: Path, into: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(into)
    (folder,) = into.iterdir()
    return folder


def student_kit(kit_zip: Path, tmp_path: Path, files_from: Path) -> Path:
    """The kit unpacked as a student would, their files written into the skeletons."""
    folder = unpack(kit_zip, tmp_path / "student")
    for path in files_from.iterdir():
        if path.is_file():
            shutil.copy(path, folder / path.name)
    return folder


def numpy_venv(base: str, venv: Path) -> Path:
    """A fresh venv of `base` holding numpy alone (from the configured package index);
    its python."""
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "numpy"], check=True,
                   timeout=600, capture_output=True)
    python = venv / "bin" / "python"
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=json"],
                            capture_output=True, text=True, check=True).stdout
    assert {p["name"] for p in json.loads(listed)} <= {"numpy", "pip", "setuptools", "wheel"}
    return python
