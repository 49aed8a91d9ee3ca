"""A rubric with hidden items, for the tests of what hidden means (issue 19, items 10, 11)."""
from __future__ import annotations

from pathlib import Path

import yaml

from conftest import ROOT, RUBRIC


def hidden_rubric_at(path: Path, hidden: tuple[str, ...]) -> Path:
    """The shipped rubric with the items `hidden` made `visibility: hidden`."""
    data = yaml.safe_load(RUBRIC.read_text())
    data["reference"] = str(ROOT / "reference")
    data["handout"] = str(ROOT / "docs" / "handout.md")
    assert set(hidden) <= {item["id"] for item in data["items"]}
    for item in data["items"]:
        if item["id"] in hidden:
            item["visibility"] = "hidden"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
