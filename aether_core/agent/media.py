"""The images and files of a turn: what the user attaches, as the model takes them (VQ codes,
file segments), and what a step produces, saved where the user can open them. Mixed into
AetherAgent, as ``TwoRequests`` is."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import AetherError
from ..segments import File, Image, Message, SegmentError
from .events import Event, FileProduced, ImageProduced


class Media:
    """AetherAgent's images and files (mixed into it). Uses the agent's ``vq`` (the image codec,
    None without one), ``net_policy``, ``config`` and ``_pixels`` (codes -> model pixels)."""

    vq: Any
    net_policy: Any
    config: Any
    _pixels: dict[bytes, Any]

    def image_codes(self, source: str | bytes) -> bytes:
        """An image (path, http(s) URL fetched SSRF-safely, or file bytes) as the model's VQ
        codes, within the image limits of ``files.load_image``."""
        from ..files import image_to_tensor, load_image, to_model_image

        if self.vq is None:
            raise AetherError("this model has no image codec (vq.safetensors): cannot take images")
        if isinstance(source, bytes):
            img = load_image(source, name="image")
        elif source.startswith(("http://", "https://")):
            img = load_image(fetch_image(source, self.net_policy), name=source)
        else:
            img = load_image(Path(source))
        small = to_model_image(img)
        codes = self.vq.encode(small)
        self._pixels[codes] = image_to_tensor(small)
        return codes

    def _load_file(self, path: str) -> File:
        from ..files import load_file

        return load_file(path, max_bytes=self.config.max_file_bytes)

    def _images_for(self, messages: Sequence[Message]) -> list[Any]:
        """Pixels for every IMG segment in the context, in stream order (decoded when unknown)."""
        out = []
        for m in messages:
            for img in m.of(Image):
                px = self._pixels.get(img.data)
                if px is None and self.vq is not None and len(img.data) == 128:
                    from ..files import image_to_tensor

                    px = self._pixels[img.data] = image_to_tensor(self.vq.decode(img.data))
                if px is not None:
                    out.append(px)
        return out

    def _shown(self, turn: Sequence[Message]) -> Any:
        """The pixels of the picture the user shows in this turn (its last), or None."""
        images = self._images_for(turn[:1])
        return images[-1] if images else None

    def _out_dir(self) -> Path:
        from ..fsutil import data_dir

        return Path(self.config.out_dir or data_dir() / "outputs")

    def _emit_outputs(self, msg: Message) -> Iterator[Event]:
        if not msg.of(Image) and not msg.of(File):
            return
        from ..files import save_output

        stamp = time.strftime("%Y%m%d-%H%M%S")
        for i, img in enumerate(msg.of(Image)):
            if self.vq is None:
                continue
            pil = self.vq.decode(img.data)
            out = self._out_dir() / f"image-{stamp}-{i}.png"
            import io

            buf = io.BytesIO()
            pil.save(buf, format="PNG")
            path, _ = save_output(buf.getvalue(), out.parent, out.stem)
            yield ImageProduced(str(path), img.data, pil)
        for i, f in enumerate(msg.of(File)):
            path, kind = save_output(
                f.data, self._out_dir(), Path(f.name).stem or f"file-{stamp}-{i}"
            )
            yield FileProduced(str(path), kind, len(f.data))


def fetch_image(url: str, net_policy: Any = None) -> bytes:
    """An http(s) image's bytes through the SSRF-safe fetcher (private addresses refused)."""
    from ..tools.fetch import safe_fetch
    from ..tools.netguard import NetPolicy

    accept = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
    return safe_fetch(url, net_policy or NetPolicy(), accept=accept).body


def file_from_payload(payload: bytes) -> File:
    """A FILE segment a step wrote, or its bytes as an untitled file where the payload has no
    header."""
    try:
        return File.from_payload(payload)
    except SegmentError:
        return File("output", "", payload)
