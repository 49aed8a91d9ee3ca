"""Hostile answers: what a submission sends back can neither stop, starve nor fool the
grader (issue 10, families 1, 2 and 8). Each case is graded through the real command
line under a memory bound (prlimit on the grader); the grader's own peak is asserted."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from conftest import EXAMPLES, by_item, short_items
from hostile import build, grade_with_peak, leftovers

pytestmark = pytest.mark.slow
P2 = ["p2a", "p2b", "p2c_f", "p2c_h", "p2c_d"]
HONEST_PEAK: list[int] = []
OVER_HONEST_MB = 300  # the grader's own peak may exceed an honest submission's by this much


def _grade(files: dict, tmp_path: Path, rubric: Path) -> tuple[dict, int]:
    build(files, tmp_path / "sub", {})
    proc, peak = grade_with_peak(tmp_path / "sub", tmp_path / "out", "--rubric", str(rubric))
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert "internal_error" not in results["extra_data"], results["extra_data"]
    assert len(results["tests"]) == 25
    assert leftovers() == []
    return results, peak


@pytest.fixture(scope="module")
def honest_peak(fast_rubric, tmp_path_factory) -> int:
    out = tmp_path_factory.mktemp("honest")
    proc, peak = grade_with_peak(EXAMPLES / "alice", out, "--rubric", str(fast_rubric))
    assert proc.returncode == 0 and peak > 0
    return peak


def _outputs(results: dict, item: str) -> str:
    return by_item(results)[item]["output"]


CLOCKS = """
import time, math
for name in ("perf_counter", "monotonic", "time", "process_time", "perf_counter_ns"):
    setattr(time, name, lambda *a: float("nan"))
"""


def test_a_student_who_breaks_the_clock_breaks_nothing(fast_rubric, tmp_path):
    """The grader times every call itself; nothing the child says about time is read."""
    results, _ = _grade({"@problem1.py": CLOCKS, "problem1.py": ("init_variance", (
        "import os\n    os.times()\n    __import__('select').select([], [], [], 0.05)\n"
        "    return 1.0 / d_x"))}, tmp_path, fast_rubric)
    assert short_items(results) == set()
    assert math.isfinite(results["execution_time"])
    p1a = by_item(results)["p1a"]["extra_data"]
    assert math.isfinite(p1a["duration"]) and p1a["duration"] >= 12 * 0.05


@pytest.mark.parametrize("body, item", [
    ("return 10 ** 400", "p1a"),
    ("return -(10 ** 5000)", "p1a"),
    ("return [1.0, [2.0, 10 ** 400]]", "p1a"),
    ("import numpy as np\n    return np.longdouble('1e4000')", "p1a"),
    ("import numpy as np\n    return np.full(3, np.longdouble('1e4000'))", "p1a"),
])
def test_numbers_too_large_for_float64_are_the_students_to_fix(body, item, fast_rubric,
                                                               tmp_path):
    results, _ = _grade({"problem1.py": ("init_variance", body)}, tmp_path, fast_rubric)
    assert short_items(results) == {item}
    assert "a number too large for float64" in _outputs(results, item)


# The harness's own channel, found by a student who read child.py: the wire module is in
# sys.modules, the response descriptor is a pipe among the first few.
FORGER = """
import os, stat, sys
def _forge(message):
    wire = sys.modules["_grader_wire"]
    for fd in range(3, 20):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and fd != 1:
                os.write(fd, wire.encode(message))
        except OSError:
            pass
"""


@pytest.mark.parametrize("message", [
    {"event": "confined", "layers": ["fully verified sandbox"]},
    {"event": "imported", "ok": True, "backend": "numpy"},
    {"event": "result", "call": 1, "status": "ok", "value": 0.5},
    {"event": "done"},
])
def test_forged_messages_change_no_report_and_no_score(message, fast_rubric, tmp_path,
                                                       honest_layers):
    results, _ = _grade({"@problem1.py": FORGER, "problem1.py": (
        "init_variance", f"_forge({message!r})\n    return 1.0 / d_x")}, tmp_path, fast_rubric)
    assert results["extra_data"]["sandbox_layers"] == honest_layers
    assert "fully verified sandbox" not in json.dumps(results)
    lost = short_items(results)
    assert lost <= {"p1a", "p1b_exact", "p1b"}  # only what shares the forger's process
    if message["event"] != "done":
        assert "p1a" in lost


@pytest.fixture(scope="module")
def honest_layers(fast_rubric, tmp_path_factory) -> list[str]:
    out = tmp_path_factory.mktemp("layers")
    proc, _ = grade_with_peak(EXAMPLES / "alice", out, "--rubric", str(fast_rubric))
    return json.loads((out / "results.json").read_text())["extra_data"]["sandbox_layers"]


@pytest.mark.parametrize("megabytes, message", [
    (64, "returned 64 MB; the limit per call is 16 MB"),
    (15, "got an array of shape [1966080]"),
])
def test_large_answers_from_every_call_cost_the_student_not_the_grader(
        megabytes, message, fast_rubric, tmp_path, honest_peak):
    """Only the calls that answer so lose; the module's other, right functions do not."""
    n = megabytes * (1 << 20) // 8
    edits = [(f, f"import numpy as np\n    return np.ones({n})")
             for f in ("split_weights", "ugrnn_forward")]
    results, peak = _grade({"problem2.py": edits}, tmp_path, fast_rubric)
    assert short_items(results) == {"p2a", "p2b"}
    assert message in _outputs(results, "p2b"), _outputs(results, "p2b")
    assert peak < honest_peak + OVER_HONEST_MB, (peak, honest_peak)


RAW = """
import os, stat, struct
def _raw(n):
    header = b'{"m":{"event":"result","call":0,"status":"ok","value":[' + b'[],' * n + b'[]]},"b":[]}'
    for fd in range(3, 20):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and fd != 1:
                os.write(fd, struct.pack(">4sIQ", b"HWG2", len(header), 0) + header)
        except OSError:
            pass
"""


@pytest.mark.parametrize("files, elements", [
    ({"problem2.py": ("split_weights", "return [[]] * 400_000")}, "800,0"),
    ({"@problem2.py": RAW, "problem2.py": ("split_weights", "_raw(5_000_000)")}, "10,000,0"),
])
def test_answers_that_balloon_when_decoded_are_refused_before_decoding(
        files, elements, tmp_path, honest_peak):
    """Two bytes of `[]` would become a 56-byte list: 15 MB of them, 400 MB. Building
    400,000 lists takes the child a second or two on a busy machine: 10 s a call."""
    from hostile import fast_rubric_at

    results, peak = _grade(files, tmp_path, fast_rubric_at(tmp_path / "rubric.yaml", timeout=10))
    assert "p2a" in short_items(results)
    output = _outputs(results, "p2a")
    assert f"a value of up to {elements}" in output
    assert "numbers and lists; the limit is 262,144" in output
    assert peak < honest_peak + OVER_HONEST_MB, (peak, honest_peak)


def test_output_printed_at_import_is_always_in_the_report(fast_rubric, tmp_path):
    for k in range(4):
        build({"@problem1.py": f"print('printed at import {k}')\n"}, tmp_path / f"s{k}", {})
        proc, _ = grade_with_peak(tmp_path / f"s{k}", tmp_path / f"o{k}", "--rubric",
                                  str(fast_rubric))
        assert f"printed at import {k}" in (tmp_path / f"o{k}" / "report.html").read_text()


BAD_FRAME = FORGER + """
def _bad_frame():
    import struct
    header = b"\\xff\\xfe not json"
    for fd in range(3, 20):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and fd != 1:
                os.write(fd, struct.pack(">4sIQ", b"HWG2", len(header), 0) + header)
        except OSError:
            pass
"""
P3E_FIRST_CALL = 133  # calls are numbered in rubric order: p3e's first trial


@pytest.mark.parametrize("body", [
    f"_forge({{'event': 'result', 'call': {P3E_FIRST_CALL}, 'status': 'raised'}})",
    "_bad_frame()",
])
def test_a_forged_or_malformed_frame_costs_only_the_call_that_sent_it(body, fast_rubric,
                                                                      tmp_path):
    results, _ = _grade({"@problem3.py": BAD_FRAME, "problem3.py": (
        "variance_at_layer", f"{body}\n    return (1 + N * N * C * sigma_w) ** ell")},
        tmp_path, fast_rubric)
    assert short_items(results) == {"p3b"}
    assert "malformed data" in _outputs(results, "p3b") or \
        "out of turn" in _outputs(results, "p3b")
