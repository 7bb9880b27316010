"""The `aether` entry point itself: --version and shell completion."""

from __future__ import annotations

import pytest

from aether_core import __version__
from aether_core.cli import SUBCOMMANDS, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"aether {__version__}"


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_lists_every_subcommand(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert ("complete -o" in script) if shell == "bash" else script.startswith("#compdef aether")
    for name in (*SUBCOMMANDS, "completion"):
        assert name in script
    assert "--resume" in script or "--json" in script  # subcommand options, not just names


def test_completion_rejects_an_unknown_shell(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["completion", "fish"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
