"""Tools for rubric authors: `grade rubric check` (check.py) with its self-test
(selftest.py) and automatic mutants (mutants.py), and `grade explain` (explain.py).

May import the engine, the sandbox and what lies below them (tests/test_architecture.py
holds the order); no class, kit or TA app."""
