"""What bytes are, from their content: never from the name alone (a ``.png`` that holds text is
text). See the package docstring for the kinds :func:`detect_kind` returns."""

from __future__ import annotations

import codecs
import functools
import json
import math
import zlib

import numpy as np

SNIFF = 1 << 20  # text/entropy checks look at this much
HIGH_ENTROPY = 7.5  # bits per byte, for long inputs; see _entropy_threshold

#: File extension (with the dot) to save each kind under.
EXTENSIONS: dict[str, str] = {
    "png": ".png",
    "jpeg": ".jpg",
    "gif": ".gif",
    "webp": ".webp",
    "bmp": ".bmp",
    "wav": ".wav",
    "pdf": ".pdf",
    "zip": ".zip",
    "gzip": ".gz",
    "json": ".json",
    "text": ".txt",
    "compressed": ".bin",
    "random": ".bin",
    "structured-binary": ".bin",
    "empty": ".bin",
}


def is_bmp(data: bytes) -> bool:
    # "BM" alone is weak (text can start with it): also check the DIB header size field.
    return (
        len(data) >= 26
        and data[:2] == b"BM"
        and int.from_bytes(data[14:18], "little") in (12, 16, 40, 52, 56, 64, 108, 124)
    )


def _is_zlib(data: bytes) -> bool:
    if len(data) < 3 or data[0] & 0x0F != 8 or data[0] >> 4 > 7:
        return False
    if (data[0] << 8 | data[1]) % 31:
        return False
    try:  # the 2-byte header passes by chance for 1 in ~1000 random inputs: decode some
        d = zlib.decompressobj()
        d.decompress(data[:65536], 1 << 16)
    except zlib.error:
        return False
    return True


SIGNATURES: tuple[tuple[str, object], ...] = (
    ("png", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    ("jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    ("gif", lambda d: d[:6] in (b"GIF87a", b"GIF89a")),
    ("webp", lambda d: len(d) >= 12 and d[:4] == b"RIFF" and d[8:12] == b"WEBP"),
    ("wav", lambda d: len(d) >= 12 and d[:4] == b"RIFF" and d[8:12] == b"WAVE"),
    ("bmp", is_bmp),
    ("pdf", lambda d: d.startswith(b"%PDF-")),
    ("zip", lambda d: d[:4] in (b"PK\x03\x04", b"PK\x05\x06")),
    ("gzip", lambda d: d.startswith(b"\x1f\x8b\x08")),
    ("compressed", lambda d: d.startswith((b"\xfd7zXZ\x00", b"BZh", b"\x28\xb5\x2f\xfd"))),
    ("compressed", _is_zlib),
)


def _text_of(data: bytes) -> str | None:
    """The decoded sample when ``data`` looks like UTF-8 text, else None."""
    sample = data[:SNIFF]
    try:  # a multi-byte character cut at the sample's end is fine
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(sample, final=len(data) <= SNIFF)
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    controls = sum(1 for c in text if (c < " " and c not in "\t\n\r\f\v\x1b") or c == "\x7f")
    return text if controls <= max(1, len(text) // 100) else None


def byte_entropy(data: bytes) -> float:
    """Shannon entropy of the byte histogram, in bits per byte (0..8)."""
    if not data:
        return 0.0
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    p = counts[counts > 0] / len(data)
    return float(-(p * np.log2(p)).sum())


@functools.lru_cache(maxsize=64)
def _uniform_entropy(n: int) -> float:
    """Expected histogram entropy of ``n`` uniform random bytes (exact sum below 1 KiB)."""
    if n >= 1024:
        return 8.0 - 255 / (2 * n * math.log(2))  # Miller-Madow bias, accurate here
    p, total = 1 / 256, 0.0
    for c in range(1, n + 1):
        log_pmf = (
            math.lgamma(n + 1)
            - math.lgamma(c + 1)
            - math.lgamma(n - c + 1)
            + c * math.log(p)
            + (n - c) * math.log1p(-p)
        )
        total += math.exp(log_pmf) * (c / n) * math.log2(n / c)
    return 256 * total


def _entropy_threshold(n: int) -> float:
    """Entropy above which ``n`` bytes count as random-looking.

    The histogram estimate of entropy is biased low on short inputs (uniform random 1 KiB
    measures about 7.8 bits, 256 bytes about 7.2), so the 7.5 bits/byte cut is lowered to stay
    0.3 bits under what uniform data of that length measures on average.
    """
    return min(HIGH_ENTROPY, _uniform_entropy(n) - 0.3)


def detect_kind(data: bytes, name: str | None = None) -> str:
    """Identify ``data`` by its content (see the module docstring for the kinds).

    ``name`` only decides one ambiguous case: a bare JSON scalar (``42``, ``"hi"``) is ``json``
    when the name ends in ``.json`` and ``text`` otherwise.
    """
    if not data:
        return "empty"
    for kind, test in SIGNATURES:
        if test(data):  # type: ignore[operator]
            return kind
    text = _text_of(data)
    if text is not None:
        body = text.strip()
        is_json_name = bool(name) and str(name).lower().endswith(".json")
        if body and len(data) <= SNIFF and (body[0] in "[{" or is_json_name):
            try:
                json.loads(body)
                return "json"
            except ValueError:
                pass
        return "text"
    sample = data[:SNIFF]
    if len(sample) >= 128 and byte_entropy(sample) >= _entropy_threshold(len(sample)):
        # A flat histogram is not enough (bytes 0..255 repeated has 8 bits/byte): random-looking
        # data must also not compress.
        head = sample[:65536]
        if len(zlib.compress(head, 1)) >= 0.95 * len(head):
            return "random"
    return "structured-binary"
