"""Finding a submission's files and copying them privately."""
from __future__ import annotations

import os

from grader.engine.submission import locate, private_copy

MODULES = {"problem1", "problem2", "problem3"}


def _touch(path, text="x = 1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_files_directly_in_the_folder(tmp_path):
    for m in ("problem1", "problem3"):
        _touch(tmp_path / f"{m}.py")
    sub = locate(tmp_path, MODULES)
    assert sub.root == tmp_path.resolve() and sub.present == {"problem1", "problem3"}


def test_files_one_folder_down_and_junk_folders_ignored(tmp_path):
    _touch(tmp_path / "__MACOSX" / "hw" / "problem1.py")
    _touch(tmp_path / "__MACOSX" / "problem1.py")
    for m in MODULES:
        _touch(tmp_path / "hw" / f"{m}.py")
    sub = locate(tmp_path, MODULES)
    assert sub.root == (tmp_path / "hw").resolve() and sub.present == MODULES


def test_the_folder_with_most_files_wins(tmp_path):
    _touch(tmp_path / "old" / "problem1.py")
    for m in MODULES:
        _touch(tmp_path / "final" / f"{m}.py")
    assert locate(tmp_path, MODULES).root.name == "final"


def test_an_empty_folder_has_nothing(tmp_path):
    (tmp_path / "README.txt").write_text("ran out of time")
    sub = locate(tmp_path, MODULES)
    assert sub.present == frozenset() and sub.root == tmp_path.resolve()


def test_capitalised_file_names_count(tmp_path):
    _touch(tmp_path / "Problem1.py")
    sub = locate(tmp_path, MODULES)
    assert sub.present == {"problem1"}
    copy = private_copy(sub, MODULES, tmp_path / "copy").root
    assert (copy / "problem1.py").exists() and (copy / "Problem1.py").exists()


def test_private_copy_skips_symlinks_and_keeps_helpers(tmp_path):
    src = tmp_path / "sub"
    _touch(src / "problem1.py")
    _touch(src / "lib" / "helpers.py")
    secret = tmp_path / "secret.txt"
    secret.write_text("answers")
    os.symlink(secret, src / "link.txt")
    os.symlink(tmp_path, src / "up")
    copy = private_copy(locate(src, MODULES), MODULES, tmp_path / "copy").root
    assert (copy / "lib" / "helpers.py").exists()
    assert not (copy / "link.txt").exists() and not (copy / "up").exists()


def test_legacy_encodings_become_utf8(tmp_path):
    src = tmp_path / "sub"
    src.mkdir()
    (src / "problem1.py").write_bytes("# café\nX = 'é'\n".encode("cp1252"))
    (src / "problem2.py").write_bytes("# -*- coding: latin-1 -*-\nX = 'é'\n".encode("latin-1"))
    # Notepad's "Unicode" (UTF-16 LE with its BOM), with Windows' line ends
    (src / "problem3.py").write_bytes("# Zoë\r\nX = 'σ'\r\n".encode("utf-16"))
    copy = private_copy(locate(src, MODULES), MODULES, tmp_path / "copy").root
    assert (copy / "problem1.py").read_text(encoding="utf-8") == "# café\nX = 'é'\n"
    assert (copy / "problem3.py").read_bytes() == "# Zoë\r\nX = 'σ'\r\n".encode("utf-8")
    assert (copy / "problem2.py").read_bytes() == (src / "problem2.py").read_bytes()
