"""Images and files attached to the next message (``/image``, ``/attach``, a dropped path), shown
in the attachment bar until the message is sent."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .widgets.status import AttachmentBar

Notify = Callable[..., object]  # App.notify
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm"}


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


def path_from_paste(text: str) -> Path | None:
    """A dropped/pasted file path (quotes, ``file://`` and escaped spaces handled), if it exists."""
    s = text.strip()
    if not s or "\n" in s:
        return None
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        s = s[1:-1]
    if s.startswith("file://"):
        from urllib.parse import unquote, urlparse

        s = unquote(urlparse(s).path)
    s = s.replace("\\ ", " ")
    p = Path(os.path.expanduser(s))
    try:
        return p if p.is_file() else None
    except OSError:
        return None


class Attachments:
    def __init__(self, bar: Callable[[], AttachmentBar], notify: Notify) -> None:
        self._bar = bar  # looked up when needed: the main screen exists after mount
        self._notify = notify
        self.images: list[str] = []  # paths or URLs
        self.files: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.images or self.files)

    def take(self) -> tuple[list[str], list[str]]:
        """The attachments for the message being sent; the bar empties."""
        images, files = self.images, self.files
        self.clear()
        return images, files

    def clear(self) -> None:
        self.images, self.files = [], []
        self._show()

    def add_image(self, ref: str) -> bool:
        if not is_url(ref):
            path = Path(ref).expanduser()
            if not path.is_file():
                self._notify(f"No such image file: {ref}", severity="error")
                return False
            if not is_image_path(path):
                self._notify(f"{path.name} does not look like an image; attaching anyway.")
            ref = str(path)
        self.images.append(ref)
        self._show()
        return True

    def add_file(self, ref: str) -> bool:
        path = Path(ref).expanduser()
        if not path.is_file():
            self._notify(f"No such file: {ref}", severity="error")
            return False
        self.files.append(str(path))
        self._show()
        return True

    def _show(self) -> None:
        self._bar().show_attachments(self.images, self.files)
