"""Similarity on classes an instructor meets: independent solutions in many styles (none
flagged, shared skeleton or not), and copies of each made every way students make them:
disguised whole copies, one copied file, two sources, rings of 3, 10 and half the class.
The same reports under any hash seed: test_similarity.py."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from conftest import run_grade
from grader import similarity as sim
from similar_class import (DISGUISES, INDEPENDENT, INDEPENDENT_DIR, copy_student, files_of,
                           ring, single_file_copy, to_helper, two_sources)

pytestmark = pytest.mark.slow
NAMES = [p.name for p in INDEPENDENT]
# Copies no one can tell from independent work: the file is the reference's code line
# for line, or a few formulas without a word of its own (what every right answer has).
THIN = {("alice", "problem2.py"), ("alice", "utils.py"),
        ("c_exact_doubling_sliding_window", "problem1.py")}
# alice's own code (beyond the reference's lines) is two one-line helpers and her comments:
# renamed, recommented and reordered all at once, nothing of hers is left to match.
THIN_DISGUISED = {"alice"}


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, sim.Document]:
    root = tmp_path_factory.mktemp("independent")
    for path in INDEPENDENT:
        shutil.copytree(path, root / path.name, ignore=shutil.ignore_patterns("answers.md"))
    return {name: sim.document(name, root / name) for name in NAMES}


def _compare(rubric, docs: list[sim.Document]) -> sim.Comparison:
    return sim.compare_class(docs, sim.given_code(rubric), sim.options(rubric))


def _flagged(result: sim.Comparison) -> dict[frozenset, sim.Pair]:
    return {frozenset((p.a, p.b)): p for p in result.flagged}


def _named(pair: sim.Pair | None) -> set[str]:
    """The files and functions the pair's page names as copied (on either side)."""
    return {x for e in (pair.evidence if pair else ()) if e.strength >= 1
            for x in (e.name, e.file, e.other)}


def test_the_independent_solutions_are_correct(tmp_path):
    """They are real solutions, each written apart: every item graded from code passes."""
    proc, _ = run_grade(INDEPENDENT_DIR, tmp_path / "out", "--jobs", "2", timeout=900)
    assert proc.returncode == 0, proc.stderr
    for folder in sorted((tmp_path / "out").iterdir()):
        if folder.is_dir():
            results = json.loads((folder / "results.json").read_text())
            short = [t["name"] for t in results["tests"] if t["score"] < t["max_score"]
                     and not re.match(r"^p\d\w*_(answer|derivation|explanation|equations?)$",
                                      t["extra_data"]["item"])]
            assert not short, (folder.name, short)


def test_independent_solutions_in_every_style_are_not_flagged(rubric, docs):
    result = _compare(rubric, list(docs.values()))
    assert result.students == len(NAMES) >= 11
    assert not [(p.a, p.b, sim.report.what(p.reason)) for p in result.flagged]


def test_a_shared_skeleton_is_not_evidence(rubric, tmp_path):
    """Every student kept the kit's skeleton (its docstrings, its stubs) above their own
    code: what the kit gave them matches in every pair, and flags none."""
    from grader.kit.build import skeletons

    given = skeletons(rubric)
    for path in INDEPENDENT:
        for name, source in files_of(path).items():
            module = name.removesuffix(".py")
            text = source.read_text(encoding="utf-8-sig")
            if module in given:
                text = given[module] + "\n\n# my own work below\n" + text
            (tmp_path / path.name / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path.name / name).write_text(text, encoding="utf-8")
    result = _compare(rubric, [sim.document(n, tmp_path / n) for n in NAMES])
    assert not [(p.a, p.b, sim.report.what(p.reason)) for p in result.flagged]


@pytest.mark.parametrize("disguise", [*DISGUISES, "helper"])
def test_a_disguised_copy_of_every_style_is_flagged(rubric, docs, tmp_path, disguise):
    missed = []
    for k, source in enumerate(INDEPENDENT):
        if disguise in ("everything", "helper") and source.name in THIN_DISGUISED:
            continue
        copy = copy_student(source, tmp_path / f"copy-{source.name}",
                            DISGUISES.get(disguise, DISGUISES["everything"]), seed=k)
        if disguise == "helper":
            to_helper(copy)
        flagged = _flagged(_compare(rubric, [*docs.values(), sim.document(copy.name, copy)]))
        if set(flagged) != {frozenset((source.name, copy.name))}:
            missed.append((source.name, sorted(map(sorted, flagged))))
    assert not missed


def _single_file_cases() -> list[tuple[str, str]]:
    return [(p.name, module) for p in INDEPENDENT for module in files_of(p)
            if (p.name, module) not in THIN]


@pytest.mark.parametrize("disguise", ["verbatim", "renamed", "everything"])
def test_a_single_copied_file_is_flagged_and_named(rubric, docs, tmp_path, disguise):
    """Each file of each solution (problem files and helpers), copied into another
    student's own work (a student not in the class, so only the copy links them)."""
    missed = []
    for k, (source, module) in enumerate(_single_file_cases()):
        if disguise == "everything" and source in THIN_DISGUISED:
            continue
        own = NAMES[(NAMES.index(source) + 1 + k) % len(NAMES)]
        own = own if own != source else NAMES[(NAMES.index(source) + 2) % len(NAMES)]
        copier = tmp_path / f"{own}+{source}-{module.replace('/', '_')}"
        single_file_copy(INDEPENDENT[NAMES.index(own)], INDEPENDENT[NAMES.index(source)],
                         module, copier, DISGUISES[disguise])
        klass = [d for name, d in docs.items() if name != own]
        result = _compare(rubric, [*klass, sim.document(copier.name, copier)])
        pair = _flagged(result).get(frozenset((source, copier.name)))
        names = {module, module.rsplit("/", 1)[-1]}
        if set(_flagged(result)) != {frozenset((source, copier.name))} or not names & _named(pair):
            missed.append((source, module, own, sorted(map(sorted, _flagged(result)))))
    assert not missed
    assert len(_single_file_cases()) >= 30  # problem files and helpers, thin ones aside


def test_two_sources_are_both_flagged_each_for_its_file(rubric, docs, tmp_path):
    cases = [("i_classes", "i_einsum", "c_prints_einsum"),
             ("c_loops_index", "i_torch_module", "i_helper_modules"),
             ("i_functional", "i_scipy_signal", "i_loops_plain")]
    for own, second, third in cases:
        copier = two_sources(*(INDEPENDENT[NAMES.index(n)] for n in (own, second, third)),
                             tmp_path / f"two-{own}", DISGUISES["renamed"])
        klass = [d for name, d in docs.items() if name != own]
        flagged = _flagged(_compare(rubric, [*klass, sim.document(copier.name, copier)]))
        assert set(flagged) == {frozenset((second, copier.name)),
                                frozenset((third, copier.name))}, (own, sorted(map(sorted, flagged)))
        assert "problem2.py" in _named(flagged[frozenset((second, copier.name))])
        assert "problem3.py" in _named(flagged[frozenset((third, copier.name))])


@pytest.mark.parametrize("sizes", [[3], [10, 3], ["half"]], ids=["3", "10-and-3", "half"])
def test_a_ring_of_any_size_is_one_entry(rubric, docs, tmp_path, sizes):
    """Copies of one solution (each disguised its own way) among independent students: one
    ring listing exactly them, however many they are, and nothing else flagged."""
    sources = ["i_classes", "c_prints_einsum"]
    klass = [d for name, d in docs.items() if name not in sources]
    rings = []
    for size, source in zip(sizes, sources):
        size = len(klass) if size == "half" else size
        names = ring(INDEPENDENT[NAMES.index(source)], size, tmp_path, f"{source}-copy")
        rings.append(sorted(names))
        klass += [sim.document(n, tmp_path / n) for n in names]
    result = _compare(rubric, klass)
    assert sorted(list(r.members) for r in result.rings) == sorted(rings)
    inside = {frozenset((a, b)) for r in rings for a in r for b in r if a != b}
    assert set(_flagged(result)) <= inside
    data = sim.report.data(result, sim.options(rubric))
    assert data["left_out"]["groups"] == len(klass) - sum(len(r) - 1 for r in rings)
    assert [sorted(t["ring"]) for t in data["top"] if t["ring"]] == sorted(rings, key=len,
                                                                          reverse=True)
