"""What one grading writes for people and for Gradescope: feedback in words
(feedback.py), report.html (report.py, templates/) and results.json (results_json.py).

Layer 5: imports the engine, the written half's grades and the layers below."""
