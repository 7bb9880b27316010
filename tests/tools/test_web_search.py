"""web_search with fake backends only (no network)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from aether_core.tools.web_search import SearchError, WebSearchTool


class FakeBackend:
    def __init__(self, results: list[dict[str, Any]]) -> None:
        self.results = results
        self.calls: list[tuple[str, int]] = []

    def __call__(self, query: str, max_results: int) -> list[Mapping[str, Any]]:
        self.calls.append((query, max_results))
        return self.results[:max_results]


RESULTS = [
    {"title": "Python", "href": "https://python.org", "body": "The  official\nsite."},
    {"title": "PyPI", "url": "https://pypi.org", "snippet": "Packages."},
    {"title": "Docs", "href": "https://docs.python.org", "body": ""},
]


def test_results_are_numbered_and_formatted() -> None:
    backend = FakeBackend(RESULTS)
    out = WebSearchTool(backend).run(query="  python   lang ")
    assert out == (
        "1. Python — https://python.org\n   The official site.\n"
        "2. PyPI — https://pypi.org\n   Packages.\n"
        "3. Docs — https://docs.python.org"
    )
    assert backend.calls == [("python lang", 5)]


def test_an_answer_opens_with_the_top_result_as_the_training_answers_do() -> None:
    tool = WebSearchTool(FakeBackend(RESULTS))
    out = tool.run(query="python")
    assert tool.openings(out) == ("Top result: Python.", "According to Python: ", "Python: ")
    assert tool.openings("no results for 'x'") == ()  # nothing to quote: any answer
    failed = "SearchError: search failed: ConnectError: network is unreachable"
    assert tool.openings(failed, ok=False) == ("Sorry, the web search failed.",)


def test_max_results_is_clamped() -> None:
    backend = FakeBackend(RESULTS * 10)
    out = WebSearchTool(backend).run(query="x", max_results=50)
    assert backend.calls == [("x", 10)]
    numbered = [line for line in out.splitlines() if not line.startswith("   ")]
    assert [line.split(".")[0] for line in numbered] == [str(i) for i in range(1, 11)]
    WebSearchTool(backend).run(query="x", max_results=0)
    assert backend.calls[-1] == ("x", 1)


def test_long_snippets_are_shortened() -> None:
    out = WebSearchTool(FakeBackend([{"title": "t", "href": "u", "body": "y" * 1000}])).run(
        query="q"
    )
    assert len(out.splitlines()[1]) < 320 and out.endswith("…")


def test_no_results() -> None:
    assert WebSearchTool(FakeBackend([])).run(query="nothing") == "no results for 'nothing'"


class RatelimitException(Exception):
    pass


class DDGSException(Exception):
    pass


DNS_DUMP = (
    "DNSError: DNSError('error sending request for url (https://html.duckduckgo.com/html/) > "
    'error resolving DNS > DNS error: no records found for Query { name: Name("html.")'
)


@pytest.mark.parametrize(
    ("exc", "said"),
    [
        (RatelimitException("202 Ratelimit"), "RatelimitException: rate limited, try again later"),
        (TimeoutError("timed out"), "TimeoutException: timed out"),
        (OSError("no network"), "ConnectError: network is unreachable"),
        (DDGSException(DNS_DUMP), "ConnectError: network is unreachable"),
        (ValueError("x" * 500), "ValueError: " + "x" * 120),
        (KeyError(), "KeyError"),
    ],
)
def test_backend_failure_is_a_clear_one_line_tool_error(exc: Exception, said: str) -> None:
    def broken(query: str, max_results: int) -> list[Mapping[str, Any]]:
        raise exc

    with pytest.raises(SearchError) as info:
        WebSearchTool(broken).run(query="q")
    assert str(info.value) == f"search failed: {said}"


def test_empty_query_is_refused() -> None:
    with pytest.raises(SearchError, match="empty"):
        WebSearchTool(FakeBackend(RESULTS)).run(query="   ")


def test_search_leaves_arithmetic_to_calc() -> None:
    tool = WebSearchTool(lambda query, n: [])
    assert tool.understands({"query": "who won the 2018 world cup"})
    assert not tool.understands({"query": "what's 328 reduced by 51"})
    assert not tool.understands({"query": "how many seconds in a day"})


@pytest.mark.parametrize(
    ("query", "searched"),
    [
        ("what work do i do", False),  # the user's own life: only they have told it
        ("when's my birthday", False),
        ("who is my best friend", False),
        ("how do i change a flat tire", True),  # a how-to, advice: asked of the web
        ("what should I cook tonight", True),
        ("what do I need to make pancakes", True),
        ("who wrote Dracula", True),
        ("what's 328 reduced by 51", False),  # arithmetic is calc's
        ("is it night in Manila right now", False),  # the clock tells
        ("is it still morning in Tokyo", False),
        ("is it safe in Oslo at night", True),  # no question of the time
    ],
)
def test_a_search_is_for_what_the_web_can_know(query, searched) -> None:
    tool = WebSearchTool(backend=lambda q, n: [])
    assert tool.understands({"query": query}) is searched
