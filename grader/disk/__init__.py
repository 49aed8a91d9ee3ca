"""The file system, carefully: a student's folder read as root without trusting it
(files.py), a zip nobody vouches for read by the same rules (unzip.py), the grader's
scratch folders and their sweeping (workspace.py), reproducible zips (archive.py).

Layer 0: imports nothing of the grader."""
