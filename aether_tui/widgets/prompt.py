"""The message input: multi-line, with history, slash-command completion and path drops.

Enter sends and Shift+Enter / Ctrl+J insert a newline (swapped when ``enter_sends`` is False).
Up on the first line and Down on the last line walk the history. A completion for a slash
command is shown as ghost text (TextArea's ``suggestion``) and accepted with Tab or Right.
A paste that is just the path of an existing image file (what terminals send on drag-and-drop)
becomes an attachment instead of text.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from ..attachments import is_image_path, path_from_paste
from ..commands import complete

NEWLINE_KEYS = ("shift+enter", "ctrl+j")


class PromptInput(TextArea):
    # Handled in _on_key (a TextArea's own keys are not bindings); the help screen lists these.
    KEYS: tuple[tuple[str, str], ...] = (
        ("enter", "send the message (swappable with enter_sends = false in settings)"),
        (",".join(NEWLINE_KEYS), "new line in the message"),
        ("up,down", "message history (on the first / last line)"),
        ("tab,right", "accept the completion shown after a slash command"),
    )

    class Submitted(Message):
        def __init__(self, prompt: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

        @property
        def control(self) -> PromptInput:
            return self.prompt

    class AttachmentPasted(Message):
        """A dropped/pasted image path: attach it to the next message."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def __init__(self, enter_sends: bool = True, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)
        self.enter_sends = enter_sends
        self.sent_history: list[str] = []
        self._hist_pos: int | None = None  # index into history while browsing
        self._draft = ""

    # ------------------------------------------------------------------ keys
    @property
    def send_keys(self) -> tuple[str, ...]:
        return ("enter",) if self.enter_sends else NEWLINE_KEYS

    @property
    def newline_keys(self) -> tuple[str, ...]:
        return NEWLINE_KEYS if self.enter_sends else ("enter",)

    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        handled = True
        if key in self.send_keys:
            self.submit()
        elif key in self.newline_keys:
            self.insert("\n")
        elif key == "tab" and self.suggestion:
            self.insert(self.suggestion)
        elif key == "up" and self.cursor_location[0] == 0 and self.sent_history:
            self.history_back()
        elif key == "down" and self._hist_pos is not None and self._on_last_line():
            self.history_forward()
        else:
            handled = False
        if handled:
            event.stop()
            event.prevent_default()  # TextArea's own handler must not also insert

    def _on_last_line(self) -> bool:
        return self.cursor_location[0] >= self.document.line_count - 1

    # ------------------------------------------------------------------ actions
    def submit(self) -> None:
        text = self.text
        if not text.strip():
            return
        if not self.sent_history or self.sent_history[-1] != text:
            self.sent_history.append(text)
        self._hist_pos = None
        self._draft = ""
        self.clear()
        self.post_message(self.Submitted(self, text))

    def history_back(self) -> None:
        if self._hist_pos is None:
            self._draft = self.text
            self._hist_pos = len(self.sent_history)
        if self._hist_pos > 0:
            self._hist_pos -= 1
            self._set_text(self.sent_history[self._hist_pos])

    def history_forward(self) -> None:
        if self._hist_pos is None:
            return
        self._hist_pos += 1
        if self._hist_pos >= len(self.sent_history):
            self._hist_pos = None
            self._set_text(self._draft)
        else:
            self._set_text(self.sent_history[self._hist_pos])

    def _set_text(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)

    def prefill(self, text: str) -> None:
        self._set_text(text)
        self.focus()

    # ------------------------------------------------------------------ completion / paste
    def update_suggestion(self) -> None:
        text = self.text
        self.suggestion = ""
        if not text.startswith("/") or self.cursor_location != self.document.end:
            return
        full = complete(text)
        if full and full.startswith(text):
            self.suggestion = full[len(text) :]

    async def _on_paste(self, event: events.Paste) -> None:
        path = path_from_paste(event.text)
        if path is not None and is_image_path(path):
            event.stop()
            event.prevent_default()
            self.post_message(self.AttachmentPasted(str(path)))
