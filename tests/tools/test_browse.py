"""browse_page: main text from an allowlisted loopback page, via trafilatura or the fallback."""

from __future__ import annotations

import pytest

from aether_core.tools import browse
from aether_core.tools.browse import BrowsePageTool, strip_html
from aether_core.tools.netguard import FetchError, NetPolicy
from tests.tools.conftest import Server, send

ARTICLE = "The quick brown fox jumps over the lazy dog while the researchers take careful notes."
PAGE = f"""<!doctype html><html><head><title>Fox &amp; Dog</title>
<style>body {{ color: red }}</style><script>var secret = "tracking-code";</script></head>
<body><nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<header>Site banner</header>
<main><article><h1>Field report</h1>
<p>{ARTICLE}</p><p>{ARTICLE.replace("fox", "cat")}</p><p>{ARTICLE.replace("dog", "owl")}</p>
</article></main>
<footer>Copyright footer text</footer></body></html>"""


def policy() -> NetPolicy:
    return NetPolicy(allow_hosts={"127.0.0.1"}, deadline_s=2.0)


@pytest.fixture(params=["trafilatura", "fallback"])
def extractor(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "fallback":
        monkeypatch.setattr(browse, "_trafilatura", False)
    elif not browse._get_trafilatura():
        pytest.skip("trafilatura does not import here (needs lxml_html_clean)")
    return request.param


def test_main_text_is_extracted(server: Server, extractor: str) -> None:
    server.routes["/article"] = lambda h: send(h, PAGE.encode())
    out = BrowsePageTool(policy(), max_chars=5000).run(url=server.url("/article"))
    assert out.startswith("Title: Fox & Dog\nURL: " + server.url("/article"))
    assert "quick brown fox" in out and "quick brown cat" in out
    assert "tracking-code" not in out and "color: red" not in out
    assert "About us" not in out and "Copyright footer" not in out


def test_an_answer_opens_with_the_pages_first_words(server: Server) -> None:
    server.routes["/article"] = lambda h: send(h, PAGE.encode())
    tool = BrowsePageTool(policy(), max_chars=5000)
    out = tool.run(url=server.url("/article"))
    opens = tool.openings(out)
    first = opens[0].removeprefix("Summary: ")
    assert out.split("\n\n", 1)[1].startswith(first) and 0 < len(first.split()) <= 4
    assert opens == tuple(f"{say}{first}" for say in (*browse.SAYS, "Fox & Dog: "))
    assert tool.openings("URL: https://x.org\n\n(no readable text on this page)") == ()
    unread = tool.openings("FetchError: cannot resolve host x.org", ok=False)
    assert unread == ("Sorry, I couldn't open that page: cannot resolve host x.org.",)
    assert tool.openings("no reason given", ok=False) == ("Sorry, I couldn't open that page: ",)


def test_plain_text_passes_through(server: Server) -> None:
    server.routes["/notes.txt"] = lambda h: send(h, b"line one\nline two", "text/plain")
    out = BrowsePageTool(policy()).run(url=server.url("/notes.txt"))
    assert out.endswith("line one\nline two")


def test_output_is_cut_to_max_chars(server: Server) -> None:
    server.routes["/long"] = lambda h: send(h, ("word " * 2000).encode(), "text/plain")
    out = BrowsePageTool(policy(), max_chars=100).run(url=server.url("/long"))
    assert "…[truncated" in out
    assert len(out) < 250


def test_meta_charset_is_honoured(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browse, "_trafilatura", False)
    body = '<html><head><meta charset="iso-8859-1"></head><body><p>café</p></body></html>'
    server.routes["/latin"] = lambda h: send(h, body.encode("latin-1"), "text/html")
    assert "café" in BrowsePageTool(policy()).run(url=server.url("/latin"))


def test_images_are_not_browsed(server: Server) -> None:
    server.routes["/img"] = lambda h: send(h, b"\x89PNG", "image/png")
    with pytest.raises(FetchError, match="unsupported content type"):
        BrowsePageTool(policy()).run(url=server.url("/img"))


def test_default_policy_refuses_loopback(server: Server) -> None:
    with pytest.raises(FetchError, match="blocked"):
        BrowsePageTool(NetPolicy(deadline_s=0.5)).run(url=server.url("/"))
    assert server.seen == []


def test_strip_html_without_main_keeps_body_text() -> None:
    text = strip_html("<html><body><div>alpha</div><script>x()</script><p>beta &lt;3</p></body>")
    assert text == "alpha\nbeta <3"
