"""What `grade similarity` writes: similarity.json, and similarity.html rendered from that
same data (every figure on the page is one of the file's, rounded once), with the
matching code side by side, highlighted on token boundaries."""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from grader.similarity.documents import Document, Options
from grader.similarity.pairs import Evidence, Pair, ring_of

if TYPE_CHECKING:
    from grader.rubric.model import Rubric
    from grader.similarity import Comparison

MAX_SIDE_BY_SIDE = 60  # pairs shown with their code (the rest: in the tables and the JSON)
MAX_ROWS = 200  # pairs listed in one table (the rest: counted, and in the JSON)
TOP = 10  # entries (rings and pairs) on the class's index.html


def data(result: Comparison, opts: Options) -> dict[str, Any]:
    """The report as data: what similarity.json holds and similarity.html shows."""
    flagged = [p for p in result.pairs if p.strength >= 1]
    near = [p for p in result.pairs if p.strength < 1]
    left = result.left_out
    ring = ring_of(result.rings)
    rings = [{"members": list(r.members), "center": r.center, "pairs": len(r.pairs),
              "score": max(p.score for p in r.pairs)} for r in result.rings]
    top = [{"ring": r["members"], "score": r["score"],
            "what": f"{r['pairs']} flagged pairs, up to {percent(r['score'])}"} for r in rings]
    top += [{"ring": None, "a": p.a, "b": p.b, "score": p.score, "what": what(p.reason)}
            for p in flagged if ring(p) is None]
    return {
        "students": result.students,
        "pairs": result.students * (result.students - 1) // 2,
        "compared": result.compared,
        "flagged": len(flagged), "near_misses": len(near), "rings": rings,
        "threshold": opts.threshold, "part_threshold": opts.part_threshold,
        "near": opts.near, "min_chars": opts.min_chars, "min_part_chars": opts.min_part_chars,
        "left_out": {"groups": left.groups, "common_min": left.common_min,
                     "given": _share(left.given, left.total),
                     "common": _share(left.common, left.total)},
        "top": top[:TOP], "top_more": max(0, len(top) - TOP),
        "flagged_pairs": [_pair(p, ring(p)) for p in flagged],
        "near_pairs": [_pair(p, None) for p in near],
    }


def _share(part: int, total: int) -> float:
    return int(1000 * part / total) / 1000 if total else 0.0


def _pair(p: Pair, ring: Any) -> dict[str, Any]:
    return {"a": p.a, "b": p.b, "score": p.score, "what": what(p.reason),
            "reason": _evidence(p.reason), "ring": ring,
            "whole": {"a": p.wholes[0].share, "b": p.wholes[1].share,
                      "channel": p.wholes[0].channel},  # each one's whole code, one channel
            "matching_chars": {"a": p.wholes[0].chars, "b": p.wholes[1].chars},
            "evidence": [_evidence(e) for e in p.evidence]}


def _evidence(e: Evidence) -> dict[str, Any]:
    return {"student": e.student, "kind": e.kind, "name": e.name or "everything",
            "file": e.file, "channel": e.channel, "share": e.share, "chars": e.chars,
            "flags": e.strength >= 1, "other": e.other, "other_file": e.other_file,
            "other_share": e.other_share}


def evidence_rows(pair: dict[str, Any]) -> list[dict[str, Any]]:
    """A pair's evidence (similarity.json's figures) as the page lists it: one row per
    file or function and its counterpart, with both students' shares; a function only
    when its file does not flag the pair already."""
    flagged_files = {(e["student"], e["name"]) for e in pair["evidence"]
                     if e["kind"] == "file" and e["flags"]}
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for e in pair["evidence"]:
        if e["kind"] == "function" and (e["student"], e["file"]) in flagged_files:
            continue
        mine, theirs = ("a", "b") if e["student"] == pair["a"] else ("b", "a")
        key = (e["kind"], *(e["name"], e["other"])[::1 if mine == "a" else -1])
        row = out.setdefault(key, {"kind": e["kind"], "a": None, "b": None, "a_share": None,
                                   "b_share": None, "channel": e["channel"],
                                   "flags": False, "chars": 0})
        row[mine], row[f"{mine}_share"] = _part(e["kind"], e["name"], e["file"]), e["share"]
        if e["other"] and row[theirs] is None:
            row[theirs] = _part(e["kind"], e["other"], e["other_file"])
            row[f"{theirs}_share"] = e["other_share"]
        row["flags"] |= e["flags"]
        row["chars"] = max(row["chars"], e["chars"])
    return sorted(out.values(), key=lambda r: (r["kind"] != "file", -max(
        r["a_share"] or 0, r["b_share"] or 0), r["a"] or "", r["b"] or ""))


def _part(kind: str, name: str, file: str) -> str:
    return name if kind == "file" else f"{name}() in {file}"


def what(e: Evidence) -> str:
    """The evidence in words: whose part, how much of it."""
    part = (f"all of {e.student}'s code" if e.kind == "document" else
            f"{e.student}'s {e.name}" if e.kind == "file" else
            f"{e.student}'s {e.name}() in {e.file}")
    return f"{percent(e.share)} of {part} ({how(e.channel)})"


def how(channel: str) -> str:
    return "as written" if channel == "text" else "names and comments aside"


def percent(share: float) -> str:
    """0.999 is 99.9%: the figure the JSON holds, shown."""
    return f"{share * 100:.1f}%"


def highlight(text: str, slices: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for s, e in sorted(slices):
        s = max(s, pos)
        if e <= s:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


def render(rubric: Rubric, report: dict[str, Any], result: Comparison,
           docs: dict[str, Document], opts: Options) -> str:
    from markupsafe import Markup

    from grader import __version__
    from grader.outputs.report import environment

    shown = 0

    def sides(p: Pair) -> Any:
        nonlocal shown
        if shown >= MAX_SIDE_BY_SIDE:
            return None
        shown += 1
        left, right = result.slices(p)
        return (Markup(highlight(docs[p.a].text, left)), Markup(highlight(docs[p.b].text, right)))

    flagged = [p for p in result.pairs if p.strength >= 1]
    data_of = {(d["a"], d["b"]): d for d in report["flagged_pairs"]}
    rings = []
    for k, ring in enumerate(result.rings):
        listed = [(p, data_of[(p.a, p.b)]) for p in ring.pairs]
        rings.append((report["rings"][k], listed[:MAX_ROWS], len(listed) - len(listed[:MAX_ROWS]),
                      [(p, d, sides(p)) for p, d in listed if ring.center in (p.a, p.b)][:MAX_ROWS]))
    alone = [(p, d) for p, d in zip(flagged, report["flagged_pairs"]) if d["ring"] is None]
    near = list(zip([p for p in result.pairs if p.strength < 1], report["near_pairs"]))
    return environment("grader.similarity").get_template("similarity.html.j2").render(
        rubric=rubric, report=report, rings=rings, opts=opts, percent=percent, how=how, evidence_rows=evidence_rows,
        alone=[(p, d, sides(p)) for p, d in alone[:MAX_ROWS]], alone_more=len(alone) - MAX_ROWS,
        near=[(p, d, sides(p)) for p, d in near[:MAX_ROWS]], near_more=len(near) - MAX_ROWS,
        version=__version__, max_code=MAX_SIDE_BY_SIDE, more=max(0, min(len(alone), MAX_ROWS) + min(len(near), MAX_ROWS)
                                      + sum(len(r[3]) for r in rings) - shown))
