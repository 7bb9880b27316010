"""Tool-use skills: arithmetic (calc), date/time (time), web search, page reading, echo.

Tool outputs are produced by the tools' own formatters (``calc.format_number``,
``clock.format_time``, ``web_search.format_results``), so the training stream shows exactly what
the live tools print. Verbatim content (numbers, URLs, search subjects, echo text) is never
altered by the phrasing noise, and the call copies it exactly.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ..tools.calc import format_number
from ..tools.clock import format_time
from ..tools.web_search import format_results
from . import lexicon as lx
from .phrasing import held_out, norm_split, realize, typo, value_split, vary_case
from .skills import ERROR_RATE, THOUGHT_ERROR, THOUGHT_OK, SkillSample, maybe_denied

# ======================================================================================= calc
ARITH_QUESTIONS = (
    "what is {expr}?", "what's {expr}?", "how much is {expr}?", "{expr} = ?", "{expr}=?",
    "{expr}?", "what does {expr} equal?", "what do you get for {expr}?", "whats {expr}",
    "{expr} equals what?", "what is the result of {expr}?", "how much does {expr} make?",
    "can you tell me what {expr} is?", "do you know what {expr} is?", "what's the answer to {expr}?",
    "{expr} is how much?", "and {expr}?", "what would {expr} be?", "any idea what {expr} is?",
    "what comes out of {expr}?",
)  # fmt: skip
ARITH_COMMANDS = (
    "compute {expr}", "calculate {expr}", "evaluate {expr}", "solve {expr}", "work out {expr}",
    "figure out {expr}", "do the math: {expr}", "quick math: {expr}", "crunch {expr}",
    "tell me {expr}", "math: {expr}", "give me the result of {expr}", "calc {expr}",
    "help me with {expr}", "run the numbers on {expr}",
)  # fmt: skip
# (template, operator): the numbers fill {a} and {b}; the call keeps the order of the formula
ARITH_VERBAL = (
    ("add {a} and {b}", "+"), ("what is the sum of {a} and {b}?", "+"),
    ("multiply {a} by {b}", "*"), ("what is the product of {a} and {b}?", "*"),
    ("divide {a} by {b}", "/"), ("what's {a} divided by {b}?", "/"),
    ("subtract {b} from {a}", "-"), ("what is the difference between {a} and {b}?", "-"),
    ("what do I get if I multiply {a} and {b}?", "*"), ("add up {a} and {b}", "+"),
    ("how much is {a} split {b} ways?", "/"), ("take {b} away from {a}", "-"),
    ("what's {a} times {b}?", "*"), ("sum {a} and {b}", "+"), ("{a} shared by {b} people is?", "/"),
)  # fmt: skip
OP_SURFACES = {
    "+": {"sym": ("+",), "uni": ("+",), "word": ("plus",)},
    "-": {"sym": ("-",), "uni": ("−",), "word": ("minus",)},
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


def arithmetic(rng: random.Random, split: str) -> SkillSample:
    """A calc dialogue: symbols, unicode or words; binary, chained or parenthesized."""
    split = norm_split(split)
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
        elif op == "/":
            _tidy_divisions(node, rng, split)
        slots = {"a": str(a.value), "b": str(b.value)}
        prompt = realize(template, slots, rng, split, imperative=template[:1] not in "wh{")
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
             "what o'clock is it?"),
    "date": ("what's the date today?", "what is today's date?", "what date is it?",
             "today's date?", "what's the date?", "which date is it today?", "date please",
             "what's today's date?", "tell me today's date", "what is the date today?"),
    "day": ("what day is it today?", "what day of the week is it?", "which day is it?",
            "what day is it?", "is it monday or what day is it?", "what weekday is it?",
            "remind me what day it is", "what day is today?", "which weekday is today?",
            "tell me what day it is"),
    "datetime": ("what's the date and time?", "current date and time?",
                 "tell me the date and time", "what is the date and time now?",
                 "date and time please", "what's the time and date?",
                 "give me the current date and time", "what day and time is it?",
                 "the date and the time, please", "now: what date and time is it?"),
}  # fmt: skip
TIME_PLACE = {
    "time": ("what time is it in {place}?", "what's the time in {place}?", "time in {place}?",
             "current time in {place}", "what time is it over in {place} right now?",
             "tell me the time in {place}", "{place} time?", "what's the local time in {place}?",
             "how late is it in {place}?", "what's the time like in {place} now?",
             "check the time in {place}", "what time do they have in {place}?",
             "is it late in {place}? what time is it there?", "local time in {place}",
             "what's the clock saying in {place}?"),
    "date": ("what's the date in {place}?", "what is today's date in {place}?",
             "which date is it in {place}?", "date in {place}?", "what's the date over in {place}?",
             "tell me the date in {place}", "what date is it in {place} now?",
             "today's date in {place}?", "what's the date right now in {place}?",
             "in {place}, what's the date?"),
    "day": ("what day is it in {place}?", "what day of the week is it in {place}?",
            "which day is it in {place}?", "is it already tomorrow in {place}? what day is it?",
            "what weekday is it in {place}?", "tell me what day it is in {place}",
            "what day is it over in {place}?", "day of the week in {place}?",
            "in {place}, what day is it?", "what's the day in {place} now?"),
    "datetime": ("what's the date and time in {place}?", "date and time in {place}?",
                 "current date and time in {place}", "tell me the date and time in {place}",
                 "what's the time and date in {place}?", "in {place}, what's the date and time?",
                 "date and time over in {place}, please", "what day and time is it in {place}?",
                 "give me the date and time in {place}", "{place}: date and time?"),
}  # fmt: skip
TIME_START = 1577836800  # 2020-01-01
TIME_END = 2082758399  # 2035-12-31


def _time_answer(kind: str, place: str | None, moment: datetime, rng: random.Random) -> str:
    hm, date, day = f"{moment:%H:%M}", f"{moment:%Y-%m-%d}", f"{moment:%A}"
    if place is None:
        options = {
            "time": (f"It's {hm}.", f"The time is {hm}."),
            "date": (f"Today is {day}, {date}.", f"It's {day}, {date}."),
            "day": (f"It's {day}.", f"Today is {day}."),
            "datetime": (f"It's {day}, {date}, {hm}.",),
        }[kind]
    else:
        options = {
            "time": (f"It's {hm} in {place}.", f"In {place} it's {hm}."),
            "date": (f"In {place} it's {day}, {date}.",),
            "day": (f"In {place} it's {day}.",),
            "datetime": (f"In {place} it's {day}, {date}, {hm}.",),
        }[kind]
    return rng.choice(options)


@functools.lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    from zoneinfo import available_timezones

    return frozenset(z.lower() for z in available_timezones())


_ZONE_CHOICES = sorted(set(lx.CITY_ZONES.values()))
_CITIES = sorted(lx.CITY_ZONES)


def _bad_zone(zone: str, rng: random.Random) -> str:
    known = _known_zones()
    for _ in range(20):
        bad = typo(zone, rng)
        if bad.lower() not in known and bad != zone:
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
        label = moment.tzname() or "local"
        place = None
        thought = f"Current {what.lower()}: use time."
    else:
        template = rng.choice(held_out(TIME_PLACE[kind], split))
        if where == "city":
            city = rng.choice(_CITIES)
            zone = lx.CITY_ZONES[city]
            prompt = realize(template, {"place": city}, rng, split)
            place, typed = city, zone
        else:
            zone = rng.choice(held_out(lx.RAW_ZONES, split))
            typed = zone.lower() if rng.random() < 0.15 else zone
            error = rng.random() < 0.15
            if error:
                typed = _bad_zone(zone, rng)
            prompt = realize(template, {"place": typed}, rng, split, verbatim=("place",))
            place = zone
        args = {"timezone": typed}
        moment = datetime.fromtimestamp(moment_ts, ZoneInfo(zone))
        label = zone
        thought = f"{what} in {place if where == 'city' else typed}: use time."
    if error:
        msg = f"TimeZoneError: unknown time zone {typed!r} (use an IANA name like Europe/Paris)"
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
    output = format_time(moment, label)
    contains = {
        "time": (f"{moment:%H:%M}",),
        "date": (f"{moment:%Y-%m-%d}",),
        "day": (f"{moment:%A}",),
        "datetime": (f"{moment:%Y-%m-%d}", f"{moment:%H:%M}"),
    }[kind]
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
        answer=_time_answer(kind, place, moment, rng),
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
)  # fmt: skip
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
    pattern, source = rng.choice(lx.SEARCH_PATTERNS)
    if source == "FOODS+CITY":
        a, b = rng.choice(held_out(lx.FOODS, split)), rng.choice(held_out(lx.WORLD_CITIES, split))
        return pattern.format(a=a, b=b)
    return pattern.format(a=rng.choice(held_out(getattr(lx, source), split)))


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
    template, imperative = rng.choice(held_out(SEARCH_TEMPLATES, split))
    subject = vary_case(_subject(rng, split), rng, odd=0.03)
    prompt = realize(template, {"q": subject}, rng, split, verbatim=("q",), imperative=imperative)
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
    results = _results(subject, rng, split)
    output = format_results(" ".join(subject.split()), results)
    top = results[0]
    answer = rng.choice((f"Top result: {top['title']}.", f"According to {top['title']}: {top['body']}",
                         f"{top['title']}: {top['body']}"))  # fmt: skip
    sample = SkillSample(
        "search",
        split,
        prompt,
        "ok",
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
    ("fetch {url}", True), ("can you read {url} for me?", False),
    ("what is this page about? {url}", False), ("check out {url}", True), ("visit {url}", True),
    ("summarize this article: {url}", True), ("load {url} and tell me what it says", True),
    ("open the page {url}", True), ("{url} - summary please", False),
    ("what's this link about: {url}", False), ("skim {url} for me", True),
    ("read {url} and give me the gist", True), ("open this link {url}", True),
    ("quick summary of {url}?", False),
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


def browse(rng: random.Random, split: str) -> SkillSample:
    """browse_page with the URL copied verbatim; the answer is the page's first sentence."""
    split = norm_split(split)
    topic = rng.choice(held_out(lx.PAGE_TOPICS, split))
    url = make_url(rng, split, topic)
    template, imperative = rng.choice(held_out(BROWSE_TEMPLATES, split))
    prompt = realize(template, {"url": url}, rng, split, verbatim=("url",), imperative=imperative)
    args = {"url": url}
    thought = "Read the page: use browse_page."
    host = url.split("/")[2]
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
    output = f"Title: {title}\nURL: {url}\n\n{' '.join([first, *more])}"
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
    "copy this text: {text}", "say back exactly what I type: {text}", "repeat the following: {text}",
    "echo back {text}", "repeat {text}", "can you echo {text}", 'echo "{text}" please',
    "repeat exactly, nothing else: {text}", "say it back: {text}", "mirror this: {text}",
    "type back: {text}", "echo the text {text}", "repeat word for word: {text}",
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
        imperative=not template.startswith("can"),
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
