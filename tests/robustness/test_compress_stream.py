"""`aether compress` streams: the same bytes with another thread count and in another process;
where the arithmetic differs, the decoder stops before it decodes a wrong byte, in one line."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from aether_core import compress as cz
from aether_core.checkpoint import load_checkpoint, save_checkpoint
from aether_core.codec import arith, container, predict
from aether_core.compress import CompressError, Settings, compress, decompress
from tests.core.test_compress import english, trained  # noqa: F401 - the fitted model fixture

ROOT = Path(__file__).resolve().parents[2]
DATA = english(1500, seed=7)
SETTINGS = Settings(chunk=100, batch=4)  # 15 chunks in 4 blocks


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory, trained) -> Path:  # noqa: F811
    return save_checkpoint(tmp_path_factory.mktemp("cz") / "m", trained, trained.cfg)


@pytest.fixture(scope="module")
def model(ckpt: Path) -> torch.nn.Module:
    return load_checkpoint(ckpt)[0]


def with_threads(n: int, fn, *args):
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        return fn(*args)
    finally:
        torch.set_num_threads(before)


def test_another_thread_count_and_another_process(model, ckpt, tmp_path) -> None:
    blob = with_threads(2, compress, model, DATA, SETTINGS)
    assert with_threads(1, decompress, model, blob) == DATA
    (tmp_path / "s.aez").write_bytes(blob)
    code = (
        "import sys, hashlib, torch\n"
        "torch.set_num_threads(1)\n"
        "from aether_core.checkpoint import load_checkpoint\n"
        "from aether_core.compress import decompress\n"
        "m = load_checkpoint(sys.argv[1])[0]\n"
        "print(hashlib.sha256(decompress(m, open(sys.argv[2], 'rb').read())).hexdigest())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", code, str(ckpt), str(tmp_path / "s.aez")],
        env=env, capture_output=True, text=True, timeout=240, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == hashlib.sha256(DATA).hexdigest()


def perturb_after(monkeypatch, calls: int) -> dict:
    """From the ``calls``-th model step on, the decoder's arithmetic is slightly off (one
    frequency unit moves between two byte values), as on another CPU or BLAS."""
    real = predict.cum_freqs
    seen = {"steps": 0, "decoded": 0}

    def off(logits):
        cum = real(logits)
        seen["steps"] += 1
        if seen["steps"] > calls:
            cum = cum.copy()
            cum[:, 1:101] += 1  # byte 0 one wider, bytes 100.. one narrower: still valid
        return cum

    real_decode = arith.Decoder.decode

    def counting(self, cum):
        seen["decoded"] += 1
        return real_decode(self, cum)

    monkeypatch.setattr(predict, "cum_freqs", off)
    monkeypatch.setattr(arith.Decoder, "decode", counting)
    return seen


def test_different_arithmetic_is_caught_before_any_model_coded_byte(model, monkeypatch) -> None:
    blob = compress(model, DATA, SETTINGS)
    assert cz.read_header(blob)[0]["raw"] == []  # every chunk is model-coded
    seen = perturb_after(monkeypatch, 0)
    progress: list[int] = []
    with pytest.raises(CompressError) as info:
        decompress(model, blob, progress=progress.append)
    msg = str(info.value)
    assert "first probabilities" in msg and "nothing was written" in msg and "\n" not in msg
    assert seen["decoded"] == 4  # only the first byte of each chunk of block 1 (model-free)
    assert progress == []


def test_later_divergence_is_caught_at_the_end_of_its_block(model, monkeypatch) -> None:
    blob = compress(model, DATA, SETTINGS)
    seen = perturb_after(monkeypatch, 150)  # inside block 2 (99 model steps a block)
    progress: list[int] = []
    with pytest.raises(CompressError, match=r"block 2 of 4") as info:
        decompress(model, blob, progress=progress.append)
    assert "\n" not in str(info.value)
    assert progress == [400]  # block 1 checked and accepted; nothing after block 2 decoded
    assert seen["steps"] == 2 * 99


def test_a_torch_minor_update_is_checked_not_refused(model, monkeypatch) -> None:
    real = cz._environment
    major = torch.__version__.split(".")[0]
    monkeypatch.setattr(cz, "_environment", lambda m: {**real(m), "torch": f"{major}.0.0"})
    blob = compress(model, DATA, SETTINGS)
    monkeypatch.setattr(cz, "_environment", real)
    assert decompress(model, blob) == DATA


def restamped(blob: bytes, version: int = container.VERSION, **changes) -> bytes:
    """The same stream with its header rewritten in ``version``'s layout, with ``changes``."""
    header, payload, raw = container.read_header(blob)
    return container.stream({**header, **changes}, version) + payload + raw


def test_version_3_streams_still_decode(model) -> None:
    """Version 3 (no probe, no block CRCs, one coder through every block): a one-block stream
    is laid out the same apart from the header."""
    blob = restamped(compress(model, DATA, Settings(chunk=100, batch=16)), 3)
    assert container.read_header(blob)[0]["version"] == 3
    assert decompress(model, blob) == DATA
    flipped = bytearray(blob)
    flipped[-20] ^= 0x10
    with pytest.raises(CompressError, match="checksum|corrupt"):
        decompress(model, bytes(flipped))


def test_header_lying_about_blocks_is_refused(model) -> None:
    blob = compress(model, DATA, SETTINGS)
    blocks = container.read_header(blob)[0]["blocks"]
    with pytest.raises(CompressError, match="block 4 of 4"):
        decompress(model, restamped(blob, blocks=[*blocks[:-1], 0]))  # the last CRC replaced
    assert decompress(model, blob) == DATA


def test_header_claiming_more_than_the_payload_holds_is_refused_at_once(model) -> None:
    """A crafted header (valid CRC) asking for 10^12 bytes in 10^12 chunks would allocate
    without end; it is refused from the payload's size before anything is built."""
    blob = compress(model, DATA, SETTINGS)
    payload = container.read_header(blob)[0]["payload"]
    for lie in (
        {"n": 10**12},
        {"n": 10**12, "chunk": 1, "batch": 10**12, "blocks": [0], "sizes": [payload]},
    ):
        with pytest.raises(CompressError, match="claims more data|block count"):
            decompress(model, restamped(blob, **lie))
