"""Made-up web hosts and URL slugs, shared by the search results and the pages to browse."""

from __future__ import annotations

import random

from .. import lexicon as lx
from ..phrasing import held_out


def slug(text: str) -> str:
    keep = "".join(ch if ch.isalnum() else " " for ch in text.lower())
    return "-".join(keep.split())


def host(rng: random.Random, split: str) -> str:
    if rng.random() < 0.45:
        return rng.choice(held_out(lx.KNOWN_SITES, split))
    w = held_out(lx.URL_WORDS, split)
    a, b = rng.choice(w), rng.choice(w)
    tld = rng.choice(lx.TLDS)
    name = rng.choice((f"{a}{b}", f"{a}-{b}", f"{a}{b}", f"the{a}{b}"))
    return rng.choice((f"www.{name}.{tld}", f"{name}.{tld}", f"blog.{name}.{tld}"))
