"""Corrupt and non-regular persisted files: the memory store, the chat database and run folders
set bad content aside under a dated name (byte for byte), start clean, say so once, never crash
and never hang."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from aether_core.fsutil import JOURNAL, atomic_group, recover_group
from aether_core.memory import ENTRIES_FILE, VECTORS_FILE, VectorMemory
from aether_core.segments import Message, SegmentError
from aether_core.train.runs import find_runs
from aether_tui.store import ChatStore

FACTS = ["my sister lives in Lyon", "I have two cats", "the wifi password is in the drawer"]


def lying_npy(shape: tuple[int, ...]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": shape}
    )
    return buf.getvalue() + b"\0" * 64


@pytest.fixture
def store(tmp_path: Path) -> Path:
    mem = VectorMemory.open(tmp_path / "memory")
    for fact in FACTS:
        mem.add(fact)
    return tmp_path / "memory"


@pytest.mark.parametrize(
    "damage",
    [lambda p: p.write_bytes(lying_npy((10**6, 10**6))),
     lambda p: p.write_bytes(lying_npy((3, 10**12))),
     lambda p: p.write_bytes(b"\x93NUMPY garbage"),
     lambda p: (p.unlink(), os.mkfifo(p))],
    ids=["huge-shape", "huge-dim", "garbage", "fifo"],
)  # fmt: skip
def test_bad_vectors_are_set_aside_and_rebuilt_from_text(store: Path, damage) -> None:
    path = store / VECTORS_FILE
    damage(path)
    original = None if not path.is_file() else path.read_bytes()
    mem = VectorMemory.open(store)
    assert [e.text for e in mem.list()] == FACTS  # nothing the user had is lost
    assert mem.search("where does my sister live?", k=1)[0][0].text == FACTS[0]
    assert mem.warning and "rebuilt 3 from text" in mem.warning and "\n" not in mem.warning
    (kept,) = store.glob(f"{VECTORS_FILE}.corrupt-*")
    if original is not None:
        assert kept.read_bytes() == original
    again = VectorMemory.open(store)  # told once: the next start is clean
    assert again.warning is None and len(again) == 3


@pytest.mark.parametrize(
    "content",
    [b"{", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b'{"schema": 1, "entries": 5}'],
    ids=["truncated", "binary", "deep", "wrong-shape"],
)
def test_bad_entries_are_set_aside_byte_for_byte(store: Path, content: bytes) -> None:
    (store / ENTRIES_FILE).write_bytes(content)
    mem = VectorMemory.open(store)
    assert len(mem) == 0 and mem.warning and "starting empty" in mem.warning
    (kept,) = store.glob(f"{ENTRIES_FILE}.corrupt-*")
    assert kept.read_bytes() == content
    assert list(store.glob(f"{VECTORS_FILE}.corrupt-*"))  # its vectors kept beside it
    mem.add("a new fact after the damage")
    assert [e.text for e in VectorMemory.open(store).list()] == ["a new fact after the damage"]


def test_entries_fifo_does_not_hang(store: Path) -> None:
    (store / ENTRIES_FILE).unlink()
    os.mkfifo(store / ENTRIES_FILE)
    mem = VectorMemory.open(store)
    assert len(mem) == 0 and "not a regular file" in mem.warning


# ------------------------------------------------------------------------------ chat database
def saved_chats(path: Path) -> ChatStore:
    db = ChatStore(path)
    db.save(None, [Message.text("user", "hello"), Message.text("assistant", "hi there")])
    db.save(None, [Message.text("user", "second chat")])
    return db


@pytest.mark.parametrize(
    "damage",
    [lambda p: p.write_bytes(b"this is not a database at all" * 100),
     lambda p: p.write_bytes(p.read_bytes()[:100] + os.urandom(4096) + p.read_bytes()[4196:]),
     lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
     lambda p: (p.unlink(), os.mkfifo(p))],
    ids=["foreign", "scrambled-pages", "truncated", "fifo"],
)  # fmt: skip
def test_unreadable_chat_db_is_set_aside_and_the_app_can_start(tmp_path: Path, damage) -> None:
    path = tmp_path / "chats.sqlite3"
    saved_chats(path).close()
    damage(path)
    original = path.read_bytes() if path.is_file() else None
    store = ChatStore(path)  # never raises
    assert store.warning and "set aside as chats.sqlite3.corrupt-" in store.warning
    assert "\n" not in store.warning and store.list() == []
    (kept,) = tmp_path.glob("chats.sqlite3.corrupt-*")
    if original is not None:
        assert kept.read_bytes() == original
    store.save(None, [Message.text("user", "a fresh start")])
    store.close()
    assert ChatStore(path).warning is None  # said once


def test_a_damaged_chat_is_a_one_line_error_and_the_others_load(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    saved_chats(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE chats SET tokens = ? WHERE id = 1", (b"\x01\x02\x03",))  # odd length
    db.execute("UPDATE chats SET tokens = ? WHERE id = 2", (b"\xff\xff" * 10,))  # not segments
    db.commit()
    db.close()
    store = ChatStore(path)
    for chat_id in (1, 2):
        with pytest.raises(SegmentError) as info:
            store.load_messages(chat_id)
        assert "\n" not in str(info.value)
    assert len(store.list()) == 2  # nothing was dropped


# ------------------------------------------------------------------------------ commits, runs
def test_a_torn_commit_journal_leaves_the_old_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("old a")
    with atomic_group(tmp_path) as stage:
        stage("a").write_text("new a")
    assert (tmp_path / "a").read_text() == "new a"
    (tmp_path / ".staging").mkdir()
    (tmp_path / ".staging" / "a").write_text("half")  # a save killed before its commit point
    (tmp_path / JOURNAL).write_text('{"files": [')  # and a journal that is not one
    recover_group(tmp_path)
    assert (tmp_path / "a").read_text() == "new a"
    assert list(tmp_path.glob(f"{JOURNAL}.corrupt-*"))
    with atomic_group(tmp_path) as stage:  # the next save starts clean
        stage("a").write_text("newer a")
    kept = [p.name for p in tmp_path.iterdir() if not p.name.startswith(f"{JOURNAL}.corrupt-")]
    assert kept == ["a"] and (tmp_path / "a").read_text() == "newer a"  # .staging cleared


def test_unreadable_runs_are_reported_not_skipped_silently(tmp_path: Path) -> None:
    for name, content in (("good", {"stage": "lm"}), ("deep", None), ("list", [1])):
        (tmp_path / name).mkdir()
        text = "[" * 100_000 + "]" * 100_000 if content is None else json.dumps(content)
        (tmp_path / name / "run.json").write_text(text)
    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / "run.json")
    os.mkfifo(tmp_path / "good" / "metrics.jsonl")
    problems: list[str] = []
    runs = find_runs(tmp_path, problems)
    assert [r.name for r in runs] == ["good"]
    assert len(problems) == 3 and all("run.json: unreadable" in p for p in problems), problems
    assert all("\n" not in p for p in problems)
