"""Hostile pages: every family of pathological HTML at the fetch cap is turned into text fast,
in linear time, without holding the GIL long enough to freeze the rest of the process."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from aether_core.tools import browse
from aether_core.tools.browse import BrowsePageTool, _title, render_page, strip_html
from aether_core.tools.fetch import FetchResult, decode_text
from aether_core.tools.netguard import NetPolicy
from tests.tools.conftest import Server, send

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from bench_hostile import pages  # noqa: E402 - the benchmark's page set, one source

CAP = NetPolicy().max_bytes
# The old code took minutes on several of these (a 2 MB page of "<title>" about 48 minutes);
# the target is 2 s on the 2-core development machine. The bound is loose for loaded CI runners:
# what it catches is a return to quadratic time, not a few percent.
BOUND_S = 10.0


def result(body: bytes, charset: str | None = None, ctype: str = "text/html") -> FetchResult:
    return FetchResult("http://x.test/", "http://x.test/p", 200, ctype, body, charset)


@pytest.mark.parametrize("name", list(pages(1000)))
def test_adversarial_page_at_the_fetch_cap_is_processed_in_bounded_time(name: str) -> None:
    body = pages(CAP)[name]
    t0 = time.perf_counter()
    out = render_page(result(body), 6000)
    elapsed = time.perf_counter() - t0
    assert elapsed < BOUND_S, f"{name}: {elapsed:.1f} s"
    assert out.splitlines()[0 if not out.startswith("Title") else 1] == "URL: http://x.test/p"
    assert len(out) < 6000 + 400  # the answer is capped whatever the page


@pytest.mark.parametrize("fallback", [False, True])
def test_time_grows_linearly_not_quadratically(fallback: bool, monkeypatch) -> None:
    """Four times the page must not take sixteen times as long (the worst families)."""
    if fallback:
        monkeypatch.setattr(browse, "_trafilatura", False)
    for name in ("title-repeat", "a-open", "lt-repeat", "comment-open"):
        times = []
        for size in (CAP // 16, CAP // 4):
            body = pages(size)[name]
            t0 = time.perf_counter()
            render_page(result(body), 6000)
            times.append(time.perf_counter() - t0)
        assert times[1] < 8 * times[0] + 0.2, (name, times)


@pytest.mark.parametrize(
    ("name", "body"),
    [("many-paragraphs", b"<article>" + (b"<p>" + b"word " * 80 + b"</p>") * 4900 + b"</article>"),
     ("table", b"<table>" + b"<tr><td><ul><li>cell text here</li></ul></td></tr>" * 1200),
     ("deep-and-many", b"<div>" * 250 + b"<p>deep text</p>" * 4500),
     ("past-the-depth-limit", b"<div>" * 300 + b"<p>deep text</p>" * 40_000)],
    ids=lambda v: v if isinstance(v, str) else "",
)  # fmt: skip
def test_pages_that_are_costly_for_trafilatura_stay_bounded(name: str, body: bytes) -> None:
    """trafilatura's cost grows with elements and depth (11 s for 250 nested divs around 4,500
    paragraphs); it only sees a bounded copy, and the text still comes through."""
    t0 = time.perf_counter()
    out = render_page(result(body), 6000)
    assert time.perf_counter() - t0 < BOUND_S
    assert ("word" in out) or ("cell text" in out) or ("deep text" in out), out[:200]


def test_title_scan_is_linear_and_correct() -> None:
    t0 = time.perf_counter()
    assert _title("<title>" * 300_000) == ""  # no closing tag: no title, no backtracking
    assert time.perf_counter() - t0 < BOUND_S
    assert _title("<html><TITLE lang=en>Fox &amp;\n Dog</title>") == "Fox & Dog"
    assert _title("<title>" + "x" * 10_000 + "</title>") == "x" * 300


def test_other_threads_keep_running_while_a_page_is_processed() -> None:
    """The TUI repaints from the main thread while a tool runs in a worker: the longest pause the
    main thread sees must stay short (the old regex held the GIL for the whole page)."""
    body = pages(CAP)["big-article"]
    done = threading.Event()
    worker = threading.Thread(target=lambda: (render_page(result(body), 6000), done.set()))
    gaps, last = [], time.perf_counter()
    worker.start()
    while not done.is_set():
        time.sleep(0.01)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    worker.join()
    assert max(gaps) < 1.0, max(gaps)


@pytest.mark.parametrize("charset", ["bogus", "base64", "zlib", "idna", "", "x" * 300, "utf-8\x00"])
def test_unknown_or_non_text_charset_falls_back(charset: str) -> None:
    body = "<html><body><p>café au lait</p></body></html>".encode()
    out = render_page(result(body, charset), 6000)
    assert "caf" in out and "au lait" in out
    assert "au lait" in result(body, charset, "text/plain").text()


def test_meta_charset_bogus_and_binary_noise() -> None:
    assert "hello" in render_page(result(b"<meta charset=bogus><p>hello</p>"), 6000)
    assert decode_text(bytes(range(256)), "no-such") == bytes(range(256)).decode("utf-8", "replace")


def test_fallback_extractor_handles_the_families_without_trafilatura(monkeypatch) -> None:
    monkeypatch.setattr(browse, "_trafilatura", False)
    for name, body in pages(200_000).items():
        text = strip_html(body.decode("utf-8", "replace"))
        assert isinstance(text, str), name
    assert strip_html("<p>a</p><!-- secret --><p>b</p>") == "a\nb"


def test_hostile_headers_over_a_real_connection(server: Server) -> None:
    policy = NetPolicy(allow_hosts={"127.0.0.1"}, deadline_s=5.0)
    html = b"<html><body><p>plain words here</p></body></html>"
    server.routes["/bogus"] = lambda h: send(h, html, "text/html; charset=bogus")
    server.routes["/quoted"] = lambda h: send(h, html, 'text/html; charset="; charset=zlib')
    server.routes["/many"] = lambda h: send(h, html, "text/html; " + "a=b; " * 500 + "charset=x")
    server.routes["/title"] = lambda h: send(h, b"<title>" * 200_000, "text/html")
    tool = BrowsePageTool(policy)
    for route in ("/bogus", "/quoted", "/many"):
        assert "plain words here" in tool.run(url=server.url(route)), route
    t0 = time.perf_counter()
    out = tool.run(url=server.url("/title"))
    assert time.perf_counter() - t0 < BOUND_S
    assert out.startswith("URL: ") and len(out) < 6400  # no title: it is never closed
