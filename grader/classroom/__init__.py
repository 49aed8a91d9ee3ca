"""A whole class: grading every student in parallel (run.py coordinates, worker.py grades
in each worker process, pool.py keeps the workers), what changed since the
last run (changes.py), the roster (roster.py) and what `grade import` recorded of the
class (imported.py: students.csv), grades.csv and the LMS exports, written only once
nothing waits for a TA (gradebook.py, exports.py), index.html (outputs.py, templates/),
and the records a class run leaves in its reports folder for the tools that come after
it (records.py).

May import the single-submission pipeline and everything below it
(tests/test_architecture.py holds the order)."""
