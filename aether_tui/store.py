"""Conversations in SQLite (stdlib sqlite3): several chats, listed, renamed, deleted, searched.

A chat is stored as its token stream (``aether_core.segments.encode``, uint16 little-endian), so
resuming hands the agent exactly the conversation it had: ``segments.decode`` of the blob is the
``list[Message]`` given to ``agent.load_conversation``. A plain-text copy is kept beside it only
for search. The schema is versioned (``schema_version`` table) and upgraded by the ordered
``MIGRATIONS`` list, each applied in its own transaction.

SQLite commits atomically (a kill -9 mid-save leaves the old chat or the new one). A file that is
not a readable database (damage, another program's file, a FIFO) is set aside under a dated name
with its journal files, a fresh database is started, and :attr:`ChatStore.warning` says so once
for the app to show; a single damaged chat raises :class:`~aether_core.segments.SegmentError`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aether_core import segments
from aether_core.errors import AetherError
from aether_core.fsutil import NotRegularFileError, check_regular, data_dir, set_aside
from aether_core.segments import Message, SegmentError

log = logging.getLogger(__name__)

DB_FILE = "chats.sqlite3"

MIGRATIONS: list[str] = [
    # 1: chats as token streams
    """
    CREATE TABLE chats (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        tokens BLOB NOT NULL
    );
    CREATE INDEX chats_updated ON chats (updated);
    """,
    # 2: a plain-text copy for search, and the message count for listings
    """
    ALTER TABLE chats ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
    ALTER TABLE chats ADD COLUMN n_messages INTEGER NOT NULL DEFAULT 0;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def default_db_path() -> Path:
    return data_dir() / DB_FILE


def tokens_to_blob(tokens: Sequence[int]) -> bytes:
    """Token ids (< 65536) as uint16 little-endian bytes."""
    arr = array("H", tokens)
    if sys.byteorder == "big":
        arr.byteswap()
    return arr.tobytes()


def blob_to_tokens(blob: bytes) -> list[int]:
    if not isinstance(blob, bytes) or len(blob) % 2:
        raise SegmentError("token data is damaged (not whole uint16 tokens)")
    arr = array("H")
    arr.frombytes(blob)
    if sys.byteorder == "big":
        arr.byteswap()
    return arr.tolist()


def searchable_text(messages: Sequence[Message]) -> str:
    """The user-visible text of a conversation (what search matches against)."""
    parts = []
    for m in messages:
        if m.role in ("user", "assistant") and m.plain_text:
            parts.append(m.plain_text)
    return "\n".join(parts)


def title_for(messages: Sequence[Message], limit: int = 60) -> str:
    """A default title: the first line of the first user message."""
    for m in messages:
        if m.role == "user" and m.plain_text.strip():
            line = m.plain_text.strip().splitlines()[0]
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return "New chat"


@dataclass(frozen=True)
class ChatSummary:
    id: int
    title: str
    created: float
    updated: float
    n_messages: int


@dataclass(frozen=True)
class ChatRecord:
    id: int
    title: str
    created: float
    updated: float
    tokens: list[int]

    @property
    def messages(self) -> list[Message]:
        return segments.decode(self.tokens) if self.tokens else []


class ChatStoreError(AetherError, RuntimeError):
    """A chat database this aether-tui must not touch (a newer schema)."""


class ChatStore:
    """A small thread-safe wrapper over one SQLite file (or ``":memory:"`` for tests).

    Calls are short (a few KB per chat), so the UI may call them directly; a lock makes it safe
    to call from a worker too.
    """

    def __init__(
        self, path: str | Path | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = Path(path) if path not in (None, ":memory:") else path
        if self.path is None:
            self.path = default_db_path()
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.RLock()
        self.warning: str | None = None
        try:
            self._open()
        except (sqlite3.DatabaseError, NotRegularFileError) as e:
            self._set_aside(e)
            self._open()

    def _open(self) -> None:
        if isinstance(self.path, Path) and os.path.lexists(self.path):
            check_regular(self.path, os.stat(self.path), None)  # a FIFO would hang sqlite
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        try:
            self._db.row_factory = sqlite3.Row
            # the whole file, not just its header: a damaged page is found now, not mid-chat
            row = self._db.execute("PRAGMA quick_check(1)").fetchone()
            if row is None or row[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check: {row[0] if row else 'no answer'}")
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    def _set_aside(self, error: Exception) -> None:
        """Move the unreadable database and its journals aside; the next open starts clean."""
        assert isinstance(self.path, Path)  # ":memory:" cannot be damaged
        moved = [
            dest.name
            for suffix in ("", "-wal", "-shm", "-journal")
            if (dest := set_aside(self.path.with_name(self.path.name + suffix))) is not None
        ]
        problem = " ".join(str(error).split())[:160]
        self.warning = (
            f"chat database {self.path} was unreadable ({problem}); set aside as "
            f"{', '.join(moved)}; starting with no saved chats"
        )
        log.warning(self.warning)

    # ------------------------------------------------------------------ schema
    @property
    def schema_version(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()
            return int(row[0] or 0)

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            self._db.commit()
            current = self.schema_version
            if current > SCHEMA_VERSION:
                raise ChatStoreError(
                    f"{self.path}: chat database schema v{current} is newer than this "
                    f"aether-tui (v{SCHEMA_VERSION}); upgrade aether"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                script = MIGRATIONS[version - 1]
                try:
                    self._db.execute("BEGIN")
                    for statement in filter(str.strip, script.split(";")):
                        self._db.execute(statement)
                    self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
                    self._db.execute("COMMIT")
                except Exception:
                    self._db.execute("ROLLBACK")
                    raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ chats
    def save(
        self, chat_id: int | None, messages: Sequence[Message], title: str | None = None
    ) -> int:
        """Create (``chat_id`` None) or overwrite a chat; returns its id."""
        blob = tokens_to_blob(segments.encode(messages))
        text = searchable_text(messages)
        now = self._clock()
        with self._lock:
            if chat_id is not None and self._exists(chat_id):
                if title is None:
                    self._db.execute(
                        "UPDATE chats SET tokens=?, search_text=?, n_messages=?, updated=? "
                        "WHERE id=?",
                        (blob, text, len(messages), now, chat_id),
                    )
                else:
                    self._db.execute(
                        "UPDATE chats SET tokens=?, search_text=?, n_messages=?, updated=?, "
                        "title=? WHERE id=?",
                        (blob, text, len(messages), now, title, chat_id),
                    )
                self._db.commit()
                return chat_id
            cur = self._db.execute(
                "INSERT INTO chats (title, created, updated, tokens, search_text, n_messages) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (title or title_for(messages), now, now, blob, text, len(messages)),
            )
            self._db.commit()
            return int(cur.lastrowid)

    def _exists(self, chat_id: int) -> bool:
        return self._db.execute("SELECT 1 FROM chats WHERE id=?", (chat_id,)).fetchone() is not None

    def get(self, chat_id: int) -> ChatRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, title, created, updated, tokens FROM chats WHERE id=?", (chat_id,)
            ).fetchone()
        if row is None:
            return None
        return ChatRecord(
            row["id"], row["title"], row["created"], row["updated"], blob_to_tokens(row["tokens"])
        )

    def load_messages(self, chat_id: int) -> list[Message]:
        record = self.get(chat_id)
        if record is None:
            raise KeyError(chat_id)
        return record.messages

    def list(self, query: str | None = None, limit: int = 500) -> list[ChatSummary]:
        """Chats, most recently updated first; ``query`` matches title or text (case-insensitive)."""
        sql = "SELECT id, title, created, updated, n_messages FROM chats"
        params: list[object] = []
        if query and query.strip():
            like = (
                "%"
                + query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                + "%"
            )
            sql += " WHERE title LIKE ? ESCAPE '\\' OR search_text LIKE ? ESCAPE '\\'"
            params += [like, like]
        sql += " ORDER BY updated DESC, id DESC LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [
            ChatSummary(r["id"], r["title"], r["created"], r["updated"], r["n_messages"])
            for r in rows
        ]

    def search(self, query: str) -> list[ChatSummary]:
        return self.list(query)

    def latest(self) -> int | None:
        chats = self.list(limit=1)
        return chats[0].id if chats else None

    def rename(self, chat_id: int, title: str) -> bool:
        with self._lock:
            cur = self._db.execute("UPDATE chats SET title=? WHERE id=?", (title, chat_id))
            self._db.commit()
            return cur.rowcount > 0

    def delete(self, chat_id: int) -> bool:
        with self._lock:
            cur = self._db.execute("DELETE FROM chats WHERE id=?", (chat_id,))
            self._db.commit()
            return cur.rowcount > 0
