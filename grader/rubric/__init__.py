"""The rubric: YAML to frozen, validated models (model.py), the safe arithmetic of its
expressions (expr.py), the policy on late work and resubmissions (policy.py), items as
plain data for the kit (itemdata.py), and the reference functions it names, loaded in the
trusted process only (references.py).

May import `grader.display` and `grader.disk` only. Tools that *check* a rubric
run it through the engine and live in `grader.authoring`."""
from pathlib import Path

DEFAULT_RUBRIC = Path(__file__).resolve().parents[2] / "rubrics" / "highways.yaml"  # the checkout's
