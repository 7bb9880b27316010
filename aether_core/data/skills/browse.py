"""Reading a page through ``browse_page``: the URL (or a bare domain, "open example.org")
copied into the call; the answer is the page's first sentence.
"""

from __future__ import annotations

import random

from ...dialogue import THOUGHT_ERROR, THOUGHT_OK, tool_thought
from ...tools.browse import SAYS, UNREAD
from .. import corpora
from .. import lexicon as lx
from ..phrasing import held_out, norm_split, realize
from . import sites
from .base import (
    ERROR_RATE,
    TRUNCATED_RATE,
    Skill,
    SkillSample,
    cut_short,
    maybe_denied,
    templates,
)

_T = templates("browse")
BROWSE_TEMPLATES: tuple[tuple[str, bool], ...] = _T["templates"]  # (frame, is a command)
PAGE_TITLES: tuple[str, ...] = _T["page_titles"]
FIRST_SENTENCES: tuple[str, ...] = _T["first_sentences"]
MORE_SENTENCES: tuple[str, ...] = _T["more_sentences"]


def make_url(rng: random.Random, split: str, topic: str) -> str:
    """A realistic http(s) URL on a split-partitioned host."""
    host = sites.host(rng, split)
    slug, n = sites.slug(topic), rng.randint(2, 99999)
    path = rng.choice((
        f"/blog/{slug}", f"/{rng.randint(2015, 2026)}/{rng.randint(1, 12):02d}/{slug}",
        f"/articles/{slug}.html", f"/guides/{slug}", f"/wiki/{topic.title().replace(' ', '_')}",
        f"/posts/{n}/{slug}", f"/news/{slug}-{n}", f"/{slug}", f"/docs/{slug}/", f"/p/{n}",
        f"/read?id={n}", f"/{slug}?ref=home", f"/{slug}#intro", f"/en/{slug}/",
    ))  # fmt: skip
    scheme = "https" if rng.random() < 0.9 else "http"
    return f"{scheme}://{host}{path}"


BARE_RATE = 0.3  # share of pages asked for by a bare domain ("open example.org")


def bare_domain(rng: random.Random, split: str) -> str:
    """A domain as people type it: "example.org", "www.example.org", "example.org/news"."""
    host = corpora.pick("domains", rng, split) if rng.random() < 0.6 else sites.host(rng, split)
    host = host.removeprefix("www.") if rng.random() < 0.7 else host
    if rng.random() < 0.15:
        host += rng.choice(("/news", "/about", "/blog", "/pricing", "/docs", "/contact"))
    return host


def browse(rng: random.Random, split: str) -> SkillSample:
    """browse_page with the URL copied verbatim; the answer is the page's first sentence."""
    split = norm_split(split)
    topic = rng.choice(held_out(lx.PAGE_TOPICS, split))
    url = bare_domain(rng, split) if rng.random() < BARE_RATE else make_url(rng, split, topic)
    template, imperative = rng.choice(held_out(BROWSE_TEMPLATES, split))
    prompt = realize(template, {"url": url}, rng, split, verbatim=("url",), imperative=imperative)
    args = {"url": url}
    thought = tool_thought("Read the page", "browse_page")
    host = url.split("://")[-1].split("/")[0]
    if rng.random() < ERROR_RATE:
        why = rng.choice(
            (
                f"HTTP 404 Not Found from {host}",
                f"HTTP 403 Forbidden from {host}",
                "deadline exceeded (15s)",
                f"HTTP 500 Internal Server Error from {host}",
            )
        )
        return SkillSample(
            "browse",
            split,
            prompt,
            "error",
            template,
            "browse_page",
            args,
            ("couldn't open",),
            tool_ok=False,
            tool_output=f"FetchError: {why}",
            thought=thought,
            answer_thought=THOUGHT_ERROR,
            answer=f"{UNREAD}{why}.",
        )
    fill = {"t": topic, "T": topic[:1].upper() + topic[1:]}
    title = rng.choice(PAGE_TITLES).format(**fill)
    first = rng.choice(FIRST_SENTENCES).format(**fill)
    more = rng.sample(MORE_SENTENCES, rng.randint(1, 2))
    fetched = url if "://" in url else f"https://{url}"  # the tool fetches a bare domain over https
    output = f"Title: {title}\nURL: {fetched}\n\n{' '.join([first, *more])}"
    if split == "train" and rng.random() < TRUNCATED_RATE:  # the first sentence stays whole
        output = cut_short(output, output.find(first) + len(first), rng)
    answer = rng.choice((*(f"{says}{first}" for says in SAYS), f"{title}: {first}"))
    sample = SkillSample(
        "browse",
        split,
        prompt,
        "ok",
        template,
        "browse_page",
        args,
        (first,),
        tool_output=output,
        thought=thought,
        answer_thought=THOUGHT_OK,
        answer=answer,
        extra={"title": title},
    )
    return maybe_denied(sample, rng)


SKILL = Skill("browse", browse, tool="browse_page", weight=1.0)
