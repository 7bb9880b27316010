"""Arithmetic as people write it: percentages, unit conversions, number words, powers and roots,
sums and averages of lists, decimals, and "how many seconds are in a day".

Two ways to call ``calc``, both learned: the user's own phrase copied as the expression ("15% of
80", "5 miles in km", "twelve times seven"; the tool parses it) or an expression the model writes
("4.5*6", "3+9+14", "24*60*60"). Every output is the tool's own (``calc.evaluate``); a phrase the
tool does not take is never shown to the model.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..tools.calc import evaluate
from .phrasing import held_out, value_split

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen")  # fmt: skip
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(n: int) -> str:
    """0-999 in words, as people write them ("forty-two", "three hundred and five")."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])
    rest = n % 100
    head = f"{ONES[n // 100]} hundred"
    return head if rest == 0 else f"{head} and {number_words(rest)}"


@dataclass(frozen=True)
class CalcPhrase:
    """A prompt's math: ``text`` as the user wrote it, ``expression`` the call's argument."""

    text: str
    expression: str
    kind: str


def _int(rng: random.Random, split: str, lo: int = 2, hi: int = 999) -> int:
    """Multi-digit values split by hash (as the plain arithmetic's numbers)."""
    while True:
        n = rng.randint(lo, hi)
        if n < 10 or value_split(n) == split:
            return n


def _decimal(rng: random.Random, split: str) -> str:
    while True:
        text = f"{rng.randint(0, 99)}.{rng.randint(1, 99) if rng.random() < 0.3 else rng.randint(1, 9)}"
        if value_split(text) == split:
            return text


def _percent(rng: random.Random, split: str) -> CalcPhrase:
    p = rng.choice((5, 10, 12, 15, 18, 20, 25, 30, 33, 40, 50, 60, 75, 80, 90, 7.5, 2.5, 3, 8))
    p = p if rng.random() < 0.8 else _int(rng, split, 1, 99)
    n = _int(rng, split, 10, 5000)
    sign = rng.choice(("%", "%", "%", " percent"))
    form = rng.random()
    if form < 0.6:
        text = f"{p}{sign} of {n}"
    else:
        op = rng.choice(("plus", "minus", "+", "-"))
        text = f"{n} {op} {p}{sign}"
    return CalcPhrase(text, text, "percent")


# (from, to): surfaces people type; the ones the tool does not take are skipped
UNIT_PAIRS = (
    ("miles", "km"), ("km", "miles"), ("kg", "lbs"), ("pounds", "kg"), ("F", "C"), ("C", "F"),
    ("cups", "ml"), ("inches", "cm"), ("cm", "inches"), ("feet", "meters"), ("meters", "feet"),
    ("liters", "gallons"), ("gallons", "liters"), ("ounces", "grams"), ("grams", "ounces"),
    ("mph", "km/h"), ("hours", "minutes"), ("days", "hours"), ("weeks", "days"),
    ("kilometers", "miles"), ("miles", "kilometers"), ("kilograms", "pounds"), ("yards", "meters"),
    ("tablespoons", "ml"), ("teaspoons", "ml"), ("celsius", "fahrenheit"), ("fahrenheit", "celsius"),
    ("litres", "pints"), ("feet", "cm"), ("stone", "kg"), ("mm", "inches"), ("acres", "hectares"),
    ("hectares", "acres"), ("minutes", "seconds"), ("ml", "cups"), ("lbs", "kg"), ("m", "ft"),
    ("km/h", "mph"), ("inches", "feet"), ("pints", "liters"), ("years", "days"), ("oz", "g"),
    ("gallons", "litres"), ("kg", "pounds"), ("degrees F", "degrees C"), ("kilometres", "miles"),
)  # fmt: skip
UNIT_JOINS = (" in ", " to ", " in ", " into ")
_UNIT_JOIN = re.compile("|".join(re.escape(j) for j in dict.fromkeys(UNIT_JOINS)))


def _units(rng: random.Random, split: str) -> CalcPhrase:
    a, b = rng.choice(UNIT_PAIRS)
    n = _int(rng, split, 1, 500) if rng.random() < 0.75 else _decimal(rng, split)
    text = f"{n} {a}{rng.choice(UNIT_JOINS)}{b}"
    return CalcPhrase(text, text, "units")


WORD_OPS = ("times", "plus", "minus", "divided by", "multiplied by")


def _words(rng: random.Random, split: str) -> CalcPhrase:
    a, b = rng.randint(0, 99), rng.randint(1, 99)
    text = f"{number_words(a)} {rng.choice(WORD_OPS)} {number_words(b)}"
    return CalcPhrase(text, text, "number_words")


def _power(rng: random.Random, split: str) -> CalcPhrase:
    n = _int(rng, split, 2, 99)
    form = rng.choice(("squared", "cubed", "power", "sqrt", "cbrt", "power"))
    if form in ("squared", "cubed"):
        text = f"{n} {form}"
    elif form == "power":
        text = f"{rng.randint(2, 12)} to the power of {rng.randint(2, 10)}"
    elif form == "sqrt":
        m = rng.randint(2, 40) ** 2 if rng.random() < 0.7 else n
        text = f"{rng.choice(('the square root of ', 'square root of '))}{m}"
    else:
        m = rng.randint(2, 12) ** 3
        text = f"{rng.choice(('the cube root of ', 'cube root of '))}{m}"
    return CalcPhrase(text, text, "power")


LIST_VERBS = (
    "add up",
    "sum up",
    "add",
    "multiply",
    "average",
)  # training only: "add up 3, 9 and 14"
LIST_VERB_RATE = 0.3


def _list(rng: random.Random, split: str) -> CalcPhrase:
    nums = [str(_int(rng, split, 1, 500)) for _ in range(rng.choice((3, 3, 4, 5)))]
    listed = ", ".join(nums[:-1]) + rng.choice((" and ", ", and ", ", ")) + nums[-1]
    what = rng.choice(("sum", "average", "total", "mean", "sum", "product"))
    text = f"{rng.choice(('the ', '', 'the '))}{what} of {listed}"
    if split == "train" and rng.random() < LIST_VERB_RATE:  # no extra draw for eval
        text = f"{rng.choice(LIST_VERBS)} {listed}"
    return CalcPhrase(text, text, "list")


SYMBOLS = {"+": ("+", " + ", "plus"), "-": ("-", " - ", "minus"), "*": ("*", " x ", " * ", "times"),
           "/": ("/", " / ", "divided by")}  # fmt: skip


def _written(rng: random.Random, split: str) -> CalcPhrase:
    """Decimals and chains of three or more numbers: the model writes the expression."""
    if rng.random() < 0.5:  # decimals
        a = _decimal(rng, split) if rng.random() < 0.7 else str(_int(rng, split))
        b = _decimal(rng, split) if rng.random() < 0.5 else str(_int(rng, split, 2, 99))
        op = rng.choice("+-*/")
        nums, ops = [a, b], [op]
    else:  # a + b + c (+ d)
        nums = [str(_int(rng, split, 1, 999)) for _ in range(rng.choice((3, 3, 4)))]
        ops = [rng.choice("+++-*") for _ in nums[1:]]
    words = rng.random() < 0.5
    text, expr = nums[0], nums[0]
    for op, n in zip(ops, nums[1:], strict=True):
        surface = rng.choice(SYMBOLS[op]) if not words else SYMBOLS[op][-1]
        sep = " " if surface[0].isalpha() else ""
        text += f"{sep}{surface}{sep}{n}"
        expr += f"{op}{n}"
    return CalcPhrase(text, expr, "written")


# unit -> (seconds in it as factors of the next unit down): "how many seconds in a day" is 24*60*60
TIME_UNITS = (("second", ""), ("minute", "60"), ("hour", "60"), ("day", "24"), ("week", "7"))
COUNT_QUESTIONS = ("how many {small}s are in {big}?", "how many {small}s in {big}?",
                   "how many {small}s are there in {big}?", "number of {small}s in {big}?",
                   "{small}s in {big}?", "how many {small}s does {big} have?")  # fmt: skip


def count_question(rng: random.Random, split: str) -> tuple[str, CalcPhrase]:
    """ "how many seconds are in a day?": arithmetic (calc), not the clock. Returns the question
    with ``{small}``/``{big}`` and the phrase (``kind`` holds the small unit, ``text`` the big)."""
    i = rng.randint(0, len(TIME_UNITS) - 2)
    j = rng.randint(i + 1, len(TIME_UNITS) - 1)
    factors = [TIME_UNITS[k][1] for k in range(j, i, -1)]
    n = 1 if rng.random() < 0.6 else _int(rng, split, 2, 30)
    big = f"{rng.choice(('a', 'one'))} {TIME_UNITS[j][0]}" if n == 1 else f"{n} {TIME_UNITS[j][0]}s"
    if TIME_UNITS[j][0] == "hour" and n == 1:
        big = big.replace("a hour", "an hour")
    expr = "*".join(([] if n == 1 else [str(n)]) + factors)
    template = rng.choice(held_out(COUNT_QUESTIONS, split))
    return template, CalcPhrase(big, expr, TIME_UNITS[i][0])


# prompts around a phrase; "{expr}" is the phrase
PHRASE_FRAMES = {
    "percent": ("what is {expr}?", "what's {expr}?", "calculate {expr}", "how much is {expr}?",
                "{expr}?", "work out {expr}", "what's {expr} exactly?", "tip: {expr}?",
                "quick math: {expr}", "can you calculate {expr}?"),
    "units": ("convert {expr}", "what is {expr}?", "{expr}?", "how much is {expr}?",
              "can you convert {expr}?", "convert {expr} please", "what's {expr}?",
              "{expr} please", "quick conversion: {expr}", "could you convert {expr} for me?"),
    "number_words": ("what is {expr}?", "what's {expr}?", "{expr}?", "calculate {expr}",
                     "how much is {expr}?", "what does {expr} make?", "compute {expr}",
                     "work out {expr}", "tell me {expr}", "what do you get for {expr}?"),
    "power": ("what is {expr}?", "what's {expr}?", "{expr}?", "calculate {expr}",
              "how much is {expr}?", "compute {expr}", "work out {expr}", "what does {expr} equal?",
              "tell me {expr}", "can you work out {expr}?"),
    "list": ("what is {expr}?", "what's {expr}?", "calculate {expr}", "{expr}?",
             "work out {expr}", "compute {expr}", "find {expr}", "tell me {expr}",
             "give me {expr}", "can you calculate {expr}?"),
    "written": ("what is {expr}?", "what's {expr}?", "{expr}?", "calculate {expr}",
                "how much is {expr}?", "{expr} =", "compute {expr}", "work out {expr}",
                "what does {expr} come to?", "{expr} equals?"),
}  # fmt: skip
CONTEXTS = ("I'm splitting a bill: ", "for a recipe, ", "homework: ", "I'm shopping. ",
            "my kid asked: ", "quick one, ", "planning a run: ", "I'm doing my taxes. ",
            "for work: ", "just checking: ", "trip planning: ", "I'm cooking. ", "for a form, ",
            "I'm baking. ", "for school: ")  # fmt: skip
CONTEXT_RATE = 0.25
# Training only: words after the math ("cube root of 343 please"), and a context that already
# names the numbers ("it's 25 C here, 25 C in F?"), so the call copies the math phrase itself:
# its operator words kept, the politeness and the restated numbers left out.
TAILS = (" please", " pls", " for me", " thanks", " for me please", " real quick", " thx",
         " if you can", " quickly", " asap")  # fmt: skip
TAIL_RATE = 0.25
NUMBER_CONTEXTS = ("it's {x} here, ", "I've got {x}. ", "the price is {x}, so ", "it says {x}. ",
                   "we have {x}, ", "the number is {x}: ", "so {x}, ", "{x} is what I have. ",
                   "my numbers were {x}, ", "ok {x}... ")  # fmt: skip
NUMBER_CONTEXT_RATE = 0.15
COPY_COUNT_RATE = 0.6  # "how many seconds are in a day" copied whole; else written

KINDS: dict[str, Callable[[random.Random, str], CalcPhrase]] = {
    "percent": _percent, "units": _units, "number_words": _words, "power": _power,
    "list": _list, "written": _written,
}  # fmt: skip


def _numbers_named(phrase: CalcPhrase) -> str:
    """What a context restates of ``phrase``: a list's numbers, a conversion's amount and unit,
    else its first number."""
    if phrase.kind == "list":
        return phrase.text.split(" of ", 1)[-1] if " of " in phrase.text else phrase.text
    if phrase.kind == "units":
        return _UNIT_JOIN.split(phrase.text, maxsplit=1)[0]
    found = re.search(r"\d[\d.]*", phrase.text)
    return found.group(0) if found else ""


def _train_frame(template: str, phrase: CalcPhrase, rng: random.Random) -> str:
    """A training template with words after the math and/or a context naming its numbers."""
    if rng.random() < TAIL_RATE and re.search(r"\{expr\}[?]?$", template):
        template = template.replace("{expr}", "{expr}" + rng.choice(TAILS))
    if rng.random() < NUMBER_CONTEXT_RATE and (named := _numbers_named(phrase)):
        template = rng.choice(NUMBER_CONTEXTS).format(x=named) + template
    return template


def calc_phrase(rng: random.Random, split: str) -> tuple[str, str, CalcPhrase, str]:
    """(prompt template with {expr}, the filled prompt's math, its phrase, its result); tries
    again when the tool does not take a drawn phrase."""
    for _ in range(50):
        if rng.random() < 0.12:
            template, phrase = count_question(rng, split)
            prompt = template.format(small=phrase.kind, big=phrase.text)
            if prompt.startswith("how many") and rng.random() < COPY_COUNT_RATE:
                phrase = CalcPhrase(phrase.text, prompt.rstrip("?"), phrase.kind)  # calc reads it
        else:
            kind = rng.choice(sorted(KINDS))
            phrase = KINDS[kind](rng, split)
            context = rng.choice(held_out(CONTEXTS, split)) if rng.random() < CONTEXT_RATE else ""
            template = context + rng.choice(held_out(PHRASE_FRAMES[kind], split))
            if split == "train":  # no extra draws for eval
                template = _train_frame(template, phrase, rng)
            prompt = template.replace("{expr}", phrase.text)
        try:
            result = evaluate(phrase.expression)
        except Exception:  # noqa: BLE001 - a phrase the tool does not take is not shown
            continue
        return template, prompt, phrase, result
    raise RuntimeError("calc takes none of the drawn phrases")
