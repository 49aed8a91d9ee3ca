"""The rubric: YAML to frozen, validated models (model.py), the safe arithmetic of its
expressions (expr.py), the policy on late work and resubmissions (policy.py), items as
plain data for the kit (itemdata.py), and the reference functions it names, loaded in the
trusted process only (references.py).

Layer 1: imports `grader.display` and `grader.disk` at most. Tools that *check* a rubric
run it through the engine and live in `grader.authoring`."""
