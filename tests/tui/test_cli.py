"""``aether-tui`` start-up arguments."""

from __future__ import annotations

import pytest

from aether_core import __version__
from aether_tui.cli import build_parser


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"aether-tui {__version__}"


def test_approve_help_names_the_shared_specs() -> None:
    assert "ask, all, none" in build_parser().format_help()
