"""``csc generate``: clear errors for bad arguments; a run prints where the extract went."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from csc.cli import cli

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("args", "message"), [
    (["--la", "123"], "unknown synthetic LA '123'"),
    (["--size", "huge"], "size must be one of tiny, small, county"),
    (["--size", "12"], "between 100 and 2,000,000"),
    (["--as-of", "2040-01-01"], "--as-of must be between"),
    (["--as-of", "31/03/2025"], "does not match the format"),
    (["--nights", "0"], "--nights"),
    (["--faults", "sometimes"], "sometimes"),
])
def test_bad_arguments_are_refused_clearly(args, message, tmp_path):
    base = {"--la": "901", "--as-of": "2025-03-31", "--out": str(tmp_path)}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = ["generate", "--quiet"] + [x for pair in base.items() for x in pair]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code != 0
    assert message in result.output
    assert not any(tmp_path.iterdir())


def test_a_run_reports_the_extract_and_its_truth(tmp_path):
    result = CliRunner().invoke(cli, ["generate", "--la", "901", "--seed", "3", "--as-of", "2024-06-30",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "901" / "2024-06-30") in result.output
    assert "simulated" in result.output  # progress on stderr, mixed in by CliRunner
    assert (tmp_path / "truth" / "901" / "2024-06-30" / "indicators.csv").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--system", "mosaic", "--allocated-flag"], "no allocation flag"),
    (["--system", "systemc", "--messy"], "--messy"),
    (["--full-ssd", "--messy"], "--messy"),
    (["--system", "caredirector"], "Invalid value for '--system'"),
])
def test_system_options_that_cannot_combine_are_refused(args, message, tmp_path):
    result = CliRunner().invoke(cli, ["generate", "--quiet", "--la", "901", "--as-of", "2025-03-31",
                                      "--out", str(tmp_path), *args])
    assert result.exit_code != 0
    assert message in result.output
    assert not any(tmp_path.iterdir())
