"""The half-block renderer, cell by cell, and images in the chat."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from rich.color import ColorType
from rich.console import Console
from rich.segment import Segment

from aether_core.agent.events import AnswerDelta, ImageProduced
from aether_tui.halfblock import UPPER_HALF, HalfBlockImage
from aether_tui.widgets.chat import AssistantMessage
from aether_tui.widgets.image import ChatImage
from tests.tui.fakes import FakeFactory
from tests.tui.helpers import ready, send, settle, wait_until


def pattern(size: int = 64) -> Image.Image:
    """Every pixel distinct: (x*4, y*4, (x+y)%256), so a wrong cell cannot match by chance."""
    img = Image.new("RGB", (size, size))
    for y in range(size):
        for x in range(size):
            img.putpixel((x, y), (x * 4 % 256, y * 4 % 256, (x * 7 + y * 3) % 256))
    return img


def render_cells(renderable, width: int, color_system: str = "truecolor") -> list[list[Segment]]:
    console = Console(color_system=color_system, width=width, force_terminal=True, record=False)
    lines = console.render_lines(renderable, console.options.update(width=width), pad=False)
    return [[s for s in line if s.text] for line in lines]


def test_truecolor_cells_match_pixels():
    img = pattern()
    lines = render_cells(HalfBlockImage(img), width=100)
    assert len(lines) == 32
    for y, line in enumerate(lines):
        assert len(line) == 64
        for x, seg in enumerate(line):
            assert seg.text == UPPER_HALF
            assert seg.style.color.type == ColorType.TRUECOLOR
            assert seg.style.color.get_truecolor() == img.getpixel((x, 2 * y))
            assert seg.style.bgcolor.get_truecolor() == img.getpixel((x, 2 * y + 1))


def test_256_colour_fallback():
    img = Image.new("RGB", (4, 4), (255, 0, 0))
    img.putpixel((0, 1), (0, 0, 255))
    lines = render_cells(HalfBlockImage(img), width=80, color_system="256")
    assert len(lines) == 2 and all(len(line) == 4 for line in lines)
    seg = lines[0][0]
    assert seg.style.color.type == ColorType.EIGHT_BIT
    assert seg.style.bgcolor.type == ColorType.EIGHT_BIT
    assert seg.style.color.number == 196  # pure red in the 256-colour cube
    assert seg.style.bgcolor.number == 21  # pure blue


def test_downscaled_to_the_available_width():
    img = pattern()
    renderable = HalfBlockImage(img)
    lines = render_cells(renderable, width=32)
    assert len(lines) == 16 and all(len(line) == 32 for line in lines)
    assert renderable.cells_for_width(32) == (32, 16)
    assert renderable.size == (64, 32)
    # a solid image stays solid when scaled
    solid = render_cells(HalfBlockImage(Image.new("RGB", (64, 64), (10, 200, 30))), width=20)
    assert {s.style.color.get_truecolor() for line in solid for s in line} == {(10, 200, 30)}


def test_odd_height_and_alpha():
    img = Image.new("RGBA", (2, 3), (255, 255, 255, 255))
    img.putpixel((1, 2), (255, 255, 255, 0))  # transparent: composited over black
    lines = render_cells(HalfBlockImage(img), width=10)
    assert len(lines) == 2
    last = lines[1]
    assert last[0].style.bgcolor is None  # no lower pixel on the last row
    assert last[1].style.color.get_truecolor() == (0, 0, 0)


async def test_image_command_draws_user_image(make_app, tmp_path: Path):
    path = tmp_path / "pattern.png"
    img = pattern()
    img.save(path)
    app, factory = make_app()
    async with app.run_test(size=(100, 50)) as pilot:
        await ready(pilot)
        await send(pilot, f"/image {path}", wait=False)
        assert app.attached.images == [str(path)]
        assert app.main.attachments.has_class("-visible")
        await send(pilot, "what is this?")
        await wait_until(pilot, lambda: app.main.chat.query(ChatImage).first().image is not None)
        await settle(pilot)
        assert factory.agent.runs[0]["images"] == [str(path)]
        assert not app.main.attachments.has_class("-visible")
        widget = app.main.chat.query_one(ChatImage)
        pixels = widget.query_one(".pixels")
        assert (pixels.region.width, pixels.region.height) == (64, 32)
        assert str(path) in str(widget.query_one(".caption").render())
        # the drawn cells are the image's pixels
        lines = render_cells(widget.renderable, width=pixels.region.width)
        assert [len(line) for line in lines] == [64] * 32
        assert lines[5][7].style.color.get_truecolor() == img.getpixel((7, 10))
        assert lines[5][7].style.bgcolor.get_truecolor() == img.getpixel((7, 11))
        # and Textual painted them: the screen's cell at the image's top-left has the colour
        strip = app.main._compositor.render_strips()[pixels.region.y]
        x0 = pixels.region.x
        segs = []
        col = 0
        for seg in strip:
            if col >= x0 and seg.text:
                segs.append(seg)
            col += len(seg.text)
        assert segs and segs[0].text.startswith(UPPER_HALF)


async def test_image_narrow_terminal_downscales(make_app, tmp_path: Path):
    path = tmp_path / "p.png"
    pattern().save(path)
    app, _ = make_app()
    async with app.run_test(size=(50, 40)) as pilot:
        await ready(pilot)
        await send(pilot, f"/image {path}", wait=False)
        await send(pilot, "x")
        await wait_until(pilot, lambda: app.main.chat.query(ChatImage).first().image is not None)
        await settle(pilot)
        pixels = app.main.chat.query_one(ChatImage).query_one(".pixels")
        assert 20 <= pixels.region.width < 50
        assert pixels.region.height == (pixels.region.width + 1) // 2


async def test_url_image_and_missing_file(make_app):
    app, factory = make_app(FakeFactory())  # the fake never fetches the URL
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "/image /no/such/file.png", wait=False)
        assert app.attached.images == []
        await send(pilot, "/image https://example.com/cat.png", wait=False)
        await send(pilot, "see")
        widget = app.main.chat.query_one(ChatImage)
        assert widget.image is None and "https://example.com/cat.png" in widget.caption
        assert factory.agent.runs[0]["images"] == ["https://example.com/cat.png"]


async def test_pasted_image_path_becomes_attachment(make_app, tmp_path: Path):
    path = tmp_path / "drop me.png"
    pattern(8).save(path)
    app, _ = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        app.main.prompt.focus()
        await pilot.pause()
        from textual import events

        app.post_message(events.Paste(f"'{path}'"))  # as the driver does
        await settle(pilot)
        assert app.attached.images == [str(path)]
        assert app.main.prompt.text == ""
        app.post_message(events.Paste("just text"))
        await settle(pilot)
        assert app.main.prompt.text == "just text" and app.attached.images == [str(path)]


async def test_produced_image_in_chat(make_app, tmp_path: Path):
    path = tmp_path / "out.png"
    img = pattern()
    img.save(path)
    script = [ImageProduced(str(path), bytes(128), img), AnswerDelta("Here it is.")]
    app, _ = make_app(FakeFactory(script=script))
    async with app.run_test(size=(100, 50)) as pilot:
        await ready(pilot)
        await send(pilot, "draw")
        widget = app.main.chat.query_one(ChatImage)
        assert widget.kind == "produced" and widget.image is img
        assert "saved: " + str(path) in str(widget.query_one(".caption").render())
        # text after the image goes below it, in its own bubble
        assert app.main.chat.last_answer_text == "Here it is."


async def test_an_answer_streamed_before_its_picture_is_shown_once(make_app, tmp_path: Path):
    path = tmp_path / "out.png"
    img = pattern()
    img.save(path)
    script = [AnswerDelta("Here's a red circle."), ImageProduced(str(path), bytes(128), img)]
    app, _ = make_app(FakeFactory(script=script))  # as the agent sends a drawing step's events
    async with app.run_test(size=(100, 50)) as pilot:
        await ready(pilot)
        await send(pilot, "draw a red circle")
        answers = [m.source for m in app.main.chat.query(AssistantMessage)]
        assert answers == ["Here's a red circle."]
