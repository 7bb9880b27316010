from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from aether_core.data import build_mixture, build_source, pack
from aether_core.data.base import Example
from aether_core.data.chat import ChatSource
from aether_core.data.mixture import DataSpecError, Mixture
from aether_core.data.synthetic import SyntheticSource
from aether_core.data.text import TextSource


class Tagged:
    """A source whose examples carry its tag; finite when ``n`` is given."""

    def __init__(self, tag: int, n: int | None = None) -> None:
        self.name, self.tag, self.n = f"t{tag}", tag, n

    def examples(self, rng, split="train"):
        k = 0
        while self.n is None or k < self.n:
            k += 1
            yield Example([self.tag, rng.randrange(256)], [False, True])


def test_weights_are_roughly_respected_and_seeded():
    mix = Mixture([(Tagged(1), 3.0), (Tagged(2), 1.0), (Tagged(3), 0.0)])
    exs = [e for e, _ in zip(mix.examples(random.Random(0)), range(4000), strict=False)]
    c = Counter(e.tokens[0] for e in exs)
    assert 2.7 < c[1] / c[2] < 3.3 and c[3] == 0
    again = [e.tokens for e, _ in zip(mix.examples(random.Random(0)), range(50), strict=False)]
    assert again == [e.tokens for e in exs[:50]]


def test_finite_sources_drop_out():
    mix = Mixture([(Tagged(1, n=5), 1.0), (Tagged(2, n=20), 1.0)])
    c = Counter(e.tokens[0] for e in mix.examples(random.Random(0), "val"))
    assert c == {1: 5, 2: 20}


def test_bad_mixtures():
    with pytest.raises(DataSpecError):
        Mixture([])
    with pytest.raises(DataSpecError, match="all zero"):
        Mixture([(Tagged(1), 0.0)])


@pytest.fixture
def files(tmp_path):
    (tmp_path / "t.txt").write_text("to be or not to be " * 100)
    conv = {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "thought": "Greeting, no tool.", "content": "Hello!"},
        ]
    }
    (tmp_path / "c.jsonl").write_text(json.dumps(conv) + "\n")
    return tmp_path


def test_build_source_types(files, fake_vq):
    assert isinstance(build_source({"type": "text", "paths": [str(files / "t.txt")], "seq_len": 32}),
                      TextSource)  # fmt: skip
    assert isinstance(build_source({"type": "chat", "path": str(files / "c.jsonl")}), ChatSource)
    syn = build_source({"type": "synthetic", "skills": ["arithmetic", "echo"],
                        "weights": {"echo": 2.0}, "multi_turn": 0.0})  # fmt: skip
    assert isinstance(syn, SyntheticSource) and syn.skills == ["arithmetic", "echo"]
    shapes = build_source({"type": "shapes", "image_pool": 8}, vq=fake_vq)
    assert shapes.skills == ["caption"]
    with pytest.raises(DataSpecError, match="unknown"):
        build_source({"type": "pictures"})
    with pytest.raises(DataSpecError, match=r"unknown option\(s\) pth"):
        build_source({"type": "chat", "pth": "x"})
    with pytest.raises(DataSpecError, match="needs 'path'"):
        build_source({"type": "chat"})


def test_build_mixture_from_config_tables_and_pack(files, fake_vq):
    specs = [
        {"type": "text", "paths": str(files / "t.txt"), "seq_len": 64, "weight": 1.0},
        {"type": "chat", "path": str(files / "c.jsonl"), "weight": 1.0, "val_fraction": 0.0},
        {"type": "synthetic", "weight": 2.0},
        {"type": "shapes", "weight": 0.5, "image_pool": 16},
    ]
    mix = build_mixture(specs, vq=fake_vq)
    assert len(mix.sources) == 4 and [w for _, w in mix.sources] == [1.0, 1.0, 2.0, 0.5]
    b = next(pack(mix.examples(random.Random(0), "train"), seq_len=256, batch_size=4))
    assert b.x.shape == (4, 256) and b.n_target_tokens > 200
    with pytest.raises(DataSpecError, match="weight must be a number"):
        build_mixture([{"type": "synthetic", "weight": "lots"}])
    with pytest.raises(DataSpecError, match="no data sources"):
        build_mixture([])
