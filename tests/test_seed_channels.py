"""Red team, fourth pass: a table the seed does not see. The seed leaves comments,
docstrings, layout and answers.md's prose out, so code that reads them (by a way the
seed's list of readers does not name) could change what it returns while the inputs stay
the same, and fit the feedback regrade after regrade (issue 19, item 3). The sandbox runs
each such file rewritten from its tree, and answers.md apart from the Python modules:
what the seed leaves out, no code can read."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import EXAMPLES

from grader.engine import seeds
from grader.outputs.feedback import item_feedback
from grader.pipeline import Request, grade

# Each reads a number from text the seed leaves out, in a way no reader name shows.
READS = {
    "own bytes": "import _io, sys\nSOURCE = _io.FileIO(sys.argv[0]).readall().decode()",
    "cat": "import os, sys\nSOURCE = os.popen('cat ' + sys.argv[0]).read()",
    "traceback": ("import traceback\ntry:\n    raise KeyError  # TABLE {entry}\n"
                  "except KeyError:\n    SOURCE = traceback.format_exc()"),
    "docstring": ('import operator\n\n\ndef _doc():\n    """TABLE {entry}"""\n\n\n'
                  "SOURCE = operator.attrgetter('__d' + 'oc__')(_doc) or ''"),
    "line numbers": ("import sys\n{blank}try:\n    raise KeyError\nexcept KeyError:\n"
                     "    SOURCE = 'TABLE %d' % sys.exc_info()[2].tb_lineno"),
    "answers prose": ("import os, sys\nHERE = os.path.dirname(sys.argv[0])\n"
                      "SOURCE = ''.join(os.popen('cat ' + os.path.join(HERE, n)).read() "
                      "for n in os.listdir(HERE) if n.lower().startswith('answers'))"),
}
USE = '''
import re as _re


def variance_at_layer(ell, sigma_w, N, C):
    found = _re.findall(r"TABLE (\\d+)", SOURCE)
    return float(found[-1]) if found else -1.0
'''


def _fitter(folder: Path, read: str, entry: str) -> Path:
    shutil.copytree(EXAMPLES / "alice", folder)
    code = read.replace("{entry}", entry).replace("{blank}", "\n" * int(entry))
    (folder / "problem3.py").write_text(f"# fitted: TABLE {entry}\n{code}\n{USE}")
    answers = folder / "answers.md"
    answers.write_text(answers.read_text().replace("## 1b\n", f"## 1b\n\nTABLE {entry}\n", 1))
    return folder


def _got(folder: Path, out: Path, rubric, sandbox) -> tuple[int, str]:
    result = grade(Request(folder, out, rubric, only=("p3b",)), sandbox)
    (item,) = result.items
    return result.seed, item_feedback(item, result).text()


@pytest.mark.parametrize("how", list(READS))
def test_what_the_seed_leaves_out_no_code_can_read(rubric, tmp_path, how):
    """Two submissions that differ only in a comment (and answers.md's prose) get the same
    seed, so they must get the same feedback: nothing in them may tell them apart."""
    from grader.sandbox.process import SubprocessSandbox

    sandbox = SubprocessSandbox.ready_for(torch=False)()
    one = _fitter(tmp_path / "one", READS[how], "1")
    two = _fitter(tmp_path / "two", READS[how], "2")
    assert seeds.submission_seed(rubric, one) == seeds.submission_seed(rubric, two)
    seed_one, said_one = _got(one, tmp_path / "o1", rubric, sandbox)
    seed_two, said_two = _got(two, tmp_path / "o2", rubric, sandbox)
    assert seed_one == seed_two
    assert said_one == said_two, (said_one, said_two)


def test_tracebacks_still_point_at_the_students_own_lines(rubric, tmp_path):
    """The rewritten file has other lines; the student reads their own."""
    from grader.sandbox.process import SubprocessSandbox

    folder = tmp_path / "raiser"
    shutil.copytree(EXAMPLES / "alice", folder)
    (folder / "problem3.py").write_text(
        '"""My solution."""\n\n# a comment\n\n\ndef variance_at_layer(ell, sigma_w, N, C):\n'
        '    """Docs."""\n\n    x = 1  # one\n\n    return x / (ell - ell)  # oops\n')
    sandbox = SubprocessSandbox.ready_for(torch=False)()
    _, said = _got(folder, tmp_path / "out", rubric, sandbox)
    assert 'line 11, in variance_at_layer' in said and "return x / (ell - ell)  # oops" in said


def test_an_answer_written_after_a_value_counts_in_the_seed(rubric, tmp_path):
    """When the display math only sets a value, the graded answer is the inline math after
    it (`$$(1 + a)^L = 2$$ gives $\\sigma_W = ...$`): changing it changes the answer, so it
    must draw new inputs."""
    seeds_seen = set()
    for answer in (r"\frac{\ln 2}{N^2 C L}", r"\frac{1}{N^2 C L}"):
        folder = tmp_path / str(len(seeds_seen))
        shutil.copytree(EXAMPLES / "alice", folder)
        answers = folder / "answers.md"
        text = answers.read_text()
        old = "$(1 + N^2 C \\sigma_W)^L = 2$ gives, for large $L$,\n" \
              "$$\\sigma_W \\approx \\frac{\\ln 2}{N^2 C L}$$"
        assert old in text
        answers.write_text(text.replace(
            old, f"$$(1 + N^2 C \\sigma_W)^L = 2$$ gives $\\sigma_W = {answer}$"))
        seeds_seen.add(seeds.submission_seed(rubric, folder))
    assert len(seeds_seen) == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="a sandbox user exists only when root")
def test_on_gradescope_the_sandbox_user_cannot_read_the_upload():
    """Without Landlock (Gradescope's containers may lack it), the sandbox user could read
    /autograder/submission as uploaded, comments and prose included: the seed leaves them
    out, so a table there would fit the feedback. The upload is root's alone."""
    from conftest import SANDBOX_UIDS

    from grader.gradescope.run import private

    top = Path(tempfile.mkdtemp(prefix="hwg-test-gs-"))  # as /autograder: others may pass
    try:
        root = top / "autograder"
        shutil.copytree(EXAMPLES / "alice", root / "submission")
        (root / "submission_metadata.json").write_text("{}")
        for folder in (top, root):
            os.chmod(folder, 0o755)
        private(root)
        _unreadable_to_the_sandbox_user(root, SANDBOX_UIDS)
    finally:
        shutil.rmtree(top)


def _unreadable_to_the_sandbox_user(root: Path, uid: int) -> None:
    for path in (root / "submission" / "problem3.py", root / "submission_metadata.json"):
        pid = os.fork()
        if pid == 0:  # the sandbox user, with no layer but its uid
            try:
                os.setgid(uid)
                os.setuid(uid)
                open(path).read()
                os._exit(0)
            except OSError:
                os._exit(1)
            except BaseException:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 1, path
