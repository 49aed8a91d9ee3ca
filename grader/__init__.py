"""Highways auto-grader: grades student modules out of process against rubric-driven references."""
from __future__ import annotations

__version__ = "0.1.0"
