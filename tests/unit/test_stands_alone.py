"""The repository stands alone: no tracked file refers to the team's shared notes beside the checkout (issue 17.6).

A user's clone has no ../shared: code, tests, the Makefile and the docs must use what the repository ships
(docs/INDICATORS.md, docs/DATA_QUALITY.md, docs/SSD_CONTRACT.md, tests/reference/).
"""

from __future__ import annotations

import re
import subprocess

import pytest

from csc.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

FORBIDDEN = re.compile(r"\.\./shared|parent\s*/\s*[\"']shared[\"']|/work/shared")
THIS_FILE = "tests/unit/test_stands_alone.py"


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True)
    return [name for name in listed.stdout.decode().split("\0") if name]


def test_no_tracked_file_refers_to_shared_notes_outside_the_repository():
    offenders = []
    for name in tracked_files():
        if name == THIS_FILE:
            continue
        path = PROJECT_ROOT / name
        if not path.is_file():
            continue  # deleted in the working tree
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        for number, line in enumerate(text.splitlines(), start=1):
            if FORBIDDEN.search(line):
                offenders.append(f"{name}:{number}: {line.strip()[:120]}")
    assert offenders == [], "\n".join(offenders)


def test_the_domain_pages_the_code_relies_on_are_in_docs():
    for page in ("INDICATORS.md", "DATA_QUALITY.md", "SSD_CONTRACT.md", "INDICATOR_RULES.md", "INTERFACES.md",
                 "ARCHITECTURE.md"):
        assert (PROJECT_ROOT / "docs" / page).is_file(), page
