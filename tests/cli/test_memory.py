"""`aether memory list|search|forget|clear` through aether_core.cli.main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aether_core.cli import main
from aether_core.memory import ENTRIES_FILE, VectorMemory


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AETHER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


@pytest.fixture()
def store(data_dir: Path) -> VectorMemory:
    mem = VectorMemory.open()  # the default store, under AETHER_DATA_DIR
    mem.add("my sister lives in Lyon")
    mem.add("I have two cats", kind="summary")
    mem.add("my dog is named Rex")
    return mem


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["memory", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_list_table_and_json(store: VectorMemory, capsys) -> None:
    rc, out, _ = run(capsys, "list")
    assert rc == 0 and "my sister lives in Lyon" in out and store.list()[0].id in out
    rc, out, _ = run(capsys, "list", "--json")
    rows = json.loads(out)
    assert rc == 0 and [r["text"] for r in rows] == [e.text for e in store.list()]
    assert set(rows[0]) == {"id", "text", "kind", "created", "meta"}
    rc, out, _ = run(capsys, "list", "--json", "--kind", "summary")
    assert [r["text"] for r in json.loads(out)] == ["I have two cats"]


def test_empty_store(data_dir: Path, capsys) -> None:
    rc, out, _ = run(capsys, "list")
    assert rc == 0 and "no memories" in out
    assert json.loads(run(capsys, "list", "--json")[1]) == []


def test_search(store: VectorMemory, capsys) -> None:
    rc, out, _ = run(capsys, "search", "where does my sister live?", "--json", "-k", "2")
    hits = json.loads(out)
    assert rc == 0 and hits[0]["text"] == "my sister lives in Lyon" and 0 < hits[0]["score"] <= 1
    assert len(hits) <= 2
    rc, out, _ = run(capsys, "search", "sister")
    assert rc == 0 and "Lyon" in out and "score" in out
    rc, _, err = run(capsys, "search", "sister", "-k", "0")
    assert rc == 2 and "-k" in err


def test_forget_by_id_and_prefix(store: VectorMemory, capsys) -> None:
    sister, cats, _dog = store.list()
    rc, out, _ = run(capsys, "forget", sister.id)
    assert rc == 0 and "forgot" in out and "Lyon" in out
    rc, out, _ = run(capsys, "forget", cats.id[:5], "--json")
    assert rc == 0 and json.loads(out)["forgotten"]["id"] == cats.id
    assert [e.text for e in VectorMemory.open().list()] == ["my dog is named Rex"]
    rc, _, err = run(capsys, "forget", "deadbeef")
    assert rc == 1 and "no memory with id" in err


def test_clear_needs_yes(store: VectorMemory, capsys) -> None:
    rc, _, err = run(capsys, "clear")
    assert rc == 2 and "--yes" in err and len(VectorMemory.open()) == 3
    rc, out, _ = run(capsys, "clear", "--yes")
    assert rc == 0 and "cleared 3 memories" in out and len(VectorMemory.open()) == 0


def test_store_option(tmp_path: Path, data_dir: Path, capsys) -> None:
    other = tmp_path / "elsewhere"
    VectorMemory.open(other).add("the spare key is under the mat")
    rc, out, _ = run(capsys, "list", "--json", "--store", str(other))
    assert rc == 0 and json.loads(out)[0]["text"] == "the spare key is under the mat"
    assert json.loads(run(capsys, "list", "--json")[1]) == []  # default store untouched


def test_corrupt_store_warns_and_sets_aside(store: VectorMemory, data_dir: Path, capsys) -> None:
    (data_dir / "memory" / ENTRIES_FILE).write_text("not json")
    rc, out, err = run(capsys, "list", "--json")
    assert rc == 0 and json.loads(out) == []
    assert "warning" in err and "corrupt" in err
    assert list((data_dir / "memory").glob(f"{ENTRIES_FILE}.corrupt-*"))


def test_no_action_is_usage_error(data_dir: Path, capsys) -> None:
    rc, _, err = run(capsys)
    assert rc == 2 and "list, search, forget or clear" in err
