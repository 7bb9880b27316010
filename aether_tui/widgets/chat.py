"""The conversation pane: user and assistant turns, streamed answers, inline images, notices.

The answer of a turn streams into an :class:`AssistantMessage` through Textual's
``MarkdownStream`` (which batches fragments when they arrive faster than they can be rendered).
When the turn ends the whole markdown is parsed once more, so code blocks and tables that were
split across fragments come out right. Text is never interpreted as Textual markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from ..sanitize import printable
from .image import ChatImage

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage


class UserMessage(Static):
    """A user turn: its text verbatim (no markdown: what the user typed is what the model got)."""

    def __init__(self, text: str, attachments: list[str] | None = None) -> None:
        body = Text(printable(text))
        for a in attachments or []:
            body.append(("\n" if body else "") + f"📎 {a}", style="italic")
        super().__init__(body, classes="turn user")
        self.text = text
        self.border_title = "You"


class AssistantMessage(Vertical):
    """An assistant answer: markdown, streamed, re-rendered in full when the turn ends."""

    def __init__(self, source: str = "") -> None:
        super().__init__(classes="turn assistant")
        self.border_title = "Aether"
        self._source = printable(source)
        self._stream: MarkdownStream | None = None
        self.finished = bool(source)

    @property
    def source(self) -> str:
        return self._source

    @property
    def markdown(self) -> Markdown:
        return self.query_one(Markdown)

    def compose(self):
        yield Markdown(self._source)

    async def append(self, fragment: str) -> None:
        fragment = printable(fragment)
        self._source += fragment
        if self._stream is None:
            self._stream = Markdown.get_stream(self.markdown)
        await self._stream.write(fragment)

    async def finish(self, final: str | None = None) -> None:
        """Stop streaming and render the whole answer once more (``final`` replaces it if given)."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if final is not None:
            self._source = printable(final)
        await self.markdown.update(self._source)
        self.finished = True


class ChatNotice(Static):
    """A line from the app rather than the model: errors, cancellations, hints."""

    def __init__(self, text: str, kind: str = "info") -> None:
        super().__init__(Text(printable(text)), classes=f"notice -{kind}")
        self.kind = kind
        self.text = text


class ChatView(VerticalScroll):
    """The scrolling conversation. Methods are called by the app (messages up, calls down)."""

    can_focus = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._answer: AssistantMessage | None = None

    def on_mount(self) -> None:
        self.anchor()  # stay at the bottom while new content arrives, unless the user scrolled

    @property
    def current_answer(self) -> AssistantMessage | None:
        return self._answer

    @property
    def answers(self) -> list[AssistantMessage]:
        return list(self.query(AssistantMessage))

    @property
    def last_answer_text(self) -> str | None:
        answers = [a for a in self.answers if a.source.strip()]
        return answers[-1].source if answers else None

    async def add_user(self, text: str, attachments: list[str] | None = None) -> UserMessage:
        await self.end_answer()
        msg = UserMessage(text, attachments)
        await self.mount(msg)
        return msg

    async def append_answer(self, fragment: str) -> None:
        if self._answer is None:
            self._answer = AssistantMessage()
            await self.mount(self._answer)
        await self._answer.append(fragment)

    async def end_answer(self, final: str | None = None) -> None:
        """Finish the current answer bubble (full markdown render); ``final`` if nothing streamed."""
        answer, self._answer = self._answer, None
        if answer is not None:
            await answer.finish()
        elif final:
            await self.mount(AssistantMessage(final))

    async def add_answer(self, text: str) -> AssistantMessage:
        """A complete answer (resumed chats)."""
        await self.end_answer()
        msg = AssistantMessage(text)
        await self.mount(msg)
        return msg

    async def add_image(self, image: PILImage | None, caption: str, kind: str) -> ChatImage:
        """An image (user-attached or produced) drawn in half blocks, with its path beside it."""
        if kind == "produced":
            await self.end_answer()  # later answer text goes below the image
        widget = ChatImage(image, caption, kind)
        await self.mount(widget)
        return widget

    async def add_notice(self, text: str, kind: str = "info") -> ChatNotice:
        notice = ChatNotice(text, kind)
        await self.mount(notice)
        return notice

    async def clear(self) -> None:
        self._answer = None
        await self.remove_children()
