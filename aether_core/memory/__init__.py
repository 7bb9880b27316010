"""Long-term memory: embedders (:mod:`.embedder`), the persisted store with its recovery
(:mod:`.store`) and fact extraction from "remember that ..." messages (:mod:`.facts`)."""

from .embedder import (
    HASHED_NGRAM,
    Embedder,
    EmbedderMismatchError,
    HashedNgramEmbedder,
    MemoryStoreError,
)
from .facts import MAX_FACT_CHARS, extract_fact
from .store import (
    DEFAULT_CAPACITY,
    ENTRIES_FILE,
    MAX_TEXT_CHARS,
    SCHEMA_VERSION,
    VECTORS_FILE,
    MemoryEntry,
    VectorMemory,
)

__all__ = [
    "DEFAULT_CAPACITY",
    "ENTRIES_FILE",
    "HASHED_NGRAM",
    "MAX_FACT_CHARS",
    "MAX_TEXT_CHARS",
    "SCHEMA_VERSION",
    "VECTORS_FILE",
    "Embedder",
    "EmbedderMismatchError",
    "HashedNgramEmbedder",
    "MemoryEntry",
    "MemoryStoreError",
    "VectorMemory",
    "extract_fact",
]
