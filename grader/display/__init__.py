"""Text shown to people, safely: student text escaped for each medium (text.py), rubric
Markdown with $LaTeX$ as HTML and MathML (markdown.py) or as plain text (plaintext.py).

Layer 0: imports nothing of the grader. Everything above shows text through it."""
