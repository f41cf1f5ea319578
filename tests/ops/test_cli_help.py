"""The command line as a new user meets it: a quick start, --version, and help that reads well."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orgscan.cli import app

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "pandas",
    "botocore",
    "boto3",
    "openpyxl",
    "jinja2",
    "moto",
    "numpy",
    "concurrent_log_handler",
)


def _loaded_after(*argv: str) -> set[str]:
    """The heavy modules imported by running ``orgscan argv`` in a fresh interpreter."""
    code = (
        "import sys\nfrom orgscan.cli import app\n"
        "try:\n    app(args=sys.argv[1:], prog_name='orgscan')\n"
        "except SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return {name for name in last.split(",") if name}


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["--version"], ["scan", "--help"], ["remediate", "--help"], ["demo", "--help"]],
)
def test_help_and_version_load_no_aws_or_dataframe_library(argv: list[str]) -> None:
    assert _loaded_after(*argv) == set()


def test_version_is_the_packaged_one() -> None:
    import tomllib

    from orgscan import __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"orgscan {__version__}\n"
    # pyproject.toml takes the version from the package: one place to change it.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "orgscan.__version__"}


def _help(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_scan_help_groups_options_in_panels_and_shows_choices() -> None:
    text = _help("scan")
    panels = [
        line.strip("╭─ ").split(" ")[0] for line in text.splitlines() if line.startswith("╭─")
    ]
    assert panels == ["Options", "Scope", "Access", "Policy", "Output", "Logging"]
    assert "FAIL|WARN|never" in text
    assert "ANY|GOVERNANCE|COMPLIANCE" in text
    assert "DEBUG|INFO|WARNING|ERROR" in text
    assert "<bool>" not in text
    assert "<list[str]>" not in text
    assert "<str>" not in text
    assert "Examples" in text
    assert "orgscan scan --output-dir reports/" in text


@pytest.mark.parametrize(
    "command",
    [
        ["scan"],
        ["demo"],
        ["report"],
        ["diff"],
        ["history"],
        ["remediate"],
        ["iam-policy"],
        ["config", "show"],
    ],
)
def test_every_command_has_examples_and_no_type_noise(command: list[str]) -> None:
    text = _help(*command)
    assert "Examples" in text
    assert f"orgscan {' '.join(command)}" in text.split("Examples", 1)[1]
    assert "<bool>" not in text


def test_demo_workers_and_remediate_strategy_are_documented() -> None:
    demo = _help("demo")
    workers = next(line for line in demo.splitlines() if "--workers" in line)
    assert "AWS calls in flight" in workers
    assert "enable-in-place|new-bucket" in _help("remediate")


@pytest.mark.parametrize(
    ("value", "expected"), [("warn", "WARN"), ("NEVER", "never"), ("Fail", "FAIL")]
)
def test_choices_are_case_insensitive(value: str, expected: str) -> None:
    result = CliRunner().invoke(app, ["config", "show", "--json", "--fail-on", value])
    assert result.exit_code == 0, result.output
    assert f'"fail_on": "{expected}"' in result.stdout


@pytest.mark.parametrize("command", [[], ["config"]])
def test_a_group_without_a_command_shows_its_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, command, env={"COLUMNS": "120"})
    assert result.exit_code == 2
    assert "Usage: orgscan" in result.stdout
    assert "Commands" in result.stdout
    assert "orgscan: error" not in result.stderr
