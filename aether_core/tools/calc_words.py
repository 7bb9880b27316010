"""Everyday arithmetic, as people type it, rewritten as a calc expression.

"what's 15% of 80?" -> ``(15/100)*80``; "twelve times seven" -> ``12*7``; "the average of 3, 9
and 14" -> ``((3+9+14)/3)``; "cube root of 27" -> ``(27)**(1/3)``. A tiny model routes and
picks the user's words; this module does the reading, so it can pass "15% of 80" as it stands.

Nothing here evaluates anything: ``to_expression`` returns text made of numbers, operators,
parentheses and calc's function names only (checked at the end), which calc then parses through
its allowlist like any expression; text it cannot read whole gives None, so calc reports its
usual error. The patterns are linear (no nested quantifiers), so reading 200 characters is cheap.
"""

from __future__ import annotations

import re

NUM = r"(?:\d+(?:\.\d+)?|\.\d+)"  # a plain number once words and commas are gone
_N = rf"({NUM})"

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9,
           "trillion": 10**12, "dozen": 12}  # fmt: skip
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
            "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}  # fmt: skip

_ALLOWED = re.compile(r"^(?:[0-9.+\-*/%() ]|\*\*|sqrt|log10|log|exp|abs|pi|factorial)+$")

# Leading and trailing words that carry no arithmetic ("hey, can you tell me what's ... pls?").
_LEAD = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|so|um|quick question|quick one|please|pls|plz|can you|could you"
    r"|would you|will you|tell me|help me|i need|i want|i'd like|need|want|to know|do you know"
    r"|what's|whats|what is|what are|what does|what do|what(?!\s+percent)|how much is|how much are|how much"
    r"|calculate|compute|work out|figure out|solve|evaluate|find|give me|get me|show me|is|are"
    r"|the answer to|the answer of|the result of|the value of|the total of|for me|me|quickly|do"
    r"|you get if you|you get when you|you get for|you get from|if you|when you|you|a|an)"
    r"[\s,:]+)+"
)
_TRAIL = re.compile(
    r"(?:[\s,]*(?:please|pls|plz|thanks|thank you|thx|for me|exactly|roughly|approximately"
    r"|equal|equals|make|makes|come to|comes to|give|gives|be|is|are|again|then|now|=|\?|!|\.))+$"
)


def words_to_numbers(text: str) -> str:
    """Number words as digits: "twelve" -> 12, "one hundred and five" -> 105, "3 million" ->
    3000000, "two point five" -> 2.5, "a dozen" -> 12. Other words are left as they are."""
    tokens = re.findall(r"\d+(?:\.\d+)?(?:st|nd|rd|th)?|\.\d+|[a-z]+(?:['-][a-z]+)*|\*\*|\S", text)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        value, used = _read_number(tokens, i)
        if used:
            out.append(_fmt(value))
            i += used
        else:
            out.append(tokens[i])
            i += 1
    return " ".join(out)


def _read_number(tokens: list[str], i: int) -> tuple[float, int]:
    """(value, tokens used) of the number spelled at ``tokens[i]``; 0 tokens if none is."""
    total, current, j, seen = 0.0, 0.0, i, False
    if tokens[j] in ("a", "an") and j + 1 < len(tokens) and tokens[j + 1] in _SCALES:
        current, j, seen = 1.0, j + 1, True  # "a hundred", "a dozen"
    while j < len(tokens):
        tok = tokens[j]
        parts = tok.split("-")
        if all(p in _UNITS for p in parts) and len(parts) <= 2:  # "twenty-three"
            current += sum(_UNITS[p] for p in parts)
        elif re.fullmatch(NUM, tok) and not seen:
            current = float(tok)
        elif tok in _SCALES and seen:
            if _SCALES[tok] >= 1000:
                total, current = total + (current or 1) * _SCALES[tok], 0.0
            else:
                current = (current or 1) * _SCALES[tok]
        elif tok == "and" and seen and j + 1 < len(tokens) and tokens[j + 1] in _UNITS:
            pass  # "one hundred and five"
        elif tok == "point" and seen and j + 1 < len(tokens) and tokens[j + 1] in _UNITS:
            digits = ""
            while j + 1 < len(tokens) and tokens[j + 1] in _UNITS and _UNITS[tokens[j + 1]] < 10:
                j += 1
                digits += str(_UNITS[tokens[j]])
            current += float("0." + digits) if digits else 0.0
        else:
            break
        seen = True
        j += 1
    used = j - i
    if used == 1 and re.fullmatch(NUM, tokens[i]):
        return 0.0, 0  # a bare number stays as written
    return total + current, used


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _list(text: str) -> list[str]:
    return re.findall(NUM, text)


def _join(op: str, items: list[str]) -> str:
    return "(" + op.join(items) + ")"


_PCT = r"(?:%|percent|per\s+cent)"
# a share asked as a percentage ("3/4 as a percent"): its value is shown with a "%"
AS_PERCENT = re.compile(r"^(.+?)\s+(?:as|in|to|into)\s+(?:a\s+)?(?:percent(?:age)?|per\s+cent|%)$")
_LIST = rf"{NUM}(?:\s*(?:,\s*and|,|and|&|\+|plus|\s)\s*{NUM})+"
_ROOTS = {"square": "2", "cube": "3", "cubic": "3"}

# (pattern, replacement) in order: whole phrases first, then operators. Replacement functions
# get the match; strings use \1-style groups.
_RULES: list[tuple[re.Pattern[str], object]] = [
    (re.compile(p), r)
    for p, r in [
        # a share as a percentage: "3/4 as a percent", "0.35 in percent", "3 out of 4 as a %"
        (AS_PERCENT.pattern, r"(\1)*100"),
        # aggregates over a list: "the sum of 3, 9 and 14", "average of 2 4 6"
        (rf"(?:the\s+)?(?:sum|total)\s+of\s+({_LIST})", lambda m: _join("+", _list(m[1]))),
        (rf"(?:add(?:\s+up)?|sum(?:\s+up)?|total)\s+({_LIST})", lambda m: _join("+", _list(m[1]))),
        (rf"(?:the\s+)?product\s+of\s+({_LIST})", lambda m: _join("*", _list(m[1]))),
        (rf"multiply\s+({_LIST})(?!\s*by)", lambda m: _join("*", _list(m[1]))),
        (
            rf"(?:the\s+)?(?:average|mean|avg)\s+(?:of\s+)?({_LIST})",
            lambda m: f"({_join('+', _list(m[1]))}/{len(_list(m[1]))})",
        ),
        (rf"(?:the\s+)?difference\s+(?:between|of)\s+{_N}\s+and\s+{_N}", r"(\1-\2)"),
        (rf"(?:the\s+)?(?:quotient|ratio)\s+of\s+{_N}\s+(?:and|to|over|by)\s+{_N}", r"(\1/\2)"),
        # percentages a verb puts before the amount: "add 15% to 240", "take 20% off 50"
        (rf"add\s+{_N}\s*{_PCT}\s+(?:to|onto|on)\s+{_N}", r"(\2*(1+\1/100))"),
        (rf"(?:take|knock)\s+{_N}\s*{_PCT}\s+off\s+(?:of\s+)?{_N}", r"(\2*(1-\1/100))"),
        # verbs that put their numbers in another order
        (rf"(?:subtract|take\s+away|take|deduct)\s+{_N}\s+(?:from|off)\s+{_N}", r"(\2-\1)"),
        (rf"add\s+{_N}\s+(?:to|and|plus)\s+{_N}", r"(\1+\2)"),
        (rf"divide\s+{_N}\s+(?:by|into)\s+{_N}", r"(\1/\2)"),
        (  # "split 120 between 4 people", "split 3 37 ways", "divide 100 among 5"
            rf"(?:split|share|divide)\s+{_N}\s+(?:(?:between|among|amongst)\s+)?{_N}"
            r"(?:\s+(?:ways|people|persons|friends))?",
            r"(\1/\2)",
        ),
        (rf"multiply\s+{_N}\s+(?:by|and|times|with)\s+{_N}", r"(\1*\2)"),
        # percentages
        (
            rf"what\s+percent(?:age)?\s+of\s+{_N}\s+is\s+{_N}",
            r"(\2/\1*100)",
        ),
        (rf"what\s+percent(?:age)?\s+is\s+{_N}\s+(?:of|out\s+of)\s+{_N}", r"(\1/\2*100)"),
        (rf"{_N}\s+(?:is\s+)?what\s+percent(?:age)?\s+(?:of|out\s+of)\s+{_N}", r"(\1/\2*100)"),
        (rf"(?:increase|raise)\s+{_N}\s+by\s+{_N}\s*{_PCT}", r"(\1*(1+\2/100))"),
        (
            rf"(?:decrease|reduce|lower|discount)\s+{_N}\s+by\s+{_N}\s*{_PCT}",
            r"(\1*(1-\2/100))",
        ),
        # the same verbs by an amount, not a percentage: "reduce 7584 by 90", "328 reduced by 51"
        (rf"(?:increase|raise)\s+{_N}\s+by\s+{_N}(?!\s*{_PCT})", r"(\1+\2)"),
        (rf"(?:decrease|reduce|lower)\s+{_N}\s+by\s+{_N}(?!\s*{_PCT})", r"(\1-\2)"),
        (rf"{_N}\s+(?:increased|raised)\s+by\s+{_N}(?!\s*{_PCT})", r"(\1+\2)"),
        (rf"{_N}\s+(?:decreased|reduced|lowered)\s+by\s+{_N}(?!\s*{_PCT})", r"(\1-\2)"),
        (rf"\b(?:a\s+)?(?:tip|tax)\s+of\s+(?={NUM}\s*{_PCT}\s+(?:of|on|for)\b)", ""),
        (rf"{_N}\s*(?:\+|plus|and|with|add)\s*{_N}\s*{_PCT}", r"(\1*(1+\2/100))"),
        (
            rf"{_N}\s*(?:-|minus|less|without)\s*{_N}\s*{_PCT}(?:\s+off)?",
            r"(\1*(1-\2/100))",
        ),
        (rf"{_N}\s*{_PCT}\s+off\s+(?:of\s+)?{_N}", r"(\2*(1-\1/100))"),
        (
            rf"{_N}\s*{_PCT}\s+(?:tip\s+|tax\s+)?(?:of|on|from|for)\s+",
            r"(\1/100)*",
        ),
        (rf"{_N}\s*{_PCT}", r"(\1/100)"),
        # fractions of
        (rf"{_N}\s+out\s+of\s+{_N}", r"(\1/\2)"),
        (r"\b(?:1\s+|a\s+)?half\s+(?:of\s+)?", "0.5*"),
        (r"\b(?:1\s+|a\s+)?third\s+of\s+", "(1/3)*"),
        (r"\b(?:1\s+|a\s+)?quarter\s+of\s+", "0.25*"),
        (rf"{_N}\s+thirds\s+of\s+", r"(\1/3)*"),
        (rf"{_N}\s+quarters\s+of\s+", r"(\1/4)*"),
        (r"\b(?:twice|double)\s+(?:of\s+)?", "2*"),
        (r"\btriple\s+(?:of\s+)?", "3*"),
        # roots and powers
        (
            rf"(?:the\s+)?(square|cube|cubic)\s+root\s+(?:of\s+)?(-?\s*{NUM})",
            lambda m: _root(m[2].replace(" ", ""), m[1]),
        ),
        (r"(?:the\s+)?square\s+root\s+(?:of\s+)?\(", "sqrt("),
        (
            rf"(?:the\s+)?{_N}(?:st|nd|rd|th)\s+root\s+of\s+{_N}",
            r"(\2)**(1/\1)",
        ),
        (
            rf"(?:the\s+)?(fourth|fifth|sixth|seventh|eighth|ninth|tenth)\s+root\s+of\s+{_N}",
            lambda m: f"({m[2]})**(1/{ORDINALS[m[1]]})",
        ),
        (rf"(?:the\s+)?(?:sqrt|root)\s+(?:of\s+)?{_N}", r"sqrt(\1)"),
        (rf"(?:the\s+)?square\s+of\s+{_N}", r"(\1)**2"),
        (rf"(?:the\s+)?cube\s+of\s+{_N}", r"(\1)**3"),
        (rf"{_N}\s+factorial", r"factorial(\1)"),
        (rf"(?:the\s+)?factorial\s+(?:of\s+)?{_N}", r"factorial(\1)"),
        (rf"{_N}\s+squared", r"(\1)**2"),
        (rf"{_N}\s+cubed", r"(\1)**3"),
        (
            rf"\s*(?:raised\s+)?to\s+the\s+{_N}(?:st|nd|rd|th)?(?:\s+power)?",
            r"**\1",
        ),
        (
            r"\s*(?:raised\s+)?to\s+the\s+(second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)"
            r"(?:\s+power)?",
            lambda m: f"**{ORDINALS[m[1]]}",
        ),
        (r"\s*(?:raised\s+)?to\s+the\s+power\s+(?:of\s+)?", "**"),
        (r"\s*raised\s+to\s+", "**"),
        (r"\s*(?:to\s+the\s+|\^\s*)?power\s+(?:of\s+)?", "**"),
        # operator words
        (r"\s*\b(?:plus|added\s+to|add|\+)\s*", "+"),
        (r"\s*\b(?:minus|less|take\s+away|subtract(?:ed)?)\b\s*", "-"),
        (r"\s*\b(?:times|multiplied\s+by|multiply\s+by|multiplied\s+with)\b\s*", "*"),
        (r"(?<=[\d)])\s*[x×]\s*(?=[\d(])", "*"),
        (r"\s*\b(?:divided\s+by|divide\s+by|over)\b\s*", "/"),
        (r"\s*\b(?:mod|modulo|modulus)\b\s*", "%"),
        (r"\bnegative\s+", "-"),
        (r"\bsquare\s+root\b", "sqrt"),
    ]
]


def _root(value: str, kind: str) -> str:
    """A square root through sqrt (its domain error is calc's to report); an odd root of a
    negative number is real: "cube root of -8" is -2."""
    degree = _ROOTS[kind]
    if degree == "2":
        return f"sqrt({value})"
    sign, value = ("-", value[1:]) if value.startswith("-") else ("", value)
    return f"{sign}(({value})**(1/{degree}))"


# Operator signs people paste, as the parser writes them (calc.py reads them the same way).
SYMBOLS = (("×", "*"), ("·", "*"), ("÷", "/"), ("−", "-"))


def normalize(text: str) -> str:
    """Lower case, thousands separators and currency signs gone, number words as digits, and
    the words around the arithmetic ("what's", "please", "?") stripped."""
    s = text.lower().replace("’", "'")
    for symbol, op in SYMBOLS:  # "(66 ÷ 970) x 7" reads as "(66 / 970) x 7" does
        s = s.replace(symbol, op)
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)  # 1,000 -> 1000 (a list "3, 9" keeps its space)
    s = re.sub(r"[$€£¥]", "", s)
    s = re.sub(r"\b(?:dollars?|bucks|euros?|usd|eur|gbp|quid|yen|rupees?)\b", " ", s)
    s = words_to_numbers(s)
    s = re.sub(r"\s+", " ", s).strip()
    s = _TRAIL.sub("", s)
    s = _LEAD.sub("", s)
    return s.strip()


# "6!" is six factorial where more arithmetic follows ("4! times 3") or it is the only number:
# "what's 12 times 3!" ends in an exclamation mark.
_BANG = re.compile(rf"(?<![\d.])({NUM})\s?!(?!=)")


def _factorials(text: str) -> str:
    if "!" not in text:  # most text: no need to count its numbers (a step reads many spans)
        return text
    numbers = len(re.findall(NUM, words_to_numbers(text.lower())))

    def spelled(m: re.Match[str]) -> str:
        more = text[m.end() :].strip(" ?!.")
        return f" factorial of {m[1]} " if more or numbers == 1 else m[0]

    return _BANG.sub(spelled, text)


def to_expression(text: str) -> str | None:
    """``text`` as a calc expression, or None where it is not everyday arithmetic this reads.
    The result holds only numbers, operators, parentheses, sqrt/log/exp/abs and pi."""
    s = normalize(_factorials(text))
    for pattern, repl in _RULES:
        s = pattern.sub(repl, s)  # type: ignore[arg-type]
    s = re.sub(r"\bthe\b|\bof\b", " ", s)
    s = re.sub(r"\s+", " ", s).strip().rstrip("=").strip()
    if not s or not _ALLOWED.match(s):
        return None
    return s
