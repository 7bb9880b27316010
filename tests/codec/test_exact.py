"""The exact coding path: integer arithmetic that gives the same probabilities whatever the thread
count or process, close to the float model's, and round trips through ``aether compress``."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from aether_core import compress as cz
from aether_core.checkpoint import save_checkpoint
from aether_core.codec import tables
from aether_core.codec.exact import ExactError, ExactLM, quantize
from aether_core.compress import CompressError, Settings, compress, decompress, read_header
from aether_core.config import ModelConfig
from aether_core.model import build_model
from tests.core.test_compress import english, fit_to_english

ROOT = Path(__file__).resolve().parents[2]
CFG = dict(dim=48, n_layers=2, n_heads=2, n_kv_heads=1, hidden_dim=96, max_seq_len=64,
           cross_attn=False, ngram_sizes=(2, 3), ngram_table=512)  # fmt: skip


@pytest.fixture(scope="module")
def fitted() -> torch.nn.Module:
    """An exact-capable model fitted for a few seconds to word salad (sharp distributions)."""
    torch.manual_seed(0)
    return fit_to_english(build_model(ModelConfig(**CFG)), 80)


def step_all(model: torch.nn.Module, rows: torch.Tensor, window: int) -> torch.Tensor:
    lm = ExactLM(model, window=window, max_len=rows.shape[1] + 1)
    st = lm.new_state(rows.shape[0])
    cols = rows.numpy()
    return torch.from_numpy(np.stack([lm.step(st, cols[:, t]) for t in range(cols.shape[1])], 1))


def test_quantize_is_exact_on_integers_and_bounded() -> None:
    x = np.array([[0.0, 0.0], [1.0, -2.0], [3e-12, 1e-12]], dtype=np.float32)
    q, s = quantize(x)
    assert np.abs(q).max() <= 127 and np.array_equal(q[0], np.zeros(2))
    assert np.array_equal(q, np.rint(q)) and q.dtype == np.float32
    assert np.allclose(q * s, x, rtol=0.01, atol=0)


def test_exact_probabilities_match_the_float_model(fitted) -> None:
    rows = torch.tensor([list(english(100, seed=s)[:60]) for s in range(3)])
    weights = step_all(fitted, rows, window=64)
    p_exact = weights / weights.sum(-1, keepdim=True)
    with torch.no_grad():
        p_float = torch.softmax(fitted(rows)[..., :256].double(), -1)
    kl = (p_float * (p_float.clamp_min(1e-12).log() - p_exact.clamp_min(1e-12).log())).sum(-1)
    assert p_float.max(-1).values.mean() > 0.3  # the model is sharp: the check means something
    assert kl.mean() < 0.02, kl.mean()  # nats per byte lost to int8 and lookups


def test_same_weights_whatever_the_thread_count(fitted) -> None:
    rows = torch.tensor([list(english(100, seed=s)[:80]) for s in range(4)])
    threads = torch.get_num_threads()
    try:
        out = []
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            out.append(step_all(fitted, rows, window=32))
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(out[0], out[1]) and torch.equal(out[0], out[2])


def test_other_shapes_are_refused_in_one_line() -> None:
    bad = build_model(ModelConfig(**{**CFG, "n_kv_heads": 2}))
    with pytest.raises(ExactError, match="one key/value head"):
        ExactLM(bad, window=16, max_len=32)
    with pytest.raises(ExactError, match="window"):
        ExactLM(build_model(ModelConfig(**CFG)), window=1000, max_len=32)


@pytest.mark.parametrize("adapt", [False, True])
@pytest.mark.parametrize(
    "data",
    [b"", b"z", english(700), bytes(range(256)) * 3, b"GET /index.html 200\n" * 40],
    ids=["empty", "one", "text", "ramp", "log"],
)
def test_exact_round_trip(fitted, data: bytes, adapt: bool) -> None:
    settings = Settings(chunk=160, batch=4, coder="exact", adapt=adapt)
    blob = compress(fitted, data, settings)
    header = read_header(blob)[0]
    assert (header["coder"], header["adapt"]) == (1, int(adapt))
    assert decompress(fitted, blob) == data


def test_adaptation_learns_the_file(fitted) -> None:
    lines = b"".join(
        b"2026-12-07 01:%02d:%02d host kernel: eth0 link up, speed %d Mbps\n" % (m, s, 10**m % 7)
        for m in range(6) for s in range(0, 60, 7)
    )  # fmt: skip
    plain = len(compress(fitted, lines, Settings(chunk=256, batch=8, coder="exact", adapt=False)))
    adapted = len(compress(fitted, lines, Settings(chunk=256, batch=8, coder="exact", adapt=True)))
    assert adapted < 0.6 * plain, (adapted, plain)


def test_other_lookup_tables_are_refused_before_decoding(fitted, monkeypatch) -> None:
    blob = compress(fitted, english(400), Settings(chunk=100, batch=4, coder="exact"))
    monkeypatch.setattr(tables, "fingerprint", lambda *a: "another machine")
    with pytest.raises(CompressError, match="lookup tables differ"):
        decompress(fitted, blob)


def test_streams_decode_in_other_processes_with_other_thread_counts(fitted, tmp_path) -> None:
    """Coded here (this process's threads), decoded by two fresh processes with 1 and 2 threads:
    the probabilities must agree bit for bit or the CRCs would refuse."""
    save_checkpoint(tmp_path / "ckpt", fitted, fitted.cfg)
    data = english(3000, seed=7) + b"\x00\xff" * 40
    (tmp_path / "s.aez").write_bytes(compress(fitted, data, Settings(chunk=300, batch=8)))
    code = (
        "import sys, hashlib, torch\n"
        "from aether_core.checkpoint import load_checkpoint\n"
        "from aether_core.compress import decompress\n"
        "torch.set_num_threads(int(sys.argv[3]))\n"
        "m, _, _ = load_checkpoint(sys.argv[1])\n"
        "blob = open(sys.argv[2], 'rb').read()\n"
        "print(hashlib.sha256(decompress(m, blob)).hexdigest())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for threads in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "ckpt"), str(tmp_path / "s.aez"), threads],
            env=env, capture_output=True, text=True, timeout=240, check=True,
        )  # fmt: skip
        assert out.stdout.strip() == hashlib.sha256(data).hexdigest()


def test_cli_codes_exactly_by_default_and_takes_the_flags(fitted, tmp_path, capsys) -> None:
    from aether_core.cli import main

    ckpt = save_checkpoint(tmp_path / "ckpt", fitted, fitted.cfg)
    src = tmp_path / "notes.txt"
    src.write_bytes(english(900, seed=4))
    args = ["--checkpoint", str(ckpt), "-q"]
    assert main(["compress", str(src), *args, "--chunk", "300"]) == 0
    header = read_header((tmp_path / "notes.txt.aez").read_bytes())[0]
    assert (header["coder"], header["adapt"], header["chunk"]) == (1, 1, 300)
    out = tmp_path / "back.txt"
    assert main(["decompress", str(tmp_path / "notes.txt.aez"), "-o", str(out), *args]) == 0
    assert out.read_bytes() == src.read_bytes()
    assert main(["compress", str(src), *args, "--coder", "float", "--no-adapt", "-o",
                 str(tmp_path / "f.aez")]) == 0  # fmt: skip
    assert read_header((tmp_path / "f.aez").read_bytes())[0]["coder"] == 0
    assert main(["compress", str(src), *args, "--chunk", "-1"]) == 2
    assert "--chunk" in capsys.readouterr().err


def test_blocks_code_on_parallel_processes_with_the_same_bits(fitted) -> None:
    """Blocks are independent (a coder and an adaptation each): coded on one process or on two
    forked ones, the payload is the same, and it decodes either way."""
    data = english(3000, seed=3)
    settings = Settings(chunk=200, batch=4, coder="exact")  # 15 chunks in 4 blocks
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = compress(fitted, data, settings)
        torch.set_num_threads(2)
        two = compress(fitted, data, settings)
        assert read_header(one)[1:] == read_header(two)[1:]
        assert len(read_header(two)[0]["sizes"]) == 4
        assert decompress(fitted, one) == data
        torch.set_num_threads(1)
        assert decompress(fitted, two) == data
    finally:
        torch.set_num_threads(threads)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_blocks_run_on_forked_workers() -> None:
    job = SimpleNamespace(groups=[range(1)] * 3)
    pids = list(cz._each_block(lambda job, b: (b, os.getpid()), job, workers=2))
    assert [b for b, _ in pids] == [0, 1, 2]  # in order
    assert os.getpid() not in {pid for _, pid in pids}
    assert [b for b, _ in cz._each_block(lambda job, b: (b, 0), job, workers=1)] == [0, 1, 2]
