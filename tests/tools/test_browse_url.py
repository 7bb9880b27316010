"""browse_page: a bare domain is fetched over https; anything else reaches safe_fetch as typed."""

from __future__ import annotations

import re

import pytest

from aether_core.tools import browse
from aether_core.tools.base import ToolError
from aether_core.tools.browse import BrowsePageTool, page_url


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("example.org", "https://example.org"),
        ("Example.ORG", "https://Example.ORG"),
        ("www.bbc.co.uk/news", "https://www.bbc.co.uk/news"),
        ("example.org.", "https://example.org"),  # the end of the user's sentence
        ("example.org:8443/a?b=1", "https://example.org:8443/a?b=1"),
        ("http://example.org", "http://example.org"),  # a scheme the user gave is kept
        ("https://x.org/a?", "https://x.org/a?"),
        ("ftp://example.org", "ftp://example.org"),  # for safe_fetch to refuse
        ("file:///etc/passwd", "file:///etc/passwd"),
        ("127.0.0.1", "127.0.0.1"),  # an address is no domain: refused, not fetched
        ("localhost", "localhost"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("news", "news"),
    ],
)
def test_page_url(typed: str, url: str) -> None:
    assert page_url(typed) == url


def test_a_bare_domain_is_fetched_over_https(monkeypatch: pytest.MonkeyPatch) -> None:
    fetched: list[str] = []

    def fake_fetch(url: str, policy: object, accept: object) -> object:
        fetched.append(url)
        raise ToolError("stop here")

    monkeypatch.setattr(browse, "safe_fetch", fake_fetch)
    with pytest.raises(ToolError):
        BrowsePageTool().run(url="example.org")
    assert fetched == ["https://example.org"]


def test_an_address_without_a_scheme_is_still_refused() -> None:
    with pytest.raises(Exception, match="(?i)scheme|url"):
        BrowsePageTool().run(url="127.0.0.1")


@pytest.mark.parametrize(
    ("message", "want"),
    [
        ("Could you check out https://www.bbc.co.uk/p/78251?, thank you",
         ["https://www.bbc.co.uk/p/78251"]),
        ("what's on this page? zara.net", ["zara.net"]),
        ("open example.org.", ["example.org"]),
        ("read https://en.wikipedia.org/wiki/Python_(language).",
         ["https://en.wikipedia.org/wiki/Python_(language)"]),
        ("open google", []),
    ],
)  # fmt: skip
def test_the_address_picked_from_a_message_is_whole_and_leaves_its_punctuation(message, want):
    """Every cut of every word of ``message`` that is_address accepts (the agent picks the
    page's address among these spans)."""
    got = []
    for word_at, word in ((m.start(), m.group()) for m in re.finditer(r"\S+", message)):
        for e in range(1, len(word) + 1):
            if browse.is_address(word[:e], message[word_at + e :]):
                got.append(word[:e])
    assert got == want


def test_browse_understands_an_address_only() -> None:
    tool = BrowsePageTool()
    assert tool.understands({"url": "example.org."}) and tool.understands({"url": "http://x/a"})
    assert not tool.understands({"url": "2018"}) and not tool.understands({"url": "page"})
