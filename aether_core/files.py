"""Safe loading and identification of files and images.

Kinds come from content, never from the name alone: a ``.png`` that holds text is text. The kinds
:func:`detect_kind` returns:

- signatures: ``png jpeg gif webp bmp wav pdf zip gzip``;
- ``compressed``: a compressed stream without a more specific kind (zlib, xz, bzip2, zstd);
- ``json`` (an object or array that parses), ``text`` (UTF-8 with few control characters);
- ``random``: high byte entropy, incompressible, no signature. Encrypted data, random bytes and
  compressed data without a header are indistinguishable by content, so they share this kind;
- ``structured-binary``: any other binary (executables, tables, short or low-entropy data);
- ``empty``.

Images are decoded with Pillow under explicit limits (bytes, pixels, formats) and any failure is
an :class:`ImageError` naming the source, never a Pillow traceback.
"""

from __future__ import annotations

import codecs
import functools
import io
import json
import math
import os
import re
import tempfile
import warnings
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import AetherError
from .segments import File

if TYPE_CHECKING:
    import torch

MB = 1 << 20
MAX_IMAGE_BYTES = 10 * MB
MAX_IMAGE_PIXELS = 4096 * 4096
MAX_FILE_BYTES = 1 * MB
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
_SNIFF = 1 * MB  # text/entropy checks look at this much
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


class FileError(AetherError):
    """A file that cannot be loaded (missing, too big, unreadable)."""


class ImageError(FileError):
    """Bytes that cannot be used as an image; the message names the source and the reason."""


# ----------------------------------------------------------------------------------- detection
def _is_bmp(data: bytes) -> bool:
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


_SIGNATURES: tuple[tuple[str, object], ...] = (
    ("png", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    ("jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    ("gif", lambda d: d[:6] in (b"GIF87a", b"GIF89a")),
    ("webp", lambda d: len(d) >= 12 and d[:4] == b"RIFF" and d[8:12] == b"WEBP"),
    ("wav", lambda d: len(d) >= 12 and d[:4] == b"RIFF" and d[8:12] == b"WAVE"),
    ("bmp", _is_bmp),
    ("pdf", lambda d: d.startswith(b"%PDF-")),
    ("zip", lambda d: d[:4] in (b"PK\x03\x04", b"PK\x05\x06")),
    ("gzip", lambda d: d.startswith(b"\x1f\x8b\x08")),
    ("compressed", lambda d: d.startswith((b"\xfd7zXZ\x00", b"BZh", b"\x28\xb5\x2f\xfd"))),
    ("compressed", _is_zlib),
)


def _text_of(data: bytes) -> str | None:
    """The decoded sample when ``data`` looks like UTF-8 text, else None."""
    sample = data[:_SNIFF]
    try:  # a multi-byte character cut at the sample's end is fine
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(sample, final=len(data) <= _SNIFF)
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
    for kind, test in _SIGNATURES:
        if test(data):  # type: ignore[operator]
            return kind
    text = _text_of(data)
    if text is not None:
        body = text.strip()
        is_json_name = bool(name) and str(name).lower().endswith(".json")
        if body and len(data) <= _SNIFF and (body[0] in "[{" or is_json_name):
            try:
                json.loads(body)
                return "json"
            except ValueError:
                pass
        return "text"
    sample = data[:_SNIFF]
    if len(sample) >= 128 and byte_entropy(sample) >= _entropy_threshold(len(sample)):
        # A flat histogram is not enough (bytes 0..255 repeated has 8 bits/byte): random-looking
        # data must also not compress.
        head = sample[:65536]
        if len(zlib.compress(head, 1)) >= 0.95 * len(head):
            return "random"
    return "structured-binary"


# ----------------------------------------------------------------------------------- saving
def _safe_stem(stem: str) -> str:
    stem = re.sub(r"[^\w.-]+", "_", os.path.basename(str(stem))).strip("._")
    return stem[:80] or "output"


def save_output(data: bytes, out_dir: str | os.PathLike, stem: str) -> tuple[Path, str]:
    """Save ``data`` as ``out_dir/stem.<ext for its kind>``, never overwriting: ``stem-1``, ...

    Written atomically: the bytes go to a temp file that is then hard-linked to a free name
    (a link fails instead of replacing), so readers never see a partial file.
    """
    kind = detect_kind(data)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base, ext = _safe_stem(stem), EXTENSIONS[kind]
    fd, tmp_name = tempfile.mkstemp(prefix=".save-", suffix=".tmp", dir=out)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        for n in range(10_000):
            path = out / (f"{base}{ext}" if n == 0 else f"{base}-{n}{ext}")
            try:
                os.link(tmp, path)
                return path, kind
            except FileExistsError:
                continue
            except OSError:  # no hard links here (some filesystems): reserve, then replace
                try:
                    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                except FileExistsError:
                    continue
                os.replace(tmp, path)
                return path, kind
        raise FileError(f"no free file name for {base}{ext} in {out}")
    finally:
        tmp.unlink(missing_ok=True)


# ----------------------------------------------------------------------------------- loading
def _human(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _read_capped(path: Path, max_bytes: int, error: type[FileError]) -> bytes:
    """Bytes of a regular file no bigger than ``max_bytes``, or ``error`` with a clear line."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise error(f"no such file: {path}") from None
    except OSError as e:
        raise error(f"cannot read {path}: {e.strerror or e}") from None
    if path.is_dir():
        raise error(f"{path} is a directory, not a file")
    if not path.is_file():
        raise error(f"{path} is not a regular file")
    if st.st_size > max_bytes:
        raise error(f"{path} is too large: {_human(st.st_size)} (max {_human(max_bytes)})")
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)  # the file may have grown since stat()
    except PermissionError:
        raise error(f"cannot read {path}: permission denied") from None
    except OSError as e:
        raise error(f"cannot read {path}: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise error(f"{path} is too large: over {_human(max_bytes)}")
    return data


def load_file(path: str | os.PathLike, max_bytes: int = MAX_FILE_BYTES) -> File:
    """A file as a ``File`` segment (name, detected kind, bytes), at most ``max_bytes`` long."""
    p = Path(path).expanduser()
    data = _read_capped(p, max_bytes, FileError)
    return File(p.name, detect_kind(data, p.name), data)


def _pillow_failure(e: Exception) -> str:
    msg = str(e).lower()
    if isinstance(e, EOFError) or "truncat" in msg or "premature" in msg or "end of file" in msg:
        return "truncated image"
    return f"corrupt image ({' '.join(str(e).split())[:80] or type(e).__name__})"


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB with any transparency composited on white, 16-bit and float modes scaled to 8 bits."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max(initial=0) > 255 else 255.0
        img = Image.fromarray(np.clip(arr / top * 255.0, 0, 255).astype(np.uint8), "L")
    elif img.mode == "F":
        img = Image.fromarray(np.clip(np.asarray(img), 0, 255).astype(np.uint8), "L")
    has_alpha = img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        img.mode in ("P", "L", "RGB") and "transparency" in img.info
    )
    if has_alpha:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")


def load_image(
    source: bytes | bytearray | memoryview | str | os.PathLike,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
    name: str | None = None,
) -> Image.Image:
    """Decode an image (PNG, JPEG, GIF, WEBP or BMP; first frame) to RGB, within limits.

    ``source`` is bytes or a local path; URLs are the caller's job (fetch them safely first).
    ``name`` labels bytes in error messages. Every failure is an :class:`ImageError`.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = name or "image data"
        data = bytes(source)
        if len(data) > max_bytes:
            raise ImageError(
                f"{label}: image file too large: {_human(len(data))} (max {_human(max_bytes)})"
            )
    else:
        path = Path(source).expanduser()
        label = name or str(path)
        try:
            data = _read_capped(path, max_bytes, ImageError)
        except ImageError as e:
            raise ImageError(f"{label}: {e}" if name else str(e)) from None
    if not data:
        raise ImageError(f"{label}: empty file")

    def fail(reason: str) -> ImageError:
        return ImageError(f"{label}: {reason}")

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
        except Image.DecompressionBombError as e:
            raise fail(_too_large(data, e)) from None
        except Image.DecompressionBombWarning as e:
            raise fail(_too_large(data, e)) from None
        except UnidentifiedImageError:
            raise fail(_unsupported(data)) from None
        except Exception as e:  # Pillow raises many types on hostile headers
            raise fail(_pillow_failure(e)) from None
        with probe:
            w, h = probe.size
            fmt = probe.format
            if w <= 0 or h <= 0:
                raise fail(f"invalid image size {w}x{h}")
            if w * h > max_pixels:
                raise fail(f"image too large: {w}x{h} pixels (max {max_pixels} pixels)")
            try:
                probe.verify()  # checksums and structure, without decoding pixels
            except Exception as e:
                raise fail(_pillow_failure(e)) from None
        try:
            with Image.open(io.BytesIO(data), formats=(fmt,) if fmt else IMAGE_FORMATS) as img:
                img.load()
                img = ImageOps.exif_transpose(img)  # phone photos come out upright
                return _to_rgb(img)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise fail(_too_large(data, e)) from None
        except Exception as e:
            raise fail(_pillow_failure(e)) from None


def _declared_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG, GIF or BMP header, for messages about oversized images."""
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:3] == b"GIF" and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if _is_bmp(data):
        w = int.from_bytes(data[18:22], "little", signed=True)
        h = int.from_bytes(data[22:26], "little", signed=True)
        return abs(w), abs(h)
    return None


def _too_large(data: bytes, e: Exception) -> str:
    """'image too large: 20000x20000 pixels' from Pillow's decompression-bomb error."""
    if size := _declared_size(data):
        return f"image too large: {size[0]}x{size[1]} pixels"
    m = re.search(r"\((\d+) pixels\)", str(e))
    return f"image too large: {int(m.group(1))} pixels" if m else "image too large"


def _unsupported(data: bytes) -> str:
    """'unsupported format TIFF' when Pillow knows the format (header only), else 'not an image'."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                return f"unsupported format {im.format} (use PNG, JPEG, GIF, WEBP or BMP)"
    except Exception:
        return "not an image"


# ----------------------------------------------------------------------------------- model I/O
def to_model_image(img: Image.Image, size: int = 64) -> Image.Image:
    """Center-crop to a square and resize to ``size`` x ``size`` RGB (LANCZOS)."""
    if img.mode != "RGB":
        img = _to_rgb(img)
    return ImageOps.fit(img, (size, size), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def image_to_tensor(img: Image.Image, size: int = 64) -> torch.Tensor:
    """Float tensor ``[3, size, size]`` in [0, 1]; resized with :func:`to_model_image` if needed."""
    import torch

    if img.mode != "RGB" or img.size != (size, size):
        img = to_model_image(img, size)
    arr = np.asarray(img, dtype=np.uint8)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div_(255.0).contiguous()


def tensor_to_image(t: torch.Tensor) -> Image.Image:
    """Inverse of :func:`image_to_tensor`: ``[3, H, W]`` (or ``[1, 3, H, W]``) in [0, 1] -> RGB."""
    import torch

    t = t.detach().cpu().float()
    if t.dim() == 4 and t.shape[0] == 1:
        t = t[0]
    if t.dim() != 3 or t.shape[0] not in (1, 3):
        raise ImageError(f"expected an image tensor [3, H, W], got {list(t.shape)}")
    if t.shape[0] == 1:
        t = t.expand(3, -1, -1)
    arr = (t.clamp(0, 1) * 255.0).round().to(dtype=torch.uint8)
    return Image.fromarray(arr.permute(1, 2, 0).contiguous().numpy(), "RGB")
