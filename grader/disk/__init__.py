"""The file system, carefully: a student's folder read as root without trusting it
(files.py), a zip nobody vouches for read by the same rules (unzip.py), who a student is
and where their outputs go in a class (student_folders.py), which grader modules an entry
point needs (imports.py), the grader's scratch folders and their sweeping (workspace.py),
reproducible zips (archive.py).

May import grader.display only (to show names as text)."""
