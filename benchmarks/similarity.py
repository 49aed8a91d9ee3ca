"""How long `grade similarity` takes on a large class, and whether it still finds copies.

    .venv/bin/python benchmarks/similarity.py [--students 1000] [--copies 10]

Builds a synthetic class from the correct submissions of tests/corpus: every student
starts from one of them and renames its identifiers their own way (so no two students
are byte-identical); `--copies` of them are disguised copies of another student
(identifiers renamed, comments changed, functions reordered). Times the comparison
alone (fingerprints, candidate pairs, scoring) and prints how many planted copies were
flagged and how many other pairs were.
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import similarity as sim  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402

WORDS = ["alpha", "beta", "gamma", "acc", "tmp", "val", "res", "out", "buf", "cur", "nxt",
         "term", "part", "blk", "arr", "mat", "vec", "grid", "win", "pad"]
KEEP = {"np", "torch", "math", "self", "range", "len", "sum", "zeros", "einsum", "pad",
        "shape", "T", "exp", "log", "tanh", "True", "False", "None", "return", "def",
        "import", "from", "for", "in", "if", "else", "and", "or", "not", "as", "lambda"}


def _rename(text: str, rng: random.Random) -> str:
    """Rename local variables (names assigned in a function body) consistently."""
    names = set(re.findall(r"^\s+([a-z_][a-z0-9_]*)\s*=[^=]", text, re.M)) - KEEP
    for name in sorted(names):
        text = re.sub(rf"\b{name}\b", f"{rng.choice(WORDS)}_{rng.randrange(100)}", text)
    return text


def _vary(text: str, rng: random.Random) -> str:
    """Make a student of their own from a source: a no-op statement of their own here and
    there inside functions, so that two students from one source share stretches of code
    only, as independent students who learnt the same idioms do."""
    out = []
    for line in text.splitlines():
        out.append(line)
        indent = len(line) - len(line.lstrip())
        if indent and line.rstrip().endswith((")", "]")) and not line.lstrip().startswith(
                ("return", "@")) and rng.random() < 0.5:
            out.append(" " * indent + f"check_{rng.randrange(10**6)} = {rng.randrange(99)} * "
                       f"{rng.choice(WORDS)}_{rng.randrange(99)} if False else None")
    return "\n".join(out) + "\n"


def build(folder: Path, students: int, copies: int, seed: int = 0) -> list[tuple[str, str]]:
    """Each student takes each problem file from a random correct submission, varied;
    the last `copies` students copy an earlier one, renamed and recommented."""
    rng = random.Random(seed)
    bases = sorted(p for p in (ROOT / "tests" / "corpus").glob("c_*") if p.is_dir()
                   and all((p / f"problem{k}.py").is_file() for k in (1, 2, 3)))
    planted = []
    for k in range(students):
        dst = folder / f"s{k:04d}"
        if k >= students - copies:  # a disguised copy of an earlier student
            src = folder / f"s{rng.randrange(students - copies):04d}"
            planted.append((src.name, dst.name))
            shutil.copytree(src, dst)
            for path in dst.glob("*.py"):
                text = _rename(path.read_text(encoding="utf-8"), rng)
                path.write_text(re.sub(r"#.*", "# mine", text), encoding="utf-8")
            continue
        dst.mkdir()
        for module in ("problem1.py", "problem2.py", "problem3.py"):
            base = rng.choice(bases)
            text = (base / module).read_text(encoding="utf-8", errors="replace")
            (dst / module).write_text(_vary(_rename(text, rng), rng), encoding="utf-8")
            for helper in base.glob("*.py"):  # what the file imports from its folder
                if not helper.name.startswith("problem") and not (dst / helper.name).exists():
                    shutil.copy(helper, dst / helper.name)
    return planted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    rubric = load_rubric(ROOT / "rubrics" / "highways.yaml")
    opts = sim.options(rubric)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        planted = build(folder, args.students, args.copies)
        start = time.perf_counter()
        docs = [d for d in (sim.document(p.name, p) for p in sorted(folder.iterdir())) if d]
        read = time.perf_counter() - start
        result = sim.compare_class(docs, sim.given_code(rubric), opts)
        total = time.perf_counter() - start
    flagged = {frozenset((p.a, p.b)) for p in result.flagged}
    found = sum(frozenset(p) in flagged for p in planted)
    print(f"{len(docs)} students, {len(docs) * (len(docs) - 1) // 2:,} pairs, "
          f"{result.compared:,} compared: {total:.1f} s ({read:.1f} s reading)")
    print(f"planted copies flagged: {found} of {len(planted)}; other pairs flagged: "
          f"{len(flagged) - found} in {len(result.rings)} rings and alone, "
          f"{len(result.pairs) - len(flagged)} worth a look (the synthetic students share few "
          "sources: those who drew the same files are alike)")


if __name__ == "__main__":
    main()
