"""The written half on the trusted side: manual items' results (grades.py) and the TAs'
grades in SQLite (store.py), which every grading merges. (What a student wrote is read
and evaluated only inside the sandbox: grader/sandbox/written/.)

May import the engine and what lies below it."""
