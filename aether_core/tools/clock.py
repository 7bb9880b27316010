"""``time``: the current date and time, locally or in an IANA zone (the model has no clock)."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timezone, tzinfo

from aether_core.tools.base import ArgSpec, Tool, ToolError


class TimeZoneError(ToolError):
    """The requested time zone is not a known IANA zone."""


_UTC = timezone.utc  # kept under another name: ``run``'s argument is called ``timezone``


def _utc_now() -> datetime:
    return datetime.now(_UTC)


@functools.lru_cache(maxsize=1)
def _zones_by_lower() -> dict[str, str]:
    return {z.lower(): z for z in zoneinfo.available_timezones()}


def find_zone(name: str) -> zoneinfo.ZoneInfo:
    """``ZoneInfo`` for ``name``, matching case-insensitively ("europe/paris" works)."""
    key = name.strip().replace(" ", "_")
    if key.upper() in ("UTC", "Z", "GMT"):
        key = "UTC"
    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    real = _zones_by_lower().get(key.lower())
    if real:
        return zoneinfo.ZoneInfo(real)
    raise TimeZoneError(f"unknown time zone {name!r} (use an IANA name like Europe/Paris)")


class TimeTool(Tool):
    """Report the current time; ``now`` is injectable so tests use a fixed clock."""

    name = "time"
    description = "Current date and time, optionally in an IANA time zone (e.g. Asia/Tokyo)."
    schema = {
        "timezone": ArgSpec(
            "string", False, "IANA zone name; local time if omitted", max_length=64, copy=False
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
