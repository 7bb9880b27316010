"""Tool-use skills: arithmetic (calc), date/time (time), web search, page reading, echo.

Tool outputs are produced by the tools' own formatters (``calc.format_number``,
``clock.describe``, ``web_search.format_results``), so the training stream shows exactly what
the live tools print. Verbatim content (numbers, URLs, search subjects, echo text) is never
altered by the phrasing noise, and the call copies it exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ..tools.calc import format_number
from ..tools.clock import TimeZoneError, describe, find_zone, say_time
from ..tools.web_search import format_results
from . import corpora
from . import lexicon as lx
from .calc_phrases import calc_phrase
from .phrasing import (
    held_out,
    is_command,
    norm_split,
    realize,
    typo,
    value_split,
    vary_case,
)
from .questions import knowledge_question
from .skills import ERROR_RATE, THOUGHT_ERROR, THOUGHT_OK, SkillSample, maybe_denied

# ======================================================================================= calc
# Order matters: held_out() sends every 5th template (index 4, 9, ...) to eval. Keep those to
# frames whose words also occur in training templates of the same list: eval phrasings are new
# combinations, never new vocabulary (tests/data/test_templates.py).
ARITH_QUESTIONS = (
    "what is {expr}?", "what's {expr}?", "how much is {expr}?", "{expr} = ?", "{expr}=?", "{expr}?",
    "what does {expr} equal?", "what do you get for {expr}?", "whats {expr}", "{expr} equals what?",
    "what is the result of {expr}?", "how much does {expr} make?",
    "can you tell me what {expr} is?", "do you know what {expr} is?",
    "what's the answer to {expr}?", "{expr} is how much?", "and {expr}?", "what would {expr} be?",
    "what comes out of {expr}?", "any idea what {expr} is?", "{expr} equals?", "{expr} is?",
    "{expr} is what?", "what's {expr} equal to?", "what is {expr} equal to?",
    "what does {expr} come to?", "what does {expr} make?", "what's {expr} again?",
    "how much is {expr} exactly?", "quick question, what's {expr}?", "can you compute {expr}?",
    "can you calculate {expr}?", "could you work out {expr}?", "would you mind calculating {expr}?",
    "could you calculate {expr} for me?", "mind working out {expr}?",
    "do you know what {expr} equals?", "do you know the answer to {expr}?",
    "what would {expr} come out to?", "any idea what {expr} equals?",
    "what's the result of {expr}?", "what is the answer to {expr}?", "what's the value of {expr}?",
    "what is the value of {expr}?", "how much would {expr} be?", "{expr}, what's that?",
    "how much does {expr} come to?", "wat is {expr}", "wats {expr}", "so what's {expr}?",
    "hey what's {expr}", "what do I get from {expr}?", "my kid asked me what {expr} is, any idea?",
    "my boss asked me: what's {expr}?", "what do you get if you do {expr}?",
    "my teacher wants to know what {expr} is", "homework question: {expr}?",
    "I need to know what {expr} is", "I was wondering if you could tell me what {expr} is",
    "can u do {expr}", "can u tell me wat {expr} is", "can you do {expr} for me?",
    "could you tell me what {expr} equals?", "how about {expr}?", "what about {expr}?",
    "and what's {expr}?", "ok and {expr}?", "math: {expr}", "quick math: {expr}",
    "math question: {expr}", "quick math question: what is {expr}?",
    "how much do you get for {expr}?", "I'm stuck on {expr}, what is it?",
    "I'm trying to work out {expr}, can you help?", "can u calculate {expr}", "what's {expr} pls",
    "could you calculate {expr}?", "what result do you get for {expr}?",
    "what's the result for {expr}?", "what would {expr} equal?", "how much does {expr} equal?",
    "do you know what {expr} is equal to?", "would you calculate {expr} for me?",
    "can you calculate this for me: {expr}",
)  # fmt: skip
ARITH_COMMANDS = (
    "compute {expr}", "calculate {expr}", "evaluate {expr}", "solve {expr}", "work out {expr}",
    "figure out {expr}", "do the math: {expr}", "crunch {expr}", "tell me {expr}",
    "give me the result of {expr}", "calc {expr}", "help me with {expr}",
    "run the numbers on {expr}", "compute {expr} for me", "calculate {expr} for me",
    "calculate this: {expr}", "compute this: {expr}", "work out {expr} for me",
    "work this out: {expr}", "figure out {expr} for me", "figure this out: {expr}",
    "solve this: {expr}", "solve {expr} for me", "evaluate the expression {expr}",
    "evaluate this: {expr}", "calculate the result of {expr}", "compute the value of {expr}",
    "find the value of {expr}", "tell me what {expr} is", "tell me the answer to {expr}",
    "give me the answer to {expr}", "give me {expr}", "do {expr}", "do the maths: {expr}",
    "do this math problem: {expr}", "do this sum: {expr}", "calc this: {expr}",
    "calc {expr} for me", "compute: {expr}", "calculate: {expr}", "evaluate: {expr}",
    "solve: {expr}", "crunch these numbers: {expr}", "run {expr} through the calculator",
    "crunch the numbers: {expr}", "use the calculator on {expr}",
    "punch {expr} into the calculator", "work out the answer to {expr}",
    "figure out what {expr} is", "figure out what {expr} equals", "work out what {expr} comes to",
    "help me calculate {expr}", "help me solve {expr}", "help me work out {expr}",
    "tell me the result of {expr}", "show me the result of {expr}", "show me what {expr} is",
    "answer this: {expr}", "calculate the value of {expr}", "compute the result of {expr}",
    "compute the answer to {expr}", "give me the value of {expr}", "do the calculation {expr}",
    "do this calculation for me: {expr}", "run the calculation {expr}", "simplify {expr}",
    "solve this math problem: {expr}", "tell me what {expr} equals", "find the result of {expr}",
    "work out the value of {expr}", "figure out the answer to {expr}",
    "figure out the value of {expr}",
)  # fmt: skip
# (template, operator): the numbers fill {a} and {b}; the call keeps the order of the formula
ARITH_VERBAL = (
    ("add {a} and {b}", "+"), ("what is the sum of {a} and {b}?", "+"),
    ("multiply {a} by {b}", "*"), ("what is the product of {a} and {b}?", "*"),
    ("divide {a} by {b}", "/"), ("what's {a} divided by {b}?", "/"), ("subtract {b} from {a}", "-"),
    ("what is the difference between {a} and {b}?", "-"),
    ("what do I get if I multiply {a} and {b}?", "*"), ("add up {a} and {b}", "+"),
    ("how much is {a} split {b} ways?", "/"), ("take {b} away from {a}", "-"),
    ("what's {a} times {b}?", "*"), ("sum {a} and {b}", "+"), ("{a} shared by {b} people is?", "/"),
    ("what's {a} plus {b}?", "+"), ("what is the total of {a} and {b}?", "+"),
    ("the total of {a} and {b}?", "+"), ("increase {a} by {b}", "+"), ("add {b} to {a}", "+"),
    ("{a} increased by {b}?", "+"), ("what do {a} and {b} add up to?", "+"),
    ("how much is {a} and {b} together?", "+"), ("total {a} and {b}", "+"),
    ("sum up {a} and {b}", "+"), ("find the sum of {a} and {b}", "+"),
    ("calculate the sum of {a} and {b}", "+"), ("what do I get if I add {a} and {b}?", "+"),
    ("what's {a} and {b} added together?", "+"), ("add together {a} and {b}", "+"),
    ("what's {a} increased by {b}?", "+"), ("the sum of {a} and {b} is?", "+"),
    ("what's {a} minus {b}?", "-"), ("what's {a} less {b}?", "-"), ("{a} less {b}?", "-"),
    ("{a} take away {b}?", "-"), ("{a} reduced by {b}?", "-"), ("decrease {a} by {b}", "-"),
    ("reduce {a} by {b}", "-"), ("what's {a} take away {b}?", "-"), ("{a} decreased by {b}?", "-"),
    ("take {b} off {a}", "-"), ("take {b} from {a}", "-"), ("deduct {b} from {a}", "-"),
    ("what's left if I take {b} from {a}?", "-"), ("how much is {a} minus {b}?", "-"),
    ("calculate {a} minus {b}", "-"), ("find the difference between {a} and {b}", "-"),
    ("what do I get if I subtract {b} from {a}?", "-"), ("what's {a} reduced by {b}?", "-"),
    ("what is left when you take {b} away from {a}?", "-"), ("subtract {b} from {a} for me", "-"),
    ("what's {a} multiplied with {b}?", "*"), ("{a} multiplied with {b}?", "*"),
    ("multiply {a} with {b}", "*"), ("multiply {a} and {b}", "*"), ("{a} lots of {b}?", "*"),
    ("what's {a} lots of {b}?", "*"), ("how much is {a} times {b}?", "*"),
    ("{a} times {b} is?", "*"), ("times {a} by {b}", "*"), ("find the product of {a} and {b}", "*"),
    ("calculate the product of {a} and {b}", "*"), ("{a} multiplied by {b}?", "*"),
    ("what is {a} multiplied by {b}?", "*"), ("what do you get when you multiply {a} by {b}?", "*"),
    ("multiply {a} times {b}", "*"), ("the product of {a} and {b} is?", "*"),
    ("{a} split {b} ways?", "/"), ("split {a} {b} ways", "/"),
    ("split {a} into {b} equal parts", "/"), ("divide {a} into {b} parts", "/"),
    ("divide {a} among {b}", "/"), ("{a} divided among {b}?", "/"),
    ("{a} divided between {b} people?", "/"), ("share {a} between {b} people", "/"),
    ("share {a} among {b} friends", "/"), ("{a} shared between {b}?", "/"),
    ("{a} shared among {b} people?", "/"), ("what's {a} over {b}?", "/"), ("{a} over {b}?", "/"),
    ("calculate {a} divided by {b}", "/"), ("how many times does {b} go into {a}?", "/"),
    ("what do I get if I divide {a} by {b}?", "/"), ("what is {a} divided by {b}?", "/"),
    ("{a} split evenly {b} ways?", "/"), ("{a} divided equally among {b} people?", "/"),
    ("how much is {a} shared by {b}?", "/"), ("what's {a} split between {b} people?", "/"),
    ("{a} plus {b}?", "+"), ("how much is {a} plus {b}?", "+"), ("{a} plus {b} is?", "+"),
    ("what do you get if you increase {a} by {b}?", "+"), ("increase {a} by {b} for me", "+"),
    ("{a} less {b} is?", "-"), ("how much is {a} less {b}?", "-"), ("{a} take away {b} is?", "-"),
    ("how much is {a} take away {b}?", "-"), ("what's {a} decreased by {b}?", "-"),
    ("reduce {a} by {b} for me", "-"), ("what do I get if I reduce {a} by {b}?", "-"),
    ("decrease {a} by {b} for me", "-"), ("what's the difference between {a} and {b}?", "-"),
    ("{a} over {b} is?", "/"), ("how much is {a} over {b}?", "/"), ("what is {a} over {b}?", "/"),
    ("share {a} equally among {b} people", "/"), ("share {a} between {b}", "/"),
    ("{a} lots of {b} is?", "*"),
)  # fmt: skip
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
                       thought="Arithmetic: use calc.", answer_thought=THOUGHT_OK, answer=answer,
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
    thought = "Arithmetic: use calc."
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


# ======================================================================================= time
TIME_LOCAL = {
    "time": ("what time is it?", "what's the time?", "time?", "what time is it now?",
             "tell me the time", "current time", "do you know what time it is?", "got the time?",
             "what's the current time?", "what time do we have?", "how late is it?",
             "can you check the time?", "what's the time right now?", "the time, please",
             "what o'clock is it?", "what time is it right now?", "what's the time now?",
             "whats the time", "wat time is it", "what time is it pls", "time pls", "time now?",
             "the time?", "time please", "what's the time, please?", "tell me the current time",
             "tell me what time it is", "can you tell me the time?", "could you tell me the time?",
             "could you check the time for me?", "can u tell me the time", "do you have the time?",
             "mind checking the time?", "would you mind telling me the time?",
             "have you got the time?", "I was wondering what time it is", "I need to know the time",
             "what does the clock say?", "I lost track of time, what time is it?",
             "I need the current time", "check the clock for me", "what hour is it?",
             "what time have we got?", "is it late? what time is it?", "how late is it now?",
             "what's the time at the moment?", "what time is it at the moment?",
             "what time is it currently?", "what's the exact time?", "exact time please",
             "give me the time", "give me the current time", "sorry, what time is it?",
             "quick, what time is it?", "what's the local time?",
             "my watch stopped, what's the time?", "my phone died, what time is it?", "local time?",
             "what's the time here?", "what time is it here?", "time check", "what time's it?",
             "any idea what time it is?", "let me know the time", "am I late? what time is it?",
             "what time does your clock show?", "clock check: what time is it?"),
    "date": ("what's the date today?", "what is today's date?", "what date is it?", "today's date?",
             "what's the date?", "which date is it today?", "date please", "what's today's date?",
             "tell me today's date", "what is the date today?", "what date is it today?",
             "what is the date?", "date?", "today's date please", "the date, please", "date pls",
             "whats the date", "wat's the date today", "what's the date right now?",
             "what's the date pls", "what's the current date?", "current date?",
             "current date please", "tell me the date", "tell me what the date is",
             "tell me the current date", "can you tell me the date?",
             "could you tell me today's date?", "can u tell me the date", "do you know the date?",
             "do you know what date it is?", "do you know today's date?",
             "would you mind telling me the date?", "mind checking the date?",
             "can you check the date for me?", "check the date for me", "I need today's date",
             "I need to know the date", "I need the date for a form",
             "what day of the month is it?", "I forgot the date, what is it?",
             "which day of the month is it?", "what's the full date?", "give me today's date",
             "give me the date", "what date do we have today?", "what date have we got?",
             "what's the date today, please?", "today is what date?", "today's date is?",
             "what's today's date again?", "sorry, what's the date?", "quick, what's the date?",
             "what's the date, by the way?", "date today?", "my boss asked me for today's date",
             "I'm filling in a form, what's the date?", "what does the calendar say today?",
             "let me know the date", "what date is today?", "what year is it?", "what month is it?",
             "what's the date on your calendar?"),
    "day": ("what day is it today?", "what day of the week is it?", "which day is it?",
            "what day is it?", "is it monday or what day is it?", "what weekday is it?",
            "remind me what day it is", "what day is today?", "which weekday is today?",
            "tell me what day it is", "what day is it now?", "which day of the week is it?",
            "which day of the week is today?", "what day of the week is today?",
            "what's the day today?", "what's the day?", "day?", "day of the week?", "weekday?",
            "what weekday is today?", "today is which day?", "which day is today?",
            "is it monday today?", "is it friday yet?", "is it the weekend yet?",
            "is today a weekday?", "what day are we on?", "what day have we got today?",
            "which day are we today?", "what day is it, please?", "the day, please", "day please",
            "whats the day", "what day is it pls", "wat day is it", "tell me the day",
            "tell me which day it is", "tell me the day of the week",
            "could you tell me the day of the week?", "can you tell me what day it is?",
            "can u tell me wat day it is", "do you know what day it is?",
            "mind checking what day it is?", "would you mind telling me what day it is?",
            "do you know which day it is today?", "I lost track of the days, what day is it?",
            "I forgot what day it is", "I need to know what day it is", "sorry, what day is it?",
            "remind me what day of the week it is", "what day is it again?",
            "quick, what day is it?", "remind me which weekday it is", "so what day is it today?",
            "what day of the week are we on?", "it feels like a monday, what day is it actually?",
            "let me know what day it is", "what's the weekday today?", "day of the week today?",
            "which weekday are we on?", "is it a weekday or the weekend?"),
    "datetime": ("what's the date and time?", "current date and time?", "tell me the date and time",
                 "what is the date and time now?", "date and time please",
                 "what's the time and date?", "give me the current date and time",
                 "what day and time is it?", "the date and the time, please",
                 "now: what date and time is it?", "what's the date and time right now?",
                 "what's the current date and time?", "what is the current date and time?",
                 "date and time?", "time and date?", "date & time?", "date and time pls",
                 "time and date please", "whats the date and time", "tell me the time and date",
                 "wat's the date n time", "tell me today's date and the time",
                 "tell me the current date and time", "could you tell me the time and date?",
                 "can you tell me the date and time?", "can u tell me the date and time",
                 "do you know the date and time?", "mind checking the date and time?",
                 "would you mind telling me the date and time?",
                 "do you know the current date and time?", "check the date and time for me",
                 "I need the date and time", "I need to know the date and the time",
                 "I need the current date and time for a form", "give me the date and time",
                 "I lost track of time, what's the date and time?",
                 "give me today's date and the current time", "what's today's date and the time?",
                 "what's the date today and what time is it?", "what date and time is it?",
                 "what date and time is it now?", "what day, date and time is it?",
                 "what time and date is it?", "what time is it and what's the date?",
                 "what time is it, and what's today's date?", "date and time now?",
                 "current date and time please", "full date and time?",
                 "the full date and time, please", "the current date and time?",
                 "sorry, what's the date and time?", "quick, date and time?",
                 "what's the date and time, please?", "what's the date and what's the time?",
                 "what's the time and date now?", "both the date and the time, please",
                 "time + date pls", "let me know the date and time",
                 "what's the date and time at the moment?", "timestamp please",
                 "what's the exact date and time?", "current timestamp?", "give me a timestamp"),
}  # fmt: skip
TIME_PLACE = {
    "time": ("what time is it in {place}?", "what's the time in {place}?", "time in {place}?",
             "current time in {place}", "what time is it over in {place} right now?",
             "tell me the time in {place}", "{place} time?", "what's the local time in {place}?",
             "how late is it in {place}?", "check the time in {place}",
             "what's the time like in {place} now?", "what time do they have in {place}?",
             "is it late in {place}? what time is it there?", "what's the clock saying in {place}?",
             "local time in {place}", "what time is it in {place} now?",
             "what's the time in {place} right now?", "what's the current time in {place}?",
             "time in {place} pls", "time in {place} now?", "{place} time now?", "{place} time pls",
             "what time in {place}?", "wat time is it in {place}", "time {place}?",
             "whats the time in {place}", "time now in {place}?",
             "tell me the current time in {place}", "tell me what time it is in {place}",
             "can you tell me the time in {place}?",
             "could you tell me what time it is in {place}?", "can u check the time in {place}",
             "do you know what time it is in {place}?",
             "would you mind checking the time in {place}?", "do you know the time in {place}?",
             "mind checking the time in {place}?", "I was wondering what time it is in {place}",
             "I need to know the time in {place}",
             "my friend lives in {place}, what time is it there?",
             "I need the local time in {place}", "my boss is in {place}, what's the time there?",
             "I have a call with someone in {place}, what time is it there?",
             "is it morning in {place}? what time is it there?",
             "is it night in {place} right now? what time is it?",
             "what time is it over there in {place}?", "what's the time over in {place}?",
             "what's the time in {place} at the moment?", "what time is it currently in {place}?",
             "what's the exact time in {place}?", "give me the time in {place}",
             "the time in {place}, please", "give me the current time in {place}",
             "local time {place}", "what hour is it in {place}?", "how late is it over in {place}?",
             "what does the clock say in {place}?", "in {place}, what time is it?",
             "in {place} what's the time?", "{place}: what time is it?",
             "{place} - what time is it there?", "sorry, what time is it in {place}?",
             "quick, what time is it in {place}?", "hey what time is it in {place}",
             "any idea what time it is in {place}?", "tell me {place} time"),
    "date": ("what's the date in {place}?", "what is today's date in {place}?",
             "which date is it in {place}?", "date in {place}?", "what's the date over in {place}?",
             "tell me the date in {place}", "what date is it in {place} now?",
             "today's date in {place}?", "what's the date right now in {place}?",
             "in {place}, what's the date?", "what date is it in {place}?",
             "what's today's date in {place}?", "what is the date in {place}?",
             "what's the current date in {place}?", "current date in {place}",
             "date in {place} pls", "date in {place} now?", "{place} date?",
             "whats the date in {place}", "{place} date pls", "wat's the date in {place}",
             "date {place}?", "tell me the current date in {place}",
             "tell me what the date is in {place}", "tell me today's date in {place}",
             "can you tell me the date in {place}?", "could you tell me the date in {place}?",
             "can u check the date in {place}", "do you know the date in {place}?",
             "do you know what date it is in {place}?",
             "would you mind checking the date in {place}?", "mind checking the date in {place}?",
             "check the date in {place}", "check the date in {place} for me",
             "I need the date in {place}", "I need to know the date in {place}",
             "I was wondering what the date is in {place}",
             "my friend lives in {place}, what's the date there?",
             "my boss is in {place}, what date is it there?",
             "what's the date over there in {place}?",
             "is it already tomorrow in {place}? what's the date there?",
             "what date is it over in {place}?", "what's the date in {place} at the moment?",
             "what's the date in {place} today?", "what is the date in {place} right now?",
             "the date in {place}, please", "give me the date in {place}",
             "give me today's date in {place}", "local date in {place}?",
             "what's the local date in {place}?", "in {place} what's the date?",
             "in {place}, what date is it?", "{place}: what's the date?",
             "sorry, what's the date in {place}?", "{place} - what date is it there?",
             "quick, what's the date in {place}?", "hey what's the date in {place}",
             "any idea what the date is in {place}?", "what day of the month is it in {place}?",
             "date now in {place}?", "what date do they have in {place}?"),
    "day": ("what day is it in {place}?", "what day of the week is it in {place}?",
            "which day is it in {place}?", "is it already tomorrow in {place}? what day is it?",
            "what weekday is it in {place}?", "tell me what day it is in {place}",
            "what day is it over in {place}?", "day of the week in {place}?",
            "in {place}, what day is it?", "what's the day in {place} now?",
            "what day is it in {place} now?", "what day is it in {place} today?",
            "which day of the week is it in {place}?", "what's the day in {place}?",
            "what's the weekday in {place}?", "day in {place}?", "weekday in {place}?",
            "day in {place} pls", "{place} day?", "{place} weekday?", "whats the day in {place}",
            "wat day is it in {place}", "day {place}?", "tell me the day in {place}",
            "tell me which day it is in {place}", "tell me the day of the week in {place}",
            "can you tell me what day it is in {place}?",
            "could you tell me the day of the week in {place}?",
            "can u check what day it is in {place}", "do you know what day it is in {place}?",
            "do you know which day it is in {place}?",
            "would you mind checking what day it is in {place}?",
            "mind checking the day in {place}?", "check what day it is in {place}",
            "check the day of the week in {place}", "I need to know what day it is in {place}",
            "I was wondering what day it is in {place}",
            "my friend lives in {place}, what day is it there?",
            "my boss is in {place}, what day is it there?", "what day is it over there in {place}?",
            "is it the weekend in {place}? what day is it?", "is it monday in {place} yet?",
            "is it friday in {place}?", "is it still yesterday in {place}? what day is it there?",
            "what weekday is it over in {place}?", "what day is it in {place} at the moment?",
            "what day of the week is it in {place} right now?", "the day in {place}, please",
            "give me the day of the week in {place}", "in {place} what day is it?",
            "local day in {place}?", "in {place}, which day is it?", "{place}: what day is it?",
            "sorry, what day is it in {place}?", "{place} - what day is it there?",
            "quick, what day is it in {place}?", "hey what day is it in {place}",
            "any idea what day it is in {place}?", "which weekday is it in {place} now?",
            "day of the week {place}?"),
    "datetime": ("what's the date and time in {place}?", "date and time in {place}?",
                 "current date and time in {place}", "tell me the date and time in {place}",
                 "what's the time and date in {place}?", "in {place}, what's the date and time?",
                 "date and time over in {place}, please", "what day and time is it in {place}?",
                 "give me the date and time in {place}", "{place}: date and time?",
                 "what is the date and time in {place}?",
                 "what's the current date and time in {place}?",
                 "what's the date and time in {place} right now?",
                 "what's the date and time in {place} now?", "time and date in {place}?",
                 "date and time in {place} pls", "time and date in {place} please",
                 "{place} date and time?", "{place} time and date", "{place} date and time pls",
                 "whats the date and time in {place}", "wat's the date n time in {place}",
                 "date and time {place}?", "tell me the time and date in {place}",
                 "tell me the current date and time in {place}",
                 "can you tell me the date and time in {place}?",
                 "could you tell me the time and date in {place}?",
                 "can u check the date and time in {place}",
                 "do you know the date and time in {place}?",
                 "do you know the current date and time in {place}?",
                 "would you mind checking the date and time in {place}?",
                 "mind checking the date and time in {place}?",
                 "check the date and time in {place}", "I need the date and time in {place}",
                 "I need to know the date and the time in {place}",
                 "I was wondering what the date and time are in {place}",
                 "my friend lives in {place}, what's the date and time there?",
                 "my boss is in {place}, what date and time is it there?",
                 "what date and time is it in {place}?", "what time and date is it in {place}?",
                 "what time is it in {place} and what's the date?",
                 "what's the date in {place} and what time is it there?",
                 "what's the date and time over in {place}?",
                 "what's the date and time over there in {place}?",
                 "the date and time in {place}, please", "the full date and time in {place}?",
                 "full date and time in {place}", "local date and time in {place}?",
                 "what's the local date and time in {place}?",
                 "in {place} what's the date and time?", "in {place}, what date and time is it?",
                 "{place} - date and time there?", "sorry, what's the date and time in {place}?",
                 "quick, date and time in {place}?", "timestamp for {place}?",
                 "any idea what the date and time are in {place}?",
                 "hey what's the date and time in {place}", "current timestamp in {place}",
                 "give me a timestamp for {place}", "what day, date and time is it in {place}?"),
}  # fmt: skip
TIME_START = 1577836800  # 2020-01-01
TIME_END = 2082758399  # 2035-12-31


_ZONE_CHOICES = sorted(set(lx.CITY_ZONES.values()))


def _city(rng: random.Random, split: str) -> str:
    """A place of ``split`` (by name hash) as people name it: a well-known city, any city of the
    gazetteer (sometimes with its country: "Paris, Texas"), a country or a US state."""
    r = rng.random()
    if r < 0.3:
        return rng.choice([c for c in lx.CITY_ZONES if value_split(c) == split])
    if r < 0.75:
        city, country, _ = corpora.pick("cities", rng, split)
        return f"{city}, {country}" if rng.random() < 0.15 else city
    if r < 0.92:
        return corpora.pick("countries", rng, split)
    return rng.choice([s for s in US_STATES if value_split(s) == split])


US_STATES = ("California", "Texas", "Florida", "New York State", "Alaska", "Hawaii", "Arizona",
             "Colorado", "Oregon", "Nevada", "Ohio", "Georgia", "Washington State", "Utah",
             "Illinois", "Maine", "Montana", "Kentucky", "Michigan", "Virginia")  # fmt: skip


def _bad_zone(zone: str, rng: random.Random) -> str:
    """A typo of ``zone`` that the tool does not resolve."""
    for _ in range(20):
        bad = typo(zone, rng)
        try:
            find_zone(bad)
        except TimeZoneError:
            return bad
    return zone + "x"


def time_question(rng: random.Random, split: str) -> SkillSample:
    """A time/date question, locally (args {}) or in a city's or a named IANA zone."""
    split = norm_split(split)
    kind = rng.choices(("time", "date", "day", "datetime"), weights=(5, 3, 2, 1))[0]
    where = rng.choices(("local", "city", "zone"), weights=(35, 45, 20))[0]
    moment_ts = rng.randint(TIME_START, TIME_END)
    what = {"time": "Time", "date": "Date", "day": "Day", "datetime": "Date and time"}[kind]
    error = False
    if where == "local":
        template = rng.choice(held_out(TIME_LOCAL[kind], split))
        prompt = realize(template, {}, rng, split)
        args: dict[str, str] = {}
        zone = rng.choice(_ZONE_CHOICES)
        moment = datetime.fromtimestamp(moment_ts, ZoneInfo(zone))
        thought = f"Current {what.lower()}: use time."
    else:
        template = rng.choice(held_out(TIME_PLACE[kind], split))
        if where == "city":
            while True:  # a place the tool resolves (the gazetteer is the tool's own)
                city = _city(rng, split)
                typed = vary_case(city, rng, odd=0.02)
                try:
                    zone = str(find_zone(typed))
                    break
                except TimeZoneError:
                    continue
            prompt = realize(template, {"place": typed}, rng, split, verbatim=("place",))
        else:
            zone = rng.choice(held_out(lx.RAW_ZONES, split))
            typed = zone.lower() if rng.random() < 0.15 else zone
            error = rng.random() < 0.15
            if error:
                typed = _bad_zone(zone, rng)
            prompt = realize(template, {"place": typed}, rng, split, verbatim=("place",))
        args = {"timezone": typed}
        moment = datetime.fromtimestamp(moment_ts, ZoneInfo(zone))
        thought = f"{what} in {typed}: use time."
    if error:
        try:
            find_zone(typed)
        except TimeZoneError as e:
            msg = f"TimeZoneError: {e}"
        return SkillSample(
            "time",
            split,
            prompt,
            "error",
            template,
            "time",
            args,
            ("time zone",),
            tool_ok=False,
            tool_output=msg,
            thought=thought,
            answer_thought=THOUGHT_ERROR,
            answer=f"Sorry, I don't know the time zone {typed}. Try a name like Europe/Paris.",
        )
    output = say_time(moment, None) if where == "local" else describe(moment, typed)
    date = f"{moment.day} {moment:%B %Y}"
    contains = {
        "time": (f"{moment:%H:%M}",),
        "date": (date,),
        "day": (f"{moment:%A}",),
        "datetime": (date, f"{moment:%H:%M}"),
    }[kind]
    if where != "local":  # the answer says where, as the tool named the place
        contains += (output.rsplit(" in ", 1)[-1].rstrip("."),)
    sample = SkillSample(
        "time",
        split,
        prompt,
        kind,
        template,
        "time",
        args,
        contains,
        tool_output=output,
        thought=thought,
        answer_thought=THOUGHT_OK,
        answer=output,  # the tool's sentence says the time and the place in words
        extra={"where": where, "zone": zone},
    )
    return maybe_denied(sample, rng)


# ======================================================================================= search
SEARCH_TEMPLATES = (
    ("search the web for {q}", True), ("search for {q}", True), ("look up {q}", True),
    ("find {q}", True), ("google {q}", True), ("do a web search on {q}", True),
    ("search online for {q}", True), ("find info about {q}", True),
    ("look up information on {q}", True), ("web search: {q}", False), ("search: {q}", False),
    ("search the internet for {q}", True), ("look for {q} online", True),
    ("find some results about {q}", True), ("I need web results for {q}", False),
    ("check the web for {q}", True), ("search {q}", True), ("can you look up {q}?", False),
    ("what does the web say about {q}?", False), ("find me info on {q}", True),
    ("search up {q}", True), ("look {q} up online", True), ("find out about {q}", True),
    ("do an internet search for {q}", True), ("what can you find online about {q}?", False),
    ("google {q} for me", True), ("google this: {q}", True), ("look up {q} online", True),
    ("look up {q} on the web", True), ("look up {q} on the internet", True),
    ("look online for {q}", True), ("find me something on {q}", True),
    ("search google for {q}", True), ("do a google search for {q}", True),
    ("run a search for {q}", True), ("run a web search on {q}", True),
    ("search the net for {q}", True), ("pull up results for {q}", True),
    ("get me results for {q}", True), ("get me info on {q}", True), ("dig up info on {q}", True),
    ("find articles about {q}", True), ("find me web results for {q}", True),
    ("search about {q}", True), ("check online for {q}", True), ("do a quick search on {q}", True),
    ("go search {q}", True), ("go look up {q}", True), ("search the web: {q}", True),
    ("web search {q}", False), ("find {q} on the internet", True),
    ("find information about {q}", True), ("find {q} for me", True),
    ("try searching for {q}", True), ("search {q} for me", True),
    ("help me find info about {q} online", True), ("look up {q} for me", True),
    ("search the internet: {q}", True), ("can you google {q}?", False),
    ("could you search for {q}?", False), ("could you look up {q} for me?", False),
    ("would you mind looking up {q}?", False), ("mind searching the web for {q}?", False),
    ("I was wondering if you could look up {q}", False), ("can u google {q} pls", False),
    ("pls search {q}", False), ("google: {q}", False), ("{q} - search the web", False),
    ("search query: {q}", False), ("quick search: {q}", False), ("lookup: {q}", False),
    ("my friend asked me about {q}, can you look it up?", False),
    ("my boss wants info on {q}, search the web please", False),
    ("any results online for {q}?", False), ("can you find {q} online?", False),
    ("is there anything on the web about {q}?", False),
    ("what comes up when you google {q}?", False),
    ("what do the search results say about {q}?", False), ("search results for {q}?", False),
    ("I need info on {q}, look it up", False), ("can you do a web search for {q}?", False),
    ("could you find me results for {q}?", False), ("please google {q}", False),
    ("do you mind googling {q}?", False), ("can you check the internet for {q}?", False),
    ("wat does google say about {q}", False), ("i'd like you to search for {q}", False),
    ("I'd like info about {q} from the web", False), ("can you search online for {q}?", False),
    ("could you google {q} for me?", False), ("can u look up {q}", False),
    ("pls look up {q} online", False), ("what does the internet say about {q}?", False),
    ("I want to know about {q}, search online", False),
    ("could you do an internet search on {q}?", False), ("mind googling {q} for me?", False),
    ("I need information on {q} from the internet", False),
)  # fmt: skip
# Words people put right after the subject ("google X pls", "find X online"). Training prompts
# get one after a subject that ends its template, so that the query's end is learned from the
# words and not from the end of the prompt; the eval's prompts are left as their templates are.
SEARCH_TAILS = (
    " pls", " please", " for me", " online", " on the web", " on the internet", " for me please",
    " for me pls", " on google", " real quick", " quickly", " now", " asap", " right now",
    " if you can", " for me, thanks", " please, thanks", " plz", " for me thx", " on the net",
)  # fmt: skip
TAIL_RATE = 0.3
TRAIN_PATTERN_RATE = 0.35
TRAIN_FILLER_RATE = 0.5
QUESTION_RATE = 0.5  # share of search prompts that are questions ("who wrote X?")


def _with_tail(template: str, rng: random.Random) -> str:
    """``template`` with a tail after ``{q}`` where only punctuation followed it."""
    head, sep, rest = template.partition("{q}")
    if not sep or rest.strip(" ?!.") or "{q}" in rest:
        return template
    return head + sep + rng.choice(SEARCH_TAILS) + rest


SNIPPETS = (
    "{S} explained simply, with examples.", "Key facts and tips, updated {year}.",
    "{n} things to know about {s}.", "A short overview, from basics to details.",
    "Our {year} guide, reviewed by {n} readers.", "Learn the basics in {n} minutes.",
    "Facts, figures and common questions.", "The complete {year} guide to {s}.",
)  # fmt: skip
RESULT_TITLES = (
    "{S} - Wikipedia", "{S}: a complete guide", "What to know about {s}", "{S} | {site}",
    "{S} explained", "{S} (updated {year})", "{n} facts about {s}", "{S} - {site}",
)  # fmt: skip


def _subject(rng: random.Random, split: str) -> str:
    patterns = lx.SEARCH_PATTERNS
    if split == "train" and rng.random() < TRAIN_PATTERN_RATE:  # no extra draw for eval
        patterns = lx.TRAIN_SEARCH_PATTERNS
    pattern, source = rng.choice(patterns)
    if source == "FOODS+CITY":
        return pattern.format(a=_filler("FOODS", rng, split), b=_filler("WORLD_CITIES", rng, split))
    return pattern.format(a=_filler(source, rng, split))


def _filler(source: str, rng: random.Random, split: str) -> str:
    """A subject's filler from lexicon list ``source``; in training, often one of its
    training-only extras (``lx.TRAIN_FILLERS``), so that the query is copied, not recognized."""
    extra = lx.TRAIN_FILLERS.get(source, ())
    if split == "train" and extra and rng.random() < TRAIN_FILLER_RATE:  # no extra draw for eval
        return rng.choice(extra)
    return rng.choice(held_out(getattr(lx, source), split))


def _slug(text: str) -> str:
    keep = "".join(ch if ch.isalnum() else " " for ch in text.lower())
    return "-".join(keep.split())


def _host(rng: random.Random, split: str) -> str:
    if rng.random() < 0.45:
        return rng.choice(held_out(lx.KNOWN_SITES, split))
    w = held_out(lx.URL_WORDS, split)
    a, b = rng.choice(w), rng.choice(w)
    tld = rng.choice(lx.TLDS)
    name = rng.choice((f"{a}{b}", f"{a}-{b}", f"{a}{b}", f"the{a}{b}"))
    return rng.choice((f"www.{name}.{tld}", f"{name}.{tld}", f"blog.{name}.{tld}"))


def _results(subject: str, rng: random.Random, split: str) -> list[dict[str, str]]:
    plain = subject.strip().rstrip("?").strip()
    s = plain[:1].lower() + plain[1:] if not plain[:2].isupper() else plain
    cap = plain[:1].upper() + plain[1:]
    out = []
    for i in range(3 if rng.random() < 0.3 else 2):
        host = "en.wikipedia.org" if i == 0 and rng.random() < 0.3 else _host(rng, split)
        fill = {
            "s": s,
            "S": cap,
            "year": str(rng.randint(2019, 2026)),
            "n": str(rng.randint(3, 25)),
            "site": host.removeprefix("www.").split(".")[0],
        }
        if host == "en.wikipedia.org":
            title = f"{cap} - Wikipedia"
            url = f"https://en.wikipedia.org/wiki/{cap.replace(' ', '_')}"
        else:
            title = rng.choice(RESULT_TITLES[1:]).format(**fill)
            slug = "-".join(_slug(s).split("-")[:4])
            url = f"https://{host}/{rng.choice(('', 'guide/', 'news/', 'wiki/', 'a/'))}{slug}"
        out.append({"title": title, "href": url, "body": rng.choice(SNIPPETS).format(**fill)})
    return out


def search(rng: random.Random, split: str) -> SkillSample:
    """web_search with the subject copied verbatim; the answer quotes the top result."""
    split = norm_split(split)
    if rng.random() < QUESTION_RATE:  # a question people ask: the question is the query
        prompt, subject, about, template = knowledge_question(rng, split)
        variant = "question"
    else:
        template, imperative = rng.choice(held_out(SEARCH_TEMPLATES, split))
        if split == "train" and rng.random() < TAIL_RATE:
            template = _with_tail(template, rng)
        subject = about = vary_case(_subject(rng, split), rng, odd=0.03)
        prompt = realize(template, {"q": subject}, rng, split, verbatim=("q",),
                         imperative=imperative)  # fmt: skip
        variant = "ok"
    args = {"query": subject}
    thought = "Look it up: use web_search."
    if rng.random() < ERROR_RATE:
        why = rng.choice(("TimeoutException: timed out", "RatelimitException: 202 Ratelimit",
                          "ConnectError: network is unreachable"))  # fmt: skip
        return SkillSample(
            "search",
            split,
            prompt,
            "error",
            template,
            "web_search",
            args,
            ("failed",),
            tool_ok=False,
            tool_output=f"SearchError: search failed: {why}",
            thought=thought,
            answer_thought=THOUGHT_ERROR,
            answer="Sorry, the web search failed. Please try again later.",
        )
    results = _results(about, rng, split)
    output = format_results(" ".join(subject.split()), results)
    top = results[0]
    answer = rng.choice((f"Top result: {top['title']}.", f"According to {top['title']}: {top['body']}",
                         f"{top['title']}: {top['body']}"))  # fmt: skip
    sample = SkillSample(
        "search",
        split,
        prompt,
        variant,
        template,
        "web_search",
        args,
        (top["title"],),
        tool_output=output,
        thought=thought,
        answer_thought=THOUGHT_OK,
        answer=answer,
        extra={"results": results},
    )
    return maybe_denied(sample, rng)


# ======================================================================================= browse
BROWSE_TEMPLATES = (
    ("open {url}", True), ("read {url}", True), ("summarize {url}", True),
    ("summarise {url}", True), ("what does {url} say?", False), ("browse {url}", True),
    ("go to {url} and summarize it", True), ("give me a summary of {url}", True),
    ("what's on {url}?", False), ("read this page: {url}", True), ("tl;dr {url}", False),
    ("fetch {url}", True), ("can you read {url} for me?", False), ("check out {url}", True),
    ("what is this page about? {url}", False), ("visit {url}", True),
    ("summarize this article: {url}", True), ("load {url} and tell me what it says", True),
    ("{url} - summary please", False), ("open the page {url}", True),
    ("what's this link about: {url}", False), ("skim {url} for me", True),
    ("read {url} and give me the gist", True), ("open this link {url}", True),
    ("quick summary of {url}?", False), ("open {url} and tell me what it says", True),
    ("open {url} and summarize it", True), ("open {url} and summarise it for me", True),
    ("read {url} and tell me what it's about", True), ("read the article at {url}", True),
    ("read this article: {url}", True), ("read this link: {url}", True),
    ("summarize the page at {url}", True), ("summarise this page: {url}", True),
    ("summarize this link: {url}", True), ("give me the gist of {url}", True),
    ("give me a quick summary of {url}", True), ("tell me what {url} says", True),
    ("tell me what's on {url}", True), ("tell me what this page says: {url}", True),
    ("visit {url} and summarize it", True), ("visit this site: {url}", True),
    ("browse to {url} and read it", True), ("go to {url}", True),
    ("go to {url} and tell me what it says", True), ("fetch {url} and summarize it", True),
    ("fetch this page: {url}", True), ("load {url}", True), ("load this page: {url}", True),
    ("check out this link: {url}", True), ("check {url} and tell me what it says", True),
    ("skim this article: {url}", True), ("look at {url} and tell me what it says", True),
    ("pull up {url}", True), ("sum up {url}", True), ("sum up this article: {url}", True),
    ("open the link {url} and give me the gist", True), ("read the webpage {url}", True),
    ("summarize the website {url}", True), ("open this website: {url}", True),
    ("visit {url} and read it", True), ("can u open {url} and tell me what it says", False),
    ("can you open {url}?", False), ("could you summarize {url}?", False),
    ("could you read this article for me? {url}", False), ("would you mind reading {url}?", False),
    ("mind opening {url} and summarizing it?", False),
    ("I was wondering if you could read {url}", False), ("tldr: {url}", False),
    ("tl;dr pls {url}", False), ("summary of {url}?", False), ("what's the gist of {url}?", False),
    ("what is {url} about?", False), ("what's this article about? {url}", False),
    ("what does this page say? {url}", False), ("what does the article at {url} say?", False),
    ("what's the page at {url} about?", False),
    ("my friend sent me {url}, what does it say?", False),
    ("my boss sent me this link: {url} can you summarize it?", False),
    ("here's a link: {url} can you summarise it?", False),
    ("got this link from a friend: {url} what's it about?", False),
    ("here's an article, give me the gist: {url}", False), ("{url} what does it say?", False),
    ("{url} summarize pls", False), ("{url} tldr", False), ("{url} - what's this about?", False),
    ("link: {url}", False), ("url: {url} summary?", False), ("I need a summary of {url}", False),
    ("pls read {url}", False), ("I don't have time to read {url}, summarize it for me", False),
    ("pls summarise {url}", False), ("can you visit {url} and tell me what's there?", False),
    ("can you fetch {url}?", False), ("could you check out {url}?", False),
    ("any idea what {url} says?", False), ("what's written on {url}?", False),
    ("can you skim {url} and tell me the main point?", False),
    ("can you summarize this website for me: {url}", False), ("what's on this page? {url}", False),
    ("could you open this link for me? {url}", False), ("open this site {url}", True),
    ("read the site {url}", True), ("what's on this site? {url}", False),
    ("summarize this site: {url}", True), ("visit the site {url} and tell me what it says", True),
    ("what does the site at {url} say?", False), ("can you read this site for me? {url}", False),
    ("check this site: {url}", True), ("what's this website about? {url}", False),
)  # fmt: skip
PAGE_TITLES = ("{T}", "A beginner's guide to {t}", "{T}: tips that work",
               "How I got started with {t}", "{T} in 5 steps", "Everything about {t}")  # fmt: skip
FIRST_SENTENCES = (
    "{T} is easier than it looks if you start small.",
    "This guide explains {t} step by step for beginners.",
    "Most people get {t} wrong at first, and that is fine.",
    "{T} takes patience, but the basics fit on one page.",
    "Here are five simple tips for {t} that actually work.",
    "{T} has become popular, and this article explains why.",
    "Our team spent a year on {t} and wrote down what we learned.",
)  # fmt: skip
MORE_SENTENCES = (
    "First, set a clear goal and a simple routine.", "Track what works and drop what does not.",
    "Experts recommend starting with ten minutes a day.", "The article ends with a short checklist.",
    "Readers share their own tips in the comments.", "Common mistakes are listed at the end.",
    "Good tools help, but habits matter more.", "A free printable plan is included.",
    "Costs are low if you buy second-hand.", "Small steps add up over a few weeks.",
)  # fmt: skip


def make_url(rng: random.Random, split: str, topic: str) -> str:
    """A realistic http(s) URL on a split-partitioned host."""
    host = _host(rng, split)
    slug, n = _slug(topic), rng.randint(2, 99999)
    path = rng.choice((
        f"/blog/{slug}", f"/{rng.randint(2015, 2026)}/{rng.randint(1, 12):02d}/{slug}",
        f"/articles/{slug}.html", f"/guides/{slug}", f"/wiki/{topic.title().replace(' ', '_')}",
        f"/posts/{n}/{slug}", f"/news/{slug}-{n}", f"/{slug}", f"/docs/{slug}/", f"/p/{n}",
        f"/read?id={n}", f"/{slug}?ref=home", f"/{slug}#intro", f"/en/{slug}/",
    ))  # fmt: skip
    scheme = "https" if rng.random() < 0.9 else "http"
    return f"{scheme}://{host}{path}"


BARE_RATE = 0.3  # share of pages asked for by a bare domain ("open example.org")


def bare_domain(rng: random.Random, split: str) -> str:
    """A domain as people type it: "example.org", "www.example.org", "example.org/news"."""
    host = corpora.pick("domains", rng, split) if rng.random() < 0.6 else _host(rng, split)
    host = host.removeprefix("www.") if rng.random() < 0.7 else host
    if rng.random() < 0.15:
        host += rng.choice(("/news", "/about", "/blog", "/pricing", "/docs", "/contact"))
    return host


def browse(rng: random.Random, split: str) -> SkillSample:
    """browse_page with the URL copied verbatim; the answer is the page's first sentence."""
    split = norm_split(split)
    topic = rng.choice(held_out(lx.PAGE_TOPICS, split))
    url = bare_domain(rng, split) if rng.random() < BARE_RATE else make_url(rng, split, topic)
    template, imperative = rng.choice(held_out(BROWSE_TEMPLATES, split))
    prompt = realize(template, {"url": url}, rng, split, verbatim=("url",), imperative=imperative)
    args = {"url": url}
    thought = "Read the page: use browse_page."
    host = url.split("://")[-1].split("/")[0]
    if rng.random() < ERROR_RATE:
        why = rng.choice(
            (
                f"HTTP 404 Not Found from {host}",
                f"HTTP 403 Forbidden from {host}",
                "deadline exceeded (15s)",
                f"HTTP 500 Internal Server Error from {host}",
            )
        )
        return SkillSample(
            "browse",
            split,
            prompt,
            "error",
            template,
            "browse_page",
            args,
            ("couldn't open",),
            tool_ok=False,
            tool_output=f"FetchError: {why}",
            thought=thought,
            answer_thought=THOUGHT_ERROR,
            answer=f"Sorry, I couldn't open that page: {why}.",
        )
    fill = {"t": topic, "T": topic[:1].upper() + topic[1:]}
    title = rng.choice(PAGE_TITLES).format(**fill)
    first = rng.choice(FIRST_SENTENCES).format(**fill)
    more = rng.sample(MORE_SENTENCES, rng.randint(1, 2))
    fetched = url if "://" in url else f"https://{url}"  # the tool fetches a bare domain over https
    output = f"Title: {title}\nURL: {fetched}\n\n{' '.join([first, *more])}"
    answer = rng.choice((f"Summary: {first}", f"The page says: {first}", f"In short: {first}",
                         f"{title}: {first}"))  # fmt: skip
    sample = SkillSample(
        "browse",
        split,
        prompt,
        "ok",
        template,
        "browse_page",
        args,
        (first,),
        tool_output=output,
        thought=thought,
        answer_thought=THOUGHT_OK,
        answer=answer,
        extra={"title": title},
    )
    return maybe_denied(sample, rng)


# ======================================================================================= echo
ECHO_TEMPLATES = (
    "repeat after me: {text}", "echo {text}", "echo: {text}", "say back: {text}",
    "say this back to me: {text}", "repeat this exactly: {text}", "echo this: {text}",
    "repeat: {text}", 'say "{text}"', 'repeat "{text}"', "echo '{text}'", "parrot this: {text}",
    "copy this text: {text}", "repeat the following: {text}",
    "say back exactly what I type: {text}", "echo back {text}", "repeat {text}",
    "can you echo {text}", "repeat exactly, nothing else: {text}", 'echo "{text}" please',
    "say it back: {text}", "mirror this: {text}", "type back: {text}", "echo the text {text}",
    "repeat word for word: {text}", "say {text}", "say this: {text}", "say exactly this: {text}",
    "just say: {text}", "just repeat {text}", "just echo {text}", "please repeat: {text}",
    "pls echo {text}", "pls say back {text}", "can you repeat {text}",
    "can you repeat after me: {text}", "could you repeat this: {text}",
    "could you echo back: {text}", "would you mind repeating this: {text}",
    "would you repeat this exactly: {text}", "mind echoing this back? {text}",
    "I was wondering if you could repeat this: {text}", "repeat this back to me: {text}",
    "repeat it back: {text}", "repeat back {text}", "repeat this word for word: {text}",
    "repeat this verbatim: {text}", "say this verbatim: {text}", "echo this verbatim: {text}",
    "echo it back: {text}", "echo back exactly: {text}", "type this back exactly: {text}",
    "type back exactly what I write: {text}", "copy this exactly: {text}",
    "copy this back to me: {text}", "write back exactly: {text}", "parrot: {text}",
    "parrot back {text}", "be a parrot and say: {text}", "say after me: {text}",
    'say "{text}" back to me', "repeat '{text}'", "say '{text}'", 'echo "{text}"',
    'say back "{text}"', 'repeat the text "{text}"', 'say the words "{text}"',
    "repeat these words: {text}", "repeat this sentence: {text}", "echo this sentence: {text}",
    "say these words back: {text}", "can u echo this: {text}", "testing, echo this: {text}",
    "my friend wants to hear you say: {text}", "echo pls: {text}", "test: repeat exactly {text}",
    "repeat after me, exactly: {text}", "echo command: {text}", "say back what I typed: {text}",
    "repeat what I say: {text}", "repeat what I wrote: {text}", "echo what I wrote: {text}",
    'I say "{text}", you say it back', 'just say "{text}"', 'say "{text}" and nothing else',
    'repeat exactly "{text}"', "echo back '{text}'", "can you say this back to me: {text}",
    "can u repeat after me: {text}", "could you say this back: {text}", "echo exactly: {text}",
    "parrot back exactly: {text}", "copy this: {text}", "copy back: {text}",
    "copy this word for word: {text}", "say this word for word: {text}",
    "echo word for word: {text}", "type this word for word: {text}",
)  # fmt: skip


def _word_case(word: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        return word
    if r < 0.75:
        return word.capitalize()
    if r < 0.88:
        return word.upper()
    return "".join(c.upper() if rng.random() < 0.5 else c for c in word)


def echo_text(rng: random.Random, split: str) -> str:
    """Odd casing, punctuation, numbers and a few non-ASCII characters: copying must be exact."""
    r = rng.random()
    if r < 0.45:
        words = held_out(lx.ECHO_WORDS, split)
        text = " ".join(_word_case(rng.choice(words), rng) for _ in range(rng.randint(1, 5)))
    elif r < 0.8:
        text = rng.choice(held_out(lx.ECHO_SENTENCES, split))
        text = text.lower() if rng.random() < 0.2 else text
    else:
        words = held_out(lx.ECHO_WORDS, split)
        text = f"{_word_case(rng.choice(words), rng)} {rng.randint(0, 9999)}"
        if rng.random() < 0.5:
            text += f" {_word_case(rng.choice(words), rng)}"
    if rng.random() < 0.35:
        text += rng.choice(lx.ECHO_EXTRAS)
    return text


def echo(rng: random.Random, split: str) -> SkillSample:
    """echo with the text copied exactly; the answer is the text itself."""
    split = norm_split(split)
    text = echo_text(rng, split)
    templates = held_out(ECHO_TEMPLATES, split)
    quoted = [
        t for t in templates if ('"' in t and '"' not in text) or ("'" in t and "'" not in text)
    ]
    plain = [t for t in templates if '"' not in t and "'" not in t]
    template = rng.choice(quoted if quoted and rng.random() < 0.25 else plain)
    prompt = realize(
        template,
        {"text": text},
        rng,
        split,
        verbatim=("text",),
        imperative=is_command(template),
    )
    sample = SkillSample(
        "echo",
        split,
        prompt,
        "ok",
        template,
        "echo",
        {"text": text},
        (text,),
        tool_output=text,
        thought="Repeat it: use echo.",
        answer_thought=THOUGHT_OK,
        answer=text,
    )
    return maybe_denied(sample, rng)


__all__ = ["arithmetic", "browse", "calc_result", "echo", "echo_text", "make_url", "search",
           "time_question"]  # fmt: skip
