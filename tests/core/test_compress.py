"""Model-driven arithmetic coding: exact round trips, size = model cross-entropy, raw fallback,
clear errors for corrupt, truncated or foreign streams; and the surprisal map."""

from __future__ import annotations

import random
import struct

import numpy as np
import pytest
import torch

from aether_core import compress as cz
from aether_core.checkpoint import save_checkpoint
from aether_core.cli import main
from aether_core.codec import arith, container, predict
from aether_core.compress import CompressError, Settings, byte_costs, compress, decompress
from aether_core.config import ModelConfig
from aether_core.model import build_model
from aether_core.surprise import heat, top_spans

WORDS = "the of and to in is was for on that with as by at from his her but not they".split()


def english(n: int, seed: int = 0) -> bytes:
    rng = random.Random(seed)
    out = []
    while sum(len(w) + 1 for w in out) < n:
        out.append(rng.choice(WORDS) + ("." if rng.random() < 0.1 else ""))
    return " ".join(out).encode()[:n]


def tiny(seed: int, sharpen: float = 20.0, max_seq_len: int = 64) -> torch.nn.Module:
    torch.manual_seed(seed)
    cfg = ModelConfig(dim=32, n_layers=1, n_heads=2, cross_attn=False, max_seq_len=max_seq_len)
    model = build_model(cfg).eval()
    with torch.no_grad():  # sharpen the distribution so sizes differ clearly from 8 bits/byte
        model.embed.weight.mul_(sharpen)
    return model


def fit_to_english(model: torch.nn.Module, steps: int) -> torch.nn.Module:
    """Fit ``model`` for a few seconds to word salad: it learns what English bytes look like."""
    data = torch.tensor(list(english(20_000, seed=1)))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(0, len(data) - 65, (16,), generator=gen)
        rows = torch.stack([data[i : i + 65] for i in idx.tolist()])
        logits = model(rows[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), rows[:, 1:].flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="module")
def trained() -> torch.nn.Module:
    """A tiny model fitted to word salad."""
    torch.manual_seed(0)
    return fit_to_english(
        build_model(ModelConfig(dim=48, n_layers=2, n_heads=4, cross_attn=False, max_seq_len=64)),
        150,
    )


def random_bytes(n: int, seed: int = 3) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"a",
        b"\x00",
        english(300),
        random_bytes(300),
        english(150) + random_bytes(90) + b"x" * 80,
    ],
    ids=["empty", "one", "nul", "text", "random", "mixed"],
)
def test_round_trip(data: bytes) -> None:
    model = tiny(0)
    assert decompress(model, compress(model, data, Settings(chunk=100, batch=2))) == data


def test_round_trip_many_chunks_batches_and_windows(trained: torch.nn.Module) -> None:
    data = english(2500, seed=5)  # 13 chunks of 200 in batches of 4; windows of 64 inside each
    blob = compress(trained, data, Settings(chunk=200, batch=4))
    assert decompress(trained, blob) == data
    assert len(blob) < len(data) * 0.6  # the fitted model really compresses


def test_size_matches_the_model_cross_entropy(trained: torch.nn.Module) -> None:
    data = english(1500, seed=7)
    settings = Settings(chunk=500, batch=3)
    bits = byte_costs(trained, data, settings)
    header, payload, raw = cz.read_header(compress(trained, data, settings))
    assert header["raw"] == [] and raw == b""
    assert abs(8 * len(payload) - bits.sum()) < 40  # one coder, flushed once
    assert bits.mean() < 4.0 and bits[0] == 8.0 and bits[500] == 8.0  # chunk starts cost 8 bits


def test_costs_follow_the_sliding_context(trained: torch.nn.Module) -> None:
    """Each byte costs what a full forward pass over its context gives: the whole chunk so far
    until the window is full, then a window that slides by half its length (as eval bpb does)."""
    data = english(300, seed=9)
    bits = byte_costs(trained, data, Settings(chunk=300, batch=1))
    W = trained.cfg.max_seq_len
    keep, pos, start = W // 2, 0, 0
    contexts = {}
    for i in range(len(data) - 1):  # feeding byte i predicts byte i + 1
        if pos == W:
            start, pos = i - (keep - 1), keep - 1
        pos += 1
        contexts[i + 1] = (start, i + 1)
    assert contexts[W] == (0, W) and contexts[W + 1] == (W - keep + 1, W + 1)
    with torch.inference_mode():
        for target in (1, 5, W - 1, W, W + 1, W + 2, W + keep, W + keep + 1, 299):
            a, b = contexts[target]
            assert keep <= b - a <= W or a == 0
            logits = trained(torch.tensor([list(data[a:b])]), last_only=True)[:, -1]
            cum = predict.cum_freqs(logits)[0]
            y = data[target]
            assert abs(bits[target] - np.log2(arith.FREQ_TOTAL / (cum[y + 1] - cum[y]))) < 0.01
    assert bits[0] == 8.0


def test_random_chunks_are_stored_raw(trained: torch.nn.Module) -> None:
    data = english(400, seed=2) + random_bytes(400)
    blob = compress(trained, data, Settings(chunk=400, batch=2))
    header, _, raw = cz.read_header(blob)
    assert header["raw"] == [1] and raw == data[400:]
    assert decompress(trained, blob) == data
    noise = random_bytes(1000, seed=11)
    blob = compress(trained, noise, Settings(chunk=250, batch=8))
    assert cz.read_header(blob)[0]["raw"] == [0, 1, 2, 3]
    assert len(blob) < len(noise) + 400  # never much bigger than the input: header only


def test_wrong_model_and_corruption_are_clear_errors(trained: torch.nn.Module) -> None:
    data = english(600, seed=4)
    blob = compress(trained, data, Settings(chunk=200, batch=2))
    with pytest.raises(CompressError, match="different model"):
        decompress(tiny(5), blob)
    with pytest.raises(CompressError, match="magic"):
        decompress(trained, b"PK\x03\x04" + blob)
    for pos in (len(blob) - 3, len(blob) // 2 + 40):  # flipped bytes in the coded data
        broken = bytearray(blob)
        broken[pos] ^= 0x5A
        with pytest.raises(CompressError, match="checksum|corrupt"):
            decompress(trained, bytes(broken))
    broken = bytearray(blob)
    broken[len(container.MAGIC) + container.HEAD.size + 5] ^= 0x01  # inside the header
    with pytest.raises(CompressError, match="corrupt header"):
        decompress(trained, bytes(broken))
    for cut in (len(blob) - 1, len(container.MAGIC) + 3, 30):
        with pytest.raises(CompressError, match="truncated"):
            decompress(trained, blob[:cut])
    with pytest.raises(CompressError, match="unexpected bytes"):
        decompress(trained, blob + b"\x00")
    future = bytearray(blob)
    future[len(container.MAGIC) : len(container.MAGIC) + 1] = struct.pack(">B", 9)
    with pytest.raises(CompressError, match="version 9"):
        decompress(trained, bytes(future))


def test_another_torch_or_device_is_refused(
    trained: torch.nn.Module, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = cz._environment
    monkeypatch.setattr(cz, "_environment", lambda m: {**real(m), "torch": "1.0.0"})
    blob = compress(trained, b"hello there", Settings(chunk=64, batch=1))
    monkeypatch.setattr(cz, "_environment", real)
    with pytest.raises(CompressError, match="torch version"):
        decompress(trained, blob)


def test_decoding_uses_the_recorded_thread_count(trained: torch.nn.Module) -> None:
    before = torch.get_num_threads()
    blob = compress(trained, english(300), Settings(chunk=100, batch=3))
    torch.set_num_threads(1 if before > 1 else 2)
    try:
        assert decompress(trained, blob) == english(300)
        assert torch.get_num_threads() == (1 if before > 1 else 2)  # restored afterwards
    finally:
        torch.set_num_threads(before)


def test_an_inserted_random_span_is_the_most_surprising(trained: torch.nn.Module) -> None:
    text = english(3000, seed=8)
    insert_at, noise = 1700, random_bytes(40, seed=21)
    data = text[:insert_at] + noise + text[insert_at:]
    bits = byte_costs(trained, data, Settings(chunk=1024, batch=4))
    best = top_spans(bits, n=3)[0]
    assert best.start < insert_at + len(noise) and best.end > insert_at  # overlaps the insertion
    assert best.mean_bits > 2 * bits.mean()


def test_heat_scale_runs_from_cool_to_hot() -> None:
    cold, hot = heat(np.array([0.0, 50.0]))
    assert cold[2] > cold[0] and hot[0] > hot[2]  # blue end, red end


def test_cli_compress_decompress_and_surprise(tmp_path, trained, capsys) -> None:
    ckpt = tmp_path / "ckpt"
    save_checkpoint(ckpt, trained, trained.cfg)
    src = tmp_path / "in.txt"
    src.write_bytes(english(900, seed=12) + random_bytes(30))
    args = ["--checkpoint", str(ckpt), "-q"]
    assert main(["compress", str(src), *args, "--chunk", "300"]) == 0
    assert "bits/byte" in capsys.readouterr().err
    packed = tmp_path / "in.txt.aez"
    assert packed.stat().st_size < src.stat().st_size
    assert main(["decompress", str(packed), "-o", str(tmp_path / "out.txt"), *args]) == 0
    assert (tmp_path / "out.txt").read_bytes() == src.read_bytes()
    png = tmp_path / "map.png"
    assert main(["surprise", str(src), *args, "--png", str(png), "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "bits/byte" in out and " 1. bytes " in out and png.stat().st_size > 0
    (tmp_path / "bad.aez").write_bytes(b"garbage")
    assert main(["decompress", str(tmp_path / "bad.aez"), *args]) == 1
    assert "bad magic" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()  # nothing written on failure


def test_the_hierarchical_model_compresses_too() -> None:
    from aether_core.config import HierConfig

    torch.manual_seed(0)
    hier = HierConfig(local_dim=32, local_heads=2, ngram_table=16, window=16, patcher="space")
    cfg = ModelConfig(arch="hierarchical", dim=32, n_layers=1, n_heads=2, cross_attn=False,
                      max_seq_len=32, hier=hier)  # fmt: skip
    model = build_model(cfg).eval()
    data = english(150, seed=3)
    blob = compress(model, data, Settings(chunk=70, batch=8))
    assert cz.read_header(blob)[0]["batch"] == 1
    assert decompress(model, blob) == data


def test_header_is_compact_and_round_trips() -> None:
    h = {"n": 111540, "crc32": 0xDEADBEEF, "chunk": 2048, "batch": 64, "window": 256,
         "threads": 2, "payload": 30774, "model": "bcf1a6a30fcbc416", "device": "cpu",
         "dtype": "float32", "torch": "2.13.0", "raw": [0, 7, 300],
         "probe": "0123456789abcdef", "blocks": [1, 0xFFFFFFFF], "coder": 1, "adapt": 1,
         "kernel": "fedcba9876543210", "sizes": [30000, 774]}  # fmt: skip
    packed = container.pack_header(h)
    assert container.unpack_header(packed) == h
    assert len(packed) < 90  # a JSON header was ~180 bytes: 0.6% of a 30 kB stream
    for bad in (packed[:-1], packed + b"\x00", b"\xff" * 12):
        with pytest.raises(ValueError):
            container.unpack_header(bad)
