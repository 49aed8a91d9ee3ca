"""Grading one submission's items: find its files (submission.py), draw each item's
inputs (inputs.py), plan the calls and run them in the sandbox (modules.py, checks.py),
compare with the reference (compare.py), explain a wrong answer nobody declared
(diagnose/), and the typed results (outcomes.py) with their JSON record (record.py);
what would fail every submission, found before any is touched (preflight.py).

May import the rubric, the sandbox, grader.disk and grader.display. It writes no output file
and knows no class, kit, TA app or LMS."""
