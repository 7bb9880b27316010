"""Chat store (SQLite) and Markdown export; save and resume through the app."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from aether_core import segments
from aether_core.segments import File, Image, Message, Text, Thought, ToolCall, ToolResult
from aether_tui.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    ChatStore,
    blob_to_tokens,
    tokens_to_blob,
)
from aether_tui.transcript import to_markdown
from aether_tui.widgets.chat import AssistantMessage, UserMessage
from tests.tui.helpers import ready, send, settle


def sample_conversation() -> list[Message]:
    return [
        Message.text("system", "be brief"),
        Message("user", (Image(bytes(range(128))), File("a.bin", "bin", b"\x00\x01"), Text(b"hi"))),
        Message(
            "assistant",
            (Thought(b"use calc"), ToolCall.make("calc", {"expr": "1+1"})),
        ),
        Message("tool", (ToolResult.make(True, "2"),)),
        Message("assistant", (Text(b"it is **2**"),)),
    ]


def test_blob_round_trip():
    tokens = segments.encode(sample_conversation())
    assert max(tokens) > 255
    blob = tokens_to_blob(tokens)
    assert len(blob) == 2 * len(tokens)
    assert blob_to_tokens(blob) == tokens


def test_save_list_rename_delete_search(store: ChatStore):
    conv = sample_conversation()
    a = store.save(None, conv)
    b = store.save(None, [Message.text("user", "second chat about cats")], title="Cats")
    assert store.get(a).title == "hi"
    assert store.load_messages(a) == segments.canonical(conv)
    assert segments.encode(store.load_messages(a)) == segments.encode(conv)
    assert [c.id for c in store.list()] == [b, a]  # most recent first
    assert store.latest() == b
    assert [c.id for c in store.search("cats")] == [b]
    assert [c.id for c in store.search("it is")] == [a]  # matches text, not just titles
    assert store.search("100%") == []
    assert store.rename(a, "Renamed")
    assert store.get(a).title == "Renamed"
    # updating keeps the id and moves it to the top
    store.save(a, conv + [Message.text("user", "more")])
    assert store.latest() == a and store.list()[0].n_messages == len(conv) + 1
    assert store.delete(b) and not store.delete(b)
    assert [c.id for c in store.list()] == [a]
    assert store.get(b) is None


def test_schema_versions_and_migration(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    # a database at schema v1 (before search_text existed)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO schema_version VALUES (1)")
    blob = tokens_to_blob(segments.encode([Message.text("user", "old")]))
    db.execute(
        "INSERT INTO chats (title, created, updated, tokens) VALUES (?, ?, ?, ?)",
        ("old chat", 1.0, 2.0, blob),
    )
    db.commit()
    db.close()
    store = ChatStore(path)
    assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    chats = store.list()
    assert [c.title for c in chats] == ["old chat"]
    assert store.load_messages(chats[0].id)[0].plain_text == "old"
    store.close()
    # a newer schema than this code knows is refused rather than corrupted
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_version VALUES (99)")
    db.commit()
    db.close()
    with pytest.raises(RuntimeError, match="newer"):
        ChatStore(path)


def test_markdown_export():
    md = to_markdown(sample_conversation(), "Test chat")
    assert md.startswith("# Test chat\n")
    assert "## You" in md and "## Aether" in md and "## Tool" in md
    assert "> use calc" in md
    assert '"expr": "1+1"' in md
    assert "it is **2**" in md
    assert "[image: 128 VQ codes]" in md and "a.bin" in md


async def test_autosave_and_resume(make_app, store: ChatStore):
    app, factory = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "remember this")
        await send(pilot, "and this")
        chat_id = app.chat_id
        assert chat_id is not None
        conversation = factory.agent.conversation
    saved = store.load_messages(chat_id)
    assert segments.encode(saved) == segments.encode(conversation)
    assert store.get(chat_id).title == "remember this"

    # aether-tui --resume (no id: the most recent)
    app2, factory2 = make_app(resume="latest")
    async with app2.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await settle(pilot)
        agent = factory2.agent
        assert segments.encode(agent.conversation) == segments.encode(conversation)
        assert app2.chat_id == chat_id
        users = [u.text for u in app2.main.chat.query(UserMessage)]
        answers = [a.source for a in app2.main.chat.query(AssistantMessage)]
        assert users == ["remember this", "and this"]
        assert answers == ["You said: **remember this**", "You said: **and this**"]
        assert [t.text for t in app2.main.thoughts.steps(1)] == ["Echo it."]
        # the next turn continues the same stored chat
        await send(pilot, "third")
        assert app2.chat_id == chat_id
        assert len(store.load_messages(chat_id)) == len(conversation) + 2


async def test_resume_by_id_and_export(make_app, store: ChatStore, tmp_path: Path):
    chat_id = store.save(None, sample_conversation(), title="Stored")
    store.save(None, [Message.text("user", "newer")])
    app, factory = make_app(resume=chat_id)
    async with app.run_test(size=(140, 45)) as pilot:
        await ready(pilot)
        await settle(pilot)
        assert app.chat_id == chat_id
        assert app.main.tools.calls and next(iter(app.main.tools.calls.values())).output == "2"
        out = tmp_path / "export.md"
        await send(pilot, f"/export {out}", wait=False)
        text = out.read_text()
        assert text.startswith("# Stored") and "it is **2**" in text
        await send(pilot, "/export", wait=False)
        exports = list((Path(tmp_path) / "data" / "exports").glob("*.md"))
        assert len(exports) == 1
        await send(pilot, "/save New title", wait=False)
        assert store.get(chat_id).title == "New title"
        await send(pilot, "/load 424242", wait=False)
        assert app.chat_id == chat_id
