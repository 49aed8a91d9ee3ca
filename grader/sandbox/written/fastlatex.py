"""The common notation of final answers (numbers, letters and Greek letters with sub- and
superscripts, `+ - * / \\cdot \\times`, implicit products, parentheses and brackets,
`\\frac`, `\\sqrt`, `\\ln(...)`, `\\exp(...)`, `e^{...}`) read without ANTLR, in about a
millisecond instead of 25 to 100.

`parse` returns exactly the SymPy expression latex2sympy2-extended builds from the same
text (the same nodes, in the same order, evaluated or not as it leaves them), or None for
anything else, which the full parser then reads; it reads the text as latex2sympy's own
normalisation leaves it. Where that parser has quirks (`2 3` is 5, `d x` a differential,
`N(x)` a function call, `x_12` one subscript) the same is built, or None is returned.
tests/test_fastlatex.py holds both parsers to that, on every notation of the tests and on
thousands of generated expressions.
"""
from __future__ import annotations

import re
from typing import Any, Optional

# Commands that name a letter (get_symbol: the name without its backslash; pi is a
# constant there). Not \gamma nor \Gamma: the parser reads them as the constant, the
# function or an error depending on what follows.
GREEK = frozenset((
    "alpha", "beta", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "varrho", "sigma",
    "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Delta",
    "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "ell", "hbar"))
_MUL = {"*", "\\cdot", "\\times"}
_DIV = {"/", "\\div"}
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|(\\[A-Za-z]+)|([A-Za-z])|([-+*/^_()\[\]{},]))")


class _Decline(Exception):
    """Not the common notation: the full parser reads it."""


def parse(latex: str) -> Optional[Any]:
    """The SymPy expression latex2sympy2-extended makes of `latex` (as its normalisation
    leaves it), or None when `latex` is not in the notation read here."""
    tokens = _tokens(latex)
    if tokens is None:
        return None
    import sympy

    try:
        reader = _Reader(tokens, sympy)
        value = reader.additive()
        if reader.peek() is not None:
            return None
    except (_Decline, IndexError):
        return None
    return value if isinstance(value, sympy.Expr) else None


def _tokens(latex: str) -> Optional[list[str]]:
    """The tokens of `latex`, or None if it holds anything not read here."""
    tokens, at = [], 0
    text = latex.rstrip()
    while at < len(text):
        m = _TOKEN.match(text, at)
        if m is None:
            return None
        token = m.group(m.lastindex)
        end = m.end()
        if m.lastindex == 1 and text[end:end + 1] in ("e", "E", ".", ","):
            return None  # 1e-3, 2E5, 1.5.2, 1,000: the parser's own readings
        if m.lastindex == 2 and token[1:] not in GREEK and token not in _COMMANDS:
            return None
        if token == "d" and re.match(r"\s*[A-Za-z\\]", text[end:]):
            return None  # `dx`, `d x`: a differential there
        if token in ("I", "E") or token == "e" and re.match(r"\s*_", text[end:]):
            return None
        tokens.append(token)
        at = end
    return tokens


_COMMANDS = {"\\frac", "\\sqrt", "\\ln", "\\exp", "\\cdot", "\\times", "\\div"}
_STARTS = {"(", "[", "\\frac", "\\sqrt", "\\ln", "\\exp", "e"}  # of a factor, besides atoms


class _Reader:
    """A recursive-descent reader that builds what latex2sympy2-extended's converter
    (`convert_add`, `convert_mp`, `convert_unary`, `convert_postfix_list`, `convert_exp`,
    `convert_comp`, `convert_atom_expr`, `convert_frac`, `convert_func`) builds."""

    def __init__(self, tokens: list[str], sympy: Any):
        self.tokens, self.at, self.sp = tokens, 0, sympy

    def peek(self, k: int = 0) -> Optional[str]:
        return self.tokens[self.at + k] if self.at + k < len(self.tokens) else None

    def take(self, expected: Optional[str] = None) -> str:
        token = self.tokens[self.at]
        if expected is not None and token != expected:
            raise _Decline(token)
        self.at += 1
        return token

    # ------------------------------------------------ additive, mp, unary, postfix list
    def additive(self) -> Any:
        left = self.mp()
        while self.peek() in ("+", "-"):
            op = self.take()
            right = self.mp()
            if op == "-":
                right = -right if right.func.is_Number else self.mul_flat(-1, right)
            left = self.add_flat(left, right)
        return left

    def mp(self) -> Any:
        left = self.unary()
        while self.peek() in _MUL or self.peek() in _DIV:
            op = self.take()
            right = self.unary()
            if op in _MUL:
                left = self.mul_flat(left, right)
            elif left.is_Integer and right.is_Integer:
                left = self.sp.Rational(left, right)
            else:
                left = self.sp.Mul(left, self.sp.Pow(right, -1, evaluate=False),
                                   evaluate=False)
        return left

    def unary(self) -> Any:
        if self.peek() == "+":
            self.take()
            return self.unary()
        if self.peek() == "-":
            self.take()
            value = self.unary()
            return -value if value.func.is_Number or value.is_Number \
                else self.mul_flat(-1, value)
        factors = [self.power()]
        while self._starts_factor(self.peek()):
            factors.append(self.power())
        return self.product(factors)

    def product(self, factors: list[Any]) -> Any:
        """convert_postfix_list: right to left, an integer before a positive fraction
        being a mixed number (`2 \\frac{1}{3}` is 7/3, `2 3` is 5)."""
        value = factors[-1]
        for left in reversed(factors[:-1]):
            if left.is_Integer and value.is_Rational and value.p > 0 and value.q > 0:
                whole = left * value.q
                value = self.sp.Rational(whole - value.p if left < 0 else whole + value.p,
                                         value.q)
            else:
                value = self.mul_flat(left, value)
        return value

    def _starts_factor(self, token: Optional[str]) -> bool:
        return token is not None and (token in _STARTS or token[0].isdigit()
                                      or token[0].isalpha() or token[1:] in GREEK)

    def mul_flat(self, left: Any, right: Any) -> Any:
        args = [*(left.args if getattr(left, "is_Mul", False) else [left]),
                *(right.args if getattr(right, "is_Mul", False) else [right])]
        return self.sp.Mul(*args, evaluate=False)

    def add_flat(self, left: Any, right: Any) -> Any:
        args = [*(left.args if getattr(left, "is_Add", False) else [left]),
                *(right.args if getattr(right, "is_Add", False) else [right])]
        return self.sp.Add(*args, evaluate=False)

    # ------------------------------------------------ exp, comp
    def power(self) -> Any:
        """exp: comp (^ atom | ^{expr})*; a letter takes its own scripts (atom_expr)."""
        token = self.peek()
        if token == "e" and self.peek(1) == "^":  # e^{...}: handle_exp
            self.take()
            self.take("^")
            value = self.sp.exp(self.superscript())
        else:
            value = self.comp()
        while self.peek() == "^":
            self.take()
            value = self.sp.Pow(value, self.superscript(), evaluate=False)
        return value

    def superscript(self, then_scripts: bool = False) -> Any:
        """`^{expr}` or `^atom`; `then_scripts`: a letter's, whose subscript may follow."""
        if self.peek() == "{":
            return self.braced()
        token = self.take()
        if self.peek() == "^" or self.peek() == "_" and not then_scripts:
            raise _Decline("a script on a script")
        if token[0].isdigit():
            return self.number(token)
        if token != "e" and (token[0].isalpha() and len(token) == 1 or token[1:] in GREEK):
            return self.symbol(token, "")
        raise _Decline(token)

    def braced(self) -> Any:
        self.take("{")
        value = self.additive()
        self.take("}")
        return value

    def comp(self) -> Any:
        token = self.take()
        if token in ("(", "["):
            value = self.additive()
            self.take(")" if token == "(" else "]")
            return value
        if token[0].isdigit():
            return self.number(token)
        if token == "e":
            return self.sp.E
        if token == "\\frac":
            top, bottom = self.braced(), self.braced()
            if top.is_Integer and bottom.is_Integer:
                return self.sp.Rational(top, bottom)
            return self.sp.Mul(top, self.sp.Pow(bottom, -1, evaluate=False), evaluate=False)
        if token == "\\sqrt":
            if self.peek() == "[":
                self.take()
                root = self.additive()
                self.take("]")
                return self.sp.Pow(self.braced(), 1 / root, evaluate=False)
            return self.sp.Pow(self.braced(), self.sp.S.Half, evaluate=False)
        if token in ("\\ln", "\\exp"):
            self.take("(")
            arg = self.additive()
            self.take(")")
            if token == "\\ln":
                return self.sp.log(arg, self.sp.E, evaluate=False)
            return self.sp.exp(arg, evaluate=False)
        if token[0].isalpha() and len(token) == 1 or token[1:] in GREEK:
            return self.atom(token)
        raise _Decline(token)

    # ------------------------------------------------ atoms: letters and their scripts
    def atom(self, token: str) -> Any:
        """A letter with at most one subscript and one superscript, either first."""
        sub, sup = "", None
        for _ in range(2):
            if self.peek() == "_" and not sub:
                self.take()
                sub = self.subscript()
            elif self.peek() == "^" and sup is None:
                self.take()
                sup = self.superscript(then_scripts=not sub)
            else:
                break
        if self.peek() in ("(", "[") and not self._product_follows():
            raise _Decline("a function call: N(x)")
        symbol = self.symbol(token, sub)
        return symbol if sup is None else self.sp.Pow(symbol, sup, evaluate=False)

    def subscript(self) -> str:
        """The subscript as the symbol's name holds it (the tokens' text, no spaces)."""
        if self.peek() != "{":
            token = self.take()
            if not (token.isdigit() or token.isalpha() or token[1:] in GREEK) or token == "e":
                raise _Decline(token)
            return token
        self.take()
        parts = []
        while self.peek() != "}":
            token = self.take()
            if not (token[0].isalnum() or token[1:] in GREEK or
                    token in ("+", "-") and parts and parts[-1] not in ("+", "-")):
                raise _Decline(token)
            parts.append(token)
        self.take("}")
        if not parts or parts[-1] in ("+", "-"):
            raise _Decline("an empty subscript")
        return "".join(parts)

    def symbol(self, token: str, sub: str) -> Any:
        """get_symbol: the letter (a command without its backslash) and its subscript."""
        name = token.lstrip("\\") + ("" if not sub else f"_{sub}" if len(sub) == 1
                                     else f"_{{{sub}}}")
        return self.sp.pi if name == "pi" else self.sp.Symbol(name)

    def _product_follows(self) -> bool:
        """A letter before parentheses is a product when what they hold has a `+` or `-`
        between terms (`N(1 + x)`); with an atom alone (`N(x)`) the parser calls a
        function. Anything between is declined."""
        depth, prev = 0, None
        for token in self.tokens[self.at:]:
            if token in ("(", "[", "{"):
                depth += 1
            elif token in (")", "]", "}"):
                depth -= 1
                if depth == 0:
                    return False
            elif depth == 1 and token in ("+", "-") and prev is not None and \
                    prev not in ("(", "[", "+", "-", "^", "_") and prev not in _MUL | _DIV:
                return True
            prev = token
        return False

    def number(self, text: str) -> Any:
        if text.isascii() and text.isdigit():  # as sympy.Number reads it, without parsing
            return self.sp.Integer(int(text))
        return self.sp.Number(text)
