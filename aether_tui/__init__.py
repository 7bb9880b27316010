"""Aether's terminal UI (Textual): a pure view over ``aether_core.agent``'s event API.

Nothing here imports torch at import time; the agent is built in a worker thread.
"""
