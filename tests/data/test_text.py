from __future__ import annotations

import random

import pytest

from aether_core.data.text import TextDataError, TextSource, read_text_split, text_files


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "a.txt").write_bytes(bytes(range(32, 127)) * 20)  # 1900 bytes
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.md").write_text("# title\n" + "hello world\n" * 50)
    (sub / "skip.bin").write_bytes(b"\x00" * 10)
    return tmp_path


def test_split_is_first_90_last_10_percent(tmp_path):
    f = tmp_path / "t.txt"
    data = bytes(i % 251 for i in range(1000))
    f.write_bytes(data)
    train, val = read_text_split(f, "train"), read_text_split(f, "val")
    assert train == data[:900] and val == data[900:]
    assert read_text_split(str(f), "eval") == val


def test_folders_are_recursive_and_filtered(corpus):
    names = [p.name for p in text_files([corpus])]
    assert names == ["a.txt", "b.md"]
    with pytest.raises(TextDataError, match="no such file"):
        text_files([corpus / "missing.txt"])


def test_train_windows_are_random_slices_with_full_loss(corpus):
    src = TextSource([corpus], seq_len=64)
    train = src.split_bytes("train")
    exs = [e for e, _ in zip(src.examples(random.Random(0), "train"), range(50), strict=False)]
    for e in exs:
        assert len(e.tokens) == 65 and e.mask == [False] + [True] * 64
        assert bytes(e.tokens) in train
        assert all(t < 256 for t in e.tokens)  # raw bytes: no BOS, no roles
    assert len({tuple(e.tokens) for e in exs}) > 40
    again = [e.tokens for e, _ in zip(src.examples(random.Random(0)), range(50), strict=False)]
    assert again == [e.tokens for e in exs]


def test_val_windows_are_sequential_and_cover_the_split(corpus):
    src = TextSource([corpus], seq_len=32)
    val = src.split_bytes("val")
    exs = list(src.examples(random.Random(0), "val"))
    # consecutive windows overlapping by one byte: every byte after the first is a target once
    targets = b"".join(bytes(e.tokens[1:]) for e in exs)
    assert bytes(exs[0].tokens[:1]) + targets == val
    assert all(len(e.tokens) == 33 for e in exs[:-1])


def test_shakespeare_split_if_available():
    from pathlib import Path

    path = Path("/work/shared/data/tinyshakespeare.txt")
    if not path.exists():
        pytest.skip("tinyshakespeare not present")
    data = path.read_bytes()
    assert read_text_split(path, "train") == data[: int(len(data) * 0.9)]
