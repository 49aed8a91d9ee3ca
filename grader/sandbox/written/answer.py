"""The answer in a piece of math, as a reader takes it: of an environment (aligned, align*,
equation, gather, split, multline, cases) its last line, of a line the side after its last
relation, and never an annotation: `\\text{...}`, a condition after `\\quad`, a comma or a
semicolon (`L \\gg 1`, `\\text{for large } L`), `\\tag{}`, `\\label{}`, a full stop. What
cannot be told apart is said, not guessed."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

from .extract import short
from .sections import AnswerError
from .unicode import to_latex

RELATION = re.compile(r"\\(?:approx|approxeq|simeq|sim|equiv|coloneqq|triangleq|doteq|eqqcolon|"
                      r"to|rightarrow|longrightarrow|implies|Rightarrow|Longrightarrow|iff|"
                      r"Leftrightarrow|therefore)(?![A-Za-z])|:=|(?<![<>!\\])=")
CONDITION = re.compile(r"\\(?:gg|ll|geq?|leq?|geqq|leqq|geqslant|leqslant|gtrsim|lesssim|"
                       r"neq?|in|notin|forall|to|rightarrow|longrightarrow|mapsto|gt|lt)"
                       r"(?![A-Za-z])|(?<!\\left)(?<!\\right)[<>]")
_ENDS_IN_RELATION = re.compile(r"(?:" + RELATION.pattern + r")\s*$")
_INNER_CONDITION = re.compile(CONDITION.pattern.replace("|to|rightarrow|longrightarrow|mapsto", ""))
_TEXT = r"\\(?:text(?:rm|it|bf|sf|tt|normal|up)?|mbox|hbox|math(?:rm|it|bf|sf))"
_SCRIPT_TEXT = re.compile(r"([_^])\s*(?:" + _TEXT + r"|\\operatorname|\\boldsymbol)\s*"
                          r"\{\s*([^{}]*?)\s*\}")
_SCRIPT_GROUP = re.compile(r"([_^]\s*\{)((?:[^{}]|\{[^{}]*\})*)\}")
_HIGHER_ORDER = re.compile(  # `+ O(L^{-2})`, `+ \\ldots` after an approximation: not a term
    r"\s*[+-]\s*(?:(?:\\mathcal\s*\{?\s*O\s*\}?|\\operatorname\{O\}|O|o)\s*(?:\\left\s*)?"
    r"\((?:[^()]|\([^()]*\))*(?:\\right\s*)?\)|\\[lc]?dots|\\ldots|\\cdots)\s*$")
_SOFT = re.compile(r"\\[;:> ]|~|\\,|\\enspace|\\quad|\\qquad")
_ENVIRONMENTS = {  # environment: how its `&` reads (see _columns)
    **dict.fromkeys(("equation", "align", "aligned", "alignat", "alignedat", "flalign", "gather",
                     "gathered", "split", "multline", "subequations", "displaymath", "math",
                     "empheq"), "align"),
    **dict.fromkeys(("cases", "dcases", "rcases", "numcases"), "cases"),
    **dict.fromkeys(("array", "eqnarray"), "array")}

_CONNECT = ["is", "are", "equals", "equal to", "gives", "giving", "yields", "becomes", "so",
            "thus", "hence", "therefore", "i e", "ie", "that is", "we get", "we obtain",
            "we have", "which is", "namely", "answer", "result", "solution", "reads",
            "approximately", "roughly", "given by", "simplifies to", "reduces to"]
_REMARK = {"where", "with", "if", "when", "whenever", "for", "since", "because", "as", "given",
           "assuming", "provided", "while", "whereas", "unless", "not", "vs", "versus",
           "instead", "rather", "compared", "except", "and", "but", "like"}  # "where d_x = ..."
_OR = ["or", "equivalently", "or equivalently", "alternatively"]
_INFIX = ["times", "plus", "minus", "over", "divided by", "multiplied by", "per", "power",
          "power of", "raised to"]
_POSTFIX = {"squared", "cubed", "inverse", "inverted"}


@dataclass
class _Segment:
    kind: str  # "start", "text" (words), "space" (\quad), "comma" (, or ;), "colon"
    brk: str  # the break as written (the words of a text)
    math: str  # the math after the break, up to the next


def answers(math: str) -> list[str]:
    """The answer of `math`: one expression as LaTeX, or several when the line gives
    alternatives ("... or ..."), which must then all be right."""
    latex = clean(math)
    rows = _rows(latex)
    for k in range(len(rows) - 1, -1, -1):
        row = rows[k]
        if k and re.match(r"\s*(?:[-+*/]|\\cdot|\\times)", _bare(row)):
            row = rows[k - 1] + " " + row  # a line that goes on from the one above
        found = _peel(row)
        if found and k and RELATION.search(found[-1]) and _trivial(_rhs(found[-1]), numbers=True) \
                and any(not _trivial(_rhs(r), numbers=True) for r in rows[:k]):
            continue  # `\\sigma^2_0 = 1` on a line after the answer: a side fact
        if found:
            return [_last_side(s, row) for s in found]
    raise AnswerError(f"`{short(math)}` holds no answer, only words: write the final "
                      "answer as math after the words")


def clean(math: str) -> str:
    """Unicode as LaTeX, comments, Markdown's escapes, tags and labels out, and words in a
    subscript (`\\sigma_{\\text{W}}`) as the letters they are."""
    latex = to_latex(math)
    latex = re.sub(r"(?<!\\)%[^\n]*", " ", latex)
    if not re.search(r"(?<!\\)\\[A-Za-z]", latex):  # \\frac written for a renderer
        latex = re.sub(r"\\\\(?=[A-Za-z])", r"\\", latex)
    latex = re.sub(r"\\([_*])", r"\1", latex)  # Markdown's escapes: d\_x
    latex = _drop_command(latex, r"\\[hv]?phantom")  # invisible: not part of what is read
    latex = _drop_command(latex, r"\\tag\*?")
    latex = _drop_command(latex, r"\\label")
    latex = re.sub(r"\\(?:nonumber|notag|qed|qedhere|blacksquare|square|Box|checkmark|"
                   r"hfill)(?![A-Za-z])", " ", latex)  # the end of a proof is not a factor
    latex = re.sub(r"\\(?:stackrel|overset|underset)\s*\{(?:[^{}]|\{[^{}]*\})*\}\s*"
                   r"\{([^{}]*)\}", r" \1 ", latex)  # \overset{!}{=}: the relation
    latex = re.sub(r"\\x(?:long)?(?:right|Right)arrow\s*(?:\[[^\]]*\])?\s*"
                   r"\{(?:[^{}]|\{[^{}]*\})*\}", r" \\to ", latex)
    latex = re.sub(r"\\(?:intertext|shortintertext)\s*\{[^{}]*\}", r"\\\\", latex)
    latex = _SCRIPT_TEXT.sub(r"\1{\2}", latex)
    latex = _SCRIPT_GROUP.sub(lambda m: m.group(1) + re.sub(
        _TEXT + r"\s*\{([^{}]*)\}|\{\\(?:rm|it|bf)\s+([^{}]*)\}|\\(?:rm|it|bf)\s+",
        lambda t: (t.group(1) or t.group(2) or "").strip(), m.group(2)) + "}", latex)
    latex = re.sub(_TEXT + r"\s*\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}(?=\s*[_^])", r"\1", latex)
    latex = re.sub(r"\\math(?:rm|it|bf|sf)\s+([A-Za-z])(?![A-Za-z])", r"\1", latex)
    if re.search(r"\\right\s*\.", latex):  # \left\{ ... \right. around cases of an array
        latex = re.sub(r"\\left\s*(?:\\\{|\\lbrace)|\\right\s*\.", " ", latex)
    return latex


def _drop_command(latex: str, name: str) -> str:
    for found in reversed(list(re.finditer(name + r"\s*\{", latex))):
        end = _group_end(latex, found.end() - 1)
        latex = latex[:found.start()] + " " + latex[end + 1 if end > 0 else len(latex):]
    return latex


def _group_end(latex: str, start: int) -> int:
    """Where the brace opened at `start` closes (-1: never)."""
    depth = 0
    for i in range(start, len(latex)):
        if latex[i] in "{}" and latex[i - 1:i] != "\\":
            depth += 1 if latex[i] == "{" else -1
            if depth == 0:
                return i
    return -1


def _rows(latex: str) -> list[str]:
    """The lines of the math: environments opened, `\\\\` between lines."""
    while True:
        begins = list(re.finditer(r"\\begin\s*\{([A-Za-z]+)(\*?)\}", latex))
        if not begins:
            break
        begin = begins[-1]
        name = begin.group(1)
        end = re.compile(r"\\end\s*\{" + name + r"\*?\}").search(latex, begin.end())
        if name not in _ENVIRONMENTS or end is None:
            break  # a matrix, or an environment left open: the parser says what it is
        body = latex[begin.end():end.start()]
        if name in ("alignat", "alignedat", "array"):
            body = re.sub(r"^\s*\{[^{}]*\}", "", body)  # its column count or layout
        latex = latex[:begin.start()] + " " + _columns(body, _ENVIRONMENTS[name]) + " " + \
            latex[end.end():]
    latex = re.sub(r"\\\\\s*\[[^\]]*\]", r"\\\\", latex)
    rows, depth, start = [], 0, 0
    for m in re.finditer(r"\\\\|\\cr(?![A-Za-z])|\\newline(?![A-Za-z])|\\[{}]|[{}]", latex):
        token = m.group(0)
        if token in "{}":
            depth += 1 if token == "{" else -1
        elif token not in ("\\{", "\\}") and depth == 0:
            rows.append(latex[start:m.start()])
            start = m.end()
    rows.append(latex[start:])
    return [r for r in rows if r.strip()] or [""]


def _columns(body: str, kind: str) -> str:
    """An environment's rows with their `&` read: in cases, what follows the value is its
    condition; in an array, a later cell that is a condition or words is dropped and the
    others joined; in an alignment, an `&` beside a relation or the first of a row only
    aligns, a later one starts a note."""
    rows = re.split(r"(\\\\(?:\s*\[[^\]]*\])?)", body)
    values = []
    for k in range(0, len(rows), 2):
        cells = re.split(r"(?<!\\)&", rows[k])
        if kind == "cases":
            row = cells[0]
            values.append(row)
        elif kind == "array":
            row = " ".join(c for j, c in enumerate(cells) if not j or not (
                CONDITION.search(c) or re.search(_TEXT, c)))
        else:
            row = cells[0]
            for j, cell in enumerate(cells[1:], 1):
                beside = RELATION.match(cell.strip()) or _ENDS_IN_RELATION.search(cells[j - 1])
                row += (" " if j == 1 or beside else " \\quad ") + cell
        rows[k] = row
    if kind == "cases":
        sides = [_lhs(v) for v in values if RELATION.search(v)]
        if len({s for s in sides if s}) > 1:
            raise AnswerError(f"`{short(body)}` is a system of equations, not one answer: "
                              "write the final answer on its own")
    return "".join(rows)


def _bare(latex: str) -> str:
    return re.sub(r"\\(?:quad|qquad|[,;:! ])|~", " ", latex)


_TOKENS = re.compile(r"(?P<text>" + _TEXT + r"\s*\{)|(?P<space>\\(?:qquad|quad|hfill|enspace|"
                     r"hspace\*?\s*\{[^{}]*\})(?![A-Za-z]))|(?P<command>\\[A-Za-z]+|\\.)|"
                     r"(?P<open>[{(\[])|(?P<close>[})\]])|(?P<cut>[,;]|:(?!=))")


def _segments(row: str) -> list[_Segment]:
    """A line cut at its top-level breaks: words (`\\text{...}`), spaces (`\\quad`),
    commas and semicolons, a colon."""
    segments = [_Segment("start", "", "")]
    depth, i = 0, 0
    for m in _TOKENS.finditer(row):
        if m.start() < i:
            continue
        segments[-1].math += row[i:m.start()]
        i = m.end()
        kind = m.lastgroup
        if kind == "text" and depth == 0:
            end = _group_end(row, m.end() - 1)
            words = row[m.end():end if end > 0 else len(row)]
            if not m.group(0).startswith("\\math") or " " in words.strip():
                punctuation = "colon" if ":" in words else "comma" if re.search("[,;]", words) \
                    else "space"  # \text{, } is a comma
                segments.append(_Segment("text" if _words(words) else punctuation, words, ""))
                i = end + 1 if end > 0 else len(row)
                continue
        if kind == "space" and depth == 0:
            segments.append(_Segment("space", m.group(0), ""))
        elif kind == "cut" and depth == 0:
            segments.append(_Segment("colon" if m.group(0) == ":" else "comma", m.group(0), ""))
        else:
            depth += {"open": 1, "close": -1}.get(kind or "", 0) + \
                {"\\{": 1, "\\}": -1}.get(m.group(0), 0) + (1 if kind == "text" else 0)
            segments[-1].math += m.group(0)
    segments[-1].math += row[i:]
    return segments


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", re.sub(r"\$[^$]*\$", " ", text).lower())


def _ends(words: list[str], phrases: list[str]) -> bool:
    return any(words[-len(p.split()):] == p.split() for p in phrases)


def _peel(row: str) -> list[str]:
    """The statement at the end of a line once its annotations are peeled off, from the
    right: [] when the line is all annotation."""
    _check_words(row)
    segments, peeled = _segments(row), False
    while True:
        last = segments[-1]
        last.math = re.sub(r"(?:\s|\\[,;:! ]|~|\\quad|\\qquad)*[.,;]?\s*$", "", last.math)
        dangling = _ENDS_IN_RELATION.search(last.math)
        if dangling and peeled:  # `a \implies \text{unit variance}`: the words led on
            last.math = last.math[:dangling.start()]
        if not _bare(last.math).strip() and len(segments) > 1:
            found = None  # a break with nothing after it
        elif len(segments) == 1:
            return [last.math] if _bare(last.math).strip() else []
        elif last.kind == "text":
            found = _after_words(segments)
        else:
            found = _after_break(segments, row)
        if found is not None:
            return found
        segments.pop()
        peeled = True


def _after_words(segments: list[_Segment]) -> Optional[list[str]]:
    """The answer when the line ends with words and math after them (None: the words and
    their math are a remark, such as `\\text{for large } L`)."""
    return _led_by(segments, segments[-1].brk)


def _led_by(segments: list[_Segment], text: str) -> Optional[list[str]]:
    """The last segment's math led by the words `text`: the answer, alternatives (`or`), or
    None for a remark."""
    last, words = segments[-1], _words(text)
    before = any(_bare(s.math).strip() for s in segments[:-1])
    if _ends(words, _OR) and before:
        return _peel(_join(segments[:-1])) + [last.math]
    if not before or _ends(words, _CONNECT) or text.rstrip().endswith((":", "=")) \
            or _top_level(last.math, RELATION) is not None and not _REMARK & set(words):
        return [last.math]  # "so \sigma = ...": a statement after words, not a remark
    return None


def _after_break(segments: list[_Segment], row: str) -> Optional[list[str]]:
    """The answer when the line ends with math after `\\quad`, a comma or a colon (None: that
    math is a condition, a label or a side fact: `L \\gg 1`, `(1)`, `\\sigma^2_0 = 1`)."""
    last = segments[-1]
    if CONDITION.search(last.math) or _label(last.math):
        return None
    at = next((k for k in range(len(segments) - 2, -1, -1)
               if _bare(segments[k].math).strip()), None)
    previous = segments[at] if at is not None else None
    words = [s for s in segments[(at + 1 if at is not None else 0):-1] if s.kind == "text"]
    if words:  # `a, \quad \text{hence} \quad b`: the words lead the math after them
        return _led_by(segments, words[-1].brk)
    if previous is None or last.kind == "colon" or CONDITION.search(previous.math) or \
            previous.kind == "text" and not _ends(_words(previous.brk), _CONNECT) \
            and not RELATION.search(previous.math):
        return [last.math]  # "for large L, <answer>", "L \gg 1: <answer>"
    if RELATION.match(last.math.strip()) or _ENDS_IN_RELATION.search(previous.math):
        return [last.math]  # `a = b & = c`, `a \\quad \\implies \\quad b`: the chain goes on
    if last.kind == "comma" and _trivial(last.math) and (
            _trivial(previous.math) or _trivial(_rhs(previous.math))):
        return None  # `\\ell = 0, 1, \\dots, L`: an enumeration after the answer
    if RELATION.search(last.math):  # a later statement counts, unless it only sets a value
        side_fact = _trivial(_rhs(last.math), numbers=True) and \
            not _trivial(_rhs(previous.math), numbers=True)
        return None if side_fact else [last.math]  # `\\sigma^2_0 = 1` after the answer
    raise AnswerError(f"could not tell the answer in `{short(row)}`: after "
                      f"`{short(_join(segments[:-1]).strip(), 40)}` comes "
                      f"`{short((last.brk + ' ' + last.math).strip(), 30)}`, which is "
                      "neither a condition (like `L \\gg 1`) nor words in `\\text{...}`; "
                      "end the line with the answer, or put it in `\\boxed{...}`")


def _join(segments: list[_Segment]) -> str:
    parts = []
    for s in segments:
        brk = "\\text{" + s.brk + "}" if s.kind == "text" else s.brk
        parts.append(brk + s.math)
    return "".join(parts)


def _check_words(row: str) -> None:
    """Arithmetic in words (`\\text{ times }`, `N \\text{ squared}`), anywhere in the line, is
    math a reader would not drop: say so rather than read the answer without it."""
    for found in re.finditer(_TEXT + r"\s*\{", row):
        end = _group_end(row, found.end() - 1)
        end = end if end > 0 else len(row)
        words = _words(row[found.end():end])
        before = _bare(re.sub(_TEXT + r"\s*\{[^{}]*\}", " ", row[:found.start()])).strip()
        after = _bare(re.sub(_TEXT + r"\s*\{[^{}]*\}", " ", row[end + 1:])).strip(" .,;{}")
        if (after and _ends(words, _INFIX)) or (before and words and words[0] in _POSTFIX):
            raise AnswerError(f"`{short(row[found.start():end + 1], 30)}` is arithmetic in "
                              "words: write it as math (`\\cdot`, `/`, `^2`, ...); words in "
                              "`\\text{}` are not read")


def _label(math: str) -> bool:
    """A hand-made equation number after the answer, `(1)`, `(3b)`, `(*)`, or words or a
    relation in parentheses, `(\\text{to first order})`, `(\\ell = 0, \\dots, L)`."""
    inside = re.fullmatch(r"\s*(?:\\left\s*)?[(\[](.*?)(?:\\right\s*)?[)\]]\s*", math, re.DOTALL)
    return bool(inside) and bool(re.fullmatch(r"\s*(?:[0-9]+[a-z]?|[a-z]|\*|\\ast|\\star)\s*",
                                              inside.group(1)) or re.search(_TEXT, inside.group(1))
                                 or RELATION.search(inside.group(1)))  # `(\\sigma^2_0 = 1)`


def _rhs(math: str) -> str:
    """What follows the last top-level relation (all of `math` when it has none)."""
    return math[max((m.end() for m in _top(math, RELATION)), default=0):]


def _trivial(math: str, numbers: bool = False) -> bool:
    """A number, dots or (unless `numbers`) one symbol (`L`, `\\sigma^2_0`): a value set or
    listed, not an expression."""
    math = _bare(math).strip()
    if re.fullmatch(r"-?\s*\d+(?:\.\d+)?|\\[lc]?dots|\\ldots|\\cdots", math):
        return True
    return not numbers and bool(re.fullmatch(
        r"(?:\\[A-Za-z]+|[A-Za-z])\s*(?:[_^]\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+)\s*)*", math))


def _lhs(math: str) -> str:
    found = RELATION.search(math)
    return re.sub(r"\s|[{}]|\\left|\\right", "", math[:found.start()]) if found else ""


def _last_side(statement: str, row: str) -> str:
    """The side after the last top-level relation, a trailing condition taken off."""
    statement = _trailing_condition(statement, row)
    cut = max((m.end() for m in _top(statement, RELATION)), default=0)
    side = statement[cut:].strip()
    side = re.sub(r"^(?:\\[,;:! ]|~|\\quad|\\qquad|\s)+|(?:\\[,;:! ]|~|\s|[.,;])+$", "", side)
    side = _HIGHER_ORDER.sub("", side)
    if not side:
        relation = list(RELATION.finditer(statement[:cut]))
        raise AnswerError(f"could not read `{short(row)}`: nothing after its last "
                          f"`{relation[-1].group(0) if relation else '='}`")
    return side


def _trailing_condition(statement: str, row: str) -> str:
    """`a (L \\gg 1)` or `a \\; L \\gg 1`: the condition at the end taken off; a condition
    that cannot be told from the answer is said."""
    paren = re.search(r"(?:\\left\s*)?\(([^()]*?)(?:\\right\s*)?\)\s*$", statement)
    if paren and (CONDITION.search(paren.group(1)) or re.search(_TEXT, paren.group(1))):
        statement = statement[:paren.start()]
    found = _top_level(statement, _INNER_CONDITION)
    if found is None:
        return statement
    spaces = [m for m in _SOFT.finditer(statement, 0, found)]
    if spaces and _bare(statement[:spaces[-1].start()]).strip():
        return statement[:spaces[-1].start()]
    raise AnswerError(f"could not tell where the answer ends in `{short(row)}`: put the "
                      f"condition `{short(statement[found:].strip(), 20)}` after `\\quad` or "
                      "a comma, or leave it out")


def _top_level(latex: str, pattern: re.Pattern) -> Optional[int]:
    """Where `pattern` first matches outside every group and parenthesis (None: nowhere)."""
    return next((m.start() for m in _top(latex, pattern)), None)


def _top(latex: str, pattern: re.Pattern) -> Iterator[re.Match]:
    """The matches of `pattern` outside every brace, parenthesis and bracket."""
    depth = 0
    for m in re.finditer(r"\\[{}]|[{}()\[\]]|" + pattern.pattern, latex):
        token = m.group(0)
        if token in ("{", "(", "[", "\\{"):
            depth += 1
        elif token in ("}", ")", "]", "\\}"):
            depth -= 1
        elif depth == 0:
            yield m
