"""Numbers for people: one formatter for byte sizes, shared by error messages and the TUI."""

from __future__ import annotations


def human_size(n: float) -> str:
    """``512 B``, ``1.5 KB``, ``3.0 MB``, ``2.1 GB`` (binary multiples)."""
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KB", "MB"):
        n /= 1024
        if n < 1024:
            return f"{n:.1f} {unit}"
    return f"{n / 1024:.1f} GB"
