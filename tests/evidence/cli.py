"""Running orgscan's CLI in-process for the evidence tests, and the demo run's command line."""

from __future__ import annotations

from typer.testing import CliRunner

from orgscan.cli import app

#: Every format, the opt-in exports included.
FORMATS = "json,csv,xlsx,html,scripts,asff,ocsf"
#: The command line the demo run is started with, secret included.
DEMO_ARGV = [
    "/usr/local/bin/orgscan",
    "demo",
    "--output-dir",
    "OUT",
    "--external-id",
    "s3cr3t-value",
    "--format",
    FORMATS,
]


def run_cli(*args: str) -> tuple[int, str, str]:
    """``orgscan ARGS`` in-process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr
