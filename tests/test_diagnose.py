"""The generic diagnosis (issue 13): wrong answers nobody declared get a specific, correct
explanation that says how sure it is; right answers never get one; a declared mistake
comes first; `diagnose:` switches checks off."""
from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES
from undeclared import CORRECT, MISTAKES, Undeclared

from grader.authoring.selftest import TrustedSandbox
from grader.engine import checks
from grader.outputs import feedback
from grader.rubric.references import References

SEEDS = tuple(range(1, 9))


def _function(tmp_path: Path, module: str, old: str, new: str, attr: str):
    """alice's module with one edit, imported under a name of its own."""
    folder = tmp_path / "sub"
    if not folder.exists():
        shutil.copytree(EXAMPLES / "alice", folder)
    source = (EXAMPLES / "alice" / f"{module}.py").read_text()
    assert old in source, old
    path = folder / f"{module}_{abs(hash((old, new)))}.py"
    path.write_text("import numpy as np\n" + source.replace(old, new))
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
    finally:
        sys.path.remove(str(folder))
    return getattr(loaded, attr)


def _judge(rubric, item_id, fn, seed):
    item = rubric.item(item_id)
    sandbox = TrustedSandbox({item.id: fn}, {item.id: item})
    return checks.judge_in(sandbox, References(rubric.reference_dir), [item], seed)[item.id]


@pytest.mark.parametrize("case", MISTAKES, ids=lambda c: c.name)
def test_an_undeclared_mistake_gets_a_specific_explanation(case: Undeclared, rubric, tmp_path):
    item = rubric.item(case.item)
    fn = _function(tmp_path, case.module, case.old, case.new, item.attr)
    for seed in SEEDS:
        result = _judge(rubric, case.item, fn, seed)
        assert not result.passed, seed
        assert result.diagnosis is None, result.diagnosis  # nobody declared it
        explained = [e for e in result.explanations if e.kind == case.kind]
        assert explained, (seed, result.explanations)
        text = explained[0].text()
        for words in case.words:
            assert words in text, (seed, text)
        if case.kind != "inputs":
            assert explained[0].exact and "every failing trial" in text


@pytest.mark.parametrize("name, module, old, new", CORRECT, ids=[c[0] for c in CORRECT])
def test_a_right_answer_gets_no_explanation(name, module, old, new, rubric, tmp_path):
    item_id = {"p1a_float32": "p1a", "p2c_inplace_add": "p2c_f", "p3c_exact": "p3c",
               "p3e_loops": "p3e"}[name]
    fn = _function(tmp_path, module, old, new, rubric.item(item_id).attr)
    for seed in SEEDS:
        result = _judge(rubric, item_id, fn, seed)
        assert result.passed and result.explanations == (), (seed, result)


def test_every_reference_passes_unexplained(rubric):
    refs = References(rubric.reference_dir)
    for item in rubric.items:
        if item.kind in ("constant", "manual"):
            continue
        for reference in (item.reference, *item.alternatives):
            result = _judge(rubric, item.id, refs.get(reference), 7)
            assert result.passed and result.explanations == ()


def test_a_declared_mistake_comes_first(rubric):
    refs = References(rubric.reference_dir)
    for item in rubric.items:
        for mistake in item.mistakes:
            result = _judge(rubric, item.id, refs.get(mistake.reference), 5)
            if result.diagnosis is not None:
                assert result.explanations == (), (item.id, mistake.reference)


def test_feedback_says_how_sure_and_which_inputs(rubric, tmp_path):
    fn = _function(tmp_path, "problem3", "r = N // 2", "r = 1", "weight_grad_limit")
    result = _judge(rubric, "p3e", fn, 1)
    from grader.engine.outcomes import SubmissionResult

    text = feedback.item_feedback(result, SubmissionResult("s", rubric, 1, (result,))).text()
    assert "Diagnosis: Which inputs fail: your function passes all" in text
    fn = _function(tmp_path, "problem3", "return math.log(2.0) / (N * N * C * L)",
                   "return math.log10(2.0) / (N * N * C * L)", "sigma_w_for_doubling")
    result = _judge(rubric, "p3c", fn, 1)
    assert result.verdict.endswith("(likely: Your answer is log_10 e ≈0.434 times the right one)")


def test_diagnose_switches_checks_off(rubric, tmp_path):
    fn = _function(tmp_path, "problem1", "return 1.0 / d_x", "return 0.5 / d_x", "init_variance")
    item = rubric.item("p1a")
    quiet = item.model_copy(update={"diagnose": {"ratio": False}})
    sandbox = TrustedSandbox({item.id: fn}, {item.id: quiet})
    result = checks.judge_in(sandbox, References(rubric.reference_dir), [quiet], 1)["p1a"]
    assert not result.passed and not [e for e in result.explanations if e.kind == "ratio"]
    off = item.model_copy(update={"diagnose": False})
    sandbox = TrustedSandbox({item.id: fn}, {item.id: off})
    result = checks.judge_in(sandbox, References(rubric.reference_dir), [off], 1)["p1a"]
    assert result.explanations == ()


def test_diagnose_is_read_from_the_rubric_yaml(tmp_path):
    import yaml
    from conftest import ROOT, RUBRIC

    from grader.rubric.model import load_rubric

    data = yaml.safe_load(RUBRIC.read_text())
    data["reference"] = str(ROOT / "reference")
    data.pop("handout")
    p1a = next(i for i in data["items"] if i["id"] == "p1a")
    p1a["diagnose"] = {"ratio": False, "shift": ["d_x"]}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    rubric = load_rubric(path)
    from grader.engine import diagnose

    opts = diagnose.options(rubric.item("p1a"))
    assert opts["ratio"] is False and tuple(opts["shift"]) == ("d_x",) and opts["close"] is True
    fn = _function(tmp_path, "problem1", "return 1.0 / d_x", "return 0.5 / d_x", "init_variance")
    result = _judge(rubric, "p1a", fn, 1)
    assert not result.passed and not [e for e in result.explanations if e.kind == "ratio"]
    p1a["diagnose"] = {"ratio": "yes please"}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(Exception, match="diagnose"):
        load_rubric(path)
