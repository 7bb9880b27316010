"""files.py: kind detection, safe image loading, model image conversion, load_file, save_output."""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import wave
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aether_core.errors import AetherError
from aether_core.files import (
    EXTENSIONS,
    FileError,
    ImageError,
    detect_kind,
    image_to_tensor,
    load_file,
    load_image,
    save_output,
    tensor_to_image,
    to_model_image,
)
from aether_core.segments import File

RNG = np.random.default_rng(1234)
NOISE = Image.fromarray(RNG.integers(0, 256, (48, 64, 3), dtype=np.uint8), "RGB")


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_with_size(w: int, h: int) -> bytes:
    """A tiny, valid-looking PNG that declares a huge size: the decompression-bomb shape."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def wav_bytes() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.sin(np.arange(800) / 5).astype(np.float32).tobytes())
    return buf.getvalue()


def zip_bytes(empty: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if not empty:
            z.writestr("hello.txt", "hello")
    return buf.getvalue()


SAMPLES: dict[str, bytes] = {
    "png": encode(NOISE, "PNG"),
    "jpeg": encode(NOISE, "JPEG"),
    "gif": encode(NOISE, "GIF"),
    "webp": encode(NOISE, "WEBP"),
    "bmp": encode(NOISE, "BMP"),
    "wav": wav_bytes(),
    "pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    "zip": zip_bytes(),
    "gzip": gzip.compress(b"hello " * 100),
    "json": json.dumps({"a": [1, 2, {"b": None}], "c": "d\u00e9"}).encode(),
    "text": "Hello, world!\nCafé ☕ — naïve text\twith tabs.\n".encode(),
    "random": RNG.integers(0, 256, 4096, dtype=np.uint8).tobytes(),
    "compressed": zlib.compress(Path(__file__).read_bytes(), 9),
    "structured-binary": struct.pack("<" + "I" * 256, *range(256)),
    "empty": b"",
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_detect_kind(kind: str) -> None:
    assert detect_kind(SAMPLES[kind]) == kind
    assert kind in EXTENSIONS


EDGES = {
    "empty-zip": (zip_bytes(empty=True), "zip"),
    "json-array": (b"[1, 2, 3]", "json"),
    "broken-json": (b"{not json", "text"),
    "json-scalar": (b"42", "text"),
    "text-starting-BM": (b"BMW is a car brand, not a bitmap", "text"),
    "riff-avi": (b"RIFF\x00\x00\x00\x00AVI LIST", "structured-binary"),
    "flat-histogram": (bytes(range(256)) * 4, "structured-binary"),  # 8 bits/byte, compressible
    "low-entropy": (b"\x00\x01\x02" * 300, "structured-binary"),
    "short-random": (RNG.integers(0, 256, 300, dtype=np.uint8).tobytes(), "random"),
    "too-short": (RNG.integers(0, 256, 40, dtype=np.uint8).tobytes(), "structured-binary"),
    "cjk-text": ("日本語のテキストです。".encode(), "text"),
    "nul-byte": (("x" * 10 + "\x00").encode(), "structured-binary"),
    "bom": ("\ufeffwith a BOM".encode(), "text"),
    "ansi-text": (b"\x1b[31mred\x1b[0m terminal output\n", "text"),
    "xz": (b"\xfd7zXZ\x00\x00" + bytes(50), "compressed"),
}


@pytest.mark.parametrize("case", sorted(EDGES))
def test_detect_kind_edges(case: str) -> None:
    data, kind = EDGES[case]
    assert detect_kind(data) == kind


def test_detect_kind_name_only_breaks_the_scalar_json_tie() -> None:
    assert detect_kind(b"42", "answer.json") == "json"
    assert detect_kind(SAMPLES["png"], "notes.txt") == "png"  # content wins


def test_random_like_but_zlib_header_is_not_misread() -> None:
    data = b"\x78\x9c" + RNG.integers(0, 256, 2000, dtype=np.uint8).tobytes()
    assert detect_kind(data) == "random"  # header passes, but it does not decompress


def test_save_output_extensions_and_never_overwrites(tmp_path: Path) -> None:
    p1, k1 = save_output(SAMPLES["png"], tmp_path, "picture")
    p2, k2 = save_output(SAMPLES["png"], tmp_path, "picture")
    p3, k3 = save_output(b'{"ok": true}', tmp_path, "../../evil/name")
    assert (p1.name, k1) == ("picture.png", "png") and p2.name == "picture-1.png"
    assert (p3.parent, p3.name, k3) == (tmp_path, "name.json", "json")
    assert p1.read_bytes() == p2.read_bytes() == SAMPLES["png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "name.json",
        "picture-1.png",
        "picture.png",
    ]
    assert save_output(b"", tmp_path, "...")[0].name == "output.bin"


@pytest.mark.parametrize("fmt", ["png", "jpeg", "gif", "webp", "bmp"])
def test_load_image_formats(fmt: str, tmp_path: Path) -> None:
    img = load_image(SAMPLES[fmt])
    assert img.mode == "RGB" and img.size == (64, 48)
    path = tmp_path / f"x.{fmt}"
    path.write_bytes(SAMPLES[fmt])
    assert load_image(path).size == (64, 48) and load_image(str(path)).mode == "RGB"


def test_transparency_is_composited_on_white() -> None:
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert load_image(encode(rgba, "PNG")).getpixel((0, 0)) == (255, 255, 255)
    half = Image.new("LA", (4, 4), (0, 128))
    assert load_image(encode(half, "PNG")).getpixel((0, 0)) == (127, 127, 127)
    pal = Image.new("P", (4, 4), 0)
    pal.putpalette([0, 0, 0] * 256)
    pal.info["transparency"] = 0
    assert load_image(encode(pal, "GIF")).getpixel((0, 0)) == (255, 255, 255)
    deep = Image.fromarray(np.full((4, 4), 65535, dtype=np.uint16))
    assert load_image(encode(deep, "PNG")).getpixel((0, 0)) == (255, 255, 255)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = png_with_size(20000, 20000)
    assert len(bomb) < 200
    with pytest.raises(ImageError, match=r"image too large: 20000x20000 pixels"):
        load_image(bomb, name="bomb.png")
    with pytest.raises(ImageError, match=r"bomb\.png: image too large: 5000x5000"):
        load_image(png_with_size(5000, 5000), name="bomb.png")  # under Pillow's own limit
    with pytest.raises(ImageError, match="too large"):
        load_image(SAMPLES["png"], max_pixels=1000)


def test_truncated_image() -> None:
    data = SAMPLES["png"]
    with pytest.raises(ImageError, match="truncated image"):
        load_image(data[: len(data) // 2], name="half.png")
    jpeg = SAMPLES["jpeg"]
    with pytest.raises(ImageError, match="truncated"):
        load_image(jpeg[: len(jpeg) // 2])


def test_not_an_image_and_unsupported_formats(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="notes.txt: not an image"):
        load_image(b"just some text", name="notes.txt")
    with pytest.raises(ImageError, match="unsupported format TIFF"):
        load_image(encode(NOISE, "TIFF"))
    with pytest.raises(ImageError, match="unsupported format ICO"):
        load_image(encode(NOISE, "ICO"))
    with pytest.raises(ImageError, match="empty"):
        load_image(b"")


def test_oversize_and_missing_image_files(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"image file too large: .* \(max 100 B\)"):
        load_image(SAMPLES["png"], max_bytes=100)
    big = tmp_path / "big.png"
    big.write_bytes(SAMPLES["png"])
    with pytest.raises(ImageError, match="big.png is too large"):
        load_image(big, max_bytes=100)
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="is a directory"):
        load_image(tmp_path)


def test_errors_are_one_line_aether_errors() -> None:
    for bad in [b"\x89PNG\r\n\x1a\n" + b"\0" * 30, b"GIF89a" + b"\xff" * 20, b"\xff\xd8\xff\xe0"]:
        with pytest.raises(AetherError) as ei:
            load_image(bad)
        assert "\n" not in str(ei.value)


def test_model_image_and_tensor_roundtrip() -> None:
    wide = Image.new("RGB", (200, 100), (0, 0, 255))
    wide.paste((255, 0, 0), (0, 0, 50, 100))  # red strip on the left is cropped away
    small = to_model_image(wide)
    assert small.size == (64, 64) and small.mode == "RGB"
    assert small.getpixel((32, 32)) == (0, 0, 255)
    t = image_to_tensor(wide)
    assert tuple(t.shape) == (3, 64, 64) and t.dtype.is_floating_point
    assert float(t.min()) >= 0.0 and float(t.max()) <= 1.0
    back = tensor_to_image(t)
    assert back.size == (64, 64) and back.getpixel((10, 10)) == (0, 0, 255)
    exact = Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    assert np.array_equal(np.asarray(tensor_to_image(image_to_tensor(exact))), np.asarray(exact))
    assert tensor_to_image(t.unsqueeze(0)).size == (64, 64)
    with pytest.raises(ImageError):
        tensor_to_image(t[0])


def test_load_file(tmp_path: Path) -> None:
    p = tmp_path / "data.json"
    p.write_bytes(SAMPLES["json"])
    f = load_file(p)
    assert isinstance(f, File) and (f.name, f.kind, f.data) == (
        "data.json",
        "json",
        SAMPLES["json"],
    )
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (1024 * 1024 + 1))
    with pytest.raises(FileError, match=r"too large: 1\.0 MB \(max 1\.0 MB\)"):
        load_file(big)
    assert load_file(big, max_bytes=2 * 1024 * 1024).kind == "structured-binary"
    with pytest.raises(FileError, match="no such file"):
        load_file(tmp_path / "nope.txt")
    with pytest.raises(FileError, match="is a directory"):
        load_file(tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions")
def test_load_file_unreadable(tmp_path: Path) -> None:
    p = tmp_path / "secret.txt"
    p.write_text("hi")
    p.chmod(0)
    try:
        with pytest.raises(FileError, match="permission denied"):
            load_file(p)
    finally:
        p.chmod(0o600)
