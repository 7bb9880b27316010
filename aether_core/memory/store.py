"""The memory store: a small cosine-similarity store of facts and summaries, persisted on disk.

Layout of a store directory: ``vectors.npy`` (float32, one row per entry) and ``entries.json``
(schema version, embedder name and dim, entry count, entries oldest first). Both are written as
one atomic commit, so the JSON never references vectors that are not on disk. Every
mutation saves at once (``autosave``, on by default); with ``autosave=False`` call :meth:`save`.

A store that cannot be read is never silently emptied: bad files are renamed to
``*.corrupt-<timestamp>``, the problem is logged and kept in :attr:`VectorMemory.warning` for the
UI. When only the vectors are bad (a crash between the two writes, a truncated file) the entries
are kept and their vectors rebuilt from the text, which is the source of truth.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..fsutil import (
    NotRegularFileError,
    atomic_group,
    check_regular,
    data_dir,
    read_regular,
    recover_group,
    set_aside,
)
from .embedder import (
    HASHED_NGRAM,
    Embedder,
    EmbedderMismatchError,
    HashedNgramEmbedder,
    MemoryStoreError,
)

if TYPE_CHECKING:
    from ..redact import Redactor

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DEFAULT_CAPACITY = 8192
MAX_TEXT_CHARS = 8000
ENTRIES_FILE = "entries.json"
VECTORS_FILE = "vectors.npy"
MAX_ENTRIES_BYTES = 512 << 20  # far above DEFAULT_CAPACITY entries of MAX_TEXT_CHARS
_KIND_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")


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
        """Write vectors and entries as one commit (``fsutil.atomic_group``): after a kill -9 both
        files are the old ones or both the new. No-op for an in-memory store."""
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
                with atomic_group(self.path) as stage:
                    with open(stage(VECTORS_FILE), "wb") as f:
                        np.save(f, vecs, allow_pickle=False)
                    stage(ENTRIES_FILE).write_text(
                        json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8"
                    )
            except OSError as e:
                raise MemoryStoreError(
                    f"cannot save memory store {self.path}: {e.strerror or e}"
                ) from None

    def _load(self) -> None:
        assert self.path is not None
        jpath, vpath = self.path / ENTRIES_FILE, self.path / VECTORS_FILE
        try:
            recover_group(self.path)  # finish a save a crash cut short after its commit point
        except OSError as e:
            log.warning("memory store %s: could not finish an interrupted save: %s", self.path, e)
        if not jpath.exists() and not vpath.exists():
            return
        try:
            raw_text = read_regular(jpath, MAX_ENTRIES_BYTES)
        except FileNotFoundError:
            raw_text = b""  # vectors without entries: an interrupted first save, or damage
        except NotRegularFileError as e:  # a FIFO would hang the read: bad content, set aside
            self._set_aside([jpath, vpath], f"{ENTRIES_FILE} is not usable ({_one_line(e)})")
            return
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
            check_regular(vpath, os.stat(vpath), None)  # a FIFO would hang np.load
            # Memory-mapped first: a header claiming shape (10**6, 10**6) is refused below
            # instead of allocating terabytes; only the checked rows are then copied in.
            vecs = np.load(vpath, mmap_mode="r", allow_pickle=False)
            if vecs.dtype != np.float32 or vecs.shape != (len(entries), space[1]):
                raise ValueError(
                    f"vectors {vecs.dtype}{list(vecs.shape)} do not match "
                    f"{len(entries)} entries of dim {space[1]}"
                )
            vecs = np.array(vecs)
            if not np.isfinite(vecs).all():
                raise ValueError("vectors hold non-finite values")
        except PermissionError as e:
            raise MemoryStoreError(f"cannot read memory store {vpath}: {e.strerror}") from None
        except (OSError, ValueError, EOFError, MemoryError) as e:
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
        moved = []
        for p in paths:
            try:
                if (dest := set_aside(p)) is not None:
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
