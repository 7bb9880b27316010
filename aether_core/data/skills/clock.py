"""Date and time through ``time``: asked here (no place), about a city, country or US state as
the user wrote it, or about an IANA zone. The answer is the tool's own sentence
(``clock.describe``/``say_time``), which says the time and the place in words.
"""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from ...dialogue import THOUGHT_ERROR, THOUGHT_OK, tool_thought
from ...tools.clock import TimeZoneError, describe, find_zone, say_time
from .. import corpora
from .. import lexicon as lx
from ..phrasing import held_out, norm_split, realize, typo, value_split, vary_case
from .base import Skill, SkillSample, maybe_denied, templates

_T = templates("time")
TIME_LOCAL: dict[str, tuple[str, ...]] = _T["local"]  # kind -> phrasings, asked here
TIME_PLACE: dict[str, tuple[str, ...]] = _T["place"]  # kind -> phrasings with {place}
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
        thought = tool_thought(f"Current {what.lower()}", "time")
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
        thought = tool_thought(f"{what} in {typed}", "time")
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


SKILL = Skill("time", time_question, tool="time")
