"""The ``.aez`` container: magic, format version, a CRC-checked binary header, the coded payload
and the chunks stored raw. Reading it refuses, in one line, anything a decoder should not trust
(wrong magic or version, a corrupt or truncated header, a header claiming more data than the
payload can hold) before anything is allocated."""

from __future__ import annotations

import math
import struct
import zlib

from ..errors import AetherError
from ..segments import leb128
from . import CODERS
from .arith import FREQ_TOTAL

MAGIC = b"AETHERZ"
# 6: a payload per block (blocks decode independently, in parallel); 5: + coder, adaptation,
# kernel fingerprint; 4: + probe and block CRCs; 3: binary header
VERSION = 6
READABLE = (3, 4, 5, 6)
HEAD = struct.Struct(">BHI")  # version, header length, header crc32
# header fields in order: unsigned LEB128 varints, then the weight fingerprint (8 raw bytes), the
# environment as one "device|dtype|torch" string, and the raw-chunk indices
INT_FIELDS = ("n", "crc32", "chunk", "batch", "window", "threads", "payload")
V5_FIELDS = ("coder", "adapt")  # then the kernel fingerprint (8 raw bytes)
# a model-coded byte costs at least -log2((FREQ_TOTAL - 255) / FREQ_TOTAL) bits (the likeliest
# byte's share), so a payload of P bytes holds at most this many times P bytes
BYTES_PER_PAYLOAD_BYTE = math.ceil(8 / -math.log2((FREQ_TOTAL - 255) / FREQ_TOTAL))


class CompressError(AetherError):
    """A file that is not an Aether stream, is corrupt, or was made with another model."""


def pack_header(h: dict, version: int = VERSION) -> bytes:
    """The header dict as compact bytes (see ``INT_FIELDS``), in ``version``'s layout;
    ``unpack_header`` inverts it. Version 4 adds the probe fingerprint (8 bytes) and the block
    CRCs (a count, 4 bytes each); version 5 the coder, the adaptation flag and the kernel
    fingerprint (8 bytes); version 6 each block's payload size."""
    env = f"{h['device']}|{h['dtype']}|{h['torch']}".encode()
    out = (b"".join(leb128(int(h[k])) for k in INT_FIELDS) + bytes.fromhex(h["model"])
           + leb128(len(env)) + env + leb128(len(h["raw"])) + b"".join(leb128(i) for i in h["raw"]))  # fmt: skip
    if version >= 4:
        out += bytes.fromhex(h["probe"]) + leb128(len(h["blocks"]))
        out += b"".join(struct.pack(">I", c) for c in h["blocks"])
    if version >= 5:
        out += b"".join(leb128(int(h[k])) for k in V5_FIELDS) + bytes.fromhex(h["kernel"])
    if version >= 6:
        out += b"".join(leb128(s) for s in h["sizes"])
    return out


def unpack_header(head: bytes, version: int = VERSION) -> dict:
    """Inverse of ``pack_header``; ValueError on anything malformed (the caller words it)."""
    pos = 0

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            if pos >= len(head) or shift > 63:
                raise ValueError("bad varint")
            byte = head[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > len(head):
            raise ValueError("short field")
        pos += n
        return head[pos - n : pos]

    h: dict = {k: varint() for k in INT_FIELDS}
    h["model"] = take(8).hex()
    parts = take(varint()).decode("ascii").split("|")
    if len(parts) != 3:
        raise ValueError("bad environment")
    h["device"], h["dtype"], h["torch"] = parts
    h["raw"] = [varint() for _ in range(varint())]
    if version >= 4:
        h["probe"] = take(8).hex()
        count = varint()
        if count > len(head):
            raise ValueError("bad block count")
        h["blocks"] = [struct.unpack(">I", take(4))[0] for _ in range(count)]
    if version >= 5:
        h.update({k: varint() for k in V5_FIELDS})
        h["kernel"] = take(8).hex()
        if h["coder"] >= len(CODERS) or h["adapt"] > 1:
            raise ValueError("unknown coder")
    if version >= 6:
        h["sizes"] = [varint() for _ in h["blocks"]]
        if sum(h["sizes"]) != h["payload"]:
            raise ValueError("block sizes")
    if pos != len(head):
        raise ValueError("trailing header bytes")
    return h


def read_header(blob: bytes) -> tuple[dict, bytes, bytes]:
    """(header with its format "version", coded payload, raw chunk bytes); a one-line
    CompressError for anything off."""
    if not blob.startswith(MAGIC):
        raise CompressError("not an Aether compressed stream (bad magic)")
    start = len(MAGIC) + HEAD.size
    if len(blob) < start:
        raise CompressError("truncated stream (header cut short)")
    version, size, crc = HEAD.unpack(blob[len(MAGIC) : start])
    if version not in READABLE:
        raise CompressError(f"stream format version {version} is not supported (this is {VERSION})")
    head = blob[start : start + size]
    if len(head) < size:
        raise CompressError("truncated stream (header cut short)")
    if zlib.crc32(head) != crc:
        raise CompressError("corrupt header (checksum mismatch)")
    try:
        header = unpack_header(head, version)
    except (ValueError, UnicodeDecodeError, struct.error):
        raise CompressError("corrupt header") from None
    n, chunk, payload, raw = header["n"], header["chunk"], header["payload"], header["raw"]
    n_chunks = -(-n // chunk) if chunk > 0 else -1
    if chunk < 1 or n < 0 or any(not 0 <= i < n_chunks for i in raw):
        raise CompressError("corrupt header")
    if "blocks" in header and len(header["blocks"]) != -(
        -max(n_chunks, 0) // max(1, header["batch"])
    ):
        raise CompressError("corrupt header (block count)")
    raw_len = sum(min(chunk, n - i * chunk) for i in raw)
    # what the payload can hold: each model-coded chunk's first byte costs 8 bits, every other
    # byte at least 1 / BYTES_PER_PAYLOAD_BYTE of a payload byte
    if n_chunks - len(set(raw)) > payload + 1 or n - raw_len > BYTES_PER_PAYLOAD_BYTE * (
        payload + 1
    ):
        raise CompressError("corrupt header (it claims more data than the stream holds)")
    body = blob[start + size :]
    if len(body) < payload + raw_len:
        raise CompressError(
            f"truncated stream: {len(body)} of {payload + raw_len} data bytes are present"
        )
    if len(body) > payload + raw_len:
        raise CompressError("corrupt stream: unexpected bytes after the data")
    return {**header, "version": version}, body[:payload], body[payload:]


def stream(header: dict, version: int = VERSION) -> bytes:
    """Magic, version and the packed, CRC-guarded header: everything before the data."""
    head = pack_header(header, version)
    return MAGIC + HEAD.pack(version, len(head), zlib.crc32(head)) + head
