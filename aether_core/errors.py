"""User-facing error base: anything raising AetherError is reported as one clear line."""


class AetherError(Exception):
    """An error whose message is meant for the user, not a traceback."""
