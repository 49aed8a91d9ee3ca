"""Classes to test similarity on: independent solutions (tests/data/independent, written
apart in different styles, and the corpus's own), and copies made of them the ways
students make them: renamed, recommented, reordered, moved into a helper module, one
file only, two sources, a ring."""
from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

from conftest import CORPUS, EXAMPLES, ROOT

INDEPENDENT_DIR = ROOT / "tests" / "data" / "independent"
# written apart: the seven of tests/data/independent, three of the corpus, the example
INDEPENDENT = sorted(p for p in INDEPENDENT_DIR.iterdir() if p.is_dir()) + [
    CORPUS / "c_loops_index", CORPUS / "c_exact_doubling_sliding_window",
    CORPUS / "c_prints_einsum", EXAMPLES / "alice"]
KEEP = {"np", "torch", "math", "self", "range", "len", "sum", "zip", "float", "int", "T",
        "shape", "pi", "nn", "F", "super", "tuple", "reduce", "operator", "scipy", "print"}


def _local_names(text: str) -> list[str]:
    """Names assigned inside functions, and parameters of helper functions."""
    found = set(re.findall(r"^\s+([A-Za-z_]\w*)\s*(?:,\s*\w+\s*)*=[^=]", text, re.M))
    return sorted(found - KEEP)


def renamed(text: str, seed: int = 0) -> str:
    """Every local name consistently replaced by one of the copier's own."""
    rng = random.Random(seed)
    for name in _local_names(text):
        text = re.sub(rf"(?<![.\w]){name}\b", f"{name[:1]}{rng.choice('qzkxw')}{rng.randrange(99)}",
                      text)
    return text


def recommented(text: str, seed: int = 0) -> str:
    """Comments and docstrings replaced by the copier's own."""
    text = re.sub(r'(?s)("""|\'\'\').*?\1', '"""My own work."""', text)
    return re.sub(r"#[^\n]*", f"# worked this out myself ({seed})", text)


def reordered(text: str, seed: int = 0) -> str:
    """Top-level functions, classes and statements in another order (imports first)."""
    head, *chunks = re.split(r"(?m)^(?=def |class |[A-Z_]+ = )", text)
    random.Random(seed).shuffle(chunks)
    return head + "".join(c if c.endswith("\n\n\n") else c.rstrip("\n") + "\n\n\n"
                          for c in chunks)


def everything(text: str, seed: int = 0) -> str:
    return reordered(recommented(renamed(text, seed), seed), seed)


def copy_student(src: Path, dst: Path, disguise=None, seed: int = 0) -> Path:
    """dst: a copy of src's Python files, each disguised."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("answers.md", "__pycache__"))
    if disguise is not None:
        for k, path in enumerate(sorted(dst.rglob("*.py"))):
            path.write_text(disguise(path.read_text(encoding="utf-8-sig"), seed + k),
                            encoding="utf-8")
    return dst


def to_helper(folder: Path, module: str = "problem3.py") -> None:
    """The module's longest function moves into a helper module it imports."""
    path = folder / module
    text = path.read_text(encoding="utf-8")
    chunks = re.findall(r"(?ms)^def \w+.*?(?=^\S|\Z)", text)
    longest = max(chunks, key=len)
    name = re.match(r"def (\w+)", longest).group(1)
    imports = "".join(re.findall(r"(?m)^(?:import|from) .*\n", text))
    (folder / "mytools.py").write_text(imports + "\n\n" + longest.replace(
        f"def {name}", f"def {name}_impl", 1), encoding="utf-8")
    params = re.match(r"def \w+\((.*?)\)", longest, re.S).group(1)
    args = ", ".join(p.split("=")[0].strip() for p in params.split(",") if p.strip())
    path.write_text(text.replace(longest, f"def {name}({params}):\n    from mytools import "
                                 f"{name}_impl\n    return {name}_impl({args})\n\n\n"),
                    encoding="utf-8")


def files_of(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*.py"))}


def single_file_copy(own: Path, source: Path, module: str, dst: Path, disguise=None) -> Path:
    """dst: `own`'s work, but `module` (a problem file or a helper) taken from `source`."""
    copy_student(own, dst)
    text = (source / module).read_text(encoding="utf-8-sig")
    (dst / module).parent.mkdir(parents=True, exist_ok=True)
    (dst / module).write_text(disguise(text) if disguise else text, encoding="utf-8")
    return dst


DISGUISES = {"verbatim": None, "renamed": renamed, "recommented": recommented,
             "reordered": reordered, "everything": everything}


def ring(source: Path, size: int, root: Path, prefix: str) -> list[str]:
    """`size` students who each handed in source's work, each disguised their own way."""
    kinds = list(DISGUISES.values())
    names = [f"{prefix}{k:02d}" for k in range(size)]
    for k, name in enumerate(names):
        copy_student(source, root / name, kinds[k % len(kinds)], seed=k)
    return names


def two_sources(own: Path, second: Path, third: Path, dst: Path, disguise=None) -> Path:
    """dst: own's problem1.py, second's problem2.py and third's problem3.py."""
    single_file_copy(own, second, "problem2.py", dst, disguise)
    text = (third / "problem3.py").read_text(encoding="utf-8-sig")
    (dst / "problem3.py").write_text(disguise(text) if disguise else text, encoding="utf-8")
    for name, path in files_of(third).items():  # the helpers problem3.py imports
        if not name.startswith("problem") and not (dst / name).exists():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dst / name)
    return dst
