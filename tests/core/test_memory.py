"""VectorMemory: search, eviction, persistence, corruption handling, threads; extract_fact."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np
import pytest

from aether_core.agent.agent import AgentConfig
from aether_core.errors import AetherError
from aether_core.memory import (
    ENTRIES_FILE,
    VECTORS_FILE,
    EmbedderMismatchError,
    HashedNgramEmbedder,
    MemoryStoreError,
    VectorMemory,
    extract_fact,
)

FACTS = [
    "my sister lives in Lyon",
    "my sister's birthday is on May 3rd",
    "my brother plays the guitar",
    "I work as a nurse at the city hospital",
    "my dog is named Rex",
    "my favorite color is green",
    "I am allergic to peanuts",
    "my car is a blue Toyota",
    "I was born in 1990",
    "my wife likes jazz music",
    "the wifi password is stored in the drawer",
    "I live in Paris",
    "my mother lives in Marseille",
    "I have two cats",
    "my favourite food is sushi",
    "I go running every morning",
    "my son studies physics at university",
    "my phone number ends in 42",
    "I prefer tea over coffee",
    "my best friend is called Tom",
    "the meeting with Anna is on Friday",
    "I speak French and English",
]


def test_embedder_is_deterministic_normalised_and_stable() -> None:
    emb = HashedNgramEmbedder()
    a = emb.embed(["My sister lives in Lyon!", "my sister lives in lyon"])
    assert a.dtype == np.float32 and a.shape == (2, emb.dim)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(a[0], a[1])  # case and punctuation do not matter
    assert np.all(emb.embed([""]) == 0) and np.all(emb.embed(["?!"]) == 0)
    # Stable across processes: the hash is blake2b, so this fingerprint never changes.
    assert int(np.argmax(np.abs(emb.embed(["lyon"])[0]))) == int(
        np.argmax(np.abs(HashedNgramEmbedder().embed(["lyon"])[0]))
    )
    assert isinstance(emb.name, str) and emb.name != HashedNgramEmbedder(min_n=2).name


_SAME_WORDS = 0.3  # a question in the fact's own words scores well above the agent's threshold


@pytest.mark.parametrize(
    ("query", "expected", "min_score"),
    [
        ("where does my sister live?", "my sister lives in Lyon", _SAME_WORDS),
        ("when is my sister's birthday?", "my sister's birthday is on May 3rd", _SAME_WORDS),
        ("what is my dog called?", "my dog is named Rex", _SAME_WORDS),
        ("what instrument does my brother play", "my brother plays the guitar", _SAME_WORDS),
        ("what am I allergic to", "I am allergic to peanuts", _SAME_WORDS),
        ("who is my best friend", "my best friend is called Tom", _SAME_WORDS),
        ("what's the wifi password", "the wifi password is stored in the drawer", _SAME_WORDS),
        # other words for the same thing (and US/UK spelling): found, and recalled by the agent
        ("what's my favourite colour?", "my favorite color is green", None),
        ("which dish do I like most?", "my favourite food is sushi", None),
        ("where was I born?", "I was born in 1990", None),
        ("what vehicle do I drive?", "my car is a blue Toyota", None),
        ("what's my home town?", "I live in Paris", None),
        ("what does my son learn?", "my son studies physics at university", None),
    ],
)
def test_recall_with_distractors(query: str, expected: str, min_score: float | None) -> None:
    mem = VectorMemory()
    for f in FACTS:
        mem.add(f)
    (top, score), *_ = mem.search(query, k=3)
    if min_score is None:
        assert top.text == expected and score >= AgentConfig.memory_min_score
    else:
        assert top.text == expected and score > min_score


def test_an_older_model_free_store_is_re_embedded_on_open(tmp_path: Path) -> None:
    VectorMemory.open(tmp_path).add("I work as a baker")
    doc = json.loads((tmp_path / ENTRIES_FILE).read_text())
    doc["embedder"]["name"] = "hashed-ngram-v1:n3-5:sw0.2:ng1"  # as an earlier release wrote it
    (tmp_path / ENTRIES_FILE).write_text(json.dumps(doc))
    mem = VectorMemory.open(tmp_path)
    assert mem.mismatch is None and mem.search("what's my job?")[0][0].text == "I work as a baker"
    stored = json.loads((tmp_path / ENTRIES_FILE).read_text())["embedder"]["name"]
    assert stored == HashedNgramEmbedder().name


def test_add_get_forget_clear_and_dedup() -> None:
    mem = VectorMemory()
    a = mem.add("my sister lives in Lyon", meta={"source": "chat"})
    assert len(a.id) == 8 and int(a.id, 16) >= 0
    assert a.kind == "fact" and a.meta == {"source": "chat"} and a.created > 0
    b = mem.add("I have two cats", kind="summary")
    again = mem.add("My sister  lives in Lyon", kind="fact")  # same text: refreshed, moved last
    assert again.id == a.id and len(mem) == 2
    assert [e.id for e in mem.list()] == [b.id, a.id]
    assert mem.get(a.id) == again and mem.get("nope") is None
    assert mem.forget(b.id) and not mem.forget(b.id)
    assert [e.text for e in mem.list()] == ["My sister  lives in Lyon"]
    mem.clear()
    assert len(mem) == 0 and mem.search("sister") == []


def test_ids_are_stable_across_stores() -> None:
    assert VectorMemory().add("I like tea").id == VectorMemory().add("I like tea").id


def test_bad_input_is_a_clear_error() -> None:
    mem = VectorMemory()
    for bad in [lambda: mem.add("   "), lambda: mem.add("x", kind="Bad Kind")]:
        with pytest.raises(MemoryStoreError):
            bad()
    with pytest.raises(MemoryStoreError, match="JSON"):
        mem.add("fact", meta={"x": object()})
    with pytest.raises(MemoryStoreError):
        VectorMemory(capacity=0)


def test_search_k_min_score_and_no_zero_scores() -> None:
    mem = VectorMemory()
    for f in FACTS:
        mem.add(f)
    assert len(mem.search("my sister", k=2)) == 2
    assert mem.search("sister", k=0) == []
    assert all(s >= 0.5 for _, s in mem.search("sister lives", k=10, min_score=0.5))
    # Nothing shared: only hash-collision noise, well under any sensible threshold.
    assert all(s < 0.15 for _, s in mem.search("zzqx vvkj", k=30))
    assert mem.search("zzqx vvkj", k=5, min_score=0.2) == []
    assert mem.search("?!", k=5) == []  # no features at all
    scores = [s for _, s in mem.search("my sister lives", k=10)]
    assert scores == sorted(scores, reverse=True)


def test_capacity_evicts_oldest_first() -> None:
    mem = VectorMemory(capacity=3)
    for i in range(5):
        mem.add(f"fact number {i} about thing{i}")
    assert [e.text for e in mem.list()] == [f"fact number {i} about thing{i}" for i in (2, 3, 4)]
    assert mem.search("thing0") == [] or mem.search("thing0")[0][0].text != "fact number 0"
    mem.add("fact number 2 about thing2")  # refresh keeps it from being next to go
    mem.add("a brand new fact")
    assert [e.text for e in mem.list()][0] == "fact number 4 about thing4"


def test_persist_and_reload(tmp_path: Path) -> None:
    store = tmp_path / "mem"
    mem = VectorMemory.open(store)
    a = mem.add("my sister lives in Lyon", meta={"turn": 3})
    mem.add("I have two cats", kind="summary")
    mem.forget(mem.list()[1].id)
    assert (store / ENTRIES_FILE).exists() and (store / VECTORS_FILE).exists()
    doc = json.loads((store / ENTRIES_FILE).read_text())
    assert doc["schema"] == 1 and doc["count"] == 1 and doc["embedder"]["dim"] == 1024
    vecs = np.load(store / VECTORS_FILE, allow_pickle=False)
    assert vecs.dtype == np.float32 and vecs.shape == (1, 1024)

    again = VectorMemory.open(store)
    assert again.warning is None and again.list() == [a]
    assert again.list()[0].meta == {"turn": 3} and again.list()[0].created == a.created
    assert again.search("where does my sister live")[0][0].id == a.id
    assert not list(store.glob(".*tmp"))  # no temp files left behind


def test_autosave_off_needs_save(tmp_path: Path) -> None:
    mem = VectorMemory.open(tmp_path, autosave=False)
    mem.add("my sister lives in Lyon")
    assert not (tmp_path / ENTRIES_FILE).exists()
    mem.save()
    assert len(VectorMemory.open(tmp_path)) == 1


def test_capacity_applies_on_load(tmp_path: Path) -> None:
    mem = VectorMemory.open(tmp_path)
    for i in range(4):
        mem.add(f"memory {i} of four")
    small = VectorMemory.open(tmp_path, capacity=2)
    assert [e.text for e in small.list()] == ["memory 2 of four", "memory 3 of four"]


def test_corrupt_json_is_set_aside_not_emptied(tmp_path: Path, caplog) -> None:
    VectorMemory.open(tmp_path).add("my sister lives in Lyon")
    (tmp_path / ENTRIES_FILE).write_text('{"schema": 1, "entries": [', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="aether_core.memory"):
        mem = VectorMemory.open(tmp_path)
    assert len(mem) == 0
    assert mem.warning and "corrupt" in mem.warning and "set aside" in mem.warning
    assert any("corrupt" in r.message for r in caplog.records)
    aside = sorted(p.name for p in tmp_path.glob("*.corrupt-*"))
    assert len(aside) == 2 and aside[0].startswith(ENTRIES_FILE)
    bad = next(tmp_path.glob(f"{ENTRIES_FILE}.corrupt-*"))
    assert bad.read_text() == '{"schema": 1, "entries": ['  # kept byte for byte
    mem.add("a new fact")  # the store works again and a second corruption gets its own name
    assert len(VectorMemory.open(tmp_path)) == 1


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: np.save(p, np.zeros((5, 1024), np.float32)),  # count mismatch
        lambda p: np.save(p, np.zeros((2, 7), np.float32)),  # dim mismatch
        lambda p: np.save(p, np.zeros((2, 1024), np.float64)),  # dtype
        lambda p: p.write_bytes(p.read_bytes()[:100]),  # truncated
        lambda p: p.unlink(),  # missing
    ],
)
def test_mismatched_vectors_set_aside_and_rebuilt(tmp_path: Path, damage) -> None:
    mem = VectorMemory.open(tmp_path)
    mem.add("my sister lives in Lyon")
    mem.add("I have two cats")
    damage(tmp_path / VECTORS_FILE)
    again = VectorMemory.open(tmp_path)
    assert again.warning and "vectors" in again.warning and "rebuilt 2" in again.warning
    assert [e.text for e in again.list()] == ["my sister lives in Lyon", "I have two cats"]
    assert again.search("where does my sister live")[0][0].text == "my sister lives in Lyon"
    if (tmp_path / f"{VECTORS_FILE}").exists():
        third = VectorMemory.open(tmp_path)  # the repaired store was saved
        assert third.warning is None and len(third) == 2


def test_bad_entries_are_corruption(tmp_path: Path) -> None:
    VectorMemory.open(tmp_path).add("my sister lives in Lyon")
    doc = json.loads((tmp_path / ENTRIES_FILE).read_text())
    doc["entries"][0]["created"] = "yesterday"
    (tmp_path / ENTRIES_FILE).write_text(json.dumps(doc))
    mem = VectorMemory.open(tmp_path)
    assert len(mem) == 0 and mem.warning and "malformed entry" in mem.warning


def test_newer_schema_is_refused_not_set_aside(tmp_path: Path) -> None:
    VectorMemory.open(tmp_path).add("x y")
    doc = json.loads((tmp_path / ENTRIES_FILE).read_text())
    doc["schema"] = 99
    (tmp_path / ENTRIES_FILE).write_text(json.dumps(doc))
    with pytest.raises(MemoryStoreError, match="newer"):
        VectorMemory.open(tmp_path)
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_embedder_mismatch_refused_until_reindex(tmp_path: Path) -> None:
    VectorMemory.open(tmp_path).add("my sister lives in Lyon")
    other = HashedNgramEmbedder(dim=256)
    mem = VectorMemory.open(tmp_path, embedder=other)
    assert mem.mismatch and len(mem) == 1  # listing still works
    with pytest.raises(EmbedderMismatchError, match="refusing to mix"):
        mem.search("sister")
    with pytest.raises(AetherError):
        mem.add("another fact")
    mem.forget("nope")  # still usable for maintenance; keeps the old space on disk
    assert VectorMemory.open(tmp_path).mismatch is None
    mem.reindex()
    assert mem.mismatch is None and mem.search("sister")[0][0].text == "my sister lives in Lyon"
    assert json.loads((tmp_path / ENTRIES_FILE).read_text())["embedder"]["dim"] == 256


def test_custom_embedder_protocol_and_validation() -> None:
    class Bad:
        name, dim = "bad", 4

        def embed(self, texts):
            return np.ones((len(texts), 3))

    with pytest.raises(MemoryStoreError, match="shape"):
        VectorMemory(embedder=Bad()).add("hello there")


def test_redactor_applied_before_storing() -> None:
    from aether_core.redact import Redactor

    mem = VectorMemory(redactor=Redactor())
    e = mem.add("my api_key = sk-abcdefghijklmnopqrstuvwxyz123456")
    assert "sk-abc" not in e.text and "[REDACTED]" in e.text


def test_thread_safety_smoke(tmp_path: Path) -> None:
    mem = VectorMemory.open(tmp_path, capacity=50, autosave=False)
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            for i in range(40):
                e = mem.add(f"thread {t} fact {i}")
                if i % 3 == 0:
                    mem.forget(e.id)
        except BaseException as ex:  # pragma: no cover - reported below
            errors.append(ex)

    def reader() -> None:
        try:
            for _ in range(60):
                mem.list()
                mem.search("thread fact", k=3)
                len(mem)
        except BaseException as ex:  # pragma: no cover
            errors.append(ex)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(3)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(mem) <= 50 and len(mem._vecs) == len(mem)
    mem.save()
    assert len(VectorMemory.open(tmp_path)) == len(mem)


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("Remember that my sister lives in Lyon.", "my sister lives in Lyon"),
        ("remember: My sister lives in Lyon!", "my sister lives in Lyon"),
        ("Please remember my sister lives in Lyon", "my sister lives in Lyon"),
        ("please remember that the meeting is at 3pm, thanks!", "the meeting is at 3pm"),
        ("Don't forget that I'm allergic to peanuts", "I'm allergic to peanuts"),
        ("don\u2019t forget: I\u2019m vegan", "I\u2019m vegan".replace("\u2019", "'")),
        ("do not forget that Alice is my manager", "Alice is my manager"),
        ("Note that our office moved to Berlin.", "our office moved to Berlin"),
        ("note: the code is 1234", "the code is 1234"),
        ("REMEMBER THAT MY CAR IS RED", "MY CAR IS RED"),
        (
            "Hey Aether, remember that I live in St. Louis. What's the weather?",
            "I live in St. Louis",
        ),
        ("Can you remember that my son is 12?", "my son is 12"),
        ('remember, "the spare key is under the mat"', "the spare key is under the mat"),
        ("  remember   that   I   like   tea  ", "I   like   tea"),
    ],
)
def test_extract_fact(text: str, fact: str) -> None:
    assert extract_fact(text) == fact


@pytest.mark.parametrize(
    "text",
    [
        "",
        "what is the weather in Lyon?",
        "remember to buy milk",
        "don't forget to call mom",
        "do you remember my sister?",
        "remember when we went to Paris?",
        "remember that time we met?",
        "remember:",
        "remember that",
        "note to self: buy milk",
        "I remember that my sister lives in Lyon",
        "Please tell me a joke",
    ],
)
def test_extract_fact_rejects(text: str) -> None:
    assert extract_fact(text) is None


def test_vectors_without_entries_are_set_aside(tmp_path: Path) -> None:
    np.save(tmp_path / VECTORS_FILE, np.zeros((3, 1024), np.float32))
    mem = VectorMemory.open(tmp_path)
    assert len(mem) == 0 and mem.warning and f"no {ENTRIES_FILE}" in mem.warning
    assert list(tmp_path.glob(f"{VECTORS_FILE}.corrupt-*"))


def test_empty_store_adopts_any_embedder(tmp_path: Path) -> None:
    mem = VectorMemory.open(tmp_path)
    mem.add("x y")
    mem.clear()
    other = VectorMemory.open(tmp_path, embedder=HashedNgramEmbedder(dim=128))
    assert other.warning is None and other.mismatch is None
    assert other.add("hello world").text == "hello world"


def test_meta_is_copied() -> None:
    meta = {"tags": ["a"]}
    e = VectorMemory().add("a fact here", meta=meta)
    meta["tags"].append("b")
    assert e.meta == {"tags": ["a"]}


def test_extract_fact_understands_every_way_the_training_data_states_a_fact() -> None:
    """The agent stores what the model was trained to acknowledge: every store phrasing."""
    from aether_core.data.skills.memory import STORE_TEMPLATES

    for fact in ("my sister lives in Lyon", "I drive an old Volvo", "my cat is called Miso"):
        for template in STORE_TEMPLATES:
            assert extract_fact(template.format(fact=fact)) == fact, template


def test_the_agent_recalls_only_memories_near_the_best_ones_score() -> None:
    from aether_core.agent.agent import AetherAgent
    from aether_core.agent.approval import ApprovalPolicy
    from aether_core.agent.events import MemoryRecalled
    from aether_core.agent.policy import ScriptedPolicy
    from aether_core.segments import Text, Thought
    from aether_core.tools import default_registry

    mem = VectorMemory()
    for f in ("my favourite colour is mint green", "my favourite movie is Paddington"):
        mem.add(f)
    question = "Any idea which colour I like best?"
    scores = dict((e.text, s) for e, s in mem.search(question, k=3))
    assert len(scores) == 2  # both are found, the movie well below the colour
    agent = AetherAgent(
        ScriptedPolicy([[Thought(b"Answer from memory."), Text(b"Mint green.")]]),
        default_registry(),
        approval=ApprovalPolicy.from_spec("all"),
        memory=mem,
        config=AgentConfig(split_requests=False),
    )
    (recalled,) = [e for e in agent.run(question) if isinstance(e, MemoryRecalled)]
    assert [text for _, text, _ in recalled.entries] == ["my favourite colour is mint green"]
    share = scores["my favourite movie is Paddington"] / scores["my favourite colour is mint green"]
    assert share < AgentConfig.memory_share
