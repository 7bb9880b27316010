"""Half-block image rendering: two pixels per character cell, as a Rich renderable.

Each cell is ``▀`` whose foreground is the upper pixel and whose background is the lower pixel, so
a 64×64 image fills 64 columns × 32 rows. Wider images are downscaled to the width Rich offers
(the widget's width in Textual). Colours are truecolor when the console supports it and are
explicitly reduced to the 256-colour palette otherwise, so a terminal without truecolor still sees
an image rather than whatever the driver's generic downgrade makes of it.

Only Rich and Pillow are used: this module is safe to import at app start-up (no torch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.color import Color, ColorSystem
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

UPPER_HALF = "▀"

Pixel = tuple[int, int, int]


def _color(rgb: Pixel, system: ColorSystem | None) -> Color:
    """An RGB colour, reduced to the console's palette when it cannot show truecolor."""
    color = Color.from_rgb(*rgb)
    if system is None or system == ColorSystem.TRUECOLOR:
        return color
    return color.downgrade(system)


def _system_of(console: Console) -> ColorSystem | None:
    """The console's colour system as the enum (``console.color_system`` is its name)."""
    name = console.color_system
    if name is None:
        return None
    return {
        "truecolor": ColorSystem.TRUECOLOR,
        "256": ColorSystem.EIGHT_BIT,
        "standard": ColorSystem.STANDARD,
        "windows": ColorSystem.WINDOWS,
    }.get(name, ColorSystem.EIGHT_BIT)


class HalfBlockImage:
    """A PIL image drawn with ``▀`` cells; downscaled (aspect kept) to fit the available width.

    Args:
        image: any PIL image; it is converted to RGB (transparency composited on black).
        max_width: an upper bound on the width in cells, on top of what the console offers.
    """

    def __init__(self, image: PILImage, max_width: int | None = None) -> None:
        self.image = _to_rgb(image)
        self.max_width = max_width
        self._cache: dict[int, tuple[int, int, list[Pixel]]] = {}

    @property
    def size(self) -> tuple[int, int]:
        """Native size in cells: (columns, rows)."""
        w, h = self.image.size
        return w, (h + 1) // 2

    def cells_for_width(self, width: int) -> tuple[int, int]:
        """Size in cells (columns, rows) when at most ``width`` columns are available."""
        w, h, _ = self._pixels(width)
        return w, (h + 1) // 2

    def _pixels(self, width: int) -> tuple[int, int, list[Pixel]]:
        """The image scaled to fit ``width`` columns, as (width, height, row-major pixels)."""
        width = max(1, width)
        if self.max_width is not None:
            width = min(width, self.max_width)
        iw, ih = self.image.size
        target = min(width, iw)
        if target in self._cache:
            return self._cache[target]
        img = self.image
        if target < iw:
            from PIL import Image

            th = max(1, round(ih * target / iw))
            img = img.resize((target, th), Image.Resampling.BOX)
        w, h = img.size
        raw = img.tobytes()  # RGB, row-major
        pixels: list[Pixel] = list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))
        self._cache[target] = (w, h, pixels)
        return w, h, pixels

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        w, _, _ = self._pixels(options.max_width)
        return Measurement(w, w)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        w, h, px = self._pixels(options.max_width)
        system = _system_of(console)
        new_line = Segment.line()
        for y in range(0, h, 2):
            top = px[y * w : (y + 1) * w]
            bottom = px[(y + 1) * w : (y + 2) * w] if y + 1 < h else None
            for x in range(w):
                fg = _color(top[x], system)
                bg = _color(bottom[x], system) if bottom is not None else None
                yield Segment(UPPER_HALF, Style(color=fg, bgcolor=bg))
            yield new_line


def _to_rgb(image: PILImage) -> PILImage:
    """RGB copy of ``image``; alpha is composited over black so transparent areas stay dark."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        from PIL import Image

        rgba = image.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(base, rgba).convert("RGB")
    return image.convert("RGB")
