"""The errors of file and image loading: one clear line naming the source and the reason."""

from __future__ import annotations

from ..errors import AetherError


class FileError(AetherError):
    """A file that cannot be loaded (missing, too big, unreadable)."""


class ImageError(FileError):
    """Bytes that cannot be used as an image; the message names the source and the reason."""
