"""Arithmetic through ``calc``: symbols, unicode or words; binary, chained or parenthesized; and
everyday phrasing (``calc_phrases``: percentages, units, number words, powers, lists, decimals).

Tool outputs are the tool's own (``calc.format_number``, ``calc.evaluate``), so the training
stream shows exactly what the live tool prints; numbers are copied into the call exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ...dialogue import THOUGHT_ERROR, THOUGHT_OK, tool_thought
from ...tools.calc import format_number
from ..calc_phrases import calc_phrase
from ..phrasing import held_out, is_command, norm_split, realize, value_split
from .base import ERROR_RATE, Skill, SkillSample, maybe_denied, templates

_T = templates("arithmetic")
ARITHMETIC = tool_thought("Arithmetic", "calc")
ARITH_QUESTIONS: tuple[str, ...] = _T["questions"]
ARITH_COMMANDS: tuple[str, ...] = _T["commands"]
# (template, operator): the numbers fill {a} and {b}; the call keeps the order of the formula
ARITH_VERBAL: tuple[tuple[str, str], ...] = _T["verbal"]
OP_SURFACES = {
    "+": {"sym": ("+",), "uni": ("+",), "word": ("plus",)},
    "-": {"sym": ("-",), "uni": ("−",), "word": ("minus", "take away", "less")},
    "*": {"sym": ("*", "x"), "uni": ("×",), "word": ("times", "multiplied by")},
    "/": {"sym": ("/",), "uni": ("÷",), "word": ("divided by", "over")},
}


@dataclass
class _Num:
    value: int


@dataclass
class _Op:
    op: str
    left: _Num | _Op
    right: _Num | _Op
    paren: bool = False


def _number(rng: random.Random, split: str) -> int:
    """1-4 digit integers; multi-digit values are partitioned between the splits by hash."""
    digits = rng.choices((1, 2, 3, 4), weights=(3, 4, 2, 1))[0]
    lo = 0 if digits == 1 else 10 ** (digits - 1)
    while True:
        n = rng.randint(lo, 10**digits - 1)
        if n < 10 or value_split(n) == split:
            return n


def _multi_digit(rng: random.Random, split: str) -> int:
    while True:
        n = rng.randint(10, 999)
        if value_split(n) == split:
            return n


def _canon(node: _Num | _Op) -> str:
    if isinstance(node, _Num):
        return str(node.value)
    s = f"{_canon(node.left)}{node.op}{_canon(node.right)}"
    return f"({s})" if node.paren else s


def _spoken(node: _Num | _Op, mode: str, spaced: bool, rng: random.Random) -> str:
    if isinstance(node, _Num):
        return str(node.value)
    m = rng.choice(("sym", "uni", "word")) if mode == "mix" else mode
    word = rng.choice(OP_SURFACES[node.op][m])
    sep = " " if spaced or m == "word" or word == "x" else ""
    s = f"{_spoken(node.left, mode, spaced, rng)}{sep}{word}{sep}{_spoken(node.right, mode, spaced, rng)}"
    return f"({s})" if node.paren else s


def _value(node: _Num | _Op, as_float: bool) -> int | float:
    """Python semantics of the calc tool: exact ints unless a '/' makes it float64."""
    if isinstance(node, _Num):
        return float(node.value) if as_float else node.value
    a, b = _value(node.left, as_float), _value(node.right, as_float)
    if node.op == "+":
        return a + b
    if node.op == "-":
        return a - b
    if node.op == "*":
        return a * b
    if b == 0:
        raise ZeroDivisionError
    return a / b


def _has_div(node: _Num | _Op) -> bool:
    return isinstance(node, _Op) and (node.op == "/" or _has_div(node.left) or _has_div(node.right))


def calc_result(node: _Num | _Op) -> str | None:
    """What ``calc`` prints for the expression, or None on division by zero."""
    try:
        return format_number(_value(node, _has_div(node)))
    except ZeroDivisionError:
        return None


def _expression(rng: random.Random, split: str) -> _Num | _Op:
    ops = "+-*/"
    form = rng.random()
    n = lambda: _Num(_number(rng, split))  # noqa: E731
    if form < 0.55:
        node: _Op = _Op(rng.choice(ops), n(), n())
    elif form < 0.75:  # a op1 b op2 c without parentheses: the tree follows precedence
        op1, op2 = rng.choice(ops), rng.choice(ops)
        if op1 in "+-" and op2 in "*/":
            node = _Op(op1, n(), _Op(op2, n(), n()))
        else:
            node = _Op(op2, _Op(op1, n(), n()), n())
    elif rng.random() < 0.5:
        node = _Op(rng.choice(ops), n(), _Op(rng.choice(ops), n(), n(), paren=True))
    else:
        node = _Op(rng.choice(ops), _Op(rng.choice(ops), n(), n(), paren=True), n())
    _tidy_divisions(node, rng, split)
    nums = _leaves(node)
    if split == "eval" and all(x.value < 10 for x in nums):
        rng.choice(nums).value = _multi_digit(rng, split)
    return node


def _leaves(node: _Num | _Op) -> list[_Num]:
    return [node] if isinstance(node, _Num) else _leaves(node.left) + _leaves(node.right)


def _tidy_divisions(node: _Num | _Op, rng: random.Random, split: str) -> None:
    """Avoid accidental division by zero; make half of simple divisions come out even."""
    if isinstance(node, _Num):
        return
    _tidy_divisions(node.left, rng, split)
    _tidy_divisions(node.right, rng, split)
    if node.op != "/" or not isinstance(node.right, _Num):
        return
    while node.right.value == 0:
        node.right.value = _number(rng, split)
    if isinstance(node.left, _Num) and rng.random() < 0.5 and node.right.value <= 99:
        k = rng.randint(1, 99)
        if value_split(node.right.value * k) == split or node.right.value * k < 10:
            node.left.value = node.right.value * k


PHRASE_RATE = 0.4  # share of arithmetic prompts in everyday phrasing (calc_phrases)


def _phrase_sample(rng: random.Random, split: str) -> SkillSample:
    """Percentages, units, number words, powers, lists, decimals: ``calc_phrases``."""
    template, filled, phrase, result = calc_phrase(rng, split)
    kind = phrase.kind if "{expr}" in template else "count"
    if kind == "count":  # "how many seconds are in a day?": copied whole, or written out
        copied = phrase.expression in filled
        prompt = realize("{expr}?" if copied else filled, {"expr": phrase.expression} if copied
                         else {}, rng, split, verbatim=("expr",))  # fmt: skip
        answer = rng.choice((f"That's {result}.", f"There are {result}.", f"It's {result}."))
    else:
        prompt = realize(template, {"expr": phrase.text}, rng, split, verbatim=("expr",),
                         imperative=is_command(template))  # fmt: skip
        answer = rng.choice((f"{phrase.text} is {result}.", f"That's {result}.",
                             f"The answer is {result}.", f"It's {result}."))  # fmt: skip
    return SkillSample("arithmetic", split, prompt, kind, f"{kind}: {template}", "calc",
                       {"expression": phrase.expression}, (result,), tool_output=result,
                       thought=ARITHMETIC, answer_thought=THOUGHT_OK, answer=answer,
                       extra={"result": result, "phrase": kind})  # fmt: skip


def arithmetic(rng: random.Random, split: str) -> SkillSample:
    """A calc dialogue: symbols, unicode or words; binary, chained or parenthesized."""
    split = norm_split(split)
    if rng.random() < PHRASE_RATE:
        return maybe_denied(_phrase_sample(rng, split), rng)
    zero_div = rng.random() < ERROR_RATE
    r = rng.random()
    if r < 0.2:
        template, op = rng.choice(held_out(ARITH_VERBAL, split))
        a, b = _Num(_number(rng, split)), _Num(_number(rng, split))
        if split == "eval" and a.value < 10 and b.value < 10:
            a.value = _multi_digit(rng, split)
        node: _Num | _Op = _Op(op, a, b)
        if op == "/" and zero_div:
            b.value = 0
            if split == "eval" and a.value < 10:  # eval numbers are never all single digits
                a.value = _multi_digit(rng, split)
        elif op == "/":
            _tidy_divisions(node, rng, split)
        slots = {"a": str(a.value), "b": str(b.value)}
        prompt = realize(template, slots, rng, split, imperative=is_command(template))
    else:
        node = _expression(rng, split)
        if zero_div:
            node = _Op("/", node if rng.random() < 0.5 else _Num(_number(rng, split)), _Num(0))
            if isinstance(node.left, _Op):
                node.left.paren = True
            elif split == "eval" and node.left.value < 10:
                node.left.value = _multi_digit(rng, split)
        mode = rng.choices(("sym", "uni", "word", "mix"), weights=(5, 1, 3, 1))[0]
        spaced = rng.random() < 0.6
        expr = _spoken(node, mode, spaced, rng)
        imperative = rng.random() < 0.4
        template = rng.choice(held_out(ARITH_COMMANDS if imperative else ARITH_QUESTIONS, split))
        prompt = realize(template, {"expr": expr}, rng, split, imperative=imperative)
    canon = _canon(node)
    result = calc_result(node)
    args = {"expression": canon}
    thought = ARITHMETIC
    if result is None:
        return SkillSample(
            "arithmetic",
            split,
            prompt,
            "error",
            template,
            "calc",
            args,
            ("zero",),
            tool_ok=False,
            tool_output="CalcError: division by zero",
            thought=thought,
            answer_thought=THOUGHT_ERROR,
            answer=rng.choice(
                (
                    "I can't compute that: division by zero.",
                    "That has no answer: it divides by zero.",
                )
            ),  # fmt: skip
        )
    answer = rng.choice((f"{canon} = {result}.", f"The answer is {result}.", f"That's {result}."))
    sample = SkillSample(
        "arithmetic",
        split,
        prompt,
        "ok",
        template,
        "calc",
        args,
        (result,),
        tool_output=result,
        thought=thought,
        answer_thought=THOUGHT_OK,
        answer=answer,
        extra={"result": result},
    )
    return maybe_denied(sample, rng)


SKILL = Skill("arithmetic", arithmetic, tool="calc", weight=2.0)
