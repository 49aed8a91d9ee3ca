"""Tools for rubric authors: `grade rubric check` (check.py) with its self-test
(selftest.py) and automatic mutants (mutants.py), and `grade explain` (explain.py).

Layer 7: imports the engine and the layers below; no class or TA app."""
