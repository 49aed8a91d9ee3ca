"""Blackboard Learn's "Assignment File Download" (Grade Center): one flat zip.

Every attempt of a student has a receipt `{Assignment}_{username}_attempt_{YYYY-MM-DD-HH-MM-SS}.txt`
and each file they attached is `{Assignment}_{username}_attempt_{same time}_{file name}`.
The receipt reads

    Name: Alice Smith (asmith)
    Assignment: Homework 3
    Date Submitted: Monday, December 1, 2026 11:58:03 PM EST
    Current Grade: Needs Grading

    Submission Field:
    There is no student submission text data for this assignment.

    Comments:
    There are no student comments for this assignment.

    Files:
    	Original filename: problem1.py
    	Filename: Homework 3_asmith_attempt_2026-12-01-23-58-03_problem1.py

and says which name each file had. The latest attempt counts; earlier ones (with "all
attempts" downloaded) are kept aside, never graded. The time in the names is the
server's local time; the receipt's zone, when it is one of the usual abbreviations,
makes it exact.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Optional

from grader.classroom.imported import RECEIPT as RECEIPT_WHY
from grader.disk.unzip import ArchiveError
from grader.lms.model import Parsed, Upload, Who
from grader.lms.source import Source

_ATTEMPT = r"_attempt_(?P<time>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)"
RECEIPT_NAME = re.compile(r"^(?P<prefix>[^/]+)" + _ATTEMPT + r"\.txt$", re.S)
FILE_NAME = re.compile(r"^(?P<prefix>[^/]+?)" + _ATTEMPT + r"_(?P<file>[^/]+)$", re.S)
RECEIPT_BYTES = 1 << 20
ZONES = {"UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
         "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "AST": -4,
         "ADT": -3, "NST": -3.5, "NDT": -2.5, "WET": 0, "WEST": 1, "BST": 1, "CET": 1,
         "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "SGT": 8, "HKT": 8, "AWST": 8, "JST": 9,
         "KST": 9, "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13}


@dataclass
class Receipt:
    name: str = ""
    username: str = ""
    zone: Optional[dt.timezone] = None
    files: dict[str, str] = field(default_factory=dict)  # name in the download -> original


def recognise(names: list[str]) -> int:
    return sum(bool(RECEIPT_NAME.match(n) or FILE_NAME.match(n)) for n in names)


def read_receipt(text: str) -> Receipt:
    """The fields of a receipt. Its first line is the name and its third the date in every
    language Blackboard writes it in; the file list is read in English only (elsewhere the
    file names say enough)."""
    receipt = Receipt()
    original = None
    for number, line in enumerate(text.splitlines()):
        key, _, value = line.strip().partition(":")
        value = value.strip()
        if number == 0:
            m = re.match(r"^(?P<name>.*?)\s*\((?P<user>[^()]*)\)$", value)
            receipt.name, receipt.username = (m["name"], m["user"]) if m else (value, "")
        elif number == 2 and value:
            hours = ZONES.get(value.split()[-1].upper())
            receipt.zone = dt.timezone(dt.timedelta(hours=hours)) if hours is not None else None
        elif key == "Original filename":
            original = value
        elif key == "Filename" and original is not None:
            receipt.files[value] = original
            original = None
    return receipt


def parse(source: Source, names: list[str], expected: set[str]) -> Parsed:
    parsed = Parsed("blackboard")
    receipts = _receipts(source, names, parsed)
    users = sorted({r.username for r in receipts.values() if r.username}, key=len, reverse=True)
    stored = {f: (r, original) for r in receipts.values() for f, original in r.files.items()}
    attempts: dict[str, dict[str, list[tuple[str, str]]]] = {}  # user -> time -> files
    for member in names:
        m = FILE_NAME.match(member)
        if RECEIPT_NAME.match(member):
            continue
        if m is None:
            parsed.aside.append((member, "not named as Blackboard names submissions"))
            continue
        receipt, original = stored.get(member, (None, m["file"]))
        user = receipt.username if receipt and receipt.username else _user(m["prefix"], users)
        attempts.setdefault(user, {}).setdefault(m["time"], []).append((member, original))
    for (user, time), receipt in receipts.items():
        attempts.setdefault(user, {}).setdefault(time, [])
    for user, by_time in attempts.items():
        _student(parsed, user, by_time, receipts)
    return parsed


def _receipts(source: Source, names: list[str],
              parsed: Parsed) -> dict[tuple[str, str], Receipt]:
    """Every receipt, by (username, attempt time)."""
    found = {}
    for member in names:
        m = RECEIPT_NAME.match(member)
        if m is None:
            continue
        try:
            text = source.read(member, RECEIPT_BYTES).decode("utf-8-sig", "replace")
        except ArchiveError as exc:
            parsed.aside.append((member, f"a receipt that {exc}"))
            continue
        receipt = read_receipt(text)
        prefix = m["prefix"]
        if not (receipt.username and prefix.endswith("_" + receipt.username)):
            receipt.username = prefix.rpartition("_")[2]
        found[(receipt.username, m["time"])] = receipt
        parsed.of(Who(receipt.username, receipt.name, receipt.username, receipt.username)
                  ).aside.append((member, RECEIPT_WHY))
    return found


def _user(prefix: str, users: list[str]) -> str:
    """The username at the end of `{Assignment}_{username}`: a known one (usernames may
    hold '_'), else what follows the last '_'."""
    return next((u for u in users if prefix.endswith("_" + u)), prefix.rpartition("_")[2])


def _student(parsed: Parsed, user: str, by_time: dict[str, list[tuple[str, str]]],
             receipts: dict[tuple[str, str], Receipt]) -> None:
    latest = max(by_time)
    receipt = receipts.get((user, latest), Receipt())
    sub = parsed.of(Who(user, receipt.name, user, user))
    when = dt.datetime.strptime(latest, "%Y-%m-%d-%H-%M-%S")
    sub.submitted = when.replace(tzinfo=receipt.zone).isoformat()
    for time, found in sorted(by_time.items()):
        for member, original in found:
            label = "" if time == latest else time
            sub.uploads.append(Upload(member, original, (time,), attempt=label))
