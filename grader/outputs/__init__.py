"""What one grading writes for people and for Gradescope: feedback in words
(feedback.py), report.html (report.py, templates/) and results.json (results_json.py).

May import the engine, the written half's grades and what lies below them."""
