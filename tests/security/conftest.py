"""Fixtures of the security tests: ``secure_home``, a CSC_HOME on which the pipeline ran through ``csc``.

``secure_home`` is one CSC_HOME with its own embedded server (TCP on a free loopback port, so BI and casework
logins connect as a BI tool would) on which the whole pipeline ran once: generate an extract into landing,
load, check, build, publish, write the quarterly return (1,500 children: the smallest LA whose casework
lists are not empty). Every command runs in a child process started with
umask 022, so the file modes found afterwards are what the product itself chose.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from security_home import AS_OF, LA, QUARTER, SIZE, Home, make_home


@pytest.fixture(scope="session")
def secure_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """A CSC_HOME whose embedded warehouse ran the whole pipeline once (see the module docstring)."""
    home = make_home(tmp_path_factory.mktemp("secure"), tcp=True)
    try:
        home.csc("init")
        home.csc("generate", "--la", LA, "--size", SIZE, "--seed", "1", "--as-of", AS_OF,
                 "--out", str(home.path / "landing"), "--faults", "none", "--quiet")
        home.csc("load", "--la", LA)
        home.csc("check", "--la", LA, "--no-alerts")
        home.csc("build")
        home.csc("publish")
        home.csc("return", "--la", LA, "--quarter", QUARTER)
        yield home
    finally:
        home.csc("warehouse", "stop", check=False)
