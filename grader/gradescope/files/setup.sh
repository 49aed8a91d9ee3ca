#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (Ubuntu, as root).
# It installs what grading needs into the image's python3, creates the unprivileged user
# student code runs as, and hides the reference, rubric and results from that user.
set -euo pipefail
ROOT="${GRADESCOPE_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PYTHON="${PYTHON:-python3}"
TORCH_PIN="torch==2.13.0+cpu"   # the CPU build; a plain `torch` pulls a multi-GB CUDA build

if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip
fi
pip=("$PYTHON" -m pip install --disable-pip-version-check -q)
# The image's index first; where it has no CPU build, PyTorch's own index. The first
# attempt's error stays in the log: it is the one that says why (no network, no such pin).
if ! "${pip[@]}" "$TORCH_PIN"; then
    echo "setup.sh: $TORCH_PIN is not on the configured index (pip's error above);" \
         "trying https://download.pytorch.org/whl/cpu" >&2
    "${pip[@]}" "$TORCH_PIN" --extra-index-url https://download.pytorch.org/whl/cpu
fi
"${pip[@]}" -r "$SOURCE/requirements.txt"

if [ "$(id -u)" = 0 ]; then
    # The sandbox runs student code as uid 61000 and up, one per concurrent process; the
    # first gets a name so that `ps` shows what it is.
    id -u hwsandbox >/dev/null 2>&1 || useradd --system --no-create-home --uid 61000 \
        --shell /usr/sbin/nologin hwsandbox 2>/dev/null || true
    mkdir -p "$ROOT/results"
    chmod 700 "$SOURCE/@REFERENCE@" "$SOURCE/rubrics" "$ROOT/results"
    # Let that user reach the interpreter (e.g. one under /root), not list folders.
    "$PYTHON" - <<'PY'
import os, stat, sys
from pathlib import Path
for top in {sys.base_prefix, sys.prefix}:
    for folder in [Path(top), *Path(top).parents]:
        if not folder.stat().st_mode & stat.S_IXOTH:
            os.chmod(folder, folder.stat().st_mode | stat.S_IXOTH)
PY
fi
(cd "$SOURCE" && "$PYTHON" -c "import grader.gradescope")  # everything grading needs imports
echo "setup.sh: done"
