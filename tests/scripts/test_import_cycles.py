"""scripts/import_cycles.py finds cycles (also through imports inside functions), and the
packages have none."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("import_cycles", ROOT / "scripts/import_cycles.py")
import_cycles = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(import_cycles)

KNOWN: list[list[str]] = []  # none: a new cycle fails here


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def test_finds_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    _write(tmp_path, "pkg/__init__.py", "")
    _write(tmp_path, "pkg/a.py", "from .b import g\n\ndef f():\n    return g()\n")
    _write(tmp_path, "pkg/b.py", "def g():\n    from pkg import a\n    return a\n")
    _write(tmp_path, "pkg/c.py", "from pkg.a import f\n")
    graph = import_cycles.import_graph(tmp_path, ["pkg"])
    assert graph["pkg.c"] == {"pkg.a"} and graph["pkg.a"] == {"pkg.b"}
    assert import_cycles.cycles(graph) == [["pkg.a", "pkg.b"]]


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    _write(tmp_path, "pkg/__init__.py", "")
    _write(tmp_path, "pkg/app.py", "from pkg.commands import TABLE\n")
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.app import App\n"
    _write(tmp_path, "pkg/commands.py", guarded + "else:\n    import pkg.other\nTABLE = ()\n")
    _write(tmp_path, "pkg/other.py", "")
    graph = import_cycles.import_graph(tmp_path, ["pkg"])
    assert graph["pkg.commands"] == {"pkg.other"}
    assert import_cycles.cycles(graph) == []


def test_submodule_of_a_package_is_not_a_cycle_with_it(tmp_path: Path) -> None:
    _write(tmp_path, "pkg/__init__.py", "def lazy():\n    from .impl import X\n    return X\n")
    _write(tmp_path, "pkg/impl.py", "from pkg.events import E\nX = E\n")
    _write(tmp_path, "pkg/events.py", "E = 1\n")
    assert import_cycles.cycles(import_cycles.import_graph(tmp_path, ["pkg"])) == []


def test_no_import_cycles() -> None:
    assert import_cycles.cycles(import_cycles.import_graph()) == KNOWN
