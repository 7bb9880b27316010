"""Saved conversations: search, resume (Enter), rename (r), delete (x, twice to confirm)."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


class ChatsScreen(ModalScreen[int | None]):
    """Dismissed with the id of the chat to resume, or None."""

    CSS_PATH = "chats.tcss"

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("r", "rename", "Rename"),
        Binding("x,delete", "delete", "Delete"),
        Binding("slash", "search", "Search"),
    ]

    def __init__(self, store: Any, current: int | None = None) -> None:
        super().__init__()
        self.store = store
        self.current = current
        self._confirm_delete: int | None = None
        self._renaming: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="chats-dialog") as d:
            d.border_title = "Conversations"
            yield Input(placeholder="search titles and text (Enter)", id="chats-search")
            table: DataTable = DataTable(id="chats-table", cursor_type="row", zebra_stripes=True)
            table.add_columns("id", "title", "updated", "msgs")
            yield table
            yield Input(placeholder="new title (Enter)", id="chats-rename")
            yield Static(
                Text("Enter resume · r rename · x delete · / search · Esc close"), id="chats-help"
            )

    def on_mount(self) -> None:
        self.refresh_list()
        self.query_one("#chats-table", DataTable).focus()

    @property
    def table(self) -> DataTable:
        return self.query_one("#chats-table", DataTable)

    def refresh_list(self, query: str = "") -> None:
        table = self.table
        table.clear()
        for c in self.store.list(query or None):
            mark = "▶ " if c.id == self.current else ""
            table.add_row(
                str(c.id), mark + c.title, _when(c.updated), str(c.n_messages), key=str(c.id)
            )

    def selected_id(self) -> int | None:
        table = self.table
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    def _help(self, text: str) -> None:
        self.query_one("#chats-help", Static).update(Text(text))

    # ------------------------------------------------------------------ actions
    def action_close(self) -> None:
        if self._renaming is not None:
            self._end_rename()
            return
        self.dismiss(None)

    def action_search(self) -> None:
        self.query_one("#chats-search", Input).focus()

    def action_rename(self) -> None:
        chat_id = self.selected_id()
        if chat_id is None:
            return
        record = self.store.get(chat_id)
        self._renaming = chat_id
        box = self.query_one("#chats-rename", Input)
        box.value = record.title if record else ""
        box.add_class("-visible")
        box.focus()

    def _end_rename(self) -> None:
        self._renaming = None
        self.query_one("#chats-rename", Input).remove_class("-visible")
        self.table.focus()

    def action_delete(self) -> None:
        chat_id = self.selected_id()
        if chat_id is None:
            return
        if self._confirm_delete != chat_id:
            self._confirm_delete = chat_id
            self._help(f"Press x again to delete chat {chat_id}; anything else keeps it.")
            return
        self.store.delete(chat_id)
        self._confirm_delete = None
        self._help(f"Deleted chat {chat_id}.")
        self.refresh_list(self.query_one("#chats-search", Input).value)

    def on_key(self, event) -> None:
        if event.key not in ("x", "delete"):
            self._confirm_delete = None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key is not None:
            self.dismiss(int(event.row_key.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "chats-search":
            self.refresh_list(event.value)
            self.table.focus()
        elif event.input.id == "chats-rename" and self._renaming is not None:
            title = event.value.strip()
            if title:
                self.store.rename(self._renaming, title)
            self._end_rename()
            self.refresh_list(self.query_one("#chats-search", Input).value)
