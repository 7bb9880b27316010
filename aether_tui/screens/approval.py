"""The tool-approval modal: keyboard only.

``y`` approve once · ``a`` always approve this tool (until the app closes) · ``n`` deny once ·
``d`` always deny this tool · ``e`` edit the arguments (JSON) then approve with Ctrl+S ·
``t`` deny and tell the model what to do instead · ``Esc`` deny (or leave edit/tell mode).

The screen is dismissed with an ``ApprovalDecision``; the app hands it to the waiting agent thread.
"""

from __future__ import annotations

import json
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from aether_core.agent.events import ApprovalDecision, ApprovalRequest


def make_decision(
    approved: bool,
    remember: bool = False,
    args: dict[str, Any] | None = None,
    message: str | None = None,
) -> ApprovalDecision:
    return ApprovalDecision(approved=approved, remember=remember, args=args, message=message)


def pretty_args(args: dict[str, Any]) -> str:
    return json.dumps(args, indent=2, ensure_ascii=False, sort_keys=False)


class ApprovalScreen(ModalScreen[ApprovalDecision]):
    CSS_PATH = "approval.tcss"

    # The tooltips are the help screen's lines.
    BINDINGS = [
        Binding("y", "decide('once')", "Approve", show=False, tooltip="approve this call"),
        Binding(
            "a",
            "decide('always')",
            "Always",
            show=False,
            tooltip="always approve this tool until the app closes",
        ),
        Binding("n", "decide('deny')", "Deny", show=False, tooltip="deny this call"),
        Binding(
            "d",
            "decide('never')",
            "Always deny",
            show=False,
            tooltip="always deny this tool until the app closes",
        ),
        Binding(
            "e",
            "edit",
            "Edit args",
            show=False,
            tooltip="edit the arguments (JSON), then Ctrl+S to approve",
        ),
        Binding(
            "t", "tell", "Deny + tell", show=False, tooltip="deny and tell the model what to do"
        ),
        Binding("escape", "escape", "Deny", show=False, tooltip="deny (in edit or tell: back)"),
        Binding(
            "ctrl+s", "save_edit", "Approve edited", show=False, tooltip="approve the edited call"
        ),
        Binding(
            "ctrl+c",
            "app.cancel_turn",
            "Cancel turn",
            show=False,
            priority=True,
            tooltip="cancel the whole turn",
        ),
    ]

    def __init__(
        self, request: ApprovalRequest, waiting: int = 0, reason: str | None = None
    ) -> None:
        super().__init__()
        self.request = request
        self.reason = (request.reason or "").strip() or (reason or "").strip()
        self.waiting = waiting  # further requests queued behind this one
        self.mode = "view"  # "view" | "edit" | "tell"

    def compose(self) -> ComposeResult:
        req = self.request
        with Vertical(id="approval-dialog") as dialog:
            dialog.border_title = f"Tool request: {req.tool}"
            dialog.border_subtitle = self._waiting_text()
            reason = self.reason or "(no thought given)"
            yield Static(Text.assemble(("Why: ", "bold"), reason), id="approval-reason")
            with VerticalScroll(id="approval-args-scroll"):
                yield Static(
                    Syntax(pretty_args(req.args), "json", theme="ansi_dark", word_wrap=True),
                    id="approval-args",
                )
            yield TextArea(pretty_args(req.args), id="approval-editor", soft_wrap=True)
            yield Input(placeholder="what should the model do instead? (Enter)", id="approval-tell")
            yield Static("", id="approval-error")
            yield Static(self._keys_text(), id="approval-keys")

    def _waiting_text(self) -> str | None:
        return f"{self.waiting} more waiting" if self.waiting else None

    def set_waiting(self, waiting: int) -> None:
        """How many requests are queued behind this one (they are shown one at a time)."""
        self.waiting = waiting
        if self.is_mounted:
            self.query_one("#approval-dialog").border_subtitle = self._waiting_text()

    def _keys_text(self) -> Text:
        if self.mode == "edit":
            pairs = [("Ctrl+S", "approve edited"), ("Esc", "back")]
        elif self.mode == "tell":
            pairs = [("Enter", "deny and send"), ("Esc", "back")]
        else:
            pairs = [
                ("y", "approve"),
                ("a", "always"),
                ("n", "deny"),
                ("d", "never"),
                ("e", "edit"),
                ("t", "tell"),
                ("Esc", "deny"),
            ]
        text = Text()
        for i, (key, what) in enumerate(pairs):
            if i:
                text.append(" ")
            text.append(f" {key} ", style="bold reverse")
            text.append(f" {what}")
        return text

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        for m in ("view", "edit", "tell"):
            self.set_class(m == mode, f"-{m}")
        self.query_one("#approval-keys", Static).update(self._keys_text())
        self._error("")
        if mode == "edit":
            self.query_one("#approval-editor", TextArea).focus()
        elif mode == "tell":
            self.query_one("#approval-tell", Input).focus()
        else:
            self.set_focus(None)

    def on_mount(self) -> None:
        self._set_mode("view")

    def _error(self, text: str) -> None:
        err = self.query_one("#approval-error", Static)
        err.update(Text(text))
        err.set_class(bool(text), "-visible")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("decide", "edit", "tell"):
            return self.mode == "view"
        if action == "save_edit":
            return self.mode == "edit"
        return True

    # ------------------------------------------------------------------ actions
    def action_decide(self, how: str) -> None:
        approved = how in ("once", "always")
        remember = how in ("always", "never")
        self.dismiss(make_decision(approved, remember=remember))

    def action_edit(self) -> None:
        self._set_mode("edit")

    def action_tell(self) -> None:
        self._set_mode("tell")

    def action_escape(self) -> None:
        if self.mode == "view":
            self.dismiss(make_decision(False))
        else:
            self._set_mode("view")

    def action_save_edit(self) -> None:
        raw = self.query_one("#approval-editor", TextArea).text
        try:
            args = json.loads(raw)
        except json.JSONDecodeError as e:
            self._error(f"Invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})")
            return
        if not isinstance(args, dict):
            self._error("The arguments must be a JSON object: { ... }")
            return
        self.dismiss(make_decision(True, args=args))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "approval-tell":
            return
        event.stop()
        message = event.value.strip()
        if not message:
            self._error("Type what the model should do instead, or Esc to go back.")
            return
        self.dismiss(make_decision(False, message=message))
