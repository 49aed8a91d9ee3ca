"""Text shown to people, safely: student text escaped for each medium (text.py), rubric
Markdown with $LaTeX$ as HTML and MathML (markdown.py) or as plain text (plaintext.py),
and CSV whose cells no spreadsheet runs as formulas (spreadsheet.py).

Imports nothing of the grader: everything else shows text through it."""
