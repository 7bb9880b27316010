"""``calc``: arithmetic through an AST allowlist, then exact ints or numexpr floats; everyday
phrasings ("15% of 80", "twelve times seven", "5 miles in km") are read first.

Why an allowlist in front of numexpr: numexpr compiles its input with Python's ``eval`` (it folds
constants that way), so only a re-rendered string of vetted numbers, operators and function names
ever reaches it.

Semantics:
- ``^`` means power (what people typing "2^10" mean), like ``**``; ``×``/``·`` multiply, ``÷``
  divides, ``−`` is minus; a trailing ``=`` is ignored. Precedence is Python's (``-2**2 == -4``).
- Integer-only expressions using ``+ - * // % **`` (non-negative exponents) are computed exactly
  with Python ints, capped at ~1000 digits; anything with ``/``, floats, functions or ``pi``/``e``
  is computed in float64 by numexpr, with ``//`` and ``%`` done in Python (numexpr lacks ``//``).
- Division by zero, overflow, nan/inf and complex results are errors, not values.
- Text that does not parse as arithmetic is read as people write it: a unit conversion
  (``units``: "5 miles in km" -> "8.04672 kilometers", rounded to 6 significant digits and named
  in words) or arithmetic in words (``calc_words``: "the average of 3, 9 and 14" -> "8.66666666667").
  Either way the numbers go through the same allowlist; text read neither way keeps the plain
  parse's error.

Output: one line, the number alone ("12", "0.333333333333", "1e+20"), or for a conversion the
number and the unit in words ("86400 seconds").
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from typing import Any

from aether_core.tools import calc_words, units
from aether_core.tools.base import ArgSpec, Tool, ToolError

MAX_CHARS = 200
MAX_DEPTH = 20
MAX_INT_BITS = 3322  # about 1000 decimal digits

FUNCTIONS: dict[str, str] = {  # accepted name -> numexpr function
    "sqrt": "sqrt",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "arcsin": "arcsin",
    "arccos": "arccos",
    "arctan": "arctan",
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "log": "log",
    "ln": "log",
    "log10": "log10",
    "exp": "exp",
    "abs": "abs",
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
FACTORIAL = "factorial"  # computed exactly in Python (numexpr has none), of 0 to MAX_FACTORIAL
MAX_FACTORIAL = 1000  # beyond it the result is over MAX_INT_BITS anyway; bounds the work first

_BINOPS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
_INT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.Pow)
_REPLACEMENTS = (*calc_words.SYMBOLS, ("^", "**"))


class CalcError(ToolError):
    """The expression is not allowed or has no finite real value."""


class _NotExact(Exception):
    """Internal: the exact-integer path does not apply (e.g. a negative exponent)."""


class CalcTool(Tool):
    """Evaluate an arithmetic expression safely."""

    name = "calc"
    description = (
        "Evaluate arithmetic: + - * / // % ** (or ^), parentheses, sqrt, sin, cos, tan, arcsin, "
        "arccos, arctan, log, log10, exp, abs, factorial, pi, e; or the user's words for it "
        "(15% of 80, twelve times seven, the average of 3, 9 and 14, 5 factorial, 5 miles in km, "
        "100 F to C)."
    )
    schema = {
        "expression": ArgSpec(
            "string",
            True,
            "e.g. 12*(3+4) or 15% of 80",
            max_length=MAX_CHARS,
            copy=False,
            copy_numbers=True,
            copy_stop=b"?!;\n",  # a math phrase picked from the message ends before "?"
            pick_span=True,
            reads=True,
        )
    }

    def run(self, expression: str) -> str:  # type: ignore[override]
        return evaluate(expression)

    def reading(self, arg: str, phrase: str) -> str | None:
        return computes(phrase) if arg == "expression" else None

    def understands(self, args: Mapping[str, Any], request: str = "") -> bool:
        expression = args.get("expression")  # a bad argument is validate_args' to report
        return not isinstance(expression, str) or is_math(expression)


def evaluate(expression: str) -> str:
    """Check, evaluate and format ``expression`` (arithmetic, or everyday words for arithmetic
    or a unit conversion); raises ``CalcError`` with a one-line reason.

    Text that is not math as a whole may end in a clause that is: "it's 25 C here, 25 C in F"
    reads its last clause that computes something (``_last_clause``); else the whole's error."""
    try:
        return _evaluate(expression)
    except CalcError as whole:
        if (answer := _last_clause(expression)) is None:
            raise whole from None
        return answer


# Where a clause of a message ends: a comma, semicolon, colon or sentence stop before a space.
_CLAUSE_END = re.compile(r"[,;:.?!]\s+")


def _last_clause(text: object) -> str | None:
    """The answer of the longest trailing run of clauses of ``text`` that does arithmetic: its
    value is none of the numbers written in it ("the sum of 9" of a cut-off list reads nothing).
    Each run goes through the same checks as a whole expression."""
    if not isinstance(text, str) or len(text) > MAX_CHARS:
        return None
    for cut in _CLAUSE_END.finditer(text):
        if (answer := computes(text[cut.end() :])) is not None:
            return answer
    return None


_WRITTEN_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def computes(text: str) -> str | None:
    """The answer of ``text`` where, as a whole, it does arithmetic: it evaluates, and it holds
    two numbers or more ("144/12") or its value is not the one number written in it ("9
    squared"); a bare "12" or "twelve", or "the sum of 9" of a cut-off list, computes nothing.
    Else None. Text without a number, in digits or words, is not tried unless it asks for a
    unit conversion ("days in a week")."""
    if len(text) > MAX_CHARS:
        return None
    written = _WRITTEN_NUMBER.findall(calc_words.words_to_numbers(text.lower()))
    if not written and units.read(calc_words.normalize(text)) is None:
        return None  # "seconds in an hour" is a conversion of one hour
    try:
        answer = _evaluate(text)
    except CalcError:
        return None
    return None if len(written) == 1 and answer.split()[0] in written else answer


def is_math(text: str) -> bool:
    """Whether ``text`` as a whole is arithmetic or a unit conversion that computes something,
    whatever its value ("5/0": its error is the answer): not a bare number ("1969"), nor words
    with a number in them ("2018 world cup", "when did world war 2 end")."""
    if computes(text) is not None:
        return True
    try:
        tree = parse(text)
    except CalcError:
        reading = calc_words.to_expression(text) if len(text) <= MAX_CHARS else None
        try:
            tree = parse(reading, limit=_READ_LIMIT) if reading is not None else None
        except CalcError:
            tree = None
    return tree is not None and not isinstance(tree, ast.Constant)


def _evaluate(expression: str) -> str:
    try:
        tree = parse(expression)
    except CalcError as plain:
        if not isinstance(expression, str) or len(expression) > MAX_CHARS:
            raise
        text = calc_words.normalize(expression)
        conversion = units.read(text)
        if conversion is not None:
            try:
                return units.answer(conversion, value)
            except units.UnitError as exc:
                raise CalcError(str(exc)) from None
        reading = calc_words.to_expression(expression)
        if reading is None or reading == expression.strip():
            raise plain from None
        tree = parse(reading, limit=_READ_LIMIT)
        if calc_words.AS_PERCENT.match(text):
            return format_number(_compute(tree)) + "%"
    return format_number(_compute(tree))


def value(expression: str) -> int | float:
    """The number ``expression`` stands for (arithmetic or words for it), unformatted."""
    try:
        tree = parse(expression)
    except CalcError as plain:
        reading = calc_words.to_expression(expression)
        if reading is None:
            raise plain from None
        tree = parse(reading, limit=_READ_LIMIT)
    return _compute(tree)


def _compute(tree: ast.expr) -> int | float:
    try:
        return _eval_int(tree)
    except _NotExact:
        return _eval_float(tree)


_READ_LIMIT = 4 * MAX_CHARS  # "the average of ..." grows by its parentheses and the count


def parse(expression: str, limit: int = MAX_CHARS) -> ast.expr:
    """Normalize and parse; return the vetted expression node (raises ``CalcError``)."""
    if not isinstance(expression, str):
        raise CalcError("expression must be a string")
    if len(expression) > limit:
        raise CalcError(f"expression too long ({len(expression)} > {limit} characters)")
    text = expression.strip()
    for old, new in _REPLACEMENTS:
        text = text.replace(old, new)
    text = text.rstrip("= \t")
    if not text:
        raise CalcError("empty expression")
    if "__" in text:
        raise CalcError("'__' is not allowed")
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth > MAX_DEPTH:
            raise CalcError(f"expression is too deeply nested (more than {MAX_DEPTH} levels)")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise CalcError(f"syntax error in {text!r}") from None
    except (ValueError, RecursionError, MemoryError):
        raise CalcError("cannot parse expression") from None
    _check(tree.body, 1)
    return tree.body


def _check(node: ast.AST, depth: int) -> None:
    """Reject everything but numbers, arithmetic, allowed functions and constants."""
    if depth > MAX_DEPTH:
        raise CalcError(f"expression is too deeply nested (more than {MAX_DEPTH} levels)")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, complex):
            raise CalcError("complex numbers are not supported")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CalcError("only numbers are allowed")
        if isinstance(value, float) and not math.isfinite(value):
            raise CalcError("number too large")
    elif isinstance(node, ast.Name):
        if node.id not in CONSTANTS:
            raise CalcError(f"unknown name {node.id!r} (constants: pi, e)")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise CalcError(f"operator {type(node.op).__name__} is not allowed")
        _check(node.left, depth + 1)
        _check(node.right, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.UAdd, ast.USub)):
            raise CalcError(f"operator {type(node.op).__name__} is not allowed")
        _check(node.operand, depth + 1)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in (*FUNCTIONS, FACTORIAL):
            shown = node.func.id if isinstance(node.func, ast.Name) else "this"
            allowed = ", ".join(sorted((*FUNCTIONS, FACTORIAL)))
            raise CalcError(f"function {shown!r} is not allowed (allowed: {allowed})")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise CalcError(f"{node.func.id}() takes exactly one argument")
        _check(node.args[0], depth + 1)
    elif isinstance(node, ast.Attribute):
        raise CalcError("attribute access is not allowed")
    elif isinstance(node, ast.Subscript):
        raise CalcError("subscripts are not allowed")
    else:
        raise CalcError(f"only arithmetic is allowed ({type(node).__name__} found)")


# -- exact integers ---------------------------------------------------------------------------


def _eval_int(node: ast.expr) -> int:
    """Exact evaluation when every number is an int and every operator keeps ints exact."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return _int_cap(node.value)
    if isinstance(node, ast.UnaryOp):
        value = _eval_int(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, _INT_OPS):
        a = _eval_int(node.left)
        b = _eval_int(node.right)
        if isinstance(node.op, ast.Add):
            return _int_cap(a + b)
        if isinstance(node.op, ast.Sub):
            return _int_cap(a - b)
        if isinstance(node.op, ast.Mult):
            return _int_cap(a * b)
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)):
            if b == 0:
                raise CalcError("division by zero")
            return a // b if isinstance(node.op, ast.FloorDiv) else a % b
        if b < 0:
            raise _NotExact
        if abs(a) > 1 and b * (abs(a).bit_length() - 1) > MAX_INT_BITS:
            raise CalcError("result is too large")
        return _int_cap(a**b)
    if _is_factorial(node):
        return _factorial(node)
    raise _NotExact


def _is_factorial(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == FACTORIAL
    )


def _factorial(node: ast.Call) -> int:
    try:
        n = _eval_int(node.args[0])
    except _NotExact:
        raise CalcError(f"factorial takes a whole number from 0 to {MAX_FACTORIAL}") from None
    if not 0 <= n <= MAX_FACTORIAL:
        raise CalcError(f"factorial takes a whole number from 0 to {MAX_FACTORIAL}")
    return _int_cap(math.factorial(n))


def _int_cap(value: int) -> int:
    if value.bit_length() > MAX_INT_BITS:
        raise CalcError("result is too large")
    return value


# -- floats through numexpr -------------------------------------------------------------------


def _in_python(node: ast.AST) -> bool:
    """The subtree holds what numexpr cannot do: ``//``, ``%`` or a factorial."""
    return any(
        (isinstance(n, ast.BinOp) and isinstance(n.op, (ast.FloorDiv, ast.Mod))) or _is_factorial(n)
        for n in ast.walk(node)
    )


def _eval_float(node: ast.expr) -> float:
    """Whole subtrees go to numexpr; ``//``, ``%`` and factorials are done in Python between
    them."""
    if not _in_python(node):
        return _numexpr(_render(node))
    if _is_factorial(node):
        return _finite(float(_factorial(node)))
    if isinstance(node, ast.BinOp):
        a = _eval_float(node.left)
        b = _eval_float(node.right)
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)):
            if b == 0:
                raise CalcError("division by zero")
            return _finite(a // b if isinstance(node.op, ast.FloorDiv) else a % b)
        return _numexpr(f"{_lit(a)} {_BINOPS[type(node.op)]} {_lit(b)}")
    if isinstance(node, ast.UnaryOp):
        value = _eval_float(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        return _numexpr(f"{FUNCTIONS[node.func.id]}({_lit(_eval_float(node.args[0]))})")
    raise CalcError("cannot evaluate expression")  # unreachable after _check


def _render(node: ast.expr) -> str:
    """Rebuild a vetted subtree as a numexpr string from our own tokens only."""
    if isinstance(node, ast.Constant):
        try:
            return _lit(float(node.value))
        except OverflowError:
            raise CalcError("number too large") from None
    if isinstance(node, ast.Name):
        return _lit(CONSTANTS[node.id])
    if isinstance(node, ast.BinOp):
        return f"({_render(node.left)} {_BINOPS[type(node.op)]} {_render(node.right)})"
    if isinstance(node, ast.UnaryOp):
        sign = "-" if isinstance(node.op, ast.USub) else ""
        return f"({sign}{_render(node.operand)})"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return f"{FUNCTIONS[node.func.id]}({_render(node.args[0])})"
    raise CalcError("cannot evaluate expression")  # unreachable after _check


def _lit(value: float) -> str:
    text = repr(float(value))
    return f"({text})" if value < 0 else text


def _numexpr(expr: str) -> float:
    import numexpr
    import numpy as np

    try:
        with np.errstate(all="ignore"):
            result: Any = numexpr.evaluate(expr, local_dict={}, global_dict={})
    except ZeroDivisionError:
        raise CalcError("division by zero") from None
    except OverflowError:
        raise CalcError("result is too large") from None
    except Exception as exc:
        raise CalcError(f"cannot evaluate expression: {type(exc).__name__}") from None
    value = result.item() if hasattr(result, "item") else result
    if isinstance(value, complex):
        raise CalcError("result is not a real number")
    return _finite(float(value))


def _finite(value: float) -> float:
    if math.isnan(value):
        raise CalcError("undefined result (math domain error)")
    if math.isinf(value):
        raise CalcError("result is infinite or too large")
    return value


def format_number(value: int | float) -> str:
    """Ints as is; integral floats without ``.0``; other floats to 12 significant digits."""
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.12g}"
