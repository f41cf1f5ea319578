"""``orgscan config show``: the configuration a scan would run with, after every source is merged.

Takes the same options as ``orgscan scan`` (defaults < ``--config`` file < command line) and
prints the result as TOML, which is itself a valid config file, or as JSON with ``--json``.

The external id is a secret shared with the owner of the scan role (it guards against the
confused deputy): the output says that it is set, never its value, since it is printed to
terminals, pasted into tickets and kept in CI logs.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer

from orgscan.cli.common import maps_input_errors
from orgscan.cli.panels import Command, Group, examples
from orgscan.cli.scan_options import ScanOptions, with_scan_options

app = typer.Typer(
    name="config",
    cls=Group,
    help="Inspect orgscan's configuration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


#: What ``--json`` shows for a set external id (as the run's settings in the log do).
EXTERNAL_ID_SET = "(set)"
EXTERNAL_ID_NOT_SHOWN = "its value is not shown (give it with --external-id or in the file)"


@app.command(
    "show",
    cls=Command,
    epilog=examples(
        "orgscan config show --config configs/default.toml",
        "orgscan config show --config configs/default.toml --workers 32 --json",
    ),
)
@maps_input_errors
@with_scan_options
def show(
    options: ScanOptions,
    json_output: Annotated[
        bool, typer.Option("--json", metavar="", help="Print JSON instead of TOML.")
    ] = False,
) -> None:
    """Print the effective configuration of `orgscan scan` with the same options."""
    import tomli_w

    from orgscan.config import settings_to_config

    document = settings_to_config(options.settings())
    secret_set = document.get("external_id") is not None
    if json_output:
        if secret_set:
            document["external_id"] = EXTERNAL_ID_SET
        typer.echo(json.dumps(document, indent=2, default=_json_value))
    else:
        # Left out, not replaced: the output stays a config file that loads, and says what
        # it leaves out.
        document.pop("external_id", None)
        note = f"# external_id is set; {EXTERNAL_ID_NOT_SHOWN}\n" if secret_set else ""
        typer.echo(note + tomli_w.dumps(document), nl=False)


def _json_value(value: Any) -> str:
    # Exception expiry dates are TOML dates; JSON has none, so they become ISO strings.
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
