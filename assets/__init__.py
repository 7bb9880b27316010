"""The shipped default model (installed as the ``aether_assets`` package)."""
