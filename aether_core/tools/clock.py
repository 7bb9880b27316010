"""``time``: the current date and time, locally, in an IANA zone or in a city (the model has no
clock). Cities resolve through the city part of IANA names ("Tokyo", "new york", "Buenos Aires")
and a short table of big cities that are not zone names ("Mumbai", "San Francisco"), so a caller
can pass the place the user named instead of having to know its zone."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from aether_core.tools.base import ArgSpec, Tool, ToolError


class TimeZoneError(ToolError):
    """The requested time zone is not a known IANA zone."""


_UTC = UTC  # kept under another name: ``run``'s argument is called ``timezone``


def _utc_now() -> datetime:
    return datetime.now(_UTC)


# Big cities whose names are not the city part of an IANA zone.
CITY_ALIASES: dict[str, str] = {
    "Mumbai": "Asia/Kolkata", "Delhi": "Asia/Kolkata", "New Delhi": "Asia/Kolkata",
    "Bangalore": "Asia/Kolkata", "Bengaluru": "Asia/Kolkata", "Chennai": "Asia/Kolkata",
    "Beijing": "Asia/Shanghai", "Shenzhen": "Asia/Shanghai", "Guangzhou": "Asia/Shanghai",
    "Osaka": "Asia/Tokyo", "Kyoto": "Asia/Tokyo", "Busan": "Asia/Seoul", "Hanoi": "Asia/Bangkok",
    "San Francisco": "America/Los_Angeles", "Seattle": "America/Los_Angeles",
    "San Diego": "America/Los_Angeles", "Las Vegas": "America/Los_Angeles",
    "Portland": "America/Los_Angeles", "Houston": "America/Chicago", "Dallas": "America/Chicago",
    "Austin": "America/Chicago", "Boston": "America/New_York", "Miami": "America/New_York",
    "Washington": "America/New_York", "Atlanta": "America/New_York",
    "Philadelphia": "America/New_York", "Montreal": "America/Toronto",
    "Ottawa": "America/Toronto", "Calgary": "America/Edmonton",
    "Rio de Janeiro": "America/Sao_Paulo", "Brasilia": "America/Sao_Paulo",
    "Barcelona": "Europe/Madrid", "Munich": "Europe/Berlin", "Hamburg": "Europe/Berlin",
    "Frankfurt": "Europe/Berlin", "Milan": "Europe/Rome", "Venice": "Europe/Rome",
    "Geneva": "Europe/Zurich", "Edinburgh": "Europe/London", "Manchester": "Europe/London",
    "St Petersburg": "Europe/Moscow", "Saint Petersburg": "Europe/Moscow",
    "Abu Dhabi": "Asia/Dubai", "Tel Aviv": "Asia/Jerusalem", "Cape Town": "Africa/Johannesburg",
    "Wellington": "Pacific/Auckland", "Brisbane": "Australia/Brisbane",
}  # fmt: skip
_REGIONS = ("Europe", "Asia", "America", "Africa", "Australia", "Pacific", "Atlantic", "Indian",
            "Antarctica", "Arctic")  # fmt: skip


@functools.lru_cache(maxsize=1)
def _zones_by_lower() -> dict[str, str]:
    return {z.lower(): z for z in zoneinfo.available_timezones()}


@functools.lru_cache(maxsize=1)
def city_zones() -> dict[str, str]:
    """lower-case city -> zone: the city part of every regional IANA name, then the aliases.
    Where two zones share a city part (Asia/Istanbul, Europe/Istanbul) the shorter name wins;
    they are links to the same rules."""
    out: dict[str, str] = {}
    for zone in sorted(zoneinfo.available_timezones(), key=lambda z: (len(z), z)):
        if zone.split("/", 1)[0] in _REGIONS and "/" in zone:
            out.setdefault(zone.rsplit("/", 1)[1].replace("_", " ").lower(), zone)
    out.update({city.lower(): zone for city, zone in CITY_ALIASES.items()})
    return out


def _zone_named(place: str) -> str | None:
    """The IANA name ``place`` stands for (a UTC alias, an IANA name in any case, a city), or
    None."""
    key = place.replace(" ", "_")
    if key.upper() in ("UTC", "Z", "GMT"):
        return "UTC"
    return _zones_by_lower().get(key.lower()) or city_zones().get(place.replace("_", " ").lower())


def find_zone(name: str) -> zoneinfo.ZoneInfo:
    """``ZoneInfo`` for an IANA name (any case: "europe/paris") or a city ("Tokyo", "new york",
    "Paris, France", "Lima?": stray punctuation around the place is dropped), or the longest
    leading run of words that is one ("dhaka date pls", "Asia/Tokyo right now", "UTC today"),
    or that starts the name of one city only ("buenos")."""
    place = name.split(",")[0].replace(".", "").strip(" \t?!;:'\"()")
    words = " ".join(place.split()).removeprefix("the ").split()
    runs = [" ".join(words[:n]) for n in range(len(words), 0, -1)]
    for candidate in (name.strip(), *runs):
        if zone := _zone_named(candidate):
            return zoneinfo.ZoneInfo(zone)
    for run in runs:  # the first words of one city only: "Buenos" of "Buenos Aires"
        zones = {z for city, z in city_zones().items() if city.startswith(run.lower() + " ")}
        if len(zones) == 1:
            return zoneinfo.ZoneInfo(zones.pop())
    raise TimeZoneError(
        f"unknown time zone {name!r} (use a city or an IANA name like Europe/Paris)"
    )


class TimeTool(Tool):
    """Report the current time; ``now`` is injectable so tests use a fixed clock."""

    name = "time"
    description = "Current date and time, optionally in a city or IANA zone (Tokyo, Asia/Tokyo)."
    schema = {
        "timezone": ArgSpec(
            "string",
            False,
            "city or IANA zone name; local time if omitted",
            max_length=64,
            copy_stop=b"?!;\n",  # a place name ends before the question mark
            copy_phrase=True,  # "Tokyo" of "Tokyo time pls"
        )
    }

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self.now = now or _utc_now

    def run(self, timezone: str | None = None) -> str:  # type: ignore[override]
        current = self.now()
        if current.tzinfo is None:  # a naive clock is taken to be UTC
            current = current.replace(tzinfo=_UTC)
        if timezone and timezone.strip():
            zone: tzinfo = find_zone(timezone)
            local = current.astimezone(zone)
            label = str(zone)
        else:
            local = current.astimezone()
            label = local.tzname() or "local"
        return format_time(local, label)


def format_time(moment: datetime, label: str) -> str:
    """``2026-11-24 14:03:05 Tuesday (Europe/Paris, UTC+01:00)``."""
    offset = moment.strftime("%z") or "+0000"
    return f"{moment:%Y-%m-%d %H:%M:%S %A} ({label}, UTC{offset[:3]}:{offset[3:5]})"
