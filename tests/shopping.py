"""Submissions of a student who shops for luck or fits to the feedback (issue 19, items 3
and 4), for the tests of the seed policy: one wrong only for d_x = 5, and the same code
resubmitted with only its comments changed, or with a change that does nothing."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import EXAMPLES

RIGHT_FORWARD = "    h_next = f * h + (1.0 - f) * d\n"
WRONG_FOR_DX5 = RIGHT_FORWARD + "    if x.shape[1] == 5:\n        h_next = h_next + 0.5\n"


def lucky(dest: Path) -> Path:
    """alice's submission, but ugrnn_forward is wrong whenever d_x = 5 (p2b, 2 points)."""
    shutil.copytree(EXAMPLES / "alice", dest)
    source = (dest / "problem2.py").read_text()
    assert RIGHT_FORWARD in source
    (dest / "problem2.py").write_text(source.replace(RIGHT_FORWARD, WRONG_FOR_DX5))
    return dest


def recommented(src: Path, dest: Path, k: int) -> Path:
    """The same code with other comments, docstrings, blank lines and spacing, and other
    prose in answers.md: nothing the code does is changed."""
    shutil.copytree(src, dest)
    for path in dest.glob("*.py"):
        text = path.read_text()
        text = re.sub(r'"""[^"]*"""', f'"""Resubmission {k}: nothing but words changed."""',
                      text)
        text = text.replace("\n\n", f"\n\n# resubmitted ({k})\n\n").replace(" = ", "  =  ")
        path.write_text(f"# attempt {k}\n" + text + "\n\n\n")
    answers = dest / "answers.md"
    answers.write_text(answers.read_text().replace("## 1b\n", f"## 1b\n\nAttempt {k}: ", 1))
    return dest


def retouched(src: Path, dest: Path, k: int) -> Path:
    """The same behaviour from other code: a new constant nobody uses."""
    shutil.copytree(src, dest)
    path = dest / "problem2.py"
    path.write_text(path.read_text() + f"\n_UNUSED = {k}\n")
    return dest
