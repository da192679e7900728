"""The README's exit-status tables match the constants in csc.cli.exit_status and list every command."""

from __future__ import annotations

import re

import click
import pytest

from csc.cli import cli
from csc.cli.exit_status import STATUSES
from csc.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit


def _section() -> str:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### Exit statuses")
    end = text.find("\n## ", start)
    return text[start:end]


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append(prefix + name)
    return found


def test_status_table_matches_the_constants():
    rows = re.findall(r"^\| (\d+) \| `([A-Z_]+)` \|", _section(), flags=re.M)
    assert {name: int(code) for code, name in rows} == STATUSES
    assert len(set(STATUSES.values())) == len(STATUSES)  # distinct: 75 is never confused with refused or blocked


def test_every_command_is_listed_with_known_statuses():
    rows = dict(re.findall(r"^\| `csc ([^`]+)`(?: / `[^`]+`)* \| (.+) \|$", _section(), flags=re.M))
    listed = set()
    for line in re.findall(r"^\| (`csc .+?) \| ", _section(), flags=re.M):
        names = re.findall(r"`([^`]+)`", line)
        first = names[0].removeprefix("csc ").removesuffix(" ...")
        listed.add(first)
        group = first.rsplit(" ", 1)[0] if " " in first else ""
        listed.update(f"{group} {n}".strip() for n in names[1:])
    assert sorted(set(_commands(cli)) - listed) == []
    for statuses in rows.values():
        for code in re.findall(r"(?:^|; )(\d+)", statuses):
            assert int(code) in STATUSES.values(), statuses
