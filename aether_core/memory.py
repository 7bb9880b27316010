"""Long-term memory: a small cosine-similarity store of facts and summaries, persisted on disk.

The default embedder needs no model: hashed word and character n-grams recall paraphrases well
enough ("where does my sister live?" finds "my sister lives in Lyon"). An embedder built on the
model's hidden states can be plugged in through :class:`Embedder`; the store records which
embedder wrote its vectors and refuses to mix them.

Layout of a store directory: ``vectors.npy`` (float32, one row per entry) and ``entries.json``
(schema version, embedder name and dim, entry count, entries oldest first). Both are written
atomically, vectors first, so the JSON never references vectors that are not on disk. Every
mutation saves at once (``autosave``, on by default); with ``autosave=False`` call :meth:`save`.

A store that cannot be read is never silently emptied: bad files are renamed to
``*.corrupt-<timestamp>``, the problem is logged and kept in :attr:`VectorMemory.warning` for the
UI. When only the vectors are bad (a crash between the two writes, a truncated file) the entries
are kept and their vectors rebuilt from the text, which is the source of truth.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from .errors import AetherError
from .fsutil import atomic_path, data_dir

if TYPE_CHECKING:
    from .redact import Redactor

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DEFAULT_CAPACITY = 8192
MAX_TEXT_CHARS = 8000
ENTRIES_FILE = "entries.json"
VECTORS_FILE = "vectors.npy"
HASHED_NGRAM = "hashed-ngram-"  # the model-free embedder's names (a version follows)
_KIND_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")


class MemoryStoreError(AetherError):
    """A memory operation that cannot be done (bad input, unreadable or incompatible store)."""


class EmbedderMismatchError(MemoryStoreError):
    """The store's vectors were written by a different embedder than the one in use."""


# ----------------------------------------------------------------------------------- embedders
@runtime_checkable
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


# ----------------------------------------------------------------------------------- entries
@dataclass(frozen=True)
class MemoryEntry:
    """One remembered text. ``id`` is derived from the text, so it is stable across sessions."""

    id: str
    text: str
    kind: str
    created: float
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "created": self.created,
            "meta": self.meta,
        }


def _dedup_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _entry_from_dict(d: Any) -> MemoryEntry:
    if not isinstance(d, dict):
        raise ValueError("entry is not an object")
    ok = (
        isinstance(d.get("id"), str)
        and isinstance(d.get("text"), str)
        and isinstance(d.get("kind"), str)
        and isinstance(d.get("created"), (int, float))
        and isinstance(d.get("meta", {}), dict)
    )
    if not ok or not d["id"] or not d["text"].strip():
        raise ValueError(f"malformed entry {str(d)[:60]!r}")
    return MemoryEntry(d["id"], d["text"], d["kind"], float(d["created"]), dict(d.get("meta", {})))


def _normalize_rows(vecs: np.ndarray, n: int, dim: int, who: str) -> np.ndarray:
    vecs = np.asarray(vecs, dtype=np.float32)
    if vecs.shape != (n, dim):
        raise MemoryStoreError(f"embedder {who} returned shape {vecs.shape}, expected {(n, dim)}")
    if not np.isfinite(vecs).all():
        raise MemoryStoreError(f"embedder {who} returned non-finite values")
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return np.divide(vecs, norms, out=np.zeros_like(vecs), where=norms > 0)


# ----------------------------------------------------------------------------------- the store
class VectorMemory:
    """Thread-safe cosine-similarity memory with capacity eviction and on-disk persistence.

    Open one with :meth:`open`. ``path=None`` means an in-memory store (tests, throwaway use).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        embedder: Embedder | None = None,
        capacity: int = DEFAULT_CAPACITY,
        *,
        autosave: bool = True,
        redactor: Redactor | None = None,
    ) -> None:
        if capacity < 1:
            raise MemoryStoreError(f"memory capacity must be at least 1, got {capacity}")
        self.path = Path(path) if path is not None else None
        self.embedder: Embedder = embedder or HashedNgramEmbedder()
        self.capacity = capacity
        self.autosave = autosave
        self.redactor = redactor
        self.warning: str | None = None
        self._lock = threading.RLock()
        self._entries: list[MemoryEntry] = []
        # Rows [0, n) of a buffer that grows by doubling: adds stay cheap up to full capacity.
        self._mat = np.zeros((0, self.embedder.dim), dtype=np.float32)
        self._n = 0
        self._by_key: dict[str, str] = {}  # dedup key -> id
        self._ids: set[str] = set()
        # The embedder the stored vectors came from; differs from self.embedder on a mismatch.
        self._space: tuple[str, int] = (self.embedder.name, self.embedder.dim)

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        embedder: Embedder | None = None,
        capacity: int = DEFAULT_CAPACITY,
        *,
        autosave: bool = True,
        redactor: Redactor | None = None,
    ) -> VectorMemory:
        """Load the store at ``path`` (default ``data_dir()/"memory"``), or start an empty one.

        A store written by another embedder still opens: list/get/forget/clear work, while
        add/search raise :class:`EmbedderMismatchError` until :meth:`reindex` or :meth:`clear`.
        """
        mem = cls(
            Path(path) if path is not None else data_dir() / "memory",
            embedder,
            capacity,
            autosave=autosave,
            redactor=redactor,
        )
        mem._load()
        if mem._older_ngram():
            log.info("memory: re-embedding %d entries for %s", len(mem), mem.embedder.name)
            mem.reindex()
        return mem

    # ------------------------------------------------------------------------------- queries
    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def list(self) -> list[MemoryEntry]:
        """All entries, oldest first (a copy; safe to use while another thread mutates)."""
        with self._lock:
            return list(self._entries)

    def get(self, id: str) -> MemoryEntry | None:
        with self._lock:
            return next((e for e in self._entries if e.id == id), None)

    @property
    def mismatch(self) -> str | None:
        """Why add/search are refused (store written by another embedder), or None."""
        name, dim = self._space
        if (name, dim) == (self.embedder.name, self.embedder.dim):
            return None
        return (
            f"memory store was built with embedder {name!r} (dim {dim}); refusing to mix it with "
            f"{self.embedder.name!r} (dim {self.embedder.dim}): reindex or clear it"
        )

    def _older_ngram(self) -> bool:
        """The vectors are from another version of the current model-free embedder: re-embedding
        the text (all it needs) upgrades them without asking."""
        name, dim = self._space
        version = name.split(":", 1)[0]
        return (
            isinstance(self.embedder, HashedNgramEmbedder)
            and version.startswith(HASHED_NGRAM)
            and version != self.embedder.name.split(":", 1)[0]
            and dim == self.embedder.dim
        )

    def _check_space(self) -> None:
        if msg := self.mismatch:
            raise EmbedderMismatchError(msg)

    def search(
        self, query: str, k: int = 5, min_score: float = 0.0
    ) -> list[tuple[MemoryEntry, float]]:
        """Up to ``k`` entries most similar to ``query``, best first, as (entry, cosine) pairs.

        Only entries scoring at least ``min_score`` and above zero are returned: an entry that
        shares nothing with the query is never "recalled". Ties go to the newer entry.
        """
        self._check_space()
        if k <= 0 or not query.strip():
            return []
        q = self._embed([query])[0]
        with self._lock:
            if not self._entries:
                return []
            scores = self._vecs @ q
            # Stable sort on the reversed array: among equal scores the newest comes first.
            rev = np.argsort(-scores[::-1], kind="stable")
            order = len(scores) - 1 - rev
            out = []
            for i in order[:k]:
                s = float(scores[i])
                if s <= 0.0 or s < min_score:
                    break
                out.append((self._entries[i], s))
            return out

    # ------------------------------------------------------------------------------- mutations
    def add(self, text: str, kind: str = "fact", meta: dict[str, Any] | None = None) -> MemoryEntry:
        """Remember ``text``; the same text again refreshes the old entry (new time, kind, meta)."""
        if not isinstance(text, str) or not text.strip():
            raise MemoryStoreError("cannot remember empty text")
        if self.redactor is not None:
            text = self.redactor.redact(text)
        text = text.strip()
        if len(text) > MAX_TEXT_CHARS:
            raise MemoryStoreError(
                f"memory text too long: {len(text)} chars (max {MAX_TEXT_CHARS})"
            )
        if not _KIND_RE.fullmatch(kind):
            raise MemoryStoreError(
                f"bad memory kind {kind!r}: use lowercase letters, digits, _ or -"
            )
        try:  # a deep copy through JSON: what is stored is exactly what will be reloaded
            meta = json.loads(json.dumps(meta or {}))
        except (TypeError, ValueError) as e:
            raise MemoryStoreError(f"memory meta must be JSON-serialisable: {e}") from None
        self._check_space()
        vec = self._embed([text])
        with self._lock:
            key = _dedup_key(text)
            old_id = self._by_key.get(key)
            if old_id is not None:
                i = next(j for j, e in enumerate(self._entries) if e.id == old_id)
                self._remove_at(i)
                entry_id = old_id
            else:
                entry_id = self._new_id(text)
            entry = MemoryEntry(entry_id, text, kind, time.time(), meta)
            self._entries.append(entry)
            self._append_row(vec[0])
            self._by_key[key] = entry_id
            self._ids.add(entry_id)
            self._evict()
            self._changed()
            return entry

    def forget(self, id: str) -> bool:
        """Drop the entry with this id; False when there is none."""
        with self._lock:
            i = next((j for j, e in enumerate(self._entries) if e.id == id), None)
            if i is None:
                return False
            self._remove_at(i)
            self._changed()
            return True

    def clear(self) -> None:
        """Forget everything (and adopt the current embedder if the store had another)."""
        with self._lock:
            self._install([], (self.embedder.name, self.embedder.dim), None)
            self._changed()

    def reindex(self) -> None:
        """Re-embed every entry with the current embedder (e.g. after switching embedders)."""
        with self._lock:
            texts = [e.text for e in self._entries]
            vecs = self._embed(texts) if texts else None
            self._install(self._entries, (self.embedder.name, self.embedder.dim), vecs)
            self._changed()

    # ------------------------------------------------------------------------------- persistence
    def save(self) -> None:
        """Write the store (vectors first, then the JSON that references them). No-op in memory."""
        if self.path is None:
            return
        with self._lock:
            vecs = np.ascontiguousarray(self._vecs, dtype=np.float32)
            doc = {
                "schema": SCHEMA_VERSION,
                "embedder": {"name": self._space[0], "dim": self._space[1]},
                "count": len(self._entries),
                "entries": [e.to_dict() for e in self._entries],
            }
            try:
                with atomic_path(self.path / VECTORS_FILE) as tmp, open(tmp, "wb") as f:
                    np.save(f, vecs, allow_pickle=False)
                with atomic_path(self.path / ENTRIES_FILE) as tmp:
                    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
            except OSError as e:
                raise MemoryStoreError(
                    f"cannot save memory store {self.path}: {e.strerror or e}"
                ) from None

    def _load(self) -> None:
        assert self.path is not None
        jpath, vpath = self.path / ENTRIES_FILE, self.path / VECTORS_FILE
        if not jpath.exists() and not vpath.exists():
            return
        try:
            raw_text = jpath.read_bytes()
        except FileNotFoundError:
            raw_text = b""  # vectors without entries: an interrupted first save, or damage
        except OSError as e:  # permissions and the like are not corruption: leave files alone
            raise MemoryStoreError(f"cannot read memory store {jpath}: {e.strerror or e}") from None
        try:
            doc = json.loads(raw_text.decode("utf-8"))
            if not isinstance(doc, dict) or not isinstance(doc.get("schema"), int):
                raise ValueError("not a memory store (no schema version)")
            if doc["schema"] > SCHEMA_VERSION:
                raise MemoryStoreError(
                    f"memory store {self.path} has schema {doc['schema']}, newer than this "
                    f"Aether understands ({SCHEMA_VERSION}); upgrade Aether"
                )
            emb = doc.get("embedder")
            if not (
                isinstance(emb, dict)
                and isinstance(emb.get("name"), str)
                and isinstance(emb.get("dim"), int)
                and emb["dim"] > 0
            ):
                raise ValueError("missing or malformed embedder record")
            raw = doc.get("entries")
            if not isinstance(raw, list) or doc.get("count") != len(raw):
                raise ValueError("entry count does not match the entries")
            entries = [_entry_from_dict(d) for d in raw]
            if len({e.id for e in entries}) != len(entries):
                raise ValueError("duplicate entry ids")
        except MemoryStoreError:
            raise
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            what = (
                f"unreadable {ENTRIES_FILE} ({_one_line(e)})" if raw_text else f"no {ENTRIES_FILE}"
            )
            self._set_aside([jpath, vpath], what)
            return
        if not entries:  # an empty store belongs to whichever embedder uses it next
            return
        space = (emb["name"], emb["dim"])
        try:
            vecs = np.load(vpath, allow_pickle=False)
            if vecs.dtype != np.float32 or vecs.shape != (len(entries), space[1]):
                raise ValueError(
                    f"vectors {vecs.dtype}{list(vecs.shape)} do not match "
                    f"{len(entries)} entries of dim {space[1]}"
                )
            if not np.isfinite(vecs).all():
                raise ValueError("vectors hold non-finite values")
        except PermissionError as e:
            raise MemoryStoreError(f"cannot read memory store {vpath}: {e.strerror}") from None
        except (OSError, ValueError, EOFError) as e:
            problem = f"bad {VECTORS_FILE} ({_one_line(e)})"
            if space != (self.embedder.name, self.embedder.dim):
                # Cannot rebuild vectors for another embedder's space: set both aside.
                self._set_aside([jpath, vpath], problem)
                return
            self._install(entries, space, self._embed([e.text for e in entries]))
            self._set_aside([vpath], problem, rebuilt=len(entries))
            if self.autosave:
                self.save()
            return
        self._install(entries, space, vecs)
        if len(self._entries) > self.capacity:
            self._evict()
            if self.autosave:
                self.save()

    def _install(
        self, entries: list[MemoryEntry], space: tuple[str, int], vecs: np.ndarray | None
    ) -> None:
        self._entries = list(entries)
        self._space = space
        self._mat = np.zeros((0, space[1]), np.float32) if vecs is None else np.array(vecs)
        self._n = len(self._mat)
        self._by_key = {_dedup_key(e.text): e.id for e in entries}
        self._ids = {e.id for e in entries}

    def _set_aside(self, paths: list[Path], problem: str, rebuilt: int | None = None) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        moved = []
        for p in paths:
            if not p.exists():
                continue
            dest = p.with_name(f"{p.name}.corrupt-{stamp}")
            n = 1
            while dest.exists():
                dest = p.with_name(f"{p.name}.corrupt-{stamp}-{n}")
                n += 1
            try:
                p.rename(dest)
                moved.append(dest.name)
            except OSError as e:
                log.error("could not set aside %s: %s", p, e)
        kept = ", ".join(moved) or "nothing (could not rename)"
        if rebuilt is None:
            self.warning = (
                f"memory store was corrupt: {problem}; set aside as {kept}, starting empty"
            )
        else:
            self.warning = (
                f"memory vectors were corrupt: {problem}; set aside as {kept}, "
                f"rebuilt {rebuilt} from text"
            )
        log.warning("%s (in %s)", self.warning, self.path)

    # ------------------------------------------------------------------------------- internals
    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return _normalize_rows(
            self.embedder.embed(list(texts)), len(texts), self.embedder.dim, self.embedder.name
        )

    def _new_id(self, text: str) -> str:
        """8 hex chars of the text's hash; longer in the rare case another text has them."""
        digest = hashlib.blake2b(_dedup_key(text).encode(), digest_size=16).hexdigest()
        for n in range(8, len(digest) + 1, 2):
            if digest[:n] not in self._ids:
                return digest[:n]
        raise MemoryStoreError("memory id collision")  # 128-bit collision: not in this universe

    def _remove_at(self, i: int) -> None:
        entry = self._entries.pop(i)
        self._mat[i : self._n - 1] = self._mat[i + 1 : self._n]
        self._n -= 1
        self._by_key.pop(_dedup_key(entry.text), None)
        self._ids.discard(entry.id)

    def _evict(self) -> None:
        extra = len(self._entries) - self.capacity
        if extra > 0:
            for e in self._entries[:extra]:
                self._by_key.pop(_dedup_key(e.text), None)
                self._ids.discard(e.id)
            self._entries = self._entries[extra:]
            self._mat[: self._n - extra] = self._mat[extra : self._n]
            self._n -= extra

    @property
    def _vecs(self) -> np.ndarray:
        """The live rows (a view: copy before keeping it outside the lock)."""
        return self._mat[: self._n]

    def _append_row(self, row: np.ndarray) -> None:
        if self._n == len(self._mat):
            rows = max(16, self._n + 1, min(2 * self._n, self.capacity + 1))
            grown = np.zeros((rows, self._mat.shape[1]), dtype=np.float32)
            grown[: self._n] = self._mat[: self._n]
            self._mat = grown
        self._mat[self._n] = row
        self._n += 1

    def _changed(self) -> None:
        if self.autosave:
            self.save()


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:160] or type(e).__name__


# ----------------------------------------------------------------------------------- facts
_PREFIX = re.compile(
    r"""^\s*
    (?:(?:hey|hi|hello|ok|okay|so|oh|and|also|btw|alright)\b[\s,.!:;-]*)*
    (?:aether\b[\s,.!:;-]*)?
    (?P<polite>(?:please|pls|kindly)\s+|(?:can|could|would|will)\s+you\s+(?:please\s+)?)?
    (?:
        (?P<remember>remember|memori[sz]e|keep\s+in\s+mind|(?:don'?t|do\s+not|never)\s+forget)
        (?:\s+(?:this|the\s+following))?(?:\s+for\s+later)?
        (?:\s*[:,\u2013\u2014-]\s*|\s+)(?:that\b\s*)?
      |
        (?P<note>(?:make\s+a\s+|take\s+)?note(?:\s+down)?|(?:write|jot)\s+(?:this\s+)?down
            |save|store|record|log)
        (?:\s+(?:this|the\s+following|this\s+fact|this\s+for\s+later))?
        (?:\s*[:,\u2013\u2014-]\s*|\s+that\b\s*)
      |
        (?P<declare>for\s+the\s+record|fyi|just\s+so\s+you\s+know|good\s+to\s+know(?:\s+for\s+later)?
            |(?:a|one|some)\s+(?:fact|thing)\s+about\s+me|(?:i\s+want|i'?d\s+like)\s+you\s+to\s+(?:remember|know)
            |remember\s+this\s+for\s+later|for\s+later)
        (?:\s*[:,\u2013\u2014-]\s*|\s+that\b\s*|\s+)
    )
    (?P<fact>.+)$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
_SUFFIX = re.compile(  # "<fact>. remember that", "<fact>, remember it", "<fact> - please remember"
    r"""^\s*(?P<fact>[^?]+?)[\s,.;:!\u2013\u2014-]+(?P<remember>(?P<polite>please\s+)?
        (?:remember|memori[sz]e|don'?t\s+forget|keep\s+(?:it|that|this)\s+in\s+mind|note\s+(?:it|that|this)
        |make\s+a\s+note(?:\s+of\s+(?:it|that|this))?)(?:\s+(?:it|that|this))?)
        (?:[\s,]+(?:please|thanks|thank\s+you|ok))*[\s.!]*$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
_NOT_A_FACT = re.compile(
    r"(?:to|when|how|what|why|where|who|whom|which|if|whether|the\s+time)\b", re.IGNORECASE
)
_TRAILING = re.compile(
    r"(?:[\s,;:]*\b(?:please|pls|thanks|thank\s+you|thx|ok|okay)\b)*[\s.!?,;:\u2026]*$",
    re.IGNORECASE,
)
_ABBREV = re.compile(
    r"(?:\b(?:mr|mrs|ms|dr|st|jr|sr|vs|etc|prof|mt|no|e\.g|i\.e)|\b[A-Z])\.$", re.I
)
_LOWER_FIRST = frozenset(
    "my our the a an his her their its it we they there this that these those some".split()
)
MAX_FACT_CHARS = 500


def _first_sentence(text: str) -> str:
    text = text.split("\n", 1)[0]
    for m in re.finditer(r"[.!?](?=\s+\S)", text):
        if not _ABBREV.search(text[: m.end()]):
            return text[: m.end()]  # with its end mark: "?" tells a question
    return text


def extract_fact(user_text: str) -> str | None:
    """The fact in "remember that ...", "please remember: ...", "don't forget that ...",
    "note that ..."; None when the message is not such a request.

    The fact is the first sentence after the request, trimmed of "please"/"thanks" and end
    punctuation, with a leading "My"/"The"... lower-cased ("my sister lives in Lyon"); the
    user's own first-person wording ("I", "my") is kept as is. "Remember to ..." (a reminder)
    and "remember when/what ..." (a question) are not facts.
    """
    if not user_text:
        return None
    text = user_text.replace("\u2019", "'").replace("\u2018", "'").strip()
    m = _PREFIX.match(text)
    if not m:
        m = _SUFFIX.match(text)
        if not m:
            return None
    fact = m.group("fact").strip()
    if m.group("remember") and _NOT_A_FACT.match(fact):
        return None
    fact = _first_sentence(fact).strip()
    if fact.endswith("?") and not m.group("polite"):
        return None  # "remember that time we ...?" is a question
    fact = fact.strip("\"'\u201c\u201d ")
    fact = _TRAILING.sub("", fact).strip().strip("\"'\u201c\u201d ")
    if len(fact.split()) < 2:
        return None
    first = fact.split(maxsplit=1)[0]
    if first.lower() in _LOWER_FIRST and not first.isupper():
        fact = first.lower() + fact[len(first) :]
    if len(fact) > MAX_FACT_CHARS:
        fact = fact[:MAX_FACT_CHARS].rsplit(" ", 1)[0]
    return fact
