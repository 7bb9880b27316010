"""Decoding images with Pillow under explicit limits (bytes, pixels, formats): any failure is an
:class:`ImageError` naming the source, never a Pillow traceback."""

from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..humanize import human_size
from .errors import ImageError
from .kinds import is_bmp
from .load import MB, read_capped

MAX_IMAGE_BYTES = 10 * MB
MAX_IMAGE_PIXELS = 4096 * 4096
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")


def _pillow_failure(e: Exception) -> str:
    msg = str(e).lower()
    if isinstance(e, EOFError) or "truncat" in msg or "premature" in msg or "end of file" in msg:
        return "truncated image"
    return f"corrupt image ({' '.join(str(e).split())[:80] or type(e).__name__})"


def to_rgb(img: Image.Image) -> Image.Image:
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
                f"{label}: image file too large: {human_size(len(data))} (max {human_size(max_bytes)})"
            )
    else:
        path = Path(source).expanduser()
        label = name or str(path)
        try:
            data = read_capped(path, max_bytes, ImageError)
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
                return to_rgb(img)
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
    if is_bmp(data):
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
