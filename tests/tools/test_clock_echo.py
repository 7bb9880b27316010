"""time with a fixed clock; echo."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from aether_core.tools.clock import (
    TimeTool,
    TimeZoneError,
    describe,
    find_zone,
    format_time,
    say_time,
)
from aether_core.tools.echo import EchoTool

WINTER = datetime(2026, 11, 24, 13, 3, 5, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)


def test_zone() -> None:
    tool = TimeTool(now=lambda: WINTER)
    assert (
        tool.run(timezone="Europe/Paris")
        == "It's 14:03 on Tuesday 24 November 2026 in Paris, France."
    )
    summer = TimeTool(now=lambda: SUMMER).run(timezone="Europe/Paris")
    assert summer == "It's 14:00 on Wednesday 1 July 2026 in Paris, France."  # summer time: +2
    assert (
        tool.run(timezone="Asia/Kolkata")
        == "It's 18:33 on Tuesday 24 November 2026 in Kolkata, India."
    )
    assert tool.run(timezone="America/New_York").startswith("It's 08:03 on Tuesday")


@pytest.mark.parametrize(
    ("place", "said"),
    [
        ("Tokyo", "22:03 on Tuesday 24 November 2026 in Tokyo, Japan"),
        ("tokyo, japan", "in Tokyo, Japan"),
        ("Mumbai", "18:33 on Tuesday 24 November 2026 in Mumbai, India"),  # no zone is called so
        ("sao paulo", "10:03 on Tuesday 24 November 2026 in São Paulo, Brazil"),  # accents folded
        ("Kiev", "in Kyiv, Ukraine"),  # another name of the city
        ("Paris", "14:03 on Tuesday 24 November 2026 in Paris, France"),  # the biggest namesake
        ("Paris, Texas", "07:03 on Tuesday 24 November 2026 in Paris, United States"),
        ("Portland, Maine", "08:03 on Tuesday 24 November 2026 in Portland, United States"),
        ("Portland", "05:03 on Tuesday 24 November 2026 in Portland, United States"),
        ("Peru", "08:03 on Tuesday 24 November 2026 in Lima, Peru"),  # a country: its capital
        ("Japan", "in Tokyo, Japan"),  # the country, though "Japan" is also a legacy zone name
        ("Mexico", "07:03 on Tuesday 24 November 2026 in Mexico City, Mexico"),
        ("the UK", "13:03 on Tuesday 24 November 2026 in London, United Kingdom"),
        ("Australia", "00:03 on Wednesday 25 November 2026 in Canberra, Australia"),
        ("California", "05:03 on Tuesday 24 November 2026 in California, United States"),
        ("Singapore", "21:03 on Tuesday 24 November 2026 in Singapore"),  # a city-state once
        ("Reykjavik", "13:03 on Tuesday 24 November 2026 in Reykjavík, Iceland"),
        ("utc", "13:03 on Tuesday 24 November 2026 in UTC"),
        ("US/Eastern", "08:03 on Tuesday 24 November 2026 in US/Eastern"),
    ],
)
def test_places_in_words(place: str, said: str) -> None:
    out = describe(WINTER, place)
    assert out.startswith("It's ") and out.endswith(".") and said in out, out
    assert TimeTool(now=lambda: WINTER).run(timezone=place) == out


def test_zone_names_are_forgiving() -> None:
    tool = TimeTool(now=lambda: WINTER)
    assert "in Paris, France." in tool.run(timezone="europe/paris")
    for place in ("Tokyo?", " tokyo!! ", "(Tokyo)", "Tokyo, Japan"):
        assert "22:03 on Tuesday 24 November 2026 in Tokyo, Japan." in tool.run(timezone=place)
    assert "in Buenos Aires, Argentina." in tool.run(timezone="buenos  aires?")
    assert "in Dhaka, Bangladesh." in tool.run(timezone="Dhaka date pls")  # then stray words
    for place in ("Sydney, please", "Sydney, right now!"):  # words after a comma that name no place
        assert "in Sydney, Australia." in tool.run(timezone=place)
    assert "in Portland, United States." in tool.run(timezone="Portland, OR")  # a state's code
    assert "08:03" in tool.run(timezone="new york now")
    assert "in Kathmandu, Nepal." in tool.run(timezone="Asia/Kathmandu right now")
    assert "in UTC." in tool.run(timezone="UTC what day is it")
    assert "in Port of Spain, Trinidad and Tobago." in tool.run(
        timezone="america/port of spain today"
    )
    assert "in Buenos Aires, Argentina." in tool.run(timezone="Buenos")  # the start of one city
    with pytest.raises(TimeZoneError, match="unknown time zone"):
        tool.run(timezone="Santa")  # Santa Cruz, Santa Fe...: which one is not a guess to make
    with pytest.raises(TimeZoneError, match="unknown time zone"):
        tool.run(timezone="electric cars")  # not "Electric City" of its first word
    with pytest.raises(TimeZoneError, match="unknown time zone"):
        tool.run(timezone="wek")  # a typo's "week", not Växjö's alternate name "Wek chex"


def test_find_zone() -> None:
    assert str(find_zone("Tokyo")) == "Asia/Tokyo"
    assert str(find_zone("Paris, Texas")) == "America/Chicago"


def test_local_time_without_zone() -> None:
    out = TimeTool(now=lambda: WINTER).run()
    assert re.fullmatch(r"It's \d\d:\d\d on \w+ \d+ \w+ 2026 here \(UTC[+-]\d\d:\d\d\)\.", out)
    here = datetime(2026, 11, 24, 14, 3, tzinfo=timezone(timedelta(hours=1)))
    assert say_time(here, None) == "It's 14:03 on Tuesday 24 November 2026 here (UTC+01:00)."


def test_naive_clock_is_utc() -> None:
    out = TimeTool(now=lambda: datetime(2026, 1, 1, 0, 0)).run(timezone="Asia/Tokyo")
    assert out == "It's 09:00 on Thursday 1 January 2026 in Tokyo, Japan."


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Europe/", "a day", "x" * 64]
)
def test_unknown_zone(zone: str) -> None:
    with pytest.raises(TimeZoneError, match="unknown time zone"):
        TimeTool(now=lambda: WINTER).run(timezone=zone)


def test_real_clock_runs() -> None:
    assert TimeTool().run(timezone="UTC").endswith(" in UTC.")


def test_format_time_stamp() -> None:
    paris = WINTER.astimezone(find_zone("Europe/Paris"))
    assert format_time(paris, "Europe/Paris") == (
        "2026-11-24 14:03:05 Tuesday (Europe/Paris, UTC+01:00)"
    )


def test_echo() -> None:
    tool = EchoTool()
    assert tool.run(**tool.validate_args({"text": "héllo\nworld"})) == "héllo\nworld"


def test_time_understands_the_local_time_or_a_place_it_knows() -> None:
    tool = TimeTool()
    assert tool.understands({}) and tool.understands({"timezone": "tokyo pls"})
    assert tool.understands({"timezone": "Etc/GMT+5"})
    assert not tool.understands({"timezone": "Xyzzyville"})
    assert not tool.understands({"timezone": "2020"})  # "… population of tokyo in 2020?"
    assert not tool.understands({"timezone": "99 red balloons"})
    assert not tool.understands({"timezone": "london in 1900"})
    assert not tool.understands({"timezone": "five"})  # of "eighteen divided by eighty-five"


@pytest.mark.parametrize(
    ("request_", "now"),
    [
        ("what time is it in tokyo?", True),
        ("time in paris pls", True),
        ("what day is it", True),
        ("what's the best time to visit Porto?", False),
        ("time difference between london and tokyo", False),
        ("what's the time diference between Lima and Cusco", False),  # however spelt
        ("time diff lima tokyo", False),
        ("what's the weather i Yebao this weekend?", False),
        ("what time does the louvre open", False),
        ("how long does it take to boil an egg", False),
    ],
)
def test_time_understands_only_a_request_for_the_time_now(request_: str, now: bool) -> None:
    assert TimeTool().understands({"timezone": "Porto"}, request_) is now


def test_echo_says_back_only_the_users_own_words() -> None:
    echo = EchoTool()
    assert echo.understands({"text": "Hello World"}, "repeat after me: hello   world!")
    page = "Birdwatching takes patience, but the basics fit on one page."
    assert not echo.understands({"text": page}, "go to example.org and tell me what it says")
    assert echo.understands({"text": "anything"})  # no words to hold it to
