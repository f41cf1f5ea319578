"""``orgscan config show``: the configuration a scan would run with, after every source is merged.

Takes the same options as ``orgscan scan`` (defaults < ``--config`` file < command line) and
prints the result as TOML, which is itself a valid config file, or as JSON with ``--json``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import tomli_w
import typer

from orgscan.cli.common import maps_input_errors
from orgscan.cli.scan_options import ScanOptions, with_scan_options
from orgscan.config import settings_to_config

app = typer.Typer(name="config", help="Inspect orgscan's configuration.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


@app.command("show")
@maps_input_errors
@with_scan_options
def show(
    options: ScanOptions,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of TOML.")]
    = False,
) -> None:
    """Print the effective configuration of `orgscan scan` with the same options."""
    document = settings_to_config(options.settings())
    if json_output:
        typer.echo(json.dumps(document, indent=2, default=_json_value))
    else:
        typer.echo(tomli_w.dumps(document), nl=False)


def _json_value(value: Any) -> str:
    # Exception expiry dates are TOML dates; JSON has none, so they become ISO strings.
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
