"""`aether bench compress`: every tool on every file, sums per kind, exact round trips flagged,
a missing or broken tool reported instead of crashing, the model's stream decoded by a fresh
`aether decompress` with another thread count."""

from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pytest

from aether_core.bench_compress import (
    ALL,
    CLASSICAL,
    MISSING,
    MODEL,
    BenchError,
    Measure,
    ModelCodec,
    ToolCodec,
    bench_compress,
    classical_codecs,
    collect_kinds,
)
from aether_core.checkpoint import save_checkpoint
from aether_core.cli import main
from tests.core.helpers import tiny_model

WORDS = "the of and to in is was for on that with as by at from his her but not they".split()


def words(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n)).encode()[:n]


@pytest.fixture(scope="module")
def tiny():
    return tiny_model(dim=32, n_layers=1, n_heads=2, cross_attn=False, max_seq_len=64)


@pytest.fixture
def ckpt(tmp_path, tiny):
    return save_checkpoint(tmp_path / "tiny", tiny, tiny.cfg)


@pytest.fixture
def corpus(tmp_path):
    """Two kinds: text (two files, one of them in a nested folder) and random bytes (one file)."""
    root = tmp_path / "heldout"
    (root / "text" / "deep").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "text" / "a.txt").write_bytes(words(300, 1))
    (root / "text" / "deep" / "b.txt").write_bytes(words(180, 2))
    (root / "bin" / "c.bin").write_bytes(np.random.default_rng(0).bytes(200))
    return root


def test_cli_bench_compress_json(corpus, ckpt, tmp_path, capsys):
    out = tmp_path / "r.json"
    argv = ["bench", "compress", str(corpus), "--checkpoint", str(ckpt), "--json", str(out)]
    assert main([*argv, "--fresh-threads", "0", "-q"]) == 0
    table = capsys.readouterr().out
    r = json.loads(out.read_text())
    assert r["tools"] == [*CLASSICAL, MODEL] and r["ok"] is True
    assert (r["threads"], r["fresh_threads"], r["max_bytes"]) == (1, 0, None)
    assert list(r["kinds"]) == ["bin", "text", ALL]
    sizes = {"bin": 200, "text": 480, ALL: 680}
    files = {"bin": 1, "text": 2, ALL: 3}
    for kind, row in r["kinds"].items():
        assert row["n_files"] == files[kind]
        for tool in r["tools"]:
            m = row["tools"][tool]
            if tool in r["missing"]:
                assert m == MISSING and shutil.which(tool) is None
                continue
            assert m["original_bytes"] == sizes[kind], (kind, tool)
            assert m["exact"] is True and m["error"] is None
            assert m["compressed_bytes"] > 0 and m["compress_s"] > 0 and m["decompress_s"] > 0
            assert m["bpb"] == pytest.approx(8 * m["compressed_bytes"] / m["original_bytes"])
            assert m["compress_kb_s"] == pytest.approx(sizes[kind] / 1000 / m["compress_s"])
            assert m["fresh_exact"] is None  # --fresh-threads 0 skips it
        # the kind's figure is the sum over its files, each compressed on its own
        for tool in r["tools"]:
            if kind != ALL and tool not in r["missing"]:
                per_file = sum(f[tool]["compressed_bytes"] for f in row["files"])
                assert per_file == row["tools"][tool]["compressed_bytes"]
    xz = r["kinds"][ALL]["tools"]["xz"]
    if xz != MISSING:
        ours = r["kinds"][ALL]["tools"][MODEL]["bpb"]
        assert r["kinds"][ALL]["aether_to_xz"] == pytest.approx(ours / xz["bpb"])
    # random bytes: the model stores them raw, so they cost more than 8 bits/byte with the header
    assert r["kinds"]["bin"]["tools"][MODEL]["bpb"] > 8
    for word in ("bin", "text", ALL, "gzip", "zstd", "aether", "comp KB/s", "speeds"):
        assert word in table


def test_cli_bench_compress_max_bytes_and_tools(corpus, ckpt, tmp_path, capsys):
    out = tmp_path / "r.json"
    argv = ["bench", "compress", str(corpus / "text" / "a.txt"), "--checkpoint", str(ckpt)]
    rc = main([*argv, "--tools", "gzip", "--max-bytes", "50", "--fresh-threads", "0", "-q",
               "--json", str(out)])  # fmt: skip
    assert rc == 0
    r = json.loads(out.read_text())
    assert r["tools"] == ["gzip", MODEL] and list(r["kinds"]) == ["text", ALL]
    assert r["kinds"]["text"]["tools"][MODEL]["original_bytes"] == 50


def test_cli_bench_compress_errors(corpus, ckpt, tmp_path, capsys):
    base = ["bench", "compress", "--checkpoint", str(ckpt)]
    assert main([*base, str(tmp_path / "nope")]) == 1
    assert "no such file or directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main([*base, str(tmp_path / "empty")]) == 1
    assert "no files to compress" in capsys.readouterr().err
    assert main([*base, str(corpus), "--tools", "gzip,rar"]) == 2
    assert "unknown tool 'rar'" in capsys.readouterr().err
    assert main([*base, str(corpus), "--threads", "0"]) == 2
    assert main(["bench", "compress", str(corpus), "--checkpoint", str(tmp_path / "none")]) == 1
    assert capsys.readouterr().err.count("\n") == 2  # one line per error


def test_collect_kinds(corpus, tmp_path):
    kinds = collect_kinds([corpus, corpus / "text" / "a.txt"])  # a file given twice counts once
    assert {k: [p.name for p in v] for k, v in kinds.items()} == {
        "bin": ["c.bin"],
        "text": ["a.txt", "b.txt"],
    }
    flat = collect_kinds([corpus / "text"])  # a folder of files: one kind, named after it
    assert {k: [p.name for p in v] for k, v in flat.items()} == {
        "text": ["a.txt"],
        "deep": ["b.txt"],
    }
    (tmp_path / "x" / ALL).mkdir(parents=True)
    (tmp_path / "x" / ALL / "f").write_bytes(b"f")
    with pytest.raises(BenchError, match="the total"):
        collect_kinds([tmp_path / "x"])


def test_missing_and_broken_tools(corpus):
    gone = ToolCodec("gone", ("no-such-compressor-x",), ("no-such-compressor-x", "-d"))
    broken = ToolCodec("broken", ("cat",), ("head", "-c", "3"))  # loses bytes on the way back
    failing = ToolCodec("failing", ("false",), ("cat",))
    r = bench_compress(collect_kinds([corpus]), [gone, broken, failing])
    assert r.kinds[ALL]["gone"] is None and r.to_dict()["missing"] == ["gone"]
    assert r.to_dict()["kinds"]["bin"]["tools"]["gone"] == MISSING
    assert r.kinds[ALL]["broken"].exact is False
    assert r.kinds[ALL]["broken"].error == "round trip differs"
    assert (
        r.kinds[ALL]["failing"].exact is False and "false exited 1" in r.kinds[ALL]["failing"].error
    )
    assert not r.ok and r.ratio_to_reference(ALL) is None
    with pytest.raises(BenchError, match="unknown tool"):
        classical_codecs(["gzip", "lzma"])


def test_measure_sums():
    a = Measure(100, 40, 1.0, 2.0, True, fresh_exact=True, fresh_s=3.0)
    b = Measure(300, 60, 1.0, 2.0, False, error="round trip differs")
    s = a + b
    assert (s.original_bytes, s.compressed_bytes, s.exact, s.fresh_exact, s.fresh_s) == (
        400, 100, False, True, 3.0)  # fmt: skip
    assert (
        s.bpb == 2.0 and s.compress_kb_s == pytest.approx(0.2) and s.error == "round trip differs"
    )
    assert Measure().bpb is None and Measure().compress_kb_s is None


def test_model_stream_decodes_in_a_fresh_process(tiny, ckpt):
    """Compressed here with one thread, decoded by `aether decompress --threads 2` in a new
    interpreter: the bytes match (one subprocess: it imports torch, seconds)."""
    data = words(120, 3)
    m = ModelCodec(tiny, ckpt, threads=1, fresh_threads=2).measure(data)
    assert m.exact and m.error is None, m.error
    assert m.fresh_exact is True and m.fresh_s > 0
    assert m.original_bytes == 120 and 0 < m.compressed_bytes


def test_fresh_process_mismatch_is_flagged(tiny, ckpt, monkeypatch):
    """A fresh decode that fails or returns other bytes is a False flag with its reason."""
    import aether_core.bench_compress as bc

    codec = ModelCodec(tiny, ckpt, threads=1, fresh_threads=2)
    monkeypatch.setattr(bc, "_run", lambda *a, **k: (b"other", 0.5, None))
    m = codec.measure(b"abc")
    assert m.exact is True and m.fresh_exact is False
    assert m.error == "fresh-process decompress differs"
    monkeypatch.setattr(bc, "_run", lambda *a, **k: (b"", 0.5, "fresh aether decompress exited 1"))
    m = codec.measure(b"abc")
    assert m.fresh_exact is False and m.error.endswith("exited 1")
    assert not (m + Measure(3, 3, 1, 1)).fresh_exact
