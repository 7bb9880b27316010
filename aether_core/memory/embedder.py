"""Embedders for long-term memory: the :class:`Embedder` protocol and the model-free default.

The default needs no model: hashed word and character n-grams recall paraphrases well enough
("where does my sister live?" finds "my sister lives in Lyon"). An embedder built on the model's
hidden states can be plugged in through :class:`Embedder`; the store records which embedder wrote
its vectors and refuses to mix them.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..errors import AetherError

HASHED_NGRAM = "hashed-ngram-"  # the model-free embedder's names (a version follows)


class MemoryStoreError(AetherError):
    """A memory operation that cannot be done (bad input, unreadable or incompatible store)."""


class EmbedderMismatchError(MemoryStoreError):
    """The store's vectors were written by a different embedder than the one in use."""


class Embedder(Protocol):
    """Turns texts into vectors. ``name`` identifies the vector space: change it when outputs
    change, so old stores are not searched with incompatible vectors."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float array of shape ``[len(texts), dim]``; rows need not be normalised."""
        ...


_STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for from with about as into than then so is are
    was were be been being am do does did doing have has had having i me my mine myself you your
    yours we our us they them their he him his she her it its this that these those there here
    what which who whom whose where when why how can could would should will shall may might must
    not no yes please tell know remember just also very really s t""".split()
)


# Everyday words for the same thing, so a question finds the fact in other words ("my favorite
# film?" -> "my favourite movie is Vertigo"): each word below counts as its concept (its character
# n-grams still count as its own).
_CONCEPT_OF = {
    word: concept
    for concept, words in {
        "favourite": "favourite favorite fave fav favourit favorit best preferred "
        "like likes love loves most",
        "colour": "colour color colours colors",
        "movie": "movie movies film films cinema",
        "food": "food foods dish dishes meal meals eat cuisine",
        "drink": "drink drinks beverage",
        "job": "job jobs work works worked profession occupation career living employed",
        "birth": "born birthday birthdate birthplace birth",
        "home": "live lives home hometown town reside resides address",
        "study": "study studies studying learn learning major subject course degree",
        "allergy": "allergy allergies allergic",
        "car": "car cars drive drives vehicle",
        "age": "age aged old",
        "name": "name named called",
        "book": "book books novel read reading",
        "music": "music song songs band singer",
        "pet": "pet pets dog cat",
    }.items()
    for word in words.split()
}


def _normalize(text: str) -> list[str]:
    """Words of ``text``: NFKC, casefolded, apostrophes dropped, other punctuation as spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"['\u2019`]", "", text)
    return re.sub(r"[\W_]+", " ", text).split()


def _stem(word: str) -> str:
    """A very light English stemmer: enough that 'lives'/'live' and 'cats'/'cat' meet."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=1 << 16)
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    """Stable (index, sign) for a feature: blake2b, not Python's per-process salted hash()."""
    h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return h % dim, (1.0 if h >> 63 else -1.0)


@dataclass(frozen=True)
class HashedNgramEmbedder:
    """Model-free embedder: signed feature hashing of stemmed words and char n-grams of words.

    Content words weigh 1 and bring their character n-grams (``<sister>`` -> ``<si``, ``sis`` ...),
    which match across inflections and typos; stopwords weigh little and bring none, so "my" and
    "where" do not decide what is recalled. Vectors are L2-normalised float32.
    """

    dim: int = 1024
    min_n: int = 3
    max_n: int = 5
    stopword_weight: float = 0.2
    ngram_weight: float = 1.0
    concept_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.dim < 16 or not 1 <= self.min_n <= self.max_n:
            raise MemoryStoreError(f"bad HashedNgramEmbedder settings dim={self.dim}")

    @property
    def name(self) -> str:
        return (
            f"{HASHED_NGRAM}v2:n{self.min_n}-{self.max_n}"
            f":sw{self.stopword_weight:g}:ng{self.ngram_weight:g}:k{self.concept_weight:g}"
        )

    def features(self, text: str) -> dict[str, float]:
        """Weighted features of one text (exposed for tests and debugging)."""
        feats: dict[str, float] = {}
        for word in _normalize(text):
            if word in _STOPWORDS:
                feats["w:" + word] = feats.get("w:" + word, 0.0) + self.stopword_weight
                continue
            concept = _CONCEPT_OF.get(word)  # "favorite" and "favourite" are one word here
            key = "k:" + concept if concept else "w:" + _stem(word)
            feats[key] = feats.get(key, 0.0) + (self.concept_weight if concept else 1.0)
            padded = f"<{word}>"
            grams = [
                padded[i : i + n]
                for n in range(self.min_n, self.max_n + 1)
                for i in range(len(padded) - n + 1)
            ]
            if grams:
                w = self.ngram_weight / math.sqrt(len(grams))
                for g in grams:
                    feats["c:" + g] = feats.get("c:" + g, 0.0) + w
        return feats

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feat, weight in self.features(text).items():
                idx, sign = _bucket(feat, self.dim)
                out[row, idx] += sign * weight
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out
