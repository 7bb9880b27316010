"""Screens of the TUI; each has its own .tcss file next to it (its CSS_PATH)."""
