"""``web_search``: text search through an injectable backend (ddgs by default).

The backend only returns titles, URLs and snippets; pages are read with ``browse_page`` (which is
SSRF-guarded), never through the search library's own fetching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from aether_core.tools.base import ArgSpec, Tool, ToolError
from aether_core.tools.calc import computes
from aether_core.tools.phrase_bounds import QUERY

SearchBackend = Callable[[str, int], list[Mapping[str, Any]]]
MAX_RESULTS = 10
_SNIPPET_CHARS = 300


class SearchError(ToolError):
    """The search backend failed (rate limit, timeout, no network)."""


def ddgs_backend(timeout_s: float = 10.0) -> SearchBackend:
    """A backend over ``ddgs.DDGS().text``; ddgs is imported on first use (it is slow to import)."""

    def search(query: str, max_results: int) -> list[Mapping[str, Any]]:
        from ddgs import DDGS

        return list(DDGS(timeout=int(max(1, timeout_s))).text(query, max_results=max_results))

    return search


class WebSearchTool(Tool):
    """Search the web; results are numbered ``title — url`` lines with an indented snippet."""

    name = "web_search"
    description = "Search the web; returns numbered results (title, URL, snippet)."
    schema = {
        "query": ArgSpec(
            "string",
            True,
            "what to search for",
            max_length=400,
            copy_stop=b"?!\n",
            copy_phrase=True,
            pick_span=True,
            fits=QUERY.fits,
        ),
        "max_results": ArgSpec("integer", False, f"how many results, 1-{MAX_RESULTS} (default 5)"),
    }

    for_small_talk = False  # "good night" is no search

    def __init__(self, backend: SearchBackend | None = None, timeout_s: float = 10.0) -> None:
        self.backend = backend or ddgs_backend(timeout_s)

    def understands(self, args: Mapping[str, Any], request: str = "") -> bool:
        """Anything but arithmetic, which calc answers exactly ("what's 328 reduced by 51" is no
        search), and questions about the user's own life, which only they have told
        ("what work do i do?", "when's my birthday": the web knows nothing of it; "how do I…",
        "what should I…" are asked of the web), and whether it is day or night somewhere now, which
        the clock tells."""
        query = args.get("query")
        if not isinstance(query, str):
            return True
        query = query.strip()
        return not (computes(query) or _ABOUT_THE_USER.match(query) or _TIME_OF_DAY.match(query))

    def openings(self, output: str, ok: bool = True) -> tuple[str, ...]:
        if not ok:
            return (FAILED,)
        top = _TOP_TITLE.search(output)
        return (f"{TOP_RESULT}{top[1]}.", f"{ACCORDING}{top[1]}: ", f"{top[1]}: ") if top else ()

    def run(self, query: str, max_results: int = 5) -> str:  # type: ignore[override]
        query = " ".join(query.split())
        if not query:
            raise SearchError("empty search query")
        n = min(max(int(max_results), 1), MAX_RESULTS)
        try:
            results = list(self.backend(query, n))
        except Exception as exc:  # ddgs raises its own RatelimitException/TimeoutException/...
            raise SearchError(f"search failed: {failure_cause(exc)}") from None
        return format_results(query, results[:n])


# Causes a user can act on, found by words in the exception's name or text (ddgs wraps them in
# its DDGSException, with a URL and a resolver dump): one short line each, whatever the library
# said. A 200-character trace read as "results" to the model, which quoted it as the answer.
_CAUSES = (
    (("ratelimit", "rate limit", "429"), "RatelimitException: rate limited, try again later"),
    (("timeout", "timed out"), "TimeoutException: timed out"),
    (("dns", "connect", "network", "resolv", "unreachable", "name or service", "no route"),
     "ConnectError: network is unreachable"),
)  # fmt: skip


def failure_cause(exc: BaseException) -> str:
    """``exc`` as one short line: a known cause in plain words, else its type and message."""
    msg = " ".join(str(exc).split())
    text = f"{type(exc).__name__} {msg}".lower()
    for words, cause in _CAUSES:
        if any(w in text for w in words):
            return cause
    return f"{type(exc).__name__}: {msg[:120]}" if msg else type(exc).__name__


# how an answer quotes the top result (data/skills/search.py): "Top result: TITLE.", "According
# to TITLE: SNIPPET", "TITLE: SNIPPET" (``openings``: the answer begins with one of these)
TOP_RESULT = "Top result: "
ACCORDING = "According to "
FAILED = "Sorry, the web search failed."  # how an answer after a failed search begins
_TOP_TITLE = re.compile(r"^1\. (.+?)(?: — \S+)?$", re.M)


def format_results(query: str, results: list[Mapping[str, Any]]) -> str:
    """``1. title — url`` then ``   snippet``; tolerant of ddgs's and other backends' key names."""
    lines: list[str] = []
    for i, r in enumerate(results, 1):
        title = _clean(r.get("title")) or "(untitled)"
        url = _clean(r.get("href") or r.get("url") or r.get("link"))
        snippet = _clean(r.get("body") or r.get("snippet") or r.get("description"))
        if len(snippet) > _SNIPPET_CHARS:
            snippet = snippet[: _SNIPPET_CHARS - 1].rstrip() + "…"
        lines.append(f"{i}. {title} — {url}" if url else f"{i}. {title}")
        if snippet:
            lines.append(f"   {snippet}")
    return "\n".join(lines) if lines else f"no results for {query!r}"


# a question of what, who, when, where or which about "my …" or "I", not for advice or a how-to
_ABOUT_THE_USER = re.compile(
    r"(?:what|who|when|where|which)(?:'?s)?\b(?!.*\b(?:how|should|can|could|would|to)\b)"
    r".*\b(?:my|i)\b",
    re.I,
)


# whether it is day or night somewhere now: the clock tells ("is it night in Manila right now?")
_TIME_OF_DAY = re.compile(
    r"is it (?:still |already )?(?:day|daytime|night|nighttime|morning|afternoon|evening|dark"
    r"|light|late|early)(?: yet| already)? (?:in|at|over in)\b",
    re.I,
)


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value else ""
