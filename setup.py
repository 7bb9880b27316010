"""Packaging details pyproject.toml cannot express: ship the top-level ``assets/`` folder (the
default model and the compression model) as the ``aether_assets`` package, so it is found after a plain ``pip install .``."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["aether_core*", "aether_tui*"]) + ["aether_assets"],
    package_dir={"aether_assets": "assets"},
    package_data={
        "aether_core": ["eval/*.jsonl", "data/skills/templates/*.toml"],
        "aether_tui": ["*.tcss", "**/*.tcss"],
        "aether_assets": ["*.md", "default/*", "compress/*"],
    },
)
