"""``browse_page``: fetch a public page through ``safe_fetch`` and return its main text.

A page is hostile input, so every step is linear in its size and bounded: the title is found by a
scan that cannot backtrack; the page is parsed once by lxml (libxml2: linear, caps nesting at 256,
releases the GIL while it parses); trafilatura, whose cost grows with the element count and, on
nested pages, with depth times elements, sees a copy without scripts, styles and page chrome cut
to the first ``TRAFILATURA_MAX_ELEMENTS`` elements (and ``TRAFILATURA_MAX_DEPTH_SUM``), which
holds far more than the ``max_chars`` shown. When trafilatura finds nothing or does not import, a
one-pass walk of the whole tree drops non-content elements and prefers ``<main>``/``<article>``.
Without lxml, tags are stripped by a regex that cannot backtrack.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Mapping
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


# how an answer quotes a page (data/skills/browse.py): "Summary: FIRST SENTENCE", "The page says:
# …", "In short: …", "TITLE: …"; ``openings`` holds them to the page's first words (a small model
# that has begun the sentence on its own copies it less than one that has four of its words)
SAYS = ("Summary: ", "The page says: ", "In short: ")
UNREAD = "Sorry, I couldn't open that page: "  # how an answer after a failed read begins
_WHY = re.compile(r"^\w+Error: (.+)")  # "FetchError: cannot resolve host x.org"
_PAGE = re.compile(r"^(?:Title: (?P<title>.*)\n)?URL: .*\n\n(?P<first>\S+(?: \S+){0,3})")


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
            pick_span=True,
            fits=lambda before, span, after: is_address(span, after),
        )
    }

    def __init__(self, policy: NetPolicy | None = None, max_chars: int = 6000) -> None:
        self.policy = policy or NetPolicy()
        self.max_chars = max_chars

    def openings(self, output: str, ok: bool = True) -> tuple[str, ...]:
        if not ok:  # the why whole, as the training answers say it (a host's dot is no end)
            why = _WHY.match(output.strip())
            return (f"{UNREAD}{why[1].rstrip('.')}.",) if why else (UNREAD,)
        page = _PAGE.match(output)
        if page is None or page["first"].startswith("("):  # "(no readable text on this page)"
            return ()
        says = (*SAYS, f"{page['title']}: ") if page["title"] else SAYS
        return tuple(f"{s}{page['first']}" for s in says)

    def understands(self, args: Mapping[str, Any], request: str = "") -> bool:
        """A page's address: a URL with its scheme or a bare domain ("2018" of "who won the 2018
        world cup?" is none)."""
        url = args.get("url")
        return isinstance(url, str) and is_address(url.strip().rstrip(".,;:!?"), "")

    def run(self, url: str) -> str:  # type: ignore[override]
        result = safe_fetch(page_url(url), self.policy, accept=HTML_TYPES)
        return render_page(result, self.max_chars)


_DOMAIN = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}(?::\d{1,5})?(?:[/?#]\S*)?$",
    re.IGNORECASE,
)


_SCHEME = re.compile(r"^https?://\S+$", re.IGNORECASE)
_ADDRESS_ENDS = re.compile(r"^[.,;:!?)]*(?:\s|$)")  # the text after a whole address


def is_address(span: str, after: str) -> bool:
    """``span`` of the user's words, with ``after`` it, is a whole page address: a URL with its
    scheme or a bare domain, not cut inside a longer one and without the sentence punctuation
    after it ("https://x.org/p?, thanks"); a closing bracket stays where it closes one of its own
    ("…/Python_(language)"). The agent picks the address among these spans."""
    last = span[-1:]
    opened = span.count("(") - span.count(")")
    if not last or last in ".,;:!?" or opened < 0 or (opened > 0 and after.startswith(")")):
        return False
    return bool(_ADDRESS_ENDS.match(after)) and bool(_SCHEME.match(span) or _DOMAIN.match(span))


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
        doc = result.text(default=_sniff_charset(result.body))
        title = _title(doc)
        text = extract_main_text(doc, result.final_url)
    text = text.strip() or "(no readable text on this page)"
    if len(text) > max_chars:
        text = f"{text[:max_chars]}\n…[truncated {len(text) - max_chars} chars]"
    head = f"Title: {title}\n" if title else ""
    return f"{head}URL: {result.final_url}\n\n{text}"


# What trafilatura is given at most. Its time grows with the elements and, on nested pages, with
# depth times elements; this much holds several times the max_chars shown and stays well under the
# 2 s page budget on the 2-core development machine.
TRAFILATURA_MAX_ELEMENTS = 1500
TRAFILATURA_MAX_DEPTH_SUM = 25_000
_TITLE_CHARS = 300
_NOT_CONTENT = (
    "script style noscript template svg iframe object canvas nav footer aside form button "
    "select".split()
)


def extract_main_text(doc: str, url: str | None = None) -> str:
    """trafilatura's main text of the page's bounded beginning, else the one-pass extractor's."""
    tree = _parse(doc)
    if tree is None:
        return _strip_tags(doc)
    traf = _get_trafilatura()
    if traf:
        try:
            text = traf.extract(
                _bounded_copy(tree), url=url, include_comments=False, include_tables=True
            )
        except Exception:
            text = None
        if text and text.strip():
            return text.strip()
    return _tree_text(tree)


def _bounded_copy(tree: Any) -> Any:
    """A copy of ``tree`` without non-content elements, cut after the element where the count
    or the summed depth runs over budget (the cut element and everything after it go)."""
    from lxml import etree

    small = copy.deepcopy(tree)
    etree.strip_elements(small, *_NOT_CONTENT, with_tail=False)
    count = depth = depth_sum = 0
    cut = None
    for event, el in etree.iterwalk(small, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        count, depth = count + 1, depth + 1
        depth_sum += depth
        if count > TRAFILATURA_MAX_ELEMENTS or depth_sum > TRAFILATURA_MAX_DEPTH_SUM:
            cut = el
            break
    node = cut
    while node is not None and node.getparent() is not None:
        parent = node.getparent()
        for later in list(node.itersiblings()):
            parent.remove(later)
        if node is cut:
            parent.remove(node)
        node = parent
    return small


def strip_html(doc: str) -> str:
    """Visible text of ``doc`` without trafilatura (one pass over lxml's tree)."""
    tree = _parse(doc)
    return _strip_tags(doc) if tree is None else _tree_text(tree)


def _sniff_charset(body: bytes) -> str:
    """The ``<meta charset>`` of the first 4 KB (bounded input, so the regex is too), or utf-8."""
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", body[:4096], re.I)
    return m.group(1).decode("ascii", "ignore").lower() if m else "utf-8"


_TITLE_OPEN = re.compile(r"<title\b[^<>]*>", re.I)  # [^<>]* stops at the next tag: no backtracking
_TITLE_CLOSE = re.compile(r"</title", re.I)


def _title(doc: str) -> str:
    """The first ``<title>``'s text, found in linear time (a lazy ``.*?`` regex is quadratic on a
    page of repeated ``<title>``, and the regex engine holds the GIL while it runs)."""
    m = _TITLE_OPEN.search(doc)
    if not m:
        return ""
    end = _TITLE_CLOSE.search(doc, m.end())
    if not end:
        return ""
    raw = doc[m.end() : min(end.start(), m.end() + 8 * _TITLE_CHARS)]
    return " ".join(html.unescape(raw).split())[:_TITLE_CHARS]


def _parse(doc: str) -> Any:
    """lxml's HTML tree of ``doc``, or None: lxml missing, nothing it can parse, or nesting past
    libxml2's limit of 256 (it drops the rest of the page; the tag stripper keeps its words)."""
    try:
        import lxml.html
        from lxml import etree
    except ImportError:
        return None
    if not doc.strip():
        return None
    try:
        # bytes with the encoding forced: lxml refuses a str that holds an XML encoding
        # declaration, and the page's <meta charset> no longer describes the decoded text
        parser = lxml.html.HTMLParser(encoding="utf-8")  # one per call: parsers are not shared
        tree = lxml.html.document_fromstring(doc.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        return None
    return tree


_SKIP = frozenset(
    "script style noscript template svg head nav footer header aside form iframe button "
    "select canvas object".split()
)
_BLOCK = frozenset(
    "p div br li h1 h2 h3 h4 h5 h6 tr section article main blockquote pre table ul ol dd dt "
    "hr figcaption td th".split()
)
_MAIN = frozenset({"main", "article"})


def _tree_text(tree: Any) -> str:
    """Visible text in one walk: skipped elements (and comments) drop their text but keep their
    tail; text inside ``<main>``/``<article>`` wins when there are 200 characters of it."""
    from lxml import etree

    every: list[str] = []
    in_main: list[str] = []
    skip = main = 0

    def emit(text: str) -> None:
        every.append(text)
        if main:
            in_main.append(text)

    for event, el in etree.iterwalk(tree, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else None  # None: comment or PI
        if event == "start":
            if tag is None or tag in _SKIP:
                skip += 1
            elif tag in _MAIN:
                main += 1
            if tag in _BLOCK:
                emit("\n")
            if not skip and el.text:
                emit(el.text)
            continue
        if tag is None or tag in _SKIP:
            skip -= 1
        elif tag in _MAIN:
            main -= 1
        if tag in _BLOCK:
            emit("\n")
        if not skip and el.tail:
            emit(el.tail)
    text = _tidy(in_main)
    return text if len(text) >= 200 else _tidy(every)


def _tidy(pieces: list[str]) -> str:
    lines = (" ".join(line.split()) for line in "".join(pieces).splitlines())
    return "\n".join(line for line in lines if line)


_TAG = re.compile(r"<[^<>]*>")  # [^<>]* cannot run past the next "<": linear even on "<<<<"


def _strip_tags(doc: str) -> str:
    """Without a parser: drop tags, unescape entities."""
    return _tidy([html.unescape(_TAG.sub(" ", doc))])
