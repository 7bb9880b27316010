"""Settings: TOML round trip, the small writer, bad values, CLI parsing."""

from __future__ import annotations

from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from aether_tui.cli import build_parser, main
from aether_tui.settings import Settings, dumps


def test_defaults_when_missing(tmp_path: Path):
    s = Settings.load(tmp_path / "none.toml")
    assert s == Settings() and s.warnings == []


def test_round_trip(tmp_path: Path):
    path = tmp_path / "cfg" / "tui.toml"
    s = Settings(
        checkpoint='C:\\models\\"aether"\nv2',
        device="cuda",
        theme="nord",
        enter_sends=False,
    )
    s.sampling.temperature = 0.25
    s.sampling.top_k = 40
    s.sampling.top_p = 0.9
    s.sampling.sampler = "entropy"
    s.approval.default = "calc,echo"
    assert s.save(path) == path
    loaded = Settings.load(path)
    assert loaded == s
    assert loaded.path == path
    data = tomllib.loads(path.read_text())
    assert data["sampling"] == {
        "temperature": 0.25,
        "top_k": 40,
        "top_p": 0.9,
        "sampler": "entropy",
    }
    assert data["approval"] == {"default": "calc,echo"}
    assert not list(path.parent.glob(".*.tmp"))  # atomic write left nothing behind


def test_default_path_uses_config_dir(tmp_path: Path):
    s = Settings.load()
    s.theme = "gruvbox"
    written = s.save()
    assert written == tmp_path / "config" / "tui.toml"
    assert Settings.load().theme == "gruvbox"


def test_bad_values_fall_back_with_warnings(tmp_path: Path):
    path = tmp_path / "tui.toml"
    path.write_text(
        'device = 3\nenter_sends = "yes"\nunknown = 1\n[sampling]\ntemperature = 1\ntop_k = 0.5\n'
    )
    s = Settings.load(path)
    assert s.device == "auto" and s.enter_sends is True
    assert s.sampling.temperature == 1.0 and s.sampling.top_k == 0
    assert len(s.warnings) == 3
    path.write_text("this is = not toml [")
    s = Settings.load(path)
    assert s == Settings() and len(s.warnings) == 1
    assert "set aside as tui.toml.corrupt-" in s.warnings[0] and not path.exists()
    (kept,) = tmp_path.glob("tui.toml.corrupt-*")
    assert kept.read_text() == "this is = not toml ["


def test_out_of_range_values_fall_back_and_are_kept_on_save(tmp_path: Path):
    path = tmp_path / "tui.toml"
    path.write_text("[sampling]\ntemperature = nan\ntop_k = -5\ntop_p = 0.9\n")
    s = Settings.load(path)
    assert (s.sampling.temperature, s.sampling.top_k, s.sampling.top_p) == (0.0, 0, 0.9)
    assert any("temperature must be a finite number" in w for w in s.warnings)
    assert any("top_k must be at least 0" in w for w in s.warnings)
    assert s.sampling.config().top_k == 0  # what the agent gets is valid
    s.save()
    (kept,) = tmp_path.glob("tui.toml.invalid-*")  # the user's values are not overwritten
    assert "top_k = -5" in kept.read_text()
    assert tomllib.loads(path.read_text())["sampling"] == {
        "temperature": 0.0, "top_k": 0, "top_p": 0.9, "sampler": "plain"}  # fmt: skip


def test_save_keeps_comments(tmp_path: Path):
    path = tmp_path / "tui.toml"
    path.write_text(
        '# my settings\ntheme = "nord" # the dark one\n\n[sampling]\n# greedy\ntop_k = 0\n'
    )
    s = Settings.load(path)
    s.device = "cpu"
    s.sampling.top_p = 0.5
    s.save()
    text = path.read_text()
    assert "# my settings" in text and "# the dark one" in text and "# greedy" in text
    assert Settings.load(path) == s


def test_writer_escapes_and_types():
    data = {"a": 'x"y\\z\t\u0001', "b": True, "c": 1.5, "d": [1, "two"], "t": {"k": 2}}
    assert tomllib.loads(dumps(data)) == data
    assert tomllib.loads(dumps({"t": {"nested": {"x": 1}}})) == {"t": {"nested": {"x": 1}}}


def test_cli_flags():
    p = build_parser()
    a = p.parse_args(["--checkpoint", "ck", "--device", "cpu", "--approve", "all"])
    assert (a.checkpoint, a.device, a.approve, a.resume) == ("ck", "cpu", "all", None)
    assert p.parse_args(["--resume"]).resume == "latest"
    assert p.parse_args(["--resume", "7"]).resume == "7"


def test_main_rejects_bad_resume_id(capsys):
    assert main(["--resume", "abc"]) == 2
    assert "chat id" in capsys.readouterr().err
