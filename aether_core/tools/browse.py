"""``browse_page``: fetch a public page through ``safe_fetch`` and return its main text.

Main-text extraction uses trafilatura when it imports (it needs ``lxml_html_clean`` with
lxml >= 5.2); otherwise, or when it finds nothing, a small stdlib extractor that drops scripts,
styles and page chrome and prefers ``<main>``/``<article>``.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

from aether_core.tools.base import ArgSpec, Tool
from aether_core.tools.fetch import HTML_TYPES, FetchResult, safe_fetch
from aether_core.tools.netguard import NetPolicy

_trafilatura: Any = None  # the module, False when it cannot be imported, None before trying


def _get_trafilatura() -> Any:
    """Import trafilatura once; an import failure is remembered (re-importing is slow)."""
    global _trafilatura
    if _trafilatura is None:
        try:
            import trafilatura

            _trafilatura = trafilatura
        except Exception:  # ImportError, or lxml.html.clean missing at import time
            _trafilatura = False
    return _trafilatura


class BrowsePageTool(Tool):
    """Read a web page's main text (SSRF-guarded, size- and time-capped)."""

    name = "browse_page"
    description = (
        "Fetch a public web page (an http/https URL or a bare domain) and return its main text."
    )
    schema = {
        "url": ArgSpec(
            "string",
            True,
            "the page's http(s) URL, or a domain like example.org",
            max_length=2048,
            copy_stop=b" \t\r\n\"'<>",
        )
    }

    def __init__(self, policy: NetPolicy | None = None, max_chars: int = 6000) -> None:
        self.policy = policy or NetPolicy()
        self.max_chars = max_chars

    def run(self, url: str) -> str:  # type: ignore[override]
        result = safe_fetch(page_url(url), self.policy, accept=HTML_TYPES)
        return render_page(result, self.max_chars)


_DOMAIN = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}(?::\d{1,5})?(?:[/?#]\S*)?$",
    re.IGNORECASE,
)


def page_url(text: str) -> str:
    """The URL to fetch for what a user typed: a bare domain or path ("example.org",
    "www.bbc.co.uk/news") is fetched over https; sentence punctuation after it ("open
    example.org.") is dropped; anything else (a URL with its scheme, or text that is no domain)
    is left for ``safe_fetch`` to accept or refuse."""
    url = text.strip()
    bare = url.rstrip(".,;:!?")
    if "://" not in bare and _DOMAIN.match(bare):
        return "https://" + bare
    return url


def render_page(result: FetchResult, max_chars: int) -> str:
    """``Title``/``URL`` header plus main text, cut to ``max_chars`` with a marker."""
    if result.content_type == "text/plain":
        title, text = "", result.text()
    else:
        doc = result.body.decode(result.charset or _sniff_charset(result.body), errors="replace")
        title = _title(doc)
        text = extract_main_text(doc, result.final_url)
    text = text.strip() or "(no readable text on this page)"
    if len(text) > max_chars:
        text = f"{text[:max_chars]}\n…[truncated {len(text) - max_chars} chars]"
    head = f"Title: {title}\n" if title else ""
    return f"{head}URL: {result.final_url}\n\n{text}"


def extract_main_text(doc: str, url: str | None = None) -> str:
    """trafilatura's main text when available and non-empty, else the stdlib extractor's."""
    traf = _get_trafilatura()
    if traf:
        try:
            text = traf.extract(doc, url=url, include_comments=False, include_tables=True)
        except Exception:
            text = None
        if text and text.strip():
            return text.strip()
    return strip_html(doc)


def _sniff_charset(body: bytes) -> str:
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", body[:4096], re.I)
    if m:
        name = m.group(1).decode("ascii", "ignore").lower()
        try:
            "".encode(name)
            return name
        except LookupError:
            pass
    return "utf-8"


def _title(doc: str) -> str:
    m = re.search(r"<title[^>]*>(.*?)</title>", doc, re.I | re.S)
    return " ".join(html.unescape(m.group(1)).split())[:300] if m else ""


class _TextExtractor(HTMLParser):
    """Collects visible text; skips non-content elements; tracks text inside main/article."""

    SKIP = frozenset(
        "script style noscript template svg head nav footer header aside form iframe button "
        "select canvas object".split()
    )
    BLOCK = frozenset(
        "p div br li h1 h2 h3 h4 h5 h6 tr section article main blockquote pre table ul ol dd dt "
        "hr figcaption td th".split()
    )
    MAIN = frozenset({"main", "article"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.main = 0
        self.all: list[str] = []
        self.in_main: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.MAIN:
            self.main += 1
        if tag in self.BLOCK:
            self._emit("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.MAIN:
            self.main = max(0, self.main - 1)
        if tag in self.BLOCK:
            self._emit("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self._emit(data)

    def _emit(self, text: str) -> None:
        self.all.append(text)
        if self.main:
            self.in_main.append(text)


def _tidy(pieces: list[str]) -> str:
    lines = (" ".join(line.split()) for line in "".join(pieces).splitlines())
    return "\n".join(line for line in lines if line)


def strip_html(doc: str) -> str:
    """Crude but safe main-text extraction with the stdlib parser."""
    parser = _TextExtractor()
    try:
        parser.feed(doc)
        parser.close()
    except Exception:  # html.parser is lenient; this is belt and braces
        return _tidy([re.sub(r"<[^>]+>", " ", doc)])
    main = _tidy(parser.in_main)
    return main if len(main) >= 200 else _tidy(parser.all)
