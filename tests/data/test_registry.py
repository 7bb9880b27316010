"""The skills registry is the one list of skills: records, weights, tools and phrasing tables."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aether_core.data import skills
from aether_core.data.skills.base import TEMPLATES, Skill, templates
from aether_core.data.synthetic import DEFAULT_WEIGHTS


def test_records_are_the_one_list():
    assert skills.SKILLS == tuple(s.name for s in skills.REGISTRY)
    assert len(set(skills.SKILLS)) == len(skills.SKILLS)
    assert all(isinstance(s, Skill) and callable(s.generate) for s in skills.REGISTRY)
    assert set(DEFAULT_WEIGHTS) == set(skills.SKILLS)
    assert skills.TOOL_OF_SKILL == {
        "arithmetic": "calc", "time": "time", "search": "web_search", "browse": "browse_page",
        "echo": "echo",
    }  # fmt: skip
    assert skills.IMAGE_SKILLS == {"caption", "draw"}
    assert set(skills.generators()) == set(skills.SKILLS)


def test_every_phrasing_table_loads_as_tuples():
    names = sorted(p.stem for p in TEMPLATES.glob("*.toml"))
    assert names == ["arithmetic", "browse", "caption", "chat", "draw", "echo", "search", "time"]
    for name in names:
        table = templates(name)
        assert table and all(not isinstance(v, list) for v in table.values())


@pytest.mark.parametrize(
    "module",
    ["aether_core.data.skills.memory", "aether_core.data.skills.caption",
     "aether_core.data.imagebank", "aether_core.data.coco", "aether_core.data.synthetic",
     "aether_core.data.two_requests"],
)  # fmt: skip
def test_each_module_imports_first_without_a_cycle(module):
    """Imported first in a fresh interpreter, every data module loads: no import cycle between
    the registry and the skill modules (they import only ``skills.base``)."""
    out = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
