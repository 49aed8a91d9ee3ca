"""The TAs' web app for manual items (app.py, templates/; queue.py: whose answers TAs are
shown, in which order, and who handed in nothing) and the merging of their grades into
students' outputs and the class's (merge.py). The grades themselves and their
store are `grader.written`.

May import the class, the pipeline and everything below them
(tests/test_architecture.py holds the order)."""
