from __future__ import annotations

import random

import pytest

from aether_core.data.phrasing import Style, fix_articles, held_out, norm_split, realize, typo


def test_held_out_partitions_lists_deterministically():
    items = list(range(23))
    train, ev = held_out(items, "train"), held_out(items, "eval")
    assert sorted(train + ev) == items and not set(train) & set(ev)
    assert ev == [4, 9, 14, 19] and held_out(items, "val") == ev
    with pytest.raises(ValueError):
        norm_split("dev")


def test_verbatim_slots_survive_every_variation():
    noisy = Style(typo=1.0, lower=0.5, upper=0.3, capitalize=0.2, greeting=0.5, polite=1.0,
                  suffix=1.0, punct=1.0)  # fmt: skip
    rng = random.Random(0)
    outs = set()
    for _ in range(500):
        text = "ThIs Is ODD, ok?!"
        out = realize(
            "please repeat this exactly: {text}",
            {"text": text},
            rng,
            verbatim=("text",),
            imperative=True,
            style=noisy,
        )
        assert out.endswith(": " + text)  # nothing is appended after a verbatim slot at the end
        outs.add(out)
    assert len(outs) > 30


def test_variation_changes_case_punctuation_and_fillers():
    rng = random.Random(1)
    outs = [realize("What is the time in {place}?", {"place": "Paris"}, rng) for _ in range(400)]
    assert any(o.islower() for o in outs) and any(o.isupper() for o in outs)
    assert any(not o.endswith("?") for o in outs)
    assert any(o.startswith(("hey", "Hey", "hi", "Hi")) for o in outs)
    assert sum(o == "What is the time in Paris?" for o in outs) > 100  # mostly clean


def test_typos_are_small():
    rng = random.Random(2)
    for _ in range(200):
        word = "calculate"
        t = typo(word, rng)
        assert t[0] == "c" and abs(len(t) - len(word)) <= 1


def test_fix_articles():
    assert fix_articles("draw a orange circle on a blue background") == (
        "draw an orange circle on a blue background"
    )
