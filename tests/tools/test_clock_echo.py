"""time with a fixed clock; echo."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aether_core.tools.clock import TimeTool, TimeZoneError
from aether_core.tools.echo import EchoTool

WINTER = datetime(2026, 11, 24, 13, 3, 5, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)


def test_zone() -> None:
    tool = TimeTool(now=lambda: WINTER)
    assert tool.run(timezone="Europe/Paris") == (
        "2026-11-24 14:03:05 Tuesday (Europe/Paris, UTC+01:00)"
    )
    assert (
        TimeTool(now=lambda: SUMMER)
        .run(timezone="Europe/Paris")
        .endswith("(Europe/Paris, UTC+02:00)")
    )
    assert (
        tool.run(timezone="Asia/Kolkata") == "2026-11-24 18:33:05 Tuesday (Asia/Kolkata, UTC+05:30)"
    )
    assert tool.run(timezone="America/New_York").startswith("2026-11-24 08:03:05 Tuesday")


def test_zone_names_are_forgiving() -> None:
    tool = TimeTool(now=lambda: WINTER)
    assert "(Europe/Paris," in tool.run(timezone="europe/paris")
    assert tool.run(timezone="utc") == "2026-11-24 13:03:05 Tuesday (UTC, UTC+00:00)"
    for place in ("Tokyo?", " tokyo!! ", "(Tokyo)", "Tokyo, Japan"):
        assert "(Asia/Tokyo," in tool.run(timezone=place), place
    assert "(America/Buenos_Aires," in tool.run(timezone="buenos  aires?")
    assert "(Asia/Dhaka," in tool.run(timezone="Dhaka date pls")  # the place, then stray words
    assert "(America/New_York," in tool.run(timezone="new york now")
    assert "(Asia/Kathmandu," in tool.run(timezone="Asia/Kathmandu right now")  # IANA names too
    assert "(UTC," in tool.run(timezone="UTC what day is it")
    assert "(America/Port_of_Spain," in tool.run(timezone="america/port of spain today")
    assert "(America/Buenos_Aires," in tool.run(timezone="Buenos")  # the start of one city only
    with pytest.raises(Exception, match="unknown time zone"):
        tool.run(timezone="San")  # San Juan, San Diego...: which one is not a guess to make


def test_local_time_without_zone() -> None:
    out = TimeTool(now=lambda: WINTER).run()
    assert out[:4] == "2026" and "UTC" in out


def test_naive_clock_is_utc() -> None:
    out = TimeTool(now=lambda: datetime(2026, 1, 1, 0, 0)).run(timezone="Asia/Tokyo")
    assert out == "2026-01-01 09:00:00 Thursday (Asia/Tokyo, UTC+09:00)"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Europe/"])
def test_unknown_zone(zone: str) -> None:
    with pytest.raises(TimeZoneError, match="unknown time zone"):
        TimeTool(now=lambda: WINTER).run(timezone=zone)


def test_real_clock_runs() -> None:
    assert TimeTool().run(timezone="UTC").endswith("(UTC, UTC+00:00)")


def test_echo() -> None:
    tool = EchoTool()
    assert tool.run(**tool.validate_args({"text": "héllo\nworld"})) == "héllo\nworld"
