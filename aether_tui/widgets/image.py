"""An image in the chat: half-block art with its file path (or URL) beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, work
from textual.containers import Horizontal
from textual.widgets import Static

from ..halfblock import HalfBlockImage

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage


class ChatImage(Horizontal):
    """``kind`` is "user" (attached) or "produced" (decoded from the model's VQ codes).

    Without an image (a URL, or an unreadable file) only the caption is shown.
    """

    def __init__(self, image: PILImage | None, caption: str, kind: str = "user") -> None:
        super().__init__(classes=f"chat-image -{kind}")
        self.image = image
        self.caption = caption
        self.kind = kind
        self.renderable = HalfBlockImage(image) if image is not None else None

    MIN_CAPTION = 20  # narrower than this beside the image: put the caption below it

    def on_resize(self, event: events.Resize) -> None:
        width = event.size.width
        image_w = self.renderable.cells_for_width(width)[0] if self.renderable else 0
        self.set_class(width - image_w < self.MIN_CAPTION, "-stacked")

    def compose(self):
        yield Static(self.renderable or "", classes="pixels")
        yield Static(self._label(), classes="caption")

    def _label(self, note: str = "") -> Text:
        label = ("🖼 saved: " if self.kind == "produced" else "📎 ") + self.caption
        if self.image is not None:
            w, h = self.image.size
            label += f"  ({w}×{h})"
        if note:
            label += f"\n{note}"
        return Text(label)

    @work(thread=True, group="images", exit_on_error=False)
    def load(self, path: str) -> None:
        """Decode the picture at ``path`` off the UI thread (large photos take a while)."""
        try:
            from PIL import Image

            with Image.open(path) as im:
                im.load()
                img = im.convert("RGB") if im.mode not in ("RGB", "RGBA") else im.copy()
            if img.width > 256:
                img.thumbnail((256, 256))
            self.app.call_from_thread(self.set_image, img)
        except Exception as e:  # noqa: BLE001 - any unreadable file: say why, keep the caption
            self.app.call_from_thread(self.set_image, None, f"(cannot show: {e})")

    def set_image(self, image: PILImage | None, note: str = "") -> None:
        """Fill in the picture once it is loaded (user images load in a worker)."""
        self.image = image
        self.renderable = HalfBlockImage(image) if image is not None else None
        self.query_one(".pixels", Static).update(self.renderable or "")
        self.query_one(".caption", Static).update(self._label(note))
        self.set_class(
            self.size.width
            - (self.renderable.cells_for_width(self.size.width)[0] if self.renderable else 0)
            < self.MIN_CAPTION,
            "-stacked",
        )
