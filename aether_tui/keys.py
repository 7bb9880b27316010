"""Key names for people, from Textual binding strings: ``"f2,ctrl+t"`` -> ``"F2 / Ctrl+T"``."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding, BindingType

_NAMES = {"escape": "Esc", "slash": "/", "delete": "Delete", "enter": "Enter", "tab": "Tab"}


def key_label(keys: str) -> str:
    def one(key: str) -> str:
        *mods, last = key.split("+")
        if last in _NAMES:
            name = _NAMES[last]
        elif len(last) == 1:
            name = last.upper() if mods else last  # "Ctrl+C", but a lone "x" stays "x"
        else:
            name = last.capitalize()
        return "+".join([*(m.capitalize() for m in mods), name])

    return " / ".join(one(k.strip()) for k in keys.split(","))


def binding_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """``(keys, what)`` per binding: its tooltip, else its description (lower-case start)."""
    rows = []
    for b in bindings:
        if isinstance(b, Binding):
            what = b.tooltip or b.description
            rows.append((key_label(b.key), what[:1].lower() + what[1:]))
    return rows
